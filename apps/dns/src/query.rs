//! Parsing a query (RFC 1035 §4.1) with a small checked reader.
//!
//! Names follow compression pointers safely (each must point strictly backwards, so loops are
//! impossible) within the 63/255-octet limits, by the rules of hickory-proto's `Name::read`,
//! which this parser used before; the rest of a record is a few integers. hickory's `Message`
//! would decode every record type's RDATA, which costs about 60 KB of code in the image; its
//! `BinDecoder`, `Header` and `Name` cost about 3 KB more than this reader.
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

use crate::compiled::name::MAX_LEN;
use crate::compiled::rdata::rtype;
use crate::cookie::{self, Cookie};

/// The question's name in uncompressed wire form, with the client's case.
#[derive(Clone, Copy)]
pub(crate) struct QName {
    bytes: [u8; MAX_LEN],
    len: usize,
}

impl QName {
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
    /// The COOKIE option (RFC 7873), the first if several; in a response, the one to send.
    pub(crate) cookie: Option<Cookie>,
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

/// A cursor over the message: every read is checked, none panics.
struct Reader<'a> {
    message: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn slice(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let bytes = self.message.get(self.at..end)?;
        self.at = end;
        Some(bytes)
    }

    fn u16(&mut self) -> Option<u16> {
        let &[hi, lo] = self.slice(2)? else {
            return None;
        };
        Some(u16::from_be_bytes([hi, lo]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from(self.u16()?) << 16 | u32::from(self.u16()?))
    }

    fn is_empty(&self) -> bool {
        self.at >= self.message.len()
    }

    /// A domain name (RFC 1035 §4.1.4), uncompressed into wire form. The rules are those of
    /// hickory-proto's `Name::read`, which this replaced (for about 3 KB of image): labels of
    /// at most 63 octets (the other label types are refused), at most 255 octets in all, and
    /// each compression pointer must point strictly before the name (or the part of it) that
    /// holds it, so that pointers cannot loop; the label that the pointer leads to must also
    /// end before that point. The cursor ends after the name's first pointer or its root.
    fn name(&mut self) -> Option<QName> {
        let mut name = QName {
            bytes: [0; MAX_LEN],
            len: 0,
        };
        // Where the part being read starts, and the bound its labels must stay below once a
        // pointer was followed.
        let mut start = self.at;
        let mut limit: Option<usize> = None;
        let mut at = self.at;
        let mut resume: Option<usize> = None;
        loop {
            if limit.is_some_and(|limit| at >= limit) {
                return None;
            }
            let byte = *self.message.get(at)?;
            match byte >> 6 {
                0 if byte == 0 => {
                    *name.bytes.get_mut(name.len)? = 0;
                    name.len += 1;
                    self.at = resume.unwrap_or(at + 1);
                    return Some(name);
                }
                0 => {
                    let len = usize::from(byte);
                    let label = self.message.get(at + 1..at + 1 + len)?;
                    // The new label, its length octet and the root must fit in 255 octets.
                    let end = name.len + 1 + len;
                    if end + 1 > MAX_LEN {
                        return None;
                    }
                    let slot = name.bytes.get_mut(name.len..end)?;
                    let (length, data) = slot.split_first_mut()?;
                    *length = byte;
                    for (to, from) in data.iter_mut().zip(label) {
                        *to = *from;
                    }
                    name.len = end;
                    at += 1 + len;
                }
                3 => {
                    let &[hi, lo] = self.message.get(at..at + 2)? else {
                        return None;
                    };
                    let target = usize::from(u16::from_be_bytes([hi & 0x3f, lo]));
                    if target >= start {
                        return None;
                    }
                    resume.get_or_insert(at + 2);
                    limit = Some(start);
                    start = target;
                    at = target;
                }
                _ => return None,
            }
        }
    }
}

/// Parses a query.
pub(crate) fn parse(bytes: &[u8]) -> Parsed {
    let mut reader = Reader {
        message: bytes,
        at: 0,
    };
    let Some(
        &[
            id_hi,
            id_lo,
            flags,
            _,
            qd_hi,
            qd_lo,
            an_hi,
            an_lo,
            ns_hi,
            ns_lo,
            ar_hi,
            ar_lo,
        ],
    ) = reader.slice(12)
    else {
        return Parsed::Drop;
    };
    if flags & 0x80 != 0 {
        // QR: a response.
        return Parsed::Drop;
    }
    let head = Head {
        id: u16::from_be_bytes([id_hi, id_lo]),
        opcode: (flags >> 3) & 0x0f,
        recursion_desired: flags & 1 != 0,
    };
    let formerr = |question| Parsed::FormErr { head, question };
    let question = match u16::from_be_bytes([qd_hi, qd_lo]) {
        0 => None,
        1 => match read_question(&mut reader) {
            Some(question) => Some(question),
            None => return formerr(None),
        },
        _ => return formerr(None),
    };
    let mut edns = None;
    let sections = [
        (u16::from_be_bytes([an_hi, an_lo]), false),
        (u16::from_be_bytes([ns_hi, ns_lo]), false),
        (u16::from_be_bytes([ar_hi, ar_lo]), true),
    ];
    for (count, additional) in sections {
        for _ in 0..count {
            let Some(record) = read_record(&mut reader) else {
                return formerr(question);
            };
            if record.rtype != rtype::OPT {
                continue;
            }
            let Some(cookie) = options(record.rdata).filter(|_| additional && edns.is_none())
            else {
                return formerr(question);
            };
            edns = Some(Edns {
                payload: record.class.max(512),
                version: (record.ttl >> 16) as u8,
                dnssec_ok: record.ttl & 0x8000 != 0,
                cookie,
            });
        }
    }
    if !reader.is_empty() {
        return formerr(question);
    }
    Parsed::Query(Query {
        head,
        question,
        edns,
    })
}

fn read_question(reader: &mut Reader<'_>) -> Option<Question> {
    let name = reader.name()?;
    let qtype = reader.u16()?;
    let qclass = reader.u16()?;
    Some(Question {
        name,
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

fn read_record<'a>(reader: &mut Reader<'a>) -> Option<RawRecord<'a>> {
    reader.name()?;
    let rtype = reader.u16()?;
    let class = reader.u16()?;
    let ttl = reader.u32()?;
    let len = reader.u16()?;
    let rdata = reader.slice(usize::from(len))?;
    Some(RawRecord {
        rtype,
        class,
        ttl,
        rdata,
    })
}

/// OPT RDATA is a sequence of {code u16, length u16, data} that ends exactly at its end;
/// returns its first COOKIE option (RFC 7873 §5.2: the others are ignored), or `None` when the
/// options are malformed or a COOKIE option has a length RFC 7873 §5.2.2 does not allow
/// (FORMERR).
fn options(mut rdata: &[u8]) -> Option<Option<Cookie>> {
    let mut cookie = None;
    while let Some((&[c0, c1, l0, l1], rest)) = rdata.split_first_chunk() {
        let (data, rest) = rest.split_at_checked(usize::from(u16::from_be_bytes([l0, l1])))?;
        if u16::from_be_bytes([c0, c1]) == cookie::OPTION && cookie.is_none() {
            cookie = Some(Cookie::parse(data)?);
        }
        rdata = rest;
    }
    rdata.is_empty().then_some(cookie)
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
                dnssec_ok: true,
                cookie: None
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
                dnssec_ok: false,
                cookie: None
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

    /// The reader's names against hickory-proto's `Name::read`, which it replaced: the same
    /// names, the same refusals, the cursor in the same place.
    #[test]
    fn names_are_read_as_hickory_reads_them() {
        use hickory_proto::rr::Name;
        use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

        fn hickory(message: &[u8], at: usize) -> Option<(Vec<u8>, usize)> {
            let mut decoder = BinDecoder::new(message);
            decoder.read_slice(at).ok()?;
            let name = Name::read(&mut decoder).ok()?;
            let mut wire = Vec::new();
            for label in name.iter() {
                wire.push(u8::try_from(label.len()).ok()?);
                wire.extend_from_slice(label);
            }
            wire.push(0);
            Some((wire, decoder.index()))
        }
        fn ours(message: &[u8], at: usize) -> Option<(Vec<u8>, usize)> {
            let mut reader = Reader { message, at };
            let name = reader.name()?;
            Some((name.wire().to_vec(), reader.at))
        }

        let mut cases: Vec<(Vec<u8>, usize)> = alloc::vec![
            (b"\x00".to_vec(), 0),
            (b"\x03www\x07Example\x00".to_vec(), 0),
            (b"\x03www\x07example\x00\x03ftp\xc0\x04".to_vec(), 13),
            (b"\x03www\x07example\x00\xc0\x00".to_vec(), 13),
            (b"\x03www\xc0\x00".to_vec(), 0),
            (b"\x03www\xc0\x06\x00".to_vec(), 0),
            (b"\x03ww".to_vec(), 0),
            (b"\x40abc".to_vec(), 0),
            (b"\x80abc".to_vec(), 0),
            (b"\x01a\x00\x01b\xc0\x00\x01c\xc0\x03".to_vec(), 7),
            (b"\x01a\xc0\x05\x01b\x00\xc0\x00".to_vec(), 6),
        ];
        // Names around the 255-octet limit, plain and through a pointer.
        for labels in [3usize, 4] {
            for last in [59usize, 60, 61, 62, 63] {
                let mut name = Vec::new();
                for _ in 0..labels {
                    name.push(63);
                    name.extend_from_slice(&[b'a'; 63]);
                }
                name.truncate(name.len() - 64 * (labels - 3));
                name.push(last as u8);
                name.extend(core::iter::repeat_n(b'b', last));
                name.push(0);
                cases.push((name.clone(), 0));
                let mut pointed = b"\x01x".to_vec();
                pointed.extend_from_slice(&name);
                pointed.extend_from_slice(b"\x01y\xc0\x00");
                cases.push((pointed.clone(), name.len() + 2));
            }
        }
        // Pseudo-random messages: a name at the start, then labels and a pointer into what
        // came before (or not), with some octets overwritten by noise.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        for _ in 0..20_000 {
            let mut message = Vec::new();
            for _ in 0..next(3) {
                let len = next(4) as usize;
                message.push(len as u8);
                message.extend(core::iter::repeat_n(b'a', len));
            }
            message.push(0);
            let at = message.len();
            for _ in 0..next(3) {
                let len = next(3) as usize;
                message.push(len as u8);
                message.extend(core::iter::repeat_n(b'b', len));
            }
            if next(4) == 0 {
                message.push(0);
            } else {
                message.push(0xc0);
                message.push(next(message.len() as u64 + 2) as u8);
            }
            for _ in 0..next(3) {
                let index = next(message.len() as u64) as usize;
                message[index] = next(256) as u8;
            }
            cases.push((message, at));
        }
        let (mut names, mut pointers) = (0, 0);
        for (message, at) in cases {
            let theirs = hickory(&message, at);
            assert_eq!(ours(&message, at), theirs, "{message:?} at {at}");
            if let Some((wire, end)) = theirs {
                names += 1;
                pointers += usize::from(end < at + wire.len());
            }
        }
        // The cases exercise names that parse, through pointers too, not only refusals.
        assert!(
            names > 1000 && pointers > 100,
            "{names} names, {pointers} through pointers"
        );
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(options(b""), Some(None));
        assert_eq!(options(b"\x00\x0b\x00\x02ab\x00\x03\x00\x00"), Some(None));
        assert_eq!(options(b"\x00\x0b\x00\x03ab"), None);
        assert_eq!(options(b"\x00"), None);
        // COOKIE: 8 octets, or 16 to 40; the first counts, later ones are ignored.
        let client = b"\x00\x0a\x00\x0812345678";
        let cookie = options(client).unwrap().unwrap();
        assert_eq!(cookie.wire(), b"12345678");
        let two = [&client[..], b"\x00\x0a\x00\x01x"].concat();
        assert_eq!(options(&two), Some(Some(cookie)));
        let full = [b"\x00\x0a\x00\x18".as_slice(), &[7; 24]].concat();
        assert_eq!(options(&full).unwrap().unwrap().wire(), [7; 24]);
        for len in [0u8, 1, 7, 9, 15, 41] {
            let mut bad = alloc::vec![0, 10, 0, len];
            bad.extend(core::iter::repeat_n(1, usize::from(len)));
            assert_eq!(options(&bad), None, "{len}");
        }
    }

    #[test]
    fn a_malformed_cookie_is_formerr() {
        let opt = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x08\x00\x0a\x00\x04abcd";
        assert!(matches!(
            parse(&query(0, [1, 0, 0, 1], &[QUESTION, opt].concat())),
            Parsed::FormErr {
                question: Some(_),
                ..
            }
        ));
    }
}
