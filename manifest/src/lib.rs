//! `xenolith-manifest`: the one reader of an app's manifest, `apps/APP/Unikernel.toml` (the full
//! reference is `docs/manifest.md`). Host only.
//!
//! Three kinds of users read it:
//! - `xen-config` deploys the app: [`Manifest::read`] (TOML) → [`Manifest::apply`]
//!   ([`Overrides`] from its command line) → [`Manifest::validate`] (a checked [`Deployment`],
//!   or an [`Error`] that names the field and says what would be valid);
//! - the apps' build scripts compile the build-time data in: [`Manifest::zones`] (through
//!   `dns_zone::build_zones`), [`Manifest::tls_identity`] (through
//!   `tls_keygen::build_identity`), [`Manifest::site_root`] (apps/https/build.rs). These read
//!   only the `[data]` key they need, as the build always did: a build does not fail on a
//!   deployment field, which xen-config checks;
//! - `scripts/run` boots the app here: [`Manifest::run`] (the `[run]` table, printed by the
//!   `manifest-run` command for the script).
//!
//! # The manifest
//!
//! ```toml
//! [unikernel]
//! name = "dns"            # domain name: 1-64 of A-Z a-z 0-9 _ . - (not starting with - or .)
//! memory = 8              # MiB, 4 to 1048576
//! vcpus = 1               # optional; Xenolith is single-core: only 1 is valid today
//! cmdline = "loglevel=debug"   # optional: extra words for the guest command line
//! on_poweroff = "destroy" # optional (xl's default destroy)
//! on_reboot = "restart"   # optional (xl's default restart)
//! on_crash = "preserve"   # optional (xl's default destroy)
//!
//! [[network]]             # optional, at most one: the kernel drives one interface
//! bridge = "xenbr0"       # the dom0 bridge the vif joins
//! mac = "00:16:3e:12:34:56"    # optional: else generated from the name (stable)
//! ip = "dhcp"             # optional: "dhcp" or "ADDRESS/PREFIX"; absent: the app's default
//! gw = "10.0.0.1"         # optional, only with a static ip
//!
//! [boot]
//! module = "zones.bin"    # optional: a boot module (xl ramdisk=, libvirt <initrd>)
//!
//! [data]                  # build-time data, read by the app's build.rs
//! zones = ["zones/example.test.zone"]
//!
//! [run]                   # how scripts/run boots it on this machine (see [`Run`])
//! forward = ["5353:53"]
//! clients = ["dig:bind9-dnsutils"]
//! try = ["dig @{host} -p {port:53} www.example.test"]
//! xen_ready = "serving [0-9]+ zone"
//! xen_try = ["dig @\"$GUEST_IP\" www.example.test A"]
//! ```
//!
//! Relative paths in the manifest (`[boot] module`, `[data]`) are relative to the manifest's
//! folder. Validation does not interpret `[data]`: every key is app specific, but each value
//! must be a path or a list of paths, and each path must exist. The keys the apps use today:
//! `zones` (a list of zone files: dns, dns-tls), `certificate` and `key` (PEM files: dns-tls,
//! https, tls/demo), `root` (the folder an HTTPS image serves).
//!
//! The power-off, reboot and crash actions are xl's (xl.cfg(5), "Event Actions"): `destroy`,
//! `restart`, `rename-restart`, `preserve`, `coredump-destroy`, `coredump-restart`. libvirt has
//! the same names but allows `coredump-*` only in `on_crash`, so validation does too;
//! `soft-reset` is for Xen-aware HVM guests and refused.
#![forbid(unsafe_code)]

use std::fmt;
use std::path::PathBuf;

mod data;
mod manifest;
mod run;
#[cfg(feature = "testing")]
pub mod testing;

pub use manifest::{Action, Deployment, IpConfig, Mac, Manifest, Network, Overrides};
pub use run::Run;

/// The manifest's file name, beside the app's `Cargo.toml`.
pub const FILE_NAME: &str = "Unikernel.toml";

/// The one error type of the manifest reader: each variant says what was wrong and what to do.
#[derive(Debug)]
pub enum Error {
    /// The manifest file could not be read.
    Read {
        /// The manifest path.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The manifest is not valid TOML.
    Toml {
        /// The manifest as named to the user.
        manifest: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A manifest field (or the command-line option that overrides it) is missing or invalid.
    Field {
        /// The manifest as named to the user.
        manifest: String,
        /// The field, e.g. `[unikernel] memory` or `[[network]] ip (from --ip)`.
        field: String,
        /// What is wrong and what would be valid.
        problem: String,
    },
    /// A command-line override cannot be applied (e.g. `--memory` is not a number).
    Usage(String),
    /// A `[data]` key an app's build step needs is missing or of the wrong kind.
    Data {
        /// The manifest as named to the user.
        manifest: String,
        /// What is wrong and what to write instead.
        problem: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => write!(
                f,
                "cannot read the manifest {}: {source} (each app has apps/APP/Unikernel.toml)",
                path.display()
            ),
            Error::Toml { manifest, message } => {
                write!(f, "{manifest} is not valid TOML: {}", message.trim_end())
            }
            Error::Field {
                manifest,
                field,
                problem,
            } => write!(f, "{manifest}: {field}: {problem}"),
            Error::Usage(message) => write!(f, "{message}"),
            Error::Data { manifest, problem } => write!(f, "{manifest}: {problem}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
