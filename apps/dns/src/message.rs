//! Writing a response (RFC 1035 §4.1): header, question, the planned sections, EDNS(0), name
//! compression and truncation. (A small bounded writer of its own: hickory-proto's
//! `BinEncoder` and `Header`, used before, cost about 1 KB more in the image.)
//!
//! - **Header**: QR set, ID and opcode copied, RD copied; CD, AD and RA
//!   clear (the server is neither a resolver nor DNSSEC-aware; Knot also clears CD).
//! - **Compression** (RFC 1035 §4.1.4): every name written in full registers its suffixes
//!   (RDATA names of SRV and DNAME included); later names (owners, and names inside the RDATA
//!   of the RFC 1035 types, RFC 3597 §4) point to an equal suffix, compared ignoring case as
//!   Knot does. An owner equal to the question's name
//!   therefore points at the question and shows the client's spelling. At most
//!   [`MAX_SUFFIXES`] suffixes are remembered, which bounds the work per response.
//! - **Size**: the writer's maximum size is the limit (512 without EDNS, the requestor's
//!   payload size capped at [`OUR_PAYLOAD`] with it, 65535 over TCP), less room kept for the
//!   OPT record. When the answer or authority section, or required glue, does not fit, the
//!   response is truncated as Knot does: header and question (and OPT) with TC set and empty
//!   sections (RFC 2181 §9 allows keeping nothing; the client retries over TCP). Additional
//!   records that do not fit are left out without TC (RFC 2181 §9).

use alloc::vec::Vec;

use crate::Rcode;
use crate::compiled::name::{self, Labels};
use crate::compiled::rdata::{self, CLASS_IN, rtype};
use crate::cookie;
use crate::query::{Edns, Head, Question};
use crate::resolve::{Data, Item, Plan};
use crate::zones::Zones;

/// The UDP payload size this server advertises and uses at most (the DNS Flag Day 2020 value).
pub const OUR_PAYLOAD: u16 = 1232;
/// The largest UDP response without EDNS (RFC 1035 §4.2.1).
pub const PLAIN_UDP: u16 = 512;
/// Name suffixes remembered for compression in one response.
pub const MAX_SUFFIXES: usize = 128;
/// Octets of our OPT record (root owner, no options; a COOKIE option adds its own).
const OPT_LEN: u16 = 11;

/// The message did not fit (or, defensively, an impossible offset).
#[derive(Debug)]
pub(crate) struct Full;

/// Appends to the caller's buffer, never past `max_size` octets in all.
struct Encoder<'a> {
    buffer: &'a mut Vec<u8>,
    max_size: usize,
}

impl Encoder<'_> {
    fn offset(&self) -> usize {
        self.buffer.len()
    }

    fn emit_vec(&mut self, data: &[u8]) -> Result<(), Full> {
        if self.buffer.len() + data.len() > self.max_size {
            return Err(Full);
        }
        self.buffer.extend_from_slice(data);
        Ok(())
    }

    fn emit(&mut self, byte: u8) -> Result<(), Full> {
        self.emit_vec(&[byte])
    }

    fn emit_u16(&mut self, value: u16) -> Result<(), Full> {
        self.emit_vec(&value.to_be_bytes())
    }

    fn emit_u32(&mut self, value: u32) -> Result<(), Full> {
        self.emit_vec(&value.to_be_bytes())
    }

    /// Overwrites octets already written.
    fn patch(&mut self, offset: usize, data: &[u8]) -> Result<(), Full> {
        let end = offset.checked_add(data.len()).ok_or(Full)?;
        let target = self.buffer.get_mut(offset..end).ok_or(Full)?;
        for (to, from) in target.iter_mut().zip(data) {
            *to = *from;
        }
        Ok(())
    }
}

/// The header's section counts.
#[derive(Clone, Copy, Default)]
struct Counts {
    queries: u16,
    answers: u16,
    authorities: u16,
    additionals: u16,
}

/// A point to return to.
#[derive(Clone, Copy)]
struct Mark {
    offset: usize,
    suffixes: usize,
}

/// A response being written into the caller's buffer.
struct Writer<'a, 'n> {
    encoder: Encoder<'a>,
    /// Names (suffixes) written in full so far, and where.
    suffixes: Vec<(u16, &'n [u8])>,
}

impl<'a, 'n> Writer<'a, 'n> {
    fn mark(&self) -> Mark {
        Mark {
            offset: self.encoder.offset(),
            suffixes: self.suffixes.len(),
        }
    }

    fn rollback(&mut self, mark: Mark) {
        self.encoder.buffer.truncate(mark.offset);
        self.suffixes.truncate(mark.suffixes);
    }

    /// Writes a name, compressed if `compress` and an equal suffix was written before; its
    /// suffixes become targets for later names if `register`. A DNAME's target is no target
    /// for compression, as in Knot, so that the same message needs the same room in both
    /// (the other names in RDATA are, SRV's included).
    fn name(&mut self, name: &'n [u8], compress: bool, register: bool) -> Result<(), Full> {
        let labels = Labels::of(name);
        for index in 0..labels.len() {
            let start = labels.start(index);
            let rest = name.get(start..).ok_or(Full)?;
            if compress
                && let Some(&(pointer, _)) = self
                    .suffixes
                    .iter()
                    .find(|(_, s)| s.len() == rest.len() && name::eq(s, rest))
            {
                return self.encoder.emit_u16(0xc000 | pointer);
            }
            let offset = self.encoder.offset();
            if register && offset < 0x4000 && self.suffixes.len() < MAX_SUFFIXES {
                self.suffixes.push((offset as u16, rest));
            }
            let len = usize::from(*rest.first().ok_or(Full)?);
            self.encoder.emit_vec(rest.get(..1 + len).ok_or(Full)?)?;
        }
        self.encoder.emit(0)
    }

    fn question(&mut self, question: &'n Question) -> Result<(), Full> {
        self.name(question.name.wire(), false, true)?;
        self.encoder.emit_u16(question.qtype)?;
        self.encoder.emit_u16(question.qclass)
    }

    /// One resource record; RDATA names of the RFC 1035 types are compressed.
    fn record(
        &mut self,
        owner: &'n [u8],
        rtype: u16,
        ttl: u32,
        rdata: &'n [u8],
    ) -> Result<(), Full> {
        self.name(owner, true, true)?;
        self.encoder.emit_u16(rtype)?;
        self.encoder.emit_u16(CLASS_IN)?;
        self.encoder.emit_u32(ttl)?;
        let length_at = self.encoder.offset();
        self.encoder.emit_u16(0)?;
        let start = self.encoder.offset();
        match rdata::layout(rtype) {
            // Names of the other types with a known layout (SRV, DNAME) are written in full,
            // but later names may point at them (as Knot does).
            Some(layout) if rdata::check(rtype, rdata).is_ok() => {
                let mut pos = layout.fixed_before;
                self.encoder.emit_vec(rdata.get(..pos).ok_or(Full)?)?;
                for _ in 0..layout.names {
                    let rest = rdata.get(pos..).ok_or(Full)?;
                    let len = name::wire_len(rest).ok_or(Full)?;
                    let name = rest.get(..len).ok_or(Full)?;
                    self.name(name, layout.compress, rtype != rtype::DNAME)?;
                    pos += len;
                }
                self.encoder.emit_vec(rdata.get(pos..).ok_or(Full)?)?;
            }
            _ => self.encoder.emit_vec(rdata)?,
        }
        let end = self.encoder.offset();
        let length = u16::try_from(end - start).map_err(|_| Full)?;
        self.encoder.patch(length_at, &length.to_be_bytes())
    }

    /// The OPT record of the response (RFC 6891 §6.1.2): our payload size, the upper bits
    /// of the response code, version 0, the DO bit echoed (RFC 3225 §3), and the COOKIE
    /// option (RFC 7873 §4) when `edns` holds one.
    fn opt(&mut self, edns: &Edns, rcode: Rcode) -> Result<(), Full> {
        self.encoder.emit(0)?;
        self.encoder.emit_u16(rtype::OPT)?;
        self.encoder.emit_u16(OUR_PAYLOAD)?;
        let extended = u32::from((rcode.code() >> 4) as u8) << 24;
        let dnssec_ok = if edns.dnssec_ok { 0x8000 } else { 0 };
        self.encoder.emit_u32(extended | dnssec_ok)?;
        let cookie = edns.cookie.as_ref().map_or(&[][..], |c| c.wire());
        if cookie.is_empty() {
            return self.encoder.emit_u16(0);
        }
        self.encoder.emit_u16(4 + cookie.len() as u16)?;
        self.encoder.emit_u16(cookie::OPTION)?;
        self.encoder.emit_u16(cookie.len() as u16)?;
        self.encoder.emit_vec(cookie)
    }
}

/// The size limit of a response.
pub(crate) fn limit(tcp: bool, edns: Option<&Edns>) -> u16 {
    match (tcp, edns) {
        (true, _) => u16::MAX,
        (false, Some(edns)) => edns.payload.clamp(PLAIN_UDP, OUR_PAYLOAD),
        (false, None) => PLAIN_UDP,
    }
}

/// What was written.
pub(crate) struct Written {
    pub(crate) len: usize,
    pub(crate) truncated: bool,
}

/// Writes the response for `plan` into `out`, within `limit` octets.
// Out of line: inlined into `answer_from` it made the image 0.3 KB larger (LLVM duplicates
// parts of it around the cookie and rate limiting paths).
#[inline(never)]
pub(crate) fn write(
    out: &mut Vec<u8>,
    zones: &Zones,
    head: Head,
    question: Option<&Question>,
    edns: Option<&Edns>,
    plan: &Plan,
    limit: u16,
) -> Result<Written, Full> {
    out.clear();
    let qname = question.map_or(&[0u8][..], |q| q.name.wire());
    let opt_room = edns.map_or(0, |edns| {
        OPT_LEN
            + edns
                .cookie
                .as_ref()
                .map_or(0, |c| 4 + c.wire().len() as u16)
    });
    let mut writer = Writer {
        encoder: Encoder {
            buffer: out,
            max_size: usize::from(limit.saturating_sub(opt_room)),
        },
        suffixes: Vec::new(),
    };
    writer.encoder.emit_vec(&[0; 12])?;
    let mut counts = Counts::default();
    if let Some(question) = question {
        writer.question(question)?;
        counts.queries = 1;
    }
    let after_question = writer.mark();
    let mut truncated = false;
    'sections: for (section, items) in [
        (1, &plan.answer),
        (2, &plan.authority),
        (3, &plan.additional),
    ] {
        for item in items {
            let mark = writer.mark();
            match write_item(&mut writer, zones, qname, plan, item) {
                Ok(n) => match section {
                    1 => counts.answers += n,
                    2 => counts.authorities += n,
                    _ => counts.additionals += n,
                },
                Err(Full) if section == 3 && !item.required => writer.rollback(mark),
                Err(Full) => {
                    truncated = true;
                    break 'sections;
                }
            }
        }
    }
    if truncated {
        writer.rollback(after_question);
        counts = Counts {
            queries: counts.queries,
            ..Counts::default()
        };
    }
    writer.encoder.max_size = usize::from(limit);
    if let Some(edns) = edns {
        writer.opt(edns, plan.rcode)?;
        counts.additionals += 1;
    }
    // QR, opcode, AA, TC, RD; then RA, Z, AD and CD clear and the low four bits of the rcode.
    let flags = 0x80
        | (head.opcode & 0x0f) << 3
        | u8::from(plan.authoritative) << 2
        | u8::from(truncated) << 1
        | u8::from(head.recursion_desired);
    let [id_hi, id_lo] = head.id.to_be_bytes();
    let [qd_hi, qd_lo] = counts.queries.to_be_bytes();
    let [an_hi, an_lo] = counts.answers.to_be_bytes();
    let [ns_hi, ns_lo] = counts.authorities.to_be_bytes();
    let [ar_hi, ar_lo] = counts.additionals.to_be_bytes();
    let rcode = (plan.rcode.code() & 0x0f) as u8;
    writer.encoder.patch(
        0,
        &[
            id_hi, id_lo, flags, rcode, qd_hi, qd_lo, an_hi, an_lo, ns_hi, ns_lo, ar_hi, ar_lo,
        ],
    )?;
    let len = writer.encoder.offset();
    Ok(Written { len, truncated })
}

/// Writes the records of one plan item; returns how many.
fn write_item<'n>(
    writer: &mut Writer<'_, 'n>,
    zones: &'n Zones,
    qname: &'n [u8],
    plan: &'n Plan,
    item: &Item,
) -> Result<u16, Full> {
    let owner = plan.name(zones, qname, item.owner);
    match item.data {
        Data::Rrset(rrset) => {
            let mut count = 0u16;
            for record in zones.records(rrset) {
                let rdata = zones.blob().get(record).ok_or(Full)?;
                writer.record(owner, item.rtype, item.ttl, rdata)?;
                count += 1;
            }
            Ok(count)
        }
        Data::SynthesizedCname(index) => {
            let target = plan.synthesized.get(index).ok_or(Full)?;
            writer.record(owner, rtype::CNAME, item.ttl, target)?;
            Ok(1)
        }
    }
}
