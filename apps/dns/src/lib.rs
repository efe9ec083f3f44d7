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
pub mod cookie;
mod denial;
mod message;
mod query;
mod resolve;
pub mod rrl;
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
use zones::Zone;

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
    /// The server cookie is not valid (extended code 23, RFC 7873 §8).
    BadCookie,
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
            Rcode::BadCookie => 23,
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
    /// What the query's COOKIE option was ([`cookie::Verdict::None`] when cookies are off).
    pub cookie: cookie::Verdict,
    /// What rate limiting did ([`rrl::Verdict::Pass`] where it does not apply).
    pub limit: rrl::Verdict,
}

/// Who asked, and when: what cookies and rate limiting need to know of a query.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    /// The client's address: 4 octets (IPv4) or 16 (IPv6).
    pub address: &'a [u8],
    /// Seconds since the Unix epoch (or since boot, without a clock): cookie timestamps.
    pub seconds: u32,
    /// Microseconds of a monotonic clock: rate limiting.
    pub micros: u64,
}

/// What protects the server, kept between queries: the cookie secret (`None`: cookies are
/// off, and COOKIE options are ignored as RFC 7873 §5.2 asks of a server without them) and
/// the rate limiter of UDP answers (`None`: off).
#[derive(Debug, Default)]
pub struct Guard {
    /// The server cookie secret.
    pub cookies: Option<cookie::Secret>,
    /// The rate limiter.
    pub limiter: Option<rrl::Limiter>,
}

/// Answers one query (untrusted octets). Writes the response into `out` (cleared first).
/// Never panics.
pub fn respond(zones: &Zones, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Response {
    answer(zones, query, transport, out).response
}

/// [`respond`], also telling the response code and whether it was truncated (for
/// [`Counters`]). No cookies, no rate limiting: [`answer_from`] has them.
pub fn answer(zones: &Zones, query: &[u8], transport: Transport, out: &mut Vec<u8>) -> Outcome {
    let client = Client {
        address: &[],
        seconds: 0,
        micros: 0,
    };
    answer_from(zones, query, transport, &client, &mut Guard::default(), out)
}

/// [`answer`] for `client`, with the cookies and the rate limiting of `guard`. Never panics.
///
/// A query with a COOKIE option (and cookies on) gets a fresh server cookie in its response;
/// an invalid server cookie over UDP gets BADCOOKIE (with the fresh cookie), over TCP a normal
/// answer (`cookie.rs`). UDP responses then go through the rate limiter, unless the query
/// showed a valid server cookie: a limited response is dropped, or slips out truncated
/// (`rrl.rs`).
pub fn answer_from(
    zones: &Zones,
    query: &[u8],
    transport: Transport,
    client: &Client<'_>,
    guard: &mut Guard,
    out: &mut Vec<u8>,
) -> Outcome {
    out.clear();
    let mut outcome = Outcome {
        response: Response::Drop,
        rcode: None,
        truncated: false,
        cookie: cookie::Verdict::None,
        limit: rrl::Verdict::Pass,
    };
    // The parsed query stays where it is: its question (a 255-octet name) is only borrowed,
    // moving it cost 3 KB of copies in the image.
    let parsed = query::parse(query);
    let (head, question, edns, plan, zone) = match &parsed {
        Parsed::Drop => return outcome,
        Parsed::FormErr { head, question } => (
            *head,
            question.as_ref(),
            None,
            Plan::empty(Rcode::FormErr, false),
            None,
        ),
        Parsed::Query(query) => {
            let mut edns = query.edns;
            if let Some(edns) = &mut edns {
                edns.cookie = match (&guard.cookies, &edns.cookie) {
                    (Some(secret), Some(cookie)) => {
                        outcome.cookie = secret.check(cookie, client.address, client.seconds);
                        Some(secret.answer(cookie, client.address, client.seconds))
                    }
                    _ => None,
                };
            }
            let (plan, zone) =
                if outcome.cookie == cookie::Verdict::Invalid && transport == Transport::Udp {
                    (Plan::empty(Rcode::BadCookie, false), None)
                } else {
                    plan(zones, query, outcome.cookie != cookie::Verdict::None)
                };
            (query.head, query.question.as_ref(), edns, plan, zone)
        }
    };
    let tcp = transport == Transport::Tcp;
    let limit = message::limit(tcp, edns.as_ref());
    let Ok(written) = message::write(out, zones, head, question, edns.as_ref(), &plan, limit)
    else {
        // Cannot happen: header, question and OPT always fit in 512 octets.
        out.clear();
        return outcome;
    };
    outcome.response = Response::Reply(written.len);
    outcome.rcode = Some(plan.rcode);
    outcome.truncated = written.truncated;
    if let Some(limiter) = &mut guard.limiter
        && !tcp
        && outcome.cookie != cookie::Verdict::Valid
    {
        let (qname, qtype) = question.map_or((&[0u8][..], 0), |q| (q.name.wire(), q.qtype));
        let (class, name) = classify(zones, zone, &plan, qname, qtype, written.len);
        outcome.limit = limiter.check(class, name, client.address, client.micros);
        match outcome.limit {
            rrl::Verdict::Pass => {}
            rrl::Verdict::Slip => {
                slip(out);
                outcome.response = Response::Reply(out.len());
                outcome.truncated = true;
            }
            rrl::Verdict::Drop => {
                out.clear();
                outcome.response = Response::Drop;
                outcome.rcode = None;
            }
        }
    }
    outcome
}

/// The rate limiter's class of an answer, and the name its bucket is keyed by (Knot's
/// choices, `rrl.rs`): the zone's apex for NXDOMAIN, errors and wildcard answers (the root
/// outside every zone), the delegation for referrals, the question's name otherwise.
// Out of line: 0.3 KB smaller than inlined into `answer_from`.
#[inline(never)]
fn classify<'a>(
    zones: &'a Zones,
    zone: Option<&'a Zone>,
    plan: &'a Plan,
    qname: &'a [u8],
    qtype: u16,
    len: usize,
) -> (rrl::Class, &'a [u8]) {
    use rrl::Class;
    let apex = zone.map_or(&[0u8][..], |zone| zones.apex(zone));
    if zone.is_none() || plan.rcode != Rcode::NoError {
        let class = match plan.rcode {
            Rcode::NxDomain => Class::NxDomain,
            _ => Class::Error,
        };
        return (class, apex);
    }
    if !plan.authoritative {
        let cut = plan.authority.first();
        return (
            Class::Referral,
            cut.map_or(apex, |cut| plan.name(zones, qname, cut.owner)),
        );
    }
    if plan.wildcard {
        return (Class::Wildcard, apex);
    }
    let class = match qtype {
        rtype::ANY => Class::Any,
        rtype::DNSKEY | rtype::DS | rtype::RRSIG => Class::Dnssec,
        _ if len >= rrl::LARGE => Class::Large,
        _ if plan.answer.is_empty() => Class::NoData,
        _ => Class::Positive,
    };
    (class, qname)
}

/// Cuts a response down to a truncated empty answer (a limited response that slips): the
/// header with TC set and no records, then the question.
fn slip(out: &mut Vec<u8>) {
    let question = match out.get(4..6) {
        Some([0, 1]) => out
            .get(12..)
            .and_then(compiled::name::wire_len)
            .map_or(0, |name| name + 4),
        _ => 0,
    };
    out.truncate(12 + question);
    if let Some(flags) = out.get_mut(2) {
        *flags |= 0x02;
    }
    if let Some(counts) = out.get_mut(6..12) {
        counts.fill(0);
    }
}

/// Decides the answer to a well-formed query, and the zone it came from. The checks come in
/// Knot's order: EDNS version, opcode, question count, class, type, zone. A query without a
/// question but with a cookie asks for a server cookie: NOERROR (RFC 7873 §5.4).
// Out of line: inlined into `answer_from` it made the image 0.3 KB larger (LLVM duplicates
// parts of it around the cookie and rate limiting paths).
#[inline(never)]
fn plan<'z>(zones: &'z Zones, query: &query::Query, cookie: bool) -> (Plan, Option<&'z Zone>) {
    let refuse = |rcode| (Plan::empty(rcode, false), None);
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
        return refuse(if cookie {
            Rcode::NoError
        } else {
            Rcode::FormErr
        });
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
            (
                resolve::resolve(zones, zone, name.wire(), *qtype, dnssec),
                Some(zone),
            )
        }
        None => refuse(Rcode::Refused),
    }
}

/// A decimal number of at most ten digits that fits a `u32` (no sign, no spaces): for the
/// settings' words.
pub(crate) fn decimal(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 10 {
        return None;
    }
    text.bytes().try_fold(0u32, |n, b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(u32::from(digit))
    })
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
    /// BADCOOKIE responses.
    pub badcookie: u64,
    /// UDP responses the rate limiter dropped (counted in `dropped` too).
    pub limited: u64,
    /// UDP responses the rate limiter sent truncated (counted in `truncated` too).
    pub slipped: u64,
    /// Queries with a valid server cookie.
    pub cookies_valid: u64,
    /// Queries with an invalid server cookie.
    pub cookies_invalid: u64,
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
        match outcome.limit {
            rrl::Verdict::Pass => {}
            rrl::Verdict::Slip => self.slipped += 1,
            rrl::Verdict::Drop => self.limited += 1,
        }
        match outcome.cookie {
            cookie::Verdict::Valid => self.cookies_valid += 1,
            cookie::Verdict::Invalid => self.cookies_invalid += 1,
            _ => {}
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
            Some(Rcode::BadCookie) => &mut self.badcookie,
        };
        *counter += 1;
    }
}

impl fmt::Display for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "queries={} noerror={} nxdomain={} refused={} formerr={} notimp={} servfail={} yxdomain={} badvers={} badcookie={} dropped={} truncated={} limited={} slipped={} cookies valid={} invalid={}",
            self.queries,
            self.noerror,
            self.nxdomain,
            self.refused,
            self.formerr,
            self.notimp,
            self.servfail,
            self.yxdomain,
            self.badvers,
            self.badcookie,
            self.dropped,
            self.truncated,
            self.limited,
            self.slipped,
            self.cookies_valid,
            self.cookies_invalid
        )
    }
}
