//! Grant tables v1: sharing our pages with another domain (`xen/include/public/grant_table.h`).
//!
//! [`GrantTable`] owns the already-mapped table (`nr_frames` pages of 8-byte
//! [`grant_entry_v1`], mapped by platform code with
//! `XENMEM_add_to_physmap(XENMAPSPACE_grant_table)`) and a free list of references. The entry
//! protocol is the header's "rough guidelines":
//!
//! - grant: write `domid` and `frame`, write barrier, then `flags` — the entry must be complete
//!   before it becomes valid;
//! - revoke: read `flags`; while Xen reports `GTF_reading`/`GTF_writing` the peer still has the
//!   page mapped and the entry cannot be revoked ([`Error::InUse`]); otherwise compare-and-swap
//!   `flags` to 0. This is Linux's `gnttab_end_foreign_access_ref_v1`.
//!
//! References `0..GNTTAB_NR_RESERVED_ENTRIES` belong to the toolstack (console, xenstore): they
//! are never handed out and never written. Invariant: a reference is on the free list if and
//! only if its entry is not granted by us; every misuse of a reference (reserved, out of range,
//! not granted) is an [`Error`], never a silent no-op or a panic.

use alloc::vec::Vec;
use core::fmt;
use core::mem::offset_of;
use core::sync::atomic::Ordering;

use crate::abi::grant_table::{
    GNTTAB_NR_RESERVED_ENTRIES, GTF_permit_access, GTF_reading, GTF_readonly, GTF_writing,
    grant_entry_v1,
};
use crate::shared::{SharedMemory, wmb};
use crate::types::{DomId, Gfn, GrantRef};

/// Bytes per grant-table frame.
const FRAME_SIZE: usize = 4096;
/// Size of one `grant_entry_v1`.
const ENTRY_SIZE: usize = size_of::<grant_entry_v1>();
const FLAGS: usize = offset_of!(grant_entry_v1, flags);
const DOMID: usize = offset_of!(grant_entry_v1, domid);
const FRAME: usize = offset_of!(grant_entry_v1, frame);

/// How many times [`GrantTable::end_access`] retries a compare-and-swap that lost a race with
/// Xen before reporting the entry as in use. Linux retries forever; a peer that maps and unmaps
/// in a loop must not be able to hold us here.
const END_ACCESS_ATTEMPTS: usize = 16;

/// What went wrong with a grant-table operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The mapped memory does not hold exactly `nr_frames` frames.
    SizeMismatch {
        /// `nr_frames * 4096`.
        expected: usize,
        /// The length of the memory passed in.
        actual: usize,
    },
    /// Every reference is granted: end access to some, or map more frames.
    Exhausted,
    /// The reference is reserved for the toolstack (console, xenstore).
    Reserved(GrantRef),
    /// The reference lies beyond the end of the table.
    OutOfRange(GrantRef),
    /// The reference is not currently granted (ended twice, or never granted).
    NotGranted(GrantRef),
    /// The peer still has the page mapped (`GTF_reading`/`GTF_writing`); retry later.
    InUse(GrantRef),
    /// The frame number does not fit the 32-bit `frame` of a v1 entry.
    FrameTooLarge(Gfn),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SizeMismatch { expected, actual } => write!(
                f,
                "grant table memory is {actual} bytes but its frames need {expected}: map exactly nr_frames pages"
            ),
            Error::Exhausted => write!(
                f,
                "no free grant reference: end access to unused grants or map more grant frames"
            ),
            Error::Reserved(r) => write!(
                f,
                "grant reference {r} is reserved for the toolstack and cannot be granted or ended"
            ),
            Error::OutOfRange(r) => write!(
                f,
                "grant reference {r} is beyond the end of the grant table"
            ),
            Error::NotGranted(r) => write!(
                f,
                "grant reference {r} is not granted: it was ended already or never handed out"
            ),
            Error::InUse(r) => write!(
                f,
                "grant reference {r} is still mapped by the peer: retry after it unmaps"
            ),
            Error::FrameTooLarge(gfn) => write!(
                f,
                "frame {:#x} is above the 32-bit frame limit of grant table v1",
                gfn.0
            ),
        }
    }
}

/// Intrusive free list of grant references: `links[r]` is the next free reference after `r`,
/// [`FreeList::END`], or [`FreeList::GRANTED`]. Reserved references are never on the list.
#[derive(Debug)]
struct FreeList {
    links: Vec<u32>,
    head: u32,
    free: usize,
}

impl FreeList {
    /// End of the list.
    const END: u32 = u32::MAX;
    /// The reference is handed out.
    const GRANTED: u32 = u32::MAX - 1;

    /// A list holding every unreserved reference below `entries` (at most `GRANTED - 1`).
    fn new(entries: u32) -> Self {
        let first = GNTTAB_NR_RESERVED_ENTRIES.min(entries);
        let mut links: Vec<u32> = (1..=entries).collect();
        if let Some(last) = links.last_mut() {
            *last = Self::END;
        }
        for link in links.iter_mut().take(first as usize) {
            *link = Self::GRANTED;
        }
        let head = if first < entries { first } else { Self::END };
        Self {
            links,
            head,
            free: (entries - first) as usize,
        }
    }

    /// Takes a free reference.
    fn alloc(&mut self) -> Result<GrantRef, Error> {
        if self.head == Self::END {
            return Err(Error::Exhausted);
        }
        let r = self.head;
        // The head is always a valid index or END (checked above); `get_mut` only keeps the
        // panic path out of the image.
        let link = self.links.get_mut(r as usize).ok_or(Error::Exhausted)?;
        self.head = core::mem::replace(link, Self::GRANTED);
        self.free -= 1;
        Ok(GrantRef(r))
    }

    /// Checks that `r` is a reference this list handed out and has not taken back.
    fn check_granted(&self, r: GrantRef) -> Result<usize, Error> {
        if r.0 < GNTTAB_NR_RESERVED_ENTRIES {
            return Err(Error::Reserved(r));
        }
        match self.links.get(r.0 as usize) {
            None => Err(Error::OutOfRange(r)),
            Some(&Self::GRANTED) => Ok(r.0 as usize),
            Some(_) => Err(Error::NotGranted(r)),
        }
    }

    /// Puts `r` back on the list.
    fn free(&mut self, r: GrantRef) -> Result<(), Error> {
        let index = self.check_granted(r)?;
        let link = self.links.get_mut(index).ok_or(Error::OutOfRange(r))?;
        *link = self.head;
        self.head = r.0;
        self.free += 1;
        Ok(())
    }
}

/// Our grant table (v1) and the references not currently granted.
#[derive(Debug)]
pub struct GrantTable {
    memory: SharedMemory,
    free: FreeList,
}

impl GrantTable {
    /// Takes over the grant table mapped at `memory`, `nr_frames` frames of 4096 bytes.
    ///
    /// Entries are not cleared: the reserved ones belong to the toolstack and the others are
    /// fully rewritten when granted.
    pub fn new(memory: SharedMemory, nr_frames: u32) -> Result<Self, Error> {
        let expected = (nr_frames as usize).saturating_mul(FRAME_SIZE);
        if memory.len() != expected {
            return Err(Error::SizeMismatch {
                expected,
                actual: memory.len(),
            });
        }
        let entries = u32::try_from(expected / ENTRY_SIZE)
            .ok()
            .filter(|&n| n < FreeList::GRANTED)
            .ok_or(Error::SizeMismatch {
                expected,
                actual: memory.len(),
            })?;
        Ok(Self {
            memory,
            free: FreeList::new(entries),
        })
    }

    /// Number of entries in the table, reserved ones included.
    pub fn entries(&self) -> u32 {
        self.free.links.len() as u32
    }

    /// Number of references that can still be granted.
    pub fn available(&self) -> usize {
        self.free.free
    }

    /// Grants domain `domid` access to our frame `gfn` (read-only if `readonly`) and returns
    /// the reference to pass to it.
    pub fn grant_access(
        &mut self,
        domid: DomId,
        gfn: Gfn,
        readonly: bool,
    ) -> Result<GrantRef, Error> {
        let frame = u32::try_from(gfn.0).map_err(|_| Error::FrameTooLarge(gfn))?;
        let r = self.free.alloc()?;
        let entry = r.0 as usize * ENTRY_SIZE;
        self.memory
            .store_u16(entry + DOMID, domid.0, Ordering::Relaxed);
        self.memory
            .store_u32(entry + FRAME, frame, Ordering::Relaxed);
        // Xen must see `domid` and `frame` /before/ the flags that make the entry valid.
        wmb();
        let flags = GTF_permit_access | if readonly { GTF_readonly } else { 0 };
        self.memory
            .store_u16(entry + FLAGS, flags, Ordering::Relaxed);
        Ok(r)
    }

    /// Revokes the grant `r` and returns the reference to the free list.
    ///
    /// Fails with [`Error::InUse`] (leaving the grant in place) while the peer has the page
    /// mapped or keeps racing with us; call again once it has unmapped. Until this returns
    /// `Ok`, the page must not be reused.
    pub fn end_access(&mut self, r: GrantRef) -> Result<(), Error> {
        let entry = self.free.check_granted(r)? * ENTRY_SIZE;
        let mut flags = self.memory.load_u16(entry + FLAGS, Ordering::Acquire);
        for _ in 0..END_ACCESS_ATTEMPTS {
            if flags & (GTF_reading | GTF_writing) != 0 {
                return Err(Error::InUse(r));
            }
            // No barrier needed after a successful swap: reuse of the entry is
            // control-dependent on it (grant_table.h).
            match self.memory.compare_exchange_u16(entry + FLAGS, flags, 0) {
                Ok(_) => return self.free.free(r),
                // Xen changed the flags under us: look again at what it wrote.
                Err(current) => flags = current,
            }
        }
        Err(Error::InUse(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::grant_table::GNTTAB_RESERVED_XENSTORE;

    const FIRST: u32 = GNTTAB_NR_RESERVED_ENTRIES;

    fn table(nr_frames: u32) -> (GrantTable, SharedMemory) {
        let memory = SharedMemory::for_test(nr_frames as usize * FRAME_SIZE);
        (GrantTable::new(memory, nr_frames).unwrap(), memory)
    }

    fn entry_bytes(memory: &SharedMemory, r: GrantRef) -> [u8; 8] {
        let mut bytes = [0; 8];
        memory.read_bytes(r.0 as usize * 8, &mut bytes);
        bytes
    }

    #[test]
    fn free_list_hands_out_every_unreserved_ref_once() {
        let mut list = FreeList::new(20);
        let mut seen: Vec<u32> = (0..12).map(|_| list.alloc().unwrap().0).collect();
        seen.sort_unstable();
        assert_eq!(seen, (FIRST..20).collect::<Vec<_>>());
        assert_eq!(list.free, 0);
        assert_eq!(list.alloc(), Err(Error::Exhausted));
    }

    #[test]
    fn free_list_reuses_freed_refs() {
        let mut list = FreeList::new(10);
        let a = list.alloc().unwrap();
        let b = list.alloc().unwrap();
        assert_eq!(list.alloc(), Err(Error::Exhausted));
        list.free(a).unwrap();
        assert_eq!(list.alloc(), Ok(a));
        list.free(b).unwrap();
        list.free(a).unwrap();
        assert_eq!(list.free, 2);
        assert_eq!(list.alloc(), Ok(a));
        assert_eq!(list.alloc(), Ok(b));
        assert_eq!(list.alloc(), Err(Error::Exhausted));
    }

    #[test]
    fn free_list_rejects_bad_frees_without_corruption() {
        let mut list = FreeList::new(12);
        let a = list.alloc().unwrap();
        assert_eq!(list.free(GrantRef(0)), Err(Error::Reserved(GrantRef(0))));
        assert_eq!(
            list.free(GrantRef(FIRST - 1)),
            Err(Error::Reserved(GrantRef(FIRST - 1)))
        );
        assert_eq!(
            list.free(GrantRef(12)),
            Err(Error::OutOfRange(GrantRef(12)))
        );
        assert_eq!(
            list.free(GrantRef(u32::MAX)),
            Err(Error::OutOfRange(GrantRef(u32::MAX)))
        );
        // Never handed out.
        let other = GrantRef(if a.0 == FIRST { FIRST + 1 } else { FIRST });
        assert_eq!(list.free(other), Err(Error::NotGranted(other)));
        list.free(a).unwrap();
        assert_eq!(list.free(a), Err(Error::NotGranted(a)));
        // The list is intact: exactly the 4 unreserved refs, each once.
        assert_eq!(list.free, 4);
        let mut refs: Vec<u32> = (0..4).map(|_| list.alloc().unwrap().0).collect();
        refs.sort_unstable();
        assert_eq!(refs, [8, 9, 10, 11]);
        assert_eq!(list.alloc(), Err(Error::Exhausted));
    }

    #[test]
    fn free_list_smaller_than_the_reserved_range_is_empty() {
        assert_eq!(FreeList::new(0).alloc(), Err(Error::Exhausted));
        assert_eq!(FreeList::new(FIRST).alloc(), Err(Error::Exhausted));
        let mut list = FreeList::new(FIRST + 1);
        assert_eq!(list.alloc(), Ok(GrantRef(FIRST)));
        assert_eq!(list.alloc(), Err(Error::Exhausted));
    }

    #[test]
    fn new_checks_the_memory_size() {
        let memory = SharedMemory::for_test(4096);
        assert_eq!(
            GrantTable::new(memory, 2).unwrap_err(),
            Error::SizeMismatch {
                expected: 8192,
                actual: 4096
            }
        );
        let (table, _) = table(1);
        assert_eq!(table.entries(), 512);
        assert_eq!(table.available(), 504);
    }

    #[test]
    fn grant_writes_the_entry_at_the_right_offsets() {
        let (mut table, memory) = table(1);
        let r = table
            .grant_access(DomId(0x0102), Gfn(0x0a0b_0c0d), false)
            .unwrap();
        assert!(r.0 >= FIRST);
        // flags = GTF_permit_access, domid, frame: all little-endian.
        assert_eq!(
            entry_bytes(&memory, r),
            [0x01, 0x00, 0x02, 0x01, 0x0d, 0x0c, 0x0b, 0x0a]
        );
        let ro = table.grant_access(DomId(7), Gfn(0x1234), true).unwrap();
        assert_eq!(
            entry_bytes(&memory, ro),
            [0x05, 0x00, 0x07, 0x00, 0x34, 0x12, 0x00, 0x00]
        );
        // Reserved entries are untouched.
        assert_eq!(
            entry_bytes(&memory, GrantRef(GNTTAB_RESERVED_XENSTORE)),
            [0; 8]
        );
    }

    #[test]
    fn grant_rejects_frames_beyond_32_bits() {
        let (mut table, _) = table(1);
        let gfn = Gfn(1 << 32);
        assert_eq!(
            table.grant_access(DomId(0), gfn, false),
            Err(Error::FrameTooLarge(gfn))
        );
        assert_eq!(table.available(), 504);
    }

    #[test]
    fn end_access_waits_for_the_peer_to_unmap() {
        let (mut table, memory) = table(1);
        let r = table.grant_access(DomId(0), Gfn(0x42), false).unwrap();
        let flags = r.0 as usize * 8;
        // The peer maps the page: Xen sets GTF_reading.
        memory.store_u16(flags, GTF_permit_access | GTF_reading, Ordering::Relaxed);
        assert_eq!(table.end_access(r), Err(Error::InUse(r)));
        assert_eq!(
            memory.load_u16(flags, Ordering::Relaxed),
            GTF_permit_access | GTF_reading
        );
        memory.store_u16(flags, GTF_permit_access | GTF_writing, Ordering::Relaxed);
        assert_eq!(table.end_access(r), Err(Error::InUse(r)));
        // It unmaps: the grant can be revoked and the ref comes back.
        memory.store_u16(flags, GTF_permit_access, Ordering::Relaxed);
        let available = table.available();
        assert_eq!(table.end_access(r), Ok(()));
        assert_eq!(memory.load_u16(flags, Ordering::Relaxed), 0);
        assert_eq!(table.available(), available + 1);
        assert_eq!(table.end_access(r), Err(Error::NotGranted(r)));
        assert_eq!(table.grant_access(DomId(0), Gfn(0x43), true), Ok(r));
    }

    #[test]
    fn end_access_rejects_refs_it_did_not_grant() {
        let (mut table, _) = table(1);
        assert_eq!(
            table.end_access(GrantRef(1)),
            Err(Error::Reserved(GrantRef(1)))
        );
        assert_eq!(
            table.end_access(GrantRef(512)),
            Err(Error::OutOfRange(GrantRef(512)))
        );
        assert_eq!(
            table.end_access(GrantRef(9)),
            Err(Error::NotGranted(GrantRef(9)))
        );
    }

    #[test]
    fn exhaustion_and_recovery() {
        let (mut table, _) = table(1);
        let refs: Vec<GrantRef> = (0..504)
            .map(|i| table.grant_access(DomId(0), Gfn(i), false).unwrap())
            .collect();
        assert_eq!(table.available(), 0);
        assert_eq!(
            table.grant_access(DomId(0), Gfn(0), false),
            Err(Error::Exhausted)
        );
        table.end_access(refs[100]).unwrap();
        assert_eq!(table.grant_access(DomId(0), Gfn(0), false), Ok(refs[100]));
        for r in refs {
            table.end_access(r).unwrap();
        }
        assert_eq!(table.available(), 504);
    }
}
