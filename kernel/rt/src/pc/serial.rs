//! A 16550 UART (COM1 at 0x3f8) as the console when not on Xen.

use xenolith_arch::port::{inb, outb};

/// COM1's I/O base.
pub const COM1: u16 = 0x3f8;

/// A polled 16550 UART.
#[derive(Debug)]
pub struct Serial {
    base: u16,
}

impl Serial {
    /// Initialises the UART at `base` (115200 8N1, FIFOs on), or `None` if no UART answers
    /// there (the scratch register does not keep what is written).
    pub fn probe(base: u16) -> Option<Serial> {
        // SAFETY: these are the standard 16550 registers at `base`; on a machine without a
        // UART the writes go nowhere and the reads return 0xff, which the scratch test detects.
        unsafe {
            outb(base + 7, 0x5a);
            if inb(base + 7) != 0x5a {
                return None;
            }
            outb(base + 1, 0x00); // no interrupts
            outb(base + 3, 0x80); // DLAB on
            outb(base, 0x01); // divisor 1: 115200 baud
            outb(base + 1, 0x00);
            outb(base + 3, 0x03); // 8N1, DLAB off
            outb(base + 2, 0xc7); // FIFO on, cleared, 14-byte threshold
            outb(base + 4, 0x03); // DTR, RTS
        }
        Some(Serial { base })
    }

    /// Writes bytes, waiting for room in the transmitter (bounded, so a stuck UART cannot hang
    /// the guest).
    pub fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            for _ in 0..100_000 {
                // SAFETY: line status register of the UART probed in `probe`.
                if unsafe { inb(self.base + 5) } & 0x20 != 0 {
                    break;
                }
            }
            // SAFETY: transmit holding register of the UART probed in `probe`.
            unsafe { outb(self.base, byte) }
        }
    }
}
