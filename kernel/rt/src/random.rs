//! Random numbers from RDRAND, with the checks Intel's DRNG guide recommends: retry a bounded
//! number of times when the generator is momentarily exhausted (§5.2.1: ten tries), and refuse
//! a generator that looks stuck — the same value twice in a row (a continuous test in the
//! manner of FIPS 140-2 §4.9.2), or all-zero / all-one bits (what broken parts return with the
//! carry flag set, e.g. AMD family 15h/16h after resume).
//!
//! The checks are plain functions over a `draw` closure ([`checked_draw`], [`self_test_with`]),
//! so they are tested on the host with scripted generators; only `rdrand`, `self_test`
//! and `u64()` touch the CPU.

use core::sync::atomic::{AtomicU64, Ordering};

/// Attempts per value before the generator counts as exhausted (DRNG guide §5.2.1).
pub const RETRIES: usize = 10;
/// Values drawn by the start-up test.
pub const SELF_TEST_DRAWS: usize = 16;

#[cfg(target_os = "none")]
static LAST: AtomicU64 = AtomicU64::new(0);

/// Why no random number could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The CPU has no RDRAND.
    Unsupported,
    /// RDRAND failed ten times in a row (DRNG guide §5.2.1).
    Exhausted,
    /// RDRAND returned the same value twice in a row, or all-zero or all-one bits: a stuck
    /// generator.
    Stuck,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Unsupported => write!(f, "the CPU has no RDRAND (QEMU: use -cpu max)"),
            Error::Exhausted => write!(f, "RDRAND failed ten times in a row"),
            Error::Stuck => write!(
                f,
                "RDRAND returned a repeated or constant value: the generator is stuck"
            ),
        }
    }
}

/// One checked value from `draw` (which returns `None` when the generator has nothing):
/// at most [`RETRIES`] attempts; the value must differ from the previous one, kept in `last`
/// (and updated), and must not be all-zero or all-one bits.
pub fn checked_draw(mut draw: impl FnMut() -> Option<u64>, last: &AtomicU64) -> Result<u64, Error> {
    for _ in 0..RETRIES {
        if let Some(value) = draw() {
            if value == 0 || value == u64::MAX || last.swap(value, Ordering::Relaxed) == value {
                return Err(Error::Stuck);
            }
            return Ok(value);
        }
    }
    Err(Error::Exhausted)
}

/// The start-up test: [`SELF_TEST_DRAWS`] checked values, no two of them equal (a generator
/// cycling through a few values passes the consecutive test but not this one).
pub fn self_test_with(mut draw: impl FnMut() -> Option<u64>) -> Result<(), Error> {
    let last = AtomicU64::new(0);
    let mut seen = [0u64; SELF_TEST_DRAWS];
    for i in 0..SELF_TEST_DRAWS {
        let value = checked_draw(&mut draw, &last)?;
        if seen[..i].contains(&value) {
            return Err(Error::Stuck);
        }
        seen[i] = value;
    }
    Ok(())
}

/// A random u64 from RDRAND.
#[cfg(target_os = "none")]
pub fn rdrand() -> Result<u64, Error> {
    if !xenolith_arch::cpu::has_rdrand() {
        return Err(Error::Unsupported);
    }
    // SAFETY: CPUID reported RDRAND.
    checked_draw(|| unsafe { xenolith_arch::cpu::rdrand64() }, &LAST)
}

/// Checks that RDRAND exists and passes [`self_test_with`]; users that need secure randomness
/// (TLS) call it once before they start, and refuse to start when it fails.
#[cfg(target_os = "none")]
pub fn self_test() -> Result<(), Error> {
    if !xenolith_arch::cpu::has_rdrand() {
        return Err(Error::Unsupported);
    }
    // SAFETY: CPUID reported RDRAND.
    self_test_with(|| unsafe { xenolith_arch::cpu::rdrand64() })
}

/// A u64 for non-cryptographic uses (ephemeral ports, DHCP transaction ids, MAC seeds):
/// RDRAND when available, else the TSC mixed through SplitMix64.
#[cfg(target_os = "none")]
pub fn u64() -> u64 {
    rdrand().unwrap_or_else(|_| {
        let mut z = xenolith_arch::cpu::rdtsc().wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator that plays `script` (None: no value this time), then repeats its last entry.
    fn scripted(script: &[Option<u64>]) -> impl FnMut() -> Option<u64> + '_ {
        let mut i = 0;
        move || {
            let value = script[i.min(script.len() - 1)];
            i += 1;
            value
        }
    }

    fn counter() -> impl FnMut() -> Option<u64> {
        let mut n = 0x1234_5678_9abc_def0u64;
        move || {
            n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            Some(n)
        }
    }

    #[test]
    fn retries_up_to_ten_times() {
        let last = AtomicU64::new(0);
        let mut script = [None; 10];
        script[9] = Some(42);
        assert_eq!(checked_draw(scripted(&script), &last), Ok(42));
        let script = [None; 11];
        assert_eq!(
            checked_draw(scripted(&script), &last),
            Err(Error::Exhausted)
        );
    }

    #[test]
    fn detects_repeated_and_constant_values() {
        let last = AtomicU64::new(0);
        assert_eq!(checked_draw(|| Some(7), &last), Ok(7));
        assert_eq!(checked_draw(|| Some(7), &last), Err(Error::Stuck));
        assert_eq!(checked_draw(|| Some(8), &last), Ok(8));
        assert_eq!(checked_draw(|| Some(0), &last), Err(Error::Stuck));
        assert_eq!(checked_draw(|| Some(u64::MAX), &last), Err(Error::Stuck));
    }

    #[test]
    fn self_test_accepts_a_working_generator() {
        assert_eq!(self_test_with(counter()), Ok(()));
    }

    #[test]
    fn self_test_refuses_broken_generators() {
        assert_eq!(self_test_with(|| Some(u64::MAX)), Err(Error::Stuck));
        assert_eq!(self_test_with(|| None), Err(Error::Exhausted));
        // Alternating between two values passes the consecutive test, not the start-up test.
        let mut flip = false;
        let cycling = move || {
            flip = !flip;
            Some(if flip { 1 } else { 2 })
        };
        assert_eq!(self_test_with(cycling), Err(Error::Stuck));
    }
}
