//! xen-config's own errors: the manifest's come through with their text (the manifest's
//! errors one by one are tested in manifest/tests/errors.rs), a bad override is a usage error,
//! paths that a config cannot hold are refused, and the command writes nothing when the
//! manifest is invalid.

use std::path::Path;
use std::process::Command;

use xen_config::{Error, Overrides};
use xenolith_manifest::testing::{GOOD, scratch, with};

/// The manifest `text` with `overrides`, validated as the command does it.
fn check(text: &str, overrides: &Overrides) -> Result<xen_config::Deployment, Error> {
    xenolith_manifest::testing::check(text, overrides).map_err(Error::from)
}

#[test]
fn manifest_errors_keep_their_text() {
    let e = check(
        &GOOD.replace("memory = 8", "memory = 2"),
        &Overrides::default(),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Manifest(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "test/Unikernel.toml: [unikernel] memory: must be a whole number of MiB from 4 to 1048576, e.g. memory = 16; got 2"
    );
    let e = check("[unikernel\nname = 1", &Overrides::default()).unwrap_err();
    assert!(e.to_string().contains("is not valid TOML"), "{e}");
    let o = Overrides {
        memory: Some("lots".into()),
        ..Overrides::default()
    };
    match check(GOOD, &o) {
        Err(e @ Error::Usage(_)) => assert_eq!(
            e.to_string(),
            "--memory takes a whole number of MiB, e.g. --memory 16; got \"lots\" (see xen-config --help)"
        ),
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn quotes_and_backslashes_are_escaped() {
    let d = check(
        &with(r#"cmdline = 'motd="hi there" path=a\b'"#),
        &Overrides::default(),
    )
    .unwrap();
    let placement = xen_config::Placement::absolute("m", Path::new("/k/dns"), None).unwrap();
    let out = xen_config::render(&d, &placement).unwrap();
    assert!(
        out.xl.contains(r#"extra = "motd=\"hi there\" path=a\\b""#),
        "{}",
        out.xl
    );
    assert!(
        out.xml
            .contains("<cmdline>motd=&quot;hi there&quot; path=a\\b</cmdline>"),
        "{}",
        out.xml
    );
}

#[test]
fn relative_paths_need_the_image_beside_the_config() {
    let p = xen_config::Placement::absolute("m", Path::new("/d/dns"), None).unwrap();
    let r = p.clone().relative_to(Path::new("/d")).unwrap();
    assert_eq!(r.xl_kernel, Path::new("dns"));
    assert_eq!(r.kernel, Path::new("/d/dns"));
    assert!(p.relative_to(Path::new("/elsewhere")).is_err());
    assert!(xen_config::Placement::absolute("m", Path::new("dns"), None).is_err());
}

fn xen_config_command(dir: &Path, manifest: &str, args: &[&str]) -> std::process::Output {
    std::fs::write(dir.join("Unikernel.toml"), manifest).unwrap();
    Command::new(env!("CARGO_BIN_EXE_xen-config"))
        .arg(dir.join("Unikernel.toml"))
        .arg("--out-dir")
        .arg(dir.join("out"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_writes_both_files_or_nothing() {
    let dir = scratch("cli");
    let out = xen_config_command(&dir, &GOOD.replace("memory = 8", "memory = 2"), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[unikernel] memory: must be a whole number of MiB from 4"),
        "{stderr}"
    );
    assert!(
        !dir.join("out").exists(),
        "an invalid manifest wrote output"
    );

    let out = xen_config_command(&dir, GOOD, &["--memory", "12", "--ip", "10.0.0.2/24"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xl = std::fs::read_to_string(dir.join("out/dns.xl")).unwrap();
    let kernel = dir.join("out/dns");
    assert!(xl.contains("memory = 12\n"), "{xl}");
    assert!(xl.contains("extra = \"ip=10.0.0.2/24\"\n"), "{xl}");
    assert!(
        xl.contains(&format!("kernel = \"{}\"\n", kernel.display())),
        "{xl}"
    );
    assert!(dir.join("out/dns.xml").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let out = xen_config_command(&dir, GOOD, &["--relative"]);
    assert!(out.status.success());
    let xl = std::fs::read_to_string(dir.join("out/dns.xl")).unwrap();
    assert!(xl.contains("kernel = \"dns\"\n"), "{xl}");

    let out = xen_config_command(&dir, GOOD, &["--no-such-option"]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
