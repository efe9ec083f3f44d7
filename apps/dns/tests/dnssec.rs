//! Differential test for signed zones: the test zones signed at test time with BIND's
//! `dnssec-signzone` (NSEC; NSEC3 with a salt and iterations; NSEC3 with opt-out), served by
//! Knot DNS as they are and by `dns::respond` from the compiled zone set; every query of
//! `tests/queries.txt` with and without the DO bit, with small UDP buffers for truncation, and
//! pseudo-random ones, compared as in `differential.rs` (RRSIG, NSEC and NSEC3 records
//! included, record by record).
//!
//! A second test does the same for one zone signed by each signer the compiler takes — BIND
//! (ECDSA P-256, NSEC3 with opt-out), ldns (Ed25519, NSEC3) and Knot (RSA/SHA-256, NSEC) —
//! with questions about every name of that zone and around it, with DO.
//!
//! Needs `dnssec-keygen` and `dnssec-signzone` (Debian's bind9-utils), `ldns-signzone`
//! (ldnsutils), `kzonesign` (knot-dnssecutils), `knotd` (knot) and `nsd`: `./scripts/test`
//! installs them. Reports go to
//! `target/tmp/dns-dnssec-*.txt`.

mod common;
#[path = "../compiler/tests/signers/mod.rs"]
mod signers;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::TEST_ZONES;
use common::compare::{Case, compare, query_file, random_cases};
use common::knot::{Knot, find, find_knotd};

/// How a flavour of the test zones is signed: extra `dnssec-signzone` arguments.
const FLAVOURS: &[(&str, &[&str])] = &[
    ("nsec", &[]),
    ("nsec3", &["-3", "aabbccdd", "-H", "3"]),
    ("nsec3-optout", &["-3", "-", "-H", "0", "-A"]),
];

/// Runs a command; panics with its output if it fails.
#[track_caller]
fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (./scripts/test installs it)"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{command:?} failed:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Signs every test zone in `dir` with one ECDSA P-256 key each (a KSK that signs everything,
/// `-z`), children first so that the parent takes their DS records (`-g`, from the
/// `dsset-` files). Returns the signed files with their zone names.
fn sign_test_zones(dir: &Path, extra: &[&str]) -> Vec<(PathBuf, String)> {
    // child.main.test. before main.test.: the parent's signing reads the child's dsset.
    let mut order: Vec<&(&str, &str)> = TEST_ZONES.iter().collect();
    order.sort_by_key(|(_, zone)| std::cmp::Reverse(zone.matches('.').count()));
    let mut signed = Vec::new();
    for (file, zone) in order {
        let source = dir.join(file);
        std::fs::copy(common::zone_path(file), &source).expect("copy a test zone");
        run(Command::new("dnssec-keygen")
            .current_dir(dir)
            .args([
                "-q",
                "-K",
                ".",
                "-a",
                "ECDSAP256SHA256",
                "-f",
                "KSK",
                "-n",
                "ZONE",
            ])
            .arg(zone));
        let output = dir.join(format!("{file}.signed"));
        run(Command::new("dnssec-signzone")
            .current_dir(dir)
            .args([
                "-q", "-S", "-z", "-g", "-K", ".", "-d", ".", "-o", zone, "-f",
            ])
            .arg(&output)
            .args(extra)
            .arg(&source));
        signed.push((output, zone.to_string()));
    }
    signed
}

/// The signed files compiled as the server loads them (as `dnssec-signzone` wrote them: no
/// `$ORIGIN`, the zone named by its SOA).
fn compile(signed: &[(PathBuf, String)]) -> dns::Zones {
    let files: Vec<dns_zone::ZoneFile> = signed
        .iter()
        .map(|(path, _)| dns_zone::ZoneFile {
            path: path.clone(),
            origin: None,
        })
        .collect();
    let blob = dns_zone::compile(&files)
        .unwrap_or_else(|e| panic!("the signed test zones do not compile:\n{e}"));
    dns::Zones::from_compiled(&blob)
        .unwrap_or_else(|e| panic!("the compiled signed zones do not load: {e:?}"))
}

/// `case` with the DO bit set (its query ends with an OPT record without options, as
/// `Query::to_wire` writes it), and `payload` as its UDP payload size if given.
fn with_do(case: &Case, payload: Option<u16>) -> Option<Case> {
    let len = case.wire.len();
    let opt = case.wire.get(len.checked_sub(11)?..)?;
    if opt[..3] != [0, 0, 41] || opt[9..] != [0, 0] {
        return None;
    }
    let mut wire = case.wire.clone();
    wire[len - 4] |= 0x80;
    if let Some(payload) = payload {
        wire[len - 8..len - 6].copy_from_slice(&payload.to_be_bytes());
    }
    let size = payload.map_or(String::new(), |p| format!(" bufsize={p}"));
    // A known difference in the response code (see DIFFERENCES.md) brings different proofs.
    let mut ignore = case.ignore.clone();
    if ignore.contains("rcode") {
        ignore.extend(["authority".to_string(), "tc".to_string()]);
    }
    Some(Case {
        label: format!("{} +do{size}", case.label),
        wire,
        ignore,
    })
}

/// `case` with NSD's known differences (DIFFERENCES.md, "NSD") ignored: its choices for
/// qtype RRSIG (every signature at the name), ANY (the SOA; Knot and `dns::respond` the
/// lowest type, RFC 8482 leaves it open) and type 0 (an ordinary NODATA), and CNAME chains it
/// follows into another zone it serves (Knot and `dns::respond` stop at the zone's edge);
/// and for a 512-octet buffer, referrals whose proof's signatures do not fit (NSD leaves them
/// out and does not set TC).
fn nsd_known(mut case: Case) -> Case {
    let qtype = common::question_type(&case.wire);
    let cross_zone = ["to-other.main.test", "back.other.test"]
        .iter()
        .any(|n| case.label.to_ascii_lowercase().contains(n));
    if case.label.ends_with("bufsize=512") {
        case.ignore
            .extend(["tc", "authority"].iter().map(|a| a.to_string()));
    }
    if matches!(qtype, Some(0 | 46 | 255)) || cross_zone {
        case.ignore.extend(
            ["rcode", "aa", "tc", "answer", "authority"]
                .iter()
                .map(|a| a.to_string()),
        );
    }
    case
}

/// A query with one question of class IN, opcode QUERY and an OPT record of version 0 (with
/// or without DO), without options (as `Query::to_wire` writes them).
fn well_formed(case: &Case) -> bool {
    let w = &case.wire;
    let len = w.len();
    let opt_ok = len >= 12 + 11
        && w[len - 11..len - 8] == [0, 0, 41]
        && w[len - 5] == 0
        && w[len - 2..] == [0, 0];
    let question_end = len.saturating_sub(11);
    opt_ok
        && w[2] & 0x78 == 0
        && w[4..6] == [0, 1]
        && w.get(question_end.saturating_sub(2)..question_end) == Some(&[0, 1][..])
}

#[test]
fn signed_zones_answer_as_knot_does() {
    let Some(knotd) = find_knotd() else {
        panic!("Knot DNS (knotd) is not installed (`apt-get install knot`; scripts/test does)");
    };
    let Some(nsd) = find("nsd") else {
        panic!("NSD is not installed (`apt-get install nsd`; scripts/test does)");
    };

    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dns-dnssec");
    let _ = std::fs::remove_dir_all(&base);
    for (flavour, extra) in FLAVOURS {
        let dir = base.join(flavour);
        std::fs::create_dir_all(&dir).expect("create the signing directory");
        let signed = sign_test_zones(&dir, extra);
        let zones = compile(&signed);
        let knot = Knot::start(&knotd, &signed);

        let plain = query_file();
        let mut cases = Vec::new();
        for case in &plain {
            cases.extend(with_do(case, None));
            cases.extend(with_do(case, Some(512)));
        }
        cases.extend(plain);
        let listed = cases.len();
        let mut random = random_cases(300);
        if flavour.starts_with("nsec3") {
            for case in &mut random {
                // DIFFERENCES.md D6: Knot's NSEC3 proof for a first label `*` under a wildcard.
                let star_first = case.wire.get(12..14) == Some(&[1, b'*']);
                if star_first && case.label.ends_with(" do") {
                    case.ignore.insert("authority".into());
                }
            }
        }
        cases.extend(random);
        compare(
            &knot,
            &zones,
            &cases,
            listed,
            &format!("dns-dnssec-{flavour}.txt"),
        );
        // NSD: the well-formed EDNS queries, with and without DO (NSD differs from Knot and
        // dns::respond in how it answers malformed queries, other opcodes and classes, and EDNS
        // versions, none of it DNSSEC), their DNSSEC part (see `dnssec_part`).
        let nsd = Knot::start_nsd(&nsd, &signed);
        let for_nsd: Vec<Case> = cases
            .iter()
            .filter(|c| well_formed(c))
            .cloned()
            .map(nsd_known)
            .collect();
        compare(
            &nsd,
            &zones,
            &for_nsd,
            for_nsd.len(),
            &format!("dns-dnssec-{flavour}-nsd.txt"),
        );
    }
}

/// Questions about every name of `signers::ZONE` and names around them (below, beside, under
/// the wildcard, under the delegations), for a range of types, with DO (payload 1232, and 512
/// for truncation), pseudo-random ids.
fn signer_zone_cases() -> Vec<Case> {
    use common::{Edns, Query};
    const NAMES: &[&str] = &[
        "example.com",
        "ns1.example.com",
        "mail.example.com",
        "www.example.com",
        "a.b.c.example.com",
        "b.c.example.com",
        "c.example.com",
        "x.c.example.com",
        "sub.example.com",
        "ns.sub.example.com",
        "host.sub.example.com",
        "secure.example.com",
        "x.secure.example.com",
        "wild.example.com",
        "any.wild.example.com",
        "a.b.wild.example.com",
        "nothere.example.com",
        "zzz.example.com",
        "0.example.com",
        "*.example.com",
    ];
    const TYPES: &[u16] = &[1, 2, 6, 15, 16, 28, 43, 46, 47, 48, 50, 51, 65534];
    let mut cases = Vec::new();
    let mut id = 0x6000u16;
    for name in NAMES {
        for &qtype in TYPES {
            for payload in [1232, 512] {
                let mut q = Query::new(name, qtype);
                id = id.wrapping_add(1);
                q.id = id;
                q.edns = Some(Edns {
                    payload,
                    version: 0,
                    dnssec_ok: true,
                });
                let mut ignore = std::collections::BTreeSet::new();
                if qtype == 47 && name.ends_with(".wild.example.com") {
                    // DIFFERENCES.md D7: Knot leaves the wildcard proof out of a synthesized
                    // NSEC answer.
                    ignore.extend(["authority", "answer", "tc"].map(String::from));
                }
                cases.push(Case {
                    label: format!("{q}"),
                    wire: q.to_wire(),
                    ignore,
                });
            }
        }
    }
    cases
}

#[test]
fn zones_from_every_signer_answer_as_knot_and_nsd_do() {
    use signers::{Denial, Signer, Validity, sign};
    let (Some(knotd), Some(nsd)) = (find_knotd(), find("nsd")) else {
        panic!("knotd and nsd are needed (`apt-get install knot nsd`; scripts/test does)");
    };
    for (signer, algorithm, denial) in [
        (Signer::Bind, 13, Denial::Nsec3OptOut),
        (Signer::Ldns, 15, Denial::Nsec3),
        (Signer::Knot, 8, Denial::Nsec),
    ] {
        let name = format!("differential-{signer:?}-{algorithm}-{denial:?}");
        let signed = sign(
            &signers::scratch(&name),
            signer,
            algorithm,
            denial,
            Validity::Default,
        );
        let zone = [(signed.path.clone(), "example.com.".to_string())];
        let zones = compile(&zone);
        let cases = signer_zone_cases();
        let knot = Knot::start(&knotd, &zone);
        compare(
            &knot,
            &zones,
            &cases,
            cases.len(),
            &format!("dns-{name}.txt"),
        );
        drop(knot);
        let nsd = Knot::start_nsd(&nsd, &zone);
        let nsd_cases: Vec<Case> = cases.iter().cloned().map(nsd_known).collect();
        compare(
            &nsd,
            &zones,
            &nsd_cases,
            nsd_cases.len(),
            &format!("dns-{name}-nsd.txt"),
        );
    }
}
