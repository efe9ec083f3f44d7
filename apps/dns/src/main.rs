//! `dns`: an authoritative DNS server, as a unikernel image or a Linux process.
//!
//! - **Image** (`target_os = "none"`): serves the zones compiled in at build time (the
//!   manifest's `[data] zones`), or the compiled zone set handed over as a boot module
//!   (`-initrd` in QEMU, `ramdisk=` in xl; make one with `dns-zone -o zones.bin FILE...`).
//!   The interface is configured on the command line: `ip=ADDR/PREFIX [gw=ADDR]`, which is
//!   required: an authoritative server needs a fixed address (the NS records and glue that
//!   point at it), so the image is built without the DHCP client (netstack feature `dhcp`,
//!   about 9 KB of the 200 KB budget); without `ip=`, or with `ip=dhcp`, it stops with an
//!   error that says so. For the same reason it has no SLAAC (netstack feature `slaac`): a
//!   global IPv6 address is `ip6=ADDR/PREFIX [gw6=ADDR]`; without `ip6=` the interface has its
//!   link-local IPv6 address alone, and `ip6=auto` stops with an error. Response rate limiting
//!   (on by default) is set with `rrl=RATE` (responses a second, 0: off), `rrl-slip=N`,
//!   `rrl-window=SECONDS`, `rrl-v4-prefix=N` and `rrl-v6-prefix=N` (`dns::rrl`). DNS cookies
//!   need RDRAND for their secret (QEMU: `-cpu max`); without it they are off, with a warning.
//!   A bad module or command line is a clear console error and the guest stops.
//! - **Hosted** (Linux): `dns --tap NAME [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--zone FILE]...
//!   [--rrl RATE] [--rrl-slip N] ...` serves over a TAP interface, for development and
//!   benchmarks (with DHCP and SLAAC).
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

extern crate alloc;

/// The zone set compiled into the image (see `build.rs`).
static BUILTIN_ZONES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zones.bin"));

/// The boot module the image takes: a compiled zone set.
#[cfg(target_os = "none")]
static MODULES: [xenolith_app::modules::Kind; 1] = [xenolith_app::modules::Kind {
    magic: dns::compiled::MAGIC,
    name: "compiled zone set",
    made_by: "dns-zone -o FILE",
}];

#[cfg(target_os = "none")]
xenolith_app::image_main!("dns", kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    use core::fmt;
    use xenolith_app::modules::{self, ModuleError};
    use xenolith_netstack::Config;

    /// Why the server stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        /// A bad `rrl` word.
        Settings(dns::rrl::BadSetting),
        /// The boot module is not a compiled zone set.
        Modules(ModuleError),
        /// The boot module's zone set is unusable.
        Module(dns::LoadError),
        /// The zones compiled into the image are unusable (a build problem).
        Builtin(dns::LoadError),
        /// No network, or the server failed.
        Runtime(xenolith_app::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Settings(e) => write!(f, "{e}"),
                Error::Modules(e) => write!(f, "{e}"),
                Error::Module(e) => write!(
                    f,
                    "the boot module is not a usable compiled zone set: {e} (make one with `dns-zone -o zones.bin ZONEFILE`)"
                ),
                Error::Builtin(e) => {
                    write!(f, "the zones compiled into this image are unusable: {e}")
                }
                Error::Runtime(e) => write!(f, "{e}"),
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

    pub(crate) fn main(boot: &'static xenolith_app::Boot) -> Result<(), Error> {
        let cmdline = boot.cmdline();
        let options =
            dns::server::Options::for_image(|key| cmdline.get(key)).map_err(Error::Settings)?;
        let [module] = modules::classify(&super::MODULES, xenolith_app::image::modules(boot))
            .map_err(Error::Modules)?;
        let (zones, source) = match module {
            Some(blob) => (
                dns::Zones::from_compiled(blob).map_err(Error::Module)?,
                "from the boot module",
            ),
            None => (
                dns::Zones::from_compiled(super::BUILTIN_ZONES).map_err(Error::Builtin)?,
                "built in",
            ),
        };
        log::info!("zones ({source}): {}", ZoneNames(&zones));
        let network = xenolith_app::image::network(boot, Config::AUTO).map_err(Error::Runtime)?;
        super::serve(network, zones, options).map_err(Error::Runtime)
    }
}

/// Serves `zones` on `network`, the image's or the Linux process's.
fn serve(
    network: xenolith_app::Network,
    zones: dns::Zones,
    options: dns::server::Options,
) -> Result<(), xenolith_app::Error> {
    let service = xenolith_app::Service {
        buffers: dns::server::socket_buffers(),
        counters: Some(|when| dns::server::COUNTERS.report(when)),
    };
    let zones = alloc::rc::Rc::new(zones);
    xenolith_app::serve(network, service, move |stack, spawner| async move {
        dns::server::serve(&stack, &spawner, zones, options).await
    })
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("dns", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use xenolith_netstack::Config;
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};

    fn usage() -> String {
        format!(
            "\
usage: dns [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--zone FILE]... [--port N]
           [--rrl RATE] [--rrl-slip N] [--rrl-window SECONDS] [--rrl-v4-prefix N]
           [--rrl-v6-prefix N]

Serves DNS zones authoritatively on UDP and TCP over a Linux TAP interface (root or
CAP_NET_ADMIN is needed). Without --zone, the zones compiled into the program are served.

{NET_USAGE}
  --zone FILE          an RFC 1035 zone file to serve (repeatable)
  --port N             port (default 53)
  --rrl RATE           UDP responses a second per client prefix and kind of answer
                       (default 200; 0 turns response rate limiting off)
  --rrl-slip N         every Nth limited response is sent truncated (default 2; 0: none)
  --rrl-window SECONDS seconds of RATE a client may save up for a burst (default 4)
  --rrl-v4-prefix N    IPv4 clients are grouped by this prefix length (default 24)
  --rrl-v6-prefix N    IPv6 clients are grouped by this prefix length (default 56)"
        )
    }

    pub(crate) fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
        let (mut net, mut zones, mut port) = (NetOptions::default(), Vec::new(), 53u16);
        let mut words: Vec<(&'static str, String)> = Vec::new();
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
                "--rrl" | "--rrl-slip" | "--rrl-window" | "--rrl-v4-prefix" | "--rrl-v6-prefix" => {
                    let key = dns::rrl::WORDS
                        .iter()
                        .map(|word| word.0)
                        .find(|key| arg.get(2..) == Some(*key))
                        .unwrap_or("rrl");
                    words.push((key, value(&arg)?));
                }
                "--help" | "-h" => return Err(usage()),
                other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
            }
        }
        let blob = dns_zone::compile_or_builtin(super::BUILTIN_ZONES, &zones)
            .map_err(|e| e.to_string())?;
        let zones = dns::Zones::from_compiled(&blob).map_err(|e| format!("zones: {e}"))?;
        let network =
            xenolith_app::hosted::network(&net, Config::AUTO).map_err(|e| e.to_string())?;
        let rrl = dns::rrl::Settings::from_lookup(|key| {
            words
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
        })
        .map_err(|e| format!("--{e}"))?;
        let mut keys = [0u8; 32];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").map_err(|e| e.to_string())?,
            &mut keys,
        )
        .map_err(|e| format!("/dev/urandom: {e}"))?;
        let (secret, key) = keys.split_at(16);
        let options = dns::server::Options {
            port,
            rrl,
            cookie_secret: secret.try_into().ok().map(dns::cookie::Secret),
            rrl_key: key.try_into().unwrap_or_default(),
            ..Default::default()
        };
        super::serve(network, zones, options).map_err(|e| e.to_string())
    }
}
