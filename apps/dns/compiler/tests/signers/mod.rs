//! Signs a test zone at test time with the real tools: BIND's `dnssec-keygen` and
//! `dnssec-signzone` (Debian package bind9-utils), `ldns-keygen` and `ldns-signzone`
//! (ldnsutils), Knot's `kzonesign` (knot-dnssecutils; it makes its own keys in a KASP
//! directory from a small configuration file, so `keymgr` is not needed). Signed zones are
//! never committed: their signatures would expire.
//!
//! Shared by `dns-zone`'s tests and `dns`'s (`#[path]`-included there).
#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Command;

/// The zone every signer signs: a delegation with DS (secure) and one without (insecure,
/// which opt-out may skip), glue, an empty non-terminal (`b.c`, `c`), a wildcard, a BIND
/// private-type record in the generic form, TXT in parentheses with a comment.
pub const ZONE: &str = "\
$TTL 300
example.com. IN SOA ns1.example.com. hostmaster.example.com. ( 1 ; serial
    3600 600 86400 300 )
example.com. IN NS ns1.example.com.
example.com. IN MX 10 mail.example.com.
example.com. IN TYPE65534 \\# 5 0D12340001
ns1.example.com. IN A 192.0.2.1
mail.example.com. IN AAAA 2001:db8::25
www.example.com. IN A 192.0.2.2
a.b.c.example.com. IN TXT ( \"an empty\" \"non-terminal above\" )
sub.example.com. IN NS ns.sub.example.com.
ns.sub.example.com. IN A 192.0.2.3
secure.example.com. IN NS ns.secure.example.com.
secure.example.com. IN DS 12345 13 2 ( 0123456789abcdef0123456789abcdef
    0123456789abcdef0123456789abcdef )
ns.secure.example.com. IN A 192.0.2.4
*.wild.example.com. IN A 192.0.2.5
";

/// The zone's name.
pub const APEX: &str = "example.com";

/// Which tool signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Bind,
    Ldns,
    Knot,
}

/// How the zone denies existence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    Nsec3,
    /// NSEC3 with the opt-out flag (insecure delegations get no NSEC3).
    Nsec3OptOut,
}

/// When the signatures are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// The tool's default: from about now for weeks.
    Default,
    /// From 30 days ago until 1 day ago: expired.
    Expired,
}

/// A zone signed by a tool.
#[derive(Debug)]
pub struct Signed {
    /// The signed file, as the tool named it.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

/// The algorithm's name in each tool's spelling, and an RSA key size.
fn algorithm(number: u8) -> (&'static str, &'static str, Option<&'static str>) {
    match number {
        8 => ("RSASHA256", "rsasha256", Some("2048")),
        13 => ("ECDSAP256SHA256", "ecdsap256sha256", None),
        15 => ("ED25519", "ed25519", None),
        _ => panic!("no test signer set up for algorithm {number}"),
    }
}

/// Where Debian puts a tool (`/usr/sbin` may be missing from a non-root PATH).
fn tool(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!(
        "{name} is not installed: these tests sign zones with it. Install it with \
         `apt-get install {package}` (scripts/test does)."
    );
}

/// Runs a command (at most 120 s) in `dir`; its stdout, or a panic with its output.
fn run(dir: &Path, program: &Path, args: &[&str]) -> String {
    let output = Command::new("timeout")
        .arg("120")
        .arg(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {} failed ({}):\n{}{}",
        program.display(),
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Seconds since 1970 now.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

/// Signs [`ZONE`] in a fresh directory `dir` (removed first) with `signer`, algorithm
/// `algorithm` (8, 13 or 15), `denial` and `validity`.
pub fn sign(
    dir: &Path,
    signer: Signer,
    algorithm_number: u8,
    denial: Denial,
    validity: Validity,
) -> Signed {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("create the signing directory");
    let (upper, lower, bits) = algorithm(algorithm_number);
    let unsigned = dir.join("example.com.zone");
    std::fs::write(&unsigned, ZONE).expect("write the unsigned zone");
    let path = match signer {
        Signer::Bind => {
            let keygen = tool("dnssec-keygen", "bind9-utils");
            let mut zone = ZONE.to_string();
            for ksk in [true, false] {
                let mut args = vec!["-q", "-K", ".", "-a", upper, "-n", "ZONE"];
                if let Some(bits) = bits {
                    args.extend(["-b", bits]);
                }
                if ksk {
                    args.extend(["-f", "KSK"]);
                }
                args.push(APEX);
                let key = run(dir, &keygen, &args);
                zone.push_str(&format!("$INCLUDE {}.key\n", key.trim()));
            }
            std::fs::write(&unsigned, zone).expect("write the zone with its keys");
            let mut args = vec!["-q", "-K", ".", "-o", APEX];
            match denial {
                Denial::Nsec => {}
                Denial::Nsec3 => args.extend(["-3", "-", "-H", "0"]),
                Denial::Nsec3OptOut => args.extend(["-3", "a1b2c3d4", "-H", "2", "-A"]),
            }
            if validity == Validity::Expired {
                // -P: no verification after signing, which would refuse expired signatures.
                args.extend(["-P", "-s", "now-30d", "-e", "now-1d"]);
            }
            args.push("example.com.zone");
            run(dir, &tool("dnssec-signzone", "bind9-utils"), &args);
            dir.join("example.com.zone.signed")
        }
        Signer::Ldns => {
            let keygen = tool("ldns-keygen", "ldnsutils");
            let mut keys = Vec::new();
            for ksk in [true, false] {
                let mut args = vec!["-a", upper];
                if let Some(bits) = bits {
                    args.extend(["-b", bits]);
                }
                if ksk {
                    args.push("-k");
                }
                args.push(APEX);
                keys.push(run(dir, &keygen, &args).trim().to_string());
            }
            let mut args: Vec<String> = vec!["-o".into(), APEX.into()];
            match denial {
                Denial::Nsec => {}
                Denial::Nsec3 => args.extend(["-n", "-t", "0"].map(String::from)),
                Denial::Nsec3OptOut => {
                    args.extend(["-n", "-p", "-s", "beef", "-t", "1"].map(String::from))
                }
            }
            if validity == Validity::Expired {
                args.extend([
                    "-i".into(),
                    (now() - 30 * 86400).to_string(),
                    "-e".into(),
                    (now() - 86400).to_string(),
                ]);
            }
            args.push("example.com.zone".into());
            args.extend(keys);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(dir, &tool("ldns-signzone", "ldnsutils"), &args);
            dir.join("example.com.zone.signed")
        }
        Signer::Knot => {
            let nsec3 = match denial {
                Denial::Nsec => "    nsec3: off\n".to_string(),
                Denial::Nsec3 => {
                    "    nsec3: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 0\n".into()
                }
                Denial::Nsec3OptOut => "    nsec3: on\n    nsec3-iterations: 1\n    nsec3-salt-length: 8\n    nsec3-opt-out: on\n".into(),
            };
            let bits = bits.map_or(String::new(), |b| {
                format!("    ksk-size: {b}\n    zsk-size: {b}\n")
            });
            let d = dir.display();
            let config = format!(
                "server:\n    rundir: {d}\ndatabase:\n    storage: {d}\n    kasp-db: {d}/kasp\n\
                 policy:\n  - id: test\n    algorithm: {lower}\n{bits}{nsec3}\
                 zone:\n  - domain: {APEX}\n    storage: {d}\n    file: example.com.zone\n    \
                 dnssec-signing: on\n    dnssec-policy: test\n"
            );
            std::fs::write(dir.join("knot.conf"), config).expect("write knot.conf");
            let out = dir.join("signed");
            let out_text = out.display().to_string();
            let mut args = vec!["-c", "knot.conf", "-o", &out_text];
            // Signing "30 days ago" gives signatures that expired 16 days ago (Knot's
            // default lifetime is 14 days).
            let past = (now() - 30 * 86400).to_string();
            if validity == Validity::Expired {
                args.extend(["-t", &past]);
            }
            args.push(APEX);
            run(dir, &tool("kzonesign", "knot-dnssecutils"), &args);
            out.join("example.com.zone")
        }
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the signed zone {}: {e}", path.display()));
    Signed { path, text }
}

/// A scratch directory under the target directory for one signing.
pub fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("signed-zones")
        .join(name)
}
