//! The Xen platform inside the runtime: bring-up, console hand-over, shutdown, lifecycle.
//!
//! Called by the boot sequence when CPUID says Xen, after the heap exists. It brings up
//! `kernel/xen`'s [`Platform`] (hypercall page, `shared_info`, upcall vector, timer), takes the
//! TSC frequency from the pvclock, installs the shutdown hook (`SCHEDOP_shutdown`, so
//! `on_poweroff`/`on_crash` apply), maps the console and xenstore pages, and moves the console
//! from port 0xe9 to the PV console.

use crate::shutdown::{self, Reason};
use spin::Once;
use xenolith_xen::Hypervisor;
use xenolith_xen::ShutdownReason;
use xenolith_xen::platform::{Platform, on_upcall};

/// The IDT vector Xen injects for event-channel upcalls.
pub const UPCALL_VECTOR: u8 = 0x30;

static PLATFORM: Once<Platform> = Once::new();

/// The Xen platform, when running on Xen.
pub fn platform() -> Option<&'static Platform> {
    PLATFORM.get()
}

fn xen_shutdown(reason: Reason) -> ! {
    let platform = PLATFORM
        .get()
        .expect("the hook is installed after the platform");
    platform.shutdown(match reason {
        Reason::PowerOff => ShutdownReason::PowerOff,
        Reason::Reboot => ShutdownReason::Reboot,
        Reason::Crash(_) => ShutdownReason::Crash,
    })
}

/// Brings up Xen. Errors are fatal for the caller (the guest cannot work without them).
pub fn init(cpuid_base: u32) -> Result<&'static Platform, xenolith_xen::platform::Error> {
    crate::interrupts::set_hook(UPCALL_VECTOR, |_| on_upcall());
    let page = crate::paging::leak_page().ok_or(xenolith_xen::platform::Error::Hypercall(
        "allocate shared_info page",
        xenolith_xen::Errno::ENOMEM,
    ))?;
    let platform = Platform::init(cpuid_base, UPCALL_VECTOR, page)?;
    let platform = PLATFORM.call_once(|| platform);
    crate::clock::set_tsc_frequency(platform.pvclock().tsc_frequency());
    shutdown::set_hook(xen_shutdown);
    Ok(platform)
}
