//! Sleeping until something happens: a device interrupt, a timer, an event channel.
//!
//! Interrupt hooks call [`wake`]; [`until`] disables interrupts, consumes the wake flag, and
//! only if nothing happened arms a timer for the deadline and executes `sti; hlt` (atomic, so
//! a wake-up cannot slip between the check and the halt). On Xen the same is done by
//! `kernel/xen`'s `Platform::wait` with Xen's one-shot timer.

use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;

static WAKE: AtomicBool = AtomicBool::new(false);

/// Records that work may be waiting. Called from interrupt hooks.
pub fn wake() {
    WAKE.store(true, Ordering::SeqCst);
}

/// Sleeps until an interrupt or until `deadline` (time since boot; `None`: no deadline).
/// May return early; callers re-check their work.
pub fn until(deadline: Option<Duration>) {
    if let Some(xen) = crate::xen::platform() {
        use xenolith_xen::Hypervisor;
        let now_xen = xen.now_ns();
        let deadline_xen = match deadline {
            Some(deadline) => {
                let wait = deadline.saturating_sub(crate::clock::now());
                now_xen.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX))
            }
            None => u64::MAX,
        };
        xen.wait(deadline_xen);
        report_skipped_halts();
        return;
    }
    if !crate::lapic::is_ready() {
        // Nothing could end a halt: poll.
        core::hint::spin_loop();
        return;
    }
    xenolith_arch::cpu::disable_interrupts();
    if WAKE.swap(false, Ordering::SeqCst) {
        return;
    }
    let now = crate::clock::now();
    if let Some(deadline) = deadline {
        if deadline <= now {
            return;
        }
        crate::lapic::arm_timer(deadline - now);
    } else {
        crate::lapic::disarm_timer();
    }
    // SAFETY: the IDT is loaded and every vector that can fire has a hook; `sti; hlt` is atomic.
    unsafe { xenolith_arch::cpu::enable_interrupts_and_halt() };
    xenolith_arch::cpu::disable_interrupts();
    WAKE.store(false, Ordering::SeqCst);
    report_skipped_halts();
}

/// Says once that the hypervisor delivered an interrupt inside the STI shadow (the arch
/// interrupt path then resumes after the idle `hlt`; see
/// `xenolith_arch::cpu::interrupted_idle_halt`). Harmless, but worth knowing about a platform.
fn report_skipped_halts() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.load(Ordering::Relaxed) && xenolith_arch::cpu::skipped_halts() > 0 {
        REPORTED.store(true, Ordering::Relaxed);
        log::info!(
            "an interrupt arrived inside the STI shadow, before the halt began (this \
             hypervisor does not hold interrupts for it); resumed after the halt"
        );
    }
}
