//! `HYPERVISOR_memory_op`: mapping Xen pages (shared info, grant frames) into the guest
//! physical address space, and reading the guest's memory map.
//!
//! Mirrors the guest-visible parts of `xen/include/public/memory.h` (Xen 4.17). A PVH guest picks
//! a free guest frame, then asks Xen to place the page there with `XENMEM_add_to_physmap`.

use core::mem::{offset_of, size_of};

use super::xen::{domid_t, xen_pfn_t, xen_ulong_t};

/// `XENMEM_increase_reservation`.
pub const XENMEM_increase_reservation: u32 = 0;
/// `XENMEM_decrease_reservation`: balloon pages out.
pub const XENMEM_decrease_reservation: u32 = 1;
/// `XENMEM_maximum_ram_page`.
pub const XENMEM_maximum_ram_page: u32 = 2;
/// `XENMEM_current_reservation`: pages the domain has.
pub const XENMEM_current_reservation: u32 = 3;
/// `XENMEM_maximum_reservation`: pages the domain may have.
pub const XENMEM_maximum_reservation: u32 = 4;
/// `XENMEM_populate_physmap`.
pub const XENMEM_populate_physmap: u32 = 6;
/// `XENMEM_add_to_physmap`: map a Xen-owned page at a guest frame; arg is [`xen_add_to_physmap`].
pub const XENMEM_add_to_physmap: u32 = 7;
/// `XENMEM_memory_map`: the guest's E820-style memory map; arg is [`xen_memory_map`].
pub const XENMEM_memory_map: u32 = 9;
/// `XENMEM_maximum_gpfn`: highest guest frame in use.
pub const XENMEM_maximum_gpfn: u32 = 14;
/// `XENMEM_remove_from_physmap`.
pub const XENMEM_remove_from_physmap: u32 = 15;

/// `XENMAPSPACE_shared_info`: the shared-info page (`idx` 0).
pub const XENMAPSPACE_shared_info: u32 = 0;
/// `XENMAPSPACE_grant_table`: grant-table frame `idx` (or a status frame, see
/// [`XENMAPIDX_grant_table_status`]).
pub const XENMAPSPACE_grant_table: u32 = 1;
/// `XENMAPSPACE_gmfn`: another guest frame of the same domain.
pub const XENMAPSPACE_gmfn: u32 = 2;
/// `XENMAPSPACE_gmfn_range`: `size` guest frames.
pub const XENMAPSPACE_gmfn_range: u32 = 3;
/// `XENMAPSPACE_gmfn_foreign`: a frame of another domain (batch op only).
pub const XENMAPSPACE_gmfn_foreign: u32 = 4;
/// `XENMAPSPACE_dev_mmio`: a device MMIO region (Arm only).
pub const XENMAPSPACE_dev_mmio: u32 = 5;

/// `XENMAPIDX_grant_table_status`: or-ed into `idx` to map a grant v2 status frame.
pub const XENMAPIDX_grant_table_status: xen_ulong_t = 0x8000_0000;

/// Argument of `XENMEM_add_to_physmap`.
#[doc(alias = "struct xen_add_to_physmap", alias = "xen_add_to_physmap_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_add_to_physmap {
    /// Domain whose physmap changes (`DOMID_SELF`).
    pub domid: domid_t,
    /// Number of frames, for `XENMAPSPACE_gmfn_range` only.
    pub size: u16,
    /// `XENMAPSPACE_*`.
    pub space: u32,
    /// Index into the space (e.g. grant frame number).
    pub idx: xen_ulong_t,
    /// Guest frame at which the page should appear.
    pub gpfn: xen_pfn_t,
}

/// Argument of `XENMEM_memory_map`.
#[doc(alias = "struct xen_memory_map", alias = "xen_memory_map_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_memory_map {
    /// In: entries the buffer holds; out: entries written.
    pub nr_entries: u32,
    /// Guest handle: address of an array of E820 entries (20 bytes each).
    pub buffer: u64,
}

const _: () = {
    assert!(size_of::<xen_add_to_physmap>() == 24);
    assert!(offset_of!(xen_add_to_physmap, size) == 2);
    assert!(offset_of!(xen_add_to_physmap, space) == 4);
    assert!(offset_of!(xen_add_to_physmap, idx) == 8);
    assert!(offset_of!(xen_add_to_physmap, gpfn) == 16);
    assert!(size_of::<xen_memory_map>() == 16);
    assert!(offset_of!(xen_memory_map, buffer) == 8);
};
