//! The network stack: smoltcp behind a [`NetDevice`] trait, with async sockets.
//!
//! Drivers (netfront in `kernel/xen`, virtio-net in `kernel/virtio`, a TAP device in hosted
//! mode) implement [`NetDevice`]; the stack, its configuration and the sockets build on it.
#![no_std]
#![forbid(unsafe_code)]

pub mod device;

pub use device::{DeviceStats, NetDevice};
