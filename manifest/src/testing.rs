//! Test support (feature `testing`; never in a build script or xen-config's binary): a small
//! valid manifest, scratch folders for its relative paths, and validation as xen-config does
//! it. Shared by this crate's tests (`tests/errors.rs`) and xen-config's.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Deployment, Error, Manifest, Overrides};

/// A small valid manifest: a `dns` unikernel of 8 MiB on bridge `xenbr0`.
pub const GOOD: &str = r#"
[unikernel]
name = "dns"
memory = 8

[[network]]
bridge = "xenbr0"
"#;

/// [`GOOD`] with `extra_unikernel` (lines) added to its `[unikernel]` table.
pub fn with(extra_unikernel: &str) -> String {
    GOOD.replace("memory = 8\n", &format!("memory = 8\n{extra_unikernel}\n"))
}

/// A new scratch folder, with a file `present.bin` and a folder `www/` for manifests to name.
/// (Tests run in parallel: every call gets its own folder.)
pub fn scratch(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "xenolith-manifest-{tag}-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("present.bin"), b"data").unwrap();
    dir
}

/// The manifest `text` (as if read from `test/Unikernel.toml`, its relative paths in a
/// [`scratch`] folder) with `overrides`, validated as xen-config does it.
pub fn check(text: &str, overrides: &Overrides) -> Result<Deployment, Error> {
    let base = scratch("base");
    let result = Manifest::parse(text, "test/Unikernel.toml", &base).and_then(|mut m| {
        m.apply(overrides)?;
        m.validate()
    });
    let _ = std::fs::remove_dir_all(&base);
    result
}
