//! The build-time data (`[data]`) as the apps' build scripts read it: one key at a time, each
//! with the shape its app needs, resolved against the manifest's folder.
//!
//! These do not validate the rest of the manifest (a build does not fail on a deployment
//! field: that is xen-config's check), nor do they check that the files exist: the build step
//! that reads a file names it when it cannot. The errors are [`Error::Data`], worded for the
//! app's build (what to write in the manifest).

use std::path::PathBuf;

use toml::{Table, Value};

use crate::{Error, Manifest};

/// `[data] sig_margin`: a setting of the zone compiler, not a path (see
/// [`Manifest::zone_sig_margin`]).
pub(crate) const SIG_MARGIN: &str = "sig_margin";

impl Manifest {
    /// `[data] zones`: the zone files a DNS image compiles in (dns, dns-tls), a non-empty list.
    pub fn zones(&self) -> Result<Vec<PathBuf>, Error> {
        let zones = self.data_table().and_then(|d| d.get("zones")).ok_or_else(|| {
            self.data_error(
                "[data] zones = [\"...\"] is missing: list the zone files to compile into the image",
            )
        })?;
        let zones = zones
            .as_array()
            .ok_or_else(|| self.data_error("[data] zones must be an array of file names"))?;
        let list: Vec<PathBuf> = zones
            .iter()
            .filter_map(|z| z.as_str().map(|z| self.base.join(z)))
            .collect();
        if list.len() != zones.len() || list.is_empty() {
            return Err(
                self.data_error("[data] zones must be a non-empty array of file names (strings)")
            );
        }
        Ok(list)
    }

    /// `[data] sig_margin`: for a DNS image whose zones are signed, how long before expiring
    /// a signature is refused (`dns-zone --sig-margin`): a duration text (`"3d"`, `"12h"`)
    /// or a number of seconds; `None` when not given (the compiler's default). The one
    /// `[data]` key that is a setting rather than a path.
    pub fn zone_sig_margin(&self) -> Result<Option<String>, Error> {
        match self.data_table().and_then(|d| d.get(SIG_MARGIN)) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Integer(seconds)) if *seconds >= 0 => Ok(Some(seconds.to_string())),
            Some(_) => Err(self.data_error(
                "[data] sig_margin must be a duration like \"3d\" or \"12h\", or a number of seconds",
            )),
        }
    }

    /// `[data] certificate` and `key`: the PEM files of a TLS image's identity (dns-tls, https,
    /// tls/demo), as (certificate, key).
    pub fn tls_identity(&self) -> Result<(PathBuf, PathBuf), Error> {
        let data = self.data_table().ok_or_else(|| {
            self.data_error(
                "[data] is missing: add certificate = \"FILE.pem\" and key = \"FILE.pem\" \
                 (tls-keygen makes a self-signed pair)",
            )
        })?;
        let file = |name: &str| {
            data.get(name)
                .and_then(Value::as_str)
                .map(|v| self.base.join(v))
                .ok_or_else(|| {
                    self.data_error(&format!(
                        "[data] {name} = \"FILE.pem\" is missing (tls-keygen makes a self-signed pair)"
                    ))
                })
        };
        Ok((file("certificate")?, file("key")?))
    }

    /// `[data] root`: the folder an HTTPS image serves (https).
    pub fn site_root(&self) -> Result<PathBuf, Error> {
        let root = self
            .data_table()
            .and_then(|d| d.get("root"))
            .ok_or_else(|| {
                self.data_error("[data] root = \"...\" is missing: name the directory to serve")
            })?;
        let root = root
            .as_str()
            .ok_or_else(|| self.data_error("[data] root must be a directory name (a string)"))?;
        Ok(self.base.join(root))
    }

    /// The `[data]` table, if the manifest has one.
    fn data_table(&self) -> Option<&Table> {
        self.table.get("data").and_then(Value::as_table)
    }

    fn data_error(&self, problem: &str) -> Error {
        Error::Data {
            manifest: self.label.clone(),
            problem: problem.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn manifest(text: &str) -> Manifest {
        Manifest::parse(text, "app/Unikernel.toml", Path::new("app")).unwrap()
    }

    #[track_caller]
    fn problem(result: Result<impl std::fmt::Debug, Error>) -> String {
        match result {
            Err(Error::Data { manifest, problem }) => {
                assert_eq!(manifest, "app/Unikernel.toml");
                problem
            }
            other => panic!("expected a [data] error, got {other:?}"),
        }
    }

    #[test]
    fn zone_sig_margin() {
        assert_eq!(
            manifest("[data]\nzones = [\"a\"]\n")
                .zone_sig_margin()
                .unwrap(),
            None
        );
        let m = manifest("[data]\nsig_margin = \"12h\"\n");
        assert_eq!(m.zone_sig_margin().unwrap().as_deref(), Some("12h"));
        let m = manifest("[data]\nsig_margin = 600\n");
        assert_eq!(m.zone_sig_margin().unwrap().as_deref(), Some("600"));
        let p = problem(manifest("[data]\nsig_margin = [1]\n").zone_sig_margin());
        assert!(p.contains("sig_margin"), "{p}");
    }

    #[test]
    fn zones() {
        let m = manifest("[data]\nzones = [\"a.zone\", \"../b.zone\"]\n");
        assert_eq!(
            m.zones().unwrap(),
            [Path::new("app/a.zone"), Path::new("app/../b.zone")]
        );
        for text in ["", "[unikernel]\nname = \"x\"\n", "data = 1\n", "[data]\n"] {
            let p = problem(manifest(text).zones());
            assert_eq!(
                p,
                "[data] zones = [\"...\"] is missing: list the zone files to compile into the image"
            );
        }
        let p = problem(manifest("[data]\nzones = \"a.zone\"\n").zones());
        assert_eq!(p, "[data] zones must be an array of file names");
        for text in ["[data]\nzones = []\n", "[data]\nzones = [\"a.zone\", 1]\n"] {
            let p = problem(manifest(text).zones());
            assert_eq!(
                p,
                "[data] zones must be a non-empty array of file names (strings)"
            );
        }
    }

    #[test]
    fn tls_identity() {
        let m = manifest("[data]\ncertificate = \"tls/cert.pem\"\nkey = \"tls/key.pem\"\n");
        assert_eq!(
            m.tls_identity().unwrap(),
            (
                PathBuf::from("app/tls/cert.pem"),
                PathBuf::from("app/tls/key.pem")
            )
        );
        for text in ["", "data = \"x\"\n"] {
            let p = problem(manifest(text).tls_identity());
            assert_eq!(
                p,
                "[data] is missing: add certificate = \"FILE.pem\" and key = \"FILE.pem\" (tls-keygen makes a self-signed pair)"
            );
        }
        let p = problem(manifest("[data]\nkey = \"k.pem\"\n").tls_identity());
        assert_eq!(
            p,
            "[data] certificate = \"FILE.pem\" is missing (tls-keygen makes a self-signed pair)"
        );
        let p = problem(
            manifest("[data]\ncertificate = \"c.pem\"\nkey = [\"k.pem\"]\n").tls_identity(),
        );
        assert_eq!(
            p,
            "[data] key = \"FILE.pem\" is missing (tls-keygen makes a self-signed pair)"
        );
    }

    #[test]
    fn site_root() {
        assert_eq!(
            manifest("[data]\nroot = \"www\"\n").site_root().unwrap(),
            Path::new("app/www")
        );
        let p = problem(manifest("[data]\nzones = []\n").site_root());
        assert_eq!(
            p,
            "[data] root = \"...\" is missing: name the directory to serve"
        );
        let p = problem(manifest("[data]\nroot = [\"www\"]\n").site_root());
        assert_eq!(p, "[data] root must be a directory name (a string)");
    }

    #[test]
    fn the_errors_name_the_manifest() {
        let e = manifest("").site_root().unwrap_err();
        assert_eq!(
            e.to_string(),
            "app/Unikernel.toml: [data] root = \"...\" is missing: name the directory to serve"
        );
    }
}
