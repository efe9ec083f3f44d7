//! `xen-config`: from an app's manifest (`apps/APP/Unikernel.toml`) to an xl config and a
//! libvirt domain XML, so that a built image can be deployed without writing a config by hand.
//!
//! The flow is: [`Manifest::read`] (TOML) → [`Manifest::apply`] ([`Overrides`] from the command
//! line) → [`Manifest::validate`] (a checked [`Deployment`], or an [`Error`] naming the field and
//! what would be valid) → [`xl::render`] and [`libvirt::render`] → [`write_all`] (temporary files
//! renamed into place, so a failure never leaves half an output).
//!
//! # The manifest
//!
//! Each app has `apps/APP/Unikernel.toml` (the full reference is `docs/manifest.md`):
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
//! ```
//!
//! Relative paths in the manifest (`[boot] module`, `[data]`) are relative to the manifest's
//! folder. xen-config does not interpret `[data]`: every key is app specific, but each value
//! must be a path or a list of paths, and each path must exist.
//!
//! The power-off, reboot and crash actions are xl's (xl.cfg(5), "Event Actions"): `destroy`,
//! `restart`, `rename-restart`, `preserve`, `coredump-destroy`, `coredump-restart`. libvirt has
//! the same names but allows `coredump-*` only in `on_crash`, so xen-config does too;
//! `soft-reset` is for Xen-aware HVM guests and refused.
//!
//! # The outputs
//!
//! The IP configuration becomes guest command-line words (`ip=10.0.0.2/24 gw=10.0.0.1` or
//! `ip=dhcp`, read by netstack's `Config::from_lookup`), followed by `cmdline`; together they are
//! xl's `extra=` and libvirt's `<cmdline>`. xl.cfg(5) does not say what a relative `kernel=` is
//! relative to, and xl opens it relative to its own working directory, so xen-config writes
//! absolute paths unless asked for paths relative to the config's folder (`--relative`, for
//! harnesses that resolve them against that folder). libvirt's paths are always absolute.
#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};

pub mod libvirt;
mod manifest;
pub mod xl;

pub use manifest::{Action, Deployment, IpConfig, Mac, Manifest, Network, Overrides};

/// The one error type of xen-config: each variant says what was wrong and what to do.
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
    /// A path cannot be written into a config (not UTF-8, or a character a config cannot hold).
    Path {
        /// What the path is for (`kernel`, `module`).
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// The command line is wrong.
    Usage(String),
    /// An output file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// Why writing failed.
        source: std::io::Error,
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
            Error::Path {
                what,
                path,
                problem,
            } => write!(f, "the {what} path {}: {problem}", path.display()),
            Error::Usage(message) => write!(f, "{message} (see xen-config --help)"),
            Error::Write { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read { source, .. } | Error::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Where the image and its boot module are, as written into the configs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The manifest as named in the generated files' header comment.
    pub source: String,
    /// The kernel image for libvirt: an absolute path.
    pub kernel: PathBuf,
    /// The boot module for libvirt: an absolute path.
    pub module: Option<PathBuf>,
    /// The kernel image as xl's `kernel=` gets it (absolute, or relative to the config's folder).
    pub xl_kernel: PathBuf,
    /// The boot module as xl's `ramdisk=` gets it.
    pub xl_module: Option<PathBuf>,
}

impl Placement {
    /// Absolute paths everywhere. `kernel` and `module` must be absolute.
    pub fn absolute(source: &str, kernel: &Path, module: Option<&Path>) -> Result<Self, Error> {
        for (what, path) in [("kernel", Some(kernel)), ("module", module)] {
            if let Some(path) = path.filter(|p| !p.is_absolute()) {
                return Err(Error::Path {
                    what,
                    path: path.to_path_buf(),
                    problem:
                        "must be absolute here (libvirt and xl do not share a working directory)"
                            .into(),
                });
            }
        }
        Ok(Self {
            source: source.to_string(),
            kernel: kernel.to_path_buf(),
            module: module.map(Path::to_path_buf),
            xl_kernel: kernel.to_path_buf(),
            xl_module: module.map(Path::to_path_buf),
        })
    }

    /// Like [`absolute`](Self::absolute), but xl gets paths relative to `config_dir` (which
    /// must contain the kernel and the module).
    pub fn relative_to(self, config_dir: &Path) -> Result<Self, Error> {
        let relative = |what: &'static str, path: &Path| -> Result<PathBuf, Error> {
            path.strip_prefix(config_dir)
                .map(Path::to_path_buf)
                .map_err(|_| Error::Path {
                    what,
                    path: path.to_path_buf(),
                    problem: format!(
                        "is not inside the output folder {}: --relative needs the image and module beside the config",
                        config_dir.display()
                    ),
                })
        };
        let xl_kernel = relative("kernel", &self.kernel)?;
        let xl_module = self
            .module
            .as_deref()
            .map(|m| relative("module", m))
            .transpose()?;
        Ok(Self {
            xl_kernel,
            xl_module,
            ..self
        })
    }
}

/// The two generated files of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outputs {
    /// The xl config (`NAME.xl`).
    pub xl: String,
    /// The libvirt domain XML (`NAME.xml`).
    pub xml: String,
}

/// Renders both outputs; nothing is written.
pub fn render(deployment: &Deployment, placement: &Placement) -> Result<Outputs, Error> {
    Ok(Outputs {
        xl: xl::render(deployment, placement)?,
        xml: libvirt::render(deployment, placement)?,
    })
}

/// Writes `DIR/NAME.xl` and `DIR/NAME.xml`: both go to temporary files first and are renamed
/// into place only when both are complete, so an error leaves no half-written output.
/// Returns the two paths.
pub fn write_all(dir: &Path, name: &str, outputs: &Outputs) -> Result<[PathBuf; 2], Error> {
    let targets = [
        (dir.join(format!("{name}.xl")), &outputs.xl),
        (dir.join(format!("{name}.xml")), &outputs.xml),
    ];
    let mut temporaries = Vec::new();
    for (path, text) in &targets {
        let temporary = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
            std::process::id()
        ));
        if let Err(source) = std::fs::write(&temporary, text.as_bytes()) {
            let _ = std::fs::remove_file(&temporary);
            for t in &temporaries {
                let _ = std::fs::remove_file(t);
            }
            return Err(Error::Write {
                path: path.clone(),
                source,
            });
        }
        temporaries.push(temporary);
    }
    for (temporary, (path, _)) in temporaries.iter().zip(&targets) {
        std::fs::rename(temporary, path).map_err(|source| {
            for t in &temporaries {
                let _ = std::fs::remove_file(t);
            }
            Error::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok([targets[0].0.clone(), targets[1].0.clone()])
}

/// A path as text for a config: UTF-8, printable, without characters either format cannot hold.
pub(crate) fn path_text(what: &'static str, path: &Path) -> Result<String, Error> {
    let text = path.to_str().ok_or_else(|| Error::Path {
        what,
        path: path.to_path_buf(),
        problem: "is not UTF-8: xl and libvirt configs are text; rename it".into(),
    })?;
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(Error::Path {
            what,
            path: path.to_path_buf(),
            problem: format!(
                "holds the control character {c:?}, which a config cannot hold; rename it"
            ),
        });
    }
    if what == "kernel" && text.is_empty() {
        return Err(Error::Path {
            what,
            path: path.to_path_buf(),
            problem: "is empty".into(),
        });
    }
    Ok(text.to_string())
}
