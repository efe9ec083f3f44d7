//! `HYPERVISOR_grant_table_op` and the version 1 grant entry.
//!
//! Mirrors the frontend parts of `xen/include/public/grant_table.h` (Xen 4.17). A frontend
//! shares a page with a backend by filling a [`grant_entry_v1`] in its own grant table (frames
//! mapped with `XENMEM_add_to_physmap(XENMAPSPACE_grant_table)`) and passing the entry's index,
//! a `grant_ref_t`, to the backend. Write `frame` and `domid` first, then (after a write barrier)
//! `flags`; to revoke, clear `flags` with a compare-and-swap that fails while the backend has
//! `GTF_reading`/`GTF_writing` set.

use core::mem::{offset_of, size_of};

use super::xen::domid_t;

/// Index of an entry in the grant table.
pub type grant_ref_t = u32;
/// Handle returned by a grant mapping.
pub type grant_handle_t = u32;

/// `GNTTAB_NR_RESERVED_ENTRIES`: entries kept by the toolstack; allocate refs from here up.
pub const GNTTAB_NR_RESERVED_ENTRIES: grant_ref_t = 8;
/// `GNTTAB_RESERVED_CONSOLE`: entry granting the console ring to dom0.
pub const GNTTAB_RESERVED_CONSOLE: grant_ref_t = 0;
/// `GNTTAB_RESERVED_XENSTORE`: entry granting the xenstore ring to dom0.
pub const GNTTAB_RESERVED_XENSTORE: grant_ref_t = 1;

/// `GTF_invalid`: the entry grants nothing.
pub const GTF_invalid: u16 = 0;
/// `GTF_permit_access`: `domid` may map or copy `frame`.
pub const GTF_permit_access: u16 = 1;
/// `GTF_accept_transfer`: `domid` may transfer a page into `frame`.
pub const GTF_accept_transfer: u16 = 2;
/// `GTF_transitive`: a transitive grant (v2 only).
pub const GTF_transitive: u16 = 3;
/// `GTF_type_mask`: the type bits of `flags`.
pub const GTF_type_mask: u16 = 3;
/// `GTF_readonly`: the grantee may only read.
pub const GTF_readonly: u16 = 1 << 2;
/// `GTF_reading`: set by Xen while the grantee has the frame mapped or is copying from it.
pub const GTF_reading: u16 = 1 << 3;
/// `GTF_writing`: set by Xen while the grantee has the frame mapped writable or is copying to it.
pub const GTF_writing: u16 = 1 << 4;
/// `GTF_PWT`: map with write-through caching.
pub const GTF_PWT: u16 = 1 << 5;
/// `GTF_PCD`: map uncached.
pub const GTF_PCD: u16 = 1 << 6;
/// `GTF_PAT`: map with the PAT bit.
pub const GTF_PAT: u16 = 1 << 7;
/// `GTF_sub_page`: the grant covers part of a page (v2 only).
pub const GTF_sub_page: u16 = 1 << 8;
/// `GTF_transfer_committed`: the transfer is committed (accept-transfer entries).
pub const GTF_transfer_committed: u16 = 1 << 2;
/// `GTF_transfer_completed`: the transfer is complete (accept-transfer entries).
pub const GTF_transfer_completed: u16 = 1 << 3;

/// `GNTTABOP_map_grant_ref`.
pub const GNTTABOP_map_grant_ref: u32 = 0;
/// `GNTTABOP_unmap_grant_ref`.
pub const GNTTABOP_unmap_grant_ref: u32 = 1;
/// `GNTTABOP_setup_table`: list the frames of the grant table; arg is [`gnttab_setup_table`].
pub const GNTTABOP_setup_table: u32 = 2;
/// `GNTTABOP_dump_table`.
pub const GNTTABOP_dump_table: u32 = 3;
/// `GNTTABOP_transfer`.
pub const GNTTABOP_transfer: u32 = 4;
/// `GNTTABOP_copy`.
pub const GNTTABOP_copy: u32 = 5;
/// `GNTTABOP_query_size`: current and maximum frames; arg is [`gnttab_query_size`].
pub const GNTTABOP_query_size: u32 = 6;
/// `GNTTABOP_unmap_and_replace`.
pub const GNTTABOP_unmap_and_replace: u32 = 7;
/// `GNTTABOP_set_version`: choose grant table v1 or v2; arg is [`gnttab_set_version`].
pub const GNTTABOP_set_version: u32 = 8;
/// `GNTTABOP_get_status_frames`.
pub const GNTTABOP_get_status_frames: u32 = 9;
/// `GNTTABOP_get_version`.
pub const GNTTABOP_get_version: u32 = 10;
/// `GNTTABOP_swap_grant_ref`.
pub const GNTTABOP_swap_grant_ref: u32 = 11;
/// `GNTTABOP_cache_flush`.
pub const GNTTABOP_cache_flush: u32 = 12;

/// `GNTST_okay`.
pub const GNTST_okay: i16 = 0;
/// `GNTST_general_error`: undefined error.
pub const GNTST_general_error: i16 = -1;
/// `GNTST_bad_domain`: unrecognised domain id.
pub const GNTST_bad_domain: i16 = -2;
/// `GNTST_bad_gntref`: unrecognised or inappropriate grant reference.
pub const GNTST_bad_gntref: i16 = -3;
/// `GNTST_bad_handle`: unrecognised or inappropriate handle.
pub const GNTST_bad_handle: i16 = -4;
/// `GNTST_bad_virt_addr`: inappropriate virtual address to map.
pub const GNTST_bad_virt_addr: i16 = -5;
/// `GNTST_bad_dev_addr`: inappropriate device address to unmap.
pub const GNTST_bad_dev_addr: i16 = -6;
/// `GNTST_no_device_space`: out of space in the I/O MMU.
pub const GNTST_no_device_space: i16 = -7;
/// `GNTST_permission_denied`: not enough privilege for the operation.
pub const GNTST_permission_denied: i16 = -8;
/// `GNTST_bad_page`: the page was invalid for the operation.
pub const GNTST_bad_page: i16 = -9;
/// `GNTST_bad_copy_arg`: copy arguments cross a page boundary.
pub const GNTST_bad_copy_arg: i16 = -10;
/// `GNTST_address_too_big`: transfer page address too large.
pub const GNTST_address_too_big: i16 = -11;
/// `GNTST_eagain`: operation not done; try again.
pub const GNTST_eagain: i16 = -12;
/// `GNTST_no_space`: out of space (handles etc.).
pub const GNTST_no_space: i16 = -13;

/// A version 1 grant-table entry.
#[doc(alias = "struct grant_entry_v1", alias = "grant_entry_v1_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct grant_entry_v1 {
    /// `GTF_*` type and flags; written last by the granter, `GTF_reading`/`GTF_writing` by Xen.
    pub flags: u16,
    /// The domain being granted access.
    pub domid: domid_t,
    /// The guest frame number being granted.
    pub frame: u32,
}

/// Argument of `GNTTABOP_setup_table`.
#[doc(alias = "struct gnttab_setup_table", alias = "gnttab_setup_table_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct gnttab_setup_table {
    /// Domain (`DOMID_SELF`).
    pub dom: domid_t,
    /// Number of frames to list (and to grow the table to).
    pub nr_frames: u32,
    /// Out: `GNTST_*`.
    pub status: i16,
    /// Guest handle: address of an array of `nr_frames` `xen_pfn_t`, filled by Xen.
    pub frame_list: u64,
}

/// Argument of `GNTTABOP_query_size`.
#[doc(alias = "struct gnttab_query_size", alias = "gnttab_query_size_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct gnttab_query_size {
    /// Domain (`DOMID_SELF`).
    pub dom: domid_t,
    /// Out: current number of frames.
    pub nr_frames: u32,
    /// Out: maximum number of frames.
    pub max_nr_frames: u32,
    /// Out: `GNTST_*`.
    pub status: i16,
}

/// Argument of `GNTTABOP_set_version`.
#[doc(alias = "struct gnttab_set_version", alias = "gnttab_set_version_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct gnttab_set_version {
    /// In: the version wanted (1 or 2); out: the version in force.
    pub version: u32,
}

const _: () = {
    assert!(size_of::<grant_entry_v1>() == 8);
    assert!(offset_of!(grant_entry_v1, domid) == 2);
    assert!(offset_of!(grant_entry_v1, frame) == 4);
    assert!(size_of::<gnttab_setup_table>() == 24);
    assert!(offset_of!(gnttab_setup_table, nr_frames) == 4);
    assert!(offset_of!(gnttab_setup_table, status) == 8);
    assert!(offset_of!(gnttab_setup_table, frame_list) == 16);
    assert!(size_of::<gnttab_query_size>() == 16);
    assert!(offset_of!(gnttab_query_size, nr_frames) == 4);
    assert!(offset_of!(gnttab_query_size, max_nr_frames) == 8);
    assert!(offset_of!(gnttab_query_size, status) == 12);
    assert!(size_of::<gnttab_set_version>() == 4);
};
