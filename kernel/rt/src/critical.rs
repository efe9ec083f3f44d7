//! The `critical-section` implementation for libraries that need one (e.g. hickory-proto's lazy
//! statics, should an app link it): on this single-core kernel a critical section is
//! "interrupts disabled", restoring the previous state on exit.

struct InterruptsOff;
critical_section::set_impl!(InterruptsOff);

// SAFETY: with one CPU, disabling interrupts excludes every other context that could enter the
// section (interrupt hooks never take critical sections); `release` restores exactly the state
// `acquire` saw, so nesting works.
unsafe impl critical_section::Impl for InterruptsOff {
    unsafe fn acquire() -> critical_section::RawRestoreState {
        let enabled = xenolith_arch::cpu::interrupts_enabled();
        xenolith_arch::cpu::disable_interrupts();
        enabled
    }

    unsafe fn release(enabled: critical_section::RawRestoreState) {
        if enabled {
            // SAFETY: interrupts were enabled when the section began, so the IDT was ready.
            unsafe { xenolith_arch::cpu::enable_interrupts() }
        }
    }
}
