//! Shared by the `dns` integration tests: the test zones (compiled with `dns-zone`), a DNS
//! query builder, and a small independent decoder of responses (names decompressed, records
//! made comparable).
#![allow(dead_code)] // each test binary uses its own part

pub mod compare;
pub mod knot;

use std::fmt;
use std::path::PathBuf;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_MX: u16 = 15;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_DNAME: u16 = 39;
pub const TYPE_OPT: u16 = 41;
pub const TYPE_DS: u16 = 43;
pub const TYPE_ANY: u16 = 255;

/// `apps/dns/tests/zones/NAME`.
pub fn zone_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/zones")
        .join(name)
}

/// The test zones: file name and zone name.
pub const TEST_ZONES: &[(&str, &str)] = &[
    ("main.test.zone", "main.test."),
    ("other.test.zone", "other.test."),
    ("child.main.test.zone", "child.main.test."),
    ("example.zone", "example."),
];

/// All the test zones compiled into one zone set, with the `dns-zone` compiler.
pub fn compiled_test_zones() -> Vec<u8> {
    let files: Vec<dns_zone::ZoneFile> = TEST_ZONES
        .iter()
        .map(|(file, _)| dns_zone::ZoneFile {
            path: zone_path(file),
            origin: None,
        })
        .collect();
    dns_zone::compile(&files).unwrap_or_else(|e| panic!("the test zones do not compile:\n{e}"))
}

/// The test zones loaded as the server loads them.
pub fn test_zones() -> dns::Zones {
    let blob = compiled_test_zones();
    dns::Zones::from_compiled(&blob)
        .unwrap_or_else(|e| panic!("the compiled test zones do not load: {e:?}"))
}

/// Answers `query` with the library: the reply's bytes, or `None` when it drops the query.
pub fn respond(zones: &dns::Zones, query: &[u8], tcp: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let transport = if tcp {
        dns::Transport::Tcp
    } else {
        dns::Transport::Udp
    };
    match dns::respond(zones, query, transport, &mut out) {
        dns::Response::Reply(n) => {
            assert!(
                n <= out.len(),
                "Reply({n}) but only {} bytes written",
                out.len()
            );
            Some(out[..n].to_vec())
        }
        dns::Response::Drop => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

/// The EDNS part of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub payload: u16,
    pub version: u8,
    pub dnssec_ok: bool,
}

impl Edns {
    pub const fn new(payload: u16) -> Self {
        Edns {
            payload,
            version: 0,
            dnssec_ok: false,
        }
    }
}

/// A query to build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub id: u16,
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    pub opcode: u8,
    pub rd: bool,
    pub cd: bool,
    pub ad: bool,
    pub edns: Option<Edns>,
}

impl Query {
    pub fn new(name: &str, qtype: u16) -> Self {
        Query {
            id: 0x1234,
            name: name.into(),
            qtype,
            qclass: 1,
            opcode: 0,
            rd: false,
            cd: false,
            ad: false,
            edns: None,
        }
    }

    pub fn edns(mut self, payload: u16) -> Self {
        self.edns = Some(Edns::new(payload));
        self
    }

    /// The query in wire format (no compression).
    pub fn to_wire(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(64);
        m.extend_from_slice(&self.id.to_be_bytes());
        let flags: u16 = (u16::from(self.opcode & 0xf) << 11)
            | if self.rd { 0x0100 } else { 0 }
            | if self.ad { 0x0020 } else { 0 }
            | if self.cd { 0x0010 } else { 0 };
        m.extend_from_slice(&flags.to_be_bytes());
        m.extend_from_slice(&1u16.to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        m.extend_from_slice(&u16::from(self.edns.is_some()).to_be_bytes());
        m.extend(name_to_wire(&self.name));
        m.extend_from_slice(&self.qtype.to_be_bytes());
        m.extend_from_slice(&self.qclass.to_be_bytes());
        if let Some(e) = self.edns {
            m.push(0); // root
            m.extend_from_slice(&TYPE_OPT.to_be_bytes());
            m.extend_from_slice(&e.payload.to_be_bytes());
            m.push(0); // extended RCODE
            m.push(e.version);
            m.extend_from_slice(&(if e.dnssec_ok { 0x8000u16 } else { 0 }).to_be_bytes());
            m.extend_from_slice(&0u16.to_be_bytes()); // no options
        }
        m
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, type_text(self.qtype))?;
        if self.qclass != 1 {
            write!(f, " CLASS{}", self.qclass)?;
        }
        if self.opcode != 0 {
            write!(f, " opcode={}", self.opcode)?;
        }
        for (on, s) in [(self.rd, "rd"), (self.cd, "cd"), (self.ad, "ad")] {
            if on {
                write!(f, " {s}")?;
            }
        }
        match self.edns {
            None => write!(f, " noedns"),
            Some(e) => {
                write!(f, " bufsize={}", e.payload)?;
                if e.version != 0 {
                    write!(f, " ednsver={}", e.version)?;
                }
                if e.dnssec_ok {
                    write!(f, " do")?;
                }
                Ok(())
            }
        }
    }
}

/// A name in presentation form (absolute or not: a final dot is implied; `\X` and `\DDD`
/// escapes allowed) to wire format.
pub fn name_to_wire(name: &str) -> Vec<u8> {
    let mut labels: Vec<Vec<u8>> = vec![Vec::new()];
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let digits = std::str::from_utf8(&b[i + 1..i + 4]).expect("\\DDD");
                labels
                    .last_mut()
                    .unwrap()
                    .push(digits.parse().expect("\\DDD"));
                i += 4;
            }
            b'\\' => {
                labels.last_mut().unwrap().push(b[i + 1]);
                i += 2;
            }
            b'.' => {
                labels.push(Vec::new());
                i += 1;
            }
            c => {
                labels.last_mut().unwrap().push(c);
                i += 1;
            }
        }
    }
    let mut w = Vec::new();
    for label in labels.iter().filter(|l| !l.is_empty()) {
        w.push(u8::try_from(label.len()).expect("label too long"));
        w.extend_from_slice(label);
    }
    w.push(0);
    w
}

/// The type of a query's first question (`None` if the query has none or it does not parse).
pub fn question_type(wire: &[u8]) -> Option<u16> {
    let mut at = 12;
    while let Some(&len) = wire.get(at) {
        if len == 0 {
            let t = wire.get(at + 1..at + 3)?;
            return Some(u16::from_be_bytes([t[0], t[1]]));
        }
        if len & 0xc0 != 0 {
            return None;
        }
        at += 1 + usize::from(len);
    }
    None
}

pub fn type_text(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        13 => "HINFO".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        39 => "DNAME".into(),
        41 => "OPT".into(),
        43 => "DS".into(),
        48 => "DNSKEY".into(),
        255 => "ANY".into(),
        257 => "CAA".into(),
        n => format!("TYPE{n}"),
    }
}

pub fn type_code(s: &str) -> Option<u16> {
    let u = s.to_ascii_uppercase();
    if let Some(n) = u.strip_prefix("TYPE") {
        return n.parse().ok();
    }
    [1, 2, 5, 6, 12, 13, 15, 16, 28, 33, 39, 41, 43, 48, 255, 257]
        .into_iter()
        .find(|&t| type_text(t) == u)
}

pub fn rcode_text(r: u16) -> String {
    match r {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        9 => "NOTAUTH".into(),
        16 => "BADVERS".into(),
        n => format!("RCODE{n}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A decoded resource record: names decompressed, so records compare by content.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rr {
    /// Owner in presentation form, as sent (case kept).
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    /// RDATA with any compressed names expanded (case kept).
    pub rdata: Vec<u8>,
    /// `rdata` with the names that may be compressed (those of the RFC 1035 types) in lower
    /// case: compression may change their case (RFC 3597 section 4, RFC 4343 section 4.1).
    pub rdata_cmp: Vec<u8>,
}

impl Rr {
    /// The comparison key: owner without case, the rest exactly.
    /// The comparison key: owner without case; type, class, TTL exactly; RDATA exactly except
    /// for the case of compressible names.
    pub fn key(&self) -> (String, u16, u16, u32, Vec<u8>) {
        (
            self.name.to_ascii_lowercase(),
            self.rtype,
            self.class,
            self.ttl,
            self.rdata_cmp.clone(),
        )
    }
}

impl fmt::Display for Rr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.name,
            self.ttl,
            if self.class == 1 {
                "IN".to_string()
            } else {
                format!("CLASS{}", self.class)
            },
            type_text(self.rtype),
            rdata_text(self.rtype, &self.rdata)
        )
    }
}

/// RDATA in a readable form (names and addresses for the common types, else hex).
pub fn rdata_text(rtype: u16, rdata: &[u8]) -> String {
    let name_at = |at: usize| -> Option<(String, usize)> {
        let mut s = String::new();
        let mut i = at;
        loop {
            let len = usize::from(*rdata.get(i)?);
            if len == 0 {
                return Some((if s.is_empty() { ".".into() } else { s }, i + 1));
            }
            s.push_str(&label_text(rdata.get(i + 1..i + 1 + len)?));
            s.push('.');
            i += 1 + len;
        }
    };
    let u16_at = |i: usize| {
        rdata
            .get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
    };
    let u32_at = |i: usize| {
        rdata
            .get(i..i + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let text = match rtype {
        1 if rdata.len() == 4 => Some(format!(
            "{}.{}.{}.{}",
            rdata[0], rdata[1], rdata[2], rdata[3]
        )),
        28 if rdata.len() == 16 => {
            let a: [u8; 16] = rdata.try_into().expect("16 bytes");
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        2 | 5 | 12 | 39 => name_at(0).map(|(n, _)| n),
        15 => u16_at(0)
            .zip(name_at(2))
            .map(|(p, (n, _))| format!("{p} {n}")),
        33 => (|| {
            let (n, _) = name_at(6)?;
            Some(format!("{} {} {} {n}", u16_at(0)?, u16_at(2)?, u16_at(4)?))
        })(),
        6 => (|| {
            let (m, i) = name_at(0)?;
            let (r, i) = name_at(i)?;
            Some(format!(
                "{m} {r} {} {} {} {} {}",
                u32_at(i)?,
                u32_at(i + 4)?,
                u32_at(i + 8)?,
                u32_at(i + 12)?,
                u32_at(i + 16)?
            ))
        })(),
        16 => {
            let mut out = Vec::new();
            let mut i = 0;
            while i < rdata.len() {
                let len = usize::from(rdata[i]);
                let Some(s) = rdata.get(i + 1..i + 1 + len) else {
                    break;
                };
                out.push(format!("\"{}\"", String::from_utf8_lossy(s)));
                i += 1 + len;
            }
            Some(out.join(" "))
        }
        _ => None,
    };
    text.unwrap_or_else(|| {
        let hex: String = rdata.iter().map(|b| format!("{b:02x}")).collect();
        format!("\\# {} {hex}", rdata.len())
    })
}

fn label_text(label: &[u8]) -> String {
    let mut s = String::new();
    for &b in label {
        match b {
            b'.' | b'\\' => {
                s.push('\\');
                s.push(char::from(b));
            }
            0x21..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\{b:03}")),
        }
    }
    s
}

/// The OPT record of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    pub payload: u16,
    pub version: u8,
    /// The upper 8 bits of the 12-bit RCODE.
    pub ext_rcode: u8,
    pub dnssec_ok: bool,
    pub options: Vec<u8>,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub len: usize,
    pub id: u16,
    pub qr: bool,
    pub opcode: u8,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub z: bool,
    pub ad: bool,
    pub cd: bool,
    /// The full RCODE (with the OPT's upper bits).
    pub rcode: u16,
    /// The question section: name as sent (case kept), type, class.
    pub question: Vec<(String, u16, u16)>,
    pub answer: Vec<Rr>,
    pub authority: Vec<Rr>,
    pub additional: Vec<Rr>,
    pub opt: Option<Opt>,
    /// More than one OPT record, or one not at the root, or not in the additional section.
    pub opt_misplaced: bool,
}

/// Reads a possibly compressed name at `at`: the presentation form and the index after it.
fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), String> {
    let mut s = String::new();
    let mut i = at;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(i).ok_or("name runs past the end")?;
        match len {
            0 => {
                let end = end.unwrap_or(i + 1);
                return Ok((if s.is_empty() { ".".into() } else { s }, end));
            }
            1..=63 => {
                let label = msg
                    .get(i + 1..i + 1 + usize::from(len))
                    .ok_or("label runs past the end")?;
                s.push_str(&label_text(label));
                s.push('.');
                if s.len() > 255 * 4 {
                    return Err("name too long".into());
                }
                i += 1 + usize::from(len);
            }
            0xc0..=0xff => {
                let lo = *msg.get(i + 1).ok_or("pointer runs past the end")?;
                if end.is_none() {
                    end = Some(i + 2);
                }
                jumps += 1;
                if jumps > 64 {
                    return Err("compression loop".into());
                }
                i = (usize::from(len & 0x3f) << 8) | usize::from(lo);
            }
            _ => return Err(format!("bad label type {len:#x}")),
        }
    }
}

/// Reads a name and returns it in uncompressed wire format (case kept, or lowered).
fn read_name_wire(msg: &[u8], at: usize, lower: bool) -> Result<(Vec<u8>, usize), String> {
    let mut w = Vec::new();
    let mut i = at;
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(i).ok_or("name runs past the end")?;
        match len {
            0 => {
                w.push(0);
                return Ok((w, end.unwrap_or(i + 1)));
            }
            1..=63 => {
                let label = msg
                    .get(i..i + 1 + usize::from(len))
                    .ok_or("label runs past the end")?;
                w.extend(
                    label
                        .iter()
                        .map(|b| if lower { b.to_ascii_lowercase() } else { *b }),
                );
                i += 1 + usize::from(len);
            }
            0xc0..=0xff => {
                let lo = *msg.get(i + 1).ok_or("pointer runs past the end")?;
                if end.is_none() {
                    end = Some(i + 2);
                }
                jumps += 1;
                if jumps > 64 {
                    return Err("compression loop".into());
                }
                i = (usize::from(len & 0x3f) << 8) | usize::from(lo);
            }
            _ => return Err(format!("bad label type {len:#x}")),
        }
    }
}

/// RDATA with its compressible names (RFC 3597 section 4: the RFC 1035 types) expanded, and
/// with those names lowered when `lower`.
fn expand_rdata(
    msg: &[u8],
    rtype: u16,
    start: usize,
    end: usize,
    lower: bool,
) -> Result<Vec<u8>, String> {
    let raw = &msg[start..end];
    let names =
        |fixed_prefix: usize, count: usize, fixed_suffix: usize| -> Result<Vec<u8>, String> {
            let mut out = raw.get(..fixed_prefix).ok_or("short rdata")?.to_vec();
            let mut i = start + fixed_prefix;
            for _ in 0..count {
                let (w, next) = read_name_wire(msg, i, lower)?;
                out.extend(w);
                i = next;
            }
            let rest = msg.get(i..end).ok_or("rdata names run past the rdata")?;
            if rest.len() != fixed_suffix {
                return Err(format!(
                    "rdata of type {rtype} has {} trailing octets",
                    rest.len()
                ));
            }
            out.extend_from_slice(rest);
            Ok(out)
        };
    match rtype {
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 => names(0, 1, 0),
        6 => names(0, 2, 20),
        15 => names(2, 1, 0),
        14 | 17 => names(0, 2, 0),
        // SRV and DNAME names must not be compressed (RFC 2782, RFC 6672): kept as they are.
        _ => Ok(raw.to_vec()),
    }
}

/// Decodes a response; `Err` says why it is malformed.
pub fn decode(msg: &[u8]) -> Result<Reply, String> {
    if msg.len() < 12 {
        return Err(format!("{} octets: shorter than a header", msg.len()));
    }
    let u16_at = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
    let flags = u16_at(2);
    let counts = [u16_at(4), u16_at(6), u16_at(8), u16_at(10)];
    let mut r = Reply {
        len: msg.len(),
        id: u16_at(0),
        qr: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0xf) as u8,
        aa: flags & 0x0400 != 0,
        tc: flags & 0x0200 != 0,
        rd: flags & 0x0100 != 0,
        ra: flags & 0x0080 != 0,
        z: flags & 0x0040 != 0,
        ad: flags & 0x0020 != 0,
        cd: flags & 0x0010 != 0,
        rcode: flags & 0xf,
        question: Vec::new(),
        answer: Vec::new(),
        authority: Vec::new(),
        additional: Vec::new(),
        opt: None,
        opt_misplaced: false,
    };
    let mut i = 12;
    for _ in 0..counts[0] {
        let (name, next) = read_name(msg, i)?;
        let t = msg
            .get(next..next + 4)
            .ok_or("question runs past the end")?;
        r.question.push((
            name,
            u16::from_be_bytes([t[0], t[1]]),
            u16::from_be_bytes([t[2], t[3]]),
        ));
        i = next + 4;
    }
    for (section, &count) in counts[1..].iter().enumerate() {
        for _ in 0..count {
            let (name, next) = read_name(msg, i)?;
            let h = msg
                .get(next..next + 10)
                .ok_or("record header runs past the end")?;
            let rtype = u16::from_be_bytes([h[0], h[1]]);
            let class = u16::from_be_bytes([h[2], h[3]]);
            let ttl = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
            let rdlen = usize::from(u16::from_be_bytes([h[8], h[9]]));
            let start = next + 10;
            let end = start + rdlen;
            if end > msg.len() {
                return Err("rdata runs past the end".into());
            }
            i = end;
            if rtype == TYPE_OPT {
                if section != 2 || name != "." || r.opt.is_some() {
                    r.opt_misplaced = true;
                }
                r.opt = Some(Opt {
                    payload: class,
                    ext_rcode: (ttl >> 24) as u8,
                    version: (ttl >> 16) as u8,
                    dnssec_ok: ttl & 0x8000 != 0,
                    options: msg[start..end].to_vec(),
                });
                continue;
            }
            let rr = Rr {
                name,
                rtype,
                class,
                ttl,
                rdata: expand_rdata(msg, rtype, start, end, false)?,
                rdata_cmp: expand_rdata(msg, rtype, start, end, true)?,
            };
            match section {
                0 => r.answer.push(rr),
                1 => r.authority.push(rr),
                _ => r.additional.push(rr),
            }
        }
    }
    if i != msg.len() {
        return Err(format!("{} octets after the last record", msg.len() - i));
    }
    if let Some(opt) = &r.opt {
        r.rcode |= u16::from(opt.ext_rcode) << 4;
    }
    Ok(r)
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut flags = Vec::new();
        for (on, s) in [
            (self.qr, "qr"),
            (self.aa, "aa"),
            (self.tc, "tc"),
            (self.rd, "rd"),
            (self.ra, "ra"),
            (self.z, "z"),
            (self.ad, "ad"),
            (self.cd, "cd"),
        ] {
            if on {
                flags.push(s);
            }
        }
        writeln!(
            f,
            "    {} opcode={} id={:#06x} flags: {} ({} octets)",
            rcode_text(self.rcode),
            self.opcode,
            self.id,
            flags.join(" "),
            self.len
        )?;
        match &self.opt {
            None => writeln!(f, "    OPT: none")?,
            Some(o) => writeln!(
                f,
                "    OPT: version {} ext-rcode {} payload {}{}{}{}",
                o.version,
                o.ext_rcode,
                o.payload,
                if o.dnssec_ok { " do" } else { "" },
                if o.options.is_empty() {
                    String::new()
                } else {
                    format!(" options {:02x?}", o.options)
                },
                if self.opt_misplaced {
                    " (MISPLACED)"
                } else {
                    ""
                }
            )?,
        }
        for (n, t, c) in &self.question {
            writeln!(f, "    question: {n} {} CLASS{c}", type_text(*t))?;
        }
        for (title, rrs) in [
            ("answer", &self.answer),
            ("authority", &self.authority),
            ("additional", &self.additional),
        ] {
            for rr in rrs {
                writeln!(f, "    {title}: {rr}")?;
            }
        }
        Ok(())
    }
}
