//! What apps see of the network device: the error when none can be opened, and a MAC address
//! as text. The machine opens the NIC (`Machine::open_nic`): netfront on Xen
//! (`xen::net`), virtio-net elsewhere (`pc::virtio`).

use core::fmt;

/// Why no network device could be opened.
#[derive(Debug)]
pub enum Error {
    /// Netfront could not connect to its backend.
    Netfront(xenolith_xen::netfront::Error),
    /// No virtio-net device, or it could not be brought up.
    Virtio(alloc::string::String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Netfront(e) => write!(f, "netfront: {}", *e),
            Error::Virtio(e) => write!(f, "virtio-net: {}", *e),
        }
    }
}

/// A MAC address as `52:54:00:12:34:56` (the drivers' and the stack's one formatter).
pub use xenolith_device::MacAddress as Mac;
