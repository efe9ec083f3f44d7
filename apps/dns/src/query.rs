//! Parsing a query (RFC 1035 §4.1) with hickory-proto's low-level decoder.
//!
//! Only [`BinDecoder`], [`Header`] and [`Name`] are used: `Name::read` follows compression
//! pointers safely (each must point strictly backwards, so loops are impossible) and enforces
//! the 63/255-octet limits; the rest of a record is a few integers read here. hickory's
//! `Message` would decode every record type's RDATA, which costs about 60 KB of code in the
//! image; this path costs about 6 KB.
//!
//! What is accepted (matching Knot DNS where RFC 1035 leaves room):
//! - fewer than 12 octets, or QR set: no answer at all (never answer a response);
//! - at most one question (QDCOUNT ≥ 2 is FORMERR without a question; QDCOUNT 0 parses, and
//!   the caller answers FORMERR after the EDNS version and opcode checks, as Knot does);
//! - records in the answer and authority sections are parsed and ignored, but may not be OPT;
//! - at most one OPT, in the additional section, with well-formed options (RFC 6891 §6.1.1);
//!   its owner name is not checked (Knot accepts any owner);
//! - nothing after the last record.
//!
//! Anything else is FORMERR: with the question when it parsed, never with an OPT (the message
//! as a whole is not understood). Knot drops a query whose question does not parse; the issue
//! asks for FORMERR whenever a header could be parsed, which RFC 1035 §4.1.1 allows.

use hickory_proto::op::Header;
use hickory_proto::rr::Name;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::compiled::name::MAX_LEN;
use crate::compiled::rdata::rtype;

/// The question's name in uncompressed wire form, with the client's case.
#[derive(Clone, Copy)]
pub(crate) struct QName {
    bytes: [u8; MAX_LEN],
    len: usize,
}

impl QName {
    fn from_name(name: &Name) -> Option<QName> {
        let mut bytes = [0u8; MAX_LEN];
        let mut len = 0usize;
        for label in name.iter() {
            let end = len.checked_add(1 + label.len())?;
            let slot = bytes.get_mut(len..end)?;
            slot[0] = u8::try_from(label.len()).ok()?;
            slot[1..].copy_from_slice(label);
            len = end;
        }
        *bytes.get_mut(len)? = 0;
        Some(QName {
            bytes,
            len: len + 1,
        })
    }

    /// The name's wire form.
    pub(crate) fn wire(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[0])
    }
}

/// The question (RFC 1035 §4.1.2).
#[derive(Clone, Copy)]
pub(crate) struct Question {
    pub(crate) name: QName,
    pub(crate) qtype: u16,
    pub(crate) qclass: u16,
}

/// The EDNS(0) OPT pseudo-record of a query (RFC 6891 §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edns {
    /// The requestor's UDP payload size, raised to 512 (RFC 6891 §6.2.3).
    pub(crate) payload: u16,
    /// The EDNS version.
    pub(crate) version: u8,
    /// The DNSSEC OK bit (RFC 3225), echoed in the response.
    pub(crate) dnssec_ok: bool,
}

/// The parts of the header a response copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) id: u16,
    pub(crate) opcode: u8,
    pub(crate) recursion_desired: bool,
}

/// A parsed query.
pub(crate) struct Query {
    pub(crate) head: Head,
    /// `None` when QDCOUNT is 0.
    pub(crate) question: Option<Question>,
    pub(crate) edns: Option<Edns>,
}

/// What the parser made of the octets.
pub(crate) enum Parsed {
    /// Not worth an answer: no complete header, or a response (QR set).
    Drop,
    /// Malformed after the header: FORMERR, with the question when it parsed.
    FormErr {
        head: Head,
        question: Option<Question>,
    },
    /// A well-formed message.
    Query(Query),
}

/// Parses a query.
pub(crate) fn parse(bytes: &[u8]) -> Parsed {
    let mut decoder = BinDecoder::new(bytes);
    let Ok(header) = Header::read(&mut decoder) else {
        return Parsed::Drop;
    };
    if header.message_type == hickory_proto::op::MessageType::Response {
        return Parsed::Drop;
    }
    let head = Head {
        id: header.id,
        opcode: u8::from(header.op_code),
        recursion_desired: header.recursion_desired,
    };
    let formerr = |question| Parsed::FormErr { head, question };
    let question = match header.counts.queries {
        0 => None,
        1 => match read_question(&mut decoder) {
            Some(question) => Some(question),
            None => return formerr(None),
        },
        _ => return formerr(None),
    };
    let mut edns = None;
    let sections = [
        (header.counts.answers, false),
        (header.counts.authorities, false),
        (header.counts.additionals, true),
    ];
    for (count, additional) in sections {
        for _ in 0..count {
            let Some(record) = read_record(&mut decoder) else {
                return formerr(question);
            };
            if record.rtype != rtype::OPT {
                continue;
            }
            if !additional || edns.is_some() || !options_well_formed(record.rdata) {
                return formerr(question);
            }
            edns = Some(Edns {
                payload: record.class.max(512),
                version: (record.ttl >> 16) as u8,
                dnssec_ok: record.ttl & 0x8000 != 0,
            });
        }
    }
    if !decoder.is_empty() {
        return formerr(question);
    }
    Parsed::Query(Query {
        head,
        question,
        edns,
    })
}

fn read_question(decoder: &mut BinDecoder<'_>) -> Option<Question> {
    let name = Name::read(decoder).ok()?;
    let qtype = decoder.read_u16().ok()?.unverified();
    let qclass = decoder.read_u16().ok()?.unverified();
    Some(Question {
        name: QName::from_name(&name)?,
        qtype,
        qclass,
    })
}

/// A record of the answer, authority or additional section: only what the server looks at.
struct RawRecord<'a> {
    rtype: u16,
    class: u16,
    ttl: u32,
    rdata: &'a [u8],
}

fn read_record<'a>(decoder: &mut BinDecoder<'a>) -> Option<RawRecord<'a>> {
    Name::read(decoder).ok()?;
    let rtype = decoder.read_u16().ok()?.unverified();
    let class = decoder.read_u16().ok()?.unverified();
    let ttl = decoder.read_u32().ok()?.unverified();
    let len = decoder.read_u16().ok()?.unverified();
    let rdata = decoder.read_slice(usize::from(len)).ok()?.unverified();
    Some(RawRecord {
        rtype,
        class,
        ttl,
        rdata,
    })
}

/// OPT RDATA is a sequence of {code u16, length u16, data} that ends exactly at its end.
fn options_well_formed(mut rdata: &[u8]) -> bool {
    while !rdata.is_empty() {
        let Some(&[_, _, hi, lo]) = rdata.get(..4) else {
            return false;
        };
        let end = 4 + usize::from(u16::from_be_bytes([hi, lo]));
        match rdata.get(end..) {
            Some(rest) => rdata = rest,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn query(flags: u16, counts: [u16; 4], body: &[u8]) -> Vec<u8> {
        let mut q = Vec::from(0xbeefu16.to_be_bytes());
        q.extend_from_slice(&flags.to_be_bytes());
        for c in counts {
            q.extend_from_slice(&c.to_be_bytes());
        }
        q.extend_from_slice(body);
        q
    }

    const QUESTION: &[u8] = b"\x03www\x07Example\x00\x00\x01\x00\x01";
    const OPT: &[u8] = b"\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00";

    #[test]
    fn parses_a_query_with_edns() {
        let Parsed::Query(q) = parse(&query(0x0100, [1, 0, 0, 1], &[QUESTION, OPT].concat()))
        else {
            panic!("not parsed");
        };
        assert_eq!(
            q.head,
            Head {
                id: 0xbeef,
                opcode: 0,
                recursion_desired: true
            }
        );
        let question = q.question.unwrap();
        assert_eq!(question.name.wire(), b"\x03www\x07Example\x00");
        assert_eq!((question.qtype, question.qclass), (1, 1));
        assert_eq!(
            q.edns,
            Some(Edns {
                payload: 1232,
                version: 0,
                dnssec_ok: true
            })
        );
    }

    #[test]
    fn small_payloads_count_as_512() {
        let opt = b"\x00\x00\x29\x00\x10\x00\x01\x00\x00\x00\x00";
        let Parsed::Query(q) = parse(&query(0, [1, 0, 0, 1], &[QUESTION, opt].concat())) else {
            panic!("not parsed");
        };
        assert_eq!(
            q.edns,
            Some(Edns {
                payload: 512,
                version: 1,
                dnssec_ok: false
            })
        );
    }

    #[test]
    fn rejects_what_it_must() {
        assert!(matches!(parse(b""), Parsed::Drop));
        assert!(matches!(parse(&[0; 11]), Parsed::Drop));
        assert!(matches!(
            parse(&query(0x8000, [1, 0, 0, 0], QUESTION)),
            Parsed::Drop
        ));
        let formerr = |bytes: &[u8]| matches!(parse(bytes), Parsed::FormErr { .. });
        assert!(matches!(
            parse(&query(0, [0, 0, 0, 1], OPT)),
            Parsed::Query(Query {
                question: None,
                edns: Some(_),
                ..
            })
        ));
        assert!(formerr(&query(
            0,
            [2, 0, 0, 0],
            &[QUESTION, QUESTION].concat()
        )));
        assert!(formerr(&query(0, [1, 0, 0, 0], b"\x03www")));
        assert!(
            formerr(&query(0, [1, 0, 0, 0], b"\xc0\x0c\x00\x01\x00\x01")),
            "pointer loop"
        );
        assert!(
            formerr(&query(0, [1, 0, 0, 0], &[QUESTION, b"x"].concat())),
            "trailing octets"
        );
        assert!(formerr(&query(0, [1, 0, 0, 1], QUESTION)), "missing record");
        assert!(
            formerr(&query(0, [1, 0, 0, 2], &[QUESTION, OPT, OPT].concat())),
            "two OPT"
        );
        assert!(
            formerr(&query(0, [1, 1, 0, 0], &[QUESTION, OPT].concat())),
            "OPT in the answer"
        );
        let bad_option = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x05\x00\x03\x00\x05a";
        assert!(formerr(&query(
            0,
            [1, 0, 0, 1],
            &[QUESTION, bad_option].concat()
        )));
    }

    #[test]
    fn options_are_checked() {
        assert!(options_well_formed(b""));
        assert!(options_well_formed(b"\x00\x0a\x00\x02ab\x00\x03\x00\x00"));
        assert!(!options_well_formed(b"\x00\x0a\x00\x03ab"));
        assert!(!options_well_formed(b"\x00"));
    }
}
