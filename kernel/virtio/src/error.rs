//! The crate's one error type: what went wrong finding, starting or running a virtio-net device
//! (virtio spec v1.2 §4.1 PCI transport, §2.7 split virtqueues, §5.1 network device).
//!
//! Each variant's `Display` is a sentence for the console: what was wrong and what to do.

use core::fmt;

use crate::pci::{Bdf, StructureKind};

/// Why the virtio-net driver could not find, start or keep using its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// No virtio-net function on any PCI bus.
    NoDevice,
    /// The only virtio-net device is a legacy one, without the virtio 1.x capabilities.
    LegacyOnly {
        /// Where it is.
        bdf: Bdf,
    },
    /// The function's configuration header is not a general device (type 0).
    UnexpectedHeaderType {
        /// The function.
        bdf: Bdf,
        /// Bits 0..7 of the header type register.
        header_type: u8,
    },
    /// A capability pointer leads outside the device-specific area 0x40..0x100.
    BadCapabilityPointer {
        /// The function.
        bdf: Bdf,
        /// The pointer.
        offset: u8,
    },
    /// A capability is shorter than its structure, or runs past the end of configuration space.
    CapabilityTooShort {
        /// The function.
        bdf: Bdf,
        /// Where the capability starts.
        offset: u8,
        /// Its `cap_len` (or the bytes left in configuration space).
        len: u8,
    },
    /// The capability list did not end within the 48 entries configuration space can hold.
    CapabilityLoop {
        /// The function.
        bdf: Bdf,
    },
    /// A virtio structure the driver needs has no usable capability.
    MissingStructure {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
    },
    /// A structure lies in an I/O BAR; virtio 1.x registers are reached through memory BARs.
    IoBar {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
        /// The BAR index.
        bar: u8,
    },
    /// A structure names a BAR that is not implemented, is the upper half of a 64-bit BAR, or
    /// is a 64-bit BAR in the last slot.
    BadBar {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
        /// The BAR index.
        bar: u8,
    },
    /// A memory BAR the driver needs holds address 0: firmware did not assign it.
    BarUnassigned {
        /// The function.
        bdf: Bdf,
        /// The BAR index.
        bar: u8,
    },
    /// A structure extends past the end of its BAR.
    OutsideBar {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
        /// The BAR index.
        bar: u8,
        /// The structure's offset in the BAR.
        offset: u64,
        /// The structure's length.
        length: u64,
        /// The BAR's size.
        bar_size: u64,
    },
    /// A structure's address is not aligned for the registers in it.
    MisalignedStructure {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
        /// Its physical address.
        address: u64,
    },
    /// A structure is shorter than the registers the driver uses in it.
    StructureTooSmall {
        /// The function.
        bdf: Bdf,
        /// Which structure.
        structure: StructureKind,
        /// Its length.
        length: u64,
        /// The length needed.
        needed: u64,
    },
    /// The platform could not map device registers.
    MapFailed {
        /// Physical start of the range.
        phys: u64,
        /// Its length in bytes.
        len: u64,
    },
    /// The platform had no DMA memory left for the rings and buffers.
    OutOfDmaMemory {
        /// Pages asked for.
        pages: usize,
    },
    /// The device did not finish its reset (status never read back as 0).
    ResetTimeout,
    /// The device does not offer `VIRTIO_F_VERSION_1`.
    NoVersion1 {
        /// The feature bits it offered.
        offered: u64,
    },
    /// The device cleared `FEATURES_OK`: it refused the features the driver accepted.
    FeaturesRejected {
        /// The features the driver accepted.
        features: u64,
    },
    /// The device has fewer than the two virtqueues (receive, transmit) the driver needs.
    TooFewQueues {
        /// `num_queues` as read.
        available: u16,
    },
    /// A virtqueue the driver needs reports a maximum size of 0.
    QueueUnavailable {
        /// The queue index.
        queue: u16,
    },
    /// A queue's notification register lies outside the notification structure, or is not
    /// 2-byte aligned.
    BadNotifyOffset {
        /// The queue index.
        queue: u16,
        /// `queue_notify_off * notify_off_multiplier`.
        offset: u64,
        /// The structure's length.
        length: u64,
    },
    /// The device configuration kept changing while the driver read it.
    ConfigUnstable,
    /// The device has no usable MSI-X capability.
    NoMsix,
    /// An interrupt vector below 32 (those are CPU exceptions).
    BadVector {
        /// The vector asked for.
        vector: u8,
    },
    /// The device refused an MSI-X table entry for the configuration (`None`) or a queue.
    MsixRejected {
        /// The queue index, or `None` for configuration changes.
        queue: Option<u16>,
    },
    /// The device set `DEVICE_NEEDS_RESET`.
    DeviceNeedsReset,
    /// A used element named a descriptor outside the queue.
    UsedIdOutOfRange {
        /// The queue index.
        queue: u16,
        /// The `id` as read.
        id: u32,
    },
    /// A used element named a descriptor the device does not hold (never made available, or
    /// already returned).
    UsedIdNotInFlight {
        /// The queue index.
        queue: u16,
        /// The descriptor.
        id: u16,
    },
    /// A used element claimed more bytes written than the buffer holds.
    UsedLengthTooLarge {
        /// The queue index.
        queue: u16,
        /// The descriptor.
        id: u16,
        /// The `len` as read.
        len: u32,
        /// The buffer's size.
        capacity: u32,
    },
    /// `used.idx` claims more used elements than buffers the device holds.
    UsedRingRunaway {
        /// The queue index.
        queue: u16,
        /// `used.idx` as read.
        used_idx: u16,
        /// The driver's last seen used index.
        last_used: u16,
        /// Buffers the device holds.
        outstanding: u16,
    },
}

impl Error {
    /// Whether the device is unusable after this error (as opposed to one dropped element).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Error::UsedIdOutOfRange { .. }
                | Error::UsedIdNotInFlight { .. }
                | Error::UsedLengthTooLarge { .. }
        )
    }
}

impl Error {
    /// The structure and function a structure-layout error is about (they open its sentence).
    fn structure(&self) -> Option<(StructureKind, Bdf)> {
        match *self {
            Error::IoBar { bdf, structure, .. }
            | Error::BadBar { bdf, structure, .. }
            | Error::OutsideBar { bdf, structure, .. }
            | Error::MisalignedStructure { bdf, structure, .. }
            | Error::StructureTooSmall { bdf, structure, .. } => Some((structure, bdf)),
            _ => None,
        }
    }
}

// The sentences share their openings and endings, each written once (the device's errors,
// the structure-layout errors, "poll it instead", "its configuration space is corrupt"): the
// same text as one `write!` per variant, in less code.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((structure, bdf)) = self.structure() {
            write!(f, "the {structure} of the virtio device at {bdf} ")?;
        } else if matches!(
            self,
            Error::ResetTimeout
                | Error::NoVersion1 { .. }
                | Error::FeaturesRejected { .. }
                | Error::TooFewQueues { .. }
                | Error::ConfigUnstable
                | Error::NoMsix
                | Error::MsixRejected { .. }
                | Error::DeviceNeedsReset
                | Error::UsedIdOutOfRange { .. }
                | Error::UsedIdNotInFlight { .. }
                | Error::UsedLengthTooLarge { .. }
                | Error::UsedRingRunaway { .. }
        ) {
            f.write_str("the virtio-net device ")?;
        }
        match *self {
            Error::NoDevice => f.write_str(
                "no virtio-net device found on PCI: run QEMU with -device virtio-net-pci,netdev=<id> and a matching -netdev",
            )?,
            Error::LegacyOnly { bdf } => write!(
                f,
                "the virtio-net device at {bdf} is legacy-only (no virtio 1.x capabilities): run QEMU with -device virtio-net-pci,disable-modern=off (or disable-legacy=on)"
            )?,
            Error::UnexpectedHeaderType { bdf, header_type } => write!(
                f,
                "PCI function {bdf} has configuration header type {header_type:#x}, not a device (0): it cannot be a virtio-net device"
            )?,
            Error::BadCapabilityPointer { bdf, offset } => write!(
                f,
                "PCI function {bdf} has a capability pointer {offset:#x} outside 0x40..0x100"
            )?,
            Error::CapabilityTooShort { bdf, offset, len } => write!(
                f,
                "PCI function {bdf} has a {len}-byte capability at {offset:#x}, too short for its structure"
            )?,
            Error::CapabilityLoop { bdf } => write!(
                f,
                "the capability list of PCI function {bdf} does not end (it loops)"
            )?,
            Error::MissingStructure { bdf, structure } => write!(
                f,
                "the virtio device at {bdf} has no usable {structure} capability: it is not a virtio 1.x PCI device"
            )?,
            Error::IoBar { bar, .. } => {
                write!(f, "is in I/O BAR {bar}; this driver needs memory BARs")?
            }
            Error::BadBar { bar, .. } => {
                write!(f, "is in BAR {bar}, which is not a usable memory BAR")?
            }
            Error::BarUnassigned { bdf, bar } => write!(
                f,
                "BAR {bar} of the virtio device at {bdf} has no address: the firmware did not assign it (boot with firmware that enumerates PCI, as QEMU's default does)"
            )?,
            Error::OutsideBar {
                bar,
                offset,
                length,
                bar_size,
                ..
            } => write!(
                f,
                "({length:#x} bytes at {offset:#x}) runs past the end of BAR {bar} ({bar_size:#x} bytes)"
            )?,
            Error::MisalignedStructure { address, .. } => {
                write!(f, "is at the misaligned address {address:#x}")?
            }
            Error::StructureTooSmall { length, needed, .. } => {
                write!(f, "is {length} bytes; the driver needs {needed}")?
            }
            Error::MapFailed { phys, len } => write!(
                f,
                "could not map {len:#x} bytes of device registers at {phys:#x}"
            )?,
            Error::OutOfDmaMemory { pages } => write!(
                f,
                "no memory for {pages} pages of virtio-net rings and buffers: give the guest more memory"
            )?,
            Error::ResetTimeout => {
                f.write_str("did not complete its reset: the device is stuck")?
            }
            Error::NoVersion1 { offered } => write!(
                f,
                "does not offer VIRTIO_F_VERSION_1 (features {offered:#x}): use a virtio 1.x device"
            )?,
            Error::FeaturesRejected { features } => write!(
                f,
                "refused features {features:#x} (FEATURES_OK cleared)"
            )?,
            Error::TooFewQueues { available } => write!(
                f,
                "has {available} virtqueues; the driver needs a receive and a transmit queue"
            )?,
            Error::QueueUnavailable { queue } => write!(
                f,
                "virtqueue {queue} of the virtio-net device is not available (maximum size 0)"
            )?,
            Error::BadNotifyOffset {
                queue,
                offset,
                length,
            } => write!(
                f,
                "the notification register of virtqueue {queue} (offset {offset:#x}) is misaligned or outside the {length:#x}-byte notification structure"
            )?,
            Error::ConfigUnstable => {
                f.write_str("configuration kept changing while it was read")?
            }
            Error::NoMsix => f.write_str("has no usable MSI-X capability")?,
            Error::BadVector { vector } => write!(
                f,
                "interrupt vector {vector} is a CPU exception vector: use a vector from 32 up"
            )?,
            Error::MsixRejected { queue: Some(queue) } => write!(
                f,
                "refused MSI-X table entry 0 for virtqueue {queue}"
            )?,
            Error::MsixRejected { queue: None } => {
                f.write_str("refused MSI-X table entry 0 for configuration changes")?
            }
            Error::DeviceNeedsReset => f.write_str(
                "reported an internal error (DEVICE_NEEDS_RESET): the link is down",
            )?,
            Error::UsedIdOutOfRange { queue, id } => write!(
                f,
                "returned descriptor {id} on virtqueue {queue}, which has no such descriptor"
            )?,
            Error::UsedIdNotInFlight { queue, id } => write!(
                f,
                "returned descriptor {id} on virtqueue {queue}, which it did not hold"
            )?,
            Error::UsedLengthTooLarge {
                queue,
                id,
                len,
                capacity,
            } => write!(
                f,
                "claims {len} bytes in the {capacity}-byte buffer {id} of virtqueue {queue}"
            )?,
            Error::UsedRingRunaway {
                queue,
                used_idx,
                last_used,
                outstanding,
            } => write!(
                f,
                "moved the used index of virtqueue {queue} from {last_used} to {used_idx} but held only {outstanding} buffers: treating the device as broken"
            )?,
        }
        match self {
            Error::BadCapabilityPointer { .. }
            | Error::CapabilityTooShort { .. }
            | Error::CapabilityLoop { .. } => f.write_str(": its configuration space is corrupt"),
            Error::NoMsix | Error::MsixRejected { .. } => f.write_str(": poll it instead"),
            _ => Ok(()),
        }
    }
}

impl core::error::Error for Error {}
