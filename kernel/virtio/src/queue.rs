//! Split virtqueues, the driver's side (virtio spec v1.2 §2.7).
//!
//! One DMA region holds the three parts, at the alignments §2.7 requires:
//!
//! ```text
//! descriptor table  16 × size     { le64 addr; le32 len; le16 flags; le16 next }[size]  align 16
//! available ring    6 + 2 × size  le16 flags, idx; le16 ring[size]; le16 used_event    align 2
//! used ring         6 + 8 × size  le16 flags, idx; { le32 id, len }[size]; avail_event align 4
//! ```
//!
//! Each buffer is one descriptor (no chains, no indirect tables), so a descriptor id names a
//! buffer. Descriptors change hands as [`Descriptor`] tokens, which cannot be copied: the driver
//! [`take_free`](Virtqueue::take_free)s one, fills its buffer and
//! [`submit`](Virtqueue::submit)s it; [`publish`](Virtqueue::publish) makes submitted buffers
//! visible (descriptors and ring entries, then `wmb`, then `avail.idx`) and says whether the
//! device wants a notification (`VIRTQ_USED_F_NO_NOTIFY`, §2.7.10; `VIRTIO_F_EVENT_IDX` is not
//! negotiated); [`pop_used`](Virtqueue::pop_used) hands a returned buffer's token back.
//!
//! The used ring is written by the device and is untrusted. Each descriptor's state is tracked
//! here (free, held by the driver, submitted, published), so a used element is accepted only if
//! its `id` is a descriptor the device holds, and its `len` only if it fits the buffer; anything
//! else is reported as an error and skipped, never indexed and never freed twice. A `used.idx`
//! that claims more elements than buffers the device holds (running away, or moving backwards)
//! marks the queue broken for good: [`UsedRingRunaway`](Error::UsedRingRunaway) is returned on
//! every later call, and nothing more is read from the ring.

use core::fmt;
use core::sync::atomic::Ordering;

use xenolith_arch::shared::{SharedMemory, mb, rmb, wmb};

use crate::Error;

/// Largest queue this driver sets up (the device may offer up to 32768).
pub const MAX_QUEUE_SIZE: u16 = 256;

const DESCRIPTOR_SIZE: usize = 16;
/// `VIRTQ_DESC_F_WRITE`: the device writes this buffer.
const VIRTQ_DESC_F_WRITE: u16 = 2;
/// `VIRTQ_AVAIL_F_NO_INTERRUPT`: the driver does not want used-buffer interrupts.
const VIRTQ_AVAIL_F_NO_INTERRUPT: u16 = 1;
/// `VIRTQ_USED_F_NO_NOTIFY`: the device does not want available-buffer notifications.
const VIRTQ_USED_F_NO_NOTIFY: u16 = 1;

/// Offsets of the `flags` and `idx` fields in both rings, and of their arrays.
const RING_FLAGS: usize = 0;
const RING_IDX: usize = 2;
const RING_ENTRIES: usize = 4;
const USED_ELEMENT_SIZE: usize = 8;

/// Who accesses a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The device reads it (transmit).
    DeviceReads,
    /// The device writes it (receive).
    DeviceWrites,
}

/// A descriptor (and so its buffer) owned by the driver. Not `Clone`: exactly one owner.
#[must_use = "a dropped descriptor is lost to the queue: submit or release it"]
#[derive(Debug, PartialEq, Eq)]
pub struct Descriptor {
    id: u16,
}

impl Descriptor {
    /// The descriptor's index in the table (< the queue size).
    pub fn id(&self) -> u16 {
        self.id
    }
}

/// A buffer the device returned.
#[derive(Debug, PartialEq, Eq)]
pub struct Used {
    /// Its descriptor, the driver's again.
    pub descriptor: Descriptor,
    /// Bytes the device wrote into it (at most the submitted length; 0 for
    /// [`Direction::DeviceReads`] buffers, whose `len` is ignored).
    pub len: u32,
}

/// Whether the device asked to be notified of the buffers just published.
#[must_use = "the device may be waiting: notify it when `needed`"]
#[derive(Debug, PartialEq, Eq)]
pub struct Notify {
    needed: bool,
}

impl Notify {
    /// Whether to write the queue's notification register.
    #[must_use]
    pub fn needed(self) -> bool {
        self.needed
    }
}

/// Where the three parts of a queue of `size` entries lie in its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Offset of the available ring (the descriptor table is at 0).
    pub avail: usize,
    /// Offset of the used ring.
    pub used: usize,
    /// Bytes needed in all.
    pub size: usize,
}

impl Layout {
    /// The layout for `size` entries.
    pub const fn new(size: u16) -> Layout {
        let size = size as usize;
        let avail = DESCRIPTOR_SIZE * size;
        let used = (avail + RING_ENTRIES + 2 * size + 2).next_multiple_of(4);
        Layout {
            avail,
            used,
            size: used + RING_ENTRIES + USED_ELEMENT_SIZE * size + 2,
        }
    }
}

/// A descriptor's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// In the free list.
    Free,
    /// Out as a [`Descriptor`] token.
    Driver,
    /// In the available ring, not yet published: the device cannot know about it.
    Submitted { capacity: u32, direction: Direction },
    /// Published: the device may use it.
    Device { capacity: u32, direction: Direction },
}

/// The driver's side of one split virtqueue.
///
/// Invariants: every descriptor is in exactly one `State`; `free[..free_len]` lists the
/// `Free` ones; `in_device` counts the `Device` ones; `next_avail - published_avail` counts
/// the `Submitted` ones, whose ids are `avail_ids` at those ring slots.
pub struct Virtqueue {
    memory: SharedMemory,
    index: u16,
    size: u16,
    layout: Layout,
    states: [State; MAX_QUEUE_SIZE as usize],
    free: [u16; MAX_QUEUE_SIZE as usize],
    free_len: u16,
    /// Our copy of the ids in the available ring (the device could overwrite the shared one).
    avail_ids: [u16; MAX_QUEUE_SIZE as usize],
    /// Next available-ring index to fill.
    next_avail: u16,
    /// `avail.idx` as last published.
    published_avail: u16,
    /// Used elements consumed.
    last_used: u16,
    in_device: u16,
    broken: Option<Error>,
}

impl fmt::Debug for Virtqueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Virtqueue")
            .field("index", &self.index)
            .field("size", &self.size)
            .field("address", &format_args!("{:#x}", self.memory.address()))
            .field("free", &self.free_len)
            .field("in_device", &self.in_device)
            .field("next_avail", &self.next_avail)
            .field("last_used", &self.last_used)
            .field("broken", &self.broken)
            .finish()
    }
}

impl Virtqueue {
    /// Sets up queue `index` with `size` entries in `memory` (zeroed here), all descriptors
    /// free and both ring indexes at 0 (the device's state after a reset).
    ///
    /// # Panics
    /// If `size` is not a power of two in `1..=MAX_QUEUE_SIZE`, or `memory` is smaller than
    /// [`Layout::new(size)`](Layout::new) or not 16-byte aligned: the caller's bug.
    pub fn new(memory: SharedMemory, index: u16, size: u16) -> Virtqueue {
        assert!(
            size.is_power_of_two() && size <= MAX_QUEUE_SIZE,
            "virtqueue size {size} is not a power of two up to {MAX_QUEUE_SIZE}"
        );
        let layout = Layout::new(size);
        assert!(
            memory.len() >= layout.size && memory.address().is_multiple_of(16),
            "virtqueue memory too small or misaligned"
        );
        memory.zero();
        let mut free = [0; MAX_QUEUE_SIZE as usize];
        // Popped from the end: descriptor 0 first.
        for (slot, id) in free.iter_mut().zip((0..size).rev()) {
            *slot = id;
        }
        Virtqueue {
            memory,
            index,
            size,
            layout,
            states: [State::Free; MAX_QUEUE_SIZE as usize],
            free,
            free_len: size,
            avail_ids: [0; MAX_QUEUE_SIZE as usize],
            next_avail: 0,
            published_avail: 0,
            last_used: 0,
            in_device: 0,
            broken: None,
        }
    }

    /// The queue index (for the device and error messages).
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Number of descriptors.
    pub fn size(&self) -> u16 {
        self.size
    }

    /// Descriptors in the free list.
    pub fn free_count(&self) -> u16 {
        self.free_len
    }

    /// Physical address of the descriptor table (`queue_desc`).
    pub fn descriptor_table_address(&self) -> u64 {
        self.memory.address()
    }

    /// Physical address of the available ring (`queue_driver`).
    pub fn driver_area_address(&self) -> u64 {
        self.memory.address() + self.layout.avail as u64
    }

    /// Physical address of the used ring (`queue_device`).
    pub fn device_area_address(&self) -> u64 {
        self.memory.address() + self.layout.used as u64
    }

    /// The error that broke the queue, if the device broke it.
    pub fn broken(&self) -> Option<Error> {
        self.broken
    }

    /// Takes a free descriptor.
    pub fn take_free(&mut self) -> Option<Descriptor> {
        self.free_len = self.free_len.checked_sub(1)?;
        let id = self.free[index_of(self.free_len)];
        self.states[index_of(id)] = State::Driver;
        Some(Descriptor { id })
    }

    /// Returns a descriptor to the free list.
    pub fn release(&mut self, descriptor: Descriptor) {
        let id = descriptor.id;
        if !self.owned_by_driver(id) {
            return;
        }
        self.states[index_of(id)] = State::Free;
        self.free[index_of(self.free_len)] = id;
        self.free_len += 1;
    }

    /// Offers the `len` bytes at physical `address` to the device as `descriptor`'s buffer:
    /// writes the descriptor and the next available-ring entry. The device sees it after
    /// [`publish`](Self::publish).
    pub fn submit(&mut self, descriptor: Descriptor, address: u64, len: u32, direction: Direction) {
        let id = descriptor.id;
        if !self.owned_by_driver(id) {
            return;
        }
        let at = usize::from(id) * DESCRIPTOR_SIZE;
        let flags = match direction {
            Direction::DeviceReads => 0,
            Direction::DeviceWrites => VIRTQ_DESC_F_WRITE,
        };
        self.memory.store_u64(at, address, Ordering::Relaxed);
        self.memory.store_u32(at + 8, len, Ordering::Relaxed);
        self.memory.store_u16(at + 12, flags, Ordering::Relaxed);
        self.memory.store_u16(at + 14, 0, Ordering::Relaxed);
        let slot = self.slot(self.next_avail);
        self.memory.store_u16(
            self.layout.avail + RING_ENTRIES + 2 * slot,
            id,
            Ordering::Relaxed,
        );
        self.avail_ids[slot] = id;
        self.states[index_of(id)] = State::Submitted {
            capacity: len,
            direction,
        };
        self.next_avail = self.next_avail.wrapping_add(1);
    }

    /// Makes the submitted buffers visible to the device and says whether it wants a
    /// notification for them (§2.7.13.3-4).
    pub fn publish(&mut self) -> Notify {
        let old = self.published_avail;
        let new = self.next_avail;
        if old == new {
            return Notify { needed: false };
        }
        for i in 0..new.wrapping_sub(old) {
            let id = index_of(self.avail_ids[self.slot(old.wrapping_add(i))]);
            if let State::Submitted {
                capacity,
                direction,
            } = self.states[id]
            {
                self.states[id] = State::Device {
                    capacity,
                    direction,
                };
                self.in_device += 1;
            }
        }
        wmb(); // the device sees descriptors and ring entries /before/ the index
        self.memory
            .store_u16(self.layout.avail + RING_IDX, new, Ordering::Relaxed);
        self.published_avail = new;
        mb(); // the device sees the index /before/ we read its flags
        let flags = self
            .memory
            .load_u16(self.layout.used + RING_FLAGS, Ordering::Relaxed);
        Notify {
            needed: flags & VIRTQ_USED_F_NO_NOTIFY == 0,
        }
    }

    /// Whether the device has returned buffers not yet popped (or broke the ring, which the
    /// next [`pop_used`](Self::pop_used) reports). One load: cheap enough to poll.
    pub fn has_used(&self) -> bool {
        self.broken.is_some()
            || self
                .memory
                .load_u16(self.layout.used + RING_IDX, Ordering::Relaxed)
                != self.last_used
    }

    /// Takes the next used element.
    ///
    /// `Some(Err(_))` for an element that breaks the protocol: a bad `id` is skipped (the
    /// descriptor it should have named stays with the device); a `len` larger than the buffer
    /// frees the descriptor (its contents must not be used). Both are errors that are not
    /// [fatal](Error::is_fatal). A runaway `used.idx` is fatal, and returned on every call.
    pub fn pop_used(&mut self) -> Option<Result<Used, Error>> {
        if let Some(error) = self.broken {
            return Some(Err(error));
        }
        let used_idx = self
            .memory
            .load_u16(self.layout.used + RING_IDX, Ordering::Relaxed);
        let pending = used_idx.wrapping_sub(self.last_used);
        if pending == 0 {
            return None;
        }
        if pending > self.in_device {
            let error = Error::UsedRingRunaway {
                queue: self.index,
                used_idx,
                last_used: self.last_used,
                outstanding: self.in_device,
            };
            self.broken = Some(error);
            return Some(Err(error));
        }
        rmb(); // read the element /after/ the index that covers it
        let element =
            self.layout.used + RING_ENTRIES + USED_ELEMENT_SIZE * self.slot(self.last_used);
        let raw_id = self.memory.load_u32(element, Ordering::Relaxed);
        let len = self.memory.load_u32(element + 4, Ordering::Relaxed);
        self.last_used = self.last_used.wrapping_add(1);

        let Some(id) = u16::try_from(raw_id).ok().filter(|&id| id < self.size) else {
            return Some(Err(Error::UsedIdOutOfRange {
                queue: self.index,
                id: raw_id,
            }));
        };
        let State::Device {
            capacity,
            direction,
        } = self.states[index_of(id)]
        else {
            return Some(Err(Error::UsedIdNotInFlight {
                queue: self.index,
                id,
            }));
        };
        self.in_device -= 1;
        self.states[index_of(id)] = State::Driver;
        let descriptor = Descriptor { id };
        match direction {
            Direction::DeviceReads => Some(Ok(Used { descriptor, len: 0 })),
            Direction::DeviceWrites if len <= capacity => Some(Ok(Used { descriptor, len })),
            Direction::DeviceWrites => {
                self.release(descriptor);
                Some(Err(Error::UsedLengthTooLarge {
                    queue: self.index,
                    id,
                    len,
                    capacity,
                }))
            }
        }
    }

    /// Asks the device for used-buffer interrupts, or not (`VIRTQ_AVAIL_F_NO_INTERRUPT`, a
    /// hint the device may ignore). After turning them on, check [`has_used`](Self::has_used)
    /// before sleeping: a buffer may have come back before the flag was seen.
    pub fn set_interrupts(&self, enabled: bool) {
        let flags = if enabled {
            0
        } else {
            VIRTQ_AVAIL_F_NO_INTERRUPT
        };
        self.memory
            .store_u16(self.layout.avail + RING_FLAGS, flags, Ordering::Relaxed);
        mb(); // the flag /before/ any later check of the used index
    }

    /// Whether `id` is out as a token (a token from another queue is not).
    fn owned_by_driver(&self, id: u16) -> bool {
        let owned = id < self.size && self.states[index_of(id)] == State::Driver;
        debug_assert!(owned, "descriptor {id} is not held by the driver");
        owned
    }

    /// The ring slot of free-running index `index`.
    fn slot(&self, index: u16) -> usize {
        index_of(index & (self.size - 1))
    }
}

/// The index of descriptor id, free-list position or ring slot `value` in the per-descriptor
/// arrays. Each is below the queue size, at most [`MAX_QUEUE_SIZE`] (a power of two), so the
/// remainder changes nothing: it only lets the compiler drop the bounds checks (smaller image).
fn index_of(value: u16) -> usize {
    usize::from(value) % usize::from(MAX_QUEUE_SIZE)
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::vec::Vec;

    /// The device's side of a queue, played by the test.
    struct FakeDevice {
        memory: SharedMemory,
        layout: Layout,
        size: u16,
        last_avail: u16,
        used_idx: u16,
    }

    /// A buffer as the device sees it in the descriptor table.
    #[derive(Debug, PartialEq, Eq)]
    struct Buffer {
        id: u16,
        address: u64,
        len: u32,
        flags: u16,
    }

    impl FakeDevice {
        fn new(queue: &Virtqueue) -> FakeDevice {
            FakeDevice {
                memory: queue.memory,
                layout: queue.layout,
                size: queue.size,
                last_avail: 0,
                used_idx: 0,
            }
        }

        fn take_avail(&mut self) -> Option<Buffer> {
            let avail_idx = self
                .memory
                .load_u16(self.layout.avail + RING_IDX, Ordering::Acquire);
            if avail_idx == self.last_avail {
                return None;
            }
            let slot = usize::from(self.last_avail % self.size);
            let id = self.memory.load_u16(
                self.layout.avail + RING_ENTRIES + 2 * slot,
                Ordering::Relaxed,
            );
            self.last_avail = self.last_avail.wrapping_add(1);
            let at = usize::from(id) * DESCRIPTOR_SIZE;
            Some(Buffer {
                id,
                address: self.memory.load_u64(at, Ordering::Relaxed),
                len: self.memory.load_u32(at + 8, Ordering::Relaxed),
                flags: self.memory.load_u16(at + 12, Ordering::Relaxed),
            })
        }

        /// Writes a used element and publishes it.
        fn complete(&mut self, id: u32, len: u32) {
            let slot = usize::from(self.used_idx % self.size);
            let at = self.layout.used + RING_ENTRIES + USED_ELEMENT_SIZE * slot;
            self.memory.store_u32(at, id, Ordering::Relaxed);
            self.memory.store_u32(at + 4, len, Ordering::Relaxed);
            self.used_idx = self.used_idx.wrapping_add(1);
            self.set_used_idx(self.used_idx);
        }

        fn set_used_idx(&self, index: u16) {
            self.memory
                .store_u16(self.layout.used + RING_IDX, index, Ordering::Release);
        }

        fn set_used_flags(&self, flags: u16) {
            self.memory
                .store_u16(self.layout.used + RING_FLAGS, flags, Ordering::Relaxed);
        }

        fn avail_flags(&self) -> u16 {
            self.memory
                .load_u16(self.layout.avail + RING_FLAGS, Ordering::Relaxed)
        }
    }

    fn new_queue(size: u16) -> (Virtqueue, FakeDevice) {
        let memory = SharedMemory::for_test(Layout::new(size).size);
        let queue = Virtqueue::new(memory, 3, size);
        let device = FakeDevice::new(&queue);
        (queue, device)
    }

    fn post(queue: &mut Virtqueue, len: u32, direction: Direction) -> u16 {
        let descriptor = queue.take_free().unwrap();
        let id = descriptor.id();
        queue.submit(
            descriptor,
            0x10_0000 + u64::from(id) * 0x800,
            len,
            direction,
        );
        id
    }

    #[test]
    fn layout_follows_the_spec_alignments() {
        assert_eq!(
            Layout::new(256),
            Layout {
                avail: 4096,
                used: 4096 + 520,
                size: 4096 + 520 + 2054
            }
        );
        let small = Layout::new(1);
        assert_eq!((small.avail, small.used, small.size), (16, 24, 38));
        let (queue, _) = new_queue(8);
        let base = queue.descriptor_table_address();
        assert_eq!(queue.driver_area_address(), base + 128);
        assert_eq!(queue.device_area_address(), base + 128 + 24);
    }

    #[test]
    fn buffers_go_round_trip() {
        let (mut queue, mut device) = new_queue(4);
        let a = post(&mut queue, 2048, Direction::DeviceWrites);
        let b = post(&mut queue, 60, Direction::DeviceReads);
        // Not visible before publishing.
        assert_eq!(device.take_avail(), None);
        assert!(queue.publish().needed());
        assert_eq!(
            device.take_avail(),
            Some(Buffer {
                id: a,
                address: 0x10_0000,
                len: 2048,
                flags: VIRTQ_DESC_F_WRITE
            })
        );
        assert_eq!(device.take_avail().unwrap().flags, 0);
        assert!(!queue.has_used());
        assert_eq!(queue.pop_used(), None);

        device.complete(u32::from(b), 99); // a read-only buffer's len is ignored
        device.complete(u32::from(a), 1500);
        assert!(queue.has_used());
        let used = queue.pop_used().unwrap().unwrap();
        assert_eq!((used.descriptor.id(), used.len), (b, 0));
        queue.release(used.descriptor);
        let used = queue.pop_used().unwrap().unwrap();
        assert_eq!((used.descriptor.id(), used.len), (a, 1500));
        assert_eq!(queue.pop_used(), None);
        assert_eq!(queue.free_count(), 3);
        // The returned descriptor can be submitted again.
        queue.submit(used.descriptor, 0x20_0000, 100, Direction::DeviceWrites);
        assert!(queue.publish().needed());
        assert_eq!(device.take_avail().unwrap().address, 0x20_0000);
    }

    #[test]
    fn the_queue_runs_dry_and_refills() {
        let (mut queue, _) = new_queue(4);
        let descriptors: Vec<_> = (0..4).map(|_| queue.take_free().unwrap()).collect();
        assert_eq!(
            descriptors.iter().map(Descriptor::id).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert_eq!(queue.take_free(), None);
        for descriptor in descriptors {
            queue.release(descriptor);
        }
        assert_eq!(queue.free_count(), 4);
    }

    #[test]
    fn notifications_follow_the_device_flag() {
        let (mut queue, device) = new_queue(4);
        // Nothing new: never a notification.
        assert!(!queue.publish().needed());
        device.set_used_flags(VIRTQ_USED_F_NO_NOTIFY);
        post(&mut queue, 64, Direction::DeviceReads);
        assert!(!queue.publish().needed());
        device.set_used_flags(0);
        post(&mut queue, 64, Direction::DeviceReads);
        assert!(queue.publish().needed());
    }

    #[test]
    fn interrupt_suppression_sets_the_avail_flag() {
        let (queue, device) = new_queue(4);
        queue.set_interrupts(false);
        assert_eq!(device.avail_flags(), VIRTQ_AVAIL_F_NO_INTERRUPT);
        queue.set_interrupts(true);
        assert_eq!(device.avail_flags(), 0);
    }

    #[test]
    fn indexes_wrap_past_65535() {
        let (mut queue, mut device) = new_queue(4);
        // Keep three buffers in flight so the wrap happens with entries on both sides.
        for _ in 0..3 {
            post(&mut queue, 512, Direction::DeviceWrites);
        }
        let _ = queue.publish();
        for round in 0..70_000u32 {
            let buffer = device.take_avail().unwrap();
            device.complete(u32::from(buffer.id), round % 512);
            let used = queue.pop_used().unwrap().unwrap();
            assert_eq!((used.descriptor.id(), used.len), (buffer.id, round % 512));
            queue.submit(
                used.descriptor,
                buffer.address,
                512,
                Direction::DeviceWrites,
            );
            assert!(queue.publish().needed());
        }
        assert_eq!(queue.next_avail, 70_003u32 as u16);
        assert_eq!(queue.last_used, 70_000u32 as u16);
        let avail_idx = queue
            .memory
            .load_u16(queue.layout.avail + RING_IDX, Ordering::Relaxed);
        assert_eq!(avail_idx, 70_003u32 as u16);
        assert_eq!((queue.in_device, queue.free_count()), (3, 1));
    }

    #[test]
    fn bad_ids_are_skipped() {
        let (mut queue, mut device) = new_queue(4);
        let a = post(&mut queue, 256, Direction::DeviceWrites);
        let b = post(&mut queue, 256, Direction::DeviceWrites);
        let _ = queue.publish();
        device.take_avail();
        device.take_avail();

        // Out of range, and far out of range.
        device.complete(4, 10);
        device.complete(u32::MAX, 10);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdOutOfRange { queue: 3, id: 4 }))
        );
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdOutOfRange {
                queue: 3,
                id: u32::MAX
            }))
        );
        assert_eq!(queue.pop_used(), None);
        // Never posted (still free).
        device.complete(3, 10);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdNotInFlight { queue: 3, id: 3 }))
        );
        // Returned, then returned again while the driver holds it.
        device.complete(u32::from(a), 10);
        device.complete(u32::from(a), 10);
        let used = queue.pop_used().unwrap().unwrap();
        assert_eq!(used.descriptor.id(), a);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdNotInFlight { queue: 3, id: a }))
        );
        // ... and again after it was released to the free list.
        queue.release(used.descriptor);
        device.complete(u32::from(a), 10);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdNotInFlight { queue: 3, id: a }))
        );
        assert_eq!(queue.free_count(), 3);
        // None of that is fatal, and the honest element after it is taken.
        assert!(!Error::UsedIdNotInFlight { queue: 3, id: a }.is_fatal());
        device.complete(u32::from(b), 10);
        assert_eq!(queue.pop_used().unwrap().unwrap().descriptor.id(), b);
    }

    #[test]
    fn unpublished_buffers_cannot_be_returned() {
        let (mut queue, mut device) = new_queue(4);
        let a = post(&mut queue, 256, Direction::DeviceWrites);
        let _ = queue.publish();
        device.take_avail();
        let b = post(&mut queue, 256, Direction::DeviceWrites); // submitted, not published
        device.complete(u32::from(b), 10);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdNotInFlight { queue: 3, id: b }))
        );
        // Publishing it later works normally.
        assert!(queue.publish().needed());
        device.complete(u32::from(a), 10);
        assert_eq!(queue.pop_used().unwrap().unwrap().descriptor.id(), a);
    }

    #[test]
    fn an_overlong_length_frees_the_buffer() {
        let (mut queue, mut device) = new_queue(4);
        let a = post(&mut queue, 2048, Direction::DeviceWrites);
        post(&mut queue, 2048, Direction::DeviceWrites);
        let _ = queue.publish();
        device.take_avail();
        device.complete(u32::from(a), 2049);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedLengthTooLarge {
                queue: 3,
                id: a,
                len: 2049,
                capacity: 2048
            }))
        );
        assert_eq!(queue.free_count(), 3);
        // The device cannot return it again.
        device.complete(u32::from(a), 10);
        assert_eq!(
            queue.pop_used(),
            Some(Err(Error::UsedIdNotInFlight { queue: 3, id: a }))
        );
    }

    #[test]
    fn a_runaway_used_index_breaks_the_queue() {
        let (mut queue, device) = new_queue(4);
        post(&mut queue, 64, Direction::DeviceWrites);
        post(&mut queue, 64, Direction::DeviceWrites);
        let _ = queue.publish();
        // Two buffers held, three elements claimed.
        device.set_used_idx(3);
        let runaway = Error::UsedRingRunaway {
            queue: 3,
            used_idx: 3,
            last_used: 0,
            outstanding: 2,
        };
        assert_eq!(queue.pop_used(), Some(Err(runaway)));
        assert!(runaway.is_fatal());
        // Sticky, and nothing more is read.
        device.set_used_idx(1);
        assert_eq!(queue.pop_used(), Some(Err(runaway)));
        assert!(queue.has_used());
        assert_eq!(queue.broken(), Some(runaway));

        // Moving backwards is the same lie.
        let (mut queue, mut device) = new_queue(4);
        let a = post(&mut queue, 64, Direction::DeviceWrites);
        let _ = queue.publish();
        device.take_avail();
        device.complete(u32::from(a), 1);
        let used = queue.pop_used().unwrap().unwrap();
        queue.submit(used.descriptor, 0x1000, 64, Direction::DeviceWrites);
        let _ = queue.publish();
        device.set_used_idx(0);
        assert!(matches!(
            queue.pop_used(),
            Some(Err(Error::UsedRingRunaway {
                used_idx: 0,
                last_used: 1,
                ..
            }))
        ));
    }

    #[test]
    fn skipped_elements_never_make_an_honest_device_look_runaway() {
        let (mut queue, mut device) = new_queue(4);
        for _ in 0..4 {
            post(&mut queue, 64, Direction::DeviceWrites);
        }
        let _ = queue.publish();
        let buffers: Vec<_> = (0..4).map(|_| device.take_avail().unwrap()).collect();
        // The device misnames one buffer, then returns the other three properly.
        device.complete(9, 1);
        for buffer in &buffers[1..] {
            device.complete(u32::from(buffer.id), 1);
        }
        assert!(queue.pop_used().unwrap().is_err());
        for _ in 0..3 {
            let used = queue.pop_used().unwrap().unwrap();
            queue.release(used.descriptor);
        }
        assert_eq!(queue.pop_used(), None);
        assert_eq!((queue.in_device, queue.free_count()), (1, 3));
    }
}
