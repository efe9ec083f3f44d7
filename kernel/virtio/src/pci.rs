//! Finding a virtio-net device on PCI and locating its virtio 1.x structures (virtio spec v1.2
//! §4.1.2 PCI device discovery, §4.1.4 virtio structure PCI capabilities).
//!
//! [`find_virtio_net`] scans every bus, device and function through [`PciConfig`] (functions
//! 1..8 only when function 0's header type has the multi-function bit 7), and takes the first
//! virtio-net device: the modern id `0x1041`, or the transitional `0x1000` if (and only if) it
//! also offers the virtio 1.x capabilities, as QEMU's `-device virtio-net-pci` does.
//!
//! [`probe`] walks the capability list (at most 48 entries, so a list that loops cannot hang
//! the boot) for the vendor-specific virtio capabilities (id 0x09: common, notify, ISR and
//! device configuration) and MSI-X (id 0x11). Per the spec it takes the first capability of
//! each type it can use, ignores those naming a reserved BAR (6 and up), and needs memory BARs.
//! BARs are sized by writing all ones with memory decoding off and restoring them; every
//! structure must fit in its BAR. Only then are memory decoding and bus mastering enabled (and
//! legacy INTx disabled: the driver uses MSI-X or polls).
//!
//! Configuration space is device-controlled input: every pointer and length read from it is
//! checked before use, and the result is a plain [`VirtioPciDevice`] of physical addresses.

use core::fmt;

use crate::Error;

/// Red Hat's PCI vendor id, used by all virtio devices.
pub const VIRTIO_VENDOR_ID: u16 = 0x1af4;
/// Modern virtio-net: 0x1040 + device type 1 (§4.1.2).
pub const VIRTIO_NET_DEVICE_ID: u16 = 0x1041;
/// Transitional virtio-net (legacy interface, sometimes with the modern one too).
pub const VIRTIO_NET_TRANSITIONAL_DEVICE_ID: u16 = 0x1000;

const REG_ID: u8 = 0x00;
const REG_COMMAND_STATUS: u8 = 0x04;
const REG_HEADER_TYPE: u8 = 0x0c;
const REG_BAR0: u8 = 0x10;
const REG_CAPABILITIES: u8 = 0x34;

const COMMAND_IO: u32 = 1 << 0;
const COMMAND_MEMORY: u32 = 1 << 1;
const COMMAND_BUS_MASTER: u32 = 1 << 2;
const COMMAND_INTX_DISABLE: u32 = 1 << 10;
const STATUS_CAPABILITIES: u32 = 1 << 4;
const HEADER_MULTI_FUNCTION: u8 = 0x80;

/// First byte after the standard header: capabilities live in `0x40..0x100`.
const CAPABILITIES_START: u8 = 0x40;
/// At most this many 4-byte-aligned capabilities fit in `0x40..0x100`.
const MAX_CAPABILITIES: usize = 48;

const CAP_ID_VENDOR: u8 = 0x09;
const CAP_ID_MSIX: u8 = 0x11;

/// `cfg_type` of `struct virtio_pci_cap` (§4.1.4).
const VIRTIO_PCI_CAP_COMMON_CFG: u8 = 1;
const VIRTIO_PCI_CAP_NOTIFY_CFG: u8 = 2;
const VIRTIO_PCI_CAP_ISR_CFG: u8 = 3;
const VIRTIO_PCI_CAP_DEVICE_CFG: u8 = 4;
/// `sizeof(struct virtio_pci_cap)`.
const VIRTIO_CAP_LEN: u8 = 16;
/// `sizeof(struct virtio_pci_notify_cap)`.
const VIRTIO_NOTIFY_CAP_LEN: u8 = 20;
/// The MSI-X capability: header + message control, table offset/BIR, PBA offset/BIR.
const MSIX_CAP_LEN: u8 = 12;
/// One MSI-X table entry: address low, address high, data, vector control.
pub const MSIX_ENTRY_SIZE: u64 = 16;

/// Bytes of the common configuration structure the driver uses (up to `queue_device`).
pub const COMMON_CFG_LEN: u64 = 0x38;

/// A PCI function address: bus, device (0..32), function (0..8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    bus: u8,
    device: u8,
    function: u8,
}

impl Bdf {
    /// The function, if `device < 32` and `function < 8`.
    pub const fn new(bus: u8, device: u8, function: u8) -> Option<Bdf> {
        if device < 32 && function < 8 {
            Some(Bdf {
                bus,
                device,
                function,
            })
        } else {
            None
        }
    }

    /// The bus number.
    pub fn bus(self) -> u8 {
        self.bus
    }

    /// The device number (0..32).
    pub fn device(self) -> u8 {
        self.device
    }

    /// The function number (0..8).
    pub fn function(self) -> u8 {
        self.function
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// PCI configuration space access (the legacy 0xCF8/0xCFC mechanism in the runtime).
pub trait PciConfig {
    /// The 32-bit register at `offset` (a multiple of 4) of `bdf`; all ones if no function
    /// answers.
    fn read32(&self, bdf: Bdf, offset: u8) -> u32;
    /// Writes the 32-bit register at `offset` (a multiple of 4) of `bdf`.
    fn write32(&self, bdf: Bdf, offset: u8, value: u32);
}

/// A function found by [`functions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    /// Where it is.
    pub bdf: Bdf,
    /// Its vendor id.
    pub vendor_id: u16,
    /// Its device id.
    pub device_id: u16,
}

/// Every PCI function present, in bus/device/function order.
pub fn functions<C: PciConfig>(pci: &C) -> Functions<'_, C> {
    Functions {
        pci,
        next: Some((0, 0, 0)),
        multi_function: false,
    }
}

/// The iterator of [`functions`]: 256 buses × 32 devices, 8 functions where function 0 says
/// it has them.
#[derive(Debug)]
pub struct Functions<'a, C> {
    pci: &'a C,
    /// The next (bus, device, function) to look at.
    next: Option<(u8, u8, u8)>,
    /// Whether the current device's function 0 has the multi-function bit.
    multi_function: bool,
}

impl<C: PciConfig> Functions<'_, C> {
    /// Moves to function `function + 1`, or to the next device when `whole_device` is set or
    /// the device has no more functions.
    fn advance(&mut self, bus: u8, device: u8, function: u8, whole_device: bool) {
        self.next = if !whole_device && function < 7 {
            Some((bus, device, function + 1))
        } else if device < 31 {
            Some((bus, device + 1, 0))
        } else {
            bus.checked_add(1).map(|bus| (bus, 0, 0))
        };
    }
}

impl<C: PciConfig> Iterator for Functions<'_, C> {
    type Item = Function;

    fn next(&mut self) -> Option<Function> {
        while let Some((bus, device, function)) = self.next {
            let bdf = Bdf {
                bus,
                device,
                function,
            };
            let id = self.pci.read32(bdf, REG_ID);
            let vendor_id = id as u16;
            let present = vendor_id != 0xffff && vendor_id != 0;
            if function == 0 {
                if !present {
                    self.advance(bus, device, function, true);
                    continue;
                }
                let header_type = (self.pci.read32(bdf, REG_HEADER_TYPE) >> 16) as u8;
                self.multi_function = header_type & HEADER_MULTI_FUNCTION != 0;
            }
            self.advance(bus, device, function, !self.multi_function);
            if present {
                return Some(Function {
                    bdf,
                    vendor_id,
                    device_id: (id >> 16) as u16,
                });
            }
        }
        None
    }
}

/// Which virtio structure (or MSI-X table) a capability locates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructureKind {
    /// `VIRTIO_PCI_CAP_COMMON_CFG`.
    Common,
    /// `VIRTIO_PCI_CAP_NOTIFY_CFG`.
    Notify,
    /// `VIRTIO_PCI_CAP_ISR_CFG`.
    Isr,
    /// `VIRTIO_PCI_CAP_DEVICE_CFG`.
    Device,
    /// The MSI-X table.
    MsixTable,
}

impl fmt::Display for StructureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StructureKind::Common => "common configuration",
            StructureKind::Notify => "notification structure",
            StructureKind::Isr => "ISR status",
            StructureKind::Device => "device configuration",
            StructureKind::MsixTable => "MSI-X table",
        })
    }
}

/// A structure located in a memory BAR, checked to lie inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Structure {
    /// The BAR index (0..6).
    pub bar: u8,
    /// Physical address of the structure.
    pub address: u64,
    /// Its length in bytes.
    pub length: u64,
}

/// The MSI-X capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msix {
    /// Offset of the capability in configuration space (message control is at +2).
    pub capability: u8,
    /// The vector table.
    pub table: Structure,
    /// Number of table entries.
    pub table_size: u16,
}

/// A virtio 1.x PCI device, located and enabled (memory decoding and bus mastering on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtioPciDevice {
    /// Where it is.
    pub bdf: Bdf,
    /// Its PCI device id.
    pub device_id: u16,
    /// The common configuration (at least [`COMMON_CFG_LEN`] bytes).
    pub common: Structure,
    /// The notification structure.
    pub notify: Structure,
    /// `notify_off_multiplier`: a queue's notification address is `notify.address +
    /// queue_notify_off * notify_off_multiplier`.
    pub notify_off_multiplier: u32,
    /// The ISR status byte (unused by this driver: it uses MSI-X or polls).
    pub isr: Option<Structure>,
    /// The device-specific configuration.
    pub device: Option<Structure>,
    /// MSI-X, if the device has a well-formed capability for it.
    pub msix: Option<Msix>,
}

/// Finds the first usable virtio-net device and enables it (see the module docs).
///
/// If none is usable, the error is the first device's reason, or [`Error::NoDevice`].
pub fn find_virtio_net(pci: &impl PciConfig) -> Result<VirtioPciDevice, Error> {
    let mut first_error = None;
    for function in functions(pci) {
        if function.vendor_id != VIRTIO_VENDOR_ID {
            continue;
        }
        let result = match function.device_id {
            VIRTIO_NET_DEVICE_ID => probe(pci, function.bdf),
            VIRTIO_NET_TRANSITIONAL_DEVICE_ID => {
                probe(pci, function.bdf).map_err(|error| match error {
                    Error::MissingStructure {
                        structure: StructureKind::Common,
                        bdf,
                    } => Error::LegacyOnly { bdf },
                    other => other,
                })
            }
            _ => continue,
        };
        match result {
            Ok(device) => return Ok(device),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or(Error::NoDevice))
}

/// A vendor-specific virtio capability as read (§4.1.4 `struct virtio_pci_cap`).
#[derive(Clone, Copy, Debug)]
struct VirtioCapability {
    cfg_type: u8,
    bar: u8,
    offset: u32,
    length: u32,
    notify_off_multiplier: u32,
}

/// The MSI-X capability as read.
#[derive(Clone, Copy, Debug)]
struct MsixCapability {
    capability: u8,
    table_size: u16,
    bar: u8,
    offset: u32,
}

/// The capabilities of interest, in list order.
#[derive(Debug)]
struct Capabilities {
    virtio: [Option<VirtioCapability>; MAX_CAPABILITIES],
    msix: Option<MsixCapability>,
}

/// Locates the virtio structures of the device at `bdf` and enables it (see the module docs).
pub fn probe(pci: &impl PciConfig, bdf: Bdf) -> Result<VirtioPciDevice, Error> {
    let device_id = (pci.read32(bdf, REG_ID) >> 16) as u16;
    let header_type = (pci.read32(bdf, REG_HEADER_TYPE) >> 16) as u8 & !HEADER_MULTI_FUNCTION;
    if header_type != 0 {
        return Err(Error::UnexpectedHeaderType { bdf, header_type });
    }
    let capabilities = read_capabilities(pci, bdf)?;
    let has = |cfg_type| {
        capabilities
            .virtio
            .iter()
            .flatten()
            .any(|c| c.cfg_type == cfg_type)
    };
    if !has(VIRTIO_PCI_CAP_COMMON_CFG) {
        return Err(Error::MissingStructure {
            bdf,
            structure: StructureKind::Common,
        });
    }

    // Size the BARs with decoding off, so the all-ones probe value never decodes.
    let command = pci.read32(bdf, REG_COMMAND_STATUS) & 0xffff;
    pci.write32(
        bdf,
        REG_COMMAND_STATUS,
        command & !(COMMAND_IO | COMMAND_MEMORY),
    );
    let bars = read_bars(pci, bdf);
    let located = locate(bdf, device_id, &capabilities, &bars);
    // Writing 0 to the status half leaves its write-1-to-clear bits alone.
    let command = if located.is_ok() {
        command | COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE
    } else {
        command
    };
    pci.write32(bdf, REG_COMMAND_STATUS, command);
    located
}

/// Walks the capability list, keeping the virtio capabilities and the first MSI-X one.
fn read_capabilities(pci: &impl PciConfig, bdf: Bdf) -> Result<Capabilities, Error> {
    let mut found = Capabilities {
        virtio: [None; MAX_CAPABILITIES],
        msix: None,
    };
    if (pci.read32(bdf, REG_COMMAND_STATUS) >> 16) & STATUS_CAPABILITIES == 0 {
        return Ok(found);
    }
    let mut pointer = pci.read32(bdf, REG_CAPABILITIES) as u8 & !3;
    for slot in &mut found.virtio {
        if pointer == 0 {
            return Ok(found);
        }
        if pointer < CAPABILITIES_START {
            return Err(Error::BadCapabilityPointer {
                bdf,
                offset: pointer,
            });
        }
        let header = pci.read32(bdf, pointer);
        let id = header as u8;
        let next = (header >> 8) as u8 & !3;
        // Bytes left in configuration space from `pointer` (at most 0xc0).
        let room = (256 - usize::from(pointer)) as u8;
        let too_short = |len: u8| Error::CapabilityTooShort {
            bdf,
            offset: pointer,
            len,
        };
        match id {
            CAP_ID_VENDOR => {
                let cap_len = (header >> 16) as u8;
                let cfg_type = (header >> 24) as u8;
                let needed = if cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG {
                    VIRTIO_NOTIFY_CAP_LEN
                } else {
                    VIRTIO_CAP_LEN
                };
                if cap_len > room {
                    return Err(too_short(room));
                }
                if cap_len < needed {
                    return Err(too_short(cap_len));
                }
                let read = |at: u8| pci.read32(bdf, pointer + at);
                *slot = Some(VirtioCapability {
                    cfg_type,
                    bar: read(4) as u8,
                    offset: read(8),
                    length: read(12),
                    notify_off_multiplier: if cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG {
                        read(16)
                    } else {
                        0
                    },
                });
            }
            CAP_ID_MSIX if found.msix.is_none() => {
                if room < MSIX_CAP_LEN {
                    return Err(too_short(room));
                }
                let table = pci.read32(bdf, pointer + 4);
                found.msix = Some(MsixCapability {
                    capability: pointer,
                    table_size: ((header >> 16) as u16 & 0x7ff) + 1,
                    bar: (table & 7) as u8,
                    offset: table & !7,
                });
            }
            _ => {}
        }
        pointer = next;
    }
    if pointer == 0 {
        Ok(found)
    } else {
        Err(Error::CapabilityLoop { bdf })
    }
}

/// A base address register, as sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bar {
    /// Not implemented (reads back 0 after writing all ones).
    Unused,
    /// An I/O port BAR.
    Io,
    /// A memory BAR.
    Memory { address: u64, size: u64 },
    /// The upper half of the 64-bit BAR before it, or a 64-bit BAR with no room for its upper
    /// half.
    Invalid,
}

/// Reads and sizes the six BARs of a type-0 header (memory decoding must be off).
fn read_bars(pci: &impl PciConfig, bdf: Bdf) -> [Bar; 6] {
    let mut bars = [Bar::Unused; 6];
    let mut index = 0;
    while index < 6 {
        let register = REG_BAR0 + 4 * index as u8;
        let low = pci.read32(bdf, register);
        let size_mask = |register: u8, original: u32| {
            pci.write32(bdf, register, u32::MAX);
            let mask = pci.read32(bdf, register);
            pci.write32(bdf, register, original);
            mask
        };
        if low & 1 != 0 {
            bars[index] = Bar::Io;
            index += 1;
            continue;
        }
        let is_64_bit = (low >> 1) & 3 == 2;
        if is_64_bit && index == 5 {
            bars[index] = Bar::Invalid;
            break;
        }
        let low_mask = u64::from(size_mask(register, low) & !0xf);
        let (address, mask) = if is_64_bit {
            let high = pci.read32(bdf, register + 4);
            let high_mask = u64::from(size_mask(register + 4, high));
            if let Some(upper) = bars.get_mut(index + 1) {
                *upper = Bar::Invalid;
            }
            (
                u64::from(high) << 32 | u64::from(low & !0xf),
                high_mask << 32 | low_mask,
            )
        } else {
            (u64::from(low & !0xf), 0xffff_ffff_0000_0000 | low_mask)
        };
        bars[index] = if low_mask == 0 && (!is_64_bit || mask == 0) {
            Bar::Unused
        } else {
            Bar::Memory {
                address,
                size: (!mask).wrapping_add(1),
            }
        };
        index += if is_64_bit { 2 } else { 1 };
    }
    bars
}

/// Picks the first usable capability of each type and checks it against the BARs.
fn locate(
    bdf: Bdf,
    device_id: u16,
    capabilities: &Capabilities,
    bars: &[Bar; 6],
) -> Result<VirtioPciDevice, Error> {
    // Each structure's minimum length, and the alignment its register accesses need (§4.1.4.3,
    // §4.1.4.4, §4.1.4.6).
    let first = |cfg_type: u8, structure: StructureKind, needed: u64, align: u64| {
        let mut first_error = None;
        for capability in capabilities.virtio.iter().flatten() {
            // §4.1.4: the driver ignores capabilities with a reserved BAR value.
            if capability.cfg_type != cfg_type || capability.bar >= 6 {
                continue;
            }
            let location = Location {
                bdf,
                structure,
                bar: capability.bar,
                offset: u64::from(capability.offset),
                length: u64::from(capability.length),
            };
            match location.resolve(bars, needed, align) {
                Ok(found) => return Ok(Some((found, *capability))),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        first_error.map_or(Ok(None), Err)
    };
    let required = |found: Option<(Structure, VirtioCapability)>, structure| {
        found.ok_or(Error::MissingStructure { bdf, structure })
    };

    let (common, _) = required(
        first(
            VIRTIO_PCI_CAP_COMMON_CFG,
            StructureKind::Common,
            COMMON_CFG_LEN,
            4,
        )?,
        StructureKind::Common,
    )?;
    let (notify, notify_capability) = required(
        first(VIRTIO_PCI_CAP_NOTIFY_CFG, StructureKind::Notify, 2, 2)?,
        StructureKind::Notify,
    )?;
    let isr = first(VIRTIO_PCI_CAP_ISR_CFG, StructureKind::Isr, 1, 1)?.map(|(s, _)| s);
    let device = first(VIRTIO_PCI_CAP_DEVICE_CFG, StructureKind::Device, 1, 4)?.map(|(s, _)| s);
    // A malformed MSI-X capability is treated as absent: the driver then polls.
    let msix = capabilities.msix.and_then(|msix| {
        let location = Location {
            bdf,
            structure: StructureKind::MsixTable,
            bar: msix.bar,
            offset: u64::from(msix.offset),
            length: u64::from(msix.table_size) * MSIX_ENTRY_SIZE,
        };
        let table = location.resolve(bars, MSIX_ENTRY_SIZE, 8).ok()?;
        Some(Msix {
            capability: msix.capability,
            table,
            table_size: msix.table_size,
        })
    });
    Ok(VirtioPciDevice {
        bdf,
        device_id,
        common,
        notify,
        notify_off_multiplier: notify_capability.notify_off_multiplier,
        isr,
        device,
        msix,
    })
}

/// A structure as a capability describes it, before it is checked against its BAR.
struct Location {
    bdf: Bdf,
    structure: StructureKind,
    bar: u8,
    offset: u64,
    length: u64,
}

impl Location {
    /// The structure, if it lies in a memory BAR, is at least `needed` bytes long and its
    /// address is a multiple of `align`.
    fn resolve(&self, bars: &[Bar; 6], needed: u64, align: u64) -> Result<Structure, Error> {
        let Location {
            bdf,
            structure,
            bar,
            offset,
            length,
        } = *self;
        let (base, bar_size) = match bars.get(usize::from(bar)) {
            Some(&Bar::Memory { address, size }) => (address, size),
            Some(Bar::Io) => {
                return Err(Error::IoBar {
                    bdf,
                    structure,
                    bar,
                });
            }
            _ => {
                return Err(Error::BadBar {
                    bdf,
                    structure,
                    bar,
                });
            }
        };
        if base == 0 {
            return Err(Error::BarUnassigned { bdf, bar });
        }
        if length < needed {
            return Err(Error::StructureTooSmall {
                bdf,
                structure,
                length,
                needed,
            });
        }
        // Inside the BAR, and the BAR itself does not wrap the address space.
        let inside = offset
            .checked_add(length)
            .is_some_and(|end| end <= bar_size)
            && base.checked_add(offset + length).is_some();
        if !inside {
            return Err(Error::OutsideBar {
                bdf,
                structure,
                bar,
                offset,
                length,
                bar_size,
            });
        }
        let address = base + offset;
        if !address.is_multiple_of(align) {
            return Err(Error::MisalignedStructure {
                bdf,
                structure,
                address,
            });
        }
        Ok(Structure {
            bar,
            address,
            length,
        })
    }
}

/// Message control bits of the MSI-X capability (PCI Local Bus 3.0 §6.8.2).
pub(crate) mod msix_control {
    /// MSI-X enable.
    pub const ENABLE: u16 = 1 << 15;
    /// Function mask: all vectors masked.
    pub const FUNCTION_MASK: u16 = 1 << 14;
}

/// Writes the MSI-X message control word of `msix` (read-modify-write of its dword: the
/// capability id and next pointer below it are read-only).
pub(crate) fn write_msix_control(pci: &impl PciConfig, bdf: Bdf, msix: &Msix, control: u16) {
    let header = pci.read32(bdf, msix.capability);
    pci.write32(
        bdf,
        msix.capability,
        (header & 0xffff) | u32::from(control) << 16,
    );
}

/// Reads the MSI-X message control word of `msix`.
pub(crate) fn read_msix_control(pci: &impl PciConfig, bdf: Bdf, msix: &Msix) -> u16 {
    (pci.read32(bdf, msix.capability) >> 16) as u16
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::testing::{
        self, BAR1_ADDRESS, BAR4_ADDRESS, FakeFunction, FakePci, msix_cap, notify_cap, virtio_cap,
    };
    use std::string::ToString;
    use std::vec::Vec;

    fn bdf(bus: u8, device: u8, function: u8) -> Bdf {
        Bdf::new(bus, device, function).unwrap()
    }

    #[test]
    fn bdf_checks_and_prints() {
        assert_eq!(Bdf::new(0, 32, 0), None);
        assert_eq!(Bdf::new(0, 0, 8), None);
        assert_eq!(bdf(0xab, 0x1f, 7).to_string(), "ab:1f.7");
    }

    #[test]
    fn enumeration_follows_the_multi_function_bit() {
        let pci = FakePci::new();
        pci.insert(bdf(0, 0, 0), FakeFunction::new(0x8086, 0x29c0));
        // Multi-function device: functions 0 and 3.
        pci.insert(
            bdf(0, 1, 0),
            FakeFunction::new(0x8086, 0x7000).header_type(0x80),
        );
        pci.insert(bdf(0, 1, 3), FakeFunction::new(0x8086, 0x7113));
        // Single-function device that answers on function 2 as well (as some do): ignored.
        pci.insert(bdf(0, 2, 0), FakeFunction::new(0x1234, 0x1111));
        pci.insert(bdf(0, 2, 2), FakeFunction::new(0x1234, 0x1111));
        // A function without function 0 does not exist.
        pci.insert(bdf(0, 3, 1), FakeFunction::new(0x1234, 0x2222));
        pci.insert(bdf(7, 31, 0), FakeFunction::new(0x1af4, 0x1041));
        pci.insert(bdf(255, 31, 0), FakeFunction::new(0x1af4, 0x1042));
        let found: Vec<_> = functions(&pci)
            .map(|f| (f.bdf.to_string(), f.vendor_id, f.device_id))
            .collect();
        assert_eq!(
            found,
            [
                ("00:00.0".into(), 0x8086, 0x29c0),
                ("00:01.0".into(), 0x8086, 0x7000),
                ("00:01.3".into(), 0x8086, 0x7113),
                ("00:02.0".into(), 0x1234, 0x1111),
                ("07:1f.0".into(), 0x1af4, 0x1041),
                ("ff:1f.0".into(), 0x1af4, 0x1042),
            ]
        );
    }

    #[test]
    fn finds_the_modern_device_and_enables_it() {
        let pci = FakePci::new();
        pci.insert(bdf(0, 0, 0), FakeFunction::new(0x8086, 0x29c0));
        pci.insert(bdf(0, 3, 0), testing::qemu_virtio_net(VIRTIO_NET_DEVICE_ID));
        let device = find_virtio_net(&pci).unwrap();
        assert_eq!(device.bdf, bdf(0, 3, 0));
        assert_eq!(
            device.common,
            Structure {
                bar: 4,
                address: BAR4_ADDRESS,
                length: 0x1000
            }
        );
        assert_eq!(device.isr.unwrap().address, BAR4_ADDRESS + 0x1000);
        assert_eq!(device.device.unwrap().address, BAR4_ADDRESS + 0x2000);
        assert_eq!(device.notify.address, BAR4_ADDRESS + 0x3000);
        assert_eq!(device.notify_off_multiplier, 4);
        assert_eq!(
            device.msix,
            Some(Msix {
                capability: 0x40,
                table: Structure {
                    bar: 1,
                    address: BAR1_ADDRESS,
                    length: 4 * 16
                },
                table_size: 4,
            })
        );
        let command = pci.read32(bdf(0, 3, 0), REG_COMMAND_STATUS) & 0xffff;
        assert_eq!(
            command,
            COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE
        );
        // The BARs hold their addresses again after sizing.
        assert_eq!(pci.read32(bdf(0, 3, 0), 0x14), BAR1_ADDRESS as u32);
        assert_eq!(pci.read32(bdf(0, 3, 0), 0x20), BAR4_ADDRESS as u32 | 0b100);
        assert_eq!(pci.read32(bdf(0, 3, 0), 0x24), (BAR4_ADDRESS >> 32) as u32);
    }

    #[test]
    fn transitional_device_is_taken_only_with_modern_capabilities() {
        let pci = FakePci::new();
        pci.insert(
            bdf(0, 2, 0),
            FakeFunction::new(0x1af4, 0x1000).io_bar(0, 0xc000, 0x20),
        );
        assert_eq!(
            find_virtio_net(&pci),
            Err(Error::LegacyOnly { bdf: bdf(0, 2, 0) })
        );
        assert!(
            Error::LegacyOnly { bdf: bdf(0, 2, 0) }
                .to_string()
                .contains("legacy")
        );
        // A later transitional device with the modern capabilities is used.
        pci.insert(
            bdf(0, 4, 0),
            testing::qemu_virtio_net(VIRTIO_NET_TRANSITIONAL_DEVICE_ID),
        );
        let device = find_virtio_net(&pci).unwrap();
        assert_eq!((device.bdf, device.device_id), (bdf(0, 4, 0), 0x1000));
    }

    #[test]
    fn no_device_says_how_to_add_one() {
        let pci = FakePci::new();
        pci.insert(bdf(0, 0, 0), FakeFunction::new(0x8086, 0x29c0));
        pci.insert(bdf(0, 5, 0), FakeFunction::new(0x1af4, 0x1042)); // virtio-blk
        let error = find_virtio_net(&pci).unwrap_err();
        assert_eq!(error, Error::NoDevice);
        assert!(error.to_string().contains("-device virtio-net-pci"));
    }

    #[test]
    fn a_device_without_capabilities_is_not_virtio_1() {
        let pci = FakePci::new();
        let mut function = testing::qemu_virtio_net(VIRTIO_NET_DEVICE_ID);
        function.config[0x06] &= !0x10; // the list is there, but the status bit says not
        pci.insert(bdf(0, 3, 0), function);
        assert_eq!(
            find_virtio_net(&pci),
            Err(Error::MissingStructure {
                bdf: bdf(0, 3, 0),
                structure: StructureKind::Common
            })
        );
    }

    #[test]
    fn a_capability_loop_is_an_error_not_a_hang() {
        let pci = FakePci::new();
        let mut function = testing::qemu_virtio_net(VIRTIO_NET_DEVICE_ID);
        // Make the last capability point back at the first.
        let last = function.last_capability();
        function.config[usize::from(last) + 1] = 0x40;
        pci.insert(bdf(0, 3, 0), function);
        assert_eq!(
            find_virtio_net(&pci),
            Err(Error::CapabilityLoop { bdf: bdf(0, 3, 0) })
        );
        // Memory decoding stays as it was.
        assert_eq!(pci.read32(bdf(0, 3, 0), REG_COMMAND_STATUS) & 0xffff, 0);
    }

    #[test]
    fn capabilities_outside_the_device_area_are_errors() {
        let pci = FakePci::new();
        let mut function = testing::qemu_virtio_net(VIRTIO_NET_DEVICE_ID);
        function.config[0x34] = 0x20; // into the standard header
        pci.insert(bdf(0, 3, 0), function);
        assert_eq!(
            probe(&pci, bdf(0, 3, 0)),
            Err(Error::BadCapabilityPointer {
                bdf: bdf(0, 3, 0),
                offset: 0x20
            })
        );

        // A 16-byte capability at 0xf8 would run past 0x100.
        let mut function = FakeFunction::new(0x1af4, 0x1041);
        function.config[0x06] = 0x10;
        function.config[0x34] = 0xf8;
        function.config[0xf8..0xfc].copy_from_slice(&[0x09, 0, 16, 1]);
        pci.insert(bdf(0, 4, 0), function);
        assert_eq!(
            probe(&pci, bdf(0, 4, 0)),
            Err(Error::CapabilityTooShort {
                bdf: bdf(0, 4, 0),
                offset: 0xf8,
                len: 8
            })
        );

        // A notification capability without its multiplier.
        let function = FakeFunction::new(0x1af4, 0x1041)
            .mem_bar64(4, BAR4_ADDRESS, 0x4000)
            .capability(&virtio_cap(1, 4, 0, 0x1000))
            .capability(&virtio_cap(2, 4, 0x3000, 0x1000));
        pci.insert(bdf(0, 5, 0), function);
        assert!(matches!(
            probe(&pci, bdf(0, 5, 0)),
            Err(Error::CapabilityTooShort { len: 16, .. })
        ));
    }

    #[test]
    fn structures_must_fit_their_bars() {
        let pci = FakePci::new();
        let at = bdf(0, 3, 0);
        let base = || FakeFunction::new(0x1af4, 0x1041).mem_bar64(4, BAR4_ADDRESS, 0x4000);

        // Past the end of the BAR.
        pci.insert(
            at,
            base()
                .capability(&virtio_cap(1, 4, 0x3800, 0x1000))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(
            probe(&pci, at),
            Err(Error::OutsideBar {
                bdf: at,
                structure: StructureKind::Common,
                bar: 4,
                offset: 0x3800,
                length: 0x1000,
                bar_size: 0x4000
            })
        );

        // Offset + length overflowing u32 arithmetic is still caught.
        pci.insert(
            at,
            base()
                .capability(&virtio_cap(1, 4, u32::MAX, u32::MAX))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert!(matches!(probe(&pci, at), Err(Error::OutsideBar { .. })));

        // Reserved BAR values are ignored; with no other common capability it is missing.
        pci.insert(
            at,
            base()
                .capability(&virtio_cap(1, 6, 0, 0x1000))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(
            probe(&pci, at),
            Err(Error::MissingStructure {
                bdf: at,
                structure: StructureKind::Common
            })
        );

        // The upper half of a 64-bit BAR, and an unimplemented BAR.
        for bar in [5, 2] {
            pci.insert(
                at,
                base()
                    .capability(&virtio_cap(1, bar, 0, 0x1000))
                    .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
            );
            assert_eq!(
                probe(&pci, at),
                Err(Error::BadBar {
                    bdf: at,
                    structure: StructureKind::Common,
                    bar
                })
            );
        }

        // An I/O BAR, then a memory one: the first usable is taken.
        pci.insert(
            at,
            base()
                .io_bar(0, 0xc000, 0x40)
                .capability(&virtio_cap(1, 0, 0, 0x40))
                .capability(&virtio_cap(1, 4, 0, 0x1000))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(probe(&pci, at).unwrap().common.address, BAR4_ADDRESS);
        // Only an I/O BAR.
        pci.insert(
            at,
            base()
                .io_bar(0, 0xc000, 0x40)
                .capability(&virtio_cap(1, 0, 0, 0x40))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(
            probe(&pci, at),
            Err(Error::IoBar {
                bdf: at,
                structure: StructureKind::Common,
                bar: 0
            })
        );

        // Too short for the registers the driver uses.
        pci.insert(
            at,
            base()
                .capability(&virtio_cap(1, 4, 0, 0x20))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert!(matches!(
            probe(&pci, at),
            Err(Error::StructureTooSmall { needed: 0x38, .. })
        ));

        // Misaligned for its registers.
        pci.insert(
            at,
            base()
                .capability(&virtio_cap(1, 4, 0x102, 0x100))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(
            probe(&pci, at),
            Err(Error::MisalignedStructure {
                bdf: at,
                structure: StructureKind::Common,
                address: BAR4_ADDRESS + 0x102
            })
        );

        // No notification structure.
        pci.insert(at, base().capability(&virtio_cap(1, 4, 0, 0x1000)));
        assert_eq!(
            probe(&pci, at),
            Err(Error::MissingStructure {
                bdf: at,
                structure: StructureKind::Notify
            })
        );

        // A BAR the firmware did not assign.
        pci.insert(
            at,
            FakeFunction::new(0x1af4, 0x1041)
                .mem_bar64(4, 0, 0x4000)
                .capability(&virtio_cap(1, 4, 0, 0x1000))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        assert_eq!(
            probe(&pci, at),
            Err(Error::BarUnassigned { bdf: at, bar: 4 })
        );
    }

    #[test]
    fn a_malformed_msix_capability_is_ignored() {
        let pci = FakePci::new();
        let at = bdf(0, 3, 0);
        // 2048 entries do not fit in a 4 KiB BAR.
        pci.insert(
            at,
            FakeFunction::new(0x1af4, 0x1041)
                .mem_bar32(1, BAR1_ADDRESS as u32, 0x1000)
                .mem_bar64(4, BAR4_ADDRESS, 0x4000)
                .capability(&msix_cap(2048, 1, 0, 1, 0x800))
                .capability(&virtio_cap(1, 4, 0, 0x1000))
                .capability(&notify_cap(4, 0x3000, 0x1000, 4)),
        );
        let device = probe(&pci, at).unwrap();
        assert_eq!(device.msix, None);
        assert_eq!(device.device, None);
    }

    #[test]
    fn bars_are_sized_and_restored() {
        let pci = FakePci::new();
        let at = bdf(0, 3, 0);
        pci.insert(
            at,
            FakeFunction::new(0x1af4, 0x1041)
                .io_bar(0, 0xc040, 0x20)
                .mem_bar32(1, 0xfeb0_0000, 0x10_0000)
                .mem_bar64(2, 0x8_0000_0000, 0x2_0000_0000)
                .mem_bar64(5, 0x1000, 0x1000),
        );
        let bars = read_bars(&pci, at);
        assert_eq!(
            bars,
            [
                Bar::Io,
                Bar::Memory {
                    address: 0xfeb0_0000,
                    size: 0x10_0000
                },
                Bar::Memory {
                    address: 0x8_0000_0000,
                    size: 0x2_0000_0000
                },
                Bar::Invalid,
                Bar::Unused,
                Bar::Invalid,
            ]
        );
        assert_eq!(pci.read32(at, 0x10), 0xc041);
        assert_eq!(pci.read32(at, 0x18), 0b100);
        assert_eq!(pci.read32(at, 0x1c), 8);
    }
}
