//! `xen-config`: from an app's manifest to an xl config and libvirt domain XML.
//!
//! Filled by the "xen-config" capability (issue 6).
#![forbid(unsafe_code)]

fn main() {
    eprintln!("xen-config: not implemented yet (issue 6)");
    std::process::exit(2);
}
