//! Compiles the site the manifest (`Unikernel.toml`, `[data] root`) names into
//! `$OUT_DIR/site.bin`, and its TLS certificate and key (`[data] certificate`, `key`) into
//! `$OUT_DIR/identity.bin`, which the image embeds. Every file under the root is served at its
//! path relative to the root; names starting with '.' are skipped. The manifest is read by
//! `xenolith-manifest`; tables and keys other than `[data] root`, `certificate` and `key` are
//! left to other tools (xen-config).
use std::path::{Path, PathBuf};

use https_site_format as compiled;
use xenolith_manifest::{Error, FILE_NAME, Manifest};

fn main() {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let manifest_path = dir.join(FILE_NAME);
    println!("cargo:rerun-if-changed={}", manifest_path.display());
    let root = Manifest::read(&manifest_path)
        .and_then(|m| m.site_root())
        .unwrap_or_else(|e| match e {
            Error::Read { source, .. } => {
                panic!("cannot read {}: {source}", manifest_path.display())
            }
            Error::Toml { message, .. } => {
                panic!("{}: not valid TOML: {message}", manifest_path.display())
            }
            e => panic!("{e}"),
        });
    let mut builder = compiled::SiteBuilder::new();
    let mut count = 0;
    add_directory(&root, &root, &mut builder, &mut count)
        .unwrap_or_else(|e| panic!("compiling the site in {}: {e}", root.display()));
    if count == 0 {
        panic!(
            "{}: the site root {} holds no files: put the site's files there",
            manifest_path.display(),
            root.display()
        );
    }
    let out = Path::new(&std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("site.bin");
    std::fs::write(&out, builder.finish())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
    // The TLS identity: `[data] certificate` and `key`, checked, as `$OUT_DIR/identity.bin`.
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    tls_keygen::build_identity(&dir, &out_dir).unwrap_or_else(|e| panic!("{e}"));
}

fn add_directory(
    root: &Path,
    dir: &Path,
    builder: &mut compiled::SiteBuilder,
    count: &mut usize,
) -> Result<(), String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot read the directory {}: {e}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(format!(
                "{}: a file name that is not UTF-8",
                entry.path().display()
            ));
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let metadata =
            std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if metadata.is_dir() {
            add_directory(root, &path, builder, count)?;
        } else if metadata.is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
            let relative = path.strip_prefix(root).map_err(|e| e.to_string())?;
            let url: Vec<&str> = relative
                .components()
                .map(|c| c.as_os_str().to_str().unwrap_or(""))
                .collect();
            let url = format!("/{}", url.join("/"));
            let body =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            builder.add(&url, &body).map_err(|e| e.to_string())?;
            *count += 1;
        }
    }
    Ok(())
}
