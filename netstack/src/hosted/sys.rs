//! The system calls hosted mode needs and std does not offer: attaching a file to a TAP
//! interface (`TUNSETIFF`) and `poll(2)`. The only unsafe code in the crate.
//!
//! Linux: `Documentation/networking/tuntap.rst`, `poll(2)`.
#![allow(unsafe_code)]

use std::format;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

/// Attaches `fd` (an open `/dev/net/tun`) to the TAP interface `name`, creating it if needed,
/// with `IFF_TAP | IFF_NO_PI` (bare Ethernet frames). Returns the kernel's interface name.
pub(crate) fn attach_tap(fd: BorrowedFd<'_>, name: &str) -> io::Result<String> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{name:?} is not a valid interface name: 1 to {} bytes, no NUL",
                libc::IFNAMSIZ - 1
            ),
        ));
    }
    // SAFETY: `ifreq` is plain old data (a name array and a union of integers, addresses and
    // a pointer); all zeroes is a valid value of each.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (slot, &byte) in request.ifr_name.iter_mut().zip(bytes) {
        *slot = byte as libc::c_char;
    }
    request.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `request` is, and it lives
    // across the call; `fd` is an open descriptor borrowed for the call.
    let status = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &mut request) };
    if status < 0 {
        return Err(io::Error::last_os_error());
    }
    let name: Vec<u8> = request
        .ifr_name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Ok(String::from_utf8_lossy(&name).into_owned())
}

/// Waits until `fd` is readable or `timeout` passes (`None`: no timeout). Interrupted waits
/// return early, which the caller tolerates.
pub(crate) fn wait_readable(fd: BorrowedFd<'_>, timeout: Option<Duration>) -> io::Result<()> {
    let timeout_ms: libc::c_int = match timeout {
        None => -1,
        // Round up, so a sub-millisecond deadline does not spin on zero-timeout polls.
        Some(t) => libc::c_int::try_from(t.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX),
    };
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pollfd` is one valid `struct pollfd` that lives across the call, and the count
    // is 1; `fd` is an open descriptor borrowed for the call.
    let status = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
    if status < 0 {
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    Ok(())
}

/// Set by the SIGINT/SIGTERM handler that [`catch_stop_signals`] installs.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes SIGINT (Ctrl-C) and SIGTERM set a flag ([`stop_requested`]) instead of killing the
/// process, so that a hosted app ends in order, as the image does on a shutdown request.
/// Without `SA_RESTART`, a `poll(2)` under way returns at once.
pub(crate) fn catch_stop_signals() -> io::Result<()> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed `sigaction` is a valid empty one; the handler only stores to an
        // atomic (async-signal-safe); `sa_mask` is emptied by `sigemptyset` before use.
        let status = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if status != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether SIGINT or SIGTERM arrived since [`catch_stop_signals`].
pub(crate) fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}
