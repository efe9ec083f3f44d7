//! The traits between the layers: what drivers implement and the network stack and executor
//! consume (DESIGN.md "Layers": apps → tls → netstack → device traits → kernel).
//!
//! - [`NetDevice`] and [`DeviceStats`]: a network interface driver — netfront in `kernel/xen`,
//!   virtio-net in `kernel/virtio`, a TAP device in hosted mode, an in-memory wire in tests.
//! - [`Machine`]: what the executor needs from the machine it runs on — a clock, a way to sleep
//!   until something happens, randomness. `kernel/rt` implements it once for whichever machine
//!   it found at boot (Xen or PC); hosted mode implements it over Linux.
//! - [`MacAddress`]: a MAC address as text, one formatter for the drivers, the runtime and the
//!   stack.
//!
//! Frames are copied in and out (no zero-copy): a driver owns its rings and buffers, the stack
//! owns its packets, and nothing else is shared. Everything a device hands over is untrusted:
//! drivers validate ids, offsets, lengths and statuses before a frame reaches the stack, and
//! count what they drop.
//!
//! # Code size: one copy of `Vec`'s allocation code
//!
//! At `opt-level = "z"` a crate reuses the compiled generic code of the crates it depends on,
//! and compiles its own copy of what none of them has. `alloc` (built by the toolchain) shares
//! nothing, so crates side by side — the drivers, the runtime, the stack, the apps — each
//! compiled `RawVec`'s growth, allocation and shrinking code, and fat LTO does not merge the
//! copies (they differ by a few instructions). Every crate of an image depends on this one, so
//! [`__share_vec_code`] compiles that code here, once, for all of them: 592 bytes less in the
//! DNS image.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use core::fmt;
use core::time::Duration;

/// Not for use: see "Code size" above. Compiles the allocation code of `Vec` (growing,
/// allocating, shrinking, freeing) in this crate, so that the crates above share it.
#[doc(hidden)]
pub fn __share_vec_code(vec: &mut alloc::vec::Vec<u8>, additional: usize) {
    vec.reserve(additional);
    vec.shrink_to_fit();
    drop(alloc::vec::Vec::<u8>::with_capacity(additional));
}

/// A MAC address written as `52:54:00:12:34:56` (two lowercase hex digits per octet, colons).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MacAddress(pub [u8; 6]);

impl fmt::Display for MacAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// Counters a driver keeps (reported on the console and by benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Frames handed to the stack.
    pub rx_frames: u64,
    /// Frames queued for transmission.
    pub tx_frames: u64,
    /// Received frames dropped (bad length, error status, no buffer).
    pub rx_dropped: u64,
    /// Frames that could not be sent (no room, device down).
    pub tx_dropped: u64,
    /// Protocol violations by the backend or device (bad id, offset, length; corrupt ring).
    pub errors: u64,
}

/// A network interface driver.
pub trait NetDevice {
    /// The interface's MAC address.
    fn mac_address(&self) -> [u8; 6];

    /// Largest frame, Ethernet header included (no FCS): 1514 for a 1500-byte MTU.
    fn max_frame_len(&self) -> usize {
        1514
    }

    /// Copies the next received frame into `buffer` (at least [`max_frame_len`] bytes) and
    /// returns its length, or `None` when nothing is waiting.
    ///
    /// [`max_frame_len`]: NetDevice::max_frame_len
    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize>;

    /// Whether [`transmit`](NetDevice::transmit) would accept a frame now.
    fn can_transmit(&self) -> bool;

    /// Queues one frame (copied). Returns `false`, and counts a drop, if there was no room or
    /// the device is down.
    fn transmit(&mut self, frame: &[u8]) -> bool;

    /// Housekeeping after the stack ran: make queued frames visible to the device and notify
    /// it, reclaim completed transmit buffers, refill receive buffers.
    fn flush(&mut self);

    /// Whether the link is usable (false once a backend has gone away).
    fn is_up(&self) -> bool;

    /// The counters.
    fn stats(&self) -> DeviceStats;
}

/// What the executor needs from the machine: a clock, a way to sleep, and randomness.
///
/// The runtime implements it for Xen (event channels and a one-shot timer) and the PC (LAPIC
/// timer, MSI-X and the ACPI power button); hosted mode has netstack's `hosted::HostMachine`
/// and tests its `sim::SimMachine`.
pub trait Machine {
    /// Monotonic time since boot.
    fn now(&self) -> Duration;

    /// Sleep until a device or timer event, or until `deadline` (None: no deadline). May return
    /// early.
    ///
    /// It must not sleep through an event that arrived since it last returned: the executor
    /// checks for work and then calls `idle`, so an interrupt in between must make `idle`
    /// return at once (disable interrupts, check a pending flag, then `sti; hlt`). A deadline
    /// in the past means: return at once.
    fn idle(&self, deadline: Option<Duration>);

    /// Fresh random bits (smoltcp seed, DHCP xid, ephemeral ports).
    fn random_u64(&self) -> u64;
}
