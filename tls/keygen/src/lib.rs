//! `tls-keygen`: a self-signed certificate and key for trying the TLS apps, and the
//! build-time check that turns PEM files into the compiled identity an image embeds.
//!
//! - [`self_signed`]: an ECDSA P-256 certificate for some DNS names and IP addresses, and its
//!   key in PKCS#8, both as PEM;
//! - [`compile_pem`] / [`compile_pem_files`]: PEM certificate chain + PEM key → checked
//!   compiled identity ([`xenolith_tls::identity`]), for an app's `build.rs` (a bad or
//!   mismatched pair fails the build, naming the files) or a boot module;
//! - [`build_identity`]: all of an app's `build.rs` step, from the manifest's `[data]` table (`certificate`, `key`):
//!
//! ```toml
//! [data]
//! certificate = "tls/cert.pem"   # PEM chain, the server's certificate first
//! key = "tls/key.pem"            # PEM private key: ECDSA P-256 (PKCS#8 or SEC1) or Ed25519
//! ```
//!
//! ```ignore
//! // build.rs
//! let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
//! let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
//! tls_keygen::build_identity(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
//! // main.rs: include_bytes!(concat!(env!("OUT_DIR"), "/identity.bin"))
//! ```
//!
//! The check is [`xenolith_tls::Identity::from_der`], the very code the guest runs on the
//! embedded or module bytes at boot.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use xenolith_manifest::Manifest;
use xenolith_tls::Identity;

/// Why a certificate could not be made or compiled.
#[derive(Debug)]
pub enum Error {
    /// Neither a name nor an IP address was given.
    NoNames,
    /// rcgen refused a name or failed to sign.
    Generate(String),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// The certificate file holds no PEM `CERTIFICATE` block, or a broken one.
    NoCertificate(String),
    /// The key file holds no PEM private key, or a broken one.
    NoKey(String),
    /// The manifest cannot be read, or its `[data]` table does not name the `certificate` and
    /// `key` files.
    Manifest(xenolith_manifest::Error),
    /// The key does not belong to the certificate, or either is unusable.
    Check {
        /// The certificate file (or "the certificate").
        cert: String,
        /// The key file (or "the key").
        key: String,
        /// What the check found.
        error: xenolith_tls::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoNames => write!(
                f,
                "give at least one --name DNS-NAME or --ip ADDRESS for the certificate"
            ),
            Error::Generate(why) => write!(f, "cannot make the certificate: {why}"),
            Error::Io { path, error } => write!(f, "{}: {error}", path.display()),
            Error::Manifest(error) => match error {
                xenolith_manifest::Error::Read { path, source } => {
                    write!(f, "{}: {source}", path.display())
                }
                xenolith_manifest::Error::Toml { manifest, message } => {
                    write!(f, "{manifest}: not valid TOML: {message}")
                }
                error => write!(f, "{error}"),
            },
            Error::NoCertificate(cert) => write!(
                f,
                "{cert} holds no PEM certificate (-----BEGIN CERTIFICATE-----), or a damaged one"
            ),
            Error::NoKey(key) => write!(
                f,
                "{key} holds no PEM private key (-----BEGIN PRIVATE KEY----- or EC PRIVATE KEY), or a damaged one"
            ),
            Error::Check { cert, key, error } => match error {
                xenolith_tls::Error::KeyMismatch => write!(
                    f,
                    "the key in {key} does not belong to the certificate in {cert}"
                ),
                xenolith_tls::Error::UnsupportedKey(_) => write!(f, "{key}: {error}"),
                _ => write!(f, "{cert}: {error}"),
            },
        }
    }
}

impl std::error::Error for Error {}

/// A self-signed certificate and its private key, as PEM.
#[derive(Debug)]
pub struct Generated {
    /// The certificate (`-----BEGIN CERTIFICATE-----`).
    pub cert_pem: String,
    /// The ECDSA P-256 key in PKCS#8 (`-----BEGIN PRIVATE KEY-----`).
    pub key_pem: String,
}

/// A self-signed ECDSA P-256 certificate for `names` (DNS) and `ips`, valid from now for
/// `days` days; the first name (or address) is also the subject's common name.
pub fn self_signed(names: &[String], ips: &[IpAddr], days: u32) -> Result<Generated, Error> {
    if names.is_empty() && ips.is_empty() {
        return Err(Error::NoNames);
    }
    let generate = |e: rcgen::Error| Error::Generate(e.to_string());
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(generate)?;
    params
        .subject_alt_names
        .extend(ips.iter().map(|ip| rcgen::SanType::IpAddress(*ip)));
    let common_name = names.first().cloned().unwrap_or_else(|| ips[0].to_string());
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::hours(1);
    params.not_after = now + time::Duration::days(i64::from(days));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(generate)?;
    let cert = params.self_signed(&key).map_err(generate)?;
    Ok(Generated {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// Checks a PEM certificate chain (the server's certificate first, then any intermediates)
/// and a PEM private key, and returns the compiled identity. `cert_name` and `key_name` name
/// the inputs in errors.
pub fn compile_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_name: &str,
    key_name: &str,
) -> Result<Vec<u8>, Error> {
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(cert_pem)
        .map(|cert| cert.map(|cert| cert.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|_| Error::NoCertificate(cert_name.into()))?;
    if chain.is_empty() {
        return Err(Error::NoCertificate(cert_name.into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| Error::NoKey(key_name.into()))?;
    let identity =
        Identity::from_der(chain, key.secret_der().to_vec()).map_err(|error| Error::Check {
            cert: cert_name.into(),
            key: key_name.into(),
            error,
        })?;
    Ok(identity.to_compiled())
}

/// [`compile_pem`] on two files.
pub fn compile_pem_files(cert: &Path, key: &Path) -> Result<Vec<u8>, Error> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|error| Error::Io {
            path: path.into(),
            error,
        })
    };
    compile_pem(
        &read(cert)?,
        &read(key)?,
        &cert.display().to_string(),
        &key.display().to_string(),
    )
}

/// An app's `build.rs` step: reads the `[data]` table (`certificate`, `key`) of
/// `dir/Unikernel.toml` (through `xenolith-manifest`), checks the pair, writes
/// `out_dir/identity.bin` and tells cargo to rerun when the manifest or the files change.
/// Returns the written path.
pub fn build_identity(dir: &Path, out_dir: &Path) -> Result<PathBuf, Error> {
    let manifest = dir.join(xenolith_manifest::FILE_NAME);
    println!("cargo:rerun-if-changed={}", manifest.display());
    let (cert, key) = Manifest::read(&manifest)
        .and_then(|m| m.tls_identity())
        .map_err(Error::Manifest)?;
    println!("cargo:rerun-if-changed={}", cert.display());
    println!("cargo:rerun-if-changed={}", key.display());
    let blob = compile_pem_files(&cert, &key)?;
    let out = out_dir.join("identity.bin");
    std::fs::write(&out, blob).map_err(|error| Error::Io {
        path: out.clone(),
        error,
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pairs_compile_and_load() {
        let made = self_signed(
            &["example.test".into(), "localhost".into()],
            &["10.66.0.2".parse().unwrap()],
            30,
        )
        .unwrap();
        let blob = compile_pem(
            made.cert_pem.as_bytes(),
            made.key_pem.as_bytes(),
            "cert.pem",
            "key.pem",
        )
        .unwrap();
        Identity::from_compiled(&blob).unwrap();
    }

    #[test]
    fn mismatched_pair_names_the_files() {
        let one = self_signed(&["a.test".into()], &[], 1).unwrap();
        let two = self_signed(&["b.test".into()], &[], 1).unwrap();
        let error = compile_pem(
            one.cert_pem.as_bytes(),
            two.key_pem.as_bytes(),
            "cert.pem",
            "key.pem",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the key in key.pem does not belong to the certificate in cert.pem"
        );
    }

    #[test]
    fn build_identity_follows_the_manifest() {
        let dir = std::env::temp_dir().join(format!("tls-keygen-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tls")).unwrap();
        let made = self_signed(&["a.test".into()], &[], 1).unwrap();
        std::fs::write(dir.join("tls/cert.pem"), &made.cert_pem).unwrap();
        std::fs::write(dir.join("tls/key.pem"), &made.key_pem).unwrap();
        let manifest = dir.join(xenolith_manifest::FILE_NAME);
        let error = build_identity(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}: No such file", manifest.display())),
            "{error}"
        );
        std::fs::write(&manifest, "[data\n").unwrap();
        let error = build_identity(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}: not valid TOML: ", manifest.display())),
            "{error}"
        );
        std::fs::write(&manifest, "[unikernel]\nname = \"x\"\n").unwrap();
        let error = build_identity(&dir, &dir).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{}: [data] is missing: add certificate = \"FILE.pem\" and key = \"FILE.pem\" (tls-keygen makes a self-signed pair)",
                manifest.display()
            )
        );
        std::fs::write(
            dir.join(xenolith_manifest::FILE_NAME),
            "[data]\ncertificate = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n",
        )
        .unwrap();
        let out = build_identity(&dir, &dir).unwrap();
        Identity::from_compiled(&std::fs::read(out).unwrap()).unwrap();
        std::fs::write(
            dir.join(xenolith_manifest::FILE_NAME),
            "[data]\ncertificate = \"tls/cert.pem\"\n",
        )
        .unwrap();
        let error = build_identity(&dir, &dir).unwrap_err();
        assert!(error.to_string().contains("[data] key"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_pem_blocks_are_errors() {
        let one = self_signed(&["a.test".into()], &[], 1).unwrap();
        let error = compile_pem(b"", one.key_pem.as_bytes(), "c", "k").unwrap_err();
        assert!(matches!(error, Error::NoCertificate(_)), "{error}");
        let error = compile_pem(one.cert_pem.as_bytes(), b"nothing", "c", "k").unwrap_err();
        assert!(matches!(error, Error::NoKey(_)), "{error}");
        assert!(matches!(self_signed(&[], &[], 1), Err(Error::NoNames)));
    }
}
