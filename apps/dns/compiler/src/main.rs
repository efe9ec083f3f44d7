//! `dns-zone`: compiles RFC 1035 zone files into the zone set the `dns` server loads.
//!
//! ```text
//! dns-zone [--origin NAME] [--sig-margin DURATION] -o OUT.bin ZONEFILE [ZONEFILE...]
//! dns-zone --check [--origin NAME] [--sig-margin DURATION] ZONEFILE [ZONEFILE...]
//! ```
//! Each file is one zone. Exit status 0 on success; on errors, 1 with every error on stderr as
//! `FILE:LINE: message`; 2 for a bad command line.

use std::path::PathBuf;
use std::process::ExitCode;

use dns_zone::{Options, ZoneFile};

const USAGE: &str = "\
usage: dns-zone [--origin NAME] [--sig-margin DURATION] -o OUT.bin ZONEFILE [ZONEFILE...]
       dns-zone --check [--origin NAME] [--sig-margin DURATION] ZONEFILE [ZONEFILE...]

Compiles RFC 1035 zone files (one zone per file) into one compiled zone set for the dns server.
Zones signed by dnssec-signzone, ldns-signzone or Knot (NSEC or NSEC3, opt-out included) are
taken as these tools write them, and checked: the NSEC/NSEC3 chain, an RRSIG by the zone on
every authoritative RRset, and the signatures' validity times (not the signatures' crypto).
  -o, --output OUT.bin     where to write the compiled zone set
  --check                  only check the files; write nothing
  --origin NAME            the zone's name (and initial $ORIGIN) of the file(s) after it;
                           default: the file's leading $ORIGIN, else its SOA owner if written
                           in full, else its name without .signed, then without .zone/.db
  --sig-margin DURATION    refuse signatures that expire within DURATION from now (seconds,
                           or like 3d, 12h, 1d12h; default 3d). Now is the system clock, or
                           SOURCE_DATE_EPOCH when set
  -h, --help               this help
Errors are printed as FILE:LINE: message; the exit status is then 1.";

struct Args {
    output: Option<PathBuf>,
    check: bool,
    options: Options,
    files: Vec<ZoneFile>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out = Args {
        output: None,
        check: false,
        options: Options::default(),
        files: Vec::new(),
    };
    let mut origin: Option<String> = None;
    let mut args = args.peekable();
    let mut only_files = false;
    while let Some(arg) = args.next() {
        if only_files || !arg.starts_with('-') || arg == "-" {
            out.files.push(ZoneFile {
                path: arg.into(),
                origin: origin.clone(),
            });
            continue;
        }
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--check" => out.check = true,
            "-o" | "--output" => {
                let v = args.next().ok_or(format!("{arg} needs a file name"))?;
                if out.output.replace(v.into()).is_some() {
                    return Err("-o given twice".into());
                }
            }
            "--origin" => origin = Some(args.next().ok_or("--origin needs a domain name")?),
            "--sig-margin" => {
                let v = args
                    .next()
                    .ok_or("--sig-margin needs a duration (like 3d)")?;
                out.options.sig_margin =
                    dns_zone::parse_duration(&v).map_err(|e| format!("--sig-margin: {e}"))?;
            }
            "--" => only_files = true,
            _ => {
                if let Some(v) = arg.strip_prefix("--origin=") {
                    origin = Some(v.to_string());
                } else if let Some(v) = arg.strip_prefix("--sig-margin=") {
                    out.options.sig_margin =
                        dns_zone::parse_duration(v).map_err(|e| format!("--sig-margin: {e}"))?;
                } else if let Some(v) = arg.strip_prefix("--output=") {
                    out.output = Some(v.into());
                } else {
                    return Err(format!("unknown option {arg}"));
                }
            }
        }
    }
    if out.files.is_empty() {
        return Err("no zone file given".into());
    }
    match (out.check, &out.output) {
        (false, None) => Err("give -o OUT.bin (or --check to only check)".into()),
        (true, Some(_)) => Err("--check writes nothing: drop -o".into()),
        _ => Ok(Some(out)),
    }
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("dns-zone: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let blob = match dns_zone::compile_with(&args.files, &args.options) {
        Ok(blob) => blob,
        Err(e) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            let n = e.diagnostics.len();
            eprintln!("dns-zone: {n} error{}", if n == 1 { "" } else { "s" });
            return ExitCode::FAILURE;
        }
    };
    if let Some(out) = args.output {
        if let Err(e) = std::fs::write(&out, &blob) {
            eprintln!("dns-zone: cannot write {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
        eprintln!(
            "dns-zone: {} zone(s) compiled into {} ({} bytes)",
            args.files.len(),
            out.display(),
            blob.len()
        );
    } else {
        eprintln!("dns-zone: {} zone file(s) OK", args.files.len());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Args>, String> {
        parse_args(s.split_whitespace().map(String::from))
    }

    #[test]
    fn command_lines() {
        let a = parse("-o out.bin a.zone --origin b.test b.zone")
            .unwrap()
            .unwrap();
        assert_eq!(a.output, Some("out.bin".into()));
        assert_eq!(a.files[0].origin, None);
        assert_eq!(a.files[1].origin.as_deref(), Some("b.test"));
        assert!(parse("--check a.zone").unwrap().unwrap().check);
        assert!(parse("--help").unwrap().is_none());
        assert!(parse("a.zone").is_err());
        assert!(parse("-o x").is_err());
        assert!(parse("--check -o x a.zone").is_err());
        assert!(parse("--bogus a.zone").is_err());
        let a = parse("--sig-margin 1d12h --check a.zone").unwrap().unwrap();
        assert_eq!(a.options.sig_margin, 36 * 3600);
        let a = parse("--sig-margin=600 --check a.zone").unwrap().unwrap();
        assert_eq!(a.options.sig_margin, 600);
        assert_eq!(
            parse("--check a.zone").unwrap().unwrap().options.sig_margin,
            3 * 86400
        );
        assert!(parse("--sig-margin 3x --check a.zone").is_err());
        assert!(parse("--check a.zone --sig-margin").is_err());
    }
}
