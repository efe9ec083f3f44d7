//! `manifest`: the manifest reader of xen-config (`Manifest::parse` and `validate`, TOML in,
//! a checked deployment out), then both configs rendered from what validates.
//!
//! Input: the manifest's text (inputs that are not UTF-8 are skipped: the reader takes a
//! `&str`). Paths in it are relative to apps/dns, so the example data files exist.
//!
//! (The reader moves to the `xenolith-manifest` crate, manifest/; this target then follows it.)

use std::path::Path;

use xen_config::{Manifest, Placement, render};

/// Runs one input.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let base = crate::repository().join("apps/dns");
    let Ok(manifest) = Manifest::parse(text, "fuzz/Unikernel.toml", &base) else {
        return;
    };
    let Ok(deployment) = manifest.validate() else {
        return;
    };
    let module = deployment.module.clone().map(|m| base.join(m));
    let placement = Placement::absolute(
        "fuzz/Unikernel.toml",
        Path::new("/srv/xenolith/image"),
        module.as_deref(),
    );
    if let Ok(placement) = placement {
        let _ = render(&deployment, &placement);
    }
}

/// Every app's manifest, and a few more shapes.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = crate::repository();
    let mut seeds = Vec::new();
    for app in ["dns", "dns-tls", "echo", "hello", "https"] {
        let text = std::fs::read(root.join("apps").join(app).join("Unikernel.toml"))
            .expect("every app has a manifest");
        seeds.push((format!("{app}-Unikernel.toml"), text));
    }
    seeds.push((
        "full.toml".into(),
        b"[unikernel]\nname = \"full\"\nmemory = 64\nvcpus = 1\ncmdline = \"loglevel=debug motd=\\\"a b\\\"\"\n\
          on_poweroff = \"destroy\"\non_reboot = \"restart\"\non_crash = \"preserve\"\n\n\
          [[network]]\nbridge = \"xenbr0\"\nmac = \"00:16:3e:12:34:56\"\nip = \"dhcp\"\n\n\
          [boot]\nmodule = \"zones/example.test.zone\"\n\n[data]\nzones = [\"zones/example.test.zone\"]\n"
            .to_vec(),
    ));
    seeds
}
