//! The CMOS real-time clock's registers (ports 0x70/0x71): the PC's wallclock, in whole
//! seconds. The conversion is `crate::rtc`, tested on the host.

/// Reads the RTC (waiting out an update in progress, bounded) and converts it.
pub fn read_unix_time() -> Option<u64> {
    use xenolith_arch::port::{inb, outb};
    let read = |register: u8| {
        // SAFETY: CMOS index/data ports; bit 7 of the index keeps NMIs enabled as they were.
        unsafe {
            outb(0x70, register);
            inb(0x71)
        }
    };
    let snapshot = || {
        for _ in 0..100_000 {
            if read(0x0a) & 0x80 == 0 {
                break;
            }
        }
        crate::rtc::Registers {
            second: read(0x00),
            minute: read(0x02),
            hour: read(0x04),
            day: read(0x07),
            month: read(0x08),
            year: read(0x09),
            century: read(0x32),
            status_b: read(0x0b),
        }
    };
    // Two equal snapshots in a row cannot straddle an update.
    let mut last = snapshot();
    for _ in 0..10 {
        let next = snapshot();
        if next == last {
            return crate::rtc::to_unix(next);
        }
        last = next;
    }
    None
}
