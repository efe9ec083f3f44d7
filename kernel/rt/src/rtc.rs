//! The CMOS real-time clock (MC146818): its register values as Unix time (the PC reads them
//! in `pc::cmos`), tested on the host.

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian; Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Raw RTC registers: seconds, minutes, hours, day, month, year, century, status B.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registers {
    /// Seconds register.
    pub second: u8,
    /// Minutes register.
    pub minute: u8,
    /// Hours register (bit 7 = PM in 12-hour mode).
    pub hour: u8,
    /// Day of month.
    pub day: u8,
    /// Month.
    pub month: u8,
    /// Year within the century.
    pub year: u8,
    /// Century register (0x32), or 0 if absent.
    pub century: u8,
    /// Status register B (bit 2: binary, bit 1: 24-hour).
    pub status_b: u8,
}

fn bcd(value: u8) -> u8 {
    (value >> 4) * 10 + (value & 0xf)
}

/// Converts the registers to seconds since the Unix epoch, or `None` if they are nonsense.
pub fn to_unix(r: Registers) -> Option<u64> {
    let binary = r.status_b & 0x04 != 0;
    let decode = |v: u8| if binary { v } else { bcd(v) };
    let pm = r.hour & 0x80 != 0;
    let mut hour = decode(r.hour & 0x7f);
    if r.status_b & 0x02 == 0 {
        hour = (hour % 12) + if pm { 12 } else { 0 };
    }
    let (second, minute, day, month) = (
        decode(r.second),
        decode(r.minute),
        decode(r.day),
        decode(r.month),
    );
    let century = match decode(r.century) {
        19..=30 => u32::from(decode(r.century)),
        _ => 20,
    };
    let year = century * 100 + u32::from(decode(r.year));
    if second > 59
        || minute > 59
        || hour > 23
        || !(1..=31).contains(&day)
        || !(1..=12).contains(&month)
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), u32::from(month), u32::from(day));
    u64::try_from(
        days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second),
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 22), 20_779);
    }

    #[test]
    fn bcd_and_binary_registers() {
        // 2026-11-22 14:05:09, BCD, 24-hour.
        let r = Registers {
            second: 0x09,
            minute: 0x05,
            hour: 0x14,
            day: 0x22,
            month: 0x11,
            year: 0x26,
            century: 0x20,
            status_b: 0x02,
        };
        assert_eq!(to_unix(r), Some(20_779 * 86_400 + 14 * 3600 + 5 * 60 + 9));
        // The same in binary, 12-hour with PM.
        let b = Registers {
            second: 9,
            minute: 5,
            hour: 0x80 | 2,
            day: 22,
            month: 11,
            year: 26,
            century: 20,
            status_b: 0x04,
        };
        assert_eq!(to_unix(b), to_unix(r));
        // Garbage (no RTC: all 0xff) is refused.
        let garbage = Registers {
            second: 0xff,
            minute: 0xff,
            hour: 0xff,
            day: 0xff,
            month: 0xff,
            year: 0xff,
            century: 0xff,
            status_b: 0xff,
        };
        assert_eq!(to_unix(garbage), None);
    }
}
