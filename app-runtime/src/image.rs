//! The image's start: the network from the command line and the machine the runtime chose at
//! boot, and the counters' last line when the guest is shut down (`xl shutdown`, the ACPI power
//! button) or fails.

use crate::{Error, Network};
use xenolith_netstack::Config;
use xenolith_rt::Boot;

// Set once, when the app starts serving; a lock, not a `spin::Once`, whose spin-wait and
// poisoning panics cost more (docs/image-size.md, Issue 14).
static REPORT: spin::Mutex<Option<fn(&str)>> = spin::Mutex::new(None);

/// The network of the image: `ip=ADDR/PREFIX [gw=ADDR]` or `ip=dhcp` from the command line
/// (`default` without `ip=`), the NIC the machine opens (netfront on Xen, virtio-net
/// elsewhere), and the machine as the executor's.
pub fn network(boot: &'static Boot, default: Config) -> Result<Network, Error> {
    let cmdline = boot.cmdline();
    let config = Config::from_lookup(|key| cmdline.get(key), default).map_err(Error::Config)?;
    let device = boot.machine.open_nic().map_err(Error::Device)?;
    Ok(Network {
        device,
        config,
        machine: boot.machine,
    })
}

/// The image's boot modules, as byte slices.
pub fn modules(boot: &'static Boot) -> impl Iterator<Item = &'static [u8]> {
    boot.modules.iter().map(|module| module.data)
}

pub(crate) fn at_shutdown(report: fn(&str)) {
    REPORT.lock().get_or_insert(report);
    xenolith_rt::shutdown::at_shutdown(|| {
        // Copied out: the lock is not held while the report prints.
        let report = *REPORT.lock();
        if let Some(report) = report {
            report("at shutdown");
        }
    });
}
