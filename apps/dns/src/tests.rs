//! Answers from zones built with [`ZoneSetBuilder`], checked at the byte level and by parsing
//! them back with hickory's full `Message` (tests only). The expectations follow what Knot DNS
//! 3.2 answers for the same zone (see the `resolve` module for the choices).

extern crate std;

use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use hickory_proto::op::{Message, ResponseCode};

use crate::compiled::rdata::rtype::*;
use crate::compiled::{BuildError, ZoneSetBuilder};
use crate::{Counters, LoadError, Rcode, Response, Transport, Zones, answer, respond};

// ---------------------------------------------------------------------------------------------
// Building zones

/// `"www.example.test."` (or relative to nothing: always absolute) → wire form.
pub(crate) fn wire(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in text.split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn a(text: &str) -> Vec<u8> {
    text.parse::<core::net::Ipv4Addr>()
        .unwrap()
        .octets()
        .to_vec()
}

fn aaaa(text: &str) -> Vec<u8> {
    text.parse::<core::net::Ipv6Addr>()
        .unwrap()
        .octets()
        .to_vec()
}

fn mx(preference: u16, exchange: &str) -> Vec<u8> {
    [&preference.to_be_bytes()[..], &wire(exchange)].concat()
}

fn srv(priority: u16, weight: u16, port: u16, target: &str) -> Vec<u8> {
    [
        &priority.to_be_bytes()[..],
        &weight.to_be_bytes(),
        &port.to_be_bytes(),
        &wire(target),
    ]
    .concat()
}

fn soa(mname: &str, rname: &str, serial: u32, minimum: u32) -> Vec<u8> {
    let mut rdata = [wire(mname), wire(rname)].concat();
    for value in [serial, 7200, 3600, 1_209_600, minimum] {
        rdata.extend_from_slice(&value.to_be_bytes());
    }
    rdata
}

fn txt(text: &str) -> Vec<u8> {
    let mut rdata = vec![text.len() as u8];
    rdata.extend_from_slice(text.as_bytes());
    rdata
}

const EX: &str = "example.test.";

/// `name` relative to example.test. (`"@"` is the apex).
fn ex(name: &str) -> String {
    if name == "@" {
        EX.to_string()
    } else {
        format!("{name}.{EX}")
    }
}

type Rr = (String, u16, u32, Vec<u8>);

fn rr(owner: &str, rtype: u16, ttl: u32, rdata: Vec<u8>) -> Rr {
    (owner.to_string(), rtype, ttl, rdata)
}

fn example_records() -> Vec<Rr> {
    let mut records = vec![
        rr(
            &ex("@"),
            SOA,
            3600,
            soa(&ex("ns1"), &ex("hostmaster"), 1, 300),
        ),
        rr(&ex("@"), NS, 3600, wire(&ex("ns1"))),
        rr(&ex("@"), NS, 3600, wire("ns2.other.test.")),
        rr(&ex("@"), MX, 3600, mx(10, &ex("mail"))),
        rr(&ex("@"), A, 3600, a("192.0.2.1")),
        rr(&ex("ns1"), A, 3600, a("192.0.2.53")),
        rr(&ex("ns1"), AAAA, 3600, aaaa("2001:db8::53")),
        rr(&ex("mail"), A, 3600, a("192.0.2.25")),
        rr(&ex("www"), CNAME, 3600, wire(&ex("web"))),
        rr(&ex("web"), A, 3600, a("192.0.2.80")),
        rr(&ex("loop1"), CNAME, 3600, wire(&ex("loop2"))),
        rr(&ex("loop2"), CNAME, 3600, wire(&ex("loop1"))),
        rr(&ex("ext"), CNAME, 3600, wire("www.other.test.")),
        rr(&ex("*.wild"), A, 3600, a("192.0.2.99")),
        rr(&ex("*.wild"), MX, 3600, mx(5, &ex("mail"))),
        rr(&ex("a.b.ent"), A, 3600, a("192.0.2.7")),
        rr(&ex("deleg"), NS, 3600, wire(&ex("ns.deleg"))),
        rr(&ex("deleg"), NS, 3600, wire("ns.outside.test.")),
        rr(&ex("deleg"), NS, 3600, wire(&ex("mail"))),
        rr(&ex("deleg"), DS, 3600, vec![0x30, 0x39, 8, 2, 0xaa, 0xbb]),
        rr(&ex("ns.deleg"), A, 3600, a("192.0.2.210")),
        rr(&ex("ns.deleg"), AAAA, 3600, aaaa("2001:db8::210")),
        rr(&ex("sub"), NS, 3600, wire(&ex("ns.sub"))),
        rr(&ex("ns.sub"), A, 3600, a("192.0.2.200")),
        rr(&ex("_sip._tcp"), SRV, 3600, srv(0, 5, 5060, &ex("sip"))),
        rr(&ex("sip"), A, 3600, a("192.0.2.60")),
        rr(&ex("wcname"), CNAME, 3600, wire(&ex("x.wild"))),
        rr(&ex("dn"), DNAME, 3600, wire("other.test.")),
        rr(&ex("MixedCase"), A, 3600, a("192.0.2.11")),
        rr(&ex("cnx"), CNAME, 3600, wire(&ex("nothere"))),
        rr(&ex("cdeleg"), CNAME, 3600, wire(&ex("x.deleg"))),
        rr(&ex("cent"), CNAME, 3600, wire(&ex("b.ent"))),
        rr(&ex("cdn"), CNAME, 3600, wire(&ex("foo.dn"))),
        rr(&ex("multi"), MX, 3600, mx(1, &ex("ns1"))),
        rr(&ex("multi"), MX, 3600, mx(2, &ex("mail"))),
        rr(&ex("multi"), MX, 3600, mx(3, &ex("ns.deleg"))),
        rr(&ex("multi"), MX, 3600, mx(4, &ex("x.wild"))),
        rr(&ex("multi"), MX, 3600, mx(5, &ex("www"))),
        rr(&ex("multi"), MX, 3600, mx(6, &ex("ns1"))),
        rr(&ex("*.sw"), TXT, 3600, txt("wild")),
        rr(&ex("b.sw"), A, 3600, a("192.0.2.1")),
        rr(&ex("mxonly"), MX, 3600, mx(1, &ex("mail"))),
        rr(&ex("mxonly"), TXT, 3600, txt("x")),
        rr(&ex("mxonly"), AAAA, 3600, aaaa("::1")),
        rr(&ex("nsx"), NS, 3600, wire(&ex("ns1"))),
        rr(&ex("a.nsx"), A, 3600, a("192.0.2.1")),
    ];
    for i in 1..=7 {
        records.push(rr(
            &ex(&format!("c{i}")),
            CNAME,
            3600,
            wire(&ex(&format!("c{}", i + 1))),
        ));
    }
    records.push(rr(&ex("c8"), A, 3600, a("192.0.2.8")));
    for i in 1..=6 {
        records.push(rr(
            &ex("big"),
            TXT,
            3600,
            txt(&format!("{}{i}", "a".repeat(109))),
        ));
    }
    records
}

fn sub_records() -> Vec<Rr> {
    vec![
        rr(
            "sub.example.test.",
            SOA,
            60,
            soa("ns.sub.example.test.", "h.sub.example.test.", 1, 5),
        ),
        rr("sub.example.test.", NS, 60, wire("ns.sub.example.test.")),
        rr("ns.sub.example.test.", A, 60, a("192.0.2.201")),
        rr("x.sub.example.test.", A, 60, a("192.0.2.202")),
    ]
}

fn other_records() -> Vec<Rr> {
    vec![
        rr(
            "other.test.",
            SOA,
            600,
            soa("ns.other.test.", "h.other.test.", 7, 900),
        ),
        rr("other.test.", NS, 600, wire("ns.other.test.")),
        rr("www.other.test.", A, 600, a("198.51.100.1")),
    ]
}

fn build(zones: &[(&str, Vec<Rr>)]) -> Result<Vec<u8>, BuildError> {
    let mut builder = ZoneSetBuilder::new();
    for (apex, records) in zones {
        builder.zone(&wire(apex))?;
        for (owner, rtype, ttl, rdata) in records {
            builder.record(&wire(owner), *rtype, 1, *ttl, rdata)?;
        }
    }
    builder.finish()
}

fn blob() -> Vec<u8> {
    build(&[
        (EX, example_records()),
        ("sub.example.test.", sub_records()),
        ("other.test.", other_records()),
    ])
    .unwrap()
}

fn zones() -> Zones {
    Zones::from_compiled(&blob()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Asking

/// A query: id 0x1234, RD set, one question, optionally an OPT.
fn query(name: &str, qtype: u16) -> Vec<u8> {
    query_with(name, qtype, 1, 0x0100, None)
}

/// EDNS parameters of a test query: payload size, version, DO.
type EdnsParams = (u16, u8, bool);

fn query_with(
    name: &str,
    qtype: u16,
    qclass: u16,
    flags: u16,
    edns: Option<EdnsParams>,
) -> Vec<u8> {
    let mut q = vec![0x12, 0x34];
    q.extend_from_slice(&flags.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    q.extend_from_slice(&wire(name));
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&qclass.to_be_bytes());
    if let Some((payload, version, dnssec_ok)) = edns {
        q.push(0);
        q.extend_from_slice(&OPT.to_be_bytes());
        q.extend_from_slice(&payload.to_be_bytes());
        q.extend_from_slice(&[0, version, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    q
}

/// Sends `bytes` and returns the response octets.
fn raw(zones: &Zones, bytes: &[u8], transport: Transport) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match respond(zones, bytes, transport, &mut out) {
        Response::Reply(n) => {
            assert_eq!(n, out.len());
            Some(out)
        }
        Response::Drop => None,
    }
}

/// A parsed response.
struct Reply {
    bytes: Vec<u8>,
    message: Message,
}

impl Reply {
    fn rcode(&self) -> ResponseCode {
        self.message.metadata.response_code
    }
    fn aa(&self) -> bool {
        self.message.metadata.authoritative
    }
    fn tc(&self) -> bool {
        self.message.metadata.truncation
    }
    fn answers(&self) -> Vec<String> {
        texts(&self.message.answers)
    }
    fn authorities(&self) -> Vec<String> {
        texts(&self.message.authorities)
    }
    fn additionals(&self) -> Vec<String> {
        texts(&self.message.additionals)
    }
}

fn texts(records: &[hickory_proto::rr::Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| format!("{} {} {} {}", r.name, r.ttl, r.record_type(), r.data))
        .collect()
}

fn ask_bytes(zones: &Zones, bytes: &[u8], transport: Transport) -> Reply {
    let bytes = raw(zones, bytes, transport).expect("a response");
    let message = Message::from_vec(&bytes)
        .unwrap_or_else(|e| panic!("response does not parse: {e}: {bytes:02x?}"));
    assert_eq!(message.metadata.id, 0x1234);
    assert_eq!(
        message.metadata.message_type,
        hickory_proto::op::MessageType::Response
    );
    Reply { bytes, message }
}

fn ask(zones: &Zones, name: &str, qtype: u16) -> Reply {
    ask_bytes(zones, &query(name, qtype), Transport::Udp)
}

const SOA_EX: &str =
    "example.test. 300 SOA ns1.example.test. hostmaster.example.test. 1 7200 3600 1209600 300";

// ---------------------------------------------------------------------------------------------
// Positive answers, CNAME, case

#[test]
fn authoritative_answer() {
    let zones = zones();
    let reply = ask(&zones, "web.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.aa() && !reply.tc());
    assert!(reply.message.metadata.recursion_desired, "RD is copied");
    assert!(!reply.message.metadata.recursion_available);
    assert_eq!(reply.answers(), ["web.example.test. 3600 A 192.0.2.80"]);
    assert!(reply.authorities().is_empty() && reply.additionals().is_empty());
    // The whole message, byte for byte: the answer's owner points at the question.
    let mut expected = vec![0x12, 0x34, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
    expected.extend_from_slice(&wire("web.example.test."));
    expected.extend_from_slice(&[
        0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 80,
    ]);
    assert_eq!(reply.bytes, expected);
}

#[test]
fn case_insensitive_and_question_case_kept() {
    let zones = zones();
    let reply = ask(&zones, "mIXEDcase.EXAMPLE.test.", A);
    assert_eq!(
        reply.answers(),
        ["mIXEDcase.EXAMPLE.test. 3600 A 192.0.2.11"]
    );
    let qname = wire("mIXEDcase.EXAMPLE.test.");
    assert_eq!(&reply.bytes[12..12 + qname.len()], &qname[..]);
    // The data's own spelling shows where it is not the question's name.
    let reply = ask(&zones, "WWW.example.test.", A);
    assert_eq!(
        reply.answers(),
        [
            "WWW.example.test. 3600 CNAME web.example.test.",
            "web.example.test. 3600 A 192.0.2.80"
        ]
    );
}

#[test]
fn cname_chain_inside_the_zone() {
    let zones = zones();
    let reply = ask(&zones, "www.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.aa());
    assert_eq!(
        reply.answers(),
        [
            "www.example.test. 3600 CNAME web.example.test.",
            "web.example.test. 3600 A 192.0.2.80"
        ]
    );
    // Asking for the CNAME itself does not follow it.
    assert_eq!(
        ask(&zones, "www.example.test.", CNAME).answers(),
        ["www.example.test. 3600 CNAME web.example.test."]
    );
    // Out of the zone (even into another served zone): not followed.
    let reply = ask(&zones, "ext.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert_eq!(
        reply.answers(),
        ["ext.example.test. 3600 CNAME www.other.test."]
    );
    assert!(reply.authorities().is_empty());
}

#[test]
fn cname_loops_and_long_chains_are_bounded() {
    let zones = zones();
    let reply = ask(&zones, "loop1.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert_eq!(
        reply.answers(),
        [
            "loop1.example.test. 3600 CNAME loop2.example.test.",
            "loop2.example.test. 3600 CNAME loop1.example.test."
        ]
    );
    let reply = ask(&zones, "c1.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    let expected: Vec<String> = (1..=5)
        .map(|i| format!("c{i}.example.test. 3600 CNAME c{}.example.test.", i + 1))
        .collect();
    assert_eq!(reply.answers(), expected);
    assert!(reply.authorities().is_empty());
    // A chain of 5 that ends in data is answered in full.
    let reply = ask(&zones, "c4.example.test.", A);
    assert_eq!(reply.answers().len(), 5);
    assert_eq!(reply.answers()[4], "c8.example.test. 3600 A 192.0.2.8");
}

#[test]
fn cname_to_missing_empty_and_delegated_names() {
    let zones = zones();
    let reply = ask(&zones, "cnx.example.test.", A);
    assert_eq!(
        reply.rcode(),
        ResponseCode::NXDomain,
        "RFC 6604: the last name's code"
    );
    assert!(reply.aa());
    assert_eq!(
        reply.answers(),
        ["cnx.example.test. 3600 CNAME nothere.example.test."]
    );
    assert_eq!(reply.authorities(), [SOA_EX]);

    let reply = ask(&zones, "cent.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert_eq!(
        reply.answers(),
        ["cent.example.test. 3600 CNAME b.ent.example.test."]
    );
    assert_eq!(reply.authorities(), [SOA_EX]);

    let reply = ask(&zones, "cdeleg.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.aa(), "the CNAME is authoritative");
    assert_eq!(
        reply.answers(),
        ["cdeleg.example.test. 3600 CNAME x.deleg.example.test."]
    );
    assert_eq!(reply.authorities().len(), 3);
    assert!(
        reply
            .authorities()
            .iter()
            .all(|r| r.starts_with("deleg.example.test. 3600 NS "))
    );
}

// ---------------------------------------------------------------------------------------------
// Negative answers, wildcards, empty non-terminals

#[test]
fn nxdomain_and_nodata_carry_the_soa() {
    let zones = zones();
    let reply = ask(&zones, "nx.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NXDomain);
    assert!(reply.aa());
    assert!(reply.answers().is_empty());
    assert_eq!(
        reply.authorities(),
        [SOA_EX],
        "TTL = min(SOA TTL 3600, MINIMUM 300)"
    );

    let reply = ask(&zones, "web.example.test.", MX);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.answers().is_empty());
    assert_eq!(reply.authorities(), [SOA_EX]);

    // The child zone: TTL 60, MINIMUM 5.
    let reply = ask(&zones, "nx.sub.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NXDomain);
    assert_eq!(
        reply.authorities(),
        ["sub.example.test. 5 SOA ns.sub.example.test. h.sub.example.test. 1 7200 3600 1209600 5"]
    );
}

#[test]
fn negative_soa_owner_points_into_the_question() {
    let zones = zones();
    let reply = ask(&zones, "NX.Example.test.", A);
    // Like Knot: the apex is compressed against the question, case-insensitively.
    let owner_at = 12 + wire("NX.Example.test.").len() + 4;
    assert_eq!(&reply.bytes[owner_at..owner_at + 2], &[0xc0, 0x0f]);
    assert_eq!(
        reply.authorities()[0].split(' ').next(),
        Some("Example.test.")
    );
}

#[test]
fn empty_non_terminals_exist() {
    let zones = zones();
    for name in [
        "b.ent.example.test.",
        "ent.example.test.",
        "sw.example.test.",
        "wild.example.test.",
    ] {
        let reply = ask(&zones, name, A);
        assert_eq!(reply.rcode(), ResponseCode::NoError, "{name}");
        assert!(reply.answers().is_empty(), "{name}");
        assert_eq!(reply.authorities(), [SOA_EX], "{name}");
    }
    assert_eq!(
        ask(&zones, "q.a.b.ent.example.test.", A).rcode(),
        ResponseCode::NXDomain
    );
    assert_eq!(
        ask(&zones, "x.ent.example.test.", A).rcode(),
        ResponseCode::NXDomain
    );
}

#[test]
fn wildcards_follow_rfc4592() {
    let zones = zones();
    let reply = ask(&zones, "X.wild.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.aa());
    assert_eq!(reply.answers(), ["X.wild.example.test. 3600 A 192.0.2.99"]);
    // Names below the wildcard's owner are covered too.
    assert_eq!(
        ask(&zones, "y.x.wild.example.test.", A).answers(),
        ["y.x.wild.example.test. 3600 A 192.0.2.99"]
    );
    // NODATA from a wildcard.
    let reply = ask(&zones, "x.wild.example.test.", TXT);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.answers().is_empty());
    assert_eq!(reply.authorities(), [SOA_EX]);
    // The additional section of a synthesized MX.
    let reply = ask(&zones, "x.wild.example.test.", MX);
    assert_eq!(
        reply.answers(),
        ["x.wild.example.test. 3600 MX 5 mail.example.test."]
    );
    assert_eq!(
        reply.additionals(),
        ["mail.example.test. 3600 A 192.0.2.25"]
    );
    // An existing name blocks the wildcard below it (closest encloser b.sw has no `*`).
    assert_eq!(
        ask(&zones, "x.sw.example.test.", TXT).answers(),
        ["x.sw.example.test. 3600 TXT wild"]
    );
    assert_eq!(
        ask(&zones, "q.b.sw.example.test.", TXT).rcode(),
        ResponseCode::NXDomain
    );
    assert_eq!(
        ask(&zones, "b.sw.example.test.", TXT).authorities(),
        [SOA_EX]
    );
    // The wildcard's own name is an ordinary name.
    assert_eq!(
        ask(&zones, "*.sw.example.test.", TXT).answers(),
        ["*.sw.example.test. 3600 TXT wild"]
    );
    assert_eq!(ask(&zones, "*.sw.example.test.", A).authorities(), [SOA_EX]);
    // A CNAME into a wildcard.
    let reply = ask(&zones, "wcname.example.test.", MX);
    assert_eq!(
        reply.answers(),
        [
            "wcname.example.test. 3600 CNAME x.wild.example.test.",
            "x.wild.example.test. 3600 MX 5 mail.example.test."
        ]
    );
    assert_eq!(
        reply.additionals(),
        ["mail.example.test. 3600 A 192.0.2.25"]
    );
}

// ---------------------------------------------------------------------------------------------
// Delegations, DS, several zones

#[test]
fn referral_at_and_below_a_cut() {
    let zones = zones();
    for (name, qtype) in [
        ("deleg.example.test.", A),
        ("x.deleg.example.test.", A),
        ("deleg.example.test.", NS),
        ("x.deleg.example.test.", DS),
        ("deleg.example.test.", ANY),
    ] {
        let reply = ask(&zones, name, qtype);
        assert_eq!(reply.rcode(), ResponseCode::NoError, "{name}");
        assert!(!reply.aa(), "{name}: a referral is not authoritative");
        assert!(reply.answers().is_empty(), "{name}");
        assert_eq!(
            reply.authorities(),
            // RDATA order (RFC 4034 §6.3), as Knot sorts them.
            [
                "deleg.example.test. 3600 NS ns.deleg.example.test.",
                "deleg.example.test. 3600 NS ns.outside.test.",
                "deleg.example.test. 3600 NS mail.example.test.",
            ],
            "{name}"
        );
        assert_eq!(
            reply.additionals(),
            [
                "ns.deleg.example.test. 3600 A 192.0.2.210",
                "ns.deleg.example.test. 3600 AAAA 2001:db8::210",
                "mail.example.test. 3600 A 192.0.2.25",
            ],
            "{name}"
        );
    }
    // The glue itself is not answered authoritatively either.
    let reply = ask(&zones, "ns.deleg.example.test.", A);
    assert!(!reply.aa());
    assert_eq!(reply.authorities().len(), 3);
    // A cut whose NS target is in the zone but outside the cut.
    let reply = ask(&zones, "a.nsx.example.test.", A);
    assert_eq!(
        reply.authorities(),
        ["nsx.example.test. 3600 NS ns1.example.test."]
    );
    assert_eq!(
        reply.additionals(),
        [
            "ns1.example.test. 3600 A 192.0.2.53",
            "ns1.example.test. 3600 AAAA 2001:db8::53"
        ]
    );
}

#[test]
fn ds_is_answered_from_the_parent() {
    let zones = zones();
    let reply = ask(&zones, "deleg.example.test.", DS);
    assert!(reply.aa());
    assert_eq!(reply.answers().len(), 1);
    assert!(
        reply.answers()[0].starts_with("deleg.example.test. 3600 DS "),
        "{:?}",
        reply.answers()
    );
    // sub.example.test is also served as a zone: its DS still comes from example.test.
    let reply = ask(&zones, "sub.example.test.", DS);
    assert!(reply.aa());
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert_eq!(reply.authorities(), [SOA_EX]);
}

#[test]
fn longest_matching_zone_answers() {
    let zones = zones();
    let reply = ask(&zones, "x.sub.example.test.", A);
    assert!(reply.aa());
    assert_eq!(reply.answers(), ["x.sub.example.test. 60 A 192.0.2.202"]);
    // The child's own data, not the parent's glue.
    assert_eq!(
        ask(&zones, "ns.sub.example.test.", A).answers(),
        ["ns.sub.example.test. 60 A 192.0.2.201"]
    );
    let reply = ask(&zones, "sub.example.test.", SOA);
    assert!(reply.aa());
    assert_eq!(reply.answers().len(), 1);
    assert_eq!(
        ask(&zones, "www.other.test.", A).answers(),
        ["www.other.test. 600 A 198.51.100.1"]
    );
}

#[test]
fn names_outside_every_zone_are_refused() {
    let zones = zones();
    for name in ["nothere.test.", ".", "example.", "xexample.test."] {
        let reply = ask(&zones, name, A);
        assert_eq!(reply.rcode(), ResponseCode::Refused, "{name}");
        assert!(!reply.aa());
        assert!(reply.answers().is_empty() && reply.authorities().is_empty());
        assert_eq!(reply.message.queries.len(), 1, "the question is echoed");
    }
}

// ---------------------------------------------------------------------------------------------
// DNAME, ANY, additional section

/// hickory-proto shows DNAME RDATA as base64: this is `other.test.` in wire form.
const DNAME_RR: &str = "dn.example.test. 3600 DNAME BW90aGVyBHRlc3QA";

#[test]
fn dname_synthesizes_a_cname() {
    let zones = zones();
    let reply = ask(&zones, "foo.dn.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NoError);
    assert!(reply.aa());
    assert_eq!(
        reply.answers(),
        [DNAME_RR, "foo.dn.example.test. 3600 CNAME foo.other.test."]
    );
    let reply = ask(&zones, "cdn.example.test.", A);
    assert_eq!(
        reply.answers(),
        [
            "cdn.example.test. 3600 CNAME foo.dn.example.test.",
            DNAME_RR,
            "foo.dn.example.test. 3600 CNAME foo.other.test.",
        ]
    );
    // At the DNAME's own name it is ordinary data.
    assert_eq!(ask(&zones, "dn.example.test.", DNAME).answers(), [DNAME_RR]);
    assert_eq!(ask(&zones, "dn.example.test.", A).authorities(), [SOA_EX]);
}

#[test]
fn dname_overflow_is_yxdomain() {
    let long_target = format!(
        "{}.{}.{}.x.",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63)
    );
    let mut records = example_records();
    records.push(rr(&ex("long"), DNAME, 60, wire(&long_target)));
    let zones = Zones::from_compiled(&build(&[(EX, records)]).unwrap()).unwrap();
    let qname = format!("{}.{}.long.example.test.", "d".repeat(40), "e".repeat(20));
    let reply = ask(&zones, &qname, A);
    assert_eq!(reply.rcode(), ResponseCode::YXDomain);
    assert_eq!(reply.answers().len(), 1, "the DNAME only");
    let mut out = Vec::new();
    let outcome = answer(&zones, &query(&qname, A), Transport::Udp, &mut out);
    assert_eq!(outcome.rcode, Some(Rcode::YxDomain));
}

#[test]
fn any_returns_one_rrset() {
    let zones = zones();
    // The RRset with the lowest type, as Knot answers.
    assert_eq!(
        ask(&zones, "example.test.", ANY).answers(),
        ["example.test. 3600 A 192.0.2.1"]
    );
    assert_eq!(
        ask(&zones, "ns1.example.test.", ANY).answers(),
        ["ns1.example.test. 3600 A 192.0.2.53"]
    );
    assert_eq!(
        ask(&zones, "www.example.test.", ANY).answers(),
        ["www.example.test. 3600 CNAME web.example.test."]
    );
    let reply = ask(&zones, "mxonly.example.test.", ANY);
    assert_eq!(
        reply.answers(),
        ["mxonly.example.test. 3600 MX 1 mail.example.test."]
    );
    assert_eq!(
        reply.additionals(),
        ["mail.example.test. 3600 A 192.0.2.25"]
    );
    assert_eq!(
        ask(&zones, "zz.wild.example.test.", ANY).answers(),
        ["zz.wild.example.test. 3600 A 192.0.2.99"]
    );
    assert_eq!(
        ask(&zones, "nx.example.test.", ANY).rcode(),
        ResponseCode::NXDomain
    );
    assert_eq!(
        ask(&zones, "b.ent.example.test.", ANY).authorities(),
        [SOA_EX]
    );
    let tcp = ask_bytes(&zones, &query("example.test.", ANY), Transport::Tcp);
    assert_eq!(tcp.answers().len(), 1, "the same over TCP");
}

#[test]
fn additional_section_for_mx_ns_srv() {
    let zones = zones();
    let reply = ask(&zones, "example.test.", MX);
    assert_eq!(
        reply.answers(),
        ["example.test. 3600 MX 10 mail.example.test."]
    );
    assert_eq!(
        reply.additionals(),
        ["mail.example.test. 3600 A 192.0.2.25"]
    );

    let reply = ask(&zones, "example.test.", NS);
    assert!(reply.aa());
    assert_eq!(
        reply.answers(),
        [
            "example.test. 3600 NS ns1.example.test.",
            "example.test. 3600 NS ns2.other.test."
        ]
    );
    assert_eq!(
        reply.additionals(),
        [
            "ns1.example.test. 3600 A 192.0.2.53",
            "ns1.example.test. 3600 AAAA 2001:db8::53"
        ]
    );

    let reply = ask(&zones, "_sip._tcp.example.test.", SRV);
    assert_eq!(
        reply.answers(),
        ["_sip._tcp.example.test. 3600 SRV 0 5 5060 sip.example.test."]
    );
    assert_eq!(reply.additionals(), ["sip.example.test. 3600 A 192.0.2.60"]);

    // Glue below a cut, a wildcard, a CNAME (nothing), a duplicate target (once).
    let reply = ask(&zones, "multi.example.test.", MX);
    assert_eq!(reply.answers().len(), 6);
    assert_eq!(
        reply.additionals(),
        [
            "ns1.example.test. 3600 A 192.0.2.53",
            "ns1.example.test. 3600 AAAA 2001:db8::53",
            "mail.example.test. 3600 A 192.0.2.25",
            "ns.deleg.example.test. 3600 A 192.0.2.210",
            "ns.deleg.example.test. 3600 AAAA 2001:db8::210",
            "x.wild.example.test. 3600 A 192.0.2.99",
        ]
    );
}

#[test]
fn additional_records_that_do_not_fit_are_left_out() {
    // 20 MX targets with addresses: the answer fits in 512 octets, not all the addresses.
    let mut records = example_records();
    for i in 0..20 {
        records.push(rr(&ex("many"), MX, 60, mx(i, &ex(&format!("mx{i}")))));
        records.push(rr(&ex(&format!("mx{i}")), A, 60, a("192.0.2.1")));
    }
    let zones = Zones::from_compiled(&build(&[(EX, records)]).unwrap()).unwrap();
    let reply = ask(&zones, "many.example.test.", MX);
    assert!(!reply.tc());
    assert!(reply.bytes.len() <= 512);
    assert_eq!(reply.answers().len(), 20);
    assert!(!reply.additionals().is_empty() && reply.additionals().len() < 20);
    let reply = ask_bytes(&zones, &query("many.example.test.", MX), Transport::Tcp);
    assert_eq!(reply.additionals().len(), 20);
}

// ---------------------------------------------------------------------------------------------
// EDNS, truncation

#[test]
fn edns_is_echoed_with_our_payload_size() {
    let zones = zones();
    let reply = ask_bytes(
        &zones,
        &query_with("web.example.test.", A, 1, 0, Some((4096, 0, true))),
        Transport::Udp,
    );
    let edns = reply.message.edns.as_ref().expect("an OPT");
    assert_eq!(edns.max_payload(), 1232);
    assert_eq!(edns.version(), 0);
    assert!(edns.flags().dnssec_ok, "DO is echoed");
    assert_eq!(reply.answers().len(), 1);
    // The OPT is the last 11 octets.
    assert_eq!(
        &reply.bytes[reply.bytes.len() - 11..],
        &[0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]
    );
    let reply = ask_bytes(
        &zones,
        &query_with("web.example.test.", A, 1, 0, Some((512, 0, false))),
        Transport::Udp,
    );
    assert_eq!(
        &reply.bytes[reply.bytes.len() - 11..],
        &[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
    );
    // No OPT in the query, none in the response.
    assert!(ask(&zones, "web.example.test.", A).message.edns.is_none());
}

#[test]
fn unknown_edns_version_is_badvers() {
    let zones = zones();
    let bytes = raw(
        &zones,
        &query_with("web.example.test.", A, 1, 0, Some((1232, 1, true))),
        Transport::Udp,
    )
    .unwrap();
    // Header: QR, no AA, RCODE 0 (BADVERS is 16: its upper bits go in the OPT).
    assert_eq!(&bytes[2..12], &[0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    let opt = &bytes[bytes.len() - 11..];
    assert_eq!(opt, &[0, 0, 41, 0x04, 0xd0, 1, 0, 0x80, 0, 0, 0]);
    let message = Message::from_vec(&bytes).unwrap();
    assert_eq!(u16::from(message.metadata.response_code), 16, "BADVERS");
    let mut out = Vec::new();
    let q = query_with("web.example.test.", A, 1, 0, Some((1232, 1, false)));
    assert_eq!(
        answer(&zones, &q, Transport::Udp, &mut out).rcode,
        Some(Rcode::BadVers)
    );
}

#[test]
fn truncation_over_udp() {
    let zones = zones();
    // Six 110-octet TXT records: about 750 octets.
    for edns in [None, Some((512, 0, false)), Some((700, 0, true))] {
        let q = query_with("big.example.test.", TXT, 1, 0, edns);
        let reply = ask_bytes(&zones, &q, Transport::Udp);
        assert!(reply.tc(), "{edns:?}");
        assert!(reply.aa());
        assert_eq!(reply.rcode(), ResponseCode::NoError);
        // Like Knot: header, question (and OPT), nothing else.
        let question_end = 12 + wire("big.example.test.").len() + 4;
        let opt_len = if edns.is_some() { 11 } else { 0 };
        assert_eq!(reply.bytes.len(), question_end + opt_len, "{edns:?}");
        assert_eq!(
            &reply.bytes[4..12],
            &[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]
        );
        assert_eq!(reply.message.edns.is_some(), edns.is_some());
    }
    // A large enough payload size, or TCP: the whole answer.
    let reply = ask_bytes(
        &zones,
        &query_with("big.example.test.", TXT, 1, 0, Some((1232, 0, false))),
        Transport::Udp,
    );
    assert!(!reply.tc());
    assert_eq!(reply.answers().len(), 6);
    let reply = ask_bytes(&zones, &query("big.example.test.", TXT), Transport::Tcp);
    assert!(!reply.tc());
    assert_eq!(reply.answers().len(), 6);
    // Payload sizes above ours are capped at 1232.
    let mut records = example_records();
    for i in 0..12 {
        records.push(rr(
            &ex("huge"),
            TXT,
            60,
            txt(&format!("{}{i:02}", "h".repeat(100))),
        ));
    }
    let zones = Zones::from_compiled(&build(&[(EX, records)]).unwrap()).unwrap();
    let reply = ask_bytes(
        &zones,
        &query_with("huge.example.test.", TXT, 1, 0, Some((4096, 0, false))),
        Transport::Udp,
    );
    assert!(reply.tc());
    let mut out = Vec::new();
    let outcome = answer(
        &zones,
        &query("huge.example.test.", TXT),
        Transport::Udp,
        &mut out,
    );
    assert!(outcome.truncated);
}

#[test]
fn required_glue_that_does_not_fit_truncates() {
    let mut records = example_records();
    for i in 0..12 {
        let server = format!("a-rather-long-name-server-label-{i:02}.big-deleg");
        records.push(rr(&ex("big-deleg"), NS, 60, wire(&ex(&server))));
        records.push(rr(&ex(&server), A, 60, a("192.0.2.1")));
        records.push(rr(&ex(&server), AAAA, 60, aaaa("2001:db8::1")));
    }
    let zones = Zones::from_compiled(&build(&[(EX, records)]).unwrap()).unwrap();
    let reply = ask(&zones, "www.big-deleg.example.test.", A);
    assert!(reply.tc(), "in-domain glue must fit (RFC 9471)");
    let reply = ask_bytes(
        &zones,
        &query("www.big-deleg.example.test.", A),
        Transport::Tcp,
    );
    assert!(!reply.tc());
    assert_eq!(reply.additionals().len(), 24);
}

#[test]
fn compression_keeps_referrals_small() {
    let zones = zones();
    let reply = ask(&zones, "x.deleg.example.test.", A);
    // Every owner and NS target ending in example.test is compressed against the question.
    let uncompressed = Message::from_vec(&reply.bytes)
        .unwrap()
        .to_vec()
        .unwrap()
        .len();
    assert!(
        reply.bytes.len() <= uncompressed,
        "{} > {uncompressed}",
        reply.bytes.len()
    );
    assert!(reply.bytes.len() < 200, "{}", reply.bytes.len());
}

// ---------------------------------------------------------------------------------------------
// Errors: opcode, class, QR, malformed queries

fn header_of(bytes: &[u8]) -> [u8; 12] {
    bytes[..12].try_into().unwrap()
}

#[test]
fn other_opcodes_are_notimp() {
    let zones = zones();
    // EDNS version first, then the opcode, then the question count (Knot's order).
    let bytes = raw(
        &zones,
        &query_with("web.example.test.", A, 1, 1 << 11, Some((1232, 1, false))),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!((bytes[2], bytes[3]), (0x88, 0x00));
    assert_eq!(
        &bytes[bytes.len() - 11..],
        &[0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0]
    );
    let no_question = [0x12, 0x34, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(
        raw(&zones, &no_question, Transport::Udp).unwrap(),
        [0x12, 0x34, 0x88, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    for opcode in [1u16, 2, 4, 5, 15] {
        let bytes = raw(
            &zones,
            &query_with("web.example.test.", A, 1, opcode << 11, None),
            Transport::Udp,
        )
        .unwrap();
        assert_eq!(bytes[2], 0x80 | (opcode as u8) << 3, "QR and the opcode");
        assert_eq!(bytes[3] & 0x0f, 4, "NOTIMP");
        assert_eq!(&bytes[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
    }
}

#[test]
fn responses_are_dropped() {
    let zones = zones();
    assert_eq!(
        raw(
            &zones,
            &query_with("web.example.test.", A, 1, 0x8000, None),
            Transport::Udp
        ),
        None
    );
    assert_eq!(raw(&zones, &[], Transport::Udp), None);
    assert_eq!(
        raw(
            &zones,
            &[0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            Transport::Tcp
        ),
        None
    );
}

#[test]
fn classes_and_query_types() {
    let zones = zones();
    for class in [3u16, 4, 254, 99] {
        let reply = ask_bytes(
            &zones,
            &query_with("web.example.test.", A, class, 0, None),
            Transport::Udp,
        );
        assert_eq!(reply.rcode(), ResponseCode::Refused, "class {class}");
    }
    // Class ANY is answered as IN.
    let reply = ask_bytes(
        &zones,
        &query_with("web.example.test.", A, 255, 0, None),
        Transport::Udp,
    );
    assert_eq!(reply.answers(), ["web.example.test. 3600 A 192.0.2.80"]);
    for qtype in [0u16, AXFR, IXFR] {
        let reply = ask_bytes(
            &zones,
            &query_with("example.test.", qtype, 1, 0, None),
            Transport::Tcp,
        );
        assert_eq!(reply.rcode(), ResponseCode::NotImp, "type {qtype}");
    }
    // Other meta-types find no data.
    for qtype in [OPT, MAILA, MAILB, TSIG, 65000] {
        let reply = ask(&zones, "example.test.", qtype);
        assert_eq!(reply.rcode(), ResponseCode::NoError);
        assert_eq!(reply.authorities(), [SOA_EX]);
    }
}

#[test]
fn malformed_queries_get_formerr() {
    let zones = zones();
    let question = [wire("web.example.test."), vec![0, 1, 0, 1]].concat();
    let header = |counts: [u16; 4]| {
        let mut h = vec![0x12, 0x34, 0x01, 0x00];
        for c in counts {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    };
    let opt = |rdata: &[u8]| {
        let mut r = vec![0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0];
        r.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        r.extend_from_slice(rdata);
        r
    };
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("qdcount 0", header([0, 0, 0, 0]), false),
        (
            "qdcount 0 and a record",
            [
                header([0, 1, 0, 0]),
                wire("a."),
                vec![0, 1, 0, 1, 0, 0, 0, 1, 0, 0],
            ]
            .concat(),
            false,
        ),
        (
            "qdcount 2",
            [header([2, 0, 0, 0]), question.clone(), question.clone()].concat(),
            false,
        ),
        ("no question", header([1, 0, 0, 0]), false),
        (
            "label past the end",
            [header([1, 0, 0, 0]), b"\x10abc".to_vec()].concat(),
            false,
        ),
        (
            "no type",
            [header([1, 0, 0, 0]), wire("web.example.test.")].concat(),
            false,
        ),
        (
            "compression loop",
            [header([1, 0, 0, 0]), vec![0xc0, 12, 0, 1, 0, 1]].concat(),
            false,
        ),
        (
            "forward pointer",
            [header([1, 0, 0, 0]), vec![0xc0, 14, 0, 1, 0, 1], wire("a.")].concat(),
            false,
        ),
        (
            "label type 01",
            [header([1, 0, 0, 0]), vec![0x41, 0, 0, 1, 0, 1]].concat(),
            false,
        ),
        (
            "trailing octets",
            [header([1, 0, 0, 0]), question.clone(), b"xyz".to_vec()].concat(),
            true,
        ),
        (
            "missing additional",
            [header([1, 0, 0, 1]), question.clone()].concat(),
            true,
        ),
        (
            "two OPT",
            [header([1, 0, 0, 2]), question.clone(), opt(b""), opt(b"")].concat(),
            true,
        ),
        (
            "bad EDNS option",
            [
                header([1, 0, 0, 1]),
                question.clone(),
                opt(b"\x00\x03\x00\x05ab"),
            ]
            .concat(),
            true,
        ),
        (
            "OPT in the answer",
            [header([1, 1, 0, 0]), question.clone(), opt(b"")].concat(),
            true,
        ),
        (
            "OPT in the authority",
            [header([1, 0, 1, 0]), question.clone(), opt(b"")].concat(),
            true,
        ),
        (
            "record past the end",
            [
                header([1, 0, 0, 1]),
                question.clone(),
                vec![0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1],
            ]
            .concat(),
            true,
        ),
    ];
    for (what, bytes, question_echoed) in cases {
        let reply =
            raw(&zones, &bytes, Transport::Udp).unwrap_or_else(|| panic!("{what}: dropped"));
        assert_eq!(reply[3] & 0x0f, 1, "{what}: FORMERR");
        assert_eq!(reply[2], 0x81, "{what}: QR, RD copied, no AA");
        assert_eq!(&reply[0..2], &[0x12, 0x34]);
        let qdcount = u16::from(question_echoed);
        assert_eq!(
            &reply[4..12],
            &[0, qdcount as u8, 0, 0, 0, 0, 0, 0],
            "{what}"
        );
        let message = Message::from_vec(&reply).unwrap();
        assert_eq!(message.metadata.response_code, ResponseCode::FormErr);
        assert!(message.edns.is_none(), "{what}");
    }
    // A message that does not parse gets no OPT back, even when its OPT parsed (as Knot).
    let bytes = [
        header([1, 0, 0, 1]),
        question.clone(),
        opt(b"\x00\x0a\x00\x02ab"),
        b"x".to_vec(),
    ]
    .concat();
    let reply = raw(&zones, &bytes, Transport::Udp).unwrap();
    assert_eq!(header_of(&reply)[3] & 0x0f, 1);
    assert!(Message::from_vec(&reply).unwrap().edns.is_none());
    // No question but a valid OPT: FORMERR with the OPT; BADVERS comes first.
    let reply = raw(
        &zones,
        &[header([0, 0, 0, 1]), opt(b"")].concat(),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(
        reply,
        [
            &[0x12, 0x34, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 1][..],
            &[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]
        ]
        .concat()
    );
    let mut v1 = opt(b"");
    v1[6] = 1;
    let reply = raw(&zones, &[header([0, 0, 0, 1]), v1].concat(), Transport::Udp).unwrap();
    assert_eq!(reply[3] & 0x0f, 0);
    assert_eq!(
        &reply[reply.len() - 11..],
        &[0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0]
    );
    // Records in the answer and authority sections, and options other than COOKIE, are
    // ignored (a COOKIE option of a bad length is FORMERR: RFC 7873 §5.2.2).
    let record = [wire("a."), vec![0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]].concat();
    let bytes = [
        header([1, 1, 1, 2]),
        question.clone(),
        record.clone(),
        record.clone(),
        record,
        opt(b"\x00\x03\x00\x02ab"),
    ]
    .concat();
    let reply = ask_bytes(&zones, &bytes, Transport::Udp);
    assert_eq!(reply.answers(), ["web.example.test. 3600 A 192.0.2.80"]);
    assert!(reply.message.edns.is_some());
}

// ---------------------------------------------------------------------------------------------
// Robustness: random and mutated input

/// xorshift64*: a deterministic generator for the robustness tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Checks a response to arbitrary input: it parses, is a response, and fits its transport.
fn check_response(query: &[u8], out: &[u8], transport: Transport) {
    assert!(out.len() >= 12, "{query:02x?}");
    assert_eq!(&out[..2], &query[..2], "the ID is copied");
    assert!(out[2] & 0x80 != 0, "QR");
    if transport == Transport::Udp {
        assert!(out.len() <= 1232);
    }
    if let Err(e) = Message::from_vec(out) {
        panic!("response to {query:02x?} does not parse: {e}: {out:02x?}");
    }
}

#[test]
fn random_garbage_never_panics() {
    let zones = zones();
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    let mut counters = Counters::default();
    let mut input = Vec::new();
    for i in 0..100_000 {
        input.clear();
        let len = rng.below(if i % 2 == 0 { 40 } else { 600 });
        input.extend((0..len).map(|_| rng.next() as u8));
        if i % 3 == 0 && len >= 12 {
            // Plausible headers reach deeper: QR clear, one question.
            input[2] &= 0x7f;
            input[4..6].copy_from_slice(&[0, 1]);
        }
        let transport = if i % 5 == 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let outcome = answer(&zones, &input, transport, &mut out);
        counters.record(&outcome);
        if let Response::Reply(n) = outcome.response {
            assert_eq!(n, out.len());
            check_response(&input, &out, transport);
        }
    }
    assert_eq!(counters.queries, 100_000);
    assert!(counters.formerr > 0 && counters.dropped > 0);
}

#[test]
fn mutated_queries_never_panic() {
    let zones = zones();
    let seeds: Vec<Vec<u8>> = [
        ("www.example.test.", A, None),
        ("x.deleg.example.test.", A, Some((1232, 0, true))),
        ("big.example.test.", TXT, Some((512, 0, false))),
        ("multi.example.test.", MX, None),
        ("foo.dn.example.test.", A, Some((4096, 0, false))),
        ("q.wild.example.test.", ANY, None),
        ("nx.sub.example.test.", A, Some((1232, 1, false))),
    ]
    .into_iter()
    .map(|(name, qtype, edns)| query_with(name, qtype, 1, 0x0100, edns))
    .collect();
    let mut rng = XorShift(42);
    let mut out = Vec::new();
    let mut answered = 0;
    for i in 0..60_000 {
        let mut input = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rng.below(4) {
            match rng.below(6) {
                0 => {
                    let at = rng.below(input.len());
                    input[at] = rng.next() as u8;
                }
                1 => {
                    let at = rng.below(input.len());
                    input[at] ^= 1 << rng.below(8);
                }
                2 => input.truncate(rng.below(input.len() + 1)),
                3 => {
                    let at = rng.below(input.len() + 1);
                    input.insert(at, rng.next() as u8);
                }
                4 => {
                    // Compression pointers in odd places.
                    let at = rng.below(input.len());
                    input[at] = 0xc0 | (rng.next() as u8 & 0x3f);
                }
                _ => {
                    // The section counts.
                    let at = (4 + rng.below(8)).min(input.len() - 1);
                    input[at] = rng.next() as u8;
                }
            }
            if input.is_empty() {
                break;
            }
        }
        let transport = if i % 4 == 0 {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        if let Response::Reply(_) = respond(&zones, &input, transport, &mut out) {
            check_response(&input, &out, transport);
            answered += 1;
        }
    }
    assert!(answered > 30_000, "{answered}");
}

// ---------------------------------------------------------------------------------------------
// The compiled format: builder errors, corrupt blobs

#[test]
fn builder_rejects_bad_zones() {
    let soa_rr = || rr(EX, SOA, 60, soa(&ex("ns"), &ex("h"), 1, 60));
    let ns_rr = || rr(EX, NS, 60, wire(&ex("ns")));
    let check = |records: Vec<Rr>, expected: BuildError| {
        let error = build(&[(EX, records)]).unwrap_err();
        assert_eq!(error, expected);
        assert!(!error.to_string().is_empty());
    };
    check(vec![ns_rr()], BuildError::MissingSoa { apex: EX.into() });
    check(
        vec![soa_rr()],
        BuildError::MissingApexNs { apex: EX.into() },
    );
    check(
        vec![
            soa_rr(),
            ns_rr(),
            rr(EX, SOA, 60, soa(&ex("ns2"), &ex("h"), 2, 60)),
        ],
        BuildError::MultipleSoa { apex: EX.into() },
    );
    check(
        vec![
            soa_rr(),
            ns_rr(),
            rr(&ex("x"), SOA, 60, soa(&ex("ns"), &ex("h"), 1, 60)),
        ],
        BuildError::SoaNotAtApex { owner: ex("x") },
    );
    check(
        vec![
            soa_rr(),
            ns_rr(),
            rr(&ex("x"), CNAME, 60, wire("a.")),
            rr(&ex("x"), A, 60, a("192.0.2.1")),
        ],
        BuildError::CnameAndOtherData {
            owner: ex("x"),
            rtype: A,
        },
    );
    check(
        vec![
            soa_rr(),
            ns_rr(),
            rr(&ex("x"), CNAME, 60, wire("a.")),
            rr(&ex("x"), CNAME, 60, wire("b.")),
        ],
        BuildError::MultipleAlias {
            owner: ex("x"),
            rtype: CNAME,
        },
    );
    check(
        vec![soa_rr(), ns_rr(), rr(EX, CNAME, 60, wire("a."))],
        BuildError::CnameAndOtherData {
            owner: EX.into(),
            rtype: NS,
        },
    );
    check(
        vec![
            soa_rr(),
            ns_rr(),
            rr(&ex("d"), DNAME, 60, wire("a.")),
            rr(&ex("x.d"), A, 60, a("192.0.2.1")),
        ],
        BuildError::BelowDname {
            owner: ex("x.d"),
            dname: ex("d"),
        },
    );
    // Errors found as records are added.
    let mut builder = ZoneSetBuilder::new();
    assert_eq!(
        builder.record(&wire(EX), A, 1, 60, &a("192.0.2.1")),
        Err(BuildError::NoZone)
    );
    assert_eq!(
        builder.zone(b"\x03www"),
        Err(BuildError::BadName { what: "zone apex" })
    );
    builder.zone(&wire(EX)).unwrap();
    assert_eq!(
        builder.zone(&wire("EXAMPLE.test.")),
        Err(BuildError::DuplicateZone {
            apex: "EXAMPLE.test.".into()
        })
    );
    assert_eq!(
        builder.record(b"\x01x", A, 1, 60, &a("192.0.2.1")),
        Err(BuildError::BadName { what: "owner" })
    );
    assert_eq!(
        builder.record(&wire(EX), A, 3, 60, &a("192.0.2.1")),
        Err(BuildError::Class {
            owner: EX.into(),
            rtype: A,
            class: 3
        })
    );
    assert_eq!(
        builder.record(&wire("www.other."), A, 1, 60, &a("192.0.2.1")),
        Err(BuildError::OutOfZone {
            owner: "www.other.".into(),
            apex: EX.into()
        })
    );
    assert_eq!(
        builder.record(&wire(EX), ANY, 1, 60, &[]),
        Err(BuildError::MetaType {
            owner: EX.into(),
            rtype: ANY
        })
    );
    assert_eq!(
        builder.record(&wire(EX), OPT, 1, 60, &[]),
        Err(BuildError::MetaType {
            owner: EX.into(),
            rtype: OPT
        })
    );
    assert!(matches!(
        builder.record(&wire(EX), A, 1, 60, &[1, 2, 3]),
        Err(BuildError::BadRdata { rtype: A, .. })
    ));
    assert!(matches!(
        builder.record(&wire(EX), MX, 1, 60, b"\x00\x01\xc0\x0c"),
        Err(BuildError::BadRdata { rtype: MX, .. })
    ));
    let message = BuildError::CnameAndOtherData {
        owner: ex("x"),
        rtype: A,
    }
    .to_string();
    assert!(
        message.contains("x.example.test.") && message.contains("CNAME") && message.contains(" A "),
        "{message}"
    );
}

#[test]
fn builder_merges_like_knot() {
    let mut records = example_records();
    // Duplicates dropped; the last TTL of an RRset wins; the first spelling of a name wins.
    records.push(rr(&ex("ttl"), A, 100, a("192.0.2.1")));
    records.push(rr(&ex("TTL"), A, 50, a("192.0.2.2")));
    records.push(rr(&ex("ttl"), A, 200, a("192.0.2.3")));
    records.push(rr(&ex("ttl"), A, 200, a("192.0.2.3")));
    let zones = Zones::from_compiled(&build(&[(EX, records.clone())]).unwrap()).unwrap();
    assert_eq!(zones.record_count(), records.len() - 1);
    let reply = ask(&zones, "ttl.example.test.", A);
    assert_eq!(
        reply.answers(),
        [
            "ttl.example.test. 200 A 192.0.2.1",
            "ttl.example.test. 200 A 192.0.2.2",
            "ttl.example.test. 200 A 192.0.2.3"
        ]
    );
    let reply = ask(&zones, "ns.ttl.example.test.", A);
    assert_eq!(reply.rcode(), ResponseCode::NXDomain);
    let reply = ask(&zones, "multi.example.test.", MX);
    assert_eq!(
        reply.answers()[0],
        "multi.example.test. 3600 MX 1 ns1.example.test."
    );
    // Order-independent: the same zone added in reverse compiles to the same blob.
    let mut reversed = example_records();
    reversed.reverse();
    assert_eq!(
        build(&[(EX, example_records())]).unwrap(),
        build(&[(EX, reversed)]).unwrap()
    );
}

#[test]
fn zone_names_and_counts() {
    let zones = zones();
    let names: Vec<String> = zones.zone_names().collect();
    assert_eq!(names, ["example.test.", "sub.example.test.", "other.test."]);
    assert_eq!(
        zones.record_count(),
        example_records().len() + sub_records().len() + other_records().len()
    );
}

/// Rewrites the checksum so that corruption reaches the parser.
fn fix_checksum(blob: &mut [u8]) {
    if blob.len() >= 16 {
        let sum = crate::compiled::checksum(&blob[16..]);
        blob[12..16].copy_from_slice(&sum.to_be_bytes());
    }
}

#[test]
fn corrupt_blobs_are_load_errors() {
    let good = blob();
    assert!(matches!(
        Zones::from_compiled(b""),
        Err(LoadError::BadMagic)
    ));
    assert!(matches!(
        Zones::from_compiled(b"XDNZ\x00"),
        Err(LoadError::Truncated { .. })
    ));
    let mut version = good.clone();
    version[5] = 9;
    assert_eq!(
        Zones::from_compiled(&version).unwrap_err(),
        LoadError::Version(9)
    );
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_eq!(
        Zones::from_compiled(&flipped).unwrap_err(),
        LoadError::Checksum
    );
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        Zones::from_compiled(&longer),
        Err(LoadError::Malformed { .. })
    ));
    let mut no_zones = good[..16].to_vec();
    no_zones[6..8].copy_from_slice(&[0, 0]);
    no_zones[8..12].copy_from_slice(&16u32.to_be_bytes());
    fix_checksum(&mut no_zones);
    assert_eq!(
        Zones::from_compiled(&no_zones).unwrap_err(),
        LoadError::NoZones
    );
    // A bad zone offset.
    let mut offset = good.clone();
    offset[16..20].copy_from_slice(&9999u32.to_be_bytes());
    fix_checksum(&mut offset);
    assert!(matches!(
        Zones::from_compiled(&offset),
        Err(LoadError::Malformed { .. })
    ));
    // Every truncation.
    for len in 0..good.len() {
        assert!(
            Zones::from_compiled(&good[..len]).is_err(),
            "truncated to {len}"
        );
        let mut cut = good[..len].to_vec();
        if len >= 12 {
            cut[8..12].copy_from_slice(&(len as u32).to_be_bytes());
        }
        fix_checksum(&mut cut);
        assert!(
            Zones::from_compiled(&cut).is_err(),
            "truncated to {len}, header fixed"
        );
    }
    for error in [
        LoadError::BadMagic,
        LoadError::Checksum,
        LoadError::Version(2),
    ] {
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn random_corruption_never_panics() {
    let good = blob();
    let mut rng = XorShift(7);
    let (mut loaded, mut rejected) = (0, 0);
    let mut out = Vec::new();
    for i in 0..4000 {
        let mut bad = good.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bad.len());
            match rng.below(3) {
                0 => bad[at] = rng.next() as u8,
                1 => bad[at] ^= 1 << rng.below(8),
                _ => bad[at] = bad[at].wrapping_add(1),
            }
        }
        if i % 2 == 0 {
            fix_checksum(&mut bad);
        }
        match Zones::from_compiled(&bad) {
            Ok(zones) => {
                loaded += 1;
                // Whatever loads must answer without panicking.
                for (name, qtype) in [
                    ("www.example.test.", A),
                    ("x.deleg.example.test.", A),
                    ("multi.example.test.", MX),
                ] {
                    if let Response::Reply(_) =
                        respond(&zones, &query(name, qtype), Transport::Udp, &mut out)
                    {
                        check_response(&query(name, qtype), &out, Transport::Udp);
                    }
                }
            }
            Err(error) => {
                rejected += 1;
                assert!(!error.to_string().is_empty());
            }
        }
    }
    assert!(rejected > 2000, "{loaded} loaded, {rejected} rejected");
    // Random bytes with a valid header.
    for _ in 0..2000 {
        let len = 16 + rng.below(200);
        let mut bad: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        bad[..6].copy_from_slice(b"XDNZ\x00\x01");
        bad[8..12].copy_from_slice(&(len as u32).to_be_bytes());
        fix_checksum(&mut bad);
        assert!(Zones::from_compiled(&bad).is_err());
    }
}

#[test]
fn ten_thousand_records_load_quickly() {
    let mut records = vec![
        rr(EX, SOA, 3600, soa(&ex("ns1"), &ex("hostmaster"), 1, 300)),
        rr(EX, NS, 3600, wire(&ex("ns1"))),
        rr(&ex("ns1"), A, 3600, a("192.0.2.53")),
    ];
    for i in 0..10_000u32 {
        let [_, b, c, d] = i.to_be_bytes();
        records.push(rr(
            &ex(&format!("host{i}.dept{}", i % 97)),
            A,
            300,
            vec![10, b, c, d],
        ));
    }
    let blob = build(&[(EX, records)]).unwrap();
    let start = std::time::Instant::now();
    let zones = Zones::from_compiled(&blob).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(zones.record_count(), 10_003);
    assert!(elapsed.as_secs() < 5, "{elapsed:?}");
    std::eprintln!(
        "10k records: blob {} octets, loaded in {elapsed:?}",
        blob.len()
    );
    for i in [0u32, 4321, 9999] {
        let reply = ask(&zones, &format!("HOST{i}.dept{}.example.test.", i % 97), A);
        let [_, b, c, d] = i.to_be_bytes();
        assert_eq!(
            reply.answers(),
            [format!(
                "HOST{i}.dept{}.example.test. 300 A 10.{b}.{c}.{d}",
                i % 97
            )]
        );
    }
    assert_eq!(
        ask(&zones, "dept5.example.test.", A).authorities(),
        [SOA_EX]
    );
    assert_eq!(
        ask(&zones, "host5.dept6.example.test.", A).rcode(),
        ResponseCode::NXDomain
    );
}

#[test]
fn counters_count_outcomes() {
    let zones = zones();
    let mut counters = Counters::default();
    let mut out = Vec::new();
    for q in [
        query("web.example.test.", A),
        query("nx.example.test.", A),
        query("nothere.test.", A),
        query_with("web.example.test.", A, 1, 0x8000, None),
        query("big.example.test.", TXT),
    ] {
        counters.record(&answer(&zones, &q, Transport::Udp, &mut out));
    }
    assert_eq!(
        counters,
        Counters {
            queries: 5,
            noerror: 2,
            nxdomain: 1,
            refused: 1,
            dropped: 1,
            truncated: 1,
            ..Counters::default()
        }
    );
    assert!(
        counters
            .to_string()
            .starts_with("queries=5 noerror=2 nxdomain=1 refused=1")
    );
}

// ---------------------------------------------------------------------------------------------
// Cookies (RFC 7873, RFC 9018) and response rate limiting

const CLIENT_V4: [u8; 4] = [198, 51, 100, 100];

fn client_at(seconds: u32, micros: u64) -> crate::Client<'static> {
    crate::Client {
        address: &CLIENT_V4,
        seconds,
        micros,
    }
}

/// `query_with(name, A, ...)` with EDNS and a COOKIE option holding `cookie`.
fn query_with_cookie(name: &str, cookie: &[u8]) -> Vec<u8> {
    let mut q = query_with(name, A, 1, 0x0100, Some((1232, 0, false)));
    let len = q.len();
    q[len - 2..].copy_from_slice(&(4 + cookie.len() as u16).to_be_bytes());
    q.extend_from_slice(&10u16.to_be_bytes());
    q.extend_from_slice(&(cookie.len() as u16).to_be_bytes());
    q.extend_from_slice(cookie);
    q
}

/// The COOKIE option's data in a response's OPT (the last record), if any.
fn response_cookie(response: &[u8]) -> Option<Vec<u8>> {
    let message = Message::from_vec(response).expect("a response that parses");
    message.edns?;
    // The OPT is the last record, and the cookie its only option.
    let at = response.len().checked_sub(4 + 24)?;
    (response.get(at..at + 4)? == [0, 10, 0, 24]).then(|| response[at + 4..].to_vec())
}

fn guard_with(rate: u32) -> crate::Guard {
    crate::Guard {
        cookies: Some(crate::cookie::Secret([5; 16])),
        limiter: crate::rrl::Limiter::new(
            crate::rrl::Settings {
                rate,
                slip: 2,
                window: 1,
                ..Default::default()
            },
            [6; 16],
        ),
    }
}

fn answer_with(
    zones: &Zones,
    query: &[u8],
    transport: Transport,
    client: &crate::Client<'_>,
    guard: &mut crate::Guard,
) -> (crate::Outcome, Vec<u8>) {
    let mut out = Vec::new();
    let outcome = crate::answer_from(zones, query, transport, client, guard, &mut out);
    (outcome, out)
}

#[test]
fn cookies_are_learnt_validated_and_forged_ones_get_badcookie() {
    use crate::cookie::Verdict;
    let zones = zones();
    let mut guard = guard_with(0);
    let client = client_at(1_000_000, 0);
    // A client cookie alone: a normal answer with a server cookie.
    let first = query_with_cookie("web.example.test.", b"clientck");
    let (outcome, out) = answer_with(&zones, &first, Transport::Udp, &client, &mut guard);
    assert_eq!(outcome.cookie, Verdict::ClientOnly);
    assert_eq!(outcome.rcode, Some(Rcode::NoError));
    let cookie = response_cookie(&out).expect("a COOKIE option in the response");
    assert_eq!(&cookie[..12], b"clientck\x01\x00\x00\x00");
    assert_eq!(cookie[12..16], 1_000_000u32.to_be_bytes());
    let message = Message::from_vec(&out).unwrap();
    assert_eq!(
        texts(&message.answers),
        ["web.example.test. 3600 A 192.0.2.80"]
    );
    // The server cookie back, a minute later: valid, answered normally, a new cookie.
    let later = client_at(1_000_060, 0);
    let second = query_with_cookie("web.example.test.", &cookie);
    let (outcome, out) = answer_with(&zones, &second, Transport::Udp, &later, &mut guard);
    assert_eq!(
        (outcome.cookie, outcome.rcode),
        (Verdict::Valid, Some(Rcode::NoError))
    );
    assert_eq!(
        response_cookie(&out).unwrap()[12..16],
        1_000_060u32.to_be_bytes()
    );
    // From another address, or two hours later, or forged: BADCOOKIE over UDP, with a fresh
    // cookie and no records (extended rcode 23: 7 in the header, 1 in the OPT).
    let elsewhere = crate::Client {
        address: &[198, 51, 100, 101],
        ..later
    };
    let mut forged = cookie.clone();
    forged[20] ^= 0x55;
    for (query, client) in [
        (second.clone(), elsewhere),
        (second.clone(), client_at(1_007_201, 0)),
        (query_with_cookie("web.example.test.", &forged), later),
    ] {
        let (outcome, out) = answer_with(&zones, &query, Transport::Udp, &client, &mut guard);
        assert_eq!(
            (outcome.cookie, outcome.rcode),
            (Verdict::Invalid, Some(Rcode::BadCookie))
        );
        assert_eq!(out[3] & 0x0f, 7);
        assert_eq!(&out[6..10], [0, 0, 0, 0], "no answer or authority records");
        // The OPT's TTL: extended rcode, version, flags; then RDLENGTH and the option.
        let ttl = out.len() - 28 - 2 - 4;
        assert_eq!(out[ttl], 1, "the extended rcode's upper bits");
        let fresh = response_cookie(&out).expect("a fresh cookie");
        let retry = query_with_cookie("web.example.test.", &fresh);
        let (outcome, _) = answer_with(&zones, &retry, Transport::Udp, &client, &mut guard);
        assert_eq!(outcome.cookie, Verdict::Valid, "the fresh cookie works");
    }
    // Over TCP the address is proven: a normal answer, with a fresh cookie.
    let forged = query_with_cookie("web.example.test.", &forged);
    let (outcome, out) = answer_with(&zones, &forged, Transport::Tcp, &later, &mut guard);
    assert_eq!(
        (outcome.cookie, outcome.rcode),
        (Verdict::Invalid, Some(Rcode::NoError))
    );
    assert!(response_cookie(&out).is_some());
    // Without a cookie secret, cookies are ignored: no option in the response.
    let (outcome, out) = answer_with(
        &zones,
        &first,
        Transport::Udp,
        &later,
        &mut crate::Guard::default(),
    );
    assert_eq!(outcome.cookie, Verdict::None);
    assert!(Message::from_vec(&out).unwrap().edns.is_some());
    assert!(response_cookie(&out).is_none());
    // A malformed cookie is FORMERR.
    let bad = query_with_cookie("web.example.test.", b"short");
    let (outcome, _) = answer_with(&zones, &bad, Transport::Udp, &later, &mut guard);
    assert_eq!(outcome.rcode, Some(Rcode::FormErr));
}

#[test]
fn a_query_without_a_question_learns_a_cookie() {
    let zones = zones();
    let mut guard = guard_with(0);
    let mut query = query_with_cookie("web.example.test.", b"clientck");
    // QDCOUNT 0: drop the question (12 octets of header, then 18 of question).
    query[5] = 0;
    query.drain(12..12 + 18 + 4);
    let (outcome, out) = answer_with(&zones, &query, Transport::Udp, &client_at(5, 0), &mut guard);
    assert_eq!(outcome.rcode, Some(Rcode::NoError), "{out:02x?}");
    assert!(response_cookie(&out).is_some());
    let (outcome, _) = answer_with(
        &zones,
        &query,
        Transport::Udp,
        &client_at(5, 0),
        &mut crate::Guard::default(),
    );
    assert_eq!(outcome.rcode, Some(Rcode::FormErr), "without cookies");
}

#[test]
fn rate_limiting_drops_and_slips_udp_answers_per_prefix() {
    use crate::rrl::Verdict::{Drop, Pass, Slip};
    let zones = zones();
    let mut guard = guard_with(2);
    let q = query_with("web.example.test.", A, 1, 0x0100, Some((1232, 0, false)));
    let verdicts: Vec<_> = (0..6)
        .map(|_| answer_with(&zones, &q, Transport::Udp, &client_at(0, 0), &mut guard))
        .collect();
    let limits: Vec<_> = verdicts.iter().map(|(o, _)| o.limit).collect();
    assert_eq!(limits, [Pass, Pass, Drop, Slip, Drop, Slip]);
    // A dropped answer: nothing sent.
    assert_eq!(verdicts[2].0.response, Response::Drop);
    assert!(verdicts[2].1.is_empty());
    // A slipped one: header with TC and no records, the question, no OPT.
    let (outcome, out) = &verdicts[3];
    assert_eq!(outcome.response, Response::Reply(out.len()));
    assert!(outcome.truncated);
    let question = [wire("web.example.test."), vec![0, 1, 0, 1]].concat();
    assert_eq!(out.len(), 12 + question.len());
    assert_eq!(&out[12..], question);
    assert_eq!(&out[4..12], [0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(out[2] & 0x02, 0x02);
    // Over TCP: never limited. A second later: the rate again. Another /24: its own bucket.
    let (outcome, _) = answer_with(&zones, &q, Transport::Tcp, &client_at(0, 0), &mut guard);
    assert_eq!(outcome.limit, Pass);
    let (outcome, _) = answer_with(
        &zones,
        &q,
        Transport::Udp,
        &client_at(0, 1_000_000),
        &mut guard,
    );
    assert_eq!(outcome.limit, Pass);
    let other = crate::Client {
        address: &[198, 51, 101, 1],
        ..client_at(0, 0)
    };
    let (outcome, _) = answer_with(&zones, &q, Transport::Udp, &other, &mut guard);
    assert_eq!(outcome.limit, Pass);
    // A client with a valid server cookie is exempt.
    let (_, out) = answer_with(
        &zones,
        &query_with_cookie("web.example.test.", b"clientck"),
        Transport::Udp,
        &client_at(0, 0),
        &mut crate::Guard {
            cookies: guard.cookies,
            limiter: None,
        },
    );
    let cookie = response_cookie(&out).unwrap();
    let with_cookie = query_with_cookie("web.example.test.", &cookie);
    for _ in 0..20 {
        let (outcome, _) = answer_with(
            &zones,
            &with_cookie,
            Transport::Udp,
            &client_at(0, 0),
            &mut guard,
        );
        assert_eq!(
            (outcome.limit, outcome.cookie),
            (Pass, crate::cookie::Verdict::Valid)
        );
    }
}

#[test]
fn rate_limiting_keys_random_names_by_zone() {
    use crate::rrl::Verdict::Pass;
    let zones = zones();
    // NXDOMAIN, wildcard answers and referrals under random names share one bucket each
    // (rate 3: three of each pass); positive answers for distinct names do not.
    for (names, shared) in [
        (["nx1", "nx2", "nx3", "nx4", "nx5", "nx6"], true),
        (
            ["a.wild", "b.wild", "c.wild", "d.wild", "e.wild", "f.wild"],
            true,
        ),
        (
            [
                "a.deleg", "b.deleg", "c.deleg", "d.deleg", "e.deleg", "f.deleg",
            ],
            true,
        ),
        (["www", "web", "mail", "ns1", "@", "ns.deleg"], false),
    ] {
        let mut guard = guard_with(3);
        let passed = names
            .iter()
            .filter(|name| {
                let q = query(&ex(name), A);
                let (outcome, _) =
                    answer_with(&zones, &q, Transport::Udp, &client_at(0, 0), &mut guard);
                outcome.limit == Pass
            })
            .count();
        assert_eq!(passed, if shared { 3 } else { 6 }, "{names:?}");
    }
}

#[test]
fn counters_count_limits_and_cookies() {
    let zones = zones();
    let mut guard = guard_with(1);
    let mut counters = Counters::default();
    let q = query("web.example.test.", A);
    for _ in 0..5 {
        let (outcome, _) = answer_with(&zones, &q, Transport::Udp, &client_at(0, 0), &mut guard);
        counters.record(&outcome);
    }
    let forged = query_with_cookie("web.example.test.", &[1; 24]);
    let (outcome, _) = answer_with(
        &zones,
        &forged,
        Transport::Udp,
        &client_at(0, 9_000_000),
        &mut guard,
    );
    counters.record(&outcome);
    assert_eq!(
        (
            counters.limited,
            counters.slipped,
            counters.badcookie,
            counters.cookies_invalid
        ),
        (2, 2, 1, 1)
    );
    assert!(
        counters
            .to_string()
            .contains("limited=2 slipped=2 cookies valid=0 invalid=1")
    );
}
