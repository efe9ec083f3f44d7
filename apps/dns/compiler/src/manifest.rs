//! The build step of a DNS image: [`build_zones`] reads the zone files an app's manifest
//! (`Unikernel.toml`, `[data] zones`, docs/manifest.md; read by `xenolith-manifest`) lists
//! and compiles them into `$OUT_DIR/zones.bin`, which the image embeds. Both DNS images
//! (`apps/dns`, `apps/dns-tls`) call it from their `build.rs`:
//!
//! ```ignore
//! let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
//! let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
//! dns_zone::build_zones(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
//! // main.rs: include_bytes!(concat!(env!("OUT_DIR"), "/zones.bin"))
//! ```

use std::path::{Path, PathBuf};

use xenolith_manifest::{FILE_NAME, Manifest};

use crate::{Options, ZoneError, ZoneFile, compile_with, parse_duration};

/// An app's `build.rs` step: compiles the zone files `dir/Unikernel.toml` lists in
/// `[data] zones` (paths relative to `dir`) into `out_dir/zones.bin`, signed zones checked
/// with `[data] sig_margin` (default: `--sig-margin`'s), and tells cargo to rerun
/// when the manifest or a zone file changes. Returns the written path. Errors name the file
/// and line at fault.
pub fn build_zones(dir: &Path, out_dir: &Path) -> Result<PathBuf, ZoneError> {
    let manifest = dir.join(FILE_NAME);
    println!("cargo:rerun-if-changed={}", manifest.display());
    let read = Manifest::read(&manifest).map_err(|e| manifest_error(&manifest, e))?;
    let mut options = Options::default();
    if let Some(margin) = read
        .zone_sig_margin()
        .map_err(|e| manifest_error(&manifest, e))?
    {
        options.sig_margin = parse_duration(&margin).map_err(|e| {
            ZoneError::one(Some(&manifest), None, format!("[data] sig_margin: {e}"))
        })?;
    }
    let files: Vec<ZoneFile> = read
        .zones()
        .map_err(|e| manifest_error(&manifest, e))?
        .into_iter()
        .map(|path| {
            println!("cargo:rerun-if-changed={}", path.display());
            ZoneFile { path, origin: None }
        })
        .collect();
    let blob = compile_with(&files, &options)?;
    let out = out_dir.join("zones.bin");
    std::fs::write(&out, blob)
        .map_err(|e| ZoneError::one(Some(&out), None, format!("cannot write it: {e}")))?;
    Ok(out)
}

/// A problem with the manifest at `path`, as a diagnostic on that file.
fn manifest_error(path: &Path, error: xenolith_manifest::Error) -> ZoneError {
    use xenolith_manifest::Error;
    let message = match error {
        Error::Read { source, .. } => format!("cannot read it: {source}"),
        Error::Toml { message, .. } => format!("not valid TOML: {message}"),
        Error::Data { problem, .. } => problem,
        Error::Field { field, problem, .. } => format!("{field}: {problem}"),
        Error::Usage(message) => message,
    };
    ZoneError::one(Some(path), None, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_zones_follows_the_manifest() {
        let dir = std::env::temp_dir().join(format!("dns-zone-manifest-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("zones")).unwrap();
        std::fs::write(
            dir.join("zones/a.test.zone"),
            "$ORIGIN a.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 3600 600 86400 30\n  IN NS ns\nns IN A 192.0.2.53\n",
        )
        .unwrap();

        let manifest = dir.join(FILE_NAME).display().to_string();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{manifest}: cannot read it: ")),
            "{error}"
        );
        std::fs::write(dir.join(FILE_NAME), "[data\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{manifest}: not valid TOML: ")),
            "{error}"
        );

        std::fs::write(dir.join(FILE_NAME), "[unikernel]\nname = \"x\"\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "{manifest}: [data] zones = [\"...\"] is missing: list the zone files to compile into the image"
            )
        );

        std::fs::write(dir.join(FILE_NAME), "[data]\nzones = []\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("non-empty array"), "{error}");

        std::fs::write(
            dir.join(FILE_NAME),
            "[data]\nzones = [\"zones/b.test.zone\"]\n",
        )
        .unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("b.test.zone"), "{error}");

        std::fs::write(
            dir.join(FILE_NAME),
            "[data]\nzones = [\"zones/a.test.zone\"]\n",
        )
        .unwrap();
        let out = build_zones(&dir, &dir).unwrap();
        assert_eq!(out, dir.join("zones.bin"));
        std::fs::write(
            dir.join(FILE_NAME),
            "[data]\nzones = [\"zones/a.test.zone\"]\nsig_margin = \"3 days\"\n",
        )
        .unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.contains("[data] sig_margin: '3 days' is not a duration"),
            "{error}"
        );
        std::fs::write(
            dir.join(FILE_NAME),
            "[data]\nzones = [\"zones/a.test.zone\"]\nsig_margin = \"12h\"\n",
        )
        .unwrap();
        build_zones(&dir, &dir).unwrap();
        let blob = std::fs::read(&out).unwrap();
        assert_eq!(&blob[..4], b"XDNZ");

        std::fs::write(dir.join("zones/a.test.zone"), "$ORIGIN a.test.\n@ IN A\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("a.test.zone:2:"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
