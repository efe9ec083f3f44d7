//! `HYPERVISOR_sched_op`: yield, block until an event, poll ports, shut down.
//!
//! Mirrors `xen/include/public/sched.h` (Xen 4.17). The numbers, reasons and both structs come
//! from `xen-sys`, whose definitions match the header (checked by `tests/abi_headers.rs`); its
//! `sched_op` *function* is not used (see the [`abi`](super) docs). Note that
//! `SCHEDOP_shutdown` takes a pointer to a [`sched_shutdown`], not the reason itself, and that
//! `sched_poll::ports` is a raw pointer in `xen-sys` (a guest handle: the address of the port
//! array).

use core::mem::{offset_of, size_of};

pub use xen_sys::{
    SCHEDOP_block, SCHEDOP_pin_override, SCHEDOP_poll, SCHEDOP_remote_shutdown, SCHEDOP_shutdown,
    SCHEDOP_shutdown_code, SCHEDOP_watchdog, SCHEDOP_yield,
};
pub use xen_sys::{
    SHUTDOWN_MAX, SHUTDOWN_crash, SHUTDOWN_poweroff, SHUTDOWN_reboot, SHUTDOWN_soft_reset,
    SHUTDOWN_suspend, SHUTDOWN_watchdog,
};
pub use xen_sys::{sched_poll, sched_shutdown};

const _: () = {
    assert!(size_of::<sched_shutdown>() == 4);
    assert!(size_of::<sched_poll>() == 24);
    assert!(offset_of!(sched_poll, nr_ports) == 8);
    assert!(offset_of!(sched_poll, timeout) == 16);
};
