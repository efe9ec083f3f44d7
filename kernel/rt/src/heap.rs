//! The kernel heap: `talc` over every free RAM range.

use talc::TalcLock;
use talc::source::Manual;

#[global_allocator]
static ALLOCATOR: TalcLock<spin::Mutex<()>, Manual> = TalcLock::new(Manual);

/// Hands `[start, end)` to the allocator. Returns the bytes it could use.
///
/// # Safety
/// The range must be identity-mapped read-write RAM that nothing else uses, now or later.
pub unsafe fn claim(start: u64, end: u64) -> u64 {
    let size = (end - start) as usize;
    // SAFETY: the caller guarantees exclusive ownership of the mapped range.
    let claimed = unsafe { ALLOCATOR.lock().claim(start as *mut u8, size) };
    if claimed.is_none() {
        return 0;
    }
    size as u64
}
