//! The Xen platform inside the runtime: bring-up, console hand-over, shutdown, lifecycle.
//!
//! Called by the boot sequence when CPUID says Xen, after the heap exists. It brings up
//! `kernel/xen`'s [`Platform`] (hypercall page, `shared_info`, upcall vector, timer), takes the
//! TSC frequency from the pvclock, installs the shutdown hook (`SCHEDOP_shutdown`, so
//! `on_poweroff`/`on_crash` apply), maps the console and xenstore pages, and moves the console
//! from port 0xe9 to the PV console.

use crate::shutdown::{self, Reason};
use alloc::boxed::Box;
use alloc::string::String;
use spin::{Mutex, Once};
use xenolith_arch::paging::Access;
use xenolith_xen::abi::hvm::params;
use xenolith_xen::console::PvConsole;
use xenolith_xen::grant_table::GrantTable;
use xenolith_xen::platform::{Error, Platform, on_upcall};
use xenolith_xen::platform::{special_page, special_port};
use xenolith_xen::xenstore::{self, XenStore};
use xenolith_xen::{Errno, Gfn, Hypervisor, SharedMemory, ShutdownReason};

/// The IDT vector Xen injects for event-channel upcalls.
pub const UPCALL_VECTOR: u8 = 0x30;

/// Grant-table frames we map (512 v1 entries each): room for netfront's rings and buffers.
pub const GRANT_FRAMES: u32 = 4;

static PLATFORM: Once<Platform> = Once::new();
static GRANTS: Once<Mutex<GrantTable>> = Once::new();
static XENSTORE: Once<Mutex<XenStore<'static, Platform>>> = Once::new();

/// The xenstore client, when running on Xen.
pub fn xenstore() -> Option<&'static Mutex<XenStore<'static, Platform>>> {
    XENSTORE.get()
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

/// Our grant table, when running on Xen.
pub fn grant_table() -> Option<&'static Mutex<GrantTable>> {
    GRANTS.get()
}

/// Brings up Xen. Errors are fatal for the caller (the guest cannot work without them).
pub fn init(cpuid_base: u32) -> Result<&'static Platform, Error> {
    crate::interrupts::set_hook(UPCALL_VECTOR, |_| on_upcall());
    let page = crate::paging::leak_pages(1)
        .ok_or(Error::Hypercall("allocate shared_info page", Errno::ENOMEM))?;
    let platform = Platform::init(cpuid_base, UPCALL_VECTOR, page)?;
    let platform = PLATFORM.call_once(|| platform);
    crate::clock::set_tsc_frequency(platform.pvclock().tsc_frequency());
    shutdown::set_hook(xen_shutdown);
    crate::clock::set_source(|| PLATFORM.get().map_or(0, |p| p.now_ns()));
    let grants = map_grant_table()?;
    GRANTS.call_once(|| Mutex::new(grants));

    let console = special_memory(params::HVM_PARAM_CONSOLE_PFN)?;
    let port = special_port(params::HVM_PARAM_CONSOLE_EVTCHN)?;
    crate::console::set_device(
        Box::leak(Box::new(Console(PvConsole::new(platform, console, port)))),
        false,
    );

    let store = special_memory(params::HVM_PARAM_STORE_PFN)?;
    let port = special_port(params::HVM_PARAM_STORE_EVTCHN)?;
    XENSTORE.call_once(|| Mutex::new(XenStore::new(platform, store, port)));
    Ok(platform)
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

/// What the toolstack asked for through `control/shutdown` (`xl shutdown` or `halt`: power
/// off; `xl reboot`).
pub use crate::shutdown::Request as ShutdownRequest;

/// Whether a `control/shutdown` value asks for something we do, after acknowledging it.
fn handle_control(
    store: &mut XenStore<'static, Platform>,
) -> Result<Option<ShutdownRequest>, xenstore::Error> {
    let value = match store.read(CONTROL_SHUTDOWN) {
        Ok(value) => value,
        Err(e) if e.errno() == Some(Errno::ENOENT) => String::new(),
        Err(e) => return Err(e),
    };
    let request = match value.as_str() {
        "" => return Ok(None),
        "poweroff" | "halt" => ShutdownRequest::PowerOff,
        "reboot" => ShutdownRequest::Reboot,
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

const CONTROL_SHUTDOWN: &str = "control/shutdown";
const CONTROL_TOKEN: &str = "xenolith-control";
static WATCHING: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

fn ensure_watch(store: &mut XenStore<'static, Platform>) -> Result<(), xenstore::Error> {
    if !WATCHING.swap(true, core::sync::atomic::Ordering::Relaxed) {
        store.watch(CONTROL_SHUTDOWN, CONTROL_TOKEN)?;
    }
    Ok(())
}

/// Watch events read from xenstore but not yet taken by their owner (by token).
static WATCH_EVENTS: Mutex<alloc::vec::Vec<xenstore::WatchEvent>> =
    Mutex::new(alloc::vec::Vec::new());

/// Moves every watch event waiting in the xenstore ring into the per-owner queue. Called by the
/// idle loop after each wake-up; owners then [`take_watch`] their own.
pub fn poll_watches() -> Result<(), xenstore::Error> {
    let Some(store) = xenstore() else {
        return Ok(());
    };
    let mut store = store.lock();
    let mut queue = WATCH_EVENTS.lock();
    while let Some(event) = store.poll_watch()? {
        // A stuck owner must not make the queue grow without bound.
        if queue.len() < 256 {
            queue.push(event);
        }
    }
    Ok(())
}

/// The oldest queued watch event for `token`.
pub fn take_watch(token: &str) -> Option<xenstore::WatchEvent> {
    // `extract_if` stops at the first match and keeps the rest in order; unlike
    // `position` + `remove` it has no panic path (and its message) in the image.
    WATCH_EVENTS
        .lock()
        .extract_if(.., |e| e.token == token)
        .next()
}

/// Checks, without blocking, whether the toolstack asked to shut down (`xl shutdown`,
/// `xl reboot`). The first call registers the watch on `control/shutdown`.
pub fn poll_shutdown_request() -> Result<Option<ShutdownRequest>, xenstore::Error> {
    let Some(store) = xenstore() else {
        return Ok(None);
    };
    ensure_watch(&mut store.lock())?;
    poll_watches()?;
    while take_watch(CONTROL_TOKEN).is_some() {
        if let Some(request) = handle_control(&mut store.lock())? {
            return Ok(Some(request));
        }
    }
    Ok(None)
}
