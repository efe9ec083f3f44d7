//! Xen as the guest's machine: bring-up, console hand-over, sleeping, the wallclock,
//! `control/shutdown`, and xenstore watch events routed to their owners.
//!
//! [`Xen::bring_up`] runs in the boot sequence when CPUID says Xen, after the heap exists. It
//! brings up `kernel/xen`'s [`Platform`] (hypercall page, `shared_info`, upcall vector, timer),
//! takes the TSC frequency from the pvclock, installs the shutdown hook (`SCHEDOP_shutdown`, so
//! `on_poweroff`/`on_crash` apply), maps the grant table and the console and xenstore pages, and
//! moves the console from port 0xe9 to the PV console.
//!
//! The platform itself lives in one private static, for the two paths that cannot be handed
//! anything: the shutdown hook (panics and faults end through it) and the log's clock source.
//! Everything else reaches Xen through the [`Xen`] value the boot sequence hands down.

use crate::once::Once;
use crate::shutdown::{self, Reason, Request};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use spin::Mutex;
use xenolith_arch::paging::Access;
use xenolith_xen::abi::hvm::params;
use xenolith_xen::console::PvConsole;
use xenolith_xen::grant_table::GrantTable;
use xenolith_xen::platform::{Error, Platform, on_upcall};
use xenolith_xen::platform::{special_page, special_port};
use xenolith_xen::xenstore::{self, WatchEvent, XenStore};
use xenolith_xen::{Errno, Gfn, Hypervisor, SharedMemory, ShutdownReason};

/// The IDT vector Xen injects for event-channel upcalls.
pub const UPCALL_VECTOR: u8 = 0x30;

/// Grant-table frames we map (512 v1 entries each): room for netfront's rings and buffers.
pub const GRANT_FRAMES: u32 = 4;

const CONTROL_SHUTDOWN: &str = "control/shutdown";
const CONTROL_TOKEN: &str = "xenolith-control";

/// Watch events waiting for an owner that does not take them are capped at this many.
const MAX_QUEUED_WATCH_EVENTS: usize = 256;

/// For the shutdown hook and the clock source only (see the module docs).
static PLATFORM: Once<Platform> = Once::new();

/// Xen, brought up.
pub struct Xen {
    platform: &'static Platform,
    grants: Mutex<GrantTable>,
    store: Mutex<XenStore<'static, Platform>>,
    /// Watch events read from xenstore but not yet taken by their owner (by token).
    watch_events: Mutex<Vec<WatchEvent>>,
    /// Whether the watch on `control/shutdown` is registered.
    watching: AtomicBool,
}

impl core::fmt::Debug for Xen {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Xen").finish_non_exhaustive()
    }
}

/// The PV console as the runtime's console device.
struct Console(PvConsole<'static, Platform>);

impl crate::console::ConsoleDevice for Console {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }
    fn flush(&mut self) {
        self.0.flush(1_000_000_000);
    }
}

/// Maps one of Xen's special pages (xenstore, console) read-write and wraps it.
fn special_memory(pfn_param: u32) -> Result<SharedMemory, Error> {
    let gfn = special_page(pfn_param)?;
    crate::paging::map(gfn.address(), SharedMemory::PAGE as u64, Access::ReadWrite)
        .map_err(|_| Error::Hypercall("map a special page", Errno::ENOMEM))?;
    // SAFETY: Xen's console/xenstore page, just identity-mapped read-write; shared with the
    // backend for the life of the guest and reached only through this wrapper.
    Ok(unsafe { SharedMemory::new(gfn.address(), SharedMemory::PAGE) })
}

fn end(reason: Reason) -> ! {
    let platform = PLATFORM
        .get()
        .expect("the hook is installed after the platform");
    platform.shutdown(match reason {
        Reason::PowerOff => ShutdownReason::PowerOff,
        Reason::Reboot => ShutdownReason::Reboot,
        Reason::Crash(_) => ShutdownReason::Crash,
    })
}

fn clock_ns() -> u64 {
    PLATFORM.get().map_or(0, |p| p.now_ns())
}

impl Xen {
    /// Brings up Xen. Errors are fatal for the caller (the guest cannot work without them).
    pub fn bring_up(cpuid_base: u32) -> Result<Xen, Error> {
        crate::interrupts::set_hook(UPCALL_VECTOR, |_| on_upcall());
        let page = crate::paging::leak_pages(1)
            .ok_or(Error::Hypercall("allocate shared_info page", Errno::ENOMEM))?;
        let platform = Platform::init(cpuid_base, UPCALL_VECTOR, page)?;
        let platform = PLATFORM.call_once(|| platform);
        crate::clock::set_tsc_frequency(platform.pvclock().tsc_frequency());
        shutdown::set_hook(end);
        crate::clock::set_source(clock_ns);
        let grants = map_grant_table()?;

        let console = special_memory(params::HVM_PARAM_CONSOLE_PFN)?;
        let port = special_port(params::HVM_PARAM_CONSOLE_EVTCHN)?;
        crate::console::set_device(
            Box::leak(Box::new(Console(PvConsole::new(platform, console, port)))),
            false,
        );

        let store = special_memory(params::HVM_PARAM_STORE_PFN)?;
        let port = special_port(params::HVM_PARAM_STORE_EVTCHN)?;
        Ok(Xen {
            platform,
            grants: Mutex::new(grants),
            store: Mutex::new(XenStore::new(platform, store, port)),
            watch_events: Mutex::new(Vec::new()),
            watching: AtomicBool::new(false),
        })
    }

    /// `kernel/xen`'s platform: hypercalls, event channels, the timer.
    pub fn platform(&self) -> &'static Platform {
        self.platform
    }

    /// The grant table.
    pub fn grants(&self) -> &Mutex<GrantTable> {
        &self.grants
    }

    /// The xenstore client.
    pub fn store(&self) -> &Mutex<XenStore<'static, Platform>> {
        &self.store
    }

    /// Xen's version, as (major, minor).
    pub fn version(&self) -> (u16, u16) {
        (self.platform.version.0, self.platform.version.1)
    }

    /// Blocks the vCPU until an event channel fires or `deadline` (time since boot) passes.
    pub fn idle(&self, deadline: Option<Duration>) {
        let now_xen = self.platform.now_ns();
        let deadline_xen = match deadline {
            Some(deadline) => {
                let wait = deadline.saturating_sub(crate::clock::now());
                now_xen.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX))
            }
            None => u64::MAX,
        };
        self.platform.wait(deadline_xen);
    }

    /// The wallclock from `shared_info`, as time since the Unix epoch.
    pub fn wallclock(&self) -> Option<Duration> {
        let nanos = self.platform.wallclock().at(self.platform.now_ns());
        Some(Duration::from_nanos(u64::try_from(nanos).ok()?))
    }

    /// Moves every watch event waiting in the xenstore ring into the per-owner queue. Called
    /// after each wake-up; owners then [`take_watch`](Xen::take_watch) their own.
    pub fn poll_watches(&self) -> Result<(), xenstore::Error> {
        let mut store = self.store.lock();
        let mut queue = self.watch_events.lock();
        while let Some(event) = store.poll_watch()? {
            // A stuck owner must not make the queue grow without bound.
            if queue.len() < MAX_QUEUED_WATCH_EVENTS {
                queue.push(event);
            }
        }
        Ok(())
    }

    /// The oldest queued watch event for `token`.
    pub fn take_watch(&self, token: &str) -> Option<WatchEvent> {
        // `extract_if` stops at the first match and keeps the rest in order; unlike
        // `position` + `remove` it has no panic path (and its message) in the image.
        self.watch_events
            .lock()
            .extract_if(.., |e| e.token == token)
            .next()
    }

    /// Checks, without blocking, whether the toolstack asked to shut down (`xl shutdown`,
    /// `xl reboot`). The first call registers the watch on `control/shutdown`.
    pub fn poll_shutdown_request(&self) -> Result<Option<Request>, xenstore::Error> {
        if !self.watching.swap(true, Ordering::Relaxed) {
            self.store.lock().watch(CONTROL_SHUTDOWN, CONTROL_TOKEN)?;
        }
        self.poll_watches()?;
        while self.take_watch(CONTROL_TOKEN).is_some() {
            if let Some(request) = handle_control(&mut self.store.lock())? {
                return Ok(Some(request));
            }
        }
        Ok(None)
    }

    /// This domain's id and name, from xenstore.
    pub fn domain(&self) -> Result<(String, String), xenstore::Error> {
        let mut store = self.store.lock();
        Ok((store.read("domid")?, store.read("name")?))
    }
}

/// Maps [`GRANT_FRAMES`] grant-table frames (`XENMAPSPACE_grant_table`) onto pages of ours.
fn map_grant_table() -> Result<GrantTable, Error> {
    let (_, max_frames) = xenolith_xen::hypercall::grant_table_query_size()
        .map_err(|e| Error::Hypercall("GNTTABOP_query_size", e))?;
    let frames = GRANT_FRAMES.min(max_frames);
    if frames < 2 {
        return Err(Error::MissingFeature(
            "at least 2 grant-table frames (max_grant_frames)",
        ));
    }
    let base = crate::paging::leak_pages(frames as usize).ok_or(Error::Hypercall(
        "allocate grant-table frames",
        Errno::ENOMEM,
    ))?;
    for i in 0..u64::from(frames) {
        let gfn = Gfn((base >> 12) + i);
        xenolith_xen::hypercall::add_to_physmap(
            xenolith_xen::abi::memory::XENMAPSPACE_grant_table,
            i,
            gfn,
        )
        .map_err(|e| Error::Hypercall("XENMEM_add_to_physmap(grant_table)", e))?;
    }
    // SAFETY: Xen now backs these frames with our grant table; the pages were leaked to it and
    // stay mapped read-write for the life of the kernel.
    let memory = unsafe { SharedMemory::new(base, frames as usize * SharedMemory::PAGE) };
    GrantTable::new(memory, frames).map_err(|_| Error::Hypercall("grant table", Errno::EINVAL))
}

/// Whether a `control/shutdown` value asks for something we do, after acknowledging it.
fn handle_control(
    store: &mut XenStore<'static, Platform>,
) -> Result<Option<Request>, xenstore::Error> {
    let value = match store.read(CONTROL_SHUTDOWN) {
        Ok(value) => value,
        Err(e) if e.errno() == Some(Errno::ENOENT) => String::new(),
        Err(e) => return Err(e),
    };
    let request = match value.as_str() {
        "" => return Ok(None),
        "poweroff" | "halt" => Request::PowerOff,
        "reboot" => Request::Reboot,
        other => {
            log::warn!(
                "control/shutdown = \"{other}\" is not supported (only poweroff, halt, reboot); ignored"
            );
            return Ok(None);
        }
    };
    // Acknowledge by clearing the key, as the toolstack expects.
    store.write(CONTROL_SHUTDOWN, "")?;
    log::info!("the toolstack asked for {value} through control/shutdown");
    Ok(Some(request))
}
