//! `dns`: an authoritative DNS server, as a unikernel image or a Linux process.
//!
//! - **Image** (`target_os = "none"`): serves the zones compiled in at build time (the
//!   manifest's `[data] zones`), or the compiled zone set handed over as a boot module
//!   (`-initrd` in QEMU, `ramdisk=` in xl; make one with `dns-zone -o zones.bin FILE...`).
//!   The interface is configured on the command line: `ip=ADDR/PREFIX [gw=ADDR]`, which is
//!   required: an authoritative server needs a fixed address (the NS records and glue that
//!   point at it), so the image is built without the DHCP client (netstack feature `dhcp`,
//!   about 9 KB of the 200 KB budget); without `ip=`, or with `ip=dhcp`, it stops with an
//!   error that says so. A bad module or command line is a clear console error and the guest
//!   stops.
//! - **Hosted** (Linux): `dns --tap NAME [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--zone FILE]...`
//!   serves over a TAP interface, for development and benchmarks.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

#[cfg(target_os = "none")]
extern crate alloc;

/// The zone set compiled into the image (see `build.rs`).
static BUILTIN_ZONES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zones.bin"));

#[cfg(target_os = "none")]
xenolith_rt::entry!(kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    use alloc::rc::Rc;
    use core::fmt;
    use xenolith_netstack::{Config, Executor, Stack};
    use xenolith_rt::Boot;

    /// Why the server stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        /// The boot module is not a compiled zone set.
        Module(dns::LoadError),
        /// The zones compiled into the image are unusable (a build problem).
        Builtin(dns::LoadError),
        /// More than one boot module.
        TooManyModules(usize),
        /// A bad `ip=` or `gw=`.
        Config(xenolith_netstack::Error),
        /// No network device.
        Device(xenolith_rt::net::Error),
        /// The stack failed.
        Net(xenolith_netstack::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Module(e) => write!(
                    f,
                    "dns: the boot module is not a usable compiled zone set: {e} (make one with `dns-zone -o zones.bin ZONEFILE`)"
                ),
                Error::Builtin(e) => write!(
                    f,
                    "dns: the zones compiled into this image are unusable: {e}"
                ),
                Error::TooManyModules(n) => {
                    write!(
                        f,
                        "dns: {n} boot modules were given; pass one compiled zone set (it may hold several zones)"
                    )
                }
                Error::Config(e) => write!(f, "dns: {e}"),
                Error::Device(e) => write!(f, "dns: no network device: {e}"),
                Error::Net(e) => write!(f, "dns: {e}"),
            }
        }
    }

    /// The zones' apexes, separated by commas, written straight to the log (no `Vec`, no
    /// `join`).
    struct ZoneNames<'a>(&'a dns::Zones);

    impl fmt::Display for ZoneNames<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, name) in self.0.zone_names().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&name)?;
            }
            Ok(())
        }
    }

    pub(crate) fn main(boot: &'static Boot) -> Result<(), Error> {
        let cmdline = boot.cmdline();
        let config =
            Config::from_lookup(|key| cmdline.get(key), Config::Dhcp).map_err(Error::Config)?;
        let zones = match boot.modules.as_slice() {
            [] => dns::Zones::from_compiled(super::BUILTIN_ZONES).map_err(Error::Builtin)?,
            [module] => dns::Zones::from_compiled(module.data).map_err(Error::Module)?,
            more => return Err(Error::TooManyModules(more.len())),
        };
        let source = if boot.modules.is_empty() {
            "built in"
        } else {
            "from the boot module"
        };
        log::info!("zones ({source}): {}", ZoneNames(&zones));
        xenolith_rt::shutdown::at_shutdown(|| dns::server::COUNTERS.report("at shutdown"));

        let device = boot.machine.open_nic().map_err(Error::Device)?;
        let platform = boot.machine;
        let stack = Stack::with_buffers(device, config, dns::server::socket_buffers(), platform)
            .map_err(Error::Net)?;
        let executor = Executor::new();
        let options = dns::server::Options::default();
        executor
            .block_on(
                &stack,
                platform,
                dns::server::serve(&stack, &executor.spawner(), Rc::new(zones), options),
            )
            .map_err(Error::Net)
    }
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("dns", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use std::rc::Rc;
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};
    use xenolith_netstack::{Config, Executor, Stack};

    fn usage() -> String {
        format!(
            "\
usage: dns [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--zone FILE]... [--port N]

Serves DNS zones authoritatively on UDP and TCP over a Linux TAP interface (root or
CAP_NET_ADMIN is needed). Without --zone, the zones compiled into the program are served.

{NET_USAGE}
  --zone FILE          an RFC 1035 zone file to serve (repeatable)
  --port N             port (default 53)"
        )
    }

    pub(crate) fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
        let (mut net, mut zones, mut port) = (NetOptions::default(), Vec::new(), 53u16);
        while let Some(arg) = args.next() {
            if net.take(&arg, &mut args)? {
                continue;
            }
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value\n\n{}", usage()))
            };
            match arg.as_str() {
                "--zone" => zones.push(value("--zone")?),
                "--port" => {
                    let text = value("--port")?;
                    port = text
                        .parse()
                        .ok()
                        .filter(|&p| p != 0)
                        .ok_or(format!("--port {text}: give a port from 1 to 65535"))?;
                }
                "--help" | "-h" => return Err(usage()),
                other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
            }
        }
        let blob = dns_zone::compile_or_builtin(super::BUILTIN_ZONES, &zones)
            .map_err(|e| e.to_string())?;
        let zones = dns::Zones::from_compiled(&blob).map_err(|e| format!("zones: {e}"))?;
        let config = net.config(Config::Dhcp)?;
        let (tap, platform) = net.open()?;
        let stack = Stack::with_buffers(
            Box::new(tap),
            config,
            dns::server::socket_buffers(),
            &platform,
        )
        .map_err(|e| e.to_string())?;
        let executor = Executor::new();
        let options = dns::server::Options {
            port,
            ..Default::default()
        };
        executor
            .block_on(
                &stack,
                &platform,
                dns::server::serve(&stack, &executor.spawner(), Rc::new(zones), options),
            )
            .map_err(|e| e.to_string())
    }
}
