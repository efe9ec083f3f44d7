//! `dns-zone` on zones signed at test time by BIND (`dnssec-signzone`), ldns
//! (`ldns-signzone`) and Knot (`kzonesign`): NSEC, NSEC3 and NSEC3 with opt-out, algorithms
//! ECDSA P-256 (13), Ed25519 (15) and RSA/SHA-256 (8). Each compiles from the file as the tool
//! wrote it (no `$ORIGIN`, no `--origin`), with the denial index the server needs; broken
//! copies are refused with the name and the line at fault.

mod signers;

use std::path::Path;
use std::process::Command;

use dns_zone::{Options, ZoneError, ZoneFile, compile, compile_with};
use signers::{Denial, Signer, Validity, sign};

fn file(path: &Path) -> ZoneFile {
    ZoneFile {
        path: path.to_path_buf(),
        origin: None,
    }
}

/// The denial index of the one zone of a compiled blob (see dns-zone-format's docs): kind,
/// then for NSEC3 iterations and salt, and the number of entries.
fn denial_index(blob: &[u8]) -> (u8, Option<(u16, Vec<u8>)>, u32) {
    let zone = usize::try_from(u32::from_be_bytes(blob[16..20].try_into().unwrap())).unwrap();
    let mut pos = zone;
    let skip_name = |pos: &mut usize| {
        while blob[*pos] != 0 {
            *pos += 1 + usize::from(blob[*pos]);
        }
        *pos += 1;
    };
    let u16_at = |pos: usize| u16::from_be_bytes([blob[pos], blob[pos + 1]]);
    let u32_at = |pos: usize| u32::from_be_bytes(blob[pos..pos + 4].try_into().unwrap());
    skip_name(&mut pos);
    let nodes = u32_at(pos);
    pos += 8;
    for _ in 0..nodes {
        skip_name(&mut pos);
        let rrsets = u16_at(pos);
        pos += 2;
        for _ in 0..rrsets {
            let count = u16_at(pos + 6);
            pos += 8;
            for _ in 0..count {
                pos += 2 + usize::from(u16_at(pos));
            }
        }
    }
    match blob[pos] {
        1 => (1, None, u32_at(pos + 1)),
        2 => {
            let iterations = u16_at(pos + 1);
            let salt_len = usize::from(blob[pos + 3]);
            let salt = blob[pos + 4..pos + 4 + salt_len].to_vec();
            (2, Some((iterations, salt)), u32_at(pos + 4 + salt_len))
        }
        kind => (kind, None, 0),
    }
}

/// The number of records of `rtype` in a zone file.
fn count_type(path: &Path, rtype: u16) -> u32 {
    let zone = dns_zone::parse(&file(path)).unwrap_or_else(|e| panic!("{e}"));
    zone.records.iter().filter(|r| r.rtype == rtype).count() as u32
}

#[track_caller]
fn compiles_with_its_chain(signer: Signer, algorithm: u8, denial: Denial) {
    let name = format!("{signer:?}-{algorithm}-{denial:?}").to_lowercase();
    let signed = sign(
        &signers::scratch(&name),
        signer,
        algorithm,
        denial,
        Validity::Default,
    );
    let blob = compile(&[file(&signed.path)]).unwrap_or_else(|e| {
        panic!(
            "{name}: {e}\n--- {} ---\n{}",
            signed.path.display(),
            signed.text
        )
    });
    let zone = dns_zone::parse(&file(&signed.path)).unwrap();
    assert_eq!(
        zone.name(),
        "example.com.",
        "{name}: the origin is the SOA owner"
    );
    let (kind, params, count) = denial_index(&blob);
    match denial {
        Denial::Nsec => {
            assert_eq!(kind, 1, "{name}: an NSEC index");
            assert_eq!(count, count_type(&signed.path, 47), "{name}");
        }
        Denial::Nsec3 | Denial::Nsec3OptOut => {
            assert_eq!(kind, 2, "{name}: an NSEC3 index");
            assert_eq!(count, count_type(&signed.path, 50), "{name}");
            let (iterations, _salt) = params.unwrap();
            let expected = match (signer, denial) {
                (Signer::Bind, Denial::Nsec3OptOut) => 2,
                (_, Denial::Nsec3OptOut) => 1,
                _ => 0,
            };
            assert_eq!(iterations, expected, "{name}");
        }
    }
    // 8 names and 3 empty non-terminals (`c`, `b.c`, `wild`). With opt-out, BIND and Knot leave the insecure
    // delegation `sub` without an NSEC3; ldns flags its NSEC3 records opt-out but keeps one
    // for every name.
    match (signer, denial) {
        (_, Denial::Nsec3) | (Signer::Ldns, Denial::Nsec3OptOut) => {
            assert_eq!(
                count, 11,
                "{name}: every name and empty non-terminal has an NSEC3"
            )
        }
        (_, Denial::Nsec3OptOut) => {
            assert_eq!(count, 10, "{name}: opt-out skips the insecure delegation")
        }
        (_, Denial::Nsec) => assert_eq!(count, 8, "{name}: every name has an NSEC"),
    }
}

#[test]
fn bind_signed_zones_compile() {
    compiles_with_its_chain(Signer::Bind, 13, Denial::Nsec);
    compiles_with_its_chain(Signer::Bind, 15, Denial::Nsec3);
    compiles_with_its_chain(Signer::Bind, 8, Denial::Nsec3OptOut);
}

#[test]
fn ldns_signed_zones_compile() {
    compiles_with_its_chain(Signer::Ldns, 15, Denial::Nsec);
    compiles_with_its_chain(Signer::Ldns, 8, Denial::Nsec3);
    compiles_with_its_chain(Signer::Ldns, 13, Denial::Nsec3OptOut);
}

#[test]
fn knot_signed_zones_compile() {
    compiles_with_its_chain(Signer::Knot, 8, Denial::Nsec);
    compiles_with_its_chain(Signer::Knot, 13, Denial::Nsec3);
    compiles_with_its_chain(Signer::Knot, 15, Denial::Nsec3OptOut);
}

/// The line (1-based) of the first line of `text` that starts with `owner` and a tab and
/// holds every one of `needles`.
#[track_caller]
fn line_of(text: &str, owner: &str, needles: &[&str]) -> usize {
    text.lines()
        .position(|line| {
            line.starts_with(&format!("{owner}\t")) && needles.iter().all(|n| line.contains(n))
        })
        .unwrap_or_else(|| panic!("no line of {owner} with {needles:?} in:\n{text}"))
        + 1
}

/// Writes `text` as a signed file next to the original and compiles it; its errors.
fn errors_of(name: &str, text: &str, options: &Options) -> ZoneError {
    let path = signers::scratch("broken").join(format!("{name}.zone.signed"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    compile_with(&[file(&path)], options).expect_err("the broken zone should not compile")
}

/// Asserts that one of the errors is at `line` and starts with `owner: ` and says `needle`.
#[track_caller]
fn assert_reported(err: &ZoneError, line: usize, owner: &str, needle: &str) {
    let found = err.diagnostics.iter().any(|d| {
        d.line == Some(line)
            && d.message.starts_with(&format!("{owner}: "))
            && d.message.contains(needle)
    });
    assert!(
        found,
        "expected an error at line {line} on {owner} saying '{needle}', got:\n{err}"
    );
    // And in the FILE:LINE: NAME: form.
    assert!(
        err.to_string().contains(&format!(":{line}: {owner}: ")),
        "{err}"
    );
}

#[test]
fn broken_nsec_zones_are_refused_at_the_name_and_line() {
    // ldns writes one record per line, which makes surgery simple.
    let signed = sign(
        &signers::scratch("ldns-broken-nsec"),
        Signer::Ldns,
        13,
        Denial::Nsec,
        Validity::Default,
    );
    let options = Options::default();
    let text = &signed.text;

    // A deleted NSEC record: the name is reported at its first record.
    let nsec = line_of(text, "www.example.com.", &["\tNSEC\t"]);
    let broken: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| i + 1 != nsec)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let err = errors_of("deleted-nsec", &broken, &options);
    let www = line_of(&broken, "www.example.com.", &["\tA\t"]);
    assert_reported(&err, www, "www.example.com.", "no NSEC record");

    // A changed next name.
    let line = line_of(text, "ns1.example.com.", &["\tNSEC\t"]);
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                let mut fields: Vec<&str> = l.split('\t').collect();
                let data = fields[4].split(' ').skip(1).collect::<Vec<_>>().join(" ");
                let replaced = format!("zzz.example.com. {data}");
                fields[4] = &replaced;
                format!("{}\n", fields.join("\t"))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let err = errors_of("changed-next", &broken, &options);
    assert_reported(
        &err,
        line,
        "ns1.example.com.",
        "next name is zzz.example.com.",
    );

    // A deleted RRSIG: the RRset it covered has none.
    let rrsig = line_of(text, "www.example.com.", &["\tRRSIG\tA "]);
    let broken: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| i + 1 != rrsig)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let err = errors_of("deleted-rrsig", &broken, &options);
    let www = line_of(&broken, "www.example.com.", &["\tA\t"]);
    assert_reported(&err, www, "www.example.com.", "the A RRset has no RRSIG");

    // A record added after signing: unsigned, and missing from the chain.
    let broken = format!("{text}new.example.com.\t300\tIN\tA\t192.0.2.99\n");
    let err = errors_of("added-record", &broken, &options);
    let new = broken.lines().count();
    assert_reported(&err, new, "new.example.com.", "no NSEC record");
    assert_reported(&err, new, "new.example.com.", "the A RRset has no RRSIG");
}

#[test]
fn broken_nsec3_zones_are_refused_at_the_name_and_line() {
    let signed = sign(
        &signers::scratch("ldns-broken-nsec3"),
        Signer::Ldns,
        15,
        Denial::Nsec3,
        Validity::Default,
    );
    let text = &signed.text;
    // The NSEC3 of `www`: its hash, from a line whose bitmap is "A RRSIG" is ambiguous, so
    // find the NSEC3 that the chain check would miss: delete the first NSEC3 record and its
    // signature.
    let nsec3 = text
        .lines()
        .position(|l| l.contains("\tNSEC3\t"))
        .expect("an NSEC3 record")
        + 1;
    let owner = text
        .lines()
        .nth(nsec3 - 1)
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let broken: String = text
        .lines()
        .filter(|l| !l.starts_with(&format!("{owner}\t")))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = errors_of("deleted-nsec3", &broken, &Options::default());
    let message = err.to_string();
    assert!(message.contains("the chain is broken"), "{message}");
    assert!(message.contains("no NSEC3 record for"), "{message}");
    assert!(
        err.diagnostics.iter().all(|d| d.line.is_some()),
        "every problem has its line: {message}"
    );
}

#[test]
fn expired_and_expiring_signatures_are_refused() {
    for signer in [Signer::Bind, Signer::Ldns, Signer::Knot] {
        let name = format!("{signer:?}-expired").to_lowercase();
        let signed = sign(
            &signers::scratch(&name),
            signer,
            13,
            Denial::Nsec,
            Validity::Expired,
        );
        let err = compile(&[file(&signed.path)]).expect_err("expired signatures");
        let first = &err.diagnostics[0];
        assert!(first.message.contains("expired on"), "{name}: {err}");
        let line = first.line.expect("a line");
        let written = signed.text.lines().nth(line - 1).unwrap_or_default();
        assert!(
            written.contains("RRSIG"),
            "{name}: line {line} is not an RRSIG's: {written}"
        );
    }

    // Fresh signatures, but a margin longer than their validity (14 to 30 days).
    let signed = sign(
        &signers::scratch("bind-margin"),
        Signer::Bind,
        13,
        Denial::Nsec,
        Validity::Default,
    );
    let options = Options {
        sig_margin: 60 * 86400,
        now: None,
    };
    let err = compile_with(&[file(&signed.path)], &options).expect_err("within the margin");
    assert!(
        err.diagnostics
            .iter()
            .all(|d| d.message.contains("within the margin of 60d")),
        "{err}"
    );
    // BIND continues an RRSIG in parentheses: the line is the RRSIG's first.
    let first = err.diagnostics[0].line.unwrap();
    assert!(
        signed
            .text
            .lines()
            .nth(first - 1)
            .unwrap()
            .contains("RRSIG"),
        "{err}"
    );
    // A clock set back before the inception: not yet valid.
    let options = Options {
        sig_margin: 0,
        now: Some(1_000_000_000),
    };
    let err = compile_with(&[file(&signed.path)], &options).expect_err("not yet valid");
    assert!(err.to_string().contains("is not valid before"), "{err}");
}

#[test]
fn command_line_takes_a_signed_file_as_written() {
    let signed = sign(
        &signers::scratch("cli"),
        Signer::Bind,
        13,
        Denial::Nsec3OptOut,
        Validity::Default,
    );
    let exe = env!("CARGO_BIN_EXE_dns-zone");
    let out = signed.path.with_extension("bin");
    let run = Command::new(exe)
        .arg("-o")
        .arg(&out)
        .arg(&signed.path)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let run = Command::new(exe)
        .args(["--check", "--sig-margin", "90d"])
        .arg(&signed.path)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("within the margin of 90d"), "{stderr}");
}
