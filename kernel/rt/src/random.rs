//! Random numbers from RDRAND, with the checks Intel's DRNG guide recommends: retry a bounded
//! number of times when the generator is momentarily exhausted, and refuse a generator that
//! keeps returning the same value.

use core::sync::atomic::{AtomicU64, Ordering};

static LAST: AtomicU64 = AtomicU64::new(0);

/// Why no random number could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The CPU has no RDRAND.
    Unsupported,
    /// RDRAND failed ten times in a row (DRNG guide §5.2.1).
    Exhausted,
    /// RDRAND returned the same value twice in a row: a stuck generator.
    Stuck,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Unsupported => write!(f, "the CPU has no RDRAND (QEMU: use -cpu max)"),
            Error::Exhausted => write!(f, "RDRAND kept failing"),
            Error::Stuck => write!(
                f,
                "RDRAND returned the same value twice: the generator is stuck"
            ),
        }
    }
}

/// A random u64 from RDRAND.
pub fn rdrand() -> Result<u64, Error> {
    if !xenolith_arch::cpu::has_rdrand() {
        return Err(Error::Unsupported);
    }
    for _ in 0..10 {
        // SAFETY: CPUID reported RDRAND.
        if let Some(value) = unsafe { xenolith_arch::cpu::rdrand64() } {
            if LAST.swap(value, Ordering::Relaxed) == value {
                return Err(Error::Stuck);
            }
            return Ok(value);
        }
    }
    Err(Error::Exhausted)
}

/// A u64 for non-cryptographic uses (ephemeral ports, DHCP transaction ids, MAC seeds):
/// RDRAND when available, else the TSC mixed through SplitMix64.
pub fn u64() -> u64 {
    rdrand().unwrap_or_else(|_| {
        let mut z = xenolith_arch::cpu::rdtsc().wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}
