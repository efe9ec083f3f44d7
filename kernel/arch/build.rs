//! Puts `link.ld` where the linker finds it: every image links with `-Txenolith.ld`
//! (`.cargo/config.toml`), and this search path reaches the final link of each app.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy("link.ld", out.join("xenolith.ld")).expect("copy link.ld to OUT_DIR");
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rerun-if-changed=link.ld");
}
