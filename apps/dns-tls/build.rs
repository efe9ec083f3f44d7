//! Compiles what the manifest (`Unikernel.toml`) names into `$OUT_DIR`, which the image
//! embeds: the zones (`[data] zones`) into `zones.bin`, the certificate and key
//! (`[data] certificate`, `key`) into `identity.bin`. A bad zone file or a mismatched pair
//! stops the build, naming the file.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    dns_zone::build_zones(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
    tls_keygen::build_identity(&dir, &out).unwrap_or_else(|e| panic!("{e}"));
}
