//! Golden files: the xl config and libvirt XML of every app (`apps/*/Unikernel.toml`) as
//! deployed to the fixed folder `/srv/xenolith/APP/`, compared byte for byte with
//! `tests/golden/APP.xl` and `APP.xml`; every XML must pass `virt-xml-validate` (Debian
//! `libvirt-clients` + `libxml2-utils`, installed by ./scripts/test).
//!
//! An app without golden files fails the test. After a deliberate change, or for a new app,
//! write them with `XEN_CONFIG_BLESS=1 cargo test -p xen-config --test golden` and review the
//! diff before committing.

use std::path::{Path, PathBuf};
use std::process::Command;

use xen_config::{Manifest, Placement};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Every app with a manifest, sorted.
fn apps() -> Vec<String> {
    let mut apps: Vec<String> = std::fs::read_dir(root().join("apps"))
        .expect("apps/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Unikernel.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    apps.sort();
    apps
}

/// The configs of `app` as deployed to `/srv/xenolith/APP/`.
fn generate(app: &str) -> Result<xen_config::Outputs, String> {
    let dir = root().join("apps").join(app);
    let label = format!("apps/{app}/Unikernel.toml");
    let text = std::fs::read_to_string(dir.join("Unikernel.toml")).map_err(|e| e.to_string())?;
    let manifest = Manifest::parse(&text, &label, &dir).map_err(|e| e.to_string())?;
    let deployment = manifest.validate().map_err(|e| e.to_string())?;
    let deploy = Path::new("/srv/xenolith").join(app);
    let kernel = deploy.join(&deployment.name);
    let module = deployment
        .module
        .as_ref()
        .map(|m| deploy.join(m.file_name().expect("a module is a file")));
    let placement =
        Placement::absolute(&label, &kernel, module.as_deref()).map_err(|e| e.to_string())?;
    xen_config::render(&deployment, &placement).map_err(|e| e.to_string())
}

fn validate_xml(path: &Path) -> Result<(), String> {
    let out = Command::new("virt-xml-validate")
        .arg(path)
        .arg("domain")
        .output()
        .map_err(|e| {
            format!(
                "cannot run virt-xml-validate ({e}): install Debian's libvirt-clients and libxml2-utils (./scripts/test does)"
            )
        })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} does not validate:\n{}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

#[test]
fn every_app_matches_its_golden_files() {
    let bless = std::env::var_os("XEN_CONFIG_BLESS").is_some_and(|v| v == "1");
    let apps = apps();
    assert!(
        apps.len() >= 3,
        "expected the manifests of hello, echo and dns at least; found {apps:?}"
    );
    let mut failures = Vec::new();
    for app in &apps {
        let outputs = match generate(app) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{app}: {e}"));
                continue;
            }
        };
        for (ext, text) in [("xl", &outputs.xl), ("xml", &outputs.xml)] {
            let path = golden_dir().join(format!("{app}.{ext}"));
            if bless {
                std::fs::create_dir_all(golden_dir()).unwrap();
                std::fs::write(&path, text).unwrap();
                eprintln!("blessed {}", path.display());
            }
            match std::fs::read_to_string(&path) {
                Ok(golden) if golden == *text => {}
                Ok(golden) => failures.push(format!(
                    "{app}: {} differs from the generated {ext}:\n--- golden\n{golden}--- generated\n{text}",
                    path.display()
                )),
                Err(_) => failures.push(format!(
                    "{app}: no golden file {} (write it with XEN_CONFIG_BLESS=1 cargo test -p xen-config --test golden)",
                    path.display()
                )),
            }
        }
        let scratch = std::env::temp_dir().join(format!(
            "xen-config-golden-{}-{app}.xml",
            std::process::id()
        ));
        std::fs::write(&scratch, &outputs.xml).unwrap();
        let valid = validate_xml(&scratch);
        let _ = std::fs::remove_file(&scratch);
        if let Err(e) = valid {
            failures.push(format!("{app}: {e}"));
        }
    }
    // Golden files of apps that no longer exist.
    for entry in std::fs::read_dir(golden_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        if !apps.iter().any(|a| a == stem) {
            failures.push(format!(
                "golden file {name} belongs to no app with a manifest: delete it"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_validator_rejects_a_broken_domain() {
    // virt-xml-validate really checks: a golden test that cannot fail proves nothing.
    let mut outputs = generate("hello").expect("hello's manifest is valid");
    outputs.xml = outputs.xml.replace(">xenpvh</type>", ">no-such-os</type>");
    let scratch =
        std::env::temp_dir().join(format!("xen-config-broken-{}.xml", std::process::id()));
    std::fs::write(&scratch, &outputs.xml).unwrap();
    let result = validate_xml(&scratch);
    let _ = std::fs::remove_file(&scratch);
    assert!(
        result.is_err(),
        "a domain with <type>no-such-os</type> validated"
    );
}
