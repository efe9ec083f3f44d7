//! `HYPERVISOR_vcpu_op`: per-vCPU timers and the placement of `vcpu_info`.
//!
//! Mirrors the timer and `vcpu_info` parts of `xen/include/public/vcpu.h` (Xen 4.17). A
//! tickless guest stops the periodic timer once, then arms a single-shot timer for its next
//! deadline (absolute pvclock system time); the expiry arrives as `VIRQ_TIMER`.

use core::mem::{offset_of, size_of};

/// `VCPUOP_initialise`.
pub const VCPUOP_initialise: u32 = 0;
/// `VCPUOP_up`.
pub const VCPUOP_up: u32 = 1;
/// `VCPUOP_down`.
pub const VCPUOP_down: u32 = 2;
/// `VCPUOP_is_up`: returns 1 if the vCPU is up.
pub const VCPUOP_is_up: u32 = 3;
/// `VCPUOP_get_runstate_info`.
pub const VCPUOP_get_runstate_info: u32 = 4;
/// `VCPUOP_register_runstate_memory_area`.
pub const VCPUOP_register_runstate_memory_area: u32 = 5;
/// `VCPUOP_set_periodic_timer`: arg is [`vcpu_set_periodic_timer`].
pub const VCPUOP_set_periodic_timer: u32 = 6;
/// `VCPUOP_stop_periodic_timer`: arg is NULL.
pub const VCPUOP_stop_periodic_timer: u32 = 7;
/// `VCPUOP_set_singleshot_timer`: arg is [`vcpu_set_singleshot_timer`].
pub const VCPUOP_set_singleshot_timer: u32 = 8;
/// `VCPUOP_stop_singleshot_timer`: arg is NULL.
pub const VCPUOP_stop_singleshot_timer: u32 = 9;
/// `VCPUOP_register_vcpu_info`: arg is [`vcpu_register_vcpu_info`].
pub const VCPUOP_register_vcpu_info: u32 = 10;
/// `VCPUOP_send_nmi`.
pub const VCPUOP_send_nmi: u32 = 11;
/// `VCPUOP_get_physid`.
pub const VCPUOP_get_physid: u32 = 12;
/// `VCPUOP_register_vcpu_time_memory_area`.
pub const VCPUOP_register_vcpu_time_memory_area: u32 = 13;

/// `VCPU_SSHOTTMR_future`: fail with `-ETIME` if the timeout has already passed.
pub const VCPU_SSHOTTMR_future: u32 = 1 << 0;

/// Argument of `VCPUOP_set_periodic_timer`.
#[doc(
    alias = "struct vcpu_set_periodic_timer",
    alias = "vcpu_set_periodic_timer_t"
)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vcpu_set_periodic_timer {
    /// Period in nanoseconds.
    pub period_ns: u64,
}

/// Argument of `VCPUOP_set_singleshot_timer`.
#[doc(
    alias = "struct vcpu_set_singleshot_timer",
    alias = "vcpu_set_singleshot_timer_t"
)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vcpu_set_singleshot_timer {
    /// Deadline in absolute system time (ns, pvclock).
    pub timeout_abs_ns: u64,
    /// `VCPU_SSHOTTMR_*`.
    pub flags: u32,
}

/// Argument of `VCPUOP_register_vcpu_info`: move this vCPU's `vcpu_info` into guest memory.
#[doc(
    alias = "struct vcpu_register_vcpu_info",
    alias = "vcpu_register_vcpu_info_t"
)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vcpu_register_vcpu_info {
    /// Guest frame of the page that will hold the `vcpu_info`.
    pub mfn: u64,
    /// Offset in that page (the 64-byte `vcpu_info` must not cross the page end).
    pub offset: u32,
    /// Unused.
    pub rsvd: u32,
}

const _: () = {
    assert!(size_of::<vcpu_set_periodic_timer>() == 8);
    assert!(size_of::<vcpu_set_singleshot_timer>() == 16);
    assert!(offset_of!(vcpu_set_singleshot_timer, flags) == 8);
    assert!(size_of::<vcpu_register_vcpu_info>() == 16);
    assert!(offset_of!(vcpu_register_vcpu_info, offset) == 8);
    assert!(offset_of!(vcpu_register_vcpu_info, rsvd) == 12);
};
