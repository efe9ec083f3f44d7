//! Conversions between `core::time::Duration` (the machine's time since boot) and smoltcp's
//! `Instant` and `Duration`.

use core::time::Duration;

/// The smoltcp instant for `since_boot` (microsecond resolution, saturating).
pub(crate) fn instant(since_boot: Duration) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(i64::try_from(since_boot.as_micros()).unwrap_or(i64::MAX))
}

/// The time since boot for a smoltcp instant (instants before boot count as boot).
pub(crate) fn since_boot(instant: smoltcp::time::Instant) -> Duration {
    Duration::from_micros(u64::try_from(instant.total_micros()).unwrap_or(0))
}

/// A smoltcp duration (microsecond resolution, saturating).
pub(crate) fn smol_duration(duration: Duration) -> smoltcp::time::Duration {
    smoltcp::time::Duration::from_micros(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_saturation() {
        let t = Duration::from_micros(1_234_567);
        assert_eq!(since_boot(instant(t)), t);
        assert_eq!(instant(Duration::MAX).total_micros(), i64::MAX);
        assert_eq!(
            since_boot(smoltcp::time::Instant::from_micros(-5)),
            Duration::ZERO
        );
        assert_eq!(smol_duration(Duration::from_millis(3)).total_millis(), 3);
    }
}
