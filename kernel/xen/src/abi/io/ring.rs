//! Layout of the generic shared request/response ring, and its entry-count computation.
//!
//! Mirrors the data part of `xen/include/public/io/ring.h` (Xen 4.17), which is macros:
//! `DEFINE_RING_TYPES(name, req, rsp)` declares `union name_sring_entry { req; rsp; }` and
//! `struct name_sring`, a 64-byte header (`req_prod`, `req_event`, `rsp_prod`, `rsp_event`, a
//! 4-byte private union and 44 bytes of padding) followed by as many entries as fit in the
//! shared area, rounded down to a power of two (`__CONST_RING_SIZE`). [`sring`] is that struct
//! with the entry type and count as parameters; each protocol module names its own instance
//! (e.g. [`netif_tx_sring`](super::netif::netif_tx_sring)).
//!
//! Only the layout lives here. The index arithmetic and barriers (`RING_PUSH_REQUESTS_AND_CHECK_NOTIFY`,
//! `RING_FINAL_CHECK_FOR_RESPONSES`) are in the ring module that uses these types. Indexes are
//! free-running `u32`s: slot = index & (entries - 1).

use core::mem::{offset_of, size_of};

/// A free-running ring index.
pub type RING_IDX = u32;

/// `XEN_PAGE_SHIFT`: ring protocols always use 4 KiB pages, whatever the guest's page size.
pub const XEN_PAGE_SHIFT: u32 = 12;
/// Size of a ring page, `1 << XEN_PAGE_SHIFT` (Rust-side name, as Linux's `XEN_PAGE_SIZE`).
pub const XEN_PAGE_SIZE: usize = 1 << XEN_PAGE_SHIFT;

/// Offset of `ring[0]` in every `*_sring`: the size of the shared header (Rust-side name).
pub const SRING_HEADER_SIZE: usize = 64;

/// A shared ring (`struct name_sring`) of `N` entries of type `E`, where `E` is the protocol's
/// `name_sring_entry` union and `N` its [`const_ring_size`].
///
/// Both ends write this memory: the frontend `req_prod` and `rsp_event`, the backend `rsp_prod`
/// and `req_event`, and each its own kind of entry.
#[doc(alias = "DEFINE_RING_TYPES")]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sring<E, const N: usize> {
    /// Requests produced so far (written by the frontend).
    pub req_prod: RING_IDX,
    /// Backend wants an event when `req_prod` passes this (written by the backend).
    pub req_event: RING_IDX,
    /// Responses produced so far (written by the backend).
    pub rsp_prod: RING_IDX,
    /// Frontend wants an event when `rsp_prod` passes this (written by the frontend).
    pub rsp_event: RING_IDX,
    /// Union `pvt` (`netif.smartpoll_active`, `tapif_user.msg`), mirrored as `pvt_pad[4]`.
    pub pvt: [u8; 4],
    /// Padding up to the entries at offset 64.
    pub __pad: [u8; 44],
    /// The entries (`ring[1]`, variable-length, in C).
    pub ring: [E; N],
}

/// `__RD32`: round a 32-bit value down to a power of two (0 stays 0).
#[doc(alias = "__RD32")]
#[must_use]
pub const fn rd32(x: u32) -> u32 {
    if x == 0 { 0 } else { 1 << x.ilog2() }
}

/// `__CONST_RING_SIZE`: how many entries of type `E` (the `name_sring_entry` union) a ring in
/// `area_bytes` bytes holds: what fits after the header, rounded down to a power of two.
///
/// Fails to compile (in a `const`) if `area_bytes` is smaller than the header.
#[doc(alias = "__CONST_RING_SIZE")]
#[must_use]
pub const fn const_ring_size<E>(area_bytes: usize) -> usize {
    rd32(((area_bytes - SRING_HEADER_SIZE) / size_of::<E>()) as u32) as usize
}

const _: () = {
    assert!(XEN_PAGE_SIZE == 4096);
    assert!(offset_of!(sring<u64, 1>, req_prod) == 0);
    assert!(offset_of!(sring<u64, 1>, req_event) == 4);
    assert!(offset_of!(sring<u64, 1>, rsp_prod) == 8);
    assert!(offset_of!(sring<u64, 1>, rsp_event) == 12);
    assert!(offset_of!(sring<u64, 1>, pvt) == 16);
    assert!(offset_of!(sring<u64, 1>, __pad) == 20);
    assert!(offset_of!(sring<u64, 1>, ring) == SRING_HEADER_SIZE);
    assert!(offset_of!(sring<u8, 1>, ring) == SRING_HEADER_SIZE);
    assert!(rd32(0) == 0 && rd32(1) == 1 && rd32(3) == 2 && rd32(336) == 256);
    assert!(rd32(u32::MAX) == 1 << 31);
    assert!(const_ring_size::<[u32; 3]>(XEN_PAGE_SIZE) == 256);
};
