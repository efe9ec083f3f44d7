//! `HYPERVISOR_hvm_op`: get and set HVM parameters, and the per-vCPU upcall vector.
//!
//! Mirrors the guest-visible parts of `xen/include/public/hvm/hvm_op.h` (Xen 4.17). The
//! parameter indices are in [`params`](super::params).

use core::mem::{offset_of, size_of};

use crate::abi::xen::domid_t;

/// `HVMOP_set_param`: arg is [`xen_hvm_param`].
pub const HVMOP_set_param: u32 = 0;
/// `HVMOP_get_param`: arg is [`xen_hvm_param`].
pub const HVMOP_get_param: u32 = 1;
/// `HVMOP_flush_tlbs`: flush all vCPU TLBs; arg is NULL.
pub const HVMOP_flush_tlbs: u32 = 5;
/// `HVMOP_pagetable_dying`.
pub const HVMOP_pagetable_dying: u32 = 9;
/// `HVMOP_get_time`: Xen system time in ns; arg is [`xen_hvm_get_time`].
pub const HVMOP_get_time: u32 = 10;
/// `HVMOP_get_mem_type`.
pub const HVMOP_get_mem_type: u32 = 15;
/// `HVMOP_set_evtchn_upcall_vector`: per-vCPU upcall vector; arg is
/// [`xen_hvm_evtchn_upcall_vector`].
pub const HVMOP_set_evtchn_upcall_vector: u32 = 23;
/// `HVMOP_guest_request_vm_event`.
pub const HVMOP_guest_request_vm_event: u32 = 24;
/// `HVMOP_altp2m`.
pub const HVMOP_altp2m: u32 = 25;

/// Argument of `HVMOP_set_param` / `HVMOP_get_param`.
#[doc(alias = "struct xen_hvm_param", alias = "xen_hvm_param_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_hvm_param {
    /// Domain (`DOMID_SELF`).
    pub domid: domid_t,
    /// Padding.
    pub pad: u16,
    /// `HVM_PARAM_*` index.
    pub index: u32,
    /// In (set) or out (get): the value.
    pub value: u64,
}

/// Argument of `HVMOP_get_time`.
#[doc(alias = "struct xen_hvm_get_time", alias = "xen_hvm_get_time_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_hvm_get_time {
    /// Out: Xen system time in nanoseconds since boot.
    pub now: u64,
}

/// Argument of `HVMOP_set_evtchn_upcall_vector`.
#[doc(
    alias = "struct xen_hvm_evtchn_upcall_vector",
    alias = "xen_hvm_evtchn_upcall_vector_t"
)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_hvm_evtchn_upcall_vector {
    /// The vCPU (by id).
    pub vcpu: u32,
    /// IDT vector for its event upcalls.
    pub vector: u8,
}

const _: () = {
    assert!(size_of::<xen_hvm_param>() == 16);
    assert!(offset_of!(xen_hvm_param, pad) == 2);
    assert!(offset_of!(xen_hvm_param, index) == 4);
    assert!(offset_of!(xen_hvm_param, value) == 8);
    assert!(size_of::<xen_hvm_get_time>() == 8);
    assert!(size_of::<xen_hvm_evtchn_upcall_vector>() == 8);
    assert!(offset_of!(xen_hvm_evtchn_upcall_vector, vector) == 4);
};
