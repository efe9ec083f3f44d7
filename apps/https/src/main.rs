//! `https`: a static web server, as a unikernel image or a Linux process.
//!
//! It serves the site compiled in at build time (the manifest's `[data] root`, see
//! `build.rs`) with HTTP/1.1 over TLS 1.3 and 1.2 on port 443 and, optionally, plain HTTP on
//! port 80 (by default redirecting to `https://`). The TLS certificate and key are the
//! manifest's `[data] certificate` and `key`, compiled in and checked at build time; a boot
//! module made by `tls-keygen --module` (or `tls-keygen compile`) replaces them at boot.
//! TLS needs RDRAND (QEMU: `-cpu max`): without it the image refuses to start.
//!
//! - **Image** (`target_os = "none"`): configured on the command line:
//!   `ip=ADDR/PREFIX [gw=ADDR]` or `ip=dhcp` (the default); `http=redirect|serve|off` for port
//!   80 (default `redirect`: every request is redirected to `https://`); `redirect_port=N`, the
//!   HTTPS port named in redirects (default 443; e.g. 8443 behind `./scripts/run`'s port
//!   forwarding). A bad value is a clear console error and the guest stops.
//! - **Hosted** (Linux): `https [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp]
//!   [--http MODE] [--redirect-port N] [--port N] [--http-port N] [--verbose]`, over a TAP
//!   interface, for development and benchmarks.
#![cfg_attr(target_os = "none", no_std, no_main)]
#![forbid(unsafe_code)]

extern crate alloc;

mod server;

/// The site compiled into the image (see `build.rs`).
static BUILTIN_SITE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/site.bin"));

/// The TLS certificate chain and key compiled into the image (see `build.rs`).
static BUILTIN_IDENTITY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"));

/// Reads `http=` and `redirect_port=` into the options.
fn options_from(
    lookup: impl Fn(&str) -> Option<alloc::string::String>,
    mut options: server::Options,
) -> Result<server::Options, alloc::string::String> {
    use alloc::format;
    if let Some(mode) = lookup("http") {
        options.http = server::HttpMode::parse(&mode).ok_or(format!(
            "http={mode} is not understood: write http=redirect, http=serve or http=off"
        ))?;
    }
    if let Some(port) = lookup("redirect_port") {
        options.redirect_port = port.parse().ok().filter(|&p| p != 0).ok_or(format!(
            "redirect_port={port} is not a port: give a number from 1 to 65535"
        ))?;
    }
    Ok(options)
}

/// The boot module the image takes: a compiled TLS identity.
#[cfg(target_os = "none")]
static MODULES: [xenolith_app::modules::Kind; 1] = [xenolith_app::modules::Kind {
    magic: xenolith_tls::identity::MAGIC,
    name: "compiled TLS identity",
    made_by: "tls-keygen --module, or tls-keygen compile",
}];

#[cfg(target_os = "none")]
xenolith_app::image_main!("https", kernel::main);

#[cfg(target_os = "none")]
mod kernel {
    use alloc::string::String;
    use core::fmt;
    use xenolith_app::modules::{self, ModuleError};
    use xenolith_netstack::Config;

    /// Why the server stopped.
    #[derive(Debug)]
    pub(crate) enum Error {
        /// The site compiled into the image is unusable (a build problem).
        Builtin(https::compiled::LoadError),
        /// A bad `http=` or `redirect_port=`.
        Options(String),
        /// The boot module is not a compiled TLS identity.
        Modules(ModuleError),
        /// The boot module's identity is unusable.
        Module(xenolith_tls::Error),
        /// TLS cannot start (no working RDRAND, or an unusable identity).
        Tls(xenolith_tls::Error),
        /// No network, or the server failed.
        Runtime(xenolith_app::Error),
    }

    impl fmt::Display for Error {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Error::Builtin(e) => {
                    write!(f, "the site compiled into this image is unusable: {e}")
                }
                Error::Options(e) => fmt::Display::fmt(e, f),
                Error::Modules(e) => fmt::Display::fmt(e, f),
                Error::Module(e) => write!(
                    f,
                    "the boot module is not a usable TLS identity: {e} (make one with \
                     `tls-keygen --module` or `tls-keygen compile --cert C --key K -o FILE`)"
                ),
                Error::Tls(e) => fmt::Display::fmt(e, f),
                Error::Runtime(e) => fmt::Display::fmt(e, f),
            }
        }
    }

    /// Seconds since the Unix epoch, from the runtime's wallclock.
    fn wallclock() -> Option<u64> {
        xenolith_rt::time::wallclock().map(|t| t.as_secs())
    }

    pub(crate) fn main(boot: &'static xenolith_app::Boot) -> Result<(), Error> {
        let cmdline = boot.cmdline();
        let options = super::options_from(
            |key| cmdline.get(key).map(String::from),
            super::server::Options {
                wallclock,
                ..Default::default()
            },
        )
        .map_err(Error::Options)?;
        let [module] = modules::classify(&super::MODULES, xenolith_app::image::modules(boot))
            .map_err(Error::Modules)?;
        let identity = match module {
            Some(blob) => xenolith_tls::Identity::from_compiled(blob).map_err(Error::Module)?,
            None => xenolith_tls::Identity::from_compiled(super::BUILTIN_IDENTITY)
                .map_err(Error::Tls)?,
        };
        let acceptor = xenolith_tls::kernel::acceptor(&identity).map_err(Error::Tls)?;
        let site =
            https::compiled::Site::from_compiled(super::BUILTIN_SITE).map_err(Error::Builtin)?;
        let network = xenolith_app::image::network(boot, Config::AUTO).map_err(Error::Runtime)?;
        super::serve(network, site, acceptor, options).map_err(Error::Runtime)
    }
}

/// Serves `site` on `network` (the image's or the Linux process's), over TLS with `acceptor`.
fn serve<A: xenolith_netstack::stream::Acceptor + 'static>(
    network: xenolith_app::Network,
    site: https::compiled::Site<'static>,
    acceptor: A,
    options: server::Options,
) -> Result<(), xenolith_app::Error> {
    use alloc::rc::Rc;
    let service = xenolith_app::Service {
        counters: Some(|when| server::COUNTERS.report(when)),
        ..Default::default()
    };
    let (site, acceptor) = (Rc::new(site), Rc::new(acceptor));
    xenolith_app::serve(network, service, move |stack, spawner| async move {
        server::serve(&stack, &spawner, site, acceptor, options).await
    })
}

#[cfg(not(target_os = "none"))]
fn main() -> std::process::ExitCode {
    xenolith_netstack::hosted::exit("https", hosted::run(std::env::args().skip(1)))
}

/// The Linux process: options, a stderr logger, the TAP device and the host platform.
#[cfg(not(target_os = "none"))]
mod hosted {
    use std::collections::HashMap;
    use xenolith_netstack::Config;
    use xenolith_netstack::hosted::{NET_USAGE, NetOptions};

    fn usage() -> String {
        format!(
            "\
usage: https [--tap NAME] [--ip ADDR/PREFIX [--gw ADDR] | --dhcp] [--http MODE]
             [--redirect-port N] [--port N] [--http-port N] [--identity FILE] [--verbose]

Serves the site compiled into the program, over TLS, on a Linux TAP interface (root or
CAP_NET_ADMIN is needed).

{NET_USAGE}
  --http MODE          port 80: redirect (to https://, the default), serve, or off
  --redirect-port N    the HTTPS port named in redirects (default 443)
  --port N             HTTPS port (default 443)
  --http-port N        plain-HTTP port (default 80)
  --identity FILE      TLS certificate and key compiled by tls-keygen (default: the pair
                       compiled into the program from the manifest)"
        )
    }

    fn port(name: &str, text: &str) -> Result<u16, String> {
        text.parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or(format!("{name} {text}: give a port from 1 to 65535"))
    }

    fn wallclock() -> Option<u64> {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|t| t.as_secs())
    }

    pub(crate) fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
        let mut values: HashMap<&'static str, String> = HashMap::new();
        let mut net = NetOptions::default();
        let mut options = super::server::Options {
            wallclock,
            ..Default::default()
        };
        while let Some(arg) = args.next() {
            if net.take(&arg, &mut args)? {
                continue;
            }
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value\n\n{}", usage()))
            };
            match arg.as_str() {
                "--http" => _ = values.insert("http", value("--http")?),
                "--redirect-port" => _ = values.insert("redirect_port", value("--redirect-port")?),
                "--port" => options.https_port = port("--port", &value("--port")?)?,
                "--http-port" => options.http_port = port("--http-port", &value("--http-port")?)?,
                "--identity" => _ = values.insert("identity", value("--identity")?),
                "--help" | "-h" => return Err(usage()),
                other => return Err(format!("unknown argument {other:?}\n\n{}", usage())),
            }
        }
        let options =
            super::options_from(|key| values.get(key).cloned(), options).map_err(|e| {
                e.replacen("http=", "--http ", 1)
                    .replacen("redirect_port=", "--redirect-port ", 1)
            })?;
        let site = https::compiled::Site::from_compiled(super::BUILTIN_SITE)
            .map_err(|e| format!("the site compiled into this program is unusable: {e}"))?;
        let identity = match values.get("identity") {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read --identity {path}: {e}"))?;
                xenolith_tls::Identity::from_compiled(&bytes)
                    .map_err(|e| format!("--identity {path} is not a usable TLS identity: {e}"))?
            }
            None => xenolith_tls::Identity::from_compiled(super::BUILTIN_IDENTITY)
                .map_err(|e| e.to_string())?,
        };
        let acceptor = xenolith_tls::hosted::acceptor(&identity).map_err(|e| e.to_string())?;
        let network =
            xenolith_app::hosted::network(&net, Config::AUTO).map_err(|e| e.to_string())?;
        super::serve(network, site, acceptor, options).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> Result<server::Options, String> {
        options_from(
            |key| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.to_string())
            },
            server::Options::default(),
        )
    }

    #[test]
    fn command_line_options() {
        let defaults = options(&[]).unwrap();
        assert_eq!(defaults.http, server::HttpMode::Redirect);
        assert_eq!(defaults.redirect_port, 443);
        let set = options(&[("http", "serve"), ("redirect_port", "8443")]).unwrap();
        assert_eq!(set.http, server::HttpMode::Serve);
        assert_eq!(set.redirect_port, 8443);
        assert_eq!(
            options(&[("http", "off")]).unwrap().http,
            server::HttpMode::Off
        );
        assert!(
            options(&[("http", "on")])
                .unwrap_err()
                .contains("http=redirect")
        );
        assert!(
            options(&[("redirect_port", "0")])
                .unwrap_err()
                .contains("1 to 65535")
        );
        assert!(
            options(&[("redirect_port", "x")])
                .unwrap_err()
                .contains("1 to 65535")
        );
    }
}
