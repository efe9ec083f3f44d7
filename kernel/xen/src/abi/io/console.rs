//! The PV console ring page.
//!
//! Mirrors `xen/include/public/io/console.h` (Xen 4.17). The page (`HVM_PARAM_CONSOLE_PFN`)
//! holds two byte rings with free-running indexes, slot = index & (ring length - 1): the guest
//! produces into `out` (advancing `out_prod`) and consumes from `in` (advancing `in_cons`), then
//! signals `HVM_PARAM_CONSOLE_EVTCHN`.

use core::mem::{offset_of, size_of};

/// A free-running index into a console ring.
pub type XENCONS_RING_IDX = u32;

/// The console ring page shared with xenconsoled.
#[doc(alias = "struct xencons_interface")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct xencons_interface {
    /// Input from the console (C `in`).
    pub r#in: [u8; 1024],
    /// Output to the console.
    pub out: [u8; 2048],
    /// Consumer index of `in` (written by the guest).
    pub in_cons: XENCONS_RING_IDX,
    /// Producer index of `in` (written by the backend).
    pub in_prod: XENCONS_RING_IDX,
    /// Consumer index of `out` (written by the backend).
    pub out_cons: XENCONS_RING_IDX,
    /// Producer index of `out` (written by the guest).
    pub out_prod: XENCONS_RING_IDX,
}

const _: () = {
    assert!(size_of::<xencons_interface>() == 3088);
    assert!(offset_of!(xencons_interface, out) == 1024);
    assert!(offset_of!(xencons_interface, in_cons) == 3072);
    assert!(offset_of!(xencons_interface, in_prod) == 3076);
    assert!(offset_of!(xencons_interface, out_cons) == 3080);
    assert!(offset_of!(xencons_interface, out_prod) == 3084);
};
