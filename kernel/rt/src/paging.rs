//! Mapping more pages after boot (device registers, Xen's special pages).
//!
//! The boot sequence builds the W^X tables (`start`); later, drivers ask for the pages they
//! need here. New page-table frames come from the heap, which is identity-mapped RAM.

use alloc::alloc::{Layout, alloc_zeroed};
use xenolith_arch::PAGE_SIZE;
use xenolith_arch::paging::{Access, AddressSpace, FrameMemory, MapError};

struct HeapFrames;

impl FrameMemory for HeapFrames {
    fn allocate_frame(&mut self) -> Option<u64> {
        let layout = Layout::from_size_align(PAGE_SIZE as usize, PAGE_SIZE as usize).ok()?;
        // SAFETY: a non-zero-sized layout; the frame is leaked to the page tables for good.
        let frame = unsafe { alloc_zeroed(layout) };
        (!frame.is_null()).then_some(frame as u64)
    }
    fn read(&self, entry: u64) -> u64 {
        // SAFETY: `entry` lies in a page-table frame, which is identity-mapped RAM.
        unsafe { (entry as *const u64).read_volatile() }
    }
    fn write(&mut self, entry: u64, value: u64) {
        // SAFETY: as for `read`; callers flush the TLB for the pages they change.
        unsafe { (entry as *mut u64).write_volatile(value) }
    }
}

/// Identity-maps `[start, start + len)` (rounded out to pages) with `access` in the running
/// address space.
pub fn map(start: u64, len: u64, access: Access) -> Result<(), MapError> {
    let first = start & !(PAGE_SIZE - 1);
    let end = (start + len + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let mut space = AddressSpace::from_root(xenolith_arch::cpu::read_cr3() & !0xfff, HeapFrames);
    space.map(first, end, access)?;
    let mut page = first;
    while page < end {
        xenolith_arch::cpu::invlpg(page);
        page += PAGE_SIZE;
    }
    Ok(())
}

/// `count` zeroed, contiguous, page-aligned pages from the heap that are never freed (given to
/// Xen, for example).
pub fn leak_pages(count: usize) -> Option<u64> {
    let layout =
        Layout::from_size_align(count.checked_mul(PAGE_SIZE as usize)?, PAGE_SIZE as usize).ok()?;
    if layout.size() == 0 {
        return None;
    }
    // SAFETY: a non-zero-sized layout; the pages are leaked for good.
    let pages = unsafe { alloc_zeroed(layout) };
    (!pages.is_null()).then_some(pages as u64)
}

/// `count` zeroed pages that a device or another domain will share with us for the life of the
/// guest (virtio's rings and buffers, netfront's granted pages), as the one wrapper through
/// which they are reached. Both drivers allocate here.
pub fn shared_pages(count: usize) -> Option<xenolith_arch::shared::SharedMemory> {
    let address = leak_pages(count)?;
    // SAFETY: fresh, zeroed, identity-mapped heap pages, leaked (never freed or reused); from
    // here on they are reached only through the returned wrapper.
    Some(unsafe { xenolith_arch::shared::SharedMemory::new(address, count * PAGE_SIZE as usize) })
}
