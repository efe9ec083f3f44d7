//! Xen PVH guest interface: hypercalls, `shared_info`, event channels, grant tables, xenstore,
//! the PV console and netfront.
//!
//! `abi` holds plain `#[repr(C)]` mirrors of Xen's public headers; they build and test on the
//! host. The drivers that touch shared memory are gated on `target_os = "none"`.
#![no_std]
// `unsafe` is allowed only in `hypercall` (the typed wrappers that pass pointers to Xen) and
// `platform` (installing the hypercall page); shared memory is reached through
// `xenolith_arch::shared::SharedMemory`.
#![deny(unsafe_code)]

extern crate alloc;

pub mod abi;
pub mod byte_ring;
pub mod console;
pub mod events;
pub mod grant_table;
#[cfg(target_os = "none")]
pub mod hypercall;
pub mod hypervisor;
pub mod netfront;
#[cfg(target_os = "none")]
pub mod platform;
pub mod ring;
/// Shared memory: the one wrapper, from `kernel/arch` (re-exported under its old path).
pub use xenolith_arch::shared;
/// Test doubles: a fake hypervisor, xenstored and netback (unit tests, and fuzz/ with feature
/// `fuzzing`).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod testing;
pub mod time;
pub mod types;
pub mod xenbus;
pub mod xenstore;

pub use hypervisor::{Errno, Hypervisor, ShutdownReason};
pub use shared::SharedMemory;
pub use types::{DomId, EventChannelPort, Gfn, GrantRef};
