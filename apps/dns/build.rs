//! Compiles the zones the manifest (`Unikernel.toml`, `[data] zones`) lists into
//! `$OUT_DIR/zones.bin`, which the image embeds. Zone errors stop the build with file and line.
use std::path::{Path, PathBuf};

fn main() {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let manifest_path = dir.join("Unikernel.toml");
    println!("cargo:rerun-if-changed={}", manifest_path.display());
    let manifest = std::fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest_path.display()));
    let zones = zone_list(&manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest_path.display()));
    let files: Vec<dns_zone::ZoneFile> = zones
        .iter()
        .map(|z| {
            let path = dir.join(z);
            println!("cargo:rerun-if-changed={}", path.display());
            dns_zone::ZoneFile { path, origin: None }
        })
        .collect();
    let blob = dns_zone::compile(&files).unwrap_or_else(|e| panic!("zone compilation failed: {e}"));
    let out =
        Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("zones.bin");
    std::fs::write(&out, blob).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// The `zones = [...]` list of the `[data]` table (a deliberately small reader: one array of
/// double-quoted strings, possibly over several lines).
fn zone_list(manifest: &str) -> Result<Vec<String>, String> {
    let value: toml::Table = manifest
        .parse()
        .map_err(|e| format!("not valid TOML: {e}"))?;
    let zones = value.get("data").and_then(|d| d.get("zones")).ok_or(
        "[data] zones = [\"...\"] is missing: list the zone files to compile into the image",
    )?;
    let zones = zones
        .as_array()
        .ok_or("[data] zones must be an array of file names")?;
    let list: Vec<String> = zones
        .iter()
        .filter_map(|z| z.as_str().map(String::from))
        .collect();
    if list.len() != zones.len() || list.is_empty() {
        return Err("[data] zones must be a non-empty array of file names (strings)".into());
    }
    Ok(list)
}
