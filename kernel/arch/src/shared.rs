//! Memory shared with the hypervisor, another domain or a device, reached only through this
//! wrapper.
//!
//! Rings, `shared_info`, grant tables, the xenstore/console pages and virtqueues are written
//! concurrently by the other side, so Rust references to them would be undefined behaviour. [`SharedMemory`]
//! hands out no references: every access is an atomic load/store/RMW or a volatile byte copy at
//! a checked offset, and ordering is explicit with [`mb`], [`rmb`] and [`wmb`] (Tock's
//! `StaticRef` + `DmaFence`, Linux's `xen_mb`).
//!
//! Offsets come from our own constants and from ring indexes *after* masking, so an
//! out-of-bounds or misaligned offset is a bug in this crate, not bad input: it panics with the
//! offending offset. Values read from shared memory are untrusted and are validated by callers.
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering, fence};

/// Full barrier (`xen_mb`): orders earlier loads and stores before later ones (x86: `mfence`).
#[inline]
pub fn mb() {
    fence(Ordering::SeqCst);
}

/// Read barrier (`xen_rmb`): earlier loads before later loads (x86: compiler barrier).
#[inline]
pub fn rmb() {
    fence(Ordering::Acquire);
}

/// Write barrier (`xen_wmb`): earlier stores before later stores (x86: compiler barrier).
#[inline]
pub fn wmb() {
    fence(Ordering::Release);
}

/// A region of identity-mapped memory shared with Xen or a backend.
#[derive(Clone, Copy, Debug)]
pub struct SharedMemory {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: all access is atomic or volatile; the kernel is single-core and cooperative, and the
// other side of the sharing is outside Rust's model anyway.
unsafe impl Send for SharedMemory {}
// SAFETY: as above.
unsafe impl Sync for SharedMemory {}

macro_rules! atomic_access {
    ($load:ident, $store:ident, $ty:ty, $atomic:ty) => {
        /// Atomic load at `offset`.
        #[inline]
        pub fn $load(&self, offset: usize, order: Ordering) -> $ty {
            self.atomic::<$atomic>(offset).load(order)
        }
        /// Atomic store at `offset`.
        #[inline]
        pub fn $store(&self, offset: usize, value: $ty, order: Ordering) {
            self.atomic::<$atomic>(offset).store(value, order)
        }
    };
}

impl SharedMemory {
    /// Size of a Xen page.
    pub const PAGE: usize = 4096;

    /// Wraps `len` bytes at `address`.
    ///
    /// # Safety
    /// `[address, address + len)` must be mapped read-write for as long as the value (or a
    /// copy) is used, 8-byte aligned, and never accessed through Rust references elsewhere.
    pub unsafe fn new(address: u64, len: usize) -> Self {
        let base = NonNull::new(address as *mut u8).expect("shared memory at address 0");
        assert!(
            address.is_multiple_of(8),
            "shared memory at {address:#x} is not 8-byte aligned"
        );
        Self { base, len }
    }

    /// A zeroed, page-aligned, leaked region for host tests (host builds only). Regions given
    /// back by [`recycle_test_memory`](Self::recycle_test_memory) are reused (zeroed again).
    #[cfg(not(target_os = "none"))]
    pub fn for_test(len: usize) -> Self {
        test_memory::take(len)
    }

    /// Hands every region [`for_test`](Self::for_test) gave out on this thread back for
    /// reuse by later calls (host builds only). Fuzz targets call it after each input, which
    /// would otherwise leak the rings and buffers of the devices they build; unit tests never
    /// need it.
    ///
    /// # Safety
    /// No region that `for_test` returned on this thread, nor a copy of one, may be used
    /// afterwards.
    #[cfg(not(target_os = "none"))]
    #[doc(hidden)]
    pub unsafe fn recycle_test_memory() {
        test_memory::recycle();
    }

    /// The guest-physical (= virtual) address.
    pub fn address(&self) -> u64 {
        self.base.as_ptr() as u64
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sub-region `[offset, offset + len)`.
    pub fn slice(&self, offset: usize, len: usize) -> SharedMemory {
        self.check(offset, len, 8);
        // SAFETY: inside our own region, which the caller of `new` vouched for.
        unsafe { SharedMemory::new(self.address() + offset as u64, len) }
    }

    fn check(&self, offset: usize, size: usize, align: usize) {
        assert!(
            offset.checked_add(size).is_some_and(|end| end <= self.len)
                && offset.is_multiple_of(align),
            "shared memory access at offset {offset} size {size} outside a {}-byte region or misaligned",
            self.len
        );
    }

    fn atomic<A>(&self, offset: usize) -> &A {
        self.check(offset, size_of::<A>(), size_of::<A>());
        // SAFETY: in bounds and aligned (checked); the memory is valid for the region's life
        // (contract of `new`) and an atomic type may alias memory others write atomically.
        unsafe { &*(self.base.as_ptr().add(offset) as *const A) }
    }

    atomic_access!(load_u8, store_u8, u8, AtomicU8);
    atomic_access!(load_u16, store_u16, u16, AtomicU16);
    atomic_access!(load_u32, store_u32, u32, AtomicU32);
    atomic_access!(load_u64, store_u64, u64, AtomicU64);

    /// Atomic swap of the 64-bit word at `offset`.
    pub fn swap_u64(&self, offset: usize, value: u64) -> u64 {
        self.atomic::<AtomicU64>(offset)
            .swap(value, Ordering::SeqCst)
    }

    /// Atomic AND of the 64-bit word at `offset`; returns the old value.
    pub fn fetch_and_u64(&self, offset: usize, value: u64) -> u64 {
        self.atomic::<AtomicU64>(offset)
            .fetch_and(value, Ordering::SeqCst)
    }

    /// Atomic OR of the 64-bit word at `offset`; returns the old value.
    pub fn fetch_or_u64(&self, offset: usize, value: u64) -> u64 {
        self.atomic::<AtomicU64>(offset)
            .fetch_or(value, Ordering::SeqCst)
    }

    /// Atomic compare-and-exchange of the 16-bit word at `offset`.
    pub fn compare_exchange_u16(&self, offset: usize, current: u16, new: u16) -> Result<u16, u16> {
        self.atomic::<AtomicU16>(offset).compare_exchange(
            current,
            new,
            Ordering::SeqCst,
            Ordering::SeqCst,
        )
    }

    /// Copies bytes out (volatile).
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) {
        self.check(offset, out.len(), 1);
        for (i, byte) in out.iter_mut().enumerate() {
            // SAFETY: in bounds (checked above); volatile because the other side may write.
            *byte = unsafe { self.base.as_ptr().add(offset + i).read_volatile() };
        }
    }

    /// Copies bytes in (volatile).
    pub fn write_bytes(&self, offset: usize, data: &[u8]) {
        self.check(offset, data.len(), 1);
        for (i, &byte) in data.iter().enumerate() {
            // SAFETY: in bounds (checked above); volatile because the other side may read.
            unsafe { self.base.as_ptr().add(offset + i).write_volatile(byte) };
        }
    }

    /// Zeroes the region.
    pub fn zero(&self) {
        for i in 0..self.len {
            // SAFETY: in bounds of the region.
            unsafe { self.base.as_ptr().add(i).write_volatile(0) };
        }
    }
}

/// The host tests' regions: leaked, and reused only after
/// [`SharedMemory::recycle_test_memory`].
#[cfg(not(target_os = "none"))]
mod test_memory {
    extern crate std;

    use super::SharedMemory;
    use core::cell::RefCell;
    use std::vec::Vec;

    std::thread_local! {
        /// Regions handed out, and regions given back (free for reuse).
        static REGIONS: RefCell<(Vec<SharedMemory>, Vec<SharedMemory>)> =
            const { RefCell::new((Vec::new(), Vec::new())) };
    }

    pub(super) fn take(len: usize) -> SharedMemory {
        REGIONS.with_borrow_mut(|(in_use, free)| {
            let memory = match free.iter().position(|m| m.len == len) {
                Some(i) => {
                    let memory = free.swap_remove(i);
                    // SAFETY: a region of ours that nobody uses any more (the contract of
                    // `recycle_test_memory`), `len` bytes long.
                    unsafe { core::ptr::write_bytes(memory.base.as_ptr(), 0, len) };
                    memory
                }
                None => {
                    let layout =
                        core::alloc::Layout::from_size_align(len.max(8), SharedMemory::PAGE)
                            .unwrap();
                    // SAFETY: a fresh allocation of `layout`, never freed so that it outlives
                    // every copy.
                    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
                    assert!(!ptr.is_null(), "out of memory for a {len}-byte test region");
                    // SAFETY: freshly allocated, aligned, zeroed, owned by nobody else.
                    unsafe { SharedMemory::new(ptr as u64, len) }
                }
            };
            in_use.push(memory);
            memory
        })
    }

    pub(super) fn recycle() {
        REGIONS.with_borrow_mut(|(in_use, free)| free.append(in_use));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_round_trip() {
        let m = SharedMemory::for_test(4096);
        m.store_u32(8, 0xdead_beef, Ordering::Release);
        assert_eq!(m.load_u32(8, Ordering::Acquire), 0xdead_beef);
        assert_eq!(m.load_u8(8, Ordering::Relaxed), 0xef);
        m.write_bytes(100, b"hello");
        let mut out = [0u8; 5];
        m.read_bytes(100, &mut out);
        assert_eq!(&out, b"hello");
        assert_eq!(m.compare_exchange_u16(8, 0xbeef, 7), Ok(0xbeef));
        assert_eq!(m.compare_exchange_u16(8, 0xbeef, 9), Err(7));
        m.store_u64(16, 0b1010, Ordering::Relaxed);
        assert_eq!(m.fetch_and_u64(16, !0b10), 0b1010);
        assert_eq!(m.swap_u64(16, 0), 0b1000);
        assert_eq!(m.slice(4088, 8).address(), m.address() + 4088);
    }

    #[test]
    fn recycled_test_memory_comes_back_zeroed() {
        let m = SharedMemory::for_test(8192);
        m.store_u64(8, u64::MAX, Ordering::Relaxed);
        // SAFETY: `m` is not used after this.
        unsafe { SharedMemory::recycle_test_memory() };
        let again = SharedMemory::for_test(8192);
        assert_eq!(again.address(), m.address());
        assert_eq!(again.load_u64(8, Ordering::Relaxed), 0);
        assert_ne!(SharedMemory::for_test(8192).address(), again.address());
    }

    #[test]
    #[should_panic(expected = "outside a 4096-byte region")]
    fn out_of_bounds_is_a_bug_not_silence() {
        SharedMemory::for_test(4096).load_u32(4096, Ordering::Relaxed);
    }
}
