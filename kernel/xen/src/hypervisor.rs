//! The typed interface between Xen drivers and the hypervisor.
//!
//! Protocol code (xenstore, the console ring, grant tables, event demux, netfront) talks to Xen
//! only through [`Hypervisor`], so host tests drive it with a fake that plays the hypervisor and
//! the backend (rust-vmm `mock.rs` style). The real implementation over the hypercall page is
//! `crate::hypercall::Xen` (target only).

use crate::types::{DomId, EventChannelPort};
use core::fmt;

/// A Xen error: the negated errno a hypercall returned (`xen/include/public/errno.h`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// EPERM.
    pub const EPERM: Errno = Errno(1);
    /// ENOENT.
    pub const ENOENT: Errno = Errno(2);
    /// EINTR.
    pub const EINTR: Errno = Errno(4);
    /// EIO.
    pub const EIO: Errno = Errno(5);
    /// EAGAIN.
    pub const EAGAIN: Errno = Errno(11);
    /// ENOMEM.
    pub const ENOMEM: Errno = Errno(12);
    /// EACCES.
    pub const EACCES: Errno = Errno(13);
    /// EBUSY.
    pub const EBUSY: Errno = Errno(16);
    /// EEXIST.
    pub const EEXIST: Errno = Errno(17);
    /// EINVAL.
    pub const EINVAL: Errno = Errno(22);
    /// ENOSPC.
    pub const ENOSPC: Errno = Errno(28);
    /// EROFS.
    pub const EROFS: Errno = Errno(30);
    /// ENOSYS.
    pub const ENOSYS: Errno = Errno(38);
    /// ENOTEMPTY.
    pub const ENOTEMPTY: Errno = Errno(39);
    /// E2BIG.
    pub const E2BIG: Errno = Errno(7);
    /// EISCONN.
    pub const EISCONN: Errno = Errno(106);
    /// ETIMEDOUT (also used by our own waits).
    pub const ETIMEDOUT: Errno = Errno(110);

    /// The errno for a raw hypercall return value, or `Ok(value)` for a non-negative one.
    pub fn check(raw: i64) -> Result<u64, Errno> {
        if raw < 0 {
            Err(Errno(i32::try_from(-raw).unwrap_or(i32::MAX)))
        } else {
            Ok(raw as u64)
        }
    }

    /// The symbolic name, where known.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            4 => "EINTR",
            5 => "EIO",
            7 => "E2BIG",
            11 => "EAGAIN",
            12 => "ENOMEM",
            13 => "EACCES",
            16 => "EBUSY",
            17 => "EEXIST",
            22 => "EINVAL",
            28 => "ENOSPC",
            30 => "EROFS",
            38 => "ENOSYS",
            39 => "ENOTEMPTY",
            106 => "EISCONN",
            110 => "ETIMEDOUT",
            _ => "errno",
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (-{})", self.name(), self.0)
    }
}

/// Why the domain shuts down (`SHUTDOWN_*` in `sched.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownReason {
    /// `SHUTDOWN_poweroff`: `on_poweroff` applies.
    PowerOff,
    /// `SHUTDOWN_reboot`: `on_reboot` applies.
    Reboot,
    /// `SHUTDOWN_crash`: `on_crash` applies.
    Crash,
}

/// The hypervisor operations drivers need.
///
/// Every method is safe: the real implementation passes only pointers to its own locals, and
/// the memory the hypervisor or a backend shares with us is reached through
/// [`SharedMemory`](crate::shared::SharedMemory) only.
pub trait Hypervisor {
    /// `EVTCHNOP_send`: notify the other end of `port`.
    fn event_channel_send(&self, port: EventChannelPort) -> Result<(), Errno>;
    /// `EVTCHNOP_alloc_unbound`: a new port that domain `remote` may bind to.
    fn event_channel_alloc_unbound(&self, remote: DomId) -> Result<EventChannelPort, Errno>;
    /// `EVTCHNOP_bind_virq` on vCPU 0.
    fn event_channel_bind_virq(&self, virq: u32) -> Result<EventChannelPort, Errno>;
    /// `EVTCHNOP_unmask`: unmask `port` (the hypervisor re-raises it if it is pending).
    fn event_channel_unmask(&self, port: EventChannelPort) -> Result<(), Errno>;
    /// `EVTCHNOP_close`.
    fn event_channel_close(&self, port: EventChannelPort) -> Result<(), Errno>;
    /// `VCPUOP_set_singleshot_timer` on vCPU 0: fire `VIRQ_TIMER` at `deadline_ns` of Xen system
    /// time (in the past: fire at once).
    fn set_timer(&self, deadline_ns: u64) -> Result<(), Errno>;
    /// Xen system time in nanoseconds (the vCPU's pvclock).
    fn now_ns(&self) -> u64;
    /// Sleeps until an event channel fires or Xen system time reaches `deadline_ns`. May return
    /// early (callers re-check their condition), but never misses an event that fired after
    /// the caller last looked: the real implementation keeps a wake flag set by the upcall.
    fn wait(&self, deadline_ns: u64);
    /// `SCHEDOP_shutdown`.
    fn shutdown(&self, reason: ShutdownReason) -> !;
}
