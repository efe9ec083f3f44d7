//! `dns-tls`: the authoritative DNS server with DNS over TLS (RFC 7858), as a unikernel image
//! or a Linux process. The `dns` image's server (`dns::server`) answers on UDP and TCP port 53
//! and, through the `tls` crate's acceptor, on TCP port 853 over TLS; the TCP and TLS
//! connections share one cap (32) and one idle timeout, which also bounds each handshake. It is
//! a separate image so that the plain `dns` image (200 KB budget) links no TLS code.
//!
//! - **TLS**: TLS 1.3 only, ECDSA P-256 keys (the `tls` crate without its `tls12` and `ed25519`
//!   features: DoT clients are current resolvers and stub libraries). No session resumption.
//! - **Image** (`target_os = "none"`): serves the zones and the certificate compiled in at
//!   build time (the manifest's `[data] zones`, `certificate` and `key`; build.rs). Boot
//!   modules replace either: a compiled zone set (`dns-zone -o zones.bin FILE...`) and/or a
//!   compiled identity (`tls-keygen compile --cert C --key K -o identity.bin`), told apart by
//!   their magic, as separate modules or back to back in one (`cat zones.bin identity.bin`;
//!   see `xenolith_app::modules`). The interface is configured on the command line (`ip=ADDR/PREFIX
//!   [gw=ADDR]`, or `ip=dhcp`, the default: this image has the DHCP client, size not being
//!   critical). Response rate limiting takes the dns image's words (`rrl=`, `rrl-slip=`, ...;
//!   UDP only), and DNS cookies its secret from RDRAND, as there.
//!   TLS needs RDRAND (QEMU: `-cpu max`); without it the image refuses to start.
//!   A bad module or command line is a clear console error and the guest stops (exit 9).
//! - **Hosted** (Linux): `dns-tls --tap NAME [--ip ADDR/PREFIX [--gw ADDR] | --dhcp]
//!   [--zone FILE]... [--identity FILE]` serves over a TAP interface.
//!
//! Counters (every minute and at shutdown): the dns server's line, and a second one for DoT:
//! `dot connections=… handshake failures=… queries=… errors=…`.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

extern crate alloc;

/// The zone set compiled into the image (see `build.rs`).
static BUILTIN_ZONES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/zones.bin"));
/// The certificate and key compiled into the image (see `build.rs`).
static BUILTIN_IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));
/// The DNS-over-TLS port (RFC 7858 §3.1).
const DOT_PORT: u16 = 853;

/// The boot modules the image takes, told apart by their magic: a compiled zone set and a
/// compiled TLS identity, as two modules or back to back in one.
#[cfg(target_os = "none")]
static MODULES: [xenolith_app::modules::Kind; 2] = [
    xenolith_app::modules::Kind {
        magic: dns::compiled::MAGIC,
        name: "compiled zone set",
        made_by: "dns-zone -o FILE",
    },
    xenolith_app::modules::Kind {
        magic: xenolith_tls::identity::MAGIC,
        name: "compiled TLS identity",
        made_by: "tls-keygen compile",
    },
];

#[cfg(target_os = "none")]
xenolith_app::image_main!("dns-tls", kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    use alloc::string::String;
    use core::fmt;
    use xenolith_app::modules::{self, ModuleError};
    use xenolith_netstack::Config;

    /// Why the server stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        /// The boot modules are not compiled zone sets or identities.
        Modules(ModuleError),
        /// The boot module's zone set is unusable.
        ModuleZones(dns::LoadError),
        /// The boot module's identity is unusable.
        ModuleIdentity(xenolith_tls::Error),
        /// The zones compiled into the image are unusable (a build problem).
        BuiltinZones(dns::LoadError),
        /// The identity compiled into the image is unusable (a build problem).
        BuiltinIdentity(xenolith_tls::Error),
        /// TLS cannot start (no RDRAND, or it failed its check).
        Tls(xenolith_tls::Error),
        /// No network, or the server failed.
        Runtime(xenolith_app::Error),
        /// A bad `rrl` word.
        Settings(dns::rrl::BadSetting),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Modules(e) => fmt::Display::fmt(e, f),
                Error::ModuleZones(e) => write!(
                    f,
                    "the boot module's zone set is unusable: {e} (make one with `dns-zone -o zones.bin ZONEFILE`)"
                ),
                Error::ModuleIdentity(e) => write!(
                    f,
                    "the boot module's TLS identity is unusable: {e} (make one with `tls-keygen compile --cert CERT.pem --key KEY.pem -o identity.bin`)"
                ),
                Error::BuiltinZones(e) => {
                    write!(f, "the zones compiled into this image are unusable: {e}")
                }
                Error::BuiltinIdentity(e) => {
                    write!(
                        f,
                        "the certificate compiled into this image is unusable: {e}"
                    )
                }
                Error::Tls(e) => fmt::Display::fmt(e, f),
                Error::Runtime(e) => fmt::Display::fmt(e, f),
                Error::Settings(e) => fmt::Display::fmt(e, f),
            }
        }
    }

    pub(crate) fn main(boot: &'static xenolith_app::Boot) -> Result<(), Error> {
        let cmdline = boot.cmdline();
        // Rate limiting words and the cookie secret and rate limiter's key, as the dns image.
        let options =
            dns::server::Options::for_image(|key| cmdline.get(key)).map_err(Error::Settings)?;
        let [zones, identity] =
            modules::classify(&super::MODULES, xenolith_app::image::modules(boot))
                .map_err(Error::Modules)?;
        let (zones, zones_from) = match zones {
            Some(blob) => (
                dns::Zones::from_compiled(blob).map_err(Error::ModuleZones)?,
                "from the boot module",
            ),
            None => (
                dns::Zones::from_compiled(super::BUILTIN_ZONES).map_err(Error::BuiltinZones)?,
                "built in",
            ),
        };
        let (identity, identity_from) = match identity {
            Some(blob) => (
                xenolith_tls::Identity::from_compiled(blob).map_err(Error::ModuleIdentity)?,
                "from the boot module",
            ),
            None => (
                xenolith_tls::Identity::from_compiled(super::BUILTIN_IDENTITY)
                    .map_err(Error::BuiltinIdentity)?,
                "built in",
            ),
        };
        let names: alloc::vec::Vec<String> = zones.zone_names().collect();
        log::info!("zones ({zones_from}): {}", names.join(", "));
        let acceptor = xenolith_tls::kernel::acceptor(&identity).map_err(Error::Tls)?;
        log::info!("TLS identity ({identity_from}), RDRAND ok, TLS 1.3");
        let network = xenolith_app::image::network(boot, Config::AUTO).map_err(Error::Runtime)?;
        super::serve(network, zones, acceptor, options, super::DOT_PORT).map_err(Error::Runtime)
    }
}

/// Serves `zones` on `network` (the image's or the Linux process's) over UDP, TCP and, with
/// `acceptor`, TLS on `tls_port`.
fn serve<A: xenolith_netstack::stream::Acceptor + 'static>(
    network: xenolith_app::Network,
    zones: dns::Zones,
    acceptor: A,
    options: dns::server::Options,
    tls_port: u16,
) -> Result<(), xenolith_app::Error> {
    use alloc::rc::Rc;
    let service = xenolith_app::Service {
        buffers: dns::server::socket_buffers(),
        counters: Some(|when| dns::server::COUNTERS.report_with_dot(when)),
    };
    let (zones, acceptor) = (Rc::new(zones), Rc::new(acceptor));
    xenolith_app::serve(network, service, move |stack, spawner| async move {
        dns::server::serve_with_tls(&stack, &spawner, zones, options, tls_port, acceptor).await
    })
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("dns-tls", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use xenolith_netstack::Config;
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};

    fn usage() -> String {
        format!(
            "\
usage: dns-tls [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--zone FILE]...
               [--identity FILE] [--port N] [--tls-port N]

Serves DNS zones authoritatively on UDP and TCP, and over TLS (DNS over TLS, RFC 7858), over
a Linux TAP interface (root or CAP_NET_ADMIN is needed). Without --zone or --identity, the
zones and the certificate compiled into the program are used.

{NET_USAGE}
  --zone FILE          an RFC 1035 zone file to serve (repeatable)
  --identity FILE      a compiled certificate and key (tls-keygen compile --cert C --key K -o FILE)
  --port N             UDP and TCP port (default 53)
  --tls-port N         DNS-over-TLS port (default 853)"
        )
    }

    fn port(text: &str, option: &str) -> Result<u16, String> {
        text.parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or(format!("{option} {text}: give a port from 1 to 65535"))
    }

    pub(crate) fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
        let (mut net, mut zones, mut identity) = (NetOptions::default(), Vec::new(), None);
        let (mut dns_port, mut tls_port) = (53u16, super::DOT_PORT);
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
                "--identity" => identity = Some(value("--identity")?),
                "--port" => dns_port = port(&value("--port")?, "--port")?,
                "--tls-port" => tls_port = port(&value("--tls-port")?, "--tls-port")?,
                "--help" | "-h" => return Err(usage()),
                other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
            }
        }
        if dns_port == tls_port {
            return Err(format!(
                "--port and --tls-port are both {dns_port}: give two different ports"
            ));
        }
        let blob = dns_zone::compile_or_builtin(super::BUILTIN_ZONES, &zones)
            .map_err(|e| e.to_string())?;
        let zones = dns::Zones::from_compiled(&blob).map_err(|e| format!("zones: {e}"))?;
        let identity_blob = match &identity {
            Some(path) => std::fs::read(path).map_err(|e| format!("{path}: {e}"))?,
            None => super::BUILTIN_IDENTITY.to_vec(),
        };
        let identity = xenolith_tls::Identity::from_compiled(&identity_blob)
            .map_err(|e| format!("the TLS identity: {e}"))?;
        let acceptor = xenolith_tls::hosted::acceptor(&identity).map_err(|e| e.to_string())?;
        let network =
            xenolith_app::hosted::network(&net, Config::AUTO).map_err(|e| e.to_string())?;
        // The cookie secret and the rate limiter's key from the kernel's random source.
        let mut urandom =
            std::fs::File::open("/dev/urandom").map_err(|e| format!("/dev/urandom: {e}"))?;
        let strong = || {
            let mut octets = [0u8; 8];
            std::io::Read::read_exact(&mut urandom, &mut octets)
                .ok()
                .map(|()| u64::from_le_bytes(octets))
        };
        let options = dns::server::Options {
            port: dns_port,
            ..dns::server::Options::from_boot(|_| None, strong, || 0).map_err(|e| e.to_string())?
        };
        super::serve(network, zones, acceptor, options, tls_port).map_err(|e| e.to_string())
    }
}
