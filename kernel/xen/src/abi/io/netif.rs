//! The network frontend/backend protocol: TX and RX ring entries, their flags and statuses.
//!
//! Mirrors the ring parts of `xen/include/public/io/netif.h` (Xen 4.17; the control ring and
//! hash extensions are left out). The frontend grants each TX buffer and posts a
//! [`netif_tx_request`]; the backend answers with a [`netif_tx_response`] echoing `id`. For RX,
//! the frontend posts granted empty pages with [`netif_rx_request`] and the backend fills them
//! (`request-rx-copy`) and answers with [`netif_rx_response`], whose `status` is the length on
//! success. Every `id`, `offset`, `status` and `flags` read back is untrusted.

use core::fmt;
use core::mem::{offset_of, size_of};

use super::ring::{XEN_PAGE_SIZE, const_ring_size, sring};
use crate::abi::grant_table::grant_ref_t;

/// `XEN_NETIF_NR_SLOTS_MIN`: slots per packet a backend must accept (and a frontend may use).
pub const XEN_NETIF_NR_SLOTS_MIN: u32 = 18;
/// `XEN_NETIF_MAX_TX_SIZE`: largest packet (`size` of the first TX slot).
pub const XEN_NETIF_MAX_TX_SIZE: u32 = 0xffff;

/// `NETTXF_csum_blank`: the protocol checksum is not filled in (offload).
pub const NETTXF_csum_blank: u16 = 1 << 0;
/// `NETTXF_data_validated`: the packet's checksum has been validated.
pub const NETTXF_data_validated: u16 = 1 << 1;
/// `NETTXF_more_data`: the packet continues in the next slot.
pub const NETTXF_more_data: u16 = 1 << 2;
/// `NETTXF_extra_info`: a [`netif_extra_info`] slot follows.
pub const NETTXF_extra_info: u16 = 1 << 3;

/// `NETRXF_data_validated`: the packet's checksum has been validated.
pub const NETRXF_data_validated: u16 = 1 << 0;
/// `NETRXF_csum_blank`: the protocol checksum is not filled in (offload).
pub const NETRXF_csum_blank: u16 = 1 << 1;
/// `NETRXF_more_data`: the packet continues in the next slot.
pub const NETRXF_more_data: u16 = 1 << 2;
/// `NETRXF_extra_info`: a [`netif_extra_info`] slot follows.
pub const NETRXF_extra_info: u16 = 1 << 3;
/// `NETRXF_gso_prefix`: the packet has a GSO prefix (deprecated).
pub const NETRXF_gso_prefix: u16 = 1 << 4;

/// `NETIF_RSP_DROPPED`: the packet was dropped.
pub const NETIF_RSP_DROPPED: i16 = -2;
/// `NETIF_RSP_ERROR`: the request failed.
pub const NETIF_RSP_ERROR: i16 = -1;
/// `NETIF_RSP_OKAY`: success (TX; an RX status is the length instead).
pub const NETIF_RSP_OKAY: i16 = 0;
/// `NETIF_RSP_NULL`: no response, for auxiliary slots such as extra info.
pub const NETIF_RSP_NULL: i16 = 1;

/// `XEN_NETIF_EXTRA_TYPE_NONE`: never used.
pub const XEN_NETIF_EXTRA_TYPE_NONE: u8 = 0;
/// `XEN_NETIF_EXTRA_TYPE_GSO`: segmentation offload parameters.
pub const XEN_NETIF_EXTRA_TYPE_GSO: u8 = 1;
/// `XEN_NETIF_EXTRA_TYPE_MCAST_ADD`: add a multicast address.
pub const XEN_NETIF_EXTRA_TYPE_MCAST_ADD: u8 = 2;
/// `XEN_NETIF_EXTRA_TYPE_MCAST_DEL`: remove a multicast address.
pub const XEN_NETIF_EXTRA_TYPE_MCAST_DEL: u8 = 3;
/// `XEN_NETIF_EXTRA_TYPE_HASH`: packet hash.
pub const XEN_NETIF_EXTRA_TYPE_HASH: u8 = 4;
/// `XEN_NETIF_EXTRA_TYPE_MAX`: one past the highest type.
pub const XEN_NETIF_EXTRA_TYPE_MAX: u8 = 5;
/// `XEN_NETIF_EXTRA_FLAG_MORE`: another extra-info slot follows.
pub const XEN_NETIF_EXTRA_FLAG_MORE: u8 = 1 << 0;
/// `XEN_NETIF_GSO_TYPE_NONE`.
pub const XEN_NETIF_GSO_TYPE_NONE: u8 = 0;
/// `XEN_NETIF_GSO_TYPE_TCPV4`.
pub const XEN_NETIF_GSO_TYPE_TCPV4: u8 = 1;
/// `XEN_NETIF_GSO_TYPE_TCPV6`.
pub const XEN_NETIF_GSO_TYPE_TCPV6: u8 = 2;

/// A TX slot posted by the frontend.
#[doc(alias = "struct netif_tx_request", alias = "netif_tx_request_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct netif_tx_request {
    /// Grant of the page holding the data.
    pub gref: grant_ref_t,
    /// Offset of the data in the page.
    pub offset: u16,
    /// `NETTXF_*`.
    pub flags: u16,
    /// Echoed in the response.
    pub id: u16,
    /// First slot: size of the whole packet; later slots: size of this fragment.
    pub size: u16,
}

/// An extra-info slot (GSO, multicast, hash), following a request with `*_extra_info`.
#[doc(alias = "struct netif_extra_info", alias = "netif_extra_info_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct netif_extra_info {
    /// `XEN_NETIF_EXTRA_TYPE_*`.
    pub r#type: u8,
    /// `XEN_NETIF_EXTRA_FLAG_*`.
    pub flags: u8,
    /// Union `u` (`gso`, `mcast`, `hash`), mirrored as its raw member `uint16_t pad[3]`.
    pub u: [u16; 3],
}

/// The backend's answer to a TX request.
#[doc(alias = "struct netif_tx_response", alias = "netif_tx_response_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct netif_tx_response {
    /// The request's `id`.
    pub id: u16,
    /// `NETIF_RSP_*`.
    pub status: i16,
}

/// An RX buffer posted by the frontend.
#[doc(alias = "struct netif_rx_request", alias = "netif_rx_request_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct netif_rx_request {
    /// Echoed in the response.
    pub id: u16,
    /// Padding.
    pub pad: u16,
    /// Grant of the empty page to fill.
    pub gref: grant_ref_t,
}

/// The backend's answer to an RX request: a received packet (fragment).
#[doc(alias = "struct netif_rx_response", alias = "netif_rx_response_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct netif_rx_response {
    /// The request's `id`.
    pub id: u16,
    /// Offset of the data in the page.
    pub offset: u16,
    /// `NETRXF_*`.
    pub flags: u16,
    /// Length of the data if positive, else `NETIF_RSP_*`.
    pub status: i16,
}

/// One TX ring slot: a request from the frontend, later overwritten by the response.
#[doc(alias = "union netif_tx_sring_entry")]
#[repr(C)]
#[derive(Clone, Copy)]
pub union netif_tx_sring_entry {
    /// The request, as the frontend writes it.
    pub req: netif_tx_request,
    /// The response, as the backend writes it.
    pub rsp: netif_tx_response,
}

/// One RX ring slot: a request from the frontend, later overwritten by the response.
#[doc(alias = "union netif_rx_sring_entry")]
#[repr(C)]
#[derive(Clone, Copy)]
pub union netif_rx_sring_entry {
    /// The request, as the frontend writes it.
    pub req: netif_rx_request,
    /// The response, as the backend writes it.
    pub rsp: netif_rx_response,
}

// A union cannot say which member is live, so these print no contents.
impl fmt::Debug for netif_tx_sring_entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("netif_tx_sring_entry")
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for netif_rx_sring_entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("netif_rx_sring_entry")
            .finish_non_exhaustive()
    }
}

/// Entries in a one-page TX ring, `__CONST_RING_SIZE(netif_tx, 4096)` (256).
pub const NET_TX_RING_SIZE: usize = const_ring_size::<netif_tx_sring_entry>(XEN_PAGE_SIZE);
/// Entries in a one-page RX ring, `__CONST_RING_SIZE(netif_rx, 4096)` (256).
pub const NET_RX_RING_SIZE: usize = const_ring_size::<netif_rx_sring_entry>(XEN_PAGE_SIZE);

/// The one-page TX shared ring, `struct netif_tx_sring`.
#[doc(alias = "struct netif_tx_sring", alias = "netif_tx_sring_t")]
pub type netif_tx_sring = sring<netif_tx_sring_entry, NET_TX_RING_SIZE>;
/// The one-page RX shared ring, `struct netif_rx_sring`.
#[doc(alias = "struct netif_rx_sring", alias = "netif_rx_sring_t")]
pub type netif_rx_sring = sring<netif_rx_sring_entry, NET_RX_RING_SIZE>;

const _: () = {
    assert!(size_of::<netif_tx_request>() == 12);
    assert!(offset_of!(netif_tx_request, offset) == 4);
    assert!(offset_of!(netif_tx_request, flags) == 6);
    assert!(offset_of!(netif_tx_request, id) == 8);
    assert!(offset_of!(netif_tx_request, size) == 10);
    assert!(size_of::<netif_extra_info>() == 8);
    assert!(offset_of!(netif_extra_info, flags) == 1);
    assert!(offset_of!(netif_extra_info, u) == 2);
    assert!(size_of::<netif_tx_response>() == 4);
    assert!(offset_of!(netif_tx_response, status) == 2);
    assert!(size_of::<netif_rx_request>() == 8);
    assert!(offset_of!(netif_rx_request, gref) == 4);
    assert!(size_of::<netif_rx_response>() == 8);
    assert!(offset_of!(netif_rx_response, offset) == 2);
    assert!(offset_of!(netif_rx_response, flags) == 4);
    assert!(offset_of!(netif_rx_response, status) == 6);
    assert!(size_of::<netif_tx_sring_entry>() == 12);
    assert!(size_of::<netif_rx_sring_entry>() == 8);
    assert!(NET_TX_RING_SIZE == 256);
    assert!(NET_RX_RING_SIZE == 256);
    assert!(offset_of!(netif_tx_sring, ring) == 64);
    assert!(size_of::<netif_tx_sring>() <= XEN_PAGE_SIZE);
    assert!(size_of::<netif_rx_sring>() <= XEN_PAGE_SIZE);
};
