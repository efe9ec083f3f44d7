//! Checks `identity/cert.pem` against `identity/key.pem` and compiles them into
//! `$OUT_DIR/identity.bin`, which the image embeds: a bad or mismatched pair stops the build.
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let cert = dir.join("identity/cert.pem");
    let key = dir.join("identity/key.pem");
    println!("cargo:rerun-if-changed={}", cert.display());
    println!("cargo:rerun-if-changed={}", key.display());
    let blob = tls_keygen::compile_pem_files(&cert, &key).unwrap_or_else(|e| panic!("{e}"));
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("identity.bin");
    std::fs::write(&out, blob).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
