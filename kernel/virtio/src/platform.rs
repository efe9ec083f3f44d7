//! What the driver needs from the runtime: device registers and DMA memory (virtio spec v1.2
//! §4.1.3, §2.7).
//!
//! The crate forbids `unsafe`: the runtime implements [`Platform`] with its page tables and
//! allocator, and [`PciConfig`](crate::pci::PciConfig) with port I/O. Device registers (a
//! mapped window of a memory BAR) are reached through [`Registers`]; on hardware that is a
//! [`SharedMemory`] over the uncached mapping, in tests a fake device that reacts to each access.
//!
//! Register accesses must happen exactly once, with their size, in program order: a write to
//! `queue_select` must reach the device before the read of `queue_size` that depends on it.
//! [`SharedMemory`]'s relaxed atomics are plain single `mov`s on x86; the compiler fences
//! around them keep the compiler from reordering them with each other or with ring accesses,
//! and the CPU keeps uncached accesses in program order.

use core::sync::atomic::{Ordering, compiler_fence};

use xenolith_arch::shared::SharedMemory;

/// A window of device registers, addressed by byte offset from its start.
///
/// Every access is a single naturally aligned access of its size, in program order. Offsets are
/// the driver's own (register offsets inside validated structures); one outside the window is a
/// bug in this crate and may panic.
pub trait Registers {
    /// Reads the byte at `offset`.
    fn read8(&self, offset: usize) -> u8;
    /// Reads the little-endian `u16` at `offset`.
    fn read16(&self, offset: usize) -> u16;
    /// Reads the little-endian `u32` at `offset`.
    fn read32(&self, offset: usize) -> u32;
    /// Writes the byte at `offset`.
    fn write8(&self, offset: usize, value: u8);
    /// Writes the little-endian `u16` at `offset`.
    fn write16(&self, offset: usize, value: u16);
    /// Writes the little-endian `u32` at `offset`.
    fn write32(&self, offset: usize, value: u32);
}

/// What the driver needs from the platform besides PCI configuration space.
pub trait Platform {
    /// Mapped device registers: [`SharedMemory`] on hardware.
    type Registers: Registers + Clone;

    /// Identity-maps the device registers `[phys, phys + len)` uncached and returns them.
    ///
    /// The driver calls this once per BAR it uses, with `phys` and `len` multiples of 4096.
    /// `None` if the range cannot be mapped.
    fn map_device(&self, phys: u64, len: usize) -> Option<Self::Registers>;

    /// `pages` zeroed, physically contiguous, page-aligned pages of DMA memory whose address is
    /// also the guest-physical address the device uses; never freed (the device may write to
    /// them until it is reset). `None` when memory is exhausted.
    fn alloc_dma(&self, pages: usize) -> Option<SharedMemory>;
}

/// Device registers in an uncached identity mapping.
impl Registers for SharedMemory {
    fn read8(&self, offset: usize) -> u8 {
        compiler_fence(Ordering::SeqCst);
        let value = self.load_u8(offset, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        value
    }

    fn read16(&self, offset: usize) -> u16 {
        compiler_fence(Ordering::SeqCst);
        let value = self.load_u16(offset, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        value
    }

    fn read32(&self, offset: usize) -> u32 {
        compiler_fence(Ordering::SeqCst);
        let value = self.load_u32(offset, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
        value
    }

    fn write8(&self, offset: usize, value: u8) {
        compiler_fence(Ordering::SeqCst);
        self.store_u8(offset, value, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
    }

    fn write16(&self, offset: usize, value: u16) {
        compiler_fence(Ordering::SeqCst);
        self.store_u16(offset, value, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
    }

    fn write32(&self, offset: usize, value: u32) {
        compiler_fence(Ordering::SeqCst);
        self.store_u32(offset, value, Ordering::Relaxed);
        compiler_fence(Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_memory_registers_are_little_endian_and_sized() {
        let memory = SharedMemory::for_test(64);
        memory.write32(0, 0x0403_0201);
        assert_eq!(memory.read8(0), 1);
        assert_eq!(memory.read16(2), 0x0403);
        memory.write16(4, 0xbbaa);
        memory.write8(6, 0xcc);
        assert_eq!(memory.read32(4), 0x00cc_bbaa);
    }
}
