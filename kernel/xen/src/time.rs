//! Xen time: the vCPU's pvclock (`vcpu_time_info`) and the wallclock in `shared_info`.
//!
//! `xen/include/public/xen.h`: Xen publishes, per vCPU, a TSC stamp, the system time (ns since
//! the domain's boot) at that stamp, and a scale; the guest extrapolates with its own TSC.
//! Reads are version-checked: an odd version, or one that changed during the read, means Xen
//! was updating the record, so the read is retried. The wallclock (`wc_sec`, `wc_nsec`,
//! `wc_sec_hi`) is the UTC time at system time 0, also version-checked.

use crate::abi::xen::{shared_info, vcpu_info, vcpu_time_info};
use crate::shared::{SharedMemory, rmb};
use core::mem::offset_of;
use core::sync::atomic::Ordering::Relaxed;

/// One consistent snapshot of a `vcpu_time_info`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PvClock {
    /// TSC value at `system_time`.
    pub tsc_timestamp: u64,
    /// Xen system time (ns) at `tsc_timestamp`.
    pub system_time: u64,
    /// TSC → ns multiplier (a 32.32 fixed-point fraction after the shift).
    pub tsc_to_system_mul: u32,
    /// TSC shift (left if positive, right if negative) before the multiply.
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` flags.
    pub flags: u8,
}

/// Scales a TSC delta to nanoseconds the way Xen does (`scale_delta` in Xen and Linux).
pub fn scale_delta(delta: u64, mul: u32, shift: i8) -> u64 {
    let shifted = if shift >= 0 {
        delta << shift.unsigned_abs()
    } else {
        delta >> shift.unsigned_abs()
    };
    ((u128::from(shifted) * u128::from(mul)) >> 32) as u64
}

impl PvClock {
    /// System time (ns) at TSC value `tsc`.
    pub fn system_time_at(&self, tsc: u64) -> u64 {
        self.system_time.wrapping_add(scale_delta(
            tsc.wrapping_sub(self.tsc_timestamp),
            self.tsc_to_system_mul,
            self.tsc_shift,
        ))
    }

    /// The TSC frequency this scale implies, in Hz (0 if the scale is unusable).
    pub fn tsc_frequency(&self) -> u64 {
        let mul = u128::from(self.tsc_to_system_mul);
        if mul == 0 {
            return 0;
        }
        // ns = ((tsc << shift) * mul) >> 32, so Hz = 1e9 * 2^32 / (mul * 2^shift).
        let numerator = 1_000_000_000u128 << 32;
        let hz = if self.tsc_shift >= 0 {
            numerator
                .checked_div(mul << self.tsc_shift.unsigned_abs())
                .unwrap_or(0)
        } else {
            (numerator << self.tsc_shift.unsigned_abs()) / mul
        };
        u64::try_from(hz).unwrap_or(0)
    }
}

const VCPU0_TIME: usize = offset_of!(shared_info, vcpu_info) + offset_of!(vcpu_info, time);

/// Reads vCPU 0's pvclock record from `shared_info`, retrying while Xen updates it (bounded:
/// after many torn reads the last one is used rather than hanging).
pub fn read_pvclock(shared: &SharedMemory) -> PvClock {
    let t = VCPU0_TIME;
    let mut snapshot = PvClock::default();
    for _ in 0..1000 {
        let version = shared.load_u32(t + offset_of!(vcpu_time_info, version), Relaxed);
        rmb();
        snapshot = PvClock {
            tsc_timestamp: shared.load_u64(t + offset_of!(vcpu_time_info, tsc_timestamp), Relaxed),
            system_time: shared.load_u64(t + offset_of!(vcpu_time_info, system_time), Relaxed),
            tsc_to_system_mul: shared
                .load_u32(t + offset_of!(vcpu_time_info, tsc_to_system_mul), Relaxed),
            tsc_shift: shared.load_u8(t + offset_of!(vcpu_time_info, tsc_shift), Relaxed) as i8,
            flags: shared.load_u8(t + offset_of!(vcpu_time_info, flags), Relaxed),
        };
        rmb();
        if version & 1 == 0
            && version == shared.load_u32(t + offset_of!(vcpu_time_info, version), Relaxed)
        {
            break;
        }
    }
    snapshot
}

/// The wallclock: UTC seconds and nanoseconds at Xen system time 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WallClock {
    /// Seconds since the Unix epoch.
    pub seconds: u64,
    /// Nanoseconds.
    pub nanoseconds: u32,
}

impl WallClock {
    /// The UTC time (ns since the epoch) at system time `system_ns`.
    pub fn at(&self, system_ns: u64) -> u128 {
        u128::from(self.seconds) * 1_000_000_000
            + u128::from(self.nanoseconds)
            + u128::from(system_ns)
    }
}

/// Reads the wallclock from `shared_info` (version-checked, bounded retries).
pub fn read_wallclock(shared: &SharedMemory) -> WallClock {
    let mut clock = WallClock::default();
    for _ in 0..1000 {
        let version = shared.load_u32(offset_of!(shared_info, wc_version), Relaxed);
        rmb();
        let low = shared.load_u32(offset_of!(shared_info, wc_sec), Relaxed);
        let high = shared.load_u32(offset_of!(shared_info, wc_sec_hi), Relaxed);
        clock = WallClock {
            seconds: u64::from(high) << 32 | u64::from(low),
            nanoseconds: shared.load_u32(offset_of!(shared_info, wc_nsec), Relaxed),
        };
        rmb();
        if version & 1 == 0
            && version == shared.load_u32(offset_of!(shared_info, wc_version), Relaxed)
        {
            break;
        }
    }
    clock
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_xen() {
        // A 2 GHz TSC: mul = 2^31 (0.5 ns per tick) with shift 0.
        assert_eq!(scale_delta(2_000_000_000, 1 << 31, 0), 1_000_000_000);
        // Same with the delta pre-shifted right by one and mul doubled... as Xen picks.
        assert_eq!(scale_delta(4_000_000_000, 1 << 31, -1), 1_000_000_000);
        let clock = PvClock {
            tsc_timestamp: 1000,
            system_time: 5_000,
            tsc_to_system_mul: 1 << 31,
            tsc_shift: 0,
            flags: 0,
        };
        assert_eq!(clock.system_time_at(3000), 6_000);
        assert_eq!(clock.tsc_frequency(), 2_000_000_000);
        let clock = PvClock {
            tsc_to_system_mul: 0xa000_0000,
            tsc_shift: -1,
            ..clock
        };
        assert_eq!(clock.tsc_frequency(), 3_200_000_000);
        assert_eq!(PvClock::default().tsc_frequency(), 0);
    }

    #[test]
    fn reads_consistent_records() {
        let shared = SharedMemory::for_test(4096);
        let t = VCPU0_TIME;
        shared.store_u32(t, 2, Relaxed);
        shared.store_u64(t + 8, 777, Relaxed);
        shared.store_u64(t + 16, 123_456, Relaxed);
        shared.store_u32(t + 24, 1 << 31, Relaxed);
        shared.store_u8(t + 28, (-1i8) as u8, Relaxed);
        let clock = read_pvclock(&shared);
        assert_eq!(
            (clock.tsc_timestamp, clock.system_time, clock.tsc_shift),
            (777, 123_456, -1)
        );
        // An odd version (update in progress) never blocks forever.
        shared.store_u32(t, 3, Relaxed);
        assert_eq!(read_pvclock(&shared).system_time, 123_456);

        shared.store_u32(offset_of!(shared_info, wc_sec), 1_700_000_000, Relaxed);
        shared.store_u32(offset_of!(shared_info, wc_nsec), 5, Relaxed);
        let wall = read_wallclock(&shared);
        assert_eq!(
            wall,
            WallClock {
                seconds: 1_700_000_000,
                nanoseconds: 5
            }
        );
        assert_eq!(wall.at(10), 1_700_000_000_000_000_015);
    }
}
