//! `dns`: an authoritative DNS server's answering logic, for the Xenolith DNS unikernel.
//!
//! `no_std` + `alloc`, no unsafe code, host-testable. The pieces:
//! - [`compiled`]: the compiled zone format, written on the host by
//!   [`ZoneSetBuilder`](compiled::ZoneSetBuilder) (the `dns-zone` compiler drives it);
//! - [`Zones`]: a compiled zone set, validated once (it may come from an untrusted boot
//!   module) and indexed for lookups;
//! - [`respond`]: one query in, one response (or nothing) out. It never panics, whatever the
//!   input;
//! - `server` (feature `server`, on by default): the UDP/TCP server over the Xenolith network
//!   stack, and DNS over TLS given a TLS acceptor — shared by the `dns` and `dns-tls` images.
//!
//! The wire format is read and written by small checked codecs of its own (`query`,
//! `message`), not hickory-proto's `Message`/`RData` layer: the compiled zone keeps RDATA in
//! wire form, so no per-type RDATA codec is needed in the image. (The tests check both against
//! hickory-proto, and the answers against Knot DNS.)
//!
//! Behaviour, in RFC terms (module `resolve` has the details and the reasons):
//! authoritative answers with AA; CNAME chains followed inside the zone (at most 5, loop-safe);
//! NXDOMAIN and NODATA with the SOA (negative TTL) in the authority section; wildcards
//! (RFC 4592) with empty non-terminals; referrals at zone cuts (no AA, glue in the additional
//! section); DNAME (RFC 6672); REFUSED outside every zone; the longest matching zone answers;
//! case-insensitive matching, the question echoed as asked; EDNS(0) (RFC 6891) with BADVERS
//! for versions above 0; truncation (TC) over UDP; FORMERR for malformed queries, NOTIMP for
//! opcodes other than QUERY and for zone transfers; responses (QR set) are dropped.
//!
//! ```
//! use dns::compiled::ZoneSetBuilder;
//! use dns::{Response, Transport, Zones};
//!
//! let apex = b"\x07example\x04test\x00";
//! let ns = b"\x02ns\x07example\x04test\x00";
//! let mut soa = Vec::new();
//! soa.extend_from_slice(ns);
//! soa.extend_from_slice(b"\x05admin\x07example\x04test\x00");
//! for field in [1u32, 7200, 3600, 1_209_600, 300] {
//!     soa.extend_from_slice(&field.to_be_bytes());
//! }
//! let mut builder = ZoneSetBuilder::new();
//! builder.zone(apex)?;
//! builder.record(apex, 6, 1, 3600, &soa)?; // SOA
//! builder.record(apex, 2, 1, 3600, ns)?; // NS
//! builder.record(b"\x03www\x07example\x04test\x00", 1, 1, 300, &[192, 0, 2, 1])?; // A
//! let zones = Zones::from_compiled(&builder.finish()?).expect("a valid blob");
//! assert_eq!(zones.record_count(), 3);
//!
//! // A query for www.example.test/A, id 0x1234.
//! let mut query = vec![0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
//! query.extend_from_slice(b"\x03www\x07example\x04test\x00\x00\x01\x00\x01");
//! let mut out = Vec::new();
//! let Response::Reply(len) = dns::respond(&zones, &query, Transport::Udp, &mut out) else {
//!     panic!("a query gets a reply");
//! };
//! assert_eq!(&out[len - 4..], &[192, 0, 2, 1]);
//! # Ok::<(), dns::compiled::BuildError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

/// The compiled zone format: the `dns-zone-format` crate (apps/dns/zone-format), which the
/// `dns-zone` compiler shares.
pub use dns_zone_format as compiled;
mod denial;
mod message;
mod query;
mod resolve;
#[cfg(feature = "server")]
pub mod server;
mod zones;

#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use core::fmt;

pub use message::{OUR_PAYLOAD, PLAIN_UDP};
pub use resolve::MAX_CHAIN;
pub use zones::{LoadError, Zones};

use compiled::rdata::{CLASS_IN, rtype};
use query::{Edns, Parsed, Question};
use resolve::Plan;

/// How a query arrived: it sets the response size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// UDP: 512 octets, or the EDNS payload size (at most [`OUR_PAYLOAD`]); TC beyond.
    Udp,
    /// TCP: up to 65535 octets.
    Tcp,
}

/// What to send back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Send the first `n` octets of the output buffer.
    Reply(usize),
    /// Send nothing: the input was not a query (too short for a header, or QR set).
    Drop,
}

/// The response codes this server sends (RFC 1035 §4.1.1, RFC 6891 §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// No error.
    NoError,
    /// The query is malformed.
    FormErr,
    /// The server failed (only on internal inconsistencies, which validation rules out).
    ServFail,
    /// The name does not exist.
    NxDomain,
    /// Not implemented: an opcode other than QUERY, or a zone transfer.
    NotImp,
    /// Refused: the name is in no zone served here, or the class is not IN.
    Refused,
    /// A DNAME substitution made a name longer than 255 octets (RFC 6672 §2.2).
    YxDomain,
    /// The EDNS version is not supported (extended code 16).
    BadVers,
}

impl Rcode {
    /// The numeric (extended) response code.
    pub fn code(self) -> u16 {
        match self {
            Rcode::NoError => 0,
            Rcode::FormErr => 1,
            Rcode::ServFail => 2,
            Rcode::NxDomain => 3,
            Rcode::NotImp => 4,
            Rcode::Refused => 5,
            Rcode::YxDomain => 6,
            Rcode::BadVers => 16,
        }
    }
}

/// What [`answer`] did with one query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// What to send back.
    pub response: Response,
    /// The response code sent (`None` when nothing is sent).
    pub rcode: Option<Rcode>,
    /// Whether the response was truncated (TC set).
    pub truncated: bool,
}

/// Answers one query (untrusted octets). Writes the response into `out` (cleared first).
/// Never panics.
pub fn respond(zones: &Zones, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Response {
    answer(zones, query, transport, out).response
}

/// [`respond`], also telling the response code and whether it was truncated (for
/// [`Counters`]).
pub fn answer(zones: &Zones, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Outcome {
    out.clear();
    let (head, question, edns, plan) = match query::parse(query) {
        Parsed::Drop => {
            return Outcome {
                response: Response::Drop,
                rcode: None,
                truncated: false,
            };
        }
        Parsed::FormErr { head, question } => {
            (head, question, None, Plan::empty(Rcode::FormErr, false))
        }
        Parsed::Query(query) => (query.head, query.question, query.edns, plan(zones, &query)),
    };
    let tcp = transport == Transport::Tcp;
    let limit = message::limit(tcp, edns.as_ref());
    match message::write(
        out,
        zones,
        head,
        question.as_ref(),
        edns.as_ref(),
        &plan,
        limit,
    ) {
        Ok(written) => Outcome {
            response: Response::Reply(written.len),
            rcode: Some(plan.rcode),
            truncated: written.truncated,
        },
        Err(message::Full) => {
            // Cannot happen: header, question and OPT always fit in 512 octets.
            out.clear();
            Outcome {
                response: Response::Drop,
                rcode: None,
                truncated: false,
            }
        }
    }
}

/// Decides the answer to a well-formed query. The checks come in Knot's order: EDNS version,
/// opcode, question count, class, type, zone.
fn plan(zones: &Zones, query: &query::Query) -> Plan {
    let refuse = |rcode| Plan::empty(rcode, false);
    if query.edns.is_some_and(|Edns { version, .. }| version > 0) {
        return refuse(Rcode::BadVers);
    }
    if query.head.opcode != 0 {
        return refuse(Rcode::NotImp);
    }
    let Some(Question {
        name,
        qtype,
        qclass,
    }) = &query.question
    else {
        return refuse(Rcode::FormErr);
    };
    // Class ANY is answered as IN, as Knot does.
    if *qclass != CLASS_IN && *qclass != rtype::ANY {
        return refuse(Rcode::Refused);
    }
    // No zone transfers; type 0 is reserved. Knot also says NOTIMP for these over UDP.
    if matches!(*qtype, 0 | rtype::AXFR | rtype::IXFR) {
        return refuse(Rcode::NotImp);
    }
    match resolve::select_zone(zones, name.wire(), *qtype) {
        Some(zone) => {
            let dnssec = query.edns.is_some_and(|edns| edns.dnssec_ok);
            resolve::resolve(zones, zone, name.wire(), *qtype, dnssec)
        }
        None => refuse(Rcode::Refused),
    }
}

/// What the server has answered, for its console report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Every input, answered or not.
    pub queries: u64,
    /// NOERROR responses (NODATA included).
    pub noerror: u64,
    /// FORMERR responses.
    pub formerr: u64,
    /// SERVFAIL responses.
    pub servfail: u64,
    /// NXDOMAIN responses.
    pub nxdomain: u64,
    /// NOTIMP responses.
    pub notimp: u64,
    /// REFUSED responses.
    pub refused: u64,
    /// YXDOMAIN responses (DNAME overflow).
    pub yxdomain: u64,
    /// BADVERS responses.
    pub badvers: u64,
    /// Inputs not answered (no header, or not a query).
    pub dropped: u64,
    /// Responses truncated (TC set).
    pub truncated: u64,
}

impl Counters {
    /// Counts one outcome of [`answer`].
    pub fn record(&mut self, outcome: &Outcome) {
        self.queries += 1;
        if outcome.truncated {
            self.truncated += 1;
        }
        let counter = match outcome.rcode {
            None => &mut self.dropped,
            Some(Rcode::NoError) => &mut self.noerror,
            Some(Rcode::FormErr) => &mut self.formerr,
            Some(Rcode::ServFail) => &mut self.servfail,
            Some(Rcode::NxDomain) => &mut self.nxdomain,
            Some(Rcode::NotImp) => &mut self.notimp,
            Some(Rcode::Refused) => &mut self.refused,
            Some(Rcode::YxDomain) => &mut self.yxdomain,
            Some(Rcode::BadVers) => &mut self.badvers,
        };
        *counter += 1;
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queries={} noerror={} nxdomain={} refused={} formerr={} notimp={} servfail={} yxdomain={} badvers={} dropped={} truncated={}",
            self.queries,
            self.noerror,
            self.nxdomain,
            self.refused,
            self.formerr,
            self.notimp,
            self.servfail,
            self.yxdomain,
            self.badvers,
            self.dropped,
            self.truncated
        )
    }
}
