//! The PC's wake flag: interrupt hooks (LAPIC timer, MSI-X, the SCI) set it, the idle loop
//! consumes it with interrupts disabled before it halts, so no wake-up is lost between the
//! check and `sti; hlt`.

use core::sync::atomic::{AtomicBool, Ordering};

static WAKE: AtomicBool = AtomicBool::new(false);

/// Records that work may be waiting. Called from interrupt hooks.
pub fn wake() {
    WAKE.store(true, Ordering::SeqCst);
}

/// Takes the flag: whether something happened since the last call.
pub fn take() -> bool {
    WAKE.swap(false, Ordering::SeqCst)
}
