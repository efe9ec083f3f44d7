//! The ACPI power button off Xen: how QEMU's `system_powerdown` (`virsh shutdown`, and
//! Ctrl-C in `./scripts/run`) asks the guest to shut down, as `control/shutdown` does on Xen.
//!
//! [`init`] turns ACPI mode on if the firmware left it off (`ACPI_ENABLE` to `SMI_CMD`, as
//! Linux does), clears and enables `PWRBTN` in the PM1 event registers, and routes the SCI
//! through the legacy 8259 PIC (remapped to vectors 0x20–0x2f by the boot sequence; QEMU's
//! local APIC passes it on through LINT0). The SCI hook clears the status bits it finds (so a
//! level-triggered line drops), records a press, and wakes the idle loop; [`take_press`] hands
//! the press to the main loop, which shuts down in order. An SCI that was not the button masks
//! the line (a source we do not serve would hold it asserted); [`take_press`] then reads the
//! status register itself on every wake-up.

use crate::acpi::PowerButton;
use crate::once::Once;
use core::sync::atomic::{AtomicBool, Ordering};
use xenolith_arch::port::{inb, inw, outb, outw};

/// `PWRBTN_STS` / `PWRBTN_EN`.
const PWRBTN: u16 = 1 << 8;
/// `SCI_EN` in PM1 control.
const SCI_EN: u16 = 1;
/// The vector of ISA interrupt 0 after the PIC remap.
const PIC_VECTOR_BASE: u8 = 0x20;

static BUTTON: Once<PowerButton> = Once::new();
static PRESSED: AtomicBool = AtomicBool::new(false);
/// Set when an SCI arrived that was not the button: the line is then masked (another event
/// source we do not serve would keep it asserted) and presses are found by polling.
static MASKED: AtomicBool = AtomicBool::new(false);

/// The PM1a and PM1b event blocks (PM1b may be absent: 0).
fn event_blocks(button: &PowerButton) -> [u16; 2] {
    [button.pm1a_event, button.pm1b_event.unwrap_or(0)]
}

/// Reads and clears `PWRBTN_STS` in the PM1a (and PM1b) status registers.
fn take_status(button: &PowerButton) -> bool {
    let mut pressed = false;
    for port in event_blocks(button) {
        // SAFETY: PM1 status registers from the checksummed FADT; reading has no side effect
        // and writing 1 clears only PWRBTN_STS (write-1-to-clear).
        if port != 0 && unsafe { inw(port) } & PWRBTN != 0 {
            // SAFETY: as above.
            unsafe { outw(port, PWRBTN) };
            pressed = true;
        }
    }
    pressed
}

fn sci_hook(vector: u8) {
    let Some(button) = BUTTON.get() else { return };
    if take_status(button) {
        PRESSED.store(true, Ordering::SeqCst);
    } else {
        MASKED.store(true, Ordering::SeqCst);
        set_masked(button.sci_irq, true);
    }
    crate::pc::wake::wake();
    // SAFETY: non-specific EOI to the PIC(s) that delivered this ISA interrupt.
    unsafe {
        if vector >= PIC_VECTOR_BASE + 8 {
            outb(0xa0, 0x20);
        }
        outb(0x20, 0x20);
    }
}

/// Masks or unmasks ISA interrupt `irq` (and the cascade for the second PIC).
fn set_masked(irq: u8, masked: bool) {
    let (port, bit) = if irq < 8 {
        (0x21, irq)
    } else {
        (0xa1, irq - 8)
    };
    // SAFETY: the PIC mask registers; only our bits change.
    unsafe {
        let mut mask = inb(port);
        if masked {
            mask |= 1 << bit;
        } else {
            mask &= !(1 << bit);
        }
        outb(port, mask);
        if irq >= 8 && !masked {
            let master = inb(0x21);
            outb(0x21, master & !(1 << 2));
        }
    }
}

/// Enables the power button and its interrupt. Logs and gives up (the guest still runs; only
/// the button is deaf) where the firmware does not cooperate.
pub fn init(button: PowerButton) {
    // SAFETY: PM1 control from the checksummed FADT; reading has no side effect.
    let acpi_mode = || unsafe { inw(button.pm1a_control) } & SCI_EN != 0;
    if !acpi_mode()
        && let Some((smi_cmd, value)) = button.acpi_enable
    {
        // SAFETY: SMI_CMD and ACPI_ENABLE from the FADT: the documented way to hand the
        // fixed events from the firmware to the OS (ACPI 6.4 §4.8.2.1.1).
        unsafe { outb(smi_cmd, value) };
        // Hypervisors switch at once; a firmware SMI handler may take a moment.
        for _ in 0..100_000 {
            if acpi_mode() {
                break;
            }
            core::hint::spin_loop();
        }
    }
    if !acpi_mode() {
        log::warn!("ACPI mode could not be turned on: the power button is not heard");
        return;
    }
    let button = BUTTON.call_once(|| button);
    take_status(button);
    for port in event_blocks(button) {
        if port != 0 {
            let enable = port + button.enable_offset;
            // SAFETY: PM1 enable registers from the FADT; only PWRBTN_EN is added.
            unsafe { outw(enable, inw(enable) | PWRBTN) };
        }
    }
    crate::interrupts::set_hook(PIC_VECTOR_BASE + button.sci_irq, sci_hook);
    set_masked(button.sci_irq, false);
}

/// Whether the power button was pressed since the last call.
pub fn take_press() -> bool {
    let polled = MASKED.load(Ordering::Relaxed) && BUTTON.get().is_some_and(take_status);
    PRESSED.swap(false, Ordering::SeqCst) || polled
}
