//! `manifest-run MANIFEST`: prints an app's `[run]` table (how `scripts/run` boots it here) as
//! `KEY VALUE` lines, one item a line, after checking the whole manifest: `network 0|1`,
//! `forward HOST:GUEST`, `client COMMAND:PACKAGE`, `try TEXT`, `cmdline TEXT`,
//! `xen_ready REGEX`, `xen_try COMMAND`, `xen_file PATH`. On a bad manifest: the error, status 2.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(path), None) = (args.next(), args.next()) else {
        eprintln!("usage: manifest-run apps/APP/Unikernel.toml");
        return ExitCode::from(2);
    };
    let result = xenolith_manifest::Manifest::read(&PathBuf::from(&path)).and_then(|manifest| {
        manifest.validate()?;
        manifest.run()
    });
    match result {
        Ok(run) => {
            for line in run.lines() {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(2)
        }
    }
}
