//! 4-level x86-64 page tables for an identity-mapped kernel.
//!
//! The kernel runs with virtual address = physical address. [`AddressSpace`] builds tables that
//! map only what exists (the boot memory map's regions, the kernel image, devices a driver asks
//! for), each with the least access it needs ([`Access`]): code read+execute, everything else
//! no-execute, read-only where nothing writes. Unmapped pages (page 0, the stack guard pages)
//! fault, so a null dereference or a stack overflow is caught.
//!
//! The tables live in physical frames reached through [`FrameMemory`], so the same code builds
//! real tables at boot and fake ones in host tests.

use crate::{LARGE_PAGE_SIZE, PAGE_SIZE};

/// Entry bits (Intel SDM vol. 3 §4.5).
pub mod flags {
    /// The entry is valid.
    pub const PRESENT: u64 = 1 << 0;
    /// Writes are allowed.
    pub const WRITABLE: u64 = 1 << 1;
    /// Page-level write-through.
    pub const WRITE_THROUGH: u64 = 1 << 3;
    /// Page-level cache disable.
    pub const NO_CACHE: u64 = 1 << 4;
    /// A 2 MiB page (in a page-directory entry).
    pub const HUGE: u64 = 1 << 7;
    /// Instruction fetches fault (needs EFER.NXE).
    pub const NO_EXECUTE: u64 = 1 << 63;
    /// The physical-address bits of an entry.
    pub const ADDRESS_MASK: u64 = 0x000f_ffff_ffff_f000;
}

/// What a mapping allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read only, no execute (rodata, ACPI tables, firmware areas).
    ReadOnly,
    /// Read and write, no execute (data, bss, stacks, heap).
    ReadWrite,
    /// Read and execute, no write (text).
    ReadExecute,
    /// Read and write, no execute, uncached (device registers).
    Device,
}

impl Access {
    /// The leaf-entry bits for this access.
    pub const fn leaf_flags(self) -> u64 {
        use flags::*;
        match self {
            Access::ReadOnly => PRESENT | NO_EXECUTE,
            Access::ReadWrite => PRESENT | WRITABLE | NO_EXECUTE,
            Access::ReadExecute => PRESENT,
            Access::Device => PRESENT | WRITABLE | NO_EXECUTE | NO_CACHE | WRITE_THROUGH,
        }
    }

    /// The access a leaf entry grants (inverse of [`Access::leaf_flags`]).
    pub const fn from_leaf_flags(entry: u64) -> Access {
        use flags::*;
        if entry & NO_CACHE != 0 {
            Access::Device
        } else if entry & NO_EXECUTE == 0 {
            Access::ReadExecute
        } else if entry & WRITABLE != 0 {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        }
    }
}

/// Why a mapping could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// No frame was left for a new page table.
    OutOfFrames,
    /// The range is not 4 KiB aligned.
    Misaligned {
        /// The offending address.
        address: u64,
    },
    /// The address is outside what 4-level paging can identity-map (canonical lower half).
    OutOfRange {
        /// The offending address.
        address: u64,
    },
}

impl core::fmt::Display for MapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MapError::OutOfFrames => write!(f, "out of page-table frames"),
            MapError::Misaligned { address } => {
                write!(f, "address {address:#x} is not page-aligned")
            }
            MapError::OutOfRange { address } => {
                write!(f, "address {address:#x} is beyond the identity map")
            }
        }
    }
}

/// Physical memory holding page tables: frame allocation and 64-bit entry access.
pub trait FrameMemory {
    /// A fresh zeroed 4 KiB frame, by physical address, or `None` when none is left.
    fn allocate_frame(&mut self) -> Option<u64>;
    /// Reads the entry at physical address `entry`.
    fn read(&self, entry: u64) -> u64;
    /// Writes the entry at physical address `entry`.
    fn write(&mut self, entry: u64, value: u64);
}

impl<M: FrameMemory> FrameMemory for &mut M {
    fn allocate_frame(&mut self) -> Option<u64> {
        (**self).allocate_frame()
    }
    fn read(&self, entry: u64) -> u64 {
        (**self).read(entry)
    }
    fn write(&mut self, entry: u64, value: u64) {
        (**self).write(entry, value)
    }
}

/// Highest identity-mappable address + 1: the canonical lower half, 128 TiB.
pub const MAX_ADDRESS: u64 = 1 << 47;

/// An identity-mapped address space under construction (or being extended).
#[derive(Debug)]
pub struct AddressSpace<M> {
    root: u64,
    memory: M,
}

impl<M: FrameMemory> AddressSpace<M> {
    /// An empty address space with a fresh PML4.
    pub fn new(mut memory: M) -> Result<Self, MapError> {
        let root = memory.allocate_frame().ok_or(MapError::OutOfFrames)?;
        Ok(Self { root, memory })
    }

    /// Continues with the tables rooted at `root` (e.g. the ones in CR3), to extend them.
    pub fn from_root(root: u64, memory: M) -> Self {
        Self { root, memory }
    }

    /// Physical address of the PML4 (the value for CR3).
    pub fn root(&self) -> u64 {
        self.root
    }

    /// The frame memory, e.g. to see how many frames were used.
    pub fn memory(&self) -> &M {
        &self.memory
    }

    /// Identity-maps `[start, end)` with `access`, replacing earlier mappings of those pages.
    /// Uses 2 MiB pages where the range covers whole aligned 2 MiB blocks.
    pub fn map(&mut self, start: u64, end: u64, access: Access) -> Result<(), MapError> {
        check_range(start, end)?;
        let leaf = access.leaf_flags();
        let mut address = start;
        while address < end {
            if address.is_multiple_of(LARGE_PAGE_SIZE) && end - address >= LARGE_PAGE_SIZE {
                self.map_large(address, leaf)?;
                address += LARGE_PAGE_SIZE;
            } else {
                let entry = self.small_entry(address)?;
                self.memory.write(entry, address | leaf);
                address += PAGE_SIZE;
            }
        }
        Ok(())
    }

    /// Removes the mappings of `[start, end)` (4 KiB granular), e.g. for guard pages.
    pub fn unmap(&mut self, start: u64, end: u64) -> Result<(), MapError> {
        check_range(start, end)?;
        let mut address = start;
        while address < end {
            let entry = self.small_entry(address)?;
            self.memory.write(entry, 0);
            address += PAGE_SIZE;
        }
        Ok(())
    }

    /// What `address` maps to: `Some((physical address, access))`, or `None` when unmapped.
    pub fn translate(&self, address: u64) -> Option<(u64, Access)> {
        let mut table = self.root;
        for level in [4u32, 3, 2, 1] {
            let entry = self.memory.read(table + index(address, level) * 8);
            if entry & flags::PRESENT == 0 {
                return None;
            }
            if level == 1 || (level == 2 && entry & flags::HUGE != 0) {
                let page_mask = if level == 1 {
                    PAGE_SIZE - 1
                } else {
                    LARGE_PAGE_SIZE - 1
                };
                let frame = entry & flags::ADDRESS_MASK & !page_mask;
                return Some((
                    frame | (address & page_mask),
                    Access::from_leaf_flags(entry),
                ));
            }
            table = entry & flags::ADDRESS_MASK;
        }
        None
    }

    /// The page-directory entry (level 2) for `address`, creating the upper tables.
    fn directory_entry(&mut self, address: u64) -> Result<u64, MapError> {
        let mut table = self.root;
        for level in [4u32, 3] {
            let entry_address = table + index(address, level) * 8;
            let entry = self.memory.read(entry_address);
            table = if entry & flags::PRESENT != 0 {
                entry & flags::ADDRESS_MASK
            } else {
                let frame = self.memory.allocate_frame().ok_or(MapError::OutOfFrames)?;
                // Intermediate entries allow everything; the leaf decides.
                self.memory
                    .write(entry_address, frame | flags::PRESENT | flags::WRITABLE);
                frame
            };
        }
        Ok(table + index(address, 2) * 8)
    }

    fn map_large(&mut self, address: u64, leaf: u64) -> Result<(), MapError> {
        let directory_entry = self.directory_entry(address)?;
        let existing = self.memory.read(directory_entry);
        if existing & flags::PRESENT != 0 && existing & flags::HUGE == 0 {
            // A page table is already there: fill it rather than leak it.
            let table = existing & flags::ADDRESS_MASK;
            for i in 0..512 {
                self.memory
                    .write(table + i * 8, (address + i * PAGE_SIZE) | leaf);
            }
        } else {
            self.memory
                .write(directory_entry, address | leaf | flags::HUGE);
        }
        Ok(())
    }

    /// The page-table entry (level 1) for `address`, creating tables and splitting a 2 MiB page
    /// into 512 small ones with the same access if one covers it.
    fn small_entry(&mut self, address: u64) -> Result<u64, MapError> {
        let directory_entry = self.directory_entry(address)?;
        let existing = self.memory.read(directory_entry);
        let table = if existing & flags::PRESENT != 0 && existing & flags::HUGE == 0 {
            existing & flags::ADDRESS_MASK
        } else {
            let frame = self.memory.allocate_frame().ok_or(MapError::OutOfFrames)?;
            if existing & flags::PRESENT != 0 {
                let base = existing & flags::ADDRESS_MASK & !(LARGE_PAGE_SIZE - 1);
                let leaf = existing & !flags::ADDRESS_MASK & !flags::HUGE;
                for i in 0..512 {
                    self.memory
                        .write(frame + i * 8, (base + i * PAGE_SIZE) | leaf);
                }
            }
            self.memory
                .write(directory_entry, frame | flags::PRESENT | flags::WRITABLE);
            frame
        };
        Ok(table + index(address, 1) * 8)
    }
}

fn check_range(start: u64, end: u64) -> Result<(), MapError> {
    for address in [start, end] {
        if !address.is_multiple_of(PAGE_SIZE) {
            return Err(MapError::Misaligned { address });
        }
        if address > MAX_ADDRESS {
            return Err(MapError::OutOfRange { address });
        }
    }
    Ok(())
}

/// Index into the table of `level` (4 = PML4 … 1 = PT) for `address`.
const fn index(address: u64, level: u32) -> u64 {
    (address >> (12 + 9 * (level - 1))) & 0x1ff
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::collections::BTreeMap;

    /// Frames in a map keyed by fake physical address.
    #[derive(Default)]
    struct FakeFrames {
        next: u64,
        limit: usize,
        frames: BTreeMap<u64, [u64; 512]>,
    }

    impl FakeFrames {
        fn new(limit: usize) -> Self {
            Self {
                next: 0x4000_0000,
                limit,
                frames: BTreeMap::new(),
            }
        }
    }

    impl FrameMemory for FakeFrames {
        fn allocate_frame(&mut self) -> Option<u64> {
            if self.frames.len() == self.limit {
                return None;
            }
            let frame = self.next;
            self.next += PAGE_SIZE;
            self.frames.insert(frame, [0; 512]);
            Some(frame)
        }
        fn read(&self, entry: u64) -> u64 {
            self.frames[&(entry & !0xfff)][((entry & 0xfff) / 8) as usize]
        }
        fn write(&mut self, entry: u64, value: u64) {
            self.frames.get_mut(&(entry & !0xfff)).unwrap()[((entry & 0xfff) / 8) as usize] = value;
        }
    }

    #[test]
    fn maps_with_large_pages_where_aligned() {
        let mut space = AddressSpace::new(FakeFrames::new(16)).unwrap();
        space.map(0x1000, 0x60_0000, Access::ReadWrite).unwrap();
        assert_eq!(space.translate(0), None, "page 0 stays unmapped");
        assert_eq!(space.translate(0x1234), Some((0x1234, Access::ReadWrite)));
        assert_eq!(
            space.translate(0x40_0123),
            Some((0x40_0123, Access::ReadWrite))
        );
        assert_eq!(space.translate(0x60_0000), None);
        // PML4 + PDPT + PD + one PT for the unaligned first 2 MiB; 2 MiB pages after that.
        assert_eq!(space.memory().frames.len(), 4);
    }

    #[test]
    fn w_xor_x_layout_with_guard_page() {
        let mut space = AddressSpace::new(FakeFrames::new(16)).unwrap();
        space.map(0, 0x400_0000, Access::ReadWrite).unwrap();
        space
            .map(0x10_0000, 0x10_3000, Access::ReadExecute)
            .unwrap();
        space.map(0x10_3000, 0x10_5000, Access::ReadOnly).unwrap();
        space.unmap(0x10_8000, 0x10_9000).unwrap();
        space.unmap(0, 0x1000).unwrap();
        assert_eq!(space.translate(0x10_0010).unwrap().1, Access::ReadExecute);
        assert_eq!(space.translate(0x10_4ff8).unwrap().1, Access::ReadOnly);
        assert_eq!(space.translate(0x10_8000), None);
        assert_eq!(space.translate(0x10_9000).unwrap().1, Access::ReadWrite);
        assert_eq!(space.translate(0x0), None);
        // The split 2 MiB page keeps its other 4 KiB pages read-write.
        assert_eq!(
            space.translate(0x1f_f000).unwrap(),
            (0x1f_f000, Access::ReadWrite)
        );
        assert_eq!(
            space.translate(0x20_0000).unwrap(),
            (0x20_0000, Access::ReadWrite)
        );
    }

    #[test]
    fn remapping_a_split_range_large_reuses_the_table() {
        let mut space = AddressSpace::new(FakeFrames::new(16)).unwrap();
        space.map(0x20_0000, 0x20_1000, Access::ReadOnly).unwrap();
        let used = space.memory().frames.len();
        space.map(0x20_0000, 0x40_0000, Access::Device).unwrap();
        assert_eq!(space.memory().frames.len(), used);
        assert_eq!(space.translate(0x3f_fff8).unwrap().1, Access::Device);
    }

    #[test]
    fn high_memory_gets_its_own_tables() {
        let mut space = AddressSpace::new(FakeFrames::new(16)).unwrap();
        space
            .map(0x1_0000_0000, 0x1_0020_0000, Access::ReadWrite)
            .unwrap();
        space
            .map(0x80_0000_0000, 0x80_0000_1000, Access::Device)
            .unwrap();
        assert_eq!(space.translate(0x1_0000_0008).unwrap().0, 0x1_0000_0008);
        assert_eq!(space.translate(0x80_0000_0000).unwrap().1, Access::Device);
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        let mut space = AddressSpace::new(FakeFrames::new(2)).unwrap();
        assert_eq!(
            space.map(0x1001, 0x2000, Access::ReadOnly),
            Err(MapError::Misaligned { address: 0x1001 })
        );
        assert_eq!(
            space.map(0, 0x1000, Access::ReadOnly),
            Err(MapError::OutOfFrames)
        );
        assert_eq!(
            space.map(MAX_ADDRESS, MAX_ADDRESS + 0x1000, Access::ReadOnly),
            Err(MapError::OutOfRange {
                address: MAX_ADDRESS + 0x1000
            })
        );
    }
}
