//! The PVH boot handoff: `hvm_start_info` and the tables it points to.
//!
//! Mirrors `xen/include/public/arch-x86/hvm/start_info.h` (Xen 4.17). Xen's PVH loader and QEMU's
//! PVH option ROM both fill this structure and pass its physical address in `ebx` at the 32-bit
//! entry point (see `docs/misc/pvh.pandoc`). Everything here is plain data; the checked parse
//! lives in `xenolith-rt`'s `boot` module.

use core::mem::{offset_of, size_of};

/// `XEN_HVM_START_MAGIC_VALUE`: "xEn3" with the 0x80 bit of the "E" set.
pub const XEN_HVM_START_MAGIC_VALUE: u32 = 0x336e_c578;

/// `SIF_PRIVILEGED`: the guest is a privileged domain (dom0).
pub const SIF_PRIVILEGED: u32 = 1 << 0;
/// `SIF_INITDOMAIN`: the guest is the initial domain.
pub const SIF_INITDOMAIN: u32 = 1 << 1;

/// `XEN_HVM_MEMMAP_TYPE_RAM`: usable RAM.
pub const XEN_HVM_MEMMAP_TYPE_RAM: u32 = 1;
/// `XEN_HVM_MEMMAP_TYPE_RESERVED`.
pub const XEN_HVM_MEMMAP_TYPE_RESERVED: u32 = 2;
/// `XEN_HVM_MEMMAP_TYPE_ACPI`: ACPI tables, reclaimable after parsing.
pub const XEN_HVM_MEMMAP_TYPE_ACPI: u32 = 3;
/// `XEN_HVM_MEMMAP_TYPE_NVS`: ACPI non-volatile storage.
pub const XEN_HVM_MEMMAP_TYPE_NVS: u32 = 4;
/// `XEN_HVM_MEMMAP_TYPE_UNUSABLE`.
pub const XEN_HVM_MEMMAP_TYPE_UNUSABLE: u32 = 5;
/// `XEN_HVM_MEMMAP_TYPE_DISABLED`.
pub const XEN_HVM_MEMMAP_TYPE_DISABLED: u32 = 6;
/// `XEN_HVM_MEMMAP_TYPE_PMEM`: persistent memory.
pub const XEN_HVM_MEMMAP_TYPE_PMEM: u32 = 7;

/// The start-of-day structure a PVH guest receives.
#[doc(alias = "struct hvm_start_info")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct hvm_start_info {
    /// Must be [`XEN_HVM_START_MAGIC_VALUE`].
    pub magic: u32,
    /// Version of this structure (0 or 1; fields from `memmap_paddr` on exist from 1).
    pub version: u32,
    /// `SIF_*` flags.
    pub flags: u32,
    /// Number of entries at `modlist_paddr`.
    pub nr_modules: u32,
    /// Physical address of an array of [`hvm_modlist_entry`].
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line, or 0.
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP, or 0.
    pub rsdp_paddr: u64,
    /// Version 1: physical address of an array of [`hvm_memmap_table_entry`].
    pub memmap_paddr: u64,
    /// Version 1: number of memory map entries (0: no map provided).
    pub memmap_entries: u32,
    /// Must be zero.
    pub reserved: u32,
}

/// One boot module (an `-initrd` under QEMU, the `ramdisk=` of an xl config).
#[doc(alias = "struct hvm_modlist_entry")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct hvm_modlist_entry {
    /// Physical address of the module.
    pub paddr: u64,
    /// Size of the module in bytes.
    pub size: u64,
    /// Physical address of the module's NUL-terminated command line, or 0.
    pub cmdline_paddr: u64,
    /// Reserved.
    pub reserved: u64,
}

/// One memory map entry (E820-like).
#[doc(alias = "struct hvm_memmap_table_entry")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct hvm_memmap_table_entry {
    /// Base address of the region.
    pub addr: u64,
    /// Size of the region in bytes.
    pub size: u64,
    /// `XEN_HVM_MEMMAP_TYPE_*`.
    pub r#type: u32,
    /// Must be zero for version 1.
    pub reserved: u32,
}

const _: () = {
    assert!(size_of::<hvm_start_info>() == 56);
    assert!(offset_of!(hvm_start_info, nr_modules) == 12);
    assert!(offset_of!(hvm_start_info, modlist_paddr) == 16);
    assert!(offset_of!(hvm_start_info, cmdline_paddr) == 24);
    assert!(offset_of!(hvm_start_info, rsdp_paddr) == 32);
    assert!(offset_of!(hvm_start_info, memmap_paddr) == 40);
    assert!(offset_of!(hvm_start_info, memmap_entries) == 48);
    assert!(size_of::<hvm_modlist_entry>() == 32);
    assert!(offset_of!(hvm_modlist_entry, cmdline_paddr) == 16);
    assert!(size_of::<hvm_memmap_table_entry>() == 24);
    assert!(offset_of!(hvm_memmap_table_entry, r#type) == 16);
};
