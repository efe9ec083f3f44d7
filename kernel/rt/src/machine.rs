//! The machine the guest runs on, chosen once at boot: Xen or a PC (QEMU, KVM, ...).
//!
//! The boot sequence detects the [`Kind`] from CPUID first thing (Xen's `XenVMMXenVMM` may sit
//! at any of 0x4000_0000 + n·0x100, after a Viridian block), brings the machine up once the
//! heap exists, and hands the one [`Machine`] down: to the app in [`Boot`](crate::Boot), to the
//! executor as its [`xenolith_device::Machine`]. This is the only place that asks which
//! machine it is; everything below is either Xen's (`xen/`) or the PC's (`pc/`).
//!
//! The machine is kept in one static, [`get`], for the free functions of `time` (the TLS
//! provider's clock) and nothing else; code that can be handed the machine is.

use crate::once::Once;
use crate::pc::machine::Pc;
use crate::shutdown::Request;
use crate::xen::domain::Xen;
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use xenolith_device::NetDevice;

/// Which machine this is, from CPUID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Xen, with its CPUID block at `base`.
    Xen {
        /// First leaf of Xen's CPUID block.
        base: u32,
    },
    /// Anything else (QEMU TCG, KVM, ...), with the hypervisor signature if one is advertised.
    Other {
        /// The signature at 0x4000_0000, if printable.
        signature: Option<[u8; 12]>,
    },
}

impl Kind {
    /// Detects the machine.
    pub fn detect() -> Kind {
        let hypervisor_bit = xenolith_arch::cpu::cpuid(1, 0).ecx & (1 << 31) != 0;
        for n in 0..16u32 {
            let base = 0x4000_0000 + n * 0x100;
            let (signature, max_leaf) = xenolith_arch::cpu::hypervisor_signature(base);
            if &signature == b"XenVMMXenVMM" && max_leaf >= base + 2 {
                return Kind::Xen { base };
            }
        }
        let (signature, _) = xenolith_arch::cpu::hypervisor_signature(0x4000_0000);
        let printable =
            signature.iter().all(|b| b.is_ascii_graphic() || *b == 0) && signature[0] != 0;
        Kind::Other {
            signature: (hypervisor_bit && printable).then_some(signature),
        }
    }

    /// Whether this is Xen.
    pub fn is_xen(&self) -> bool {
        matches!(self, Kind::Xen { .. })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Xen { base } => write!(f, "Xen (CPUID {base:#x}: XenVMMXenVMM)"),
            Kind::Other { signature } => {
                match signature {
                    Some(s) => {
                        // Trailing NULs trimmed on bytes (no `char` pattern search).
                        let end = s.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                        let text = s
                            .get(..end)
                            .and_then(|s| core::str::from_utf8(s).ok())
                            .unwrap_or("?");
                        write!(f, "not Xen (hypervisor \"{text}\")")?;
                    }
                    None => f.write_str("not Xen (no hypervisor signature)")?,
                }
                f.write_str(": serial console, ACPI power-off")
            }
        }
    }
}

/// The machine, brought up.
#[derive(Debug)]
pub struct Machine {
    kind: Kind,
    devices: Devices,
}

// One value for the life of the guest, in a static: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Devices {
    Xen(Xen),
    Pc(Pc),
}

static MACHINE: Once<&'static Machine> = Once::new();

/// The machine, once the boot sequence has brought it up.
pub fn get() -> Option<&'static Machine> {
    MACHINE.get().copied()
}

impl Machine {
    /// Keeps the brought-up machine for the life of the guest (called once, by the boot
    /// sequence).
    pub(crate) fn install_xen(kind: Kind, xen: Xen) -> &'static Machine {
        Self::install(Machine {
            kind,
            devices: Devices::Xen(xen),
        })
    }

    /// As [`install_xen`](Machine::install_xen), for the PC.
    pub(crate) fn install_pc(kind: Kind, pc: Pc) -> &'static Machine {
        Self::install(Machine {
            kind,
            devices: Devices::Pc(pc),
        })
    }

    fn install(machine: Machine) -> &'static Machine {
        // Leaked, not kept in the `Once` itself: it is never dropped, so no drop code for it.
        let machine: &'static Machine = Box::leak(Box::new(machine));
        MACHINE.call_once(|| machine)
    }

    /// Which machine this is.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What the monotonic clock is read from: `pvclock` on Xen, `TSC` elsewhere.
    pub fn clock_name(&self) -> &'static str {
        match self.devices {
            Devices::Xen(_) => "pvclock",
            Devices::Pc(_) => "TSC",
        }
    }

    /// The current UTC time as a duration since the Unix epoch, if the machine has a clock.
    pub fn wallclock(&self) -> Option<Duration> {
        match &self.devices {
            Devices::Xen(xen) => xen.wallclock(),
            Devices::Pc(pc) => pc.wallclock(),
        }
    }

    /// Sleeps until a device or timer event, or until `deadline` (time since boot). May
    /// return early; callers re-check their work.
    pub fn idle_until(&self, deadline: Option<Duration>) {
        match &self.devices {
            Devices::Xen(xen) => xen.idle(deadline),
            Devices::Pc(pc) => pc.idle(deadline),
        }
        report_skipped_halts();
    }

    /// Sleeps for `duration`.
    pub fn sleep(&self, duration: Duration) {
        let end = crate::clock::now() + duration;
        while crate::clock::now() < end {
            self.idle_until(Some(end));
        }
    }

    /// Checks, without blocking, whether the machine's owner asked the guest to shut down:
    /// `xl shutdown` / `xl reboot` on Xen (`control/shutdown`), the ACPI power button
    /// elsewhere (QEMU `system_powerdown`, `virsh shutdown`).
    pub fn poll_request(&self) -> Option<Request> {
        match &self.devices {
            Devices::Xen(xen) => xen.poll_shutdown_request().unwrap_or_else(|e| {
                log::warn!("xenstore: {e}");
                None
            }),
            Devices::Pc(pc) => pc.power_button_pressed().then(|| {
                log::info!("the ACPI power button was pressed: shutting down");
                Request::PowerOff
            }),
        }
    }

    /// Sleeps until the owner asks the guest to shut down, and returns what was asked.
    pub fn wait_for_request(&self) -> Request {
        loop {
            if let Some(request) = self.poll_request() {
                return request;
            }
            self.idle_until(None);
        }
    }

    /// Opens the machine's network interface: netfront on Xen, virtio-net elsewhere.
    pub fn open_nic(&'static self) -> Result<Box<dyn NetDevice>, crate::net::Error> {
        match &self.devices {
            Devices::Xen(xen) => crate::xen::net::open(xen)
                .map(|nic| Box::new(nic) as Box<dyn NetDevice>)
                .map_err(crate::net::Error::Netfront),
            Devices::Pc(pc) => pc.open_nic().map_err(crate::net::Error::Virtio),
        }
    }

    /// On Xen, this domain's id and name from xenstore.
    pub fn xen_domain(&self) -> Option<Result<(String, String), xenolith_xen::xenstore::Error>> {
        match &self.devices {
            Devices::Xen(xen) => Some(xen.domain()),
            Devices::Pc(_) => None,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

/// The executor's view: the clock, sleeping until an interrupt, event channel or deadline, and
/// randomness. Each wake-up also honours a shutdown request (the guest then powers off or
/// reboots, the app's shutdown reports first).
impl xenolith_device::Machine for Machine {
    fn now(&self) -> Duration {
        crate::clock::now()
    }

    fn idle(&self, deadline: Option<Duration>) {
        self.idle_until(deadline);
        if let Some(request) = self.poll_request() {
            crate::shutdown::honour(request);
        }
    }

    fn random_u64(&self) -> u64 {
        crate::random::u64()
    }
}

/// Says once that the hypervisor delivered an interrupt inside the STI shadow (the arch
/// interrupt path then resumes after the idle `hlt`; see
/// `xenolith_arch::cpu::interrupted_idle_halt`). Harmless, but worth knowing about a machine.
fn report_skipped_halts() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.load(Ordering::Relaxed) && xenolith_arch::cpu::skipped_halts() > 0 {
        REPORTED.store(true, Ordering::Relaxed);
        log::info!(
            "an interrupt arrived inside the STI shadow, before the halt began (this \
             hypervisor does not hold interrupts for it); resumed after the halt"
        );
    }
}
