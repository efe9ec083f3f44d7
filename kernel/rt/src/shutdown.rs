//! Ending the guest: power off on success, a failure status on error.
//!
//! How each platform shows the outcome (Xen's `SCHEDOP_shutdown`, QEMU's exit status) is
//! tabled once, with the failure codes and QEMU's statuses for them, in [`crate::exit`]. Here:
//! on Xen, the hook the Xen platform installs ([`set_hook`]) makes the hypercall; elsewhere,
//! power-off is ACPI S5 ([`set_acpi`]) and failure writes the code to QEMU's `isa-debug-exit`
//! device ([`DEBUG_EXIT_PORT`]).
//!
//! Without an exit device QEMU cannot report failure: the guest then says so and halts.

use crate::acpi::{GenericAddress, PowerOff};
use crate::once::Once;
use xenolith_arch::port::{outb, outl, outw};

pub use crate::exit::Failure;

/// What the machine's owner asked for: `xl shutdown` / `xl reboot` on Xen (`control/shutdown`),
/// the ACPI power button elsewhere (QEMU `system_powerdown`, `virsh shutdown`); see
/// `Machine::poll_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Power off.
    PowerOff,
    /// Reboot.
    Reboot,
}

/// Ends the guest as `request` asks. Does not return.
pub fn honour(request: Request) -> ! {
    match request {
        Request::PowerOff => power_off(),
        Request::Reboot => reboot(),
    }
}

/// How the guest ends, for a platform hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Clean power-off.
    PowerOff,
    /// Reboot requested.
    Reboot,
    /// Failure.
    Crash(Failure),
}

/// A platform's way to end the guest. Must not return.
pub type Hook = fn(Reason) -> !;

static HOOK: Once<Hook> = Once::new();
static AT_SHUTDOWN: spin::Mutex<heapless::Vec<fn(), 8>> = spin::Mutex::new(heapless::Vec::new());

/// Registers `report` to run when the guest powers off, reboots or fails (e.g. to print final
/// counters). At most eight; returns `false` when full.
pub fn at_shutdown(report: fn()) -> bool {
    AT_SHUTDOWN.lock().push(report).is_ok()
}

fn run_shutdown_reports() {
    // Taken out first so a report that panics cannot run the reports again.
    let reports = core::mem::take(&mut *AT_SHUTDOWN.lock());
    for report in reports {
        report();
    }
}
static ACPI: Once<PowerOff> = Once::new();

/// The I/O port of QEMU's `isa-debug-exit` device (`-device isa-debug-exit,iobase=0xf4,iosize=4`).
pub const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Installs the platform's shutdown hook (Xen).
pub fn set_hook(hook: Hook) {
    HOOK.call_once(|| hook);
}

/// Records how ACPI powers this machine off.
pub fn set_acpi(power_off: PowerOff) {
    ACPI.call_once(|| power_off);
}

/// Powers the guest off. Does not return.
pub fn power_off() -> ! {
    run_shutdown_reports();
    crate::console::flush();
    if let Some(hook) = HOOK.get() {
        hook(Reason::PowerOff);
    }
    if let Some(method) = ACPI.get() {
        acpi_power_off(*method);
    }
    crate::console::write_fmt_emergency(format_args!(
        "no way to power off this machine; halting\n"
    ));
    xenolith_arch::cpu::halt_forever()
}

/// Reboots the guest (Xen: `on_reboot` applies; elsewhere a keyboard-controller reset, which
/// ends QEMU when it runs with `-no-reboot`). Does not return.
pub fn reboot() -> ! {
    run_shutdown_reports();
    crate::console::flush();
    if let Some(hook) = HOOK.get() {
        hook(Reason::Reboot);
    }
    // SAFETY: 0xfe to the 8042 command port pulses the CPU reset line.
    unsafe { outb(0x64, 0xfe) }
    xenolith_arch::cpu::halt_forever()
}

/// Ends the guest as failed. Does not return.
pub fn fail(failure: Failure) -> ! {
    if !AT_SHUTDOWN.is_locked() {
        run_shutdown_reports();
    }
    crate::console::flush();
    if let Some(hook) = HOOK.get() {
        hook(Reason::Crash(failure));
    }
    // SAFETY: port 0xf4 is QEMU's isa-debug-exit when configured; elsewhere the write is
    // ignored, and we say so below.
    unsafe { outl(DEBUG_EXIT_PORT, failure as u32) }
    crate::console::write_fmt_emergency(format_args!(
        "guest failed (code {}); QEMU has no isa-debug-exit device to report it, halting\n",
        failure as u8
    ));
    xenolith_arch::cpu::halt_forever()
}

fn acpi_power_off(method: PowerOff) {
    match method {
        PowerOff::Pm1Control {
            pm1a,
            pm1b,
            sleep_type,
        } => {
            let value = (u16::from(sleep_type) << 10) | (1 << 13);
            // SAFETY: ports taken from the checksummed FADT; writing SLP_TYP|SLP_EN requests S5.
            unsafe {
                outw(pm1a, value);
                if let Some(port) = pm1b {
                    outw(port, value);
                }
            }
        }
        PowerOff::SleepControl {
            register,
            sleep_type,
        } => {
            let value = ((sleep_type & 7) << 2) | (1 << 5);
            match register {
                // SAFETY: register from the checksummed FADT; requests S5.
                GenericAddress::Io(port) => unsafe { outb(port, value) },
                // SAFETY: the boot sequence mapped this page as device memory (see `start`).
                GenericAddress::Memory(address) => unsafe {
                    (address as *mut u8).write_volatile(value)
                },
            }
        }
    }
    // The machine stops asynchronously; wait for it briefly.
    for _ in 0..10_000_000 {
        core::hint::spin_loop();
    }
}
