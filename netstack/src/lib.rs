//! The network stack: smoltcp behind a `NetDevice` trait, with async sockets.
//!
//! Filled by the "Networking" capability (issue 4).
#![no_std]
#![forbid(unsafe_code)]
