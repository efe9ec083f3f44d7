//! Compiles the zones the manifest (`Unikernel.toml`, `[data] zones`) lists into
//! `$OUT_DIR/zones.bin`, which the image embeds. Zone errors stop the build with file and line.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    dns_zone::build_zones(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
}
