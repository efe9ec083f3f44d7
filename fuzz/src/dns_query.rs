//! `dns_query`: DNS queries through the whole answering path of apps/dns (`dns::answer`:
//! query parser → resolver → message writer), over the example zone and the test zones
//! (wildcards, CNAME chains, DNAME, delegations), compiled into the `dns_zones` corpus.
//!
//! Input: one byte whose bit 0 picks the transport (0: UDP, 1: TCP), then the query as it
//! arrives. Besides "never panics", a reply must echo the query's id, have QR set, and fit
//! the transport (512 octets, or the EDNS payload up to `OUR_PAYLOAD`, over UDP; 65535 over
//! TCP).

use std::sync::OnceLock;

use dns::{OUR_PAYLOAD, Response, Transport, Zones};

/// The example and test zones, compiled: the `dns_zones` seed (after its mode byte), which
/// `examples/seeds.rs` writes with the zone compiler.
const EXAMPLE_ZONES: &[u8] = include_bytes!("../corpus/dns_zones/seed-example-zones-exact");

/// The zones every query is answered from.
pub fn zones() -> &'static Zones {
    static ZONES: OnceLock<Zones> = OnceLock::new();
    ZONES.get_or_init(|| Zones::from_compiled(&EXAMPLE_ZONES[1..]).expect("the example zones load"))
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, query)) = data.split_first() else {
        return;
    };
    let transport = if mode & 1 == 0 {
        Transport::Udp
    } else {
        Transport::Tcp
    };
    let mut out = Vec::new();
    let outcome = dns::answer(zones(), query, transport, &mut out);
    if let Response::Reply(len) = outcome.response {
        assert!(len <= out.len(), "reply longer than what was written");
        assert!(len >= 12, "a reply shorter than a header");
        assert_eq!(out[..2], query[..2], "the reply does not echo the query id");
        assert_ne!(out[2] & 0x80, 0, "the reply does not have QR set");
        let limit = match transport {
            Transport::Udp => usize::from(OUR_PAYLOAD),
            Transport::Tcp => 65535,
        };
        assert!(len <= limit, "a {len}-octet reply over {transport:?}");
    }
}

/// A query for `name` (presentation form, relative names not allowed) and `qtype`, as dig
/// sends it: RD set, and an EDNS OPT record with payload 1232 unless `edns` is false.
pub fn query(id: u16, name: &str, qtype: u16, edns: bool) -> Vec<u8> {
    let mut q = Vec::new();
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(edns)]);
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if edns {
        // Root owner, OPT, payload 1232, extended rcode 0, version 0, DO clear, no options.
        q.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    }
    q
}

/// Real queries, each over UDP and TCP.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    const QUERIES: &[(&str, u16, bool)] = &[
        ("www.example.test", 1, true),
        ("example.test", 6, false),
        ("example.test", 255, true),
        ("nope.example.test", 28, true),
        ("www.main.test", 1, true),
        ("main.test", 15, false),
        ("c1.main.test", 1, true),
        ("a.b.dn.main.test", 16, true),
        ("anything.wc.main.test", 1, true),
        ("host.deleg.main.test", 1, true),
        ("big.main.test", 16, false),
        ("huge.main.test", 16, true),
        ("host3.example", 15, true),
        ("ghost.*.example", 15, true),
        ("loop1.main.test", 1, true),
        ("nope.other.test", 1, false),
        ("main.test", 252, true),
        ("unknown.invalid", 1, true),
    ];
    let mut seeds = Vec::new();
    for (i, &(name, qtype, edns)) in QUERIES.iter().enumerate() {
        let q = query(0x1000 + i as u16, name, qtype, edns);
        let mut udp = vec![0];
        udp.extend_from_slice(&q);
        seeds.push((format!("udp-{name}-{qtype}"), udp));
        if i % 3 == 0 {
            let mut tcp = vec![1];
            tcp.extend_from_slice(&q);
            seeds.push((format!("tcp-{name}-{qtype}"), tcp));
        }
    }
    // A few malformed ones: truncated question, a compression pointer, a response.
    let www = query(7, "www.main.test", 1, false);
    seeds.push(("truncated".into(), [&[0][..], &www[..20]].concat()));
    let mut pointer = query(8, "www.main.test", 1, false);
    pointer.truncate(12);
    pointer.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    seeds.push(("pointer".into(), [&[0][..], &pointer[..]].concat()));
    let mut response = query(9, "www.main.test", 1, false);
    response[2] |= 0x80;
    seeds.push(("response".into(), [&[0][..], &response[..]].concat()));
    seeds
}
