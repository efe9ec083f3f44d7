//! The virtio PCI transport's registers (virtio spec v1.2 §4.1.4.3 common configuration,
//! §4.1.4.4 notifications, §4.1.4.6 device configuration, §4.1.5.1.2 MSI-X vectors) and the
//! device status protocol of §2.1 and §3.1.
//!
//! [`Transport::map`] maps each BAR the driver uses once (the page-rounded span of the
//! structures in it) through [`Platform::map_device`], and keeps a window per structure. The
//! accessors below know the register layout; every offset is a constant inside a structure
//! whose length [`pci`](crate::pci) checked, or checked here (the per-queue notification
//! address, device configuration fields), so a device cannot steer an access outside its
//! mapping. 64-bit registers are written as two 32-bit halves, low first, as §4.1.3.1 allows.

use crate::Error;
use crate::pci::{Bdf, MSIX_ENTRY_SIZE, Msix, Structure, VirtioPciDevice};
use crate::platform::{Platform, Registers};

/// Offsets in `struct virtio_pci_common_cfg` (§4.1.4.3).
mod common {
    pub const DEVICE_FEATURE_SELECT: usize = 0x00;
    pub const DEVICE_FEATURE: usize = 0x04;
    pub const DRIVER_FEATURE_SELECT: usize = 0x08;
    pub const DRIVER_FEATURE: usize = 0x0c;
    pub const CONFIG_MSIX_VECTOR: usize = 0x10;
    pub const NUM_QUEUES: usize = 0x12;
    pub const DEVICE_STATUS: usize = 0x14;
    pub const CONFIG_GENERATION: usize = 0x15;
    pub const QUEUE_SELECT: usize = 0x16;
    pub const QUEUE_SIZE: usize = 0x18;
    pub const QUEUE_MSIX_VECTOR: usize = 0x1a;
    pub const QUEUE_ENABLE: usize = 0x1c;
    pub const QUEUE_NOTIFY_OFF: usize = 0x1e;
    pub const QUEUE_DESC: usize = 0x20;
    pub const QUEUE_DRIVER: usize = 0x28;
    pub const QUEUE_DEVICE: usize = 0x30;
}

/// Device status bits (§2.1).
pub mod status {
    /// The guest noticed the device.
    pub const ACKNOWLEDGE: u8 = 1;
    /// The guest has a driver for it.
    pub const DRIVER: u8 = 2;
    /// The driver is ready.
    pub const DRIVER_OK: u8 = 4;
    /// Feature negotiation is complete.
    pub const FEATURES_OK: u8 = 8;
    /// The device hit an error it cannot recover from without a reset.
    pub const DEVICE_NEEDS_RESET: u8 = 64;
    /// The driver gave up on the device.
    pub const FAILED: u8 = 128;
}

/// `VIRTIO_MSI_NO_VECTOR`: no interrupt for this source.
pub const NO_VECTOR: u16 = 0xffff;

/// How many status reads to wait for a reset to complete (QEMU completes it at once).
const RESET_POLLS: u32 = 1_000_000;
/// Largest span of one BAR the driver maps (QEMU's virtio BAR is 16 KiB).
const MAX_MAPPING: u64 = 16 << 20;
const PAGE: u64 = 4096;

/// A structure inside a mapped BAR.
#[derive(Clone, Debug)]
struct Window<R> {
    registers: R,
    /// Offset of the structure in `registers`.
    base: usize,
    /// Its length.
    length: u64,
}

/// The mapped registers of one virtio PCI device.
#[derive(Debug)]
pub struct Transport<R> {
    bdf: Bdf,
    common: Window<R>,
    notify: Window<R>,
    notify_off_multiplier: u32,
    device: Option<Window<R>>,
    msix: Option<(Msix, Window<R>)>,
}

impl<R: Registers + Clone> Transport<R> {
    /// Maps the structures of `device`: each BAR once.
    pub fn map<P: Platform<Registers = R>>(
        platform: &P,
        device: &VirtioPciDevice,
    ) -> Result<Transport<R>, Error> {
        let msix_table = device.msix.map(|msix| msix.table);
        let structures = [
            Some(device.common),
            Some(device.notify),
            device.device,
            msix_table,
        ];
        let mut mapped: [Option<(u64, R)>; 6] = [const { None }; 6];
        for bar in 0..6u8 {
            let in_bar = || structures.iter().flatten().filter(|s| s.bar == bar);
            let Some(start) = in_bar().map(|s| s.address).min() else {
                continue;
            };
            // `pci` checked that address + length does not overflow.
            let end = in_bar()
                .map(|s| s.address + s.length)
                .max()
                .unwrap_or(start);
            let start = start & !(PAGE - 1);
            let len = end.next_multiple_of(PAGE) - start;
            let failed = Error::MapFailed { phys: start, len };
            if len > MAX_MAPPING {
                return Err(failed);
            }
            let registers = platform.map_device(start, len as usize).ok_or(failed)?;
            if let Some(slot) = mapped.get_mut(usize::from(bar)) {
                *slot = Some((start, registers));
            }
        }
        let window = |structure: Structure| {
            // Every structure's BAR was mapped above.
            mapped
                .get(usize::from(structure.bar))
                .and_then(Option::as_ref)
                .map(|(start, registers)| Window {
                    registers: registers.clone(),
                    base: (structure.address - start) as usize,
                    length: structure.length,
                })
                .ok_or(Error::MapFailed {
                    phys: structure.address,
                    len: structure.length,
                })
        };
        Ok(Transport {
            bdf: device.bdf,
            common: window(device.common)?,
            notify: window(device.notify)?,
            notify_off_multiplier: device.notify_off_multiplier,
            device: match device.device {
                Some(structure) => Some(window(structure)?),
                None => None,
            },
            msix: match device.msix {
                Some(msix) => Some((msix, window(msix.table)?)),
                None => None,
            },
        })
    }

    /// The device's PCI address.
    pub fn bdf(&self) -> Bdf {
        self.bdf
    }

    /// The MSI-X capability, if the device has one.
    pub fn msix(&self) -> Option<Msix> {
        self.msix.as_ref().map(|(msix, _)| *msix)
    }

    /// `device_status`.
    pub fn status(&self) -> u8 {
        self.common.read8(common::DEVICE_STATUS)
    }

    /// Writes `device_status`.
    pub fn set_status(&self, status: u8) {
        self.common.write8(common::DEVICE_STATUS, status);
    }

    /// Adds `bits` to `device_status`.
    pub fn add_status(&self, bits: u8) {
        self.set_status(self.status() | bits);
    }

    /// Resets the device and waits until it reads back 0 (§4.1.4.3.2).
    pub fn reset(&self) -> Result<(), Error> {
        self.set_status(0);
        for _ in 0..RESET_POLLS {
            if self.status() == 0 {
                return Ok(());
            }
            core::hint::spin_loop();
        }
        Err(Error::ResetTimeout)
    }

    /// The 64 feature bits the device offers.
    pub fn device_features(&self) -> u64 {
        let mut features = 0;
        for word in 0..2 {
            self.common.write32(common::DEVICE_FEATURE_SELECT, word);
            features |= u64::from(self.common.read32(common::DEVICE_FEATURE)) << (32 * word);
        }
        features
    }

    /// Writes the 64 feature bits the driver accepts.
    pub fn set_driver_features(&self, features: u64) {
        for word in 0..2 {
            self.common.write32(common::DRIVER_FEATURE_SELECT, word);
            self.common
                .write32(common::DRIVER_FEATURE, (features >> (32 * word)) as u32);
        }
    }

    /// `num_queues`.
    pub fn num_queues(&self) -> u16 {
        self.common.read16(common::NUM_QUEUES)
    }

    /// `config_generation`.
    pub fn config_generation(&self) -> u8 {
        self.common.read8(common::CONFIG_GENERATION)
    }

    /// Selects `queue` for the `queue_*` registers.
    pub fn select_queue(&self, queue: u16) {
        self.common.write16(common::QUEUE_SELECT, queue);
    }

    /// `queue_size` of the selected queue: its maximum until the driver writes it.
    pub fn queue_size(&self) -> u16 {
        self.common.read16(common::QUEUE_SIZE)
    }

    /// Sets `queue_size` of the selected queue.
    pub fn set_queue_size(&self, size: u16) {
        self.common.write16(common::QUEUE_SIZE, size);
    }

    /// Sets the three ring addresses of the selected queue.
    pub fn set_queue_addresses(&self, descriptors: u64, driver: u64, device: u64) {
        self.common.write64(common::QUEUE_DESC, descriptors);
        self.common.write64(common::QUEUE_DRIVER, driver);
        self.common.write64(common::QUEUE_DEVICE, device);
    }

    /// Enables the selected queue.
    pub fn enable_queue(&self) {
        self.common.write16(common::QUEUE_ENABLE, 1);
    }

    /// Offset in the notification structure of the selected queue's notification register,
    /// checked to lie inside it and to be 2-byte aligned (`pci` checked the structure's own
    /// alignment; a device may still present an odd multiplier).
    pub fn queue_notify_offset(&self, queue: u16) -> Result<usize, Error> {
        let notify_off = self.common.read16(common::QUEUE_NOTIFY_OFF);
        let offset = u64::from(notify_off) * u64::from(self.notify_off_multiplier);
        if offset + 2 > self.notify.length || !offset.is_multiple_of(2) {
            return Err(Error::BadNotifyOffset {
                queue,
                offset,
                length: self.notify.length,
            });
        }
        Ok(offset as usize)
    }

    /// Sends an available-buffer notification for `queue` at `offset` (from
    /// [`queue_notify_offset`](Self::queue_notify_offset)).
    pub fn notify(&self, offset: usize, queue: u16) {
        self.notify.write16(offset, queue);
    }

    /// Routes the selected queue's interrupts to MSI-X table entry `vector` and returns what
    /// the device reads back ([`NO_VECTOR`] if it refused).
    pub fn set_queue_msix_vector(&self, vector: u16) -> u16 {
        self.common.write16(common::QUEUE_MSIX_VECTOR, vector);
        self.common.read16(common::QUEUE_MSIX_VECTOR)
    }

    /// Routes configuration-change interrupts to MSI-X table entry `vector` and returns what
    /// the device reads back.
    pub fn set_config_msix_vector(&self, vector: u16) -> u16 {
        self.common.write16(common::CONFIG_MSIX_VECTOR, vector);
        self.common.read16(common::CONFIG_MSIX_VECTOR)
    }

    /// Length of the device configuration structure (0 if there is none).
    pub fn device_config_len(&self) -> u64 {
        self.device.as_ref().map_or(0, |window| window.length)
    }

    /// The byte at `offset` of the device configuration, if it has one.
    pub fn device_config_u8(&self, offset: usize) -> Option<u8> {
        let window = self.device.as_ref()?;
        ((offset as u64) < window.length).then(|| window.read8(offset))
    }

    /// The `u16` at `offset` of the device configuration, if it has one.
    pub fn device_config_u16(&self, offset: usize) -> Option<u16> {
        let window = self.device.as_ref()?;
        (offset as u64 + 2 <= window.length).then(|| window.read16(offset))
    }

    /// Writes MSI-X table entry `entry`: message address and data, then its mask bit (the
    /// entry is masked while it changes). `false` if there is no table or no such entry.
    pub fn write_msix_entry(&self, entry: u16, address: u64, data: u32, masked: bool) -> bool {
        let Some((msix, table)) = &self.msix else {
            return false;
        };
        if entry >= msix.table_size {
            return false;
        }
        let at = usize::from(entry) * MSIX_ENTRY_SIZE as usize;
        table.write32(at + 12, 1);
        table.write32(at, address as u32);
        table.write32(at + 4, (address >> 32) as u32);
        table.write32(at + 8, data);
        table.write32(at + 12, u32::from(masked));
        true
    }
}

impl<R: Registers> Window<R> {
    fn read8(&self, offset: usize) -> u8 {
        self.registers.read8(self.base + offset)
    }

    fn read16(&self, offset: usize) -> u16 {
        self.registers.read16(self.base + offset)
    }

    fn read32(&self, offset: usize) -> u32 {
        self.registers.read32(self.base + offset)
    }

    fn write8(&self, offset: usize, value: u8) {
        self.registers.write8(self.base + offset, value);
    }

    fn write16(&self, offset: usize, value: u16) {
        self.registers.write16(self.base + offset, value);
    }

    fn write32(&self, offset: usize, value: u32) {
        self.registers.write32(self.base + offset, value);
    }

    fn write64(&self, offset: usize, value: u64) {
        self.write32(offset, value as u32);
        self.write32(offset + 4, (value >> 32) as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakePlatform;

    fn device(common: Structure, notify: Structure, device: Structure) -> VirtioPciDevice {
        VirtioPciDevice {
            bdf: Bdf::new(0, 3, 0).unwrap(),
            device_id: 0x1041,
            common,
            notify,
            notify_off_multiplier: 0,
            isr: None,
            device: Some(device),
            msix: None,
        }
    }

    #[test]
    fn each_bar_is_mapped_once_over_its_structures() {
        let platform = FakePlatform::new();
        let device = device(
            Structure {
                bar: 2,
                address: 0x1_0000_0800,
                length: 0x38,
            },
            Structure {
                bar: 2,
                address: 0x1_0000_5000,
                length: 0x10,
            },
            Structure {
                bar: 0,
                address: 0x2000_0ff0,
                length: 0x20,
            },
        );
        let transport = Transport::map(&platform, &device).unwrap();
        assert_eq!(
            *platform.mappings.borrow(),
            [(0x2000_0000, 0x2000), (0x1_0000_0000, 0x6000)]
        );
        assert_eq!(transport.common.base, 0x800);
        assert_eq!(transport.notify.base, 0x5000);
        assert_eq!(transport.device_config_len(), 0x20);
    }

    #[test]
    fn a_huge_span_is_refused() {
        let platform = FakePlatform::new();
        let structure = |address| Structure {
            bar: 4,
            address,
            length: 0x1000,
        };
        let device = device(
            structure(0x10_0000_0000),
            structure(0x10_4000_0000),
            structure(0x10_0000_1000),
        );
        assert_eq!(
            Transport::map(&platform, &device).unwrap_err(),
            Error::MapFailed {
                phys: 0x10_0000_0000,
                len: 0x4000_1000
            }
        );
        assert!(platform.mappings.borrow().is_empty());
    }
}
