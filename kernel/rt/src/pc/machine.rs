//! The PC as the guest's machine: its bring-up in the boot sequence, sleeping, the wallclock,
//! shutdown requests (the ACPI power button) and the NIC (virtio-net).
//!
//! Bring-up has two steps because the boot sequence needs some answers before the heap
//! exists: [`early`] (legacy PICs masked, TSC calibrated against the PIT, ACPI located — the
//! page that a memory-mapped sleep register lives on must be in the page tables) and
//! [`Pc::bring_up`] after the heap (local APIC timer, power button).

use super::{cmos, lapic, pit, power_button, virtio, wake};
use crate::acpi::{self, PowerButton};
use crate::boot::PhysicalMemory;
use crate::shutdown;
use alloc::boxed::Box;
use alloc::string::String;
use core::time::Duration;
use xenolith_device::NetDevice;

/// What the boot sequence learns before the heap exists.
#[derive(Clone, Copy, Debug)]
pub struct Early {
    /// A device page to map (a memory-mapped ACPI sleep register), if any.
    pub device_page: Option<u64>,
    power_button: Option<PowerButton>,
}

/// Masks the legacy PICs, calibrates the TSC and finds ACPI's power-off (installed for
/// `shutdown`) and power button. Warnings go to the console (the logger is not up yet).
// Out of line: inlined into `xenolith_start64` (its one caller) the image was 0.6 KB larger.
#[inline(never)]
pub fn early<M: PhysicalMemory>(memory: &M, rsdp: Option<u64>) -> Early {
    pit::mask_legacy_pics();
    match pit::calibrate_tsc() {
        Some(hz) => crate::clock::set_tsc_frequency(hz),
        None => crate::println!("warning: no PIT to calibrate the TSC; timestamps assume 1 GHz"),
    }
    let mut early = Early {
        device_page: None,
        power_button: None,
    };
    match acpi::find(memory, rsdp) {
        Ok(found) => {
            if let acpi::PowerOff::SleepControl {
                register: acpi::GenericAddress::Memory(address),
                ..
            } = found.power_off
            {
                early.device_page = Some(address & !(xenolith_arch::PAGE_SIZE - 1));
            }
            shutdown::set_acpi(found.power_off);
            early.power_button = found.power_button;
        }
        Err(e) => crate::println!("warning: {e}: the guest cannot power itself off"),
    }
    early
}

/// The PC, brought up.
#[derive(Debug)]
pub struct Pc {
    /// Whether the local APIC timer can end a halt (else sleeping polls).
    apic: bool,
}

impl Pc {
    /// Starts the local APIC timer and the power button. Failures are warnings: the guest
    /// still runs (sleeping then polls; the button is deaf).
    pub fn bring_up(early: Early) -> Pc {
        let apic = match lapic::init() {
            Ok(()) => true,
            Err(e) => {
                log::warn!("{e}: sleeping falls back to polling");
                false
            }
        };
        if let Some(button) = early.power_button {
            power_button::init(button);
        }
        Pc { apic }
    }

    /// Sleeps until an interrupt or until `deadline` (time since boot; `None`: no deadline).
    /// May return early. Interrupts are disabled while the wake flag is checked, so a wake-up
    /// cannot slip between the check and the halt (`sti; hlt` is atomic).
    pub fn idle(&self, deadline: Option<Duration>) {
        if !self.apic {
            // Nothing could end a halt: poll.
            core::hint::spin_loop();
            return;
        }
        xenolith_arch::cpu::disable_interrupts();
        if wake::take() {
            return;
        }
        let now = crate::clock::now();
        if let Some(deadline) = deadline {
            if deadline <= now {
                return;
            }
            lapic::arm_timer(deadline - now);
        } else {
            lapic::disarm_timer();
        }
        // SAFETY: the IDT is loaded and every vector that can fire has a hook; `sti; hlt` is
        // atomic.
        unsafe { xenolith_arch::cpu::enable_interrupts_and_halt() };
        xenolith_arch::cpu::disable_interrupts();
        wake::take();
    }

    /// The CMOS RTC as seconds since the Unix epoch.
    pub fn wallclock(&self) -> Option<Duration> {
        cmos::read_unix_time().map(Duration::from_secs)
    }

    /// Whether the ACPI power button was pressed since the last call.
    pub fn power_button_pressed(&self) -> bool {
        power_button::take_press()
    }

    /// Finds and starts the virtio-net device.
    pub fn open_nic(&self) -> Result<Box<dyn NetDevice>, String> {
        virtio::open_net()
    }
}
