//! The app runtime: one start for every network app, the same in the image and in the Linux
//! process (DESIGN.md "Layers": apps → app runtime → tls → netstack).
//!
//! An app's `main` does its own part — read its settings and data, build its server — and
//! hands the runtime a [`Network`] and a [`Service`]; [`serve`] does the rest: the stack with
//! the app's socket buffers, the executor, the counters (a line every minute, and one at
//! shutdown) and the exit. Only where the [`Network`] comes from differs:
//!
//! - the image: `image::network` — `ip=`/`gw=` from the command line, the NIC the machine
//!   opens (netfront or virtio-net), the machine as the executor's;
//! - the Linux process: `hosted::network` — `--ip`/`--gw`/`--dhcp` and `--tap`, the TAP
//!   device, the host machine; SIGINT and SIGTERM end it in order, as a shutdown request ends
//!   the image (counters at shutdown, status 0).
//!
//! [`modules`] picks boot modules (or the files a hosted app was given) by their magic.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod limit;
pub mod modules;

#[cfg(feature = "std")]
pub mod hosted;
#[cfg(target_os = "none")]
pub mod image;

use alloc::boxed::Box;
use core::fmt;
use core::future::Future;
use core::time::Duration;
use xenolith_device::{Machine, NetDevice};
use xenolith_netstack::{Config, Executor, SocketBuffers, Spawner, Stack};

/// How often the counters are printed.
pub const REPORT_EVERY: Duration = Duration::from_secs(60);

/// The network an app serves on: the NIC, its configuration and the machine that runs the
/// executor.
pub struct Network {
    device: Box<dyn NetDevice>,
    config: Config,
    machine: &'static dyn Machine,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What the runtime does around an app's server.
#[derive(Debug, Default)]
pub struct Service {
    /// The stack's socket buffers (the DNS server wants deep UDP queues).
    pub buffers: SocketBuffers,
    /// Prints the app's counters as one or more log lines, `when` saying which ("last minute
    /// and before", "at shutdown"): called every [`REPORT_EVERY`] and when the app is shut
    /// down.
    pub counters: Option<fn(when: &str)>,
}

/// Why the runtime could not serve.
#[derive(Debug)]
pub enum Error {
    /// A bad network setting (`ip=`/`gw=` on the image's command line).
    Config(xenolith_netstack::Error),
    /// A bad network option (`--ip`/`--gw` of the Linux process).
    #[cfg(not(target_os = "none"))]
    Options(alloc::string::String),
    /// No network device (the machine's, or the TAP interface).
    #[cfg(target_os = "none")]
    Device(xenolith_rt::net::Error),
    /// No network device (the machine's, or the TAP interface).
    #[cfg(not(target_os = "none"))]
    Device(alloc::string::String),
    /// The stack or the server failed.
    Net(xenolith_netstack::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) | Error::Net(e) => fmt::Display::fmt(e, f),
            #[cfg(not(target_os = "none"))]
            Error::Options(e) => fmt::Display::fmt(e, f),
            Error::Device(e) => write!(f, "no network device: {}", *e),
        }
    }
}

/// An app's error with the app's name in front, as the console shows it: `dns: ...`.
#[derive(Debug)]
pub struct Named<E>(pub &'static str, pub E);

impl<E: fmt::Display> fmt::Display for Named<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0, self.1)
    }
}

/// The runtime, for [`image_main!`].
#[cfg(target_os = "none")]
#[doc(hidden)]
pub use xenolith_rt as __rt;
#[cfg(target_os = "none")]
pub use xenolith_rt::Boot;

/// Declares the image's main: `fn(&'static Boot) -> Result<(), E>` with `E: Display`; its
/// error reaches the console as `NAME: error` and the guest ends as failed.
///
/// ```ignore
/// xenolith_app::image_main!("echo", kernel::main);
/// ```
#[macro_export]
macro_rules! image_main {
    ($name:literal, $main:path) => {
        fn __xenolith_app_named(
            boot: &'static $crate::Boot,
        ) -> ::core::result::Result<(), $crate::Named<impl ::core::fmt::Display>> {
            $main(boot).map_err(|error| $crate::Named($name, error))
        }
        $crate::__rt::entry!(__xenolith_app_named);
    };
}

/// Serves on `network`: builds the stack and the executor, starts the counters, and runs the
/// future `server` makes of them until it fails (a server that returns `Ok` ends the app).
pub fn serve<F, Fut>(network: Network, service: Service, server: F) -> Result<(), Error>
where
    F: FnOnce(Stack, Spawner) -> Fut,
    Fut: Future<Output = Result<(), xenolith_netstack::Error>>,
{
    let Network {
        device,
        config,
        machine,
    } = network;
    let stack =
        Stack::with_buffers(device, config, service.buffers, machine).map_err(Error::Net)?;
    let executor = Executor::new();
    let spawner = executor.spawner();
    if let Some(report) = service.counters {
        at_shutdown(report);
        let stack = stack.clone();
        spawner.spawn(async move {
            loop {
                stack.sleep(REPORT_EVERY).await;
                let when = "last minute and before";
                report(when);
                report_network(when, &stack);
            }
        });
    }
    executor
        .block_on(&stack, machine, server(stack.clone(), spawner))
        .map_err(Error::Net)
}

/// Prints the network's counters: frames each way, and what the driver and the stack
/// dropped of what arrived (malformed, not handled) — hostile traffic shows here.
fn report_network(when: &str, stack: &Stack) {
    let stats = stack.stats();
    log::info!(
        "counters ({when}): net frames rx={} tx={}; dropped rx={} tx={} malformed={} unsupported={}; neighbour evictions={}; device errors={}",
        stats.device.rx_frames,
        stats.device.tx_frames,
        stats.device.rx_dropped,
        stats.device.tx_dropped,
        stats.rx_malformed,
        stats.rx_unsupported,
        stats.neighbor_evictions,
        stats.device.errors,
    );
}

/// Has `report` print the counters when the app is shut down.
fn at_shutdown(report: fn(&str)) {
    #[cfg(target_os = "none")]
    image::at_shutdown(report);
    #[cfg(feature = "std")]
    hosted::at_shutdown(report);
    #[cfg(not(any(target_os = "none", feature = "std")))]
    let _ = report;
}
