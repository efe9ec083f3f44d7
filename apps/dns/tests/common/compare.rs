//! The differential comparison: the same query bytes to Knot DNS and to `dns::respond`, over
//! UDP and over TCP; the answers compared: RCODE, flags, the question, each section as a
//! multiset of records (owner without case; type, class, TTL and RDATA exactly), and the OPT
//! record (presence, version, extended RCODE, DO, options other than Extended DNS Errors; not
//! the payload size). Queries come from `tests/queries.txt` (see its header) and from a
//! pseudo-random generator (fixed seed).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::knot::{Kind, Knot};
use super::{Edns, Query, Reply};

/// One query to compare.
#[derive(Clone)]
pub struct Case {
    /// Where it comes from and what it is.
    pub label: String,
    pub wire: Vec<u8>,
    pub ignore: BTreeSet<String>,
}

const ASPECTS: &[&str] = &[
    "drop",
    "header",
    "rcode",
    "aa",
    "tc",
    "rd",
    "ra",
    "z",
    "ad",
    "cd",
    "question",
    "answer",
    "authority",
    "additional",
    "opt",
];

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in '{s}'"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("bad hex '{s}'")))
        .collect()
}

/// Parses `tests/queries.txt`.
pub fn query_file() -> Vec<Case> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/queries.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("queries.txt:{}", n + 1);
        let (body, comment) = match line.find('#') {
            Some(0) => continue,
            Some(i) => (&line[..i], line[i + 1..].trim()),
            None => (line, ""),
        };
        let mut words: Vec<&str> = body.split_whitespace().collect();
        if words.is_empty() {
            continue;
        }
        let mut ignore = BTreeSet::new();
        words.retain(|w| match w.strip_prefix("ignore=") {
            Some(list) => {
                for a in list.split(',') {
                    assert!(
                        ASPECTS.contains(&a),
                        "{at}: unknown aspect '{a}' (one of {ASPECTS:?})"
                    );
                    ignore.insert(a.to_string());
                }
                false
            }
            None => true,
        });
        if words[0] == "raw" {
            let mut wire = Vec::new();
            for w in &words[1..] {
                match w.strip_prefix("name:") {
                    Some(name) => wire.extend(super::name_to_wire(name)),
                    None => wire.extend(hex_bytes(w).unwrap_or_else(|e| panic!("{at}: {e}"))),
                }
            }
            let label = format!(
                "{at} raw ({})",
                if comment.is_empty() {
                    "no comment"
                } else {
                    comment
                }
            );
            cases.push(Case {
                label,
                wire,
                ignore,
            });
            continue;
        }
        assert!(words.len() >= 2, "{at}: NAME TYPE [CLASS] [OPTION...]");
        let qtype =
            super::type_code(words[1]).unwrap_or_else(|| panic!("{at}: unknown type {}", words[1]));
        let mut q = Query::new(words[0], qtype);
        q.id = 0x4000 + n as u16;
        let mut edns: Option<Edns> = None;
        let mut explicit_edns = false;
        for w in &words[2..] {
            let (key, value) = w.split_once('=').map_or((*w, None), |(k, v)| (k, Some(v)));
            let num = |v: Option<&str>| -> u16 {
                v.and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{at}: {key} needs a number"))
            };
            match key {
                "noedns" => explicit_edns = true,
                "bufsize" => {
                    explicit_edns = true;
                    edns.get_or_insert(Edns::new(1232)).payload = num(value);
                }
                "ednsver" => {
                    explicit_edns = true;
                    edns.get_or_insert(Edns::new(1232)).version = num(value) as u8;
                }
                "do" => {
                    explicit_edns = true;
                    edns.get_or_insert(Edns::new(1232)).dnssec_ok = true;
                }
                "rd" => q.rd = true,
                "cd" => q.cd = true,
                "ad" => q.ad = true,
                "opcode" => q.opcode = num(value) as u8,
                k if k.starts_with("CLASS") => {
                    q.qclass = k[5..]
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: bad class {k}"));
                }
                "IN" => q.qclass = 1,
                "CH" => q.qclass = 3,
                _ => panic!("{at}: unknown option '{w}'"),
            }
        }
        let variants = if explicit_edns {
            vec![edns]
        } else {
            vec![None, Some(Edns::new(1232))]
        };
        for edns in variants {
            let mut q = q.clone();
            q.edns = edns;
            cases.push(Case {
                label: format!("{at} {q}"),
                wire: q.to_wire(),
                ignore: ignore.clone(),
            });
        }
    }
    cases
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Pseudo-random queries around the names of the test zones.
pub fn random_cases(count: usize) -> Vec<Case> {
    const BASES: &[&str] = &[
        "main.test",
        "www.main.test",
        "c1.main.test",
        "c3.main.test",
        "dangling.main.test",
        "a.main.test",
        "b.a.main.test",
        "x.b.a.main.test",
        "w.main.test",
        "x.w.main.test",
        "foo.w.main.test",
        "wc.main.test",
        "e.ent.main.test",
        "deleg.main.test",
        "ns.deleg.main.test",
        "deleg2.main.test",
        "child.main.test",
        "www.child.main.test",
        "to-wild.main.test",
        "to-deleg.main.test",
        "big.main.test",
        "loop1.main.test",
        "other.test",
        "www.other.test",
        "back.other.test",
        "example",
        "host1.example",
        "*.example",
        "sub.*.example",
        "_tcp.host1.example",
        "subdel.example",
        "nowhere.invalid",
        "test",
        "mixed.case.main.test",
    ];
    const TYPES: &[u16] = &[1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 43, 255, 257, 65534, 99];
    const LABEL_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_*";
    let mut rng = Rng(0x5eed_d0d5_2024);
    let mut cases = Vec::new();
    for i in 0..count {
        let mut name = String::new();
        for _ in 0..rng.below(3) {
            let len = 1 + rng.below(10);
            if rng.below(8) == 0 {
                name.push('*');
            } else {
                for _ in 0..len {
                    name.push(char::from(*rng.pick(LABEL_CHARS)));
                }
            }
            name.push('.');
        }
        name.push_str(BASES[rng.below(BASES.len())]);
        let name: String = name
            .chars()
            .map(|c| {
                if rng.below(3) == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        let mut q = Query::new(&name, *rng.pick(TYPES));
        q.id = 0x8000 + i as u16;
        q.rd = rng.below(2) == 0;
        q.cd = rng.below(6) == 0;
        q.edns = match rng.below(5) {
            0 | 1 => None,
            2 => Some(Edns::new(512)),
            3 => Some(Edns::new(1232)),
            _ => Some(Edns {
                payload: 4096,
                version: 0,
                dnssec_ok: true,
            }),
        };
        cases.push(Case {
            label: format!("random #{i} {q}"),
            wire: q.to_wire(),
            ignore: BTreeSet::new(),
        });
    }
    cases
}

/// The EDNS options of an OPT's RDATA as (code, data), without Extended DNS Errors (RFC 8914:
/// optional, and Knot adds them where nothing requires one); unparsable RDATA as one pseudo-option.
fn options_but_ede(rdata: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < rdata.len() {
        let Some(h) = rdata.get(i..i + 4) else { break };
        let code = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let Some(data) = rdata.get(i + 4..i + 4 + len) else {
            break;
        };
        if code != 15 {
            out.push((code, data.to_vec()));
        }
        i += 4 + len;
    }
    if i != rdata.len() {
        out.push((u16::MAX, rdata[i..].to_vec()));
    }
    out
}

/// The aspects in which `lib` differs from `knot` (owner names without case). When both are
/// truncated (TC), only the header, the flags, the question and the OPT record are compared:
/// a client retries over TCP and reads nothing else (RFC 2181 §9), and Knot stops resolving
/// where the message fills up (its RCODE and sections are then what it had so far).
fn differences(knot: &Reply, lib: &Reply) -> Vec<&'static str> {
    let mut d = Vec::new();
    if (knot.id, knot.qr, knot.opcode) != (lib.id, lib.qr, lib.opcode) {
        d.push("header");
    }
    let truncated = knot.tc && lib.tc;
    let flag_checks = [
        ("rcode", truncated || knot.rcode == lib.rcode),
        ("aa", knot.aa == lib.aa),
        ("tc", knot.tc == lib.tc),
        ("rd", knot.rd == lib.rd),
        ("ra", knot.ra == lib.ra),
        ("z", knot.z == lib.z),
        ("ad", knot.ad == lib.ad),
        ("cd", knot.cd == lib.cd),
        ("question", knot.question == lib.question),
    ];
    d.extend(
        flag_checks
            .iter()
            .filter(|(_, same)| !same)
            .map(|(a, _)| *a),
    );
    let multiset = |rrs: &[super::Rr]| {
        let mut keys: Vec<_> = rrs.iter().map(super::Rr::key).collect();
        keys.sort();
        keys
    };
    for (aspect, k, l) in [
        ("answer", &knot.answer, &lib.answer),
        ("authority", &knot.authority, &lib.authority),
        ("additional", &knot.additional, &lib.additional),
    ] {
        if !truncated && multiset(k) != multiset(l) {
            d.push(aspect);
        }
    }
    let opt = |r: &Reply| {
        r.opt.as_ref().map(|o| {
            (
                o.version,
                o.ext_rcode,
                o.dnssec_ok,
                options_but_ede(&o.options),
                r.opt_misplaced,
            )
        })
    };
    if opt(knot) != opt(lib) {
        d.push("opt");
    }
    d
}

fn show(reply: &Option<Vec<u8>>) -> String {
    match reply {
        None => "    (no answer)\n".into(),
        Some(bytes) => match super::decode(bytes) {
            Ok(r) => r.to_string(),
            Err(e) => format!("    MALFORMED ({e}): {bytes:02x?}\n"),
        },
    }
}

/// What the NSD comparison looks at (NSD answers non-minimally: the apex NS RRset, its
/// signatures and its servers' addresses come with every positive answer): the answer
/// section whole; in the authority section the SOA, NSEC, NSEC3 and DS records and their
/// signatures, and the NS RRset of referrals; no additional section.
fn dnssec_part(mut reply: Reply) -> Reply {
    let kept = |rtype: u16| matches!(rtype, 6 | 43 | 47 | 50);
    let aa = reply.aa;
    reply.authority.retain(|rr| match rr.rtype {
        2 => !aa,
        46 => rr.rdata.get(..2).is_some_and(|t| {
            let covered = u16::from_be_bytes([t[0], t[1]]);
            kept(covered) || (covered == 2 && !aa)
        }),
        t => kept(t),
    });
    reply.additional.clear();
    reply
}

/// Sends every case to `knot` and to `dns::respond` over `zones`, over UDP and TCP, and
/// compares the answers; writes the report to `target/tmp/REPORT` and fails on any difference
/// not marked as known in the case (`ignore=`, explained in DIFFERENCES.md). `listed`: how
/// many of `cases` come from a file (the rest are random), for the summary.
pub fn compare(knot: &Knot, zones: &dns::Zones, cases: &[Case], listed: usize, report_name: &str) {
    // DNS_DIFFERENTIAL_VERBOSE=1: the report shows the answers that agree too.
    let verbose = std::env::var_os("DNS_DIFFERENTIAL_VERBOSE").is_some_and(|v| v == "1");
    let mut report = String::new();
    let mut mismatches = 0;
    let mut exchanges = 0;
    let mut by_aspect: std::collections::BTreeMap<&str, usize> = Default::default();
    for case in cases {
        for tcp in [false, true] {
            exchanges += 1;
            let knot_reply = if tcp {
                knot.tcp(&case.wire)
            } else {
                knot.udp(&case.wire)
            };
            let lib_reply = super::respond(zones, &case.wire, tcp);
            let diffs: Vec<&str> = match (&knot_reply, &lib_reply) {
                (None, None) => vec![],
                (None, Some(_)) | (Some(_), None) => vec!["drop"],
                (Some(k), Some(l)) => match (super::decode(k), super::decode(l)) {
                    (Ok(k), Ok(l)) if knot.kind == Kind::Nsd => {
                        differences(&dnssec_part(k), &dnssec_part(l))
                    }
                    (Ok(k), Ok(l)) => differences(&k, &l),
                    (Ok(_), Err(_)) => vec!["malformed"],
                    (Err(e), _) => panic!(
                        "{}: {}'s answer does not decode: {e}",
                        case.label,
                        knot.name()
                    ),
                },
            };
            let unexplained: Vec<&str> = diffs
                .iter()
                .copied()
                .filter(|d| !case.ignore.contains(*d))
                .collect();
            if diffs.is_empty() {
                if verbose {
                    let _ = writeln!(
                        report,
                        "same [{}] {}\n{}",
                        if tcp { "tcp" } else { "udp" },
                        case.label,
                        show(&knot_reply)
                    );
                }
                continue;
            }
            let how = if unexplained.is_empty() {
                "known difference"
            } else {
                "MISMATCH"
            };
            let _ = writeln!(
                report,
                "{how} [{}] {}\n  differs in: {}{}\n  {}:\n{}  dns::respond:\n{}",
                if tcp { "tcp" } else { "udp" },
                case.label,
                diffs.join(", "),
                if unexplained.is_empty() {
                    " (ignored: see DIFFERENCES.md)".to_string()
                } else {
                    String::new()
                },
                knot.name(),
                show(&knot_reply),
                show(&lib_reply)
            );
            if !unexplained.is_empty() {
                mismatches += 1;
                for d in unexplained {
                    *by_aspect.entry(d).or_default() += 1;
                }
            }
        }
    }
    let summary = format!(
        "{} queries ({listed} listed, {} random), {exchanges} exchanges (UDP and TCP): {mismatches} mismatches; by aspect: {by_aspect:?}",
        cases.len(),
        cases.len() - listed
    );
    let report_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(report_name);
    let _ = std::fs::write(&report_path, format!("{report}\n{summary}\n"));
    if !verbose {
        eprintln!("{report}");
    }
    eprintln!("{summary}\n(report: {})", report_path.display());
    assert_eq!(
        mismatches, 0,
        "{summary}: see the differences above and DIFFERENCES.md"
    );
}
