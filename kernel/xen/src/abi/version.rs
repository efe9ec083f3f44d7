//! `HYPERVISOR_xen_version`: the version and the feature bitmap.
//!
//! Mirrors `xen/include/public/version.h` and the feature numbers of `features.h` (Xen 4.17).

use core::mem::{offset_of, size_of};

/// `XENVER_version`: returns `major << 16 | minor`.
pub const XENVER_version: u32 = 0;
/// `XENVER_get_features`: arg is [`xen_feature_info`].
pub const XENVER_get_features: u32 = 6;

/// `XENFEAT_hvm_callback_vector`: upcalls can be delivered as an IDT vector.
pub const XENFEAT_hvm_callback_vector: u32 = 8;
/// `XENFEAT_hvm_safe_pvclock`: the pvclock algorithm is safe to use on HVM.
pub const XENFEAT_hvm_safe_pvclock: u32 = 9;
/// `XENFEAT_hvm_pirqs`: HVM guests can use PIRQs.
pub const XENFEAT_hvm_pirqs: u32 = 10;

/// Argument of `XENVER_get_features`.
#[doc(alias = "struct xen_feature_info")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct xen_feature_info {
    /// IN: which 32-bit submap to return.
    pub submap_idx: u32,
    /// OUT: the submap.
    pub submap: u32,
}

const _: () = {
    assert!(size_of::<xen_feature_info>() == 8);
    assert!(offset_of!(xen_feature_info, submap) == 4);
};
