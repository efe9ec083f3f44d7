//! TSC calibration against the 8254 PIT (1.193182 MHz), and masking the legacy PICs.
//!
//! Channel 0 counts down in mode 2; we latch and read it until 5 ms of PIT ticks have passed
//! and divide the TSC delta. This needs neither port 0x61 nor interrupts, so it works on `pc`,
//! `q35` and `microvm`. A missing PIT (the counter never moves) is detected and reported.

use xenolith_arch::port::{inb, outb};

const PIT_HZ: u64 = 1_193_182;
const CALIBRATION_TICKS: u64 = PIT_HZ / 200; // 5 ms

fn read_counter() -> u16 {
    // SAFETY: PIT command port 0x43 (latch channel 0) and data port 0x40: standard PC ports.
    unsafe {
        outb(0x43, 0x00);
        let low = inb(0x40);
        let high = inb(0x40);
        u16::from_le_bytes([low, high])
    }
}

/// Measures the TSC frequency in Hz, or `None` if there is no working PIT.
pub fn calibrate_tsc() -> Option<u64> {
    // SAFETY: channel 0, lobyte/hibyte, mode 2, binary; reload 0 = 65536. The PIC is masked
    // (see `mask_legacy_pics`) so the channel's IRQ 0 goes nowhere.
    unsafe {
        outb(0x43, 0x34);
        outb(0x40, 0);
        outb(0x40, 0);
    }
    let mut last = read_counter();
    let start_tsc = xenolith_arch::cpu::rdtsc();
    let mut elapsed = 0u64;
    let mut unchanged = 0u32;
    while elapsed < CALIBRATION_TICKS {
        let now = read_counter();
        if now == last {
            unchanged += 1;
            if unchanged > 1_000_000 {
                return None;
            }
            continue;
        }
        unchanged = 0;
        // Counting down, wrapping at 65536.
        elapsed += u64::from(last.wrapping_sub(now));
        last = now;
    }
    let tsc = xenolith_arch::cpu::rdtsc().wrapping_sub(start_tsc);
    Some(tsc * PIT_HZ / elapsed)
}

/// Remaps the two 8259 PICs to vectors 0x20–0x2f (so a spurious IRQ cannot look like a CPU
/// exception) and masks every line.
pub fn mask_legacy_pics() {
    // SAFETY: the standard 8259 initialisation sequence on ports 0x20/0x21 and 0xa0/0xa1.
    unsafe {
        outb(0x20, 0x11);
        outb(0xa0, 0x11);
        outb(0x21, 0x20);
        outb(0xa1, 0x28);
        outb(0x21, 0x04);
        outb(0xa1, 0x02);
        outb(0x21, 0x01);
        outb(0xa1, 0x01);
        outb(0x21, 0xff);
        outb(0xa1, 0xff);
    }
}
