//! Compiles the certificate and key the manifest's `[data]` table names (`certificate`, `key`) into
//! `$OUT_DIR/identity.bin`, which the image embeds: a bad or mismatched pair stops the build.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    tls_keygen::build_identity(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
}
