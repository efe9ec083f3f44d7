//! The virtio network device (virtio spec v1.2 §5.1) over the PCI transport: a [`NetDevice`].
//!
//! Start-up follows §3.1.1: reset, `ACKNOWLEDGE`, `DRIVER`, feature negotiation, `FEATURES_OK`
//! (checked), queue setup, `DRIVER_OK`. The driver accepts `VIRTIO_F_VERSION_1` (required),
//! `VIRTIO_NET_F_MAC` and `VIRTIO_NET_F_STATUS` when offered (and the device configuration is
//! long enough to hold them), and `VIRTIO_F_ACCESS_PLATFORM` (buffers are at guest-physical
//! addresses, and the driver programs no IOMMU). No offloads, no mergeable receive buffers, no
//! control queue, no event index. Without `VIRTIO_NET_F_MAC` the MAC is a locally administered
//! address derived from a seed the runtime passes; the device then still delivers every frame,
//! since without a control queue its receive filter stays promiscuous.
//!
//! Queue 0 receives and queue 1 transmits, each with up to [`MAX_QUEUE_SIZE`] descriptors of one
//! [`BUFFER_SIZE`]-byte buffer each, in DMA memory from [`Platform::alloc_dma`]. Every frame
//! carries the 12-byte `struct virtio_net_hdr` (§5.1.6): zeroed on transmit, skipped on receive.
//! Receive buffers stay posted: [`receive`](NetDevice::receive) copies one frame out and reposts
//! its buffer; [`transmit`](NetDevice::transmit) copies into a free buffer;
//! [`flush`](NetDevice::flush) publishes both queues, notifies only when the device asks, and
//! reclaims sent buffers.
//!
//! Interrupts: [`VirtioNet::enable_msix`] routes both queues and configuration changes to MSI-X
//! table entry 0; receive completions interrupt, transmit completions only when the transmit
//! queue is full (so a sender waiting for room wakes up). Without MSI-X the runtime polls
//! [`VirtioNet::has_work`].
//!
//! The device is untrusted (see [`queue`](crate::queue)): bad used elements are counted in
//! [`DeviceStats::errors`] and dropped; a broken ring or `DEVICE_NEEDS_RESET` resets the device,
//! takes the link down for good ([`is_up`](NetDevice::is_up) is false) and is kept in
//! [`VirtioNet::failure`] for the console.

use xenolith_arch::shared::SharedMemory;
use xenolith_device::{DeviceStats, NetDevice};

use crate::Error;
use crate::pci::{self, Bdf, PciConfig, VirtioPciDevice, msix_control};
use crate::platform::{Platform, Registers};
use crate::queue::{Descriptor, Direction, Layout, MAX_QUEUE_SIZE, Notify, Virtqueue};
use crate::transport::{NO_VECTOR, Transport, status};

/// Size of each receive and transmit buffer: the header and a 1514-byte frame fit, with room
/// for a VLAN tag (§5.1.6.3.1 asks for at least 1526 bytes).
pub const BUFFER_SIZE: usize = 2048;
/// `sizeof(struct virtio_net_hdr)` with `VIRTIO_F_VERSION_1` (§5.1.6): flags, gso_type,
/// hdr_len, gso_size, csum_start, csum_offset, num_buffers.
pub const NET_HEADER_LEN: usize = 12;

/// The receive queue (`receiveq1`).
const RX_QUEUE: u16 = 0;
/// The transmit queue (`transmitq1`).
const TX_QUEUE: u16 = 1;
const PAGE: usize = 4096;

/// Feature bits (§6, §5.1.3).
pub mod features {
    /// The device configuration has a MAC address.
    pub const VIRTIO_NET_F_MAC: u64 = 1 << 5;
    /// The device configuration has a link status.
    pub const VIRTIO_NET_F_STATUS: u64 = 1 << 16;
    /// Virtio 1.x (not legacy) semantics.
    pub const VIRTIO_F_VERSION_1: u64 = 1 << 32;
    /// The device accesses memory through the platform's translation (identity here).
    pub const VIRTIO_F_ACCESS_PLATFORM: u64 = 1 << 33;
}

/// `struct virtio_net_config` (§5.1.4): `mac` at 0, `status` at 6.
const CONFIG_MAC: usize = 0;
const CONFIG_STATUS: usize = 6;
const VIRTIO_NET_S_LINK_UP: u16 = 1;
/// How often to re-read the device configuration while its generation changes.
const CONFIG_READ_ATTEMPTS: usize = 16;

/// x86 MSI message address: the local APIC's base, destination id in bits 12..20 (physical
/// destination mode, no redirection hint).
const MSI_ADDRESS_BASE: u64 = 0xfee0_0000;

/// One queue and its buffers: descriptor `i` always carries buffer `i`.
#[derive(Debug)]
struct NetQueue {
    queue: Virtqueue,
    buffers: SharedMemory,
    /// Offset of the queue's notification register in the notification structure.
    notify_offset: usize,
}

impl NetQueue {
    fn buffer_offset(descriptor: &Descriptor) -> usize {
        usize::from(descriptor.id()) * BUFFER_SIZE
    }

    fn buffer_address(&self, descriptor: &Descriptor) -> u64 {
        self.buffers.address() + Self::buffer_offset(descriptor) as u64
    }
}

/// A virtio-net device, started and ready (see the module docs).
#[derive(Debug)]
pub struct VirtioNet<R = SharedMemory> {
    transport: Transport<R>,
    rx: NetQueue,
    tx: NetQueue,
    mac: [u8; 6],
    features: u64,
    /// Whether the transmit queue currently asks for interrupts.
    tx_interrupts: bool,
    stats: DeviceStats,
    failure: Option<Error>,
}

impl<R: Registers + Clone> VirtioNet<R> {
    /// Finds the first virtio-net device on PCI ([`pci::find_virtio_net`]) and starts it
    /// ([`new`](Self::new)).
    pub fn probe<P: Platform<Registers = R>>(
        pci: &impl PciConfig,
        platform: &P,
        mac_seed: u64,
    ) -> Result<VirtioNet<R>, Error> {
        let device = pci::find_virtio_net(pci)?;
        VirtioNet::new(platform, &device, mac_seed)
    }

    /// Starts `device`: maps its registers, runs the §3.1.1 sequence, sets up both queues and
    /// posts every receive buffer. `mac_seed` (random, or stable per guest) makes the MAC when
    /// the device has none. On an error after the reset, the device is marked `FAILED`.
    pub fn new<P: Platform<Registers = R>>(
        platform: &P,
        device: &VirtioPciDevice,
        mac_seed: u64,
    ) -> Result<VirtioNet<R>, Error> {
        let transport = Transport::map(platform, device)?;
        transport.reset()?;
        transport.set_status(status::ACKNOWLEDGE);
        transport.add_status(status::DRIVER);
        let setup = || -> Result<_, Error> {
            let features = negotiate(&transport)?;
            let available = transport.num_queues();
            if available < 2 {
                return Err(Error::TooFewQueues { available });
            }
            let rx = setup_queue(&transport, platform, RX_QUEUE)?;
            let tx = setup_queue(&transport, platform, TX_QUEUE)?;
            let mac = read_mac(&transport, features, mac_seed)?;
            Ok((features, rx, tx, mac))
        };
        let (features, rx, tx, mac) = setup().inspect_err(|_| {
            transport.add_status(status::FAILED);
        })?;
        let mut net = VirtioNet {
            transport,
            rx,
            tx,
            mac,
            features,
            tx_interrupts: false,
            stats: DeviceStats::default(),
            failure: None,
        };
        net.tx.queue.set_interrupts(false);
        net.refill_rx();
        // Buffers may be made available before DRIVER_OK; notifications may not (§3.1.1).
        let rx_notify = net.rx.queue.publish();
        net.transport.add_status(status::DRIVER_OK);
        notify(&net.transport, &net.rx, rx_notify);
        Ok(net)
    }

    /// The device's PCI address.
    pub fn bdf(&self) -> Bdf {
        self.transport.bdf()
    }

    /// The negotiated feature bits.
    pub fn features(&self) -> u64 {
        self.features
    }

    /// The receive and transmit queue sizes.
    pub fn queue_sizes(&self) -> (u16, u16) {
        (self.rx.queue.size(), self.tx.queue.size())
    }

    /// The link status, if the device reports one (`VIRTIO_NET_F_STATUS`).
    pub fn link_up(&self) -> Option<bool> {
        if self.features & features::VIRTIO_NET_F_STATUS == 0 {
            return None;
        }
        let status = self.transport.device_config_u16(CONFIG_STATUS)?;
        Some(status & VIRTIO_NET_S_LINK_UP != 0)
    }

    /// Why the device was given up, if it was.
    pub fn failure(&self) -> Option<Error> {
        self.failure
    }

    /// Whether [`receive`](NetDevice::receive) or [`transmit`](NetDevice::transmit) has
    /// something new: a received frame, or a sent buffer when the transmit queue is full.
    /// A couple of memory loads, no device access: cheap enough to poll, and the check to make
    /// with interrupts disabled before `sti; hlt`.
    pub fn has_work(&self) -> bool {
        self.failure.is_none()
            && (self.rx.queue.has_used()
                || (self.tx.queue.free_count() == 0 && self.tx.queue.has_used()))
    }

    /// Routes the device's interrupts to `vector` on the local APIC `lapic_id` through MSI-X
    /// table entry 0: the entry's address `0xfee0_0000 | lapic_id << 12` and data `vector`
    /// (fixed delivery, edge), both queues' and configuration changes' vectors set to entry 0
    /// (each read back to check the device took it), then MSI-X enabled with the function
    /// unmasked.
    ///
    /// Each interrupt is an edge-triggered MSI: the handler only records the wake-up and
    /// sends the local APIC its EOI; the device needs no acknowledgement (the ISR register is
    /// not used with MSI-X). Before sleeping, check [`has_work`](Self::has_work) with
    /// interrupts disabled, since a frame may have arrived before this call.
    pub fn enable_msix(
        &mut self,
        pci: &impl PciConfig,
        vector: u8,
        lapic_id: u8,
    ) -> Result<(), Error> {
        if vector < 32 {
            return Err(Error::BadVector { vector });
        }
        let msix = self.transport.msix().ok_or(Error::NoMsix)?;
        let bdf = self.transport.bdf();
        let control = pci::read_msix_control(pci, bdf, &msix);
        // Enabled but masked while the entry and the device's routing change.
        pci::write_msix_control(
            pci,
            bdf,
            &msix,
            control | msix_control::ENABLE | msix_control::FUNCTION_MASK,
        );
        let address = MSI_ADDRESS_BASE | u64::from(lapic_id) << 12;
        self.transport
            .write_msix_entry(0, address, u32::from(vector), false);
        if let Err(error) = self.route_interrupts(0) {
            let _ = self.route_interrupts(NO_VECTOR);
            pci::write_msix_control(pci, bdf, &msix, control & !msix_control::ENABLE);
            return Err(error);
        }
        pci::write_msix_control(
            pci,
            bdf,
            &msix,
            (control | msix_control::ENABLE) & !msix_control::FUNCTION_MASK,
        );
        Ok(())
    }

    /// Sets the configuration and both queues' MSI-X vectors to `vector`, checking each.
    fn route_interrupts(&self, vector: u16) -> Result<(), Error> {
        if self.transport.set_config_msix_vector(vector) != vector {
            return Err(Error::MsixRejected { queue: None });
        }
        for queue in [RX_QUEUE, TX_QUEUE] {
            self.transport.select_queue(queue);
            if self.transport.set_queue_msix_vector(vector) != vector {
                return Err(Error::MsixRejected { queue: Some(queue) });
            }
        }
        Ok(())
    }

    /// Offers every free receive descriptor to the device (published by the next flush).
    fn refill_rx(&mut self) {
        while let Some(descriptor) = self.rx.queue.take_free() {
            let address = self.rx.buffer_address(&descriptor);
            self.rx.queue.submit(
                descriptor,
                address,
                BUFFER_SIZE as u32,
                Direction::DeviceWrites,
            );
        }
    }

    /// Takes back the transmit buffers the device has sent.
    fn reclaim_tx(&mut self) {
        for _ in 0..self.tx.queue.size() {
            match self.tx.queue.pop_used() {
                None => return,
                Some(Ok(used)) => self.tx.queue.release(used.descriptor),
                Some(Err(error)) => {
                    self.protocol_error(error);
                    if self.failure.is_some() {
                        return;
                    }
                }
            }
        }
    }

    /// A transmit descriptor for a `len`-byte frame, reclaiming sent buffers if none is free;
    /// `None` if the frame cannot be sent.
    fn free_tx_descriptor(&mut self, len: usize) -> Option<Descriptor> {
        if self.failure.is_some() || len == 0 || len > BUFFER_SIZE - NET_HEADER_LEN {
            return None;
        }
        if self.tx.queue.free_count() == 0 {
            self.reclaim_tx();
            if self.failure.is_some() {
                return None;
            }
        }
        self.tx.queue.take_free()
    }

    /// Counts a protocol violation; gives the device up if it is fatal.
    fn protocol_error(&mut self, error: Error) {
        self.stats.errors += 1;
        if error.is_fatal() {
            self.fail(error);
        }
    }

    /// Gives the device up: records why and resets it, so it stops using our memory.
    fn fail(&mut self, error: Error) {
        if self.failure.is_none() {
            self.failure = Some(error);
            self.transport.set_status(0);
        }
    }
}

impl<R: Registers + Clone> NetDevice for VirtioNet<R> {
    fn mac_address(&self) -> [u8; 6] {
        self.mac
    }

    fn receive(&mut self, buffer: &mut [u8]) -> Option<usize> {
        if self.failure.is_some() {
            return None;
        }
        // Bounded: a device that keeps writing bad elements cannot keep us here.
        for _ in 0..self.rx.queue.size() {
            let used = match self.rx.queue.pop_used()? {
                Ok(used) => used,
                Err(error) => {
                    self.protocol_error(error);
                    if self.failure.is_some() {
                        return None;
                    }
                    self.stats.rx_dropped += 1;
                    continue;
                }
            };
            let offset = NetQueue::buffer_offset(&used.descriptor);
            let frame = match (used.len as usize).checked_sub(NET_HEADER_LEN) {
                None => {
                    // Every buffer starts with the header: the device broke the protocol.
                    self.stats.errors += 1;
                    None
                }
                Some(len) if len == 0 || len > buffer.len() => None,
                Some(len) => buffer.get_mut(..len).map(|frame| {
                    self.rx.buffers.read_bytes(offset + NET_HEADER_LEN, frame);
                    len
                }),
            };
            let address = self.rx.buffer_address(&used.descriptor);
            self.rx.queue.submit(
                used.descriptor,
                address,
                BUFFER_SIZE as u32,
                Direction::DeviceWrites,
            );
            match frame {
                Some(len) => {
                    self.stats.rx_frames += 1;
                    return Some(len);
                }
                None => self.stats.rx_dropped += 1,
            }
        }
        None
    }

    fn can_transmit(&self) -> bool {
        self.failure.is_none() && (self.tx.queue.free_count() > 0 || self.tx.queue.has_used())
    }

    fn transmit(&mut self, frame: &[u8]) -> bool {
        let Some(descriptor) = self.free_tx_descriptor(frame.len()) else {
            self.stats.tx_dropped += 1;
            return false;
        };
        let offset = NetQueue::buffer_offset(&descriptor);
        self.tx.buffers.write_bytes(offset, &[0; NET_HEADER_LEN]);
        self.tx.buffers.write_bytes(offset + NET_HEADER_LEN, frame);
        let address = self.tx.buffer_address(&descriptor);
        self.tx.queue.submit(
            descriptor,
            address,
            (NET_HEADER_LEN + frame.len()) as u32,
            Direction::DeviceReads,
        );
        self.stats.tx_frames += 1;
        true
    }

    fn flush(&mut self) {
        if self.failure.is_some() {
            return;
        }
        if self.transport.status() & status::DEVICE_NEEDS_RESET != 0 {
            self.fail(Error::DeviceNeedsReset);
            return;
        }
        self.reclaim_tx();
        if self.failure.is_some() {
            return;
        }
        self.refill_rx();
        let rx_notify = self.rx.queue.publish();
        notify(&self.transport, &self.rx, rx_notify);
        let tx_notify = self.tx.queue.publish();
        notify(&self.transport, &self.tx, tx_notify);
        // A full transmit queue asks for an interrupt when the device frees a buffer.
        let want_interrupts = self.tx.queue.free_count() == 0;
        if want_interrupts != self.tx_interrupts {
            self.tx.queue.set_interrupts(want_interrupts);
            self.tx_interrupts = want_interrupts;
        }
    }

    fn is_up(&self) -> bool {
        self.failure.is_none() && self.transport.status() & status::DEVICE_NEEDS_RESET == 0
    }

    fn stats(&self) -> DeviceStats {
        self.stats
    }
}

/// Writes `queue`'s notification register if the device asked for it.
fn notify<R: Registers + Clone>(transport: &Transport<R>, queue: &NetQueue, notify: Notify) {
    if notify.needed() {
        transport.notify(queue.notify_offset, queue.queue.index());
    }
}

/// Feature negotiation up to `FEATURES_OK` (§3.1.1 steps 4-6).
fn negotiate<R: Registers + Clone>(transport: &Transport<R>) -> Result<u64, Error> {
    let offered = transport.device_features();
    if offered & features::VIRTIO_F_VERSION_1 == 0 {
        return Err(Error::NoVersion1 { offered });
    }
    let mut wanted = features::VIRTIO_F_VERSION_1 | features::VIRTIO_F_ACCESS_PLATFORM;
    let config_len = transport.device_config_len();
    if config_len >= (CONFIG_MAC + 6) as u64 {
        wanted |= features::VIRTIO_NET_F_MAC;
    }
    if config_len >= (CONFIG_STATUS + 2) as u64 {
        wanted |= features::VIRTIO_NET_F_STATUS;
    }
    let accepted = offered & wanted;
    transport.set_driver_features(accepted);
    transport.add_status(status::FEATURES_OK);
    if transport.status() & status::FEATURES_OK == 0 {
        return Err(Error::FeaturesRejected { features: accepted });
    }
    Ok(accepted)
}

/// Sets up queue `index`: size, DMA memory for rings and buffers, addresses, enable.
fn setup_queue<R: Registers + Clone, P: Platform<Registers = R>>(
    transport: &Transport<R>,
    platform: &P,
    index: u16,
) -> Result<NetQueue, Error> {
    transport.select_queue(index);
    let max = transport.queue_size().min(MAX_QUEUE_SIZE);
    if max == 0 {
        return Err(Error::QueueUnavailable { queue: index });
    }
    // Split queues are a power of two long (§2.7); take the largest that fits.
    let size = 1 << max.ilog2();
    transport.set_queue_size(size);
    let ring_pages = Layout::new(size).size.div_ceil(PAGE);
    let buffer_pages = (usize::from(size) * BUFFER_SIZE).div_ceil(PAGE);
    let pages = ring_pages + buffer_pages;
    let memory = platform
        .alloc_dma(pages)
        .filter(|memory| memory.len() >= pages * PAGE)
        .ok_or(Error::OutOfDmaMemory { pages })?;
    let queue = Virtqueue::new(memory.slice(0, ring_pages * PAGE), index, size);
    let buffers = memory.slice(ring_pages * PAGE, buffer_pages * PAGE);
    transport.set_queue_addresses(
        queue.descriptor_table_address(),
        queue.driver_area_address(),
        queue.device_area_address(),
    );
    let notify_offset = transport.queue_notify_offset(index)?;
    transport.enable_queue();
    Ok(NetQueue {
        queue,
        buffers,
        notify_offset,
    })
}

/// The device's MAC, read consistently (§4.1.4.3.1 `config_generation`), or one made from
/// `seed`.
fn read_mac<R: Registers + Clone>(
    transport: &Transport<R>,
    features: u64,
    seed: u64,
) -> Result<[u8; 6], Error> {
    if features & features::VIRTIO_NET_F_MAC == 0 {
        return Ok(local_mac(seed));
    }
    for _ in 0..CONFIG_READ_ATTEMPTS {
        let generation = transport.config_generation();
        let mut mac = [0; 6];
        for (i, byte) in mac.iter_mut().enumerate() {
            // Present: MAC is only negotiated when the configuration holds it.
            *byte = transport.device_config_u8(CONFIG_MAC + i).unwrap_or(0);
        }
        if transport.config_generation() == generation {
            return Ok(mac);
        }
    }
    Err(Error::ConfigUnstable)
}

/// A locally administered unicast MAC from `seed` (SplitMix64, so nearby seeds differ).
pub fn local_mac(seed: u64) -> [u8; 6] {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let bytes = z.to_le_bytes();
    let mut mac = [0; 6];
    mac.copy_from_slice(&bytes[..6]);
    mac[0] = (mac[0] & !0x01) | 0x02;
    mac
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::testing::{
        BAR1_ADDRESS, BAR4_ADDRESS, FakeNet, FakePci, FakePlatform, FakeRegisters,
    };
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    const DEVICE_MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    fn start(
        configure: impl FnOnce(&mut FakeNet),
    ) -> (
        FakePci,
        FakePlatform,
        Result<VirtioNet<FakeRegisters>, Error>,
    ) {
        let pci = FakePci::with_qemu_virtio_net(true);
        let platform = FakePlatform::new();
        configure(&mut platform.device.borrow_mut());
        let net = VirtioNet::probe(&pci, &platform, 42);
        (pci, platform, net)
    }

    fn started() -> (FakePci, FakePlatform, VirtioNet<FakeRegisters>) {
        let (pci, platform, net) = start(|_| {});
        (pci, platform, net.unwrap())
    }

    fn frame(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn start_up_follows_the_handshake() {
        let (_pci, platform, net) = started();
        assert!(net.is_up());
        assert_eq!(net.link_up(), Some(true));
        let device = platform.device.borrow();
        assert_eq!(
            device.status,
            status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK | status::DRIVER_OK
        );
        // Offloads, MRG_RXBUF and EVENT_IDX were offered and declined.
        assert_eq!(
            device.driver_features,
            features::VIRTIO_F_VERSION_1
                | features::VIRTIO_NET_F_MAC
                | features::VIRTIO_NET_F_STATUS
        );
        assert_eq!(net.features(), device.driver_features);
        for queue in &device.queues {
            assert!(queue.enabled);
            assert_eq!(queue.size, 256, "the device offers 1024");
            assert_ne!(queue.desc, 0);
            assert_eq!(queue.driver, queue.desc + 4096);
            assert_eq!(queue.device, queue.desc + 4096 + 520);
        }
        assert_eq!(net.queue_sizes(), (256, 256));
        // Every receive buffer posted, then one notification after DRIVER_OK.
        assert_eq!(device.avail_idx(RX_QUEUE), 256);
        assert_eq!(device.notifications, [RX_QUEUE]);
        assert_eq!(device.early_notifications, 0);
        // One mapping per BAR, page-rounded.
        assert_eq!(
            *platform.mappings.borrow(),
            [(BAR1_ADDRESS, 0x1000), (BAR4_ADDRESS, 0x4000)]
        );
        assert_eq!(net.mac_address(), DEVICE_MAC);
        assert!(!net.has_work());
        assert_eq!(net.bdf().to_string(), "00:03.0");
    }

    #[test]
    fn a_frame_goes_out_and_comes_back() {
        let (_pci, platform, mut net) = started();
        platform.device.borrow_mut().echo = true;
        let sent = frame(60, 1);
        assert!(net.can_transmit());
        assert!(net.transmit(&sent));
        assert!(
            platform.device.borrow().sent.is_empty(),
            "published by flush"
        );
        net.flush();
        {
            let device = platform.device.borrow();
            assert_eq!(device.sent, std::slice::from_ref(&sent));
            assert_eq!(device.bad_tx_headers, 0);
            assert_eq!(device.notifications, [RX_QUEUE, TX_QUEUE]);
        }
        assert!(net.has_work());
        let mut buffer = [0; 1514];
        assert_eq!(net.receive(&mut buffer), Some(60));
        assert_eq!(&buffer[..60], &sent[..], "the header was skipped");
        assert_eq!(net.receive(&mut buffer), None);
        assert!(!net.has_work());
        net.flush();
        // The receive buffer is posted again and the transmit buffer reclaimed.
        assert_eq!(platform.device.borrow().avail_idx(RX_QUEUE), 257);
        assert_eq!(net.tx.queue.free_count(), 256);
        let stats = net.stats();
        assert_eq!((stats.tx_frames, stats.rx_frames, stats.errors), (1, 1, 0));

        // A full-size frame, and many round trips wrap the buffers.
        for round in 0..600u32 {
            let sent = frame(1514, round as u8);
            assert!(net.transmit(&sent));
            net.flush();
            assert_eq!(net.receive(&mut buffer), Some(1514));
            assert_eq!(&buffer[..], &sent[..]);
        }
        assert_eq!(net.stats().errors, 0);
    }

    #[test]
    fn bad_frames_are_not_sent() {
        let (_pci, platform, mut net) = started();
        assert!(!net.transmit(&[]));
        assert!(!net.transmit(&[0; BUFFER_SIZE - NET_HEADER_LEN + 1]));
        assert!(net.transmit(&[0; BUFFER_SIZE - NET_HEADER_LEN]));
        net.flush();
        assert_eq!(platform.device.borrow().sent.len(), 1);
        assert_eq!((net.stats().tx_dropped, net.stats().tx_frames), (2, 1));
    }

    #[test]
    fn without_the_mac_feature_a_local_mac_is_made() {
        let (_pci, platform, net) = start(|device| device.offered &= !features::VIRTIO_NET_F_MAC);
        let net = net.unwrap();
        assert_eq!(
            platform.device.borrow().driver_features & features::VIRTIO_NET_F_MAC,
            0
        );
        let mac = net.mac_address();
        assert_eq!(mac, local_mac(42));
        assert_eq!(mac[0] & 0b11, 0b10, "locally administered unicast");
        assert_ne!(local_mac(42), local_mac(43));
        assert_ne!(mac, DEVICE_MAC);
    }

    #[test]
    fn a_device_without_version_1_is_refused() {
        let (_pci, platform, net) = start(|device| device.offered &= !features::VIRTIO_F_VERSION_1);
        assert!(matches!(net.unwrap_err(), Error::NoVersion1 { .. }));
        assert_ne!(platform.device.borrow().status & status::FAILED, 0);
    }

    #[test]
    fn refused_features_are_an_error() {
        let (_pci, platform, net) = start(|device| device.reject_features = true);
        assert!(matches!(net.unwrap_err(), Error::FeaturesRejected { .. }));
        let status = platform.device.borrow().status;
        assert_eq!(
            status & (status::FEATURES_OK | status::FAILED),
            status::FAILED
        );
    }

    #[test]
    fn queue_sizes_are_clamped_to_a_power_of_two() {
        let (_pci, platform, net) = start(|device| device.queues[1].max_size = 100);
        assert_eq!(net.unwrap().queue_sizes(), (256, 64));
        assert_eq!(platform.device.borrow().queues[1].size, 64);

        let (_pci, _platform, net) = start(|device| device.queues[1].max_size = 0);
        assert_eq!(net.unwrap_err(), Error::QueueUnavailable { queue: 1 });
        let (_pci, _platform, net) = start(|device| device.num_queues = 1);
        assert_eq!(net.unwrap_err(), Error::TooFewQueues { available: 1 });
    }

    #[test]
    fn start_up_failures_are_errors() {
        let (_pci, _platform, net) = start(|device| device.unstable_generation = true);
        assert_eq!(net.unwrap_err(), Error::ConfigUnstable);
        let (_pci, _platform, net) = start(|device| device.queues[0].notify_off = 0x400);
        assert_eq!(
            net.unwrap_err(),
            Error::BadNotifyOffset {
                queue: 0,
                offset: 0x1000,
                length: 0x1000
            }
        );
        let (_pci, _platform, net) = start(|device| device.stuck_in_reset = true);
        assert_eq!(net.unwrap_err(), Error::ResetTimeout);

        // An odd multiplier would make a misaligned 16-bit register.
        let pci = FakePci::with_notify_multiplier(1);
        let platform = FakePlatform::new();
        platform.device.borrow_mut().queues[0].notify_off = 3;
        assert_eq!(
            VirtioNet::probe(&pci, &platform, 0).unwrap_err(),
            Error::BadNotifyOffset {
                queue: 0,
                offset: 3,
                length: 0x1000
            }
        );

        let pci = FakePci::with_qemu_virtio_net(true);
        let platform = FakePlatform::new();
        platform.dma_pages_left.set(200);
        let error = VirtioNet::probe(&pci, &platform, 0).unwrap_err();
        assert_eq!(error, Error::OutOfDmaMemory { pages: 130 });
        assert!(error.to_string().contains("more memory"));
    }

    #[test]
    fn short_and_overlong_receive_lengths_are_dropped() {
        let (_pci, platform, mut net) = started();
        let mut buffer = [0; 1514];
        for len in [5, 12, 2049, 12 + 1515] {
            platform.device.borrow_mut().complete_rx(len);
        }
        platform.device.borrow_mut().deliver(&frame(100, 9));
        assert!(net.has_work());
        // The four bad ones are skipped on the way to the good one.
        assert_eq!(net.receive(&mut buffer), Some(100));
        let stats = net.stats();
        // Shorter than the header and longer than the buffer are device errors; an empty
        // frame and one too long for the caller are just dropped.
        assert_eq!((stats.rx_dropped, stats.errors, stats.rx_frames), (4, 2, 1));
        assert!(net.is_up());
        net.flush();
        // All five buffers are back with the device.
        assert_eq!(platform.device.borrow().avail_idx(RX_QUEUE), 256 + 5);
    }

    #[test]
    fn a_bad_used_id_is_counted_and_skipped() {
        let (_pci, platform, mut net) = started();
        {
            let mut device = platform.device.borrow_mut();
            device.pop_avail(RX_QUEUE).unwrap();
            device.push_used(RX_QUEUE, 999, 100);
        }
        let mut buffer = [0; 1514];
        assert_eq!(net.receive(&mut buffer), None);
        assert_eq!(net.stats().errors, 1);
        assert!(net.is_up());
    }

    #[test]
    fn a_runaway_used_ring_takes_the_link_down() {
        let (_pci, platform, mut net) = started();
        platform.device.borrow_mut().set_used_idx(RX_QUEUE, 1000);
        assert!(net.has_work());
        let mut buffer = [0; 1514];
        assert_eq!(net.receive(&mut buffer), None);
        assert!(matches!(
            net.failure(),
            Some(Error::UsedRingRunaway {
                queue: 0,
                used_idx: 1000,
                ..
            })
        ));
        assert!(!net.is_up());
        assert!(!net.has_work());
        assert!(!net.can_transmit());
        assert!(!net.transmit(&frame(60, 0)));
        assert_eq!(net.stats().tx_dropped, 1);
        // The device was reset so it stops using the rings.
        assert_eq!(platform.device.borrow().status, 0);
        net.flush();
        assert_eq!(net.receive(&mut buffer), None);
    }

    #[test]
    fn device_needs_reset_takes_the_link_down() {
        let (_pci, platform, mut net) = started();
        platform.device.borrow_mut().status |= status::DEVICE_NEEDS_RESET;
        assert!(!net.is_up());
        net.flush();
        assert_eq!(net.failure(), Some(Error::DeviceNeedsReset));
        assert!(!net.is_up());
    }

    #[test]
    fn notifications_are_sent_only_when_asked_for() {
        let (_pci, platform, mut net) = started();
        platform.device.borrow_mut().set_used_flags(TX_QUEUE, 1);
        assert!(net.transmit(&frame(60, 0)));
        net.flush();
        assert_eq!(platform.device.borrow().notifications, [RX_QUEUE]);
        // Nothing new: no notification either.
        platform.device.borrow_mut().set_used_flags(TX_QUEUE, 0);
        net.flush();
        assert_eq!(platform.device.borrow().notifications, [RX_QUEUE]);
        assert!(net.transmit(&frame(60, 0)));
        net.flush();
        assert_eq!(platform.device.borrow().notifications, [RX_QUEUE, TX_QUEUE]);
        assert_eq!(platform.device.borrow().sent.len(), 2);
    }

    #[test]
    fn a_full_transmit_queue_recovers() {
        let (_pci, platform, mut net) = started();
        platform.device.borrow_mut().process_tx_on_notify = false;
        for i in 0..256 {
            assert!(net.transmit(&frame(60, i as u8)));
        }
        assert!(!net.can_transmit());
        assert!(!net.transmit(&frame(60, 0)));
        assert_eq!(net.stats().tx_dropped, 1);
        net.flush();
        // Full: the queue now asks for an interrupt when a buffer comes back.
        assert_eq!(platform.device.borrow().avail_flags(TX_QUEUE), 0);
        assert!(!net.has_work());
        platform.device.borrow_mut().process_tx();
        assert_eq!(platform.device.borrow().sent.len(), 256);
        assert!(net.has_work());
        assert!(net.can_transmit());
        assert!(net.transmit(&frame(60, 0)));
        net.flush();
        assert_eq!(platform.device.borrow().avail_flags(TX_QUEUE), 1);
    }

    #[test]
    fn msix_routes_every_source_to_entry_0() {
        let (pci, platform, mut net) = started();
        assert_eq!(
            net.enable_msix(&pci, 5, 0),
            Err(Error::BadVector { vector: 5 })
        );
        net.enable_msix(&pci, 0x30, 2).unwrap();
        {
            let device = platform.device.borrow();
            assert_eq!(device.msix_table[..4], [0xfee0_2000, 0, 0x30, 0]);
            assert_eq!(device.config_msix_vector, 0);
            assert_eq!(device.queues[0].msix_vector, 0);
            assert_eq!(device.queues[1].msix_vector, 0);
        }
        let control = pci.msix_control();
        assert_eq!(
            control & (msix_control::ENABLE | msix_control::FUNCTION_MASK),
            msix_control::ENABLE
        );

        platform.device.borrow_mut().echo = true;
        assert!(net.transmit(&frame(60, 0)));
        net.flush();
        // The receive completion interrupts; the transmit one is suppressed.
        assert_eq!(platform.device.borrow().interrupts, [(0xfee0_2000, 0x30)]);
    }

    #[test]
    fn refused_msix_vectors_leave_msix_off() {
        let (pci, platform, mut net) = started();
        platform.device.borrow_mut().refuse_vectors = true;
        assert_eq!(
            net.enable_msix(&pci, 0x30, 0),
            Err(Error::MsixRejected { queue: Some(0) })
        );
        assert_eq!(pci.msix_control() & msix_control::ENABLE, 0);
        assert_eq!(platform.device.borrow().config_msix_vector, NO_VECTOR);
    }

    #[test]
    fn without_msix_the_device_still_works() {
        let pci = FakePci::with_qemu_virtio_net(false);
        let platform = FakePlatform::new();
        let mut net = VirtioNet::probe(&pci, &platform, 0).unwrap();
        assert_eq!(net.enable_msix(&pci, 0x30, 0), Err(Error::NoMsix));
        assert_eq!(*platform.mappings.borrow(), [(BAR4_ADDRESS, 0x4000)]);
        platform.device.borrow_mut().echo = true;
        assert!(net.transmit(&frame(64, 3)));
        net.flush();
        assert!(net.has_work());
        let mut buffer = vec![0; 1514];
        assert_eq!(net.receive(&mut buffer), Some(64));
    }
}
