//! The build step of a DNS image: [`build_zones`] reads the zone files an app's manifest
//! (`Unikernel.toml`, `[data] zones`, docs/manifest.md) lists and compiles them into
//! `$OUT_DIR/zones.bin`, which the image embeds. Both DNS images (`apps/dns`, `apps/dns-tls`)
//! call it from their `build.rs`:
//!
//! ```ignore
//! let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
//! let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
//! dns_zone::build_zones(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
//! // main.rs: include_bytes!(concat!(env!("OUT_DIR"), "/zones.bin"))
//! ```

use std::path::{Path, PathBuf};

use crate::{ZoneError, ZoneFile, compile};

/// The manifest every app keeps next to its `Cargo.toml`.
pub const MANIFEST: &str = "Unikernel.toml";

/// The zone files the manifest in `dir` lists in `[data] zones`, resolved against `dir`.
pub fn manifest_zones(dir: &Path) -> Result<Vec<PathBuf>, ZoneError> {
    let path = dir.join(MANIFEST);
    let error = |message: String| ZoneError::one(Some(&path), None, message);
    let text = std::fs::read_to_string(&path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| error(format!("not valid TOML: {e}")))?;
    let zones = table
        .get("data")
        .and_then(|d| d.get("zones"))
        .ok_or_else(|| {
            error(
            "[data] zones = [\"...\"] is missing: list the zone files to compile into the image"
                .into(),
        )
        })?;
    let zones = zones
        .as_array()
        .ok_or_else(|| error("[data] zones must be an array of file names".into()))?;
    let list: Vec<PathBuf> = zones
        .iter()
        .filter_map(|z| z.as_str().map(|z| dir.join(z)))
        .collect();
    if list.len() != zones.len() || list.is_empty() {
        return Err(error(
            "[data] zones must be a non-empty array of file names (strings)".into(),
        ));
    }
    Ok(list)
}

/// An app's `build.rs` step: compiles the zone files `dir/Unikernel.toml` lists in
/// `[data] zones` (paths relative to `dir`) into `out_dir/zones.bin`, and tells cargo to rerun
/// when the manifest or a zone file changes. Returns the written path. Errors name the file
/// and line at fault.
pub fn build_zones(dir: &Path, out_dir: &Path) -> Result<PathBuf, ZoneError> {
    println!("cargo:rerun-if-changed={}", dir.join(MANIFEST).display());
    let files: Vec<ZoneFile> = manifest_zones(dir)?
        .into_iter()
        .map(|path| {
            println!("cargo:rerun-if-changed={}", path.display());
            ZoneFile { path, origin: None }
        })
        .collect();
    let blob = compile(&files)?;
    let out = out_dir.join("zones.bin");
    std::fs::write(&out, blob)
        .map_err(|e| ZoneError::one(Some(&out), None, format!("cannot write it: {e}")))?;
    Ok(out)
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

        std::fs::write(dir.join(MANIFEST), "[unikernel]\nname = \"x\"\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(
            error.contains("[data] zones = [\"...\"] is missing"),
            "{error}"
        );
        assert!(error.starts_with(&dir.join(MANIFEST).display().to_string()));

        std::fs::write(dir.join(MANIFEST), "[data]\nzones = []\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("non-empty array"), "{error}");

        std::fs::write(
            dir.join(MANIFEST),
            "[data]\nzones = [\"zones/b.test.zone\"]\n",
        )
        .unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("b.test.zone"), "{error}");

        std::fs::write(
            dir.join(MANIFEST),
            "[data]\nzones = [\"zones/a.test.zone\"]\n",
        )
        .unwrap();
        let out = build_zones(&dir, &dir).unwrap();
        assert_eq!(out, dir.join("zones.bin"));
        let blob = std::fs::read(&out).unwrap();
        assert_eq!(&blob[..4], b"XDNZ");

        std::fs::write(dir.join("zones/a.test.zone"), "$ORIGIN a.test.\n@ IN A\n").unwrap();
        let error = build_zones(&dir, &dir).unwrap_err().to_string();
        assert!(error.contains("a.test.zone:2:"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
