//! Physical memory at boot: which ranges are free for the heap, and the page-table plan.
//!
//! The heap gets every usable RAM range of the memory map above 1 MiB, minus the kernel image,
//! the boot modules and the frames the page tables took, so the guest's memory size sets the
//! heap (`memory = 8` in xl gives ~7 MiB of heap; `-m 512` ~500 MiB). Everything here is plain
//! arithmetic on ranges, tested on the host.

use core::ops::Range;
use heapless::Vec;
use xenolith_arch::PAGE_SIZE;
use xenolith_arch::paging::Access;

/// Kinds of memory-map regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// Usable RAM.
    Ram,
    /// ACPI tables (reclaimable once parsed; we keep them).
    Acpi,
    /// Anything else: reserved, NVS, unusable, persistent memory.
    Reserved(u32),
}

/// One memory-map region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// Start address.
    pub start: u64,
    /// End address (exclusive).
    pub end: u64,
    /// What it is.
    pub kind: RegionKind,
}

/// Most disjoint free ranges tracked.
pub const MAX_RANGES: usize = 64;
/// RAM below this is left alone (real-mode area, BIOS data, the loader's structures).
pub const LOW_MEMORY_END: u64 = 1 << 20;

/// Rounds `value` up to a multiple of `align` (a power of two). Values above the last
/// multiple (the memory map may end a region at `u64::MAX`) give that multiple: no page starts
/// above it, so a range cut off there loses nothing.
pub const fn align_up(value: u64, align: u64) -> u64 {
    value.saturating_add(align - 1) & !(align - 1)
}

/// Rounds `value` down to a multiple of `align` (a power of two).
pub const fn align_down(value: u64, align: u64) -> u64 {
    value & !(align - 1)
}

/// A set of disjoint, sorted, page-aligned address ranges.
#[derive(Clone, Debug, Default)]
pub struct RangeSet {
    ranges: Vec<Range<u64>, MAX_RANGES>,
}

impl RangeSet {
    /// The page-aligned usable RAM of `regions` at or above [`LOW_MEMORY_END`].
    pub fn usable_ram(regions: &[Region]) -> Self {
        let mut set = Self::default();
        for region in regions.iter().filter(|r| r.kind == RegionKind::Ram) {
            set.insert(
                align_up(region.start.max(LOW_MEMORY_END), PAGE_SIZE)
                    ..align_down(region.end, PAGE_SIZE),
            );
        }
        // The map may list RAM overlapping reserved ranges; reserved wins.
        for region in regions.iter().filter(|r| r.kind != RegionKind::Ram) {
            set.remove(align_down(region.start, PAGE_SIZE)..align_up(region.end, PAGE_SIZE));
        }
        set
    }

    /// Adds a range (merging neighbours). Ranges beyond capacity are dropped, smallest last.
    pub fn insert(&mut self, range: Range<u64>) {
        if range.start >= range.end {
            return;
        }
        let mut merged = range;
        let mut kept: Vec<Range<u64>, MAX_RANGES> = Vec::new();
        for r in self.ranges.iter() {
            if r.end < merged.start || r.start > merged.end {
                let _ = kept.push(r.clone());
            } else {
                merged = merged.start.min(r.start)..merged.end.max(r.end);
            }
        }
        let _ = kept.push(merged);
        sort_by_start(&mut kept);
        self.ranges = kept;
    }

    /// Removes a range (splitting what it cuts through).
    pub fn remove(&mut self, cut: Range<u64>) {
        if cut.start >= cut.end {
            return;
        }
        let mut kept: Vec<Range<u64>, MAX_RANGES> = Vec::new();
        for r in self.ranges.iter() {
            if r.end <= cut.start || r.start >= cut.end {
                let _ = kept.push(r.clone());
                continue;
            }
            if r.start < cut.start {
                let _ = kept.push(r.start..cut.start);
            }
            if r.end > cut.end {
                let _ = kept.push(cut.end..r.end);
            }
        }
        self.ranges = kept;
    }

    /// Takes `pages` contiguous pages from the lowest range that has them below `limit`.
    pub fn take_pages(&mut self, pages: u64, limit: u64) -> Option<Range<u64>> {
        let bytes = pages * PAGE_SIZE;
        let found = self
            .ranges
            .iter()
            .find(|r| r.end.min(limit).saturating_sub(r.start) >= bytes)?
            .start;
        let taken = found..found + bytes;
        self.remove(taken.clone());
        Some(taken)
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// Total bytes.
    pub fn total(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }
}

/// Sorts a short list of ranges by start (insertion sort: a few dozen entries, and far smaller
/// code than the generic sort).
pub fn sort_by_start<T>(items: &mut [T])
where
    T: StartKey,
{
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && items[j - 1].start_key() > items[j].start_key() {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// Something with a start address.
pub trait StartKey {
    /// The start address.
    fn start_key(&self) -> u64;
}

impl StartKey for Range<u64> {
    fn start_key(&self) -> u64 {
        self.start
    }
}

impl StartKey for Region {
    fn start_key(&self) -> u64 {
        self.start
    }
}

/// What the final page tables contain, in the order the mappings are applied (later wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// Map the range with this access.
    Map(Range<u64>, Access),
    /// Leave the range unmapped (guard pages, page 0).
    Unmap(Range<u64>),
}

/// Most entries of a [`mapping_plan`].
pub const MAX_MAPPINGS: usize = MAX_RANGES + 16;

/// The kernel image as the linker laid it out (page-aligned ranges).
#[derive(Clone, Debug)]
pub struct Image {
    /// Code.
    pub text: Range<u64>,
    /// Constants.
    pub rodata: Range<u64>,
    /// Data, bss and stacks.
    pub data: Range<u64>,
    /// Guard pages to leave unmapped.
    pub guard_pages: [u64; 2],
}

/// The mappings of the final, W^X address space:
/// - RAM read-write, ACPI table regions read-only; reserved ranges (firmware, MMIO holes) are
///   not mapped — drivers map the device registers they use;
/// - boot modules read-only;
/// - the image: text read+execute, rodata read-only, data read-write, guard pages unmapped;
/// - page 0 unmapped, so a null pointer faults.
pub fn mapping_plan(
    regions: &[Region],
    image: &Image,
    modules: &[Range<u64>],
) -> Vec<Mapping, MAX_MAPPINGS> {
    let mut plan = Vec::new();
    let mut add = |m: Mapping| {
        let _ = plan.push(m);
    };
    for region in regions {
        let (range, access) = match region.kind {
            RegionKind::Ram => (
                align_up(region.start, PAGE_SIZE)..align_down(region.end, PAGE_SIZE),
                Access::ReadWrite,
            ),
            RegionKind::Acpi => (
                align_down(region.start, PAGE_SIZE)..align_up(region.end, PAGE_SIZE),
                Access::ReadOnly,
            ),
            RegionKind::Reserved(_) => continue,
        };
        if range.start < range.end {
            add(Mapping::Map(range, access));
        }
    }
    for module in modules {
        let range = align_down(module.start, PAGE_SIZE)..align_up(module.end, PAGE_SIZE);
        if range.start < range.end {
            add(Mapping::Map(range, Access::ReadOnly));
        }
    }
    add(Mapping::Map(image.text.clone(), Access::ReadExecute));
    add(Mapping::Map(image.rodata.clone(), Access::ReadOnly));
    add(Mapping::Map(image.data.clone(), Access::ReadWrite));
    for guard in image.guard_pages {
        add(Mapping::Unmap(guard..guard + PAGE_SIZE));
    }
    add(Mapping::Unmap(0..PAGE_SIZE));
    plan
}

#[cfg(test)]
#[allow(clippy::single_range_in_vec_init)] // a set holding one range is what is tested
mod tests {
    use super::*;

    fn ram(start: u64, end: u64) -> Region {
        Region {
            start,
            end,
            kind: RegionKind::Ram,
        }
    }

    #[test]
    fn usable_ram_skips_low_memory_and_reserved_overlaps() {
        let regions = [
            ram(0, 0x9_fc00),
            Region {
                start: 0x9_fc00,
                end: 0xa_0000,
                kind: RegionKind::Reserved(2),
            },
            ram(0x10_0000, 0x200_0000),
            Region {
                start: 0x180_0800,
                end: 0x180_1000,
                kind: RegionKind::Acpi,
            },
            ram(0x1_0000_0000, 0x1_2000_0100),
        ];
        let set = RangeSet::usable_ram(&regions);
        assert_eq!(
            set.ranges(),
            &[
                0x10_0000..0x180_0000,
                0x180_1000..0x200_0000,
                0x1_0000_0000..0x1_2000_0000
            ]
        );
    }

    #[test]
    fn remove_splits_and_take_respects_limit() {
        let mut set = RangeSet::default();
        set.insert(0x10_0000..0x100_0000);
        set.insert(0x1_0000_0000..0x2_0000_0000);
        set.remove(0x10_0000..0x12_0000); // kernel image
        set.remove(0x80_0000..0x80_2000); // a module
        assert_eq!(
            set.ranges(),
            &[
                0x12_0000..0x80_0000,
                0x80_2000..0x100_0000,
                0x1_0000_0000..0x2_0000_0000
            ]
        );
        assert_eq!(set.take_pages(4, 1 << 32), Some(0x12_0000..0x12_4000));
        assert_eq!(
            set.take_pages(0x1000, 0x100_0000),
            None,
            "nothing that big below the limit"
        );
        assert_eq!(
            set.take_pages(0x1000, u64::MAX),
            Some(0x1_0000_0000..0x1_0100_0000)
        );
        assert_eq!(
            set.total(),
            (0x80_0000 - 0x12_4000) + (0x100_0000 - 0x80_2000) + 0xff00_0000
        );
    }

    #[test]
    fn regions_at_the_top_of_the_address_space() {
        // Found by the `boot` fuzz target: a region ending in the last page made align_up
        // overflow (a panic with overflow checks; otherwise a reserved range left uncut).
        let top = 0xffff_ffff_ffff_f000;
        let regions = [
            ram(0x10_0000, 0x20_0000),
            ram(top - 0x1_0000, u64::MAX - 1),
            Region {
                start: top - 0x2000,
                end: u64::MAX - 1,
                kind: RegionKind::Reserved(2),
            },
            Region {
                start: top - 0x8000,
                end: u64::MAX,
                kind: RegionKind::Acpi,
            },
        ];
        let set = RangeSet::usable_ram(&regions[..3]);
        assert_eq!(
            set.ranges(),
            &[0x10_0000..0x20_0000, top - 0x1_0000..top - 0x2000]
        );
        assert_eq!(align_up(u64::MAX, PAGE_SIZE), top);
        assert_eq!(align_up(top + 1, PAGE_SIZE), top);
        assert_eq!(align_up(top, PAGE_SIZE), top);
        let image = Image {
            text: 0x10_0000..0x10_1000,
            rodata: 0x10_1000..0x10_2000,
            data: 0x10_2000..0x10_3000,
            guard_pages: [0x10_3000, 0x10_4000],
        };
        let plan = mapping_plan(&regions, &image, &[]);
        assert!(plan.contains(&Mapping::Map(top - 0x8000..top, Access::ReadOnly)));
    }

    #[test]
    fn insert_merges_touching_ranges() {
        let mut set = RangeSet::default();
        set.insert(0x3000..0x4000);
        set.insert(0x1000..0x2000);
        set.insert(0x2000..0x3000);
        set.insert(0x5000..0x5000);
        assert_eq!(set.ranges(), &[0x1000..0x4000]);
    }

    #[test]
    fn plan_ends_with_image_permissions_and_guards() {
        let image = Image {
            text: 0x10_0000..0x10_8000,
            rodata: 0x10_8000..0x10_a000,
            data: 0x10_a000..0x15_0000,
            guard_pages: [0x10_b000, 0x14_0000],
        };
        let regions = [
            ram(0, 0x9_fc00),
            Region {
                start: 0x9_fc00,
                end: 0xa_0000,
                kind: RegionKind::Reserved(2),
            },
            ram(0x10_0000, 0x200_0000),
            Region {
                start: 0x7fe_0000,
                end: 0x7fe_0800,
                kind: RegionKind::Acpi,
            },
        ];
        let plan = mapping_plan(&regions, &image, &[0x30_0000..0x30_0100]);
        assert_eq!(plan[0], Mapping::Map(0..0x9_f000, Access::ReadWrite));
        assert_eq!(
            plan[2],
            Mapping::Map(0x7fe_0000..0x7fe_1000, Access::ReadOnly)
        );
        assert_eq!(plan.len(), 4 + 6, "reserved ranges are not mapped");
        assert!(plan.contains(&Mapping::Map(0x30_0000..0x30_1000, Access::ReadOnly)));
        let tail = &plan[plan.len() - 6..];
        assert_eq!(
            tail[0],
            Mapping::Map(0x10_0000..0x10_8000, Access::ReadExecute)
        );
        assert_eq!(tail[3], Mapping::Unmap(0x10_b000..0x10_c000));
        assert_eq!(tail[5], Mapping::Unmap(0..0x1000));
    }
}
