//! virtio-net over PCI (modern virtio 1.x) for QEMU and other KVM-style hosts.
//!
//! Filled by the "Networking" capability (issue 4).
#![no_std]
#![forbid(unsafe_code)]
