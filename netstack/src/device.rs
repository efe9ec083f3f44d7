//! The interface every network driver implements: netfront, virtio-net, a TAP device.
//!
//! Frames are copied in and out (no zero-copy): a driver owns its rings and buffers, the stack
//! owns its packets, and nothing else is shared. Everything a device hands over is untrusted:
//! drivers validate ids, offsets, lengths and statuses before a frame reaches the stack, and
//! count what they drop.

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
