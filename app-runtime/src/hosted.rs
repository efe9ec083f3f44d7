//! The Linux process's start: the network from the shared options (`--tap`, `--ip`, `--gw`,
//! `--dhcp`, `--verbose`) over a TAP interface, and an orderly end on SIGINT (Ctrl-C) or
//! SIGTERM: the counters' last line, then exit status 0 — what a shutdown request does to the
//! image.

use crate::{Error, Network};
use std::boxed::Box;
use std::sync::OnceLock;
use std::time::Duration;
use xenolith_device::Machine;
use xenolith_netstack::Config;
use xenolith_netstack::hosted::{self as host, HostMachine, NetOptions};

static REPORT: OnceLock<fn(&str)> = OnceLock::new();

/// The host machine, ending the process in order when SIGINT or SIGTERM arrives.
#[derive(Debug)]
struct Stopping(HostMachine);

impl Machine for Stopping {
    fn now(&self) -> Duration {
        self.0.now()
    }

    fn idle(&self, deadline: Option<Duration>) {
        self.0.idle(deadline);
        if host::stop_requested() {
            log::info!("stopping (SIGINT or SIGTERM)");
            if let Some(report) = REPORT.get() {
                report("at shutdown");
            }
            std::process::exit(0);
        }
    }

    fn random_u64(&self) -> u64 {
        self.0.random_u64()
    }
}

/// The network of the Linux process: the configuration from `options` (`default` without
/// `--ip`), the TAP interface it names (default `xtap0`), the host machine. Installs the stderr
/// logger.
pub fn network(options: &NetOptions, default: Config) -> Result<Network, Error> {
    let config = options.config(default).map_err(Error::Options)?;
    let (tap, machine) = options.open().map_err(Error::Device)?;
    log::info!("on TAP interface {}", tap.name());
    host::catch_stop_signals()
        .map_err(|e| Error::Device(std::format!("cannot catch SIGINT and SIGTERM: {e}")))?;
    // The machine lives as long as the process, like the image's.
    let machine: &'static Stopping = Box::leak(Box::new(Stopping(machine)));
    Ok(Network {
        device: Box::new(tap),
        config,
        machine,
    })
}

pub(crate) fn at_shutdown(report: fn(&str)) {
    let _ = REPORT.set(report);
}
