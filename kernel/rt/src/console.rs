//! The console: where `println!` and the log go.
//!
//! Early on it is COM1 (QEMU) or I/O port 0xe9 (Xen, which prints it as `(dN) ...` in its log
//! when `guest_loglvl=all`). A platform driver can later install a better device (the Xen PV
//! console) with [`set_device`]. `\n` becomes `\r\n` for terminals.
//!
//! The console is a global because the `log` facade and the panic handler need one; it is only
//! ever touched with interrupts disabled or from the main loop (interrupt handlers never print).

use crate::pc::serial::{COM1, Serial};
use core::fmt;
use spin::Mutex;

/// A console output device installed by a platform driver.
pub trait ConsoleDevice: Send {
    /// Writes bytes; must not block forever.
    fn write(&mut self, bytes: &[u8]);
    /// Waits (bounded) until written bytes have left the guest, before a shutdown.
    fn flush(&mut self) {}
}

enum Sink {
    None,
    Serial(Serial),
    DebugPort,
    Device(&'static mut dyn ConsoleDevice),
}

/// Bytes of early output kept for replay on the device that takes over (so `xl console` shows
/// the whole boot, not just what came after the PV console was up).
const EARLY_KEEP: usize = 4096;

struct Console {
    sink: Sink,
    /// Also copy output to port 0xe9 (Xen's debug port) after a device takes over.
    mirror_debug_port: bool,
    early: heapless::Vec<u8, EARLY_KEEP>,
}

static CONSOLE: Mutex<Console> = Mutex::new(Console {
    sink: Sink::None,
    mirror_debug_port: false,
    early: heapless::Vec::new(),
});

fn debug_port_write(bytes: &[u8]) {
    for &b in bytes {
        // SAFETY: port 0xe9 is the hypervisor debug port; writing it has no other effect.
        unsafe { xenolith_arch::port::outb(0xe9, b) }
    }
}

impl Console {
    fn write_raw(&mut self, bytes: &[u8]) {
        if !matches!(self.sink, Sink::Device(_)) {
            let room = EARLY_KEEP - self.early.len();
            let _ = self
                .early
                .extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
        match &mut self.sink {
            Sink::None => {}
            Sink::Serial(serial) => serial.write(bytes),
            Sink::DebugPort => debug_port_write(bytes),
            Sink::Device(device) => device.write(bytes),
        }
        if self.mirror_debug_port {
            debug_port_write(bytes);
        }
    }
}

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (line, newline) = rest.split_at_checked(i).unwrap_or((rest, &[]));
            self.write_raw(line);
            self.write_raw(b"\r\n");
            rest = newline.get(1..).unwrap_or_default();
        }
        self.write_raw(rest);
        Ok(())
    }
}

/// Which early console to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Early {
    /// COM1, if present.
    Serial,
    /// I/O port 0xe9.
    DebugPort,
}

/// Sets up the early console. Returns `false` if the requested device is absent.
pub fn init_early(early: Early) -> bool {
    let mut console = CONSOLE.lock();
    console.sink = match early {
        Early::Serial => match Serial::probe(COM1) {
            Some(serial) => Sink::Serial(serial),
            None => return false,
        },
        Early::DebugPort => Sink::DebugPort,
    };
    true
}

/// Hands the console to `device` (e.g. the Xen PV console). With `mirror_debug_port`, output
/// also goes on to port 0xe9.
pub fn set_device(device: &'static mut dyn ConsoleDevice, mirror_debug_port: bool) {
    let mut console = CONSOLE.lock();
    let early = core::mem::take(&mut console.early);
    device.write(&early);
    console.sink = Sink::Device(device);
    console.mirror_debug_port = mirror_debug_port;
}

/// Writes formatted text to the console.
pub fn write_fmt(args: fmt::Arguments<'_>) {
    let enabled = xenolith_arch::cpu::interrupts_enabled();
    xenolith_arch::cpu::disable_interrupts();
    let _ = fmt::Write::write_fmt(&mut *CONSOLE.lock(), args);
    if enabled {
        // SAFETY: interrupts were enabled on entry, so the IDT is ready.
        unsafe { xenolith_arch::cpu::enable_interrupts() }
    }
}

/// Writes formatted text even if the console lock is held (by the code that just faulted).
/// Only for the fatal paths: panic and CPU exceptions, after which nothing else runs.
pub fn write_fmt_emergency(args: fmt::Arguments<'_>) {
    xenolith_arch::cpu::disable_interrupts();
    if CONSOLE.is_locked() {
        // SAFETY: we are on the fatal path with interrupts off on the only CPU; the holder of
        // the lock was interrupted by this fault and will never run again.
        unsafe { CONSOLE.force_unlock() }
    }
    let _ = fmt::Write::write_fmt(&mut *CONSOLE.lock(), args);
}

/// Flushes the console device before the guest ends.
pub fn flush() {
    if let Sink::Device(device) = &mut CONSOLE.lock().sink {
        device.flush();
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!($($arg)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::console::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
