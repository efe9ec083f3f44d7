//! Bringing up the Xen PVH platform, and the real [`Hypervisor`].
//!
//! [`Platform::init`] installs the hypercall page, checks the features we rely on, maps
//! `shared_info` (`XENMEM_add_to_physmap`, `XENMAPSPACE_shared_info`), routes event upcalls to
//! an IDT vector (`HVM_PARAM_CALLBACK_IRQ`, vector type) and binds `VIRQ_TIMER`.
//!
//! Waiting without losing a wake-up: the upcall handler ([`on_upcall`]) clears
//! `evtchn_upcall_pending` (else Xen re-injects the vector at once) and sets [`WAKE`]; nothing
//! else. [`Platform::wait`] disables interrupts, consumes `WAKE`, and only if it was clear and
//! no event is flagged in `shared_info` arms the one-shot timer and executes `sti; hlt` —
//! atomic on x86, so an upcall that arrives after the check still ends the halt. (Should a
//! hypervisor inject the upcall inside the STI shadow, before the `hlt` began, the arch
//! interrupt path resumes after the `hlt` rather than on it: see
//! `xenolith_arch::cpu::interrupted_idle_halt`. Xen nested in QEMU's emulated SVM does this;
//! resuming on the `hlt` left the vCPU asleep with the upcall flag clear and the selector set,
//! deaf to every later event.) On HVM/PVH a `hlt` with interrupts enabled is how a vCPU
//! blocks: Xen's `hvm_hlt` runs `SCHEDOP_block` for it. (Calling `SCHEDOP_block` directly is
//! racy here: Xen only counts an event as deliverable when the guest's IF is set, so blocking
//! with interrupts disabled can sleep through a pending event, and blocking with them enabled
//! reopens the window the check closed.) Event ports are demultiplexed after waking, in the
//! loop, never in the handler.
#![allow(unsafe_code)]

use crate::abi::{hvm::params, memory, version, xen};
use crate::events::{EventChannels, FiredPorts};
use crate::hypercall;
use crate::hypervisor::{Errno, Hypervisor, ShutdownReason};
use crate::shared::SharedMemory;
use crate::time::{self, PvClock, WallClock};
use crate::types::{DomId, EventChannelPort, Gfn};
use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Set by the upcall handler, consumed by [`Platform::wait`].
pub static WAKE: AtomicBool = AtomicBool::new(false);
static SHARED_INFO: AtomicU64 = AtomicU64::new(0);

/// Why the platform could not be brought up.
#[derive(Clone, Copy, Debug)]
pub enum Error {
    /// CPUID reports no hypercall page.
    NoHypercallPage,
    /// Xen lacks a feature we need.
    MissingFeature(&'static str),
    /// A hypercall failed.
    Hypercall(&'static str, Errno),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoHypercallPage => write!(f, "Xen's CPUID leaf reports no hypercall pages"),
            Error::MissingFeature(name) => {
                write!(f, "this Xen lacks {}, which Xenolith needs", *name)
            }
            Error::Hypercall(what, errno) => write!(f, "{} failed: {}", *what, *errno),
        }
    }
}

/// The upcall interrupt handler: clears `evtchn_upcall_pending` and wakes the loop.
pub fn on_upcall() {
    let address = SHARED_INFO.load(Ordering::Relaxed);
    if address != 0 {
        // SAFETY: SHARED_INFO only ever holds the address of the mapped shared_info page.
        let shared = unsafe { SharedMemory::new(address, SharedMemory::PAGE) };
        shared.store_u8(
            core::mem::offset_of!(xen::vcpu_info, evtchn_upcall_pending),
            0,
            Ordering::SeqCst,
        );
    }
    WAKE.store(true, Ordering::SeqCst);
}

/// The running Xen platform.
#[derive(Debug)]
pub struct Platform {
    shared_info: SharedMemory,
    events: EventChannels,
    timer_port: EventChannelPort,
    fired: spin::Mutex<FiredPorts>,
    /// Xen's (major, minor) version.
    pub version: (u16, u16),
}

impl Platform {
    /// Brings up the platform. `cpuid_base` is Xen's CPUID block, `upcall_vector` an IDT
    /// vector whose handler calls [`on_upcall`], and `shared_info_page` a page-aligned,
    /// identity-mapped, read-write page the caller gives up for good (Xen replaces it).
    pub fn init(
        cpuid_base: u32,
        upcall_vector: u8,
        shared_info_page: u64,
    ) -> Result<Platform, Error> {
        let leaf = xenolith_arch::cpu::cpuid(cpuid_base + 2, 0);
        if leaf.eax == 0 {
            return Err(Error::NoHypercallPage);
        }
        // SAFETY: on Xen (the caller detected it), with the MSR from CPUID base+2.
        unsafe { xenolith_arch::hypercall::install_page(leaf.ebx) };
        let version = hypercall::version();
        let features =
            hypercall::features().map_err(|e| Error::Hypercall("XENVER_get_features", e))?;
        if features & (1 << version::XENFEAT_hvm_callback_vector) == 0 {
            return Err(Error::MissingFeature("XENFEAT_hvm_callback_vector"));
        }
        let gfn = Gfn::from_address(shared_info_page)
            .ok_or(Error::Hypercall("shared_info page", Errno::EINVAL))?;
        hypercall::add_to_physmap(memory::XENMAPSPACE_shared_info, 0, gfn)
            .map_err(|e| Error::Hypercall("XENMEM_add_to_physmap(shared_info)", e))?;
        // SAFETY: Xen now backs this page with shared_info; the caller gave it up and it stays
        // mapped read-write for the life of the kernel.
        let shared_info = unsafe { SharedMemory::new(shared_info_page, SharedMemory::PAGE) };
        SHARED_INFO.store(shared_info_page, Ordering::Relaxed);

        hypercall::hvm_set_param(
            params::HVM_PARAM_CALLBACK_IRQ,
            params::hvm_callback_vector(upcall_vector),
        )
        .map_err(|e| Error::Hypercall("HVM_PARAM_CALLBACK_IRQ", e))?;
        let _ = hypercall::stop_periodic_timer();
        let timer_port = hypercall::event_channel_bind_virq(xen::VIRQ_TIMER)
            .map_err(|e| Error::Hypercall("bind VIRQ_TIMER", e))?;
        hypercall::event_channel_unmask(timer_port)
            .map_err(|e| Error::Hypercall("unmask VIRQ_TIMER", e))?;
        let events = EventChannels::new(shared_info)
            .map_err(|_| Error::Hypercall("shared_info", Errno::EINVAL))?;
        Ok(Platform {
            shared_info,
            events,
            timer_port,
            fired: spin::Mutex::new(FiredPorts::new()),
            version,
        })
    }

    /// The current pvclock record.
    pub fn pvclock(&self) -> PvClock {
        time::read_pvclock(&self.shared_info)
    }

    /// The wallclock (UTC at system time 0).
    pub fn wallclock(&self) -> WallClock {
        time::read_wallclock(&self.shared_info)
    }

    /// Whether `port` fired since it was last taken (ports are collected after each wait).
    pub fn take_event(&self, port: EventChannelPort) -> bool {
        self.fired.lock().take(port)
    }

    fn collect_events(&self) {
        let mut fired = self.fired.lock();
        self.events.demux(&mut fired);
        // The timer only ends waits; nobody takes it.
        fired.take(self.timer_port);
    }
}

impl Hypervisor for Platform {
    fn event_channel_send(&self, port: EventChannelPort) -> Result<(), Errno> {
        hypercall::event_channel_send(port)
    }
    fn event_channel_alloc_unbound(&self, remote: DomId) -> Result<EventChannelPort, Errno> {
        hypercall::event_channel_alloc_unbound(remote)
    }
    fn event_channel_bind_virq(&self, virq: u32) -> Result<EventChannelPort, Errno> {
        hypercall::event_channel_bind_virq(virq)
    }
    fn event_channel_unmask(&self, port: EventChannelPort) -> Result<(), Errno> {
        hypercall::event_channel_unmask(port)
    }
    fn event_channel_close(&self, port: EventChannelPort) -> Result<(), Errno> {
        hypercall::event_channel_close(port)
    }
    fn set_timer(&self, deadline_ns: u64) -> Result<(), Errno> {
        hypercall::set_singleshot_timer(deadline_ns)
    }
    fn now_ns(&self) -> u64 {
        self.pvclock().system_time_at(xenolith_arch::cpu::rdtsc())
    }
    fn wait(&self, deadline_ns: u64) {
        // Xen's timer takes a signed system time: a larger value would read as "in the past".
        let deadline_ns = deadline_ns.min(i64::MAX as u64);
        xenolith_arch::cpu::disable_interrupts();
        // Events that came in while the loop ran (interrupts off) are collected, not slept on.
        if !WAKE.swap(false, Ordering::SeqCst)
            && !self.events.work_waiting()
            && self.now_ns() < deadline_ns
            && self.set_timer(deadline_ns).is_ok()
        {
            // SAFETY: the IDT is loaded and the upcall vector has a handler (rt sets both up
            // before the platform). `sti; hlt` is atomic: a wake-up cannot slip in between.
            unsafe { xenolith_arch::cpu::enable_interrupts_and_halt() };
            xenolith_arch::cpu::disable_interrupts();
            WAKE.store(false, Ordering::SeqCst);
        }
        self.collect_events();
    }
    fn shutdown(&self, reason: ShutdownReason) -> ! {
        let _ = hypercall::shutdown(reason);
        // Xen does not return from a successful shutdown; if it did, stop here.
        xenolith_arch::cpu::halt_forever()
    }
}

/// Maps Xen's special page `HVM_PARAM_<index>` (xenstore or console ring): its frame number.
pub fn special_page(index: u32) -> Result<Gfn, Error> {
    let pfn =
        hypercall::hvm_get_param(index).map_err(|e| Error::Hypercall("HVMOP_get_param", e))?;
    if pfn == 0 {
        return Err(Error::Hypercall("HVMOP_get_param: no page", Errno::ENOENT));
    }
    Ok(Gfn(pfn))
}

/// The event channel in `HVM_PARAM_<index>` (xenstore or console).
pub fn special_port(index: u32) -> Result<EventChannelPort, Error> {
    let port =
        hypercall::hvm_get_param(index).map_err(|e| Error::Hypercall("HVMOP_get_param", e))?;
    EventChannelPort::new(port).ok_or(Error::Hypercall("HVMOP_get_param: bad port", Errno::EINVAL))
}
