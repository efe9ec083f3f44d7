//! Mirrors of `xen/include/public/hvm/`: the HVM parameters a PVH guest reads and sets.
//!
//! A PVH guest is an HVM guest without emulated devices, so it finds its xenstore and console
//! pages and event channels, and chooses how event upcalls arrive, through `HVMOP_get_param` /
//! `HVMOP_set_param`.

pub mod hvm_op;
pub mod params;
