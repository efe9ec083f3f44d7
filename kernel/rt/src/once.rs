//! A write-once cell for the runtime's boot-time values (the machine, the boot data, the
//! descriptor tables, the clock source, the shutdown hooks): set once while the guest boots,
//! read for the rest of its life, from the main loop and from interrupt and panic paths.
//!
//! `spin::Once` does the same with spin-waiting and poisoning built for many threads and
//! unwinding panics; this kernel has one CPU and aborts on panic, so a cell that is empty,
//! being written or full, and never reports a poisoned state, does: it is 1.1 KB
//! smaller in the DNS image (docs/image-size.md, Issue 14).
//!
//! Invariant: the value is written once, by the one caller that moved the state from `EMPTY`
//! to `WRITING`, and read (shared) only after the state is `FULL`, which it never leaves.

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU8, Ordering};

const EMPTY: u8 = 0;
const WRITING: u8 = 1;
const FULL: u8 = 2;

/// A value set once ([`call_once`](Once::call_once)) and then only read ([`get`](Once::get)).
pub struct Once<T> {
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is shared (`&T`) between contexts once full, so `T: Sync`; it is created in
// one context and dropped in whichever owns the cell, so `T: Send`. The state's atomic
// exchange admits a single writer, and readers see the value only after the writer's
// `Release` store of `FULL` (paired with their `Acquire` load).
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    /// An empty cell.
    pub const fn new() -> Self {
        Self {
            state: AtomicU8::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// The value, if the cell is full.
    pub fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == FULL {
            // SAFETY: `FULL` is stored (Release) only after the value was written, and the
            // state never leaves `FULL`, so the value is initialised and never written again.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Fills the cell with `init()` if it is empty, and returns its value. If it is already
    /// full, `init` is not called. If another context is filling it, waits for that (never
    /// happens here: only the boot sequence fills cells, before interrupts are enabled).
    pub fn call_once(&self, init: impl FnOnce() -> T) -> &T {
        if self
            .state
            .compare_exchange(EMPTY, WRITING, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            // SAFETY: the exchange from `EMPTY` succeeded for this caller alone, so no other
            // context writes the value, and none reads it until `FULL` is stored below.
            unsafe { (*self.value.get()).write(init()) };
            self.state.store(FULL, Ordering::Release);
        }
        loop {
            if let Some(value) = self.get() {
                return value;
            }
            core::hint::spin_loop();
        }
    }
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Drop for Once<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == FULL {
            // SAFETY: `FULL` means the value was written; `&mut self` means no reader remains,
            // and the cell is not used again.
            unsafe { self.value.get_mut().assume_init_drop() }
        }
    }
}

impl<T: core::fmt::Debug> core::fmt::Debug for Once<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Once").field(&self.get()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Once;
    use std::rc::Rc;

    #[test]
    fn empty_until_set_then_first_value_kept() {
        let cell = Once::new();
        assert_eq!(cell.get(), None);
        assert_eq!(*cell.call_once(|| 7), 7);
        assert_eq!(cell.get(), Some(&7));
        // Already full: the second initialiser is not run.
        assert_eq!(*cell.call_once(|| unreachable!()), 7);
        assert_eq!(cell.get(), Some(&7));
    }

    #[test]
    fn value_dropped_with_the_cell_once() {
        let value = Rc::new(());
        let cell = Once::new();
        cell.call_once(|| Rc::clone(&value));
        assert_eq!(Rc::strong_count(&value), 2);
        drop(cell);
        assert_eq!(Rc::strong_count(&value), 1);
        // An empty cell drops nothing.
        drop(Once::<Rc<()>>::new());
    }

    #[test]
    fn one_writer_among_threads() {
        let cell: Once<usize> = Once::new();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for i in 0..8 {
                let (cell, calls) = (&cell, &calls);
                s.spawn(move || {
                    let value = *cell.call_once(|| {
                        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        i
                    });
                    assert_eq!(cell.get(), Some(&value));
                });
            }
        });
        assert_eq!(calls.into_inner(), 1);
    }
}
