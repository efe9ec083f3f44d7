//! Test doubles (host tests only): a PCI configuration space, and a virtio-net device behind a
//! fake platform that plays the device's side of the PCI transport (virtio spec v1.2 §4.1) and
//! of the split virtqueues (§2.7), in the manner of rust-vmm `virtio-queue`'s `mock.rs`.
//!
//! The fake device is deliberately strict: a register access of the wrong size, or a DMA
//! address outside memory the platform handed out, fails the test.

extern crate std;

use core::cell::{Cell, RefCell};
use core::fmt;
use core::sync::atomic::Ordering;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::vec;
use std::vec::Vec;

use xenolith_arch::shared::SharedMemory;

use crate::net::features;
use crate::pci::{Bdf, PciConfig};
use crate::platform::{Platform, Registers};
use crate::transport::{NO_VECTOR, status};

/// Where QEMU's firmware typically puts virtio-net's MSI-X BAR (BAR 1).
pub const BAR1_ADDRESS: u64 = 0xfebd_1000;
/// ... and its 64-bit virtio BAR (BAR 4).
pub const BAR4_ADDRESS: u64 = 0xfe00_0000;
const COMMON: u64 = BAR4_ADDRESS;
const ISR: u64 = BAR4_ADDRESS + 0x1000;
const DEVICE_CONFIG: u64 = BAR4_ADDRESS + 0x2000;
const NOTIFY: u64 = BAR4_ADDRESS + 0x3000;
const NOTIFY_END: u64 = NOTIFY + 0x1000;
const NOTIFY_MULTIPLIER: u64 = 4;
const MSIX_ENTRIES: usize = 4;

// ---------------------------------------------------------------------------------------------
// PCI configuration space

/// One function's configuration space, with BARs that size like hardware.
#[derive(Clone, Debug)]
pub struct FakeFunction {
    /// The 256 bytes.
    pub config: [u8; 256],
    /// Writable bits of each BAR register (0: not implemented).
    bar_masks: [u32; 6],
    /// Read-only type bits of each BAR register.
    bar_flags: [u32; 6],
    next_capability: u8,
    last_capability: u8,
    msix_capability: Option<u8>,
}

impl FakeFunction {
    pub fn new(vendor_id: u16, device_id: u16) -> FakeFunction {
        let mut config = [0; 256];
        config[0..2].copy_from_slice(&vendor_id.to_le_bytes());
        config[2..4].copy_from_slice(&device_id.to_le_bytes());
        FakeFunction {
            config,
            bar_masks: [0; 6],
            bar_flags: [0; 6],
            next_capability: 0x40,
            last_capability: 0,
            msix_capability: None,
        }
    }

    pub fn header_type(mut self, header_type: u8) -> Self {
        self.config[0x0e] = header_type;
        self
    }

    fn set_dword(&mut self, offset: usize, value: u32) {
        self.config[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }

    fn dword(&self, offset: usize) -> u32 {
        u32::from_le_bytes(self.config[offset..offset + 4].try_into().unwrap())
    }

    pub fn io_bar(mut self, index: usize, port: u32, size: u32) -> Self {
        self.set_dword(0x10 + 4 * index, port | 1);
        self.bar_masks[index] = !(size - 1) & !3;
        self.bar_flags[index] = 1;
        self
    }

    pub fn mem_bar32(mut self, index: usize, address: u32, size: u32) -> Self {
        self.set_dword(0x10 + 4 * index, address);
        self.bar_masks[index] = !(size - 1) & !0xf;
        self
    }

    pub fn mem_bar64(mut self, index: usize, address: u64, size: u64) -> Self {
        let mask = !(size - 1);
        self.set_dword(0x10 + 4 * index, address as u32 | 0b100);
        self.bar_masks[index] = mask as u32 & !0xf;
        self.bar_flags[index] = 0b100;
        if index < 5 {
            self.set_dword(0x14 + 4 * index, (address >> 32) as u32);
            self.bar_masks[index + 1] = (mask >> 32) as u32;
        }
        self
    }

    /// Appends a capability (its next pointer is filled in) to the list.
    pub fn capability(mut self, bytes: &[u8]) -> Self {
        let at = self.next_capability;
        let start = usize::from(at);
        self.config[start..start + bytes.len()].copy_from_slice(bytes);
        self.config[start + 1] = 0;
        if self.last_capability == 0 {
            self.config[0x34] = at;
        } else {
            self.config[usize::from(self.last_capability) + 1] = at;
        }
        self.config[0x06] |= 0x10;
        if bytes[0] == 0x11 {
            self.msix_capability = Some(at);
        }
        self.last_capability = at;
        self.next_capability = at + (bytes.len() as u8).next_multiple_of(4);
        self
    }

    pub fn last_capability(&self) -> u8 {
        self.last_capability
    }

    fn write32(&mut self, offset: u8, value: u32) {
        let offset = usize::from(offset);
        match offset {
            0x04 => {
                // Command is writable; status bits are write-1-to-clear (nothing to clear).
                let status = self.dword(0x04) & 0xffff_0000;
                self.set_dword(0x04, status | (value & 0xffff));
            }
            0x10..0x28 => {
                let index = (offset - 0x10) / 4;
                let value = (value & self.bar_masks[index]) | self.bar_flags[index];
                self.set_dword(offset, value);
            }
            _ if Some(offset) == self.msix_capability.map(usize::from) => {
                let writable = 0xc000_0000; // enable and function mask
                let old = self.dword(offset);
                self.set_dword(offset, (old & !writable) | (value & writable));
            }
            _ => self.set_dword(offset, value),
        }
    }
}

/// A `struct virtio_pci_cap` (16 bytes).
pub fn virtio_cap(cfg_type: u8, bar: u8, offset: u32, length: u32) -> Vec<u8> {
    let mut bytes = vec![0x09, 0, 16, cfg_type, bar, 0, 0, 0];
    bytes.extend_from_slice(&offset.to_le_bytes());
    bytes.extend_from_slice(&length.to_le_bytes());
    bytes
}

/// A `struct virtio_pci_notify_cap` (20 bytes).
pub fn notify_cap(bar: u8, offset: u32, length: u32, multiplier: u32) -> Vec<u8> {
    let mut bytes = virtio_cap(2, bar, offset, length);
    bytes[2] = 20;
    bytes.extend_from_slice(&multiplier.to_le_bytes());
    bytes
}

/// An MSI-X capability (12 bytes).
pub fn msix_cap(
    table_size: u16,
    table_bar: u8,
    table_offset: u32,
    pba_bar: u8,
    pba_offset: u32,
) -> Vec<u8> {
    let mut bytes = vec![0x11, 0];
    bytes.extend_from_slice(&(table_size - 1).to_le_bytes());
    bytes.extend_from_slice(&(table_offset | u32::from(table_bar)).to_le_bytes());
    bytes.extend_from_slice(&(pba_offset | u32::from(pba_bar)).to_le_bytes());
    bytes
}

/// virtio-net as QEMU 7.2 lays it out: MSI-X in BAR 1, the virtio structures in 64-bit BAR 4.
pub fn qemu_virtio_net(device_id: u16) -> FakeFunction {
    qemu_layout(device_id, true, NOTIFY_MULTIPLIER as u32)
}

fn qemu_layout(device_id: u16, msix: bool, notify_multiplier: u32) -> FakeFunction {
    let mut function = FakeFunction::new(0x1af4, device_id)
        .mem_bar32(1, BAR1_ADDRESS as u32, 0x1000)
        .mem_bar64(4, BAR4_ADDRESS, 0x4000);
    if msix {
        function = function.capability(&msix_cap(MSIX_ENTRIES as u16, 1, 0, 1, 0x800));
    }
    let mut pci_cfg = virtio_cap(5, 0, 0, 0);
    pci_cfg[2] = 20;
    pci_cfg.extend_from_slice(&[0; 4]);
    function
        .capability(&virtio_cap(1, 4, 0, 0x1000))
        .capability(&virtio_cap(3, 4, 0x1000, 0x1000))
        .capability(&virtio_cap(4, 4, 0x2000, 0x1000))
        .capability(&notify_cap(4, 0x3000, 0x1000, notify_multiplier))
        .capability(&pci_cfg)
}

/// A PCI configuration space of fake functions.
#[derive(Debug, Default)]
pub struct FakePci {
    functions: RefCell<BTreeMap<Bdf, FakeFunction>>,
}

/// Where [`FakePci::with_qemu_virtio_net`] puts the device.
pub const VIRTIO_NET_BDF: Bdf = match Bdf::new(0, 3, 0) {
    Some(bdf) => bdf,
    None => panic!(),
};

impl FakePci {
    pub fn new() -> FakePci {
        FakePci::default()
    }

    /// A host bridge and QEMU's virtio-net at 00:03.0, with or without MSI-X.
    pub fn with_qemu_virtio_net(msix: bool) -> FakePci {
        let pci = FakePci::new();
        pci.insert(
            Bdf::new(0, 0, 0).unwrap(),
            FakeFunction::new(0x8086, 0x1237),
        );
        pci.insert(
            VIRTIO_NET_BDF,
            qemu_layout(0x1041, msix, NOTIFY_MULTIPLIER as u32),
        );
        pci
    }

    /// As [`with_qemu_virtio_net`](Self::with_qemu_virtio_net), with another
    /// `notify_off_multiplier` (the fake device itself keeps decoding with 4).
    pub fn with_notify_multiplier(multiplier: u32) -> FakePci {
        let pci = FakePci::with_qemu_virtio_net(true);
        pci.insert(VIRTIO_NET_BDF, qemu_layout(0x1041, true, multiplier));
        pci
    }

    /// Adds or replaces a function.
    pub fn insert(&self, bdf: Bdf, function: FakeFunction) {
        self.functions.borrow_mut().insert(bdf, function);
    }

    /// The MSI-X message control word of the device at [`VIRTIO_NET_BDF`].
    pub fn msix_control(&self) -> u16 {
        let functions = self.functions.borrow();
        let function = &functions[&VIRTIO_NET_BDF];
        (function.dword(usize::from(function.msix_capability.unwrap())) >> 16) as u16
    }
}

impl PciConfig for FakePci {
    fn read32(&self, bdf: Bdf, offset: u8) -> u32 {
        assert!(offset.is_multiple_of(4), "unaligned configuration read");
        self.functions
            .borrow()
            .get(&bdf)
            .map_or(u32::MAX, |function| function.dword(usize::from(offset)))
    }

    fn write32(&self, bdf: Bdf, offset: u8, value: u32) {
        assert!(offset.is_multiple_of(4), "unaligned configuration write");
        if let Some(function) = self.functions.borrow_mut().get_mut(&bdf) {
            function.write32(offset, value);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The virtio-net device

/// The device's state for one queue.
#[derive(Debug, Default)]
pub struct FakeQueue {
    pub max_size: u16,
    pub size: u16,
    pub desc: u64,
    pub driver: u64,
    pub device: u64,
    pub enabled: bool,
    pub msix_vector: u16,
    pub notify_off: u16,
    last_avail: u16,
    used_idx: u16,
}

/// A virtio-net device with QEMU's register layout (see [`qemu_virtio_net`]).
#[derive(Debug)]
pub struct FakeNet {
    /// Features offered.
    pub offered: u64,
    pub driver_features: u64,
    device_feature_select: u32,
    driver_feature_select: u32,
    pub status: u8,
    pub num_queues: u16,
    pub config_msix_vector: u16,
    queue_select: u16,
    pub queues: [FakeQueue; 2],
    generation: u8,
    pub mac: [u8; 6],
    pub msix_table: [u32; 4 * MSIX_ENTRIES],

    // Behaviour switches.
    /// Clears `FEATURES_OK` whatever the driver asks for.
    pub reject_features: bool,
    /// Refuses every queue MSI-X vector.
    pub refuse_vectors: bool,
    /// `config_generation` changes on every read.
    pub unstable_generation: bool,
    /// The status never reads back 0 after a reset.
    pub stuck_in_reset: bool,
    /// Sends every transmitted frame back on the receive queue.
    pub echo: bool,
    /// Processes the transmit queue when notified.
    pub process_tx_on_notify: bool,

    // What the driver did.
    pub notifications: Vec<u16>,
    pub early_notifications: usize,
    pub sent: Vec<Vec<u8>>,
    pub bad_tx_headers: usize,
    /// MSI messages sent: (address, data).
    pub interrupts: Vec<(u64, u32)>,

    dma: Rc<RefCell<Vec<SharedMemory>>>,
}

impl FakeNet {
    fn new(dma: Rc<RefCell<Vec<SharedMemory>>>) -> FakeNet {
        let mut net = FakeNet {
            offered: features::VIRTIO_F_VERSION_1
                | features::VIRTIO_NET_F_MAC
                | features::VIRTIO_NET_F_STATUS
                | 1 << 0   // VIRTIO_NET_F_CSUM
                | 1 << 15  // VIRTIO_NET_F_MRG_RXBUF
                | 1 << 17  // VIRTIO_NET_F_CTRL_VQ
                | 1 << 29, // VIRTIO_F_RING_EVENT_IDX
            driver_features: 0,
            device_feature_select: 0,
            driver_feature_select: 0,
            status: 0x7f,
            num_queues: 2,
            config_msix_vector: 0,
            queue_select: 0,
            queues: [0, 1].map(|notify_off| FakeQueue {
                max_size: 1024,
                notify_off,
                ..FakeQueue::default()
            }),
            generation: 0,
            mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
            msix_table: [0; 4 * MSIX_ENTRIES],
            reject_features: false,
            refuse_vectors: false,
            unstable_generation: false,
            stuck_in_reset: false,
            echo: false,
            process_tx_on_notify: true,
            notifications: Vec::new(),
            early_notifications: 0,
            sent: Vec::new(),
            bad_tx_headers: 0,
            interrupts: Vec::new(),
            dma,
        };
        // Every vector masked at power-on.
        for entry in 0..MSIX_ENTRIES {
            net.msix_table[4 * entry + 3] = 1;
        }
        net.reset();
        net.status = 0x7f; // garbage until the driver resets it
        net
    }

    fn reset(&mut self) {
        self.status = 0;
        self.driver_features = 0;
        self.config_msix_vector = NO_VECTOR;
        for queue in &mut self.queues {
            *queue = FakeQueue {
                max_size: queue.max_size,
                size: queue.max_size,
                msix_vector: NO_VECTOR,
                notify_off: queue.notify_off,
                ..FakeQueue::default()
            };
        }
    }

    fn read(&mut self, address: u64, size: usize) -> u32 {
        match address {
            COMMON..ISR => self.read_common((address - COMMON) as usize, size),
            ISR..DEVICE_CONFIG => 0,
            DEVICE_CONFIG..NOTIFY => {
                let mut config = [0u8; 16];
                config[..6].copy_from_slice(&self.mac);
                config[6..8].copy_from_slice(&1u16.to_le_bytes()); // VIRTIO_NET_S_LINK_UP
                let at = (address - DEVICE_CONFIG) as usize;
                let mut value = [0; 4];
                value[..size].copy_from_slice(&config[at..at + size]);
                u32::from_le_bytes(value)
            }
            _ if self.msix_offset(address).is_some() => {
                assert_eq!(size, 4, "MSI-X table accesses are 32-bit");
                self.msix_table[self.msix_offset(address).unwrap() / 4]
            }
            _ => panic!("read of unmapped device register {address:#x}"),
        }
    }

    fn write(&mut self, address: u64, size: usize, value: u32) {
        match address {
            COMMON..ISR => self.write_common((address - COMMON) as usize, size, value),
            NOTIFY..NOTIFY_END => {
                assert_eq!(size, 2, "notifications are 16-bit writes");
                let queue = ((address - NOTIFY) / NOTIFY_MULTIPLIER) as u16;
                assert_eq!(u32::from(queue), value, "notification names its queue");
                self.notify(queue);
            }
            _ if self.msix_offset(address).is_some() => {
                assert_eq!(size, 4, "MSI-X table accesses are 32-bit");
                self.msix_table[self.msix_offset(address).unwrap() / 4] = value;
            }
            _ => panic!("write of unmapped or read-only device register {address:#x}"),
        }
    }

    fn msix_offset(&self, address: u64) -> Option<usize> {
        let offset = address.checked_sub(BAR1_ADDRESS)? as usize;
        (offset < 16 * MSIX_ENTRIES).then_some(offset)
    }

    fn selected(&mut self) -> Option<&mut FakeQueue> {
        self.queues.get_mut(usize::from(self.queue_select))
    }

    fn read_common(&mut self, offset: usize, size: usize) -> u32 {
        let expect =
            |width: usize| assert_eq!(size, width, "common cfg {offset:#x} read as {size} bytes");
        match offset {
            0x00 => {
                expect(4);
                self.device_feature_select
            }
            0x04 => {
                expect(4);
                match self.device_feature_select {
                    0 => self.offered as u32,
                    1 => (self.offered >> 32) as u32,
                    _ => 0,
                }
            }
            0x10 => {
                expect(2);
                u32::from(self.config_msix_vector)
            }
            0x12 => {
                expect(2);
                u32::from(self.num_queues)
            }
            0x14 => {
                expect(1);
                u32::from(self.status)
            }
            0x15 => {
                expect(1);
                if self.unstable_generation {
                    self.generation = self.generation.wrapping_add(1);
                }
                u32::from(self.generation)
            }
            0x16 => {
                expect(2);
                u32::from(self.queue_select)
            }
            0x18 => {
                expect(2);
                self.selected().map_or(0, |q| u32::from(q.size))
            }
            0x1a => {
                expect(2);
                self.selected()
                    .map_or(u32::from(NO_VECTOR), |q| u32::from(q.msix_vector))
            }
            0x1c => {
                expect(2);
                self.selected().map_or(0, |q| u32::from(q.enabled))
            }
            0x1e => {
                expect(2);
                self.selected().map_or(0, |q| u32::from(q.notify_off))
            }
            _ => panic!("read of common cfg {offset:#x}"),
        }
    }

    fn write_common(&mut self, offset: usize, size: usize, value: u32) {
        let expect = |width: usize| {
            assert_eq!(
                size, width,
                "common cfg {offset:#x} written as {size} bytes"
            )
        };
        let refuse_vectors = self.refuse_vectors;
        let vector = |value: u32, refuse: bool| {
            let vector = value as u16;
            if refuse || (vector != NO_VECTOR && usize::from(vector) >= MSIX_ENTRIES) {
                NO_VECTOR
            } else {
                vector
            }
        };
        match offset {
            0x00 => {
                expect(4);
                self.device_feature_select = value
            }
            0x08 => {
                expect(4);
                self.driver_feature_select = value
            }
            0x0c => {
                expect(4);
                match self.driver_feature_select {
                    0 => {
                        self.driver_features =
                            (self.driver_features & !0xffff_ffff) | u64::from(value)
                    }
                    1 => {
                        self.driver_features =
                            (self.driver_features & 0xffff_ffff) | u64::from(value) << 32
                    }
                    _ => {}
                }
            }
            0x10 => {
                expect(2);
                self.config_msix_vector = vector(value, false)
            }
            0x14 => {
                expect(1);
                let value = value as u8;
                if value == 0 {
                    self.reset();
                    if self.stuck_in_reset {
                        self.status = status::ACKNOWLEDGE;
                    }
                    return;
                }
                let mut value = value;
                if value & status::FEATURES_OK != 0 && self.status & status::FEATURES_OK == 0 {
                    let acceptable = self.driver_features & !self.offered == 0
                        && self.driver_features & features::VIRTIO_F_VERSION_1 != 0;
                    if self.reject_features || !acceptable {
                        value &= !status::FEATURES_OK;
                    }
                }
                self.status = value;
            }
            0x16 => {
                expect(2);
                self.queue_select = value as u16
            }
            _ => {
                let Some(queue) = self.queues.get_mut(usize::from(self.queue_select)) else {
                    panic!("queue register {offset:#x} written with no queue selected");
                };
                let set_half = |field: &mut u64, high: bool| {
                    if high {
                        *field = (*field & 0xffff_ffff) | u64::from(value) << 32;
                    } else {
                        *field = (*field & !0xffff_ffff) | u64::from(value);
                    }
                };
                match offset {
                    0x18 => {
                        expect(2);
                        queue.size = value as u16
                    }
                    0x1a => {
                        expect(2);
                        queue.msix_vector = vector(value, refuse_vectors)
                    }
                    0x1c => {
                        expect(2);
                        queue.enabled = value == 1
                    }
                    0x20 | 0x24 => {
                        expect(4);
                        set_half(&mut queue.desc, offset == 0x24)
                    }
                    0x28 | 0x2c => {
                        expect(4);
                        set_half(&mut queue.driver, offset == 0x2c)
                    }
                    0x30 | 0x34 => {
                        expect(4);
                        set_half(&mut queue.device, offset == 0x34)
                    }
                    _ => panic!("write of common cfg {offset:#x}"),
                }
            }
        }
    }

    fn notify(&mut self, queue: u16) {
        if self.status & status::DRIVER_OK == 0 {
            self.early_notifications += 1;
        }
        self.notifications.push(queue);
        if queue == 1 && self.process_tx_on_notify {
            self.process_tx();
        }
    }

    // --- DMA memory, as the device sees it

    fn dma_region(&self, address: u64, len: usize) -> (SharedMemory, usize) {
        let dma = self.dma.borrow();
        let region = dma
            .iter()
            .find(|r| {
                address >= r.address() && address + len as u64 <= r.address() + r.len() as u64
            })
            .unwrap_or_else(|| panic!("device access at {address:#x} outside DMA memory"));
        (*region, (address - region.address()) as usize)
    }

    fn load16(&self, address: u64) -> u16 {
        let (region, offset) = self.dma_region(address, 2);
        region.load_u16(offset, Ordering::Acquire)
    }

    fn load32(&self, address: u64) -> u32 {
        let (region, offset) = self.dma_region(address, 4);
        region.load_u32(offset, Ordering::Relaxed)
    }

    fn load64(&self, address: u64) -> u64 {
        let (region, offset) = self.dma_region(address, 8);
        region.load_u64(offset, Ordering::Relaxed)
    }

    fn store16(&self, address: u64, value: u16) {
        let (region, offset) = self.dma_region(address, 2);
        region.store_u16(offset, value, Ordering::Release);
    }

    fn store32(&self, address: u64, value: u32) {
        let (region, offset) = self.dma_region(address, 4);
        region.store_u32(offset, value, Ordering::Relaxed);
    }

    // --- The device's side of the queues

    /// `avail.idx` of `queue`.
    pub fn avail_idx(&self, queue: u16) -> u16 {
        self.load16(self.queues[usize::from(queue)].driver + 2)
    }

    /// `avail.flags` of `queue`.
    pub fn avail_flags(&self, queue: u16) -> u16 {
        self.load16(self.queues[usize::from(queue)].driver)
    }

    /// Takes the next available buffer: (head, address, len, flags).
    pub fn pop_avail(&mut self, queue: u16) -> Option<(u16, u64, u32, u16)> {
        let q = &self.queues[usize::from(queue)];
        assert!(q.enabled && self.status & status::DRIVER_OK != 0);
        let (driver, desc, size, last) = (q.driver, q.desc, q.size, q.last_avail);
        if self.load16(driver + 2) == last {
            return None;
        }
        let head = self.load16(driver + 4 + 2 * u64::from(last % size));
        assert!(head < size, "driver made descriptor {head} available");
        self.queues[usize::from(queue)].last_avail = last.wrapping_add(1);
        let at = desc + 16 * u64::from(head);
        let flags = self.load16(at + 12);
        assert_eq!(flags & 1, 0, "no chained descriptors");
        Some((head, self.load64(at), self.load32(at + 8), flags))
    }

    /// Writes a used element and publishes it, then interrupts if the driver wants that.
    pub fn push_used(&mut self, queue: u16, id: u32, len: u32) {
        let q = &self.queues[usize::from(queue)];
        let (device, size, used_idx) = (q.device, q.size, q.used_idx);
        let element = device + 4 + 8 * u64::from(used_idx % size);
        self.store32(element, id);
        self.store32(element + 4, len);
        self.set_used_idx(queue, used_idx.wrapping_add(1));
        if self.avail_flags(queue) & 1 == 0 {
            self.interrupt(self.queues[usize::from(queue)].msix_vector);
        }
    }

    pub fn set_used_idx(&mut self, queue: u16, index: u16) {
        self.queues[usize::from(queue)].used_idx = index;
        self.store16(self.queues[usize::from(queue)].device + 2, index);
    }

    pub fn set_used_flags(&mut self, queue: u16, flags: u16) {
        self.store16(self.queues[usize::from(queue)].device, flags);
    }

    fn interrupt(&mut self, vector: u16) {
        if vector == NO_VECTOR {
            return;
        }
        let entry = &self.msix_table[4 * usize::from(vector)..][..4];
        if entry[3] & 1 == 0 {
            self.interrupts
                .push((u64::from(entry[1]) << 32 | u64::from(entry[0]), entry[2]));
        }
    }

    /// Sends every available transmit buffer (and echoes it, if asked to).
    pub fn process_tx(&mut self) {
        while let Some((head, address, len, flags)) = self.pop_avail(1) {
            assert_eq!(flags & 2, 0, "transmit buffers are device-readable");
            let (region, offset) = self.dma_region(address, len as usize);
            let mut bytes = vec![0; len as usize];
            region.read_bytes(offset, &mut bytes);
            if len < 12 || bytes[..12] != [0; 12] {
                self.bad_tx_headers += 1;
            }
            let frame = bytes[12.min(bytes.len())..].to_vec();
            self.push_used(1, u32::from(head), 0);
            if self.echo {
                self.deliver(&frame);
            }
            self.sent.push(frame);
        }
    }

    /// Receives `frame` into the next receive buffer, behind a header with every field set
    /// (which the driver must skip). `false` if no buffer was available.
    pub fn deliver(&mut self, frame: &[u8]) -> bool {
        let Some((head, address, len, flags)) = self.pop_avail(0) else {
            return false;
        };
        assert_eq!(flags & 2, 2, "receive buffers are device-writable");
        let total = 12 + frame.len();
        assert!(
            total <= len as usize,
            "frame does not fit the receive buffer"
        );
        let (region, offset) = self.dma_region(address, total);
        region.write_bytes(
            offset,
            &[1, 0, 0x34, 0x12, 0x78, 0x56, 0x0e, 0, 0x10, 0, 1, 0],
        );
        region.write_bytes(offset + 12, frame);
        self.push_used(0, u32::from(head), total as u32);
        true
    }

    /// Returns the next receive buffer claiming `len` bytes written (nothing is written).
    pub fn complete_rx(&mut self, len: u32) {
        let (head, ..) = self.pop_avail(0).expect("a receive buffer");
        self.push_used(0, u32::from(head), len);
    }
}

// ---------------------------------------------------------------------------------------------
// The platform

/// Register windows of the fake device.
#[derive(Clone)]
pub struct FakeRegisters {
    device: Rc<RefCell<FakeNet>>,
    phys: u64,
}

impl fmt::Debug for FakeRegisters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FakeRegisters({:#x})", self.phys)
    }
}

impl FakeRegisters {
    fn read(&self, offset: usize, size: usize) -> u32 {
        let address = self.phys + offset as u64;
        assert!(
            address.is_multiple_of(size as u64),
            "unaligned register read"
        );
        self.device.borrow_mut().read(address, size)
    }

    fn write(&self, offset: usize, size: usize, value: u32) {
        let address = self.phys + offset as u64;
        assert!(
            address.is_multiple_of(size as u64),
            "unaligned register write"
        );
        self.device.borrow_mut().write(address, size, value);
    }
}

impl Registers for FakeRegisters {
    fn read8(&self, offset: usize) -> u8 {
        self.read(offset, 1) as u8
    }
    fn read16(&self, offset: usize) -> u16 {
        self.read(offset, 2) as u16
    }
    fn read32(&self, offset: usize) -> u32 {
        self.read(offset, 4)
    }
    fn write8(&self, offset: usize, value: u8) {
        self.write(offset, 1, value.into());
    }
    fn write16(&self, offset: usize, value: u16) {
        self.write(offset, 2, value.into());
    }
    fn write32(&self, offset: usize, value: u32) {
        self.write(offset, 4, value);
    }
}

/// A platform whose device registers are a [`FakeNet`] and whose DMA memory is host memory.
#[derive(Debug)]
pub struct FakePlatform {
    pub device: Rc<RefCell<FakeNet>>,
    dma: Rc<RefCell<Vec<SharedMemory>>>,
    /// Every `map_device` call.
    pub mappings: RefCell<Vec<(u64, usize)>>,
    /// DMA pages left before `alloc_dma` fails.
    pub dma_pages_left: Cell<usize>,
}

impl Default for FakePlatform {
    fn default() -> Self {
        FakePlatform::new()
    }
}

impl FakePlatform {
    pub fn new() -> FakePlatform {
        let dma = Rc::new(RefCell::new(Vec::new()));
        FakePlatform {
            device: Rc::new(RefCell::new(FakeNet::new(dma.clone()))),
            dma,
            mappings: RefCell::new(Vec::new()),
            dma_pages_left: Cell::new(usize::MAX),
        }
    }
}

impl Platform for FakePlatform {
    type Registers = FakeRegisters;

    fn map_device(&self, phys: u64, len: usize) -> Option<FakeRegisters> {
        assert!(phys.is_multiple_of(4096) && len.is_multiple_of(4096) && len > 0);
        self.mappings.borrow_mut().push((phys, len));
        Some(FakeRegisters {
            device: self.device.clone(),
            phys,
        })
    }

    fn alloc_dma(&self, pages: usize) -> Option<SharedMemory> {
        let left = self.dma_pages_left.get().checked_sub(pages)?;
        self.dma_pages_left.set(left);
        let memory = SharedMemory::for_test(pages * 4096);
        self.dma.borrow_mut().push(memory);
        Some(memory)
    }
}
