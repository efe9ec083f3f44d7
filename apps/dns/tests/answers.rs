//! What `dns::respond` answers, point by point (RFC 1034 section 4.3.2, RFC 2308, RFC 4592,
//! RFC 6604, RFC 6891, RFC 1035 section 4.2.1): the test zones in `tests/zones/` are compiled
//! with `dns-zone`, loaded with `dns::Zones::from_compiled`, and every answer is parsed with
//! hickory-proto's `Message`.

mod common;

use common::{
    Edns, Query, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_MX, TYPE_NS, TYPE_SOA, TYPE_SRV, TYPE_TXT,
};
use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::{RData, Record, RecordType};

/// Sends `q` over UDP (or TCP) and parses the answer; panics when the query is dropped.
fn ask_on(zones: &dns::Zones, q: &Query, tcp: bool) -> (Vec<u8>, Message) {
    let bytes = common::respond(zones, &q.to_wire(), tcp).unwrap_or_else(|| panic!("{q}: dropped"));
    let message =
        Message::from_vec(&bytes).unwrap_or_else(|e| panic!("{q}: unparsable answer: {e}"));
    assert_eq!(
        message.metadata.message_type,
        MessageType::Response,
        "{q}: QR"
    );
    assert_eq!(message.metadata.id, q.id, "{q}: ID");
    (bytes, message)
}

fn ask(zones: &dns::Zones, q: &Query) -> Message {
    ask_on(zones, q, false).1
}

/// Records as sorted text lines, names in lower case: `name ttl TYPE rdata`.
fn lines(records: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|r| {
            let data = match &r.data {
                RData::TXT(t) => t
                    .txt_data
                    .iter()
                    .map(|s| format!("\"{}\"", String::from_utf8_lossy(s)))
                    .collect::<Vec<_>>()
                    .join(" "),
                d => d.to_string().to_ascii_lowercase(),
            };
            format!(
                "{} {} {} {data}",
                r.name.to_ascii().to_ascii_lowercase(),
                r.ttl,
                r.record_type()
            )
        })
        .collect();
    v.sort();
    v
}

fn rcode(m: &Message) -> u16 {
    u16::from(m.metadata.response_code)
}

const NOERROR: u16 = 0;
const FORMERR: u16 = 1;
const NXDOMAIN: u16 = 3;
const NOTIMP: u16 = 4;
const REFUSED: u16 = 5;
const BADVERS: u16 = 16;

const MAIN_SOA: &str =
    "main.test. 300 SOA ns1.main.test. hostmaster.main.test. 2024010101 7200 900 1209600 300";
const OTHER_SOA: &str =
    "other.test. 60 SOA ns.other.test. hostmaster.other.test. 7 3600 600 86400 3600";
const EXAMPLE_SOA: &str =
    "example. 3600 SOA ns.example.com. hostmaster.example. 1 7200 3600 1209600 7200";

/// Asserts an authoritative negative answer: `rc`, no answer records, the zone's SOA alone
/// in the authority section with TTL = min(SOA TTL, SOA minimum) (RFC 2308 section 3).
#[track_caller]
fn assert_negative(m: &Message, rc: u16, soa: &str) {
    assert_eq!(rcode(m), rc, "{m:?}");
    assert!(m.metadata.authoritative, "AA on a negative answer");
    assert!(
        m.answers.is_empty(),
        "no answer records: {:?}",
        lines(&m.answers)
    );
    assert_eq!(lines(&m.authorities), [soa]);
}

#[test]
fn a_positive_answer_is_authoritative_and_echoes_the_query() {
    let zones = common::test_zones();
    let mut q = Query::new("www.main.test", TYPE_A);
    q.id = 0xabcd;
    q.rd = true;
    let (bytes, m) = ask_on(&zones, &q, false);
    assert_eq!(rcode(&m), NOERROR);
    assert_eq!(m.metadata.op_code, OpCode::Query);
    assert!(m.metadata.authoritative, "AA");
    assert!(
        m.metadata.recursion_desired,
        "RD is copied (RFC 1035 section 4.1.1)"
    );
    assert!(!m.metadata.recursion_available, "RA: no recursion here");
    assert!(!m.metadata.truncation);
    assert!(
        !m.metadata.authentic_data,
        "AD: nothing is DNSSEC-validated"
    );
    assert_eq!(bytes[3] & 0x40, 0, "Z is zero");
    assert_eq!(m.queries.len(), 1);
    assert_eq!(m.queries[0].name().to_ascii(), "www.main.test.");
    assert_eq!(m.queries[0].query_type(), RecordType::A);
    assert_eq!(
        lines(&m.answers),
        [
            "www.main.test. 600 A 192.0.2.80",
            "www.main.test. 600 A 192.0.2.81"
        ]
    );
    assert!(
        m.edns.is_none(),
        "no OPT in the answer to a query without one"
    );

    let m = ask(&zones, &Query::new("www.main.test", TYPE_AAAA));
    assert_eq!(lines(&m.answers), ["www.main.test. 3600 AAAA 2001:db8::80"]);
    assert!(!m.metadata.recursion_desired, "RD is copied when clear too");
    let m = ask(&zones, &Query::new("main.test", TYPE_NS));
    assert_eq!(
        lines(&m.answers),
        [
            "main.test. 3600 NS ns.other.test.",
            "main.test. 3600 NS ns1.main.test."
        ]
    );
    let m = ask(&zones, &Query::new("_http._tcp.main.test", TYPE_SRV));
    assert_eq!(m.answers.len(), 2);
}

#[test]
fn cname_chains_are_followed_inside_the_zone() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("c1.main.test", TYPE_A));
    assert_eq!(rcode(&m), NOERROR);
    assert!(m.metadata.authoritative);
    assert_eq!(
        lines(&m.answers),
        [
            "c1.main.test. 3600 CNAME c2.main.test.",
            "c2.main.test. 3600 CNAME c3.main.test.",
            "c3.main.test. 300 CNAME www.main.test.",
            "www.main.test. 600 A 192.0.2.80",
            "www.main.test. 600 A 192.0.2.81",
        ]
    );
    // The chain is in order: each CNAME's target owns the next record.
    let types: Vec<RecordType> = m.answers.iter().map(Record::record_type).collect();
    assert_eq!(types[..3], [RecordType::CNAME; 3]);

    // Asking for the CNAME itself: just that record.
    let m = ask(&zones, &Query::new("c1.main.test", TYPE_CNAME));
    assert_eq!(
        lines(&m.answers),
        ["c1.main.test. 3600 CNAME c2.main.test."]
    );

    // A chain that ends in NODATA: the CNAMEs, then the SOA (RFC 2308 section 2.2).
    let m = ask(&zones, &Query::new("c1.main.test", TYPE_TXT));
    assert_eq!(rcode(&m), NOERROR);
    assert_eq!(m.answers.len(), 3, "{:?}", lines(&m.answers));
    assert_eq!(lines(&m.authorities), [MAIN_SOA]);

    // A chain to a name that does not exist: NXDOMAIN with the CNAME (RFC 6604 section 2).
    let m = ask(&zones, &Query::new("dangling.main.test", TYPE_A));
    assert_eq!(rcode(&m), NXDOMAIN);
    assert!(m.metadata.authoritative);
    assert_eq!(
        lines(&m.answers),
        ["dangling.main.test. 3600 CNAME nowhere.main.test."]
    );
    assert_eq!(lines(&m.authorities), [MAIN_SOA]);

    // A chain that leaves every zone: the CNAME alone, NOERROR.
    let m = ask(&zones, &Query::new("outside.main.test", TYPE_A));
    assert_eq!(rcode(&m), NOERROR);
    assert_eq!(
        lines(&m.answers),
        ["outside.main.test. 3600 CNAME www.elsewhere.invalid."]
    );

    // A chain through the wildcard *.w.
    let m = ask(&zones, &Query::new("to-wild.main.test", TYPE_A));
    assert_eq!(
        lines(&m.answers),
        [
            "anything.w.main.test. 3600 A 192.0.2.77",
            "to-wild.main.test. 3600 CNAME anything.w.main.test."
        ]
    );

    // A loop ends: each CNAME once.
    let m = ask(&zones, &Query::new("loop1.main.test", TYPE_A));
    assert_eq!(
        lines(&m.answers),
        [
            "loop1.main.test. 3600 CNAME loop2.main.test.",
            "loop2.main.test. 3600 CNAME loop1.main.test."
        ]
    );
}

#[test]
fn negative_answers_carry_the_soa_with_the_negative_ttl() {
    let zones = common::test_zones();
    // NXDOMAIN. main.test.'s SOA: TTL 3600, minimum 300 -> 300.
    assert_negative(
        &ask(&zones, &Query::new("nope.main.test", TYPE_A)),
        NXDOMAIN,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("deep.nope.main.test", TYPE_AAAA)),
        NXDOMAIN,
        MAIN_SOA,
    );
    // other.test.'s SOA: TTL 60, minimum 3600 -> 60.
    assert_negative(
        &ask(&zones, &Query::new("nope.other.test", TYPE_A)),
        NXDOMAIN,
        OTHER_SOA,
    );
    // NODATA: the name exists, the type does not.
    assert_negative(
        &ask(&zones, &Query::new("www.main.test", TYPE_TXT)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("main.test", TYPE_AAAA)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("www.other.test", TYPE_AAAA)),
        NOERROR,
        OTHER_SOA,
    );
}

#[test]
fn empty_non_terminals_exist() {
    let zones = common::test_zones();
    // x.b.a.main.test. makes b.a and a exist, with no data: NODATA, not NXDOMAIN.
    assert_negative(
        &ask(&zones, &Query::new("b.a.main.test", TYPE_A)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("a.main.test", TYPE_TXT)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("y.b.a.main.test", TYPE_A)),
        NXDOMAIN,
        MAIN_SOA,
    );
    let m = ask(&zones, &Query::new("x.b.a.main.test", TYPE_A));
    assert_eq!(lines(&m.answers), ["x.b.a.main.test. 3600 A 192.0.2.10"]);
}

#[test]
fn wildcards_follow_rfc4592_section_2_2_1() {
    let zones = common::test_zones();
    // The example's queries with the answers the RFC gives.
    let m = ask(&zones, &Query::new("host3.example", TYPE_MX));
    assert_eq!(rcode(&m), NOERROR);
    assert!(m.metadata.authoritative);
    assert_eq!(
        lines(&m.answers),
        ["host3.example. 3600 MX 10 host1.example."],
        "synthesized, owner = QNAME"
    );
    assert_negative(
        &ask(&zones, &Query::new("host3.example", TYPE_A)),
        NOERROR,
        EXAMPLE_SOA,
    );
    let m = ask(&zones, &Query::new("foo.bar.example", TYPE_TXT));
    assert_eq!(
        lines(&m.answers),
        ["foo.bar.example. 3600 TXT \"this is a wildcard\""]
    );
    // Not synthesized: the name exists ...
    assert_negative(
        &ask(&zones, &Query::new("host1.example", TYPE_MX)),
        NOERROR,
        EXAMPLE_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("sub.*.example", TYPE_MX)),
        NOERROR,
        EXAMPLE_SOA,
    );
    // ... the closest encloser (_tcp.host1, an empty non-terminal) has no wildcard child ...
    assert_negative(
        &ask(&zones, &Query::new("_telnet._tcp.host1.example", TYPE_SRV)),
        NXDOMAIN,
        EXAMPLE_SOA,
    );
    // ... "*.example." exists, but "ghost.*.example." would need "*.*.example.".
    assert_negative(
        &ask(&zones, &Query::new("ghost.*.example", TYPE_MX)),
        NXDOMAIN,
        EXAMPLE_SOA,
    );
    // ... or the name is below a zone cut: a referral.
    let m = ask(&zones, &Query::new("host.subdel.example", TYPE_A));
    assert!(!m.metadata.authoritative);
    assert_eq!(
        lines(&m.authorities),
        [
            "subdel.example. 3600 NS ns.example.com.",
            "subdel.example. 3600 NS ns.example.net."
        ]
    );
    // The wildcard's own name, asked for directly: its records, owner "*".
    let m = ask(&zones, &Query::new("*.example", TYPE_TXT));
    assert_eq!(
        lines(&m.answers),
        ["*.example. 3600 TXT \"this is a wildcard\""]
    );
}

#[test]
fn wildcards_in_main_test() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("foo.w.main.test", TYPE_TXT));
    assert_eq!(
        lines(&m.answers),
        ["foo.w.main.test. 3600 TXT \"wildcard w\""]
    );
    // Several labels below the wildcard's parent.
    let m = ask(&zones, &Query::new("a.b.w.main.test", TYPE_A));
    assert_eq!(lines(&m.answers), ["a.b.w.main.test. 3600 A 192.0.2.77"]);
    // An existing name below the wildcard's parent blocks synthesis at and below it.
    assert_negative(
        &ask(&zones, &Query::new("x.w.main.test", TYPE_TXT)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("sub.x.w.main.test", TYPE_A)),
        NXDOMAIN,
        MAIN_SOA,
    );
    // A wildcard type that is not there: NODATA.
    assert_negative(
        &ask(&zones, &Query::new("foo.w.main.test", TYPE_MX)),
        NOERROR,
        MAIN_SOA,
    );
    // A wildcard CNAME: synthesized, then followed.
    let m = ask(&zones, &Query::new("anything.wc.main.test", TYPE_A));
    assert_eq!(
        lines(&m.answers),
        [
            "anything.wc.main.test. 3600 CNAME www.main.test.",
            "www.main.test. 600 A 192.0.2.80",
            "www.main.test. 600 A 192.0.2.81",
        ]
    );
    // A wildcard below empty non-terminals.
    let m = ask(&zones, &Query::new("q.e.ent.main.test", TYPE_A));
    assert_eq!(lines(&m.answers), ["q.e.ent.main.test. 3600 A 192.0.2.79"]);
    assert_negative(
        &ask(&zones, &Query::new("e.ent.main.test", TYPE_A)),
        NOERROR,
        MAIN_SOA,
    );
    assert_negative(
        &ask(&zones, &Query::new("ent.main.test", TYPE_A)),
        NOERROR,
        MAIN_SOA,
    );
}

#[test]
fn delegations_give_referrals_with_glue() {
    let zones = common::test_zones();
    for (name, qtype) in [
        ("host.deleg.main.test", TYPE_A),
        ("a.b.deleg.main.test", TYPE_MX),
        ("deleg.main.test", TYPE_NS),
        ("deleg.main.test", TYPE_A),
        // Glue is not authoritative data: asking for it directly is a referral too.
        ("ns.deleg.main.test", TYPE_A),
    ] {
        let m = ask(&zones, &Query::new(name, qtype));
        assert_eq!(rcode(&m), NOERROR, "{name}");
        assert!(!m.metadata.authoritative, "{name}: no AA on a referral");
        assert!(m.answers.is_empty(), "{name}: {:?}", lines(&m.answers));
        assert_eq!(
            lines(&m.authorities),
            [
                "deleg.main.test. 3600 NS ns.deleg.main.test.",
                "deleg.main.test. 3600 NS ns.elsewhere.invalid."
            ],
            "{name}"
        );
        assert_eq!(
            lines(&m.additionals),
            [
                "ns.deleg.main.test. 3600 A 192.0.2.54",
                "ns.deleg.main.test. 3600 AAAA 2001:db8::54"
            ],
            "{name}: the glue, and nothing for the out-of-zone server"
        );
    }
}

#[test]
fn a_child_zone_is_answered_from_itself() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("www.child.main.test", TYPE_A));
    assert!(m.metadata.authoritative);
    assert_eq!(lines(&m.answers), ["www.child.main.test. 300 A 192.0.2.56"]);
    let m = ask(&zones, &Query::new("child.main.test", TYPE_NS));
    assert!(
        m.metadata.authoritative,
        "the child's apex NS is authoritative in the child zone"
    );
    assert_eq!(
        lines(&m.answers),
        ["child.main.test. 300 NS ns.child.main.test."]
    );
    let m = ask(&zones, &Query::new("child.main.test", TYPE_SOA));
    assert_eq!(m.answers.len(), 1);
    assert_negative(
        &ask(&zones, &Query::new("nope.child.main.test", TYPE_A)),
        NXDOMAIN,
        "child.main.test. 120 SOA ns.child.main.test. hostmaster.child.main.test. 1 3600 600 86400 120",
    );
}

#[test]
fn dname_substitutes_and_synthesizes_a_cname() {
    let zones = common::test_zones();
    let q = Query::new("www.dn.main.test", TYPE_A);
    // (hickory-proto has no DNAME codec: decoded with the tests' own decoder.)
    let r = common::decode(&common::respond(&zones, &q.to_wire(), false).unwrap()).unwrap();
    assert_eq!(r.rcode, NOERROR);
    assert!(r.aa);
    let answers: Vec<String> = r.answer.iter().map(ToString::to_string).collect();
    assert_eq!(
        answers,
        [
            "dn.main.test. 3600 IN DNAME dtarget.main.test.",
            "www.dn.main.test. 3600 IN CNAME www.dtarget.main.test.",
            "www.dtarget.main.test. 3600 IN A 192.0.2.90",
        ]
    );
    // The DNAME's owner itself is not redirected.
    assert_negative(
        &ask(&zones, &Query::new("dn.main.test", TYPE_A)),
        NOERROR,
        MAIN_SOA,
    );
    // A substitution longer than 255 octets: YXDOMAIN (RFC 6672 section 2.2).
    let long = format!("{}.{}.dl.main.test", "x".repeat(59), "y".repeat(39));
    let m = ask(&zones, &Query::new(&long, TYPE_A));
    assert_eq!(rcode(&m), 6, "YXDOMAIN");
    assert_eq!(m.answers.len(), 1, "the DNAME alone");
}

#[test]
fn several_zones_answer_from_one_zone_set() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("www.other.test", TYPE_A));
    assert!(m.metadata.authoritative);
    assert_eq!(lines(&m.answers), ["www.other.test. 7200 A 192.0.2.180"]);
    let m = ask(&zones, &Query::new("www.main.test", TYPE_A));
    assert_eq!(m.answers.len(), 2);
    let m = ask(&zones, &Query::new("example", TYPE_SOA));
    assert_eq!(lines(&m.answers), [EXAMPLE_SOA]);
    // A CNAME from one zone into another: at least the CNAME, authoritatively.
    let m = ask(&zones, &Query::new("to-other.main.test", TYPE_A));
    assert!(m.metadata.authoritative);
    assert_eq!(
        lines(&m.answers)[0],
        "to-other.main.test. 3600 CNAME www.other.test."
    );
}

#[test]
fn names_outside_every_zone_are_refused() {
    let zones = common::test_zones();
    for name in ["www.nowhere.invalid", "test", ".", "ain.test", "xmain.test"] {
        let m = ask(&zones, &Query::new(name, TYPE_A));
        assert_eq!(rcode(&m), REFUSED, "{name}");
        assert!(!m.metadata.authoritative, "{name}: no AA");
        assert!(
            m.answers.is_empty() && m.authorities.is_empty() && m.additionals.is_empty(),
            "{name}"
        );
        assert_eq!(m.queries.len(), 1, "{name}: the question is echoed");
    }
}

#[test]
fn names_match_without_case_and_the_question_keeps_its_case() {
    let zones = common::test_zones();
    let q = Query::new("wWw.MaIn.TeSt", TYPE_A);
    let wire = q.to_wire();
    let (bytes, m) = ask_on(&zones, &q, false);
    let question = 12..12 + common::name_to_wire("wWw.MaIn.TeSt").len() + 4;
    assert_eq!(
        bytes[question.clone()],
        wire[question],
        "the question, octet for octet"
    );
    assert_eq!(lines(&m.answers).len(), 2);
    let m = ask(&zones, &Query::new("MIXED.case.MAIN.test", TYPE_A));
    assert_eq!(
        lines(&m.answers),
        ["mixed.case.main.test. 3600 A 192.0.2.99"]
    );
    let m = ask(&zones, &Query::new("NOPE.MAIN.TEST", TYPE_A));
    assert_eq!(rcode(&m), NXDOMAIN);
}

#[test]
fn edns_opt_is_echoed_and_versions_above_0_get_badvers() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("www.main.test", TYPE_A).edns(1232));
    let edns = m
        .edns
        .as_ref()
        .expect("an OPT in the answer to a query with one (RFC 6891 section 7)");
    assert_eq!(edns.version(), 0);
    assert_eq!(edns.rcode_high(), 0);
    assert!(edns.max_payload() >= 512);
    assert_eq!(m.answers.len(), 2);

    // DO is copied (RFC 3225 section 3).
    let mut q = Query::new("www.main.test", TYPE_A);
    q.edns = Some(Edns {
        payload: 1232,
        version: 0,
        dnssec_ok: true,
    });
    let reply = common::decode(&common::respond(&zones, &q.to_wire(), false).unwrap()).unwrap();
    assert!(reply.opt.as_ref().is_some_and(|o| o.dnssec_ok), "{reply}");

    // Version 1: BADVERS, an OPT with version 0, no data (RFC 6891 section 6.1.3).
    for name in ["www.main.test", "nope.main.test", "www.nowhere.invalid"] {
        let mut q = Query::new(name, TYPE_A);
        q.edns = Some(Edns {
            payload: 1232,
            version: 1,
            dnssec_ok: false,
        });
        let reply = common::decode(&common::respond(&zones, &q.to_wire(), false).unwrap()).unwrap();
        assert_eq!(reply.rcode, BADVERS, "{name}: {reply}");
        let opt = reply.opt.as_ref().expect("an OPT with BADVERS");
        assert_eq!((opt.version, opt.ext_rcode), (0, 1), "{name}");
        assert!(reply.answer.is_empty(), "{name}: {reply}");
        let m = Message::from_vec(&common::respond(&zones, &q.to_wire(), false).unwrap()).unwrap();
        assert_eq!(rcode(&m), BADVERS);
    }
}

#[test]
fn udp_answers_fit_the_payload_size_and_are_truncated_otherwise() {
    let zones = common::test_zones();
    // big: 7 TXT records of 101 octets: over 512, under 1232.
    let full = |m: &Message, n: usize| {
        m.answers
            .iter()
            .filter(|r| r.record_type() == RecordType::TXT)
            .count()
            == n
    };
    for (edns, limit) in [(None, 512), (Some(512), 512), (Some(100), 512)] {
        let mut q = Query::new("big.main.test", TYPE_TXT);
        q.edns = edns.map(Edns::new);
        let (bytes, m) = ask_on(&zones, &q, false);
        assert!(bytes.len() <= limit, "{q}: {} octets", bytes.len());
        assert!(m.metadata.truncation, "{q}: TC");
        // Over TCP: everything.
        let (_, m) = ask_on(&zones, &q, true);
        assert!(!m.metadata.truncation && full(&m, 7), "{q} over TCP");
    }
    let (bytes, m) = ask_on(
        &zones,
        &Query::new("big.main.test", TYPE_TXT).edns(1232),
        false,
    );
    assert!(
        !m.metadata.truncation && full(&m, 7),
        "fits in 1232 ({} octets)",
        bytes.len()
    );

    // huge: 8 TXT records of 201 octets: over 1232.
    let q = Query::new("huge.main.test", TYPE_TXT).edns(1232);
    let (bytes, m) = ask_on(&zones, &q, false);
    assert!(
        bytes.len() <= 1232 && m.metadata.truncation,
        "{q}: {} octets",
        bytes.len()
    );
    let (_, m) = ask_on(&zones, &q, true);
    assert!(!m.metadata.truncation && full(&m, 8), "{q} over TCP");
    let q = Query::new("huge.main.test", TYPE_TXT).edns(4096);
    let (bytes, m) = ask_on(&zones, &q, false);
    assert!(bytes.len() <= 4096, "{q}");
    assert!(
        m.metadata.truncation || full(&m, 8),
        "{q}: TC or everything"
    );
}

#[test]
fn malformed_queries_get_formerr_or_nothing() {
    let zones = common::test_zones();
    let question = |name: &str| {
        let mut q = common::name_to_wire(name);
        q.extend_from_slice(&[0, 1, 0, 1]);
        q
    };
    let header = |qd: u8, ar: u8| vec![0xbe, 0xef, 0, 0, 0, qd, 0, 0, 0, 0, 0, ar];
    let opt = [0u8, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no question", header(0, 0)),
        ("QDCOUNT 1 without a question", header(1, 0)),
        (
            "two questions",
            [
                header(2, 0),
                question("www.main.test"),
                question("www.main.test"),
            ]
            .concat(),
        ),
        (
            "question cut short",
            [header(1, 0), question("www.main.test")[..17].to_vec()].concat(),
        ),
        (
            "label type 01",
            [header(1, 0), vec![0x43, b'w', b'w', b'w', 0, 0, 1, 0, 1]].concat(),
        ),
        (
            "compression loop",
            [header(1, 0), vec![0xc0, 12, 0, 1, 0, 1]].concat(),
        ),
        (
            "two OPTs",
            [
                header(1, 2),
                question("www.main.test"),
                opt.to_vec(),
                opt.to_vec(),
            ]
            .concat(),
        ),
    ];
    for (what, query) in cases {
        let reply =
            common::respond(&zones, &query, false).unwrap_or_else(|| panic!("{what}: dropped"));
        let r = common::decode(&reply).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(r.rcode, FORMERR, "{what}: {r}");
        assert!(r.qr && r.id == 0xbeef, "{what}: {r}");
    }
    // Not a query at all: nothing goes back.
    let mut response = [header(1, 0), question("www.main.test")].concat();
    response[2] |= 0x80;
    assert_eq!(common::respond(&zones, &response, false), None, "QR set");
    assert_eq!(
        common::respond(&zones, &header(1, 0)[..11], false),
        None,
        "shorter than a header"
    );
}

#[test]
fn other_opcodes_get_notimp() {
    let zones = common::test_zones();
    for opcode in [1u8, 2, 3, 6, 15] {
        let mut q = Query::new("www.main.test", TYPE_A);
        q.opcode = opcode;
        let reply =
            common::decode(&common::respond(&zones, &q.to_wire(), false).expect("an answer"))
                .unwrap();
        assert_eq!(reply.rcode, NOTIMP, "opcode {opcode}: {reply}");
        assert_eq!(reply.opcode, opcode, "the opcode is copied");
        assert!(reply.qr && reply.answer.is_empty(), "{reply}");
    }
}

#[test]
fn tcp_and_udp_agree_when_the_answer_fits() {
    let zones = common::test_zones();
    for (name, qtype) in [
        ("c1.main.test", TYPE_A),
        ("host.deleg.main.test", TYPE_A),
        ("nope.main.test", TYPE_MX),
    ] {
        let q = Query::new(name, qtype);
        let (udp, _) = ask_on(&zones, &q, false);
        let (tcp, _) = ask_on(&zones, &q, true);
        assert_eq!(
            common::decode(&udp).unwrap(),
            common::decode(&tcp).unwrap(),
            "{q}"
        );
    }
}

#[test]
fn additional_data_never_has_records_from_outside_the_zone() {
    let zones = common::test_zones();
    let m = ask(&zones, &Query::new("main.test", TYPE_MX));
    assert_eq!(
        lines(&m.answers),
        [
            "main.test. 3600 MX 10 mail.main.test.",
            "main.test. 3600 MX 20 mail.other.test."
        ]
    );
    for r in &m.additionals {
        let name = r.name.to_ascii().to_ascii_lowercase();
        assert!(
            name.ends_with("main.test."),
            "additional record from another zone: {name}"
        );
    }
}

#[test]
fn the_default_example_zone_answers() {
    // zones/example.test.zone, which the image serves by default (Unikernel.toml).
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("zones/example.test.zone");
    let blob = dns_zone::compile(&[dns_zone::ZoneFile { path, origin: None }])
        .unwrap_or_else(|e| panic!("{e}"));
    let zones = dns::Zones::from_compiled(&blob).unwrap();
    let m = ask(&zones, &Query::new("www.example.test", TYPE_A));
    assert!(m.metadata.authoritative);
    assert_eq!(lines(&m.answers), ["www.example.test. 3600 A 192.0.2.10"]);
    let m = ask(&zones, &Query::new("shop.example.test", TYPE_AAAA));
    assert_eq!(
        m.answers.len(),
        3,
        "shop -> store -> www AAAA: {:?}",
        lines(&m.answers)
    );
    let m = ask(&zones, &Query::new("anything.dyn.example.test", TYPE_A));
    assert_eq!(
        lines(&m.answers),
        ["anything.dyn.example.test. 60 A 192.0.2.200"]
    );
    let m = ask(&zones, &Query::new("host.sub.example.test", TYPE_A));
    assert!(!m.metadata.authoritative && m.answers.is_empty() && m.authorities.len() == 2);
    assert_eq!(
        lines(&m.additionals).len(),
        4,
        "ns.sub's glue and ns1's addresses, A and AAAA each"
    );
}
