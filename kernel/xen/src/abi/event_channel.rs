//! `HYPERVISOR_event_channel_op`: allocating, binding, signalling and closing event channels.
//!
//! Mirrors `xen/include/public/event_channel.h` (Xen 4.17). The `EVTCHNOP_*` numbers,
//! `EVTCHNSTAT_*` and the argument structs come from `xen-sys`, whose layouts match the
//! header (checked by `tests/abi_headers.rs`); `evtchn_status::u` is a union there, so reading it
//! needs `unsafe` at the use site. With the 2-level ABI a port `p` is bit `p % 64` of word
//! `p / 64` of `shared_info::evtchn_pending`.

use core::mem::{offset_of, size_of};

use super::xen::xen_ulong_t;

pub use xen_sys::{
    EVTCHNOP_alloc_unbound, EVTCHNOP_bind_interdomain, EVTCHNOP_bind_ipi, EVTCHNOP_bind_pirq,
    EVTCHNOP_bind_vcpu, EVTCHNOP_bind_virq, EVTCHNOP_close, EVTCHNOP_expand_array,
    EVTCHNOP_init_control, EVTCHNOP_reset, EVTCHNOP_send, EVTCHNOP_set_priority, EVTCHNOP_status,
    EVTCHNOP_unmask,
};
pub use xen_sys::{
    EVTCHNSTAT_closed, EVTCHNSTAT_interdomain, EVTCHNSTAT_ipi, EVTCHNSTAT_pirq, EVTCHNSTAT_unbound,
    EVTCHNSTAT_virq,
};
pub use xen_sys::{
    evtchn_alloc_unbound, evtchn_bind_interdomain, evtchn_bind_virq, evtchn_close, evtchn_port_t,
    evtchn_send, evtchn_status, evtchn_unmask,
};

/// `EVTCHN_2L_NR_CHANNELS`: ports addressable with the 2-level ABI (4096 on x86_64).
pub const EVTCHN_2L_NR_CHANNELS: usize = size_of::<xen_ulong_t>() * size_of::<xen_ulong_t>() * 64;

const _: () = {
    let _: fn(evtchn_port_t) -> u32 = |x| x;
    assert!(EVTCHN_2L_NR_CHANNELS == 4096);

    assert!(size_of::<evtchn_alloc_unbound>() == 8);
    assert!(offset_of!(evtchn_alloc_unbound, remote_dom) == 2);
    assert!(offset_of!(evtchn_alloc_unbound, port) == 4);
    assert!(size_of::<evtchn_bind_interdomain>() == 12);
    assert!(offset_of!(evtchn_bind_interdomain, remote_port) == 4);
    assert!(offset_of!(evtchn_bind_interdomain, local_port) == 8);
    assert!(size_of::<evtchn_bind_virq>() == 12);
    assert!(offset_of!(evtchn_bind_virq, vcpu) == 4);
    assert!(offset_of!(evtchn_bind_virq, port) == 8);
    assert!(size_of::<evtchn_send>() == 4);
    assert!(size_of::<evtchn_close>() == 4);
    assert!(size_of::<evtchn_unmask>() == 4);
    assert!(size_of::<evtchn_status>() == 24);
    assert!(offset_of!(evtchn_status, port) == 4);
    assert!(offset_of!(evtchn_status, status) == 8);
    assert!(offset_of!(evtchn_status, vcpu) == 12);
    assert!(offset_of!(evtchn_status, u) == 16);
};
