//! `xen-config`: from an app's manifest (`apps/APP/Unikernel.toml`) to an xl config and a
//! libvirt domain XML, so that a built image can be deployed without writing a config by hand.
//!
//! The flow is: [`Manifest::read`] (TOML) → [`Manifest::apply`] ([`Overrides`] from the command
//! line) → [`Manifest::validate`] (a checked [`Deployment`], or an error naming the field and
//! what would be valid) → [`xl::render`] and [`libvirt::render`] → [`write_all`] (temporary files
//! renamed into place, so a failure never leaves half an output).
//!
//! # The manifest
//!
//! The manifest is read and validated by the crate `xenolith-manifest` (`manifest/`), whose
//! docs describe it; the full reference is `docs/manifest.md`. xen-config does not interpret
//! `[data]` (the apps' build scripts do): it checks only that every path there exists.
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
pub mod xl;

pub use xenolith_manifest::{Action, Deployment, IpConfig, Mac, Manifest, Network, Overrides};

/// The one error type of xen-config: each variant says what was wrong and what to do.
#[derive(Debug)]
pub enum Error {
    /// The manifest cannot be read, or is invalid (it names the field and what would be valid).
    Manifest(xenolith_manifest::Error),
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

impl From<xenolith_manifest::Error> for Error {
    /// An override that cannot be applied is a command-line error; the rest are the manifest's.
    fn from(error: xenolith_manifest::Error) -> Self {
        match error {
            xenolith_manifest::Error::Usage(message) => Error::Usage(message),
            error => Error::Manifest(error),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Manifest(error) => write!(f, "{error}"),
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
            Error::Manifest(error) => std::error::Error::source(error),
            Error::Write { source, .. } => Some(source),
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
