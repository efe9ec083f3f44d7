//! Monotonic time since boot, from the TSC.
//!
//! The TSC frequency comes from the platform: calibrated against the PIT under QEMU (see
//! `pit`), from Xen's pvclock scale on Xen. Until it is known, a nominal 1 GHz is assumed. Code
//! that needs time takes it as an argument (smoltcp-style); only the runtime reads this clock.

use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static TSC_HZ: AtomicU64 = AtomicU64::new(1_000_000_000);
/// A platform clock (Xen's pvclock) in ns, and its reading at time zero.
#[cfg(target_os = "none")]
static SOURCE: crate::once::Once<Source> = crate::once::Once::new();
#[cfg(target_os = "none")]
static SOURCE_ZERO: AtomicU64 = AtomicU64::new(0);

/// A platform clock: nanoseconds on a monotonic scale of its own.
pub type Source = fn() -> u64;

/// Switches to a platform clock, keeping `now()` continuous. Only the first call counts.
#[cfg(target_os = "none")]
pub fn set_source(source: Source) {
    let elapsed = u64::try_from(now().as_nanos()).unwrap_or(u64::MAX);
    SOURCE_ZERO.store(source().wrapping_sub(elapsed), Ordering::Relaxed);
    SOURCE.call_once(|| source);
}

/// Records the TSC value that is "time zero". Called first thing at boot.
pub fn mark_boot(tsc: u64) {
    BOOT_TSC.store(tsc, Ordering::Relaxed);
}

/// Sets the TSC frequency in Hz (ignored if 0).
pub fn set_tsc_frequency(hz: u64) {
    if hz != 0 {
        TSC_HZ.store(hz, Ordering::Relaxed);
    }
}

/// The TSC frequency in use.
pub fn tsc_frequency() -> u64 {
    TSC_HZ.load(Ordering::Relaxed)
}

/// Converts a TSC delta to a duration at `hz` without overflow.
pub fn ticks_to_duration(ticks: u64, hz: u64) -> Duration {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(hz.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Converts a duration to TSC ticks at `hz`, saturating.
pub fn duration_to_ticks(duration: Duration, hz: u64) -> u64 {
    duration
        .as_nanos()
        .checked_mul(u128::from(hz))
        .and_then(|ticks| u64::try_from(ticks / 1_000_000_000).ok())
        .unwrap_or(u64::MAX)
}

/// Time since boot.
#[cfg(target_os = "none")]
pub fn now() -> Duration {
    if let Some(source) = SOURCE.get() {
        return Duration::from_nanos(source().wrapping_sub(SOURCE_ZERO.load(Ordering::Relaxed)));
    }
    let ticks = xenolith_arch::cpu::rdtsc().wrapping_sub(BOOT_TSC.load(Ordering::Relaxed));
    ticks_to_duration(ticks, tsc_frequency())
}

/// Time since boot (host builds: the logger is never installed there).
#[cfg(not(target_os = "none"))]
pub fn now() -> Duration {
    Duration::ZERO
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_and_saturate() {
        assert_eq!(
            ticks_to_duration(3_000_000_000, 3_000_000_000),
            Duration::from_secs(1)
        );
        assert_eq!(ticks_to_duration(1, 2_000_000_000), Duration::from_nanos(0));
        assert_eq!(
            ticks_to_duration(u64::MAX, 1),
            Duration::from_nanos(u64::MAX)
        );
        assert_eq!(
            duration_to_ticks(Duration::from_millis(100), 2_500_000_000),
            250_000_000
        );
        assert_eq!(duration_to_ticks(Duration::MAX, u64::MAX), u64::MAX);
        assert_eq!(ticks_to_duration(5, 0), Duration::from_secs(5));
    }
}
