//! Byte rings with free-running indexes: the transport of xenstore and the PV console.
//!
//! Both pages hold pairs of byte rings, one per direction: `xenstore_domain_interface` in
//! `xen/include/public/io/xs_wire.h` (`req`/`rsp`, 1024 bytes each) and `xencons_interface` in
//! `xen/include/public/io/console.h` (`in` 1024, `out` 2048); `docs/misc/xenstore-ring.txt`
//! describes the protocol. Each ring has a consumer index and a producer index, free-running
//! `u32`s that only grow (wrapping at `u32::MAX`): the unread bytes are `prod - cons` (wrapping)
//! and byte `i` lives at `data[i & (size - 1)]`.
//!
//! A [`ByteRing`] is a view of one ring from one side: [`ByteRing<Producer>`] can only
//! [`write`](ByteRing::write), [`ByteRing<Consumer>`] can only [`read`](ByteRing::read). The
//! barriers follow Linux's `xb_write`/`xb_read` (`drivers/xen/xenbus/xenbus_comms.c`).
//!
//! The other side can write anything into the page, both indexes included. A pair of indexes
//! with `prod - cons > size` is a protocol violation: every operation then returns
//! [`RingError::Corrupt`] and touches no data. Indexes that pass the check are only ever used
//! masked, so no value the other side writes can move an access outside the data area.
//! Resynchronising a corrupt ring is the caller's decision (usually: give up on the device).

use crate::abi::io::console::xencons_interface;
use crate::abi::io::xs_wire::{XENSTORE_RING_SIZE, xenstore_domain_interface};
use crate::shared::{SharedMemory, mb, rmb, wmb};
use core::fmt;
use core::marker::PhantomData;
use core::mem::offset_of;
use core::sync::atomic::Ordering;

/// Where one ring lives in its page: offsets in bytes from the start of the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingLayout {
    /// Offset of the data area.
    pub data: usize,
    /// Length of the data area: a power of two.
    pub size: usize,
    /// Offset of the `u32` consumer index.
    pub cons: usize,
    /// Offset of the `u32` producer index.
    pub prod: usize,
}

impl RingLayout {
    /// `req` of the xenstore page: the guest produces, xenstored consumes.
    pub const XENSTORE_REQUESTS: RingLayout = RingLayout {
        data: offset_of!(xenstore_domain_interface, req),
        size: XENSTORE_RING_SIZE,
        cons: offset_of!(xenstore_domain_interface, req_cons),
        prod: offset_of!(xenstore_domain_interface, req_prod),
    };
    /// `rsp` of the xenstore page: xenstored produces, the guest consumes.
    pub const XENSTORE_RESPONSES: RingLayout = RingLayout {
        data: offset_of!(xenstore_domain_interface, rsp),
        size: XENSTORE_RING_SIZE,
        cons: offset_of!(xenstore_domain_interface, rsp_cons),
        prod: offset_of!(xenstore_domain_interface, rsp_prod),
    };
    /// `in` of the console page: the console backend produces, the guest consumes.
    pub const CONSOLE_INPUT: RingLayout = RingLayout {
        data: offset_of!(xencons_interface, r#in),
        size: 1024,
        cons: offset_of!(xencons_interface, in_cons),
        prod: offset_of!(xencons_interface, in_prod),
    };
    /// `out` of the console page: the guest produces, the console backend consumes.
    pub const CONSOLE_OUTPUT: RingLayout = RingLayout {
        data: offset_of!(xencons_interface, out),
        size: 2048,
        cons: offset_of!(xencons_interface, out_cons),
        prod: offset_of!(xencons_interface, out_prod),
    };
}

/// A ring that cannot be used: the other side broke the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RingError {
    /// The indexes claim more unread bytes than the ring holds (`prod - cons > size`): the
    /// other side wrote a bad value into its index, or into ours.
    Corrupt {
        /// The consumer index as read.
        cons: u32,
        /// The producer index as read.
        prod: u32,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::Corrupt { cons, prod } => write!(
                f,
                "the shared ring is corrupt (consumer index {cons}, producer index {prod}): \
                 the other domain broke the ring protocol"
            ),
        }
    }
}

/// Marker: we write into the ring and advance `prod`.
#[derive(Clone, Copy, Debug)]
pub enum Producer {}

/// Marker: we read from the ring and advance `cons`.
#[derive(Clone, Copy, Debug)]
pub enum Consumer {}

/// One byte ring of a shared page, seen from one `Side` ([`Producer`] or [`Consumer`]).
#[derive(Clone, Copy, Debug)]
pub struct ByteRing<Side> {
    memory: SharedMemory,
    layout: RingLayout,
    side: PhantomData<Side>,
}

impl<Side> ByteRing<Side> {
    /// A view of the ring at `layout` in `memory`.
    ///
    /// # Panics
    /// If the layout does not fit `memory`, its size is not a power of two (at most 2^31), or
    /// an index is misaligned: the layouts are this crate's constants, so that is a bug.
    pub fn new(memory: SharedMemory, layout: RingLayout) -> Self {
        let fits = |offset: usize, len: usize| {
            offset
                .checked_add(len)
                .is_some_and(|end| end <= memory.len())
        };
        assert!(
            layout.size.is_power_of_two()
                && layout.size <= 1 << 31
                && fits(layout.data, layout.size)
                && fits(layout.cons, 4)
                && fits(layout.prod, 4)
                && layout.cons.is_multiple_of(4)
                && layout.prod.is_multiple_of(4),
            "bad ring layout (data {} size {} cons {} prod {}) for a {}-byte region",
            layout.data,
            layout.size,
            layout.cons,
            layout.prod,
            memory.len()
        );
        Self {
            memory,
            layout,
            side: PhantomData,
        }
    }

    /// Bytes written and not yet read.
    pub fn available(&self) -> Result<usize, RingError> {
        let (cons, prod) = self.indexes();
        self.used(cons, prod)
    }

    /// Bytes that can be written before the ring is full.
    pub fn free_space(&self) -> Result<usize, RingError> {
        Ok(self.layout.size - self.available()?)
    }

    fn indexes(&self) -> (u32, u32) {
        let cons = self.memory.load_u32(self.layout.cons, Ordering::Relaxed);
        let prod = self.memory.load_u32(self.layout.prod, Ordering::Relaxed);
        (cons, prod)
    }

    /// The unread byte count of a pair of indexes, if it is possible (`check_indexes` in Linux).
    fn used(&self, cons: u32, prod: u32) -> Result<usize, RingError> {
        let used = prod.wrapping_sub(cons) as usize;
        if used > self.layout.size {
            return Err(RingError::Corrupt { cons, prod });
        }
        Ok(used)
    }

    /// The offset in `memory` of the byte at ring index `index`, and how many bytes follow it
    /// before the end of the data area.
    fn slot(&self, index: u32) -> (usize, usize) {
        let start = index as usize & (self.layout.size - 1);
        (self.layout.data + start, self.layout.size - start)
    }
}

impl ByteRing<Producer> {
    /// Copies as much of `data` as fits into the ring and publishes it; returns the number of
    /// bytes written (0 when the ring is full). The caller then notifies the other side.
    pub fn write(&self, data: &[u8]) -> Result<usize, RingError> {
        let (cons, prod) = self.indexes();
        let free = self.layout.size - self.used(cons, prod)?;
        let len = data.len().min(free);
        if len == 0 {
            return Ok(0);
        }
        // The data must be written after reading `cons`: the consumer may still be reading
        // the bytes we are about to overwrite until it has published that index.
        mb();
        let (offset, until_end) = self.slot(prod);
        let data = data.get(..len).unwrap_or_default();
        let (first, second) = data.split_at_checked(until_end).unwrap_or((data, &[]));
        self.memory.write_bytes(offset, first);
        self.memory.write_bytes(self.layout.data, second);
        // The other side must not see the new producer index before the data.
        wmb();
        self.memory.store_u32(
            self.layout.prod,
            prod.wrapping_add(len as u32),
            Ordering::Relaxed,
        );
        Ok(len)
    }
}

impl ByteRing<Consumer> {
    /// Copies up to `out.len()` unread bytes out of the ring and releases their space; returns
    /// the number of bytes read (0 when the ring is empty). The caller then notifies the other
    /// side, which may be waiting for space.
    pub fn read(&self, out: &mut [u8]) -> Result<usize, RingError> {
        let (cons, prod) = self.indexes();
        let len = out.len().min(self.used(cons, prod)?);
        if len == 0 {
            return Ok(0);
        }
        // The data must be read after the producer index that covers it.
        rmb();
        let (offset, until_end) = self.slot(cons);
        let (first, second) = out[..len].split_at_mut(len.min(until_end));
        self.memory.read_bytes(offset, first);
        self.memory.read_bytes(self.layout.data, second);
        // The other side must not see the space as free until we have copied the data out.
        mb();
        self.memory.store_u32(
            self.layout.cons,
            cons.wrapping_add(len as u32),
            Ordering::Relaxed,
        );
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-byte ring at offset 0 with its indexes at 64 and 68.
    const SMALL: RingLayout = RingLayout {
        data: 0,
        size: 16,
        cons: 64,
        prod: 68,
    };

    fn pair(layout: RingLayout) -> (SharedMemory, ByteRing<Producer>, ByteRing<Consumer>) {
        let memory = SharedMemory::for_test(4096);
        (
            memory,
            ByteRing::new(memory, layout),
            ByteRing::new(memory, layout),
        )
    }

    fn set_indexes(memory: &SharedMemory, layout: RingLayout, cons: u32, prod: u32) {
        memory.store_u32(layout.cons, cons, Ordering::Relaxed);
        memory.store_u32(layout.prod, prod, Ordering::Relaxed);
    }

    #[test]
    fn round_trip() {
        let (_, producer, consumer) = pair(SMALL);
        assert_eq!(producer.write(b"hello"), Ok(5));
        assert_eq!(consumer.available(), Ok(5));
        assert_eq!(producer.free_space(), Ok(11));
        let mut out = [0; 8];
        assert_eq!(consumer.read(&mut out[..3]), Ok(3));
        assert_eq!(consumer.read(&mut out[3..]), Ok(2));
        assert_eq!(&out[..5], b"hello");
        assert_eq!(consumer.read(&mut out), Ok(0));
        assert_eq!(producer.write(&[]), Ok(0));
        assert_eq!(consumer.available(), Ok(0));
    }

    #[test]
    fn data_wraps_around_the_end_of_the_area() {
        let (memory, producer, consumer) = pair(SMALL);
        let mut out = [0; 16];
        assert_eq!(producer.write(&[1; 10]), Ok(10));
        assert_eq!(consumer.read(&mut out), Ok(10));
        let data: [u8; 12] = core::array::from_fn(|i| i as u8 + 20);
        assert_eq!(producer.write(&data), Ok(12));
        // Six bytes at the end of the area, six at the start.
        let mut raw = [0; 6];
        memory.read_bytes(0, &mut raw);
        assert_eq!(raw, data[6..]);
        assert_eq!(consumer.read(&mut out), Ok(12));
        assert_eq!(out[..12], data);
    }

    #[test]
    fn indexes_wrap_at_u32_max() {
        let (memory, producer, consumer) = pair(SMALL);
        set_indexes(&memory, SMALL, u32::MAX - 3, u32::MAX - 3);
        let mut next = 0u8;
        let mut expected = 0u8;
        for _ in 0..5 {
            let chunk: [u8; 7] = core::array::from_fn(|_| {
                next = next.wrapping_add(1);
                next
            });
            assert_eq!(producer.write(&chunk), Ok(7));
            assert_eq!(consumer.available(), Ok(7));
            let mut out = [0; 7];
            assert_eq!(consumer.read(&mut out), Ok(7));
            for byte in out {
                expected = expected.wrapping_add(1);
                assert_eq!(byte, expected);
            }
        }
        let end = (u32::MAX - 3).wrapping_add(35);
        assert_eq!(memory.load_u32(SMALL.prod, Ordering::Relaxed), end);
        assert_eq!(memory.load_u32(SMALL.cons, Ordering::Relaxed), end);
        // Full across the wrap: cons just below u32::MAX, prod just above 0.
        set_indexes(&memory, SMALL, u32::MAX - 1, u32::MAX - 1);
        assert_eq!(producer.write(&[9; 20]), Ok(16));
        assert_eq!(consumer.available(), Ok(16));
        assert_eq!(producer.free_space(), Ok(0));
    }

    #[test]
    fn full_ring_takes_nothing_more() {
        let (_, producer, consumer) = pair(SMALL);
        let data: [u8; 20] = core::array::from_fn(|i| i as u8);
        assert_eq!(producer.write(&data), Ok(16));
        assert_eq!(producer.write(&data[16..]), Ok(0));
        assert_eq!(producer.free_space(), Ok(0));
        let mut out = [0; 5];
        assert_eq!(consumer.read(&mut out), Ok(5));
        assert_eq!(producer.write(&data[16..]), Ok(4));
        let mut rest = [0; 32];
        assert_eq!(consumer.read(&mut rest), Ok(15));
        assert_eq!(rest[..15], data[5..]);
    }

    #[test]
    fn corrupt_indexes_are_an_error_and_touch_nothing() {
        let (memory, producer, consumer) = pair(SMALL);
        memory.write_bytes(0, &[0xaa; 16]);
        for (cons, prod) in [(0, 17), (5, 4), (u32::MAX, 16), (10, 10 + (1 << 31))] {
            set_indexes(&memory, SMALL, cons, prod);
            let corrupt = Err(RingError::Corrupt { cons, prod });
            let mut out = [0; 32];
            assert_eq!(consumer.read(&mut out), corrupt);
            assert_eq!(out, [0; 32]);
            assert_eq!(consumer.available(), corrupt);
            assert_eq!(producer.free_space(), corrupt);
            assert_eq!(producer.write(b"x"), corrupt);
            assert_eq!(memory.load_u32(SMALL.cons, Ordering::Relaxed), cons);
            assert_eq!(memory.load_u32(SMALL.prod, Ordering::Relaxed), prod);
        }
        let mut area = [0; 16];
        memory.read_bytes(0, &mut area);
        assert_eq!(area, [0xaa; 16]);
    }

    #[test]
    fn real_layouts_fit_one_page() {
        let memory = SharedMemory::for_test(SharedMemory::PAGE);
        for layout in [
            RingLayout::XENSTORE_REQUESTS,
            RingLayout::XENSTORE_RESPONSES,
            RingLayout::CONSOLE_INPUT,
            RingLayout::CONSOLE_OUTPUT,
        ] {
            let producer = ByteRing::<Producer>::new(memory, layout);
            let consumer = ByteRing::<Consumer>::new(memory, layout);
            let data = [7; 3000];
            assert_eq!(producer.write(&data), Ok(layout.size));
            let mut out = [0; 3000];
            assert_eq!(consumer.read(&mut out), Ok(layout.size));
            assert!(out[..layout.size].iter().all(|&b| b == 7));
        }
    }

    #[test]
    #[should_panic(expected = "bad ring layout")]
    fn a_layout_outside_the_region_is_a_bug() {
        ByteRing::<Consumer>::new(SharedMemory::for_test(64), SMALL);
    }
}
