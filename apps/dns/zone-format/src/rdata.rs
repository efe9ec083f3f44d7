//! What the server must know about RDATA: the record types it interprets, where the domain
//! names sit in their RDATA, and which of those names may be compressed on output.
//!
//! Everything else stays opaque wire bytes: the compiled zone keeps RDATA exactly as the zone
//! compiler produced it (names uncompressed, original case), so the guest needs no per-type
//! parser. Only names inside NS, CNAME, DNAME, PTR, MX, SRV and SOA (and the obsolete MB, MG,
//! MR, MINFO) matter, for CNAME/DNAME processing, additional-section processing (RFC 1034
//! §3.6.2, §4.3.2) and name compression. RFC 3597 §4 allows compression only inside the RDATA
//! of the RFC 1035 types; SRV (RFC 2782) and DNAME (RFC 6672 §2.5) names are written in full.

use super::name;

/// Record type numbers (IANA "Resource Record (RR) TYPEs").
pub mod rtype {
    /// IPv4 address (RFC 1035).
    pub const A: u16 = 1;
    /// Authoritative name server (RFC 1035).
    pub const NS: u16 = 2;
    /// Canonical name (RFC 1035).
    pub const CNAME: u16 = 5;
    /// Start of authority (RFC 1035).
    pub const SOA: u16 = 6;
    /// Mailbox domain name (RFC 1035, obsolete).
    pub const MB: u16 = 7;
    /// Mail group member (RFC 1035, obsolete).
    pub const MG: u16 = 8;
    /// Mail rename (RFC 1035, obsolete).
    pub const MR: u16 = 9;
    /// Domain name pointer (RFC 1035).
    pub const PTR: u16 = 12;
    /// Mailbox information (RFC 1035, obsolete).
    pub const MINFO: u16 = 14;
    /// Mail exchange (RFC 1035).
    pub const MX: u16 = 15;
    /// Text strings (RFC 1035).
    pub const TXT: u16 = 16;
    /// IPv6 address (RFC 3596).
    pub const AAAA: u16 = 28;
    /// Service location (RFC 2782).
    pub const SRV: u16 = 33;
    /// Subtree redirection (RFC 6672).
    pub const DNAME: u16 = 39;
    /// EDNS(0) pseudo-record (RFC 6891).
    pub const OPT: u16 = 41;
    /// Delegation signer (RFC 4034).
    pub const DS: u16 = 43;
    /// Signature (RFC 4034).
    pub const RRSIG: u16 = 46;
    /// Next secure (RFC 4034).
    pub const NSEC: u16 = 47;
    pub const DNSKEY: u16 = 48;
    pub const NSEC3: u16 = 50;
    pub const NSEC3PARAM: u16 = 51;
    pub const CDS: u16 = 59;
    pub const CDNSKEY: u16 = 60;
    /// Transaction key (RFC 2930), a meta-type.
    pub const TKEY: u16 = 249;
    /// Transaction signature (RFC 8945), a meta-type.
    pub const TSIG: u16 = 250;
    /// Incremental zone transfer (RFC 1995), a query type.
    pub const IXFR: u16 = 251;
    /// Zone transfer (RFC 5936), a query type.
    pub const AXFR: u16 = 252;
    /// Mailbox records (RFC 1035), a query type.
    pub const MAILB: u16 = 253;
    /// Mail agent records (RFC 1035), a query type.
    pub const MAILA: u16 = 254;
    /// All records (RFC 1035 "*", RFC 8482), a query type.
    pub const ANY: u16 = 255;
}

/// The IN class (RFC 1035 §3.2.4), the only one served.
pub const CLASS_IN: u16 = 1;

/// Types that exist only in messages, never in a zone (RFC 6895 §3.1: OPT and the Q/meta-types).
pub fn is_meta(rtype: u16) -> bool {
    rtype == 0 || rtype == rtype::OPT || (128..=255).contains(&rtype)
}

/// Where the names sit in one type's RDATA: `fixed_before` octets, then `names` names, then
/// exactly `fixed_after` octets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Octets before the first name.
    pub fixed_before: usize,
    /// Consecutive names.
    pub names: usize,
    /// Octets after the last name (the RDATA ends there).
    pub fixed_after: usize,
    /// Whether the names may be compressed in a response (RFC 3597 §4).
    pub compress: bool,
}

/// The layout of a type whose RDATA holds names, or `None` for opaque RDATA.
///
/// `#[inline(never)]`: [`check`], the loader and the message writer share one copy (LLVM would
/// inline it into each, 124 bytes more in the DNS image).
#[inline(never)]
pub fn layout(rtype: u16) -> Option<Layout> {
    let (fixed_before, names, fixed_after, compress) = match rtype {
        rtype::NS | rtype::CNAME | rtype::MB | rtype::MG | rtype::MR | rtype::PTR => {
            (0, 1, 0, true)
        }
        rtype::MINFO => (0, 2, 0, true),
        rtype::SOA => (0, 2, 20, true),
        rtype::MX => (2, 1, 0, true),
        rtype::SRV => (6, 1, 0, false),
        rtype::DNAME => (0, 1, 0, false),
        _ => return None,
    };
    Some(Layout {
        fixed_before,
        names,
        fixed_after,
        compress,
    })
}

/// Checks the RDATA of the types the server interprets (and the fixed sizes of A and AAAA);
/// other types are accepted as they are. The error says what is wrong.
pub fn check(rtype: u16, rdata: &[u8]) -> Result<(), &'static str> {
    match rtype {
        rtype::A if rdata.len() != 4 => return Err("an A record's RDATA must be 4 octets"),
        rtype::AAAA if rdata.len() != 16 => return Err("an AAAA record's RDATA must be 16 octets"),
        // Type covered, algorithm, labels, original TTL, expiration, inception, key tag (18
        // octets), the signer's name, then the signature.
        rtype::RRSIG => {
            return match rdata.get(18..).and_then(name::wire_len) {
                Some(len) if rdata.len() > 18 + len => Ok(()),
                _ => Err("an RRSIG record's RDATA is shorter than its fields"),
            };
        }
        rtype::NSEC3 => {
            return match nsec3_hash(rdata) {
                Some(hash) if !hash.is_empty() => Ok(()),
                _ => Err("an NSEC3 record's salt or hash runs past its RDATA"),
            };
        }
        _ => {}
    }
    let Some(layout) = layout(rtype) else {
        return Ok(());
    };
    let mut pos = layout.fixed_before;
    if rdata.len() < pos {
        return Err("the RDATA is shorter than its fixed fields");
    }
    for _ in 0..layout.names {
        let rest = rdata.get(pos..).unwrap_or(&[]);
        match name::wire_len(rest) {
            Some(len) => pos += len,
            None => return Err("a domain name in the RDATA is not a valid uncompressed name"),
        }
    }
    if rdata.len() != pos + layout.fixed_after {
        return Err("the RDATA length does not match its fields");
    }
    Ok(())
}

/// The name an NS, CNAME, DNAME, PTR, MX or SRV record points to (for CNAME/DNAME processing
/// and the additional section), or `None` for other types or malformed RDATA.
pub fn target(rtype: u16, rdata: &[u8]) -> Option<&[u8]> {
    rdata.get(target_range(rtype, rdata)?)
}

/// Where [`target`]'s name is inside the RDATA.
pub fn target_range(rtype: u16, rdata: &[u8]) -> Option<core::ops::Range<usize>> {
    let skip = match rtype {
        rtype::NS | rtype::CNAME | rtype::DNAME | rtype::PTR => 0,
        rtype::MX => 2,
        rtype::SRV => 6,
        _ => return None,
    };
    let len = name::wire_len(rdata.get(skip..)?)?;
    Some(skip..skip + len)
}

/// The type an RRSIG record covers (its first field), if the RDATA has one.
pub fn rrsig_covered(rdata: &[u8]) -> Option<u16> {
    let &[hi, lo, ..] = rdata else { return None };
    Some(u16::from_be_bytes([hi, lo]))
}

/// The next hashed owner name of an NSEC3 record (RFC 5155 §3.2): after the hash algorithm,
/// flags, iterations, salt length, salt and hash length.
pub fn nsec3_hash(rdata: &[u8]) -> Option<&[u8]> {
    let salt_len = usize::from(*rdata.get(4)?);
    let hash_len = usize::from(*rdata.get(5 + salt_len)?);
    rdata.get(6 + salt_len..6 + salt_len + hash_len)
}

/// Whether an NSEC3 record has the opt-out flag (RFC 5155 §3.1.2.1).
pub fn nsec3_opt_out(rdata: &[u8]) -> bool {
    rdata.get(1).is_some_and(|flags| flags & 1 != 0)
}

/// The MINIMUM field of an SOA record's RDATA (RFC 1035 §3.3.13, RFC 2308 §4).
pub fn soa_minimum(rdata: &[u8]) -> Option<u32> {
    let tail = rdata.get(rdata.len().checked_sub(4)?..)?;
    Some(u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]))
}

/// The mnemonic of common types, for messages (`TYPE123` form otherwise, RFC 3597 §5).
pub fn type_name(rtype: u16) -> TypeName {
    TypeName(rtype)
}

/// Displays a record type as its mnemonic or `TYPEnnn`.
#[derive(Clone, Copy, Debug)]
pub struct TypeName(pub u16);

impl core::fmt::Display for TypeName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let known = match self.0 {
            rtype::A => "A",
            rtype::NS => "NS",
            rtype::CNAME => "CNAME",
            rtype::SOA => "SOA",
            rtype::MB => "MB",
            rtype::MG => "MG",
            rtype::MR => "MR",
            rtype::PTR => "PTR",
            rtype::MINFO => "MINFO",
            rtype::MX => "MX",
            rtype::TXT => "TXT",
            rtype::AAAA => "AAAA",
            rtype::SRV => "SRV",
            rtype::DNAME => "DNAME",
            rtype::OPT => "OPT",
            rtype::DS => "DS",
            rtype::RRSIG => "RRSIG",
            rtype::NSEC => "NSEC",
            rtype::DNSKEY => "DNSKEY",
            rtype::NSEC3 => "NSEC3",
            rtype::NSEC3PARAM => "NSEC3PARAM",
            rtype::CDS => "CDS",
            rtype::CDNSKEY => "CDNSKEY",
            rtype::ANY => "ANY",
            other => return write!(f, "TYPE{other}"),
        };
        f.write_str(known)
    }
}

#[cfg(test)]
mod tests {
    use super::super::name::tests::wire;
    use super::*;
    use alloc::format;
    use alloc::vec::Vec;

    #[test]
    fn checks_layouts() {
        assert!(check(rtype::A, &[192, 0, 2, 1]).is_ok());
        assert!(check(rtype::A, &[192, 0, 2]).is_err());
        assert!(check(rtype::AAAA, &[0; 16]).is_ok());
        assert!(check(rtype::NS, &wire("ns.example.")).is_ok());
        assert!(check(rtype::NS, b"\x02ns\xc0\x0c").is_err());
        assert!(check(rtype::NS, &[&wire("ns.")[..], b"x"].concat()).is_err());
        let mx: Vec<u8> = [&[0u8, 10][..], &wire("mail.example.")].concat();
        assert!(check(rtype::MX, &mx).is_ok());
        assert_eq!(target(rtype::MX, &mx), Some(&wire("mail.example.")[..]));
        assert!(check(rtype::MX, &[0]).is_err());
        let soa: Vec<u8> = [
            &wire("ns.")[..],
            &wire("host.")[..],
            &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44],
        ]
        .concat();
        assert!(check(rtype::SOA, &soa).is_ok());
        assert_eq!(soa_minimum(&soa), Some(300));
        assert!(check(rtype::SOA, &soa[..soa.len() - 1]).is_err());
        let srv: Vec<u8> = [&[0u8, 1, 0, 2, 0x13, 0xc4][..], &wire("sip.example.")].concat();
        assert!(check(rtype::SRV, &srv).is_ok());
        assert_eq!(target(rtype::SRV, &srv), Some(&wire("sip.example.")[..]));
        assert!(check(rtype::TXT, b"\x03abc").is_ok());
        assert_eq!(target(rtype::TXT, b"\x03abc"), None);
        assert_eq!(
            format!("{} {}", type_name(rtype::MX), type_name(65000)),
            "MX TYPE65000"
        );
    }
}
