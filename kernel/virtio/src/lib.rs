//! virtio-net over PCI (modern virtio 1.x, virtio spec v1.2) for QEMU and other KVM-style
//! hosts.
//!
//! - [`pci`]: finding the device and its virtio structures (§4.1.2, §4.1.4);
//! - `transport`: the common configuration, notification and MSI-X registers (§4.1.4-5);
//! - [`queue`]: split virtqueues, with the used ring treated as untrusted input (§2.7);
//! - [`net`]: the network device (§5.1), a [`xenolith_device::NetDevice`].
//!
//! The crate has no `unsafe`: whatever touches hardware comes through three small traits the
//! runtime implements — [`PciConfig`] (configuration space by port I/O), [`Platform`] (mapping
//! device registers, allocating DMA memory) and [`Registers`] (implemented here for
//! [`SharedMemory`], the one wrapper for memory a device also writes). Host tests drive
//! everything against fakes that play the device.
//!
//! Typical use by the runtime:
//!
//! ```text
//! let mut net = VirtioNet::probe(&PortIoPci, &platform, rdrand_seed)?;
//! if net.enable_msix(&PortIoPci, NET_VECTOR, lapic_id).is_err() { /* poll has_work() */ }
//! ```
#![no_std]
#![forbid(unsafe_code)]

mod error;
pub mod net;
pub mod pci;
pub mod platform;
pub mod queue;
/// Test doubles: a fake PCI space and virtio-net device (unit tests, and fuzz/ with feature
/// `fuzzing`).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod testing;
mod transport;

pub use error::Error;
pub use net::VirtioNet;
pub use pci::{Bdf, PciConfig, VirtioPciDevice};
pub use platform::{Platform, Registers};
pub use xenolith_arch::shared::SharedMemory;
