//! HVM parameter indices for `HVMOP_{get,set}_param`, and the `HVM_PARAM_CALLBACK_IRQ` encoding.
//!
//! Mirrors the guest-visible parts of `xen/include/public/hvm/params.h` (Xen 4.17; the
//! tools-only indices under `__XEN_TOOLS__` are left out).
//!
//! `HVM_PARAM_CALLBACK_IRQ` chooses how vCPU 0's event upcalls arrive: the value's bits 63:56
//! hold the type and the rest its argument. This crate uses the vector type: bits 7:0 are an IDT
//! vector that Xen injects directly (check `XENFEAT_hvm_callback_vector` first). The header
//! gives only the type mask; the shift and [`hvm_callback_vector`] follow Linux's
//! `include/xen/hvm.h` names and are checked against the mask by the header test.

/// `HVM_PARAM_CALLBACK_IRQ`: how event-channel upcalls are delivered (0: not at all).
pub const HVM_PARAM_CALLBACK_IRQ: u32 = 0;
/// `HVM_PARAM_STORE_PFN`: guest frame of the xenstore ring page.
pub const HVM_PARAM_STORE_PFN: u32 = 1;
/// `HVM_PARAM_STORE_EVTCHN`: event channel to signal xenstored.
pub const HVM_PARAM_STORE_EVTCHN: u32 = 2;
/// `HVM_PARAM_IOREQ_PFN`: device-model ioreq page.
pub const HVM_PARAM_IOREQ_PFN: u32 = 5;
/// `HVM_PARAM_BUFIOREQ_PFN`: device-model buffered ioreq page.
pub const HVM_PARAM_BUFIOREQ_PFN: u32 = 6;
/// `HVM_PARAM_VIRIDIAN`: Hyper-V enlightenment mask.
pub const HVM_PARAM_VIRIDIAN: u32 = 9;
/// `HVM_PARAM_TIMER_MODE`: `HVMPTM_*` virtual timer mode.
pub const HVM_PARAM_TIMER_MODE: u32 = 10;
/// `HVM_PARAM_HPET_ENABLED`: virtual HPET on or off.
pub const HVM_PARAM_HPET_ENABLED: u32 = 11;
/// `HVM_PARAM_IDENT_PT`: identity-map page directory for EPT with paging off.
pub const HVM_PARAM_IDENT_PT: u32 = 12;
/// `HVM_PARAM_ACPI_S_STATE`: ACPI sleep state.
pub const HVM_PARAM_ACPI_S_STATE: u32 = 14;
/// `HVM_PARAM_VM86_TSS`: TSS used on Intel with CR0.PE clear.
pub const HVM_PARAM_VM86_TSS: u32 = 15;
/// `HVM_PARAM_VPT_ALIGN`: align periodic virtual timers.
pub const HVM_PARAM_VPT_ALIGN: u32 = 16;
/// `HVM_PARAM_CONSOLE_PFN`: guest frame of the PV console ring page.
pub const HVM_PARAM_CONSOLE_PFN: u32 = 17;
/// `HVM_PARAM_CONSOLE_EVTCHN`: event channel of the PV console.
pub const HVM_PARAM_CONSOLE_EVTCHN: u32 = 18;
/// `HVM_PARAM_ACPI_IOPORTS_LOCATION`: ACPI PM block location.
pub const HVM_PARAM_ACPI_IOPORTS_LOCATION: u32 = 19;
/// `HVM_PARAM_PAGING_RING_PFN`.
pub const HVM_PARAM_PAGING_RING_PFN: u32 = 27;
/// `HVM_PARAM_MONITOR_RING_PFN`.
pub const HVM_PARAM_MONITOR_RING_PFN: u32 = 28;
/// `HVM_PARAM_SHARING_RING_PFN`.
pub const HVM_PARAM_SHARING_RING_PFN: u32 = 29;
/// `HVM_PARAM_TRIPLE_FAULT_REASON`: `SHUTDOWN_*` action on a triple fault.
pub const HVM_PARAM_TRIPLE_FAULT_REASON: u32 = 31;
/// `HVM_PARAM_IOREQ_SERVER_PFN`.
pub const HVM_PARAM_IOREQ_SERVER_PFN: u32 = 32;
/// `HVM_PARAM_NR_IOREQ_SERVER_PAGES`.
pub const HVM_PARAM_NR_IOREQ_SERVER_PAGES: u32 = 33;
/// `HVM_PARAM_VM_GENERATION_ID_ADDR`.
pub const HVM_PARAM_VM_GENERATION_ID_ADDR: u32 = 34;
/// `HVM_PARAM_ALTP2M`: `XEN_ALTP2M_*` mode.
pub const HVM_PARAM_ALTP2M: u32 = 35;
/// `HVM_PARAM_X87_FIP_WIDTH`.
pub const HVM_PARAM_X87_FIP_WIDTH: u32 = 36;
/// `HVM_PARAM_VM86_TSS_SIZED`.
pub const HVM_PARAM_VM86_TSS_SIZED: u32 = 37;
/// `HVM_PARAM_MCA_CAP`.
pub const HVM_PARAM_MCA_CAP: u32 = 38;
/// `HVM_NR_PARAMS`: one past the highest index.
pub const HVM_NR_PARAMS: u32 = 39;

/// `HVMPTM_delay_for_missed_ticks`: deliver missed ticks, guest time lags.
pub const HVMPTM_delay_for_missed_ticks: u64 = 0;
/// `HVMPTM_no_delay_for_missed_ticks`: deliver missed ticks, guest time tracks wallclock.
pub const HVMPTM_no_delay_for_missed_ticks: u64 = 1;
/// `HVMPTM_no_missed_ticks_pending`: drop missed ticks.
pub const HVMPTM_no_missed_ticks_pending: u64 = 2;
/// `HVMPTM_one_missed_tick_pending`: collapse missed ticks into one.
pub const HVMPTM_one_missed_tick_pending: u64 = 3;

/// `HVM_PARAM_CALLBACK_IRQ_TYPE_MASK`: bits 63:56 of the value hold the delivery type.
pub const HVM_PARAM_CALLBACK_IRQ_TYPE_MASK: u64 = 0xff00_0000_0000_0000;
/// `HVM_PARAM_CALLBACK_TYPE_GSI`: bits 55:0 are a GSI (not 0).
pub const HVM_PARAM_CALLBACK_TYPE_GSI: u64 = 0;
/// `HVM_PARAM_CALLBACK_TYPE_PCI_INTX`: bits 55:0 are a PCI INTx line.
pub const HVM_PARAM_CALLBACK_TYPE_PCI_INTX: u64 = 1;
/// `HVM_PARAM_CALLBACK_TYPE_VECTOR` (x86): bits 7:0 are an IDT vector.
pub const HVM_PARAM_CALLBACK_TYPE_VECTOR: u64 = 2;
/// Shift of the type field, the lowest set bit of [`HVM_PARAM_CALLBACK_IRQ_TYPE_MASK`]
/// (Rust-side name, after Linux's `HVM_CALLBACK_VIA_TYPE_SHIFT`).
pub const HVM_CALLBACK_VIA_TYPE_SHIFT: u32 = HVM_PARAM_CALLBACK_IRQ_TYPE_MASK.trailing_zeros();

/// The `HVM_PARAM_CALLBACK_IRQ` value that delivers upcalls as IDT vector `vector`.
#[doc(alias = "HVM_CALLBACK_VECTOR")]
#[must_use]
pub const fn hvm_callback_vector(vector: u8) -> u64 {
    (HVM_PARAM_CALLBACK_TYPE_VECTOR << HVM_CALLBACK_VIA_TYPE_SHIFT) | vector as u64
}

const _: () = {
    assert!(HVM_CALLBACK_VIA_TYPE_SHIFT == 56);
    assert!(HVM_PARAM_CALLBACK_IRQ_TYPE_MASK >> HVM_CALLBACK_VIA_TYPE_SHIFT == 0xff);
    assert!(hvm_callback_vector(0xf3) == 0x0200_0000_0000_00f3);
};
