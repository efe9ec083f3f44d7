//! Xenstore: the configuration tree shared with the toolstack, reached over a ring page.
//!
//! Protocol: `docs/misc/xenstore.txt` (operations and wire format),
//! `xen/include/public/io/xs_wire.h` (the message header and the ring page) and
//! `docs/misc/xenstore-ring.txt` (the ring). [`wire`] is the pure codec; [`client`] drives it
//! over the ring page and the event channel through the [`Hypervisor`](crate::Hypervisor)
//! trait, so host tests play xenstored with a fake.

pub mod client;
pub mod wire;

pub use client::{Error, ErrorKind, Transaction, XenStore};
pub use wire::{TxId, WatchEvent, WireError};
