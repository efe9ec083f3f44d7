//! Xen PVH guest interface: hypercalls, `shared_info`, event channels, grant tables, xenstore,
//! the PV console and netfront.
//!
//! `abi` holds plain `#[repr(C)]` mirrors of Xen's public headers; they build and test on the
//! host. The drivers that touch shared memory are gated on `target_os = "none"`.
#![no_std]

pub mod abi;
