//! Time for apps: monotonic time since boot, the wallclock, and sleeping.
//!
//! The machine answers: on Xen the wallclock comes from `shared_info` and sleeping blocks the
//! vCPU until a Xen one-shot timer fires; elsewhere the wallclock is the CMOS RTC (whole
//! seconds) and sleeping halts until the local APIC timer fires.

#[cfg(target_os = "none")]
use core::time::Duration;

/// Time since boot.
#[cfg(target_os = "none")]
pub fn now() -> Duration {
    crate::clock::now()
}

/// The current UTC time as a duration since the Unix epoch, if the machine has a clock.
#[cfg(target_os = "none")]
pub fn wallclock() -> Option<Duration> {
    crate::machine::get()?.wallclock()
}

/// Sleeps for `duration`.
#[cfg(target_os = "none")]
pub fn sleep(duration: Duration) {
    if let Some(machine) = crate::machine::get() {
        machine.sleep(duration);
    }
}

/// Formats seconds since the epoch as `YYYY-MM-DD hh:mm:ss UTC`.
#[derive(Clone, Copy, Debug)]
pub struct Utc(pub u64);

impl core::fmt::Display for Utc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let days = (self.0 / 86_400) as i64;
        let secs = self.0 % 86_400;
        // Inverse of rtc::days_from_civil (Hinnant).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn formats_utc() {
        assert_eq!(Utc(0).to_string(), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            Utc(20_779 * 86_400 + 14 * 3600 + 5 * 60 + 9).to_string(),
            "2026-11-22 14:05:09 UTC"
        );
        assert_eq!(Utc(951_782_400).to_string(), "2000-02-29 00:00:00 UTC");
    }
}
