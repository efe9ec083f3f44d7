//! Mirrors of `xen/include/public/io/`: the shared-memory protocols between a frontend and its
//! backend (rings, xenstore, console, network, xenbus states).
//!
//! All of these live in pages that the other domain writes too: every index, id, length and
//! offset read from them is untrusted input. The types here only describe the layout; the code
//! that reads and writes the pages goes through the crate's shared-memory wrapper.

pub mod console;
pub mod netif;
pub mod ring;
pub mod xenbus;
pub mod xs_wire;
