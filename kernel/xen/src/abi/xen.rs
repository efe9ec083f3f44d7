//! The core guest interface: hypercall numbers, domain ids, virtual IRQs, and the
//! `shared_info` page with its per-vCPU `vcpu_info` and pvclock `vcpu_time_info`.
//!
//! Mirrors `xen/include/public/xen.h` with the x86_64 parts of `arch-x86/xen.h` and
//! `arch-x86/xen-x86_64.h` (Xen 4.17, interface version 0x00040e00). The hypercall numbers,
//! `VIRQ_*` and a few other constants come from `xen-sys` (see the [`abi`](super) docs); the
//! structures are ours because `xen-sys`'s `vcpu_time_info` lacks the `flags` byte.
//!
//! `shared_info` is one page that Xen writes and the guest reads (and, for the event-channel
//! `evtchn_mask` bits and `evtchn_upcall_mask`, writes): it is reached only through the
//! shared-memory wrapper, never as a `&mut`. `vcpu_time_info` and the wallclock fields are
//! versioned like a seqlock: read `version`, fence, read the fields, fence, re-read `version`;
//! retry while it is odd or has changed.

use core::mem::{offset_of, size_of};

pub use xen_sys::__XEN_LATEST_INTERFACE_VERSION__;

pub use xen_sys::{
    __HYPERVISOR_arch_0, __HYPERVISOR_arch_1, __HYPERVISOR_arch_2, __HYPERVISOR_arch_3,
    __HYPERVISOR_arch_4, __HYPERVISOR_arch_5, __HYPERVISOR_arch_6, __HYPERVISOR_arch_7,
    __HYPERVISOR_argo_op, __HYPERVISOR_callback_op, __HYPERVISOR_console_io, __HYPERVISOR_dm_op,
    __HYPERVISOR_domctl, __HYPERVISOR_event_channel_op, __HYPERVISOR_event_channel_op_compat,
    __HYPERVISOR_fpu_taskswitch, __HYPERVISOR_get_debugreg, __HYPERVISOR_grant_table_op,
    __HYPERVISOR_hvm_op, __HYPERVISOR_hypfs_op, __HYPERVISOR_iret, __HYPERVISOR_kexec_op,
    __HYPERVISOR_memory_op, __HYPERVISOR_mmu_update, __HYPERVISOR_mmuext_op,
    __HYPERVISOR_multicall, __HYPERVISOR_nmi_op, __HYPERVISOR_physdev_op,
    __HYPERVISOR_physdev_op_compat, __HYPERVISOR_platform_op, __HYPERVISOR_sched_op,
    __HYPERVISOR_sched_op_compat, __HYPERVISOR_set_callbacks, __HYPERVISOR_set_debugreg,
    __HYPERVISOR_set_gdt, __HYPERVISOR_set_segment_base, __HYPERVISOR_set_timer_op,
    __HYPERVISOR_set_trap_table, __HYPERVISOR_stack_switch, __HYPERVISOR_sysctl,
    __HYPERVISOR_tmem_op, __HYPERVISOR_update_descriptor, __HYPERVISOR_update_va_mapping,
    __HYPERVISOR_update_va_mapping_otherdomain, __HYPERVISOR_vcpu_op, __HYPERVISOR_vm_assist,
    __HYPERVISOR_xen_version, __HYPERVISOR_xenoprof_op, __HYPERVISOR_xenpmu_op,
    __HYPERVISOR_xsm_op,
};

pub use xen_sys::{
    NR_VIRQS, VIRQ_ARCH_0, VIRQ_ARCH_1, VIRQ_ARCH_2, VIRQ_ARCH_3, VIRQ_ARCH_4, VIRQ_ARCH_5,
    VIRQ_ARCH_6, VIRQ_ARCH_7, VIRQ_ARGO, VIRQ_CON_RING, VIRQ_CONSOLE, VIRQ_DEBUG, VIRQ_DEBUGGER,
    VIRQ_DOM_EXC, VIRQ_ENOMEM, VIRQ_MEM_EVENT, VIRQ_PCPU_STATE, VIRQ_TBUF, VIRQ_TIMER,
    VIRQ_XENOPROF, VIRQ_XENPMU,
};

pub use xen_sys::{
    CONSOLEIO_read, CONSOLEIO_write, XEN_HVM_DEBUGCONS_IOPORT, XEN_LEGACY_MAX_VCPUS,
    XEN_PVCLOCK_GUEST_STOPPED, XEN_PVCLOCK_TSC_STABLE_BIT,
};

/// A domain id.
pub type domid_t = u16;
/// An unsigned long in the guest ABI (64 bits on x86_64).
pub type xen_ulong_t = u64;
/// A guest frame number (64 bits on x86_64).
pub type xen_pfn_t = u64;

/// `DOMID_FIRST_RESERVED`: ids from here up are not ordinary domains.
pub const DOMID_FIRST_RESERVED: domid_t = 0x7ff0;
/// `DOMID_SELF`: the calling domain.
pub const DOMID_SELF: domid_t = 0x7ff0;
/// `DOMID_IO`: the owner of I/O memory.
pub const DOMID_IO: domid_t = 0x7ff1;
/// `DOMID_XEN`: the hypervisor itself.
pub const DOMID_XEN: domid_t = 0x7ff2;
/// `DOMID_COW`: the owner of shared (copy-on-write) pages.
pub const DOMID_COW: domid_t = 0x7ff3;
/// `DOMID_INVALID`: unknown owner.
pub const DOMID_INVALID: domid_t = 0x7ff4;
/// `DOMID_IDLE`: the idle domain.
pub const DOMID_IDLE: domid_t = 0x7fff;
/// `DOMID_MASK`: the bits of a valid domain id.
pub const DOMID_MASK: domid_t = 0x7fff;

/// pvclock parameters of one vCPU, updated by Xen under the `version` seqlock.
///
/// System time in ns = `system_time + ((((tsc - tsc_timestamp) << tsc_shift) *
/// tsc_to_system_mul) >> 32)`, where a negative `tsc_shift` shifts right.
#[doc(alias = "struct vcpu_time_info", alias = "vcpu_time_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vcpu_time_info {
    /// Update counter: odd while Xen is writing, changed by every update.
    pub version: u32,
    /// Padding.
    pub pad0: u32,
    /// TSC value at the last update.
    pub tsc_timestamp: u64,
    /// System time (ns since boot) at `tsc_timestamp`.
    pub system_time: u64,
    /// TSC-to-ns multiplier, a 32.32 fixed-point fraction.
    pub tsc_to_system_mul: u32,
    /// Power-of-two shift applied to the TSC delta before the multiply (may be negative).
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` flags (interface version > 0x040600).
    pub flags: u8,
    /// Padding.
    pub pad1: [u8; 2],
}

/// x86_64 part of [`vcpu_info`].
#[doc(alias = "struct arch_vcpu_info", alias = "arch_vcpu_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct arch_vcpu_info {
    /// Faulting address of the last page fault (PV guests only).
    pub cr2: u64,
    /// Padding to make `vcpu_info` 64 bytes.
    pub pad: u64,
}

/// Per-vCPU event and time state, in `shared_info` (or registered with
/// `VCPUOP_register_vcpu_info`).
#[doc(alias = "struct vcpu_info", alias = "vcpu_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vcpu_info {
    /// Set non-zero by Xen when an event is pending; the guest clears it before scanning.
    pub evtchn_upcall_pending: u8,
    /// Non-zero masks upcalls to this vCPU (x86 defines `XEN_HAVE_PV_UPCALL_MASK`).
    pub evtchn_upcall_mask: u8,
    /// Selector: bit `i` set means word `i` of `evtchn_pending` may have pending bits.
    pub evtchn_pending_sel: xen_ulong_t,
    /// Architecture-specific state.
    pub arch: arch_vcpu_info,
    /// pvclock parameters for this vCPU.
    pub time: vcpu_time_info,
}

/// x86_64 part of [`shared_info`].
#[doc(alias = "struct arch_shared_info", alias = "arch_shared_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct arch_shared_info {
    /// Number of valid entries in the p2m table (PV guests only).
    pub max_pfn: u64,
    /// Frame of the p2m frame-list list (PV guests only).
    pub pfn_to_mfn_frame_list_list: xen_pfn_t,
    /// NMI reason bits (PV guests only).
    pub nmi_reason: u64,
    /// Root of the address space of the linear p2m list (PV guests only).
    pub p2m_cr3: u64,
    /// Virtual address of the linear p2m list (PV guests only).
    pub p2m_vaddr: u64,
    /// Generation count of the p2m mapping (PV guests only).
    pub p2m_generation: u64,
}

/// The shared-info page: per-vCPU state, the 2-level event-channel bitmaps and the wallclock.
///
/// Mapped into the guest with `XENMEM_add_to_physmap(XENMAPSPACE_shared_info)`.
#[doc(alias = "struct shared_info", alias = "shared_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct shared_info {
    /// State of vCPUs 0..`XEN_LEGACY_MAX_VCPUS`.
    pub vcpu_info: [vcpu_info; XEN_LEGACY_MAX_VCPUS as usize],
    /// Pending bit per event-channel port (`sizeof(xen_ulong_t) * 8` words); cleared by the guest.
    pub evtchn_pending: [xen_ulong_t; 64],
    /// Mask bit per event-channel port; written by the guest only.
    pub evtchn_mask: [xen_ulong_t; 64],
    /// Wallclock update counter, a seqlock like `vcpu_time_info::version`.
    pub wc_version: u32,
    /// Wallclock seconds since the Unix epoch at system time 0 (low 32 bits).
    pub wc_sec: u32,
    /// Wallclock nanoseconds.
    pub wc_nsec: u32,
    /// High 32 bits of the wallclock seconds.
    pub wc_sec_hi: u32,
    /// Architecture-specific state.
    pub arch: arch_shared_info,
}

const _: () = {
    // `xen_ulong_t`/`xen_pfn_t` stay the type `xen-sys` uses (`c_ulong`, 64 bits on x86_64).
    let _: fn(xen_ulong_t) -> xen_sys::xen_ulong_t = |x| x;
    let _: fn(xen_pfn_t) -> xen_sys::xen_pfn_t = |x| x;
    let _: fn(domid_t) -> xen_sys::domid_t = |x| x;

    assert!(size_of::<vcpu_time_info>() == 32);
    assert!(offset_of!(vcpu_time_info, tsc_timestamp) == 8);
    assert!(offset_of!(vcpu_time_info, system_time) == 16);
    assert!(offset_of!(vcpu_time_info, tsc_to_system_mul) == 24);
    assert!(offset_of!(vcpu_time_info, tsc_shift) == 28);
    assert!(offset_of!(vcpu_time_info, flags) == 29);
    assert!(offset_of!(vcpu_time_info, pad1) == 30);

    assert!(size_of::<arch_vcpu_info>() == 16);
    assert!(size_of::<vcpu_info>() == 64);
    assert!(offset_of!(vcpu_info, evtchn_upcall_mask) == 1);
    assert!(offset_of!(vcpu_info, evtchn_pending_sel) == 8);
    assert!(offset_of!(vcpu_info, arch) == 16);
    assert!(offset_of!(vcpu_info, time) == 32);

    assert!(size_of::<arch_shared_info>() == 48);
    assert!(size_of::<shared_info>() == 3136);
    assert!(offset_of!(shared_info, evtchn_pending) == 2048);
    assert!(offset_of!(shared_info, evtchn_mask) == 2560);
    assert!(offset_of!(shared_info, wc_version) == 3072);
    assert!(offset_of!(shared_info, wc_sec) == 3076);
    assert!(offset_of!(shared_info, wc_nsec) == 3080);
    assert!(offset_of!(shared_info, wc_sec_hi) == 3084);
    assert!(offset_of!(shared_info, arch) == 3088);
    // It must fit the page Xen maps it into.
    assert!(size_of::<shared_info>() <= 4096);
};
