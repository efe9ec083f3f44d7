//! The DNSSEC record types in master-file syntax, to wire format and back: RRSIG, NSEC,
//! DNSKEY, DS (RFC 4034 §§2.2, 3.2, 4.2, 5.3), NSEC3 and NSEC3PARAM (RFC 5155 §§3.3, 4.3),
//! CDS and CDNSKEY (RFC 7344 §§3.1, 3.2, same forms as DS and DNSKEY).
//!
//! hickory-proto parses these only with its `dnssec` features, which bring a crypto library
//! into the build; the compiler needs none, so the forms are written out here. Every error
//! names the field that is wrong. The decoders ([`Rrsig::parse`], [`Nsec::parse`],
//! [`Nsec3::parse`], [`check_wire`]) serve the `\# LENGTH HEX` form (RFC 3597 §5: data for a
//! known type must be valid for it) and the zone checks in `crate::dnssec`.

use super::{Fields, RdataError, type_code, type_name};

/// The type codes this module encodes.
pub(crate) mod code {
    /// Delegation signer (RFC 4034 §5).
    pub(crate) const DS: u16 = 43;
    /// Signature (RFC 4034 §3).
    pub(crate) const RRSIG: u16 = 46;
    /// Next secure (RFC 4034 §4).
    pub(crate) const NSEC: u16 = 47;
    /// Public key (RFC 4034 §2).
    pub(crate) const DNSKEY: u16 = 48;
    /// Hashed next secure (RFC 5155 §3).
    pub(crate) const NSEC3: u16 = 50;
    /// NSEC3 parameters (RFC 5155 §4).
    pub(crate) const NSEC3PARAM: u16 = 51;
    /// Child DS (RFC 7344 §3.1).
    pub(crate) const CDS: u16 = 59;
    /// Child DNSKEY (RFC 7344 §3.2).
    pub(crate) const CDNSKEY: u16 = 60;
}

/// Whether this module encodes type `code`.
pub(crate) fn handles(code: u16) -> bool {
    matches!(
        code,
        code::DS
            | code::RRSIG
            | code::NSEC
            | code::DNSKEY
            | code::NSEC3
            | code::NSEC3PARAM
            | code::CDS
            | code::CDNSKEY
    )
}

/// DNSSEC algorithm mnemonics (RFC 4034 Appendix A.1, IANA "DNS Security Algorithm Numbers").
const ALGORITHMS: &[(&str, u8)] = &[
    ("RSAMD5", 1),
    ("DH", 2),
    ("DSA", 3),
    ("RSASHA1", 5),
    ("DSA-NSEC3-SHA1", 6),
    ("RSASHA1-NSEC3-SHA1", 7),
    ("RSASHA256", 8),
    ("RSASHA512", 10),
    ("ECC-GOST", 12),
    ("ECDSAP256SHA256", 13),
    ("ECDSAP384SHA384", 14),
    ("ED25519", 15),
    ("ED448", 16),
    ("INDIRECT", 252),
    ("PRIVATEDNS", 253),
    ("PRIVATEOID", 254),
];

/// Encodes the data of a DNSSEC record (`handles(code)` is true) from its fields.
pub(crate) fn encode(code: u16, f: &mut Fields<'_>, origin: &[u8]) -> Result<Vec<u8>, RdataError> {
    let mut out = Vec::new();
    match code {
        code::RRSIG => {
            let t = f.unquoted("type covered")?;
            let covered = type_code(&t.text).ok_or_else(|| {
                f.error(
                    t.line,
                    format!(
                        "type covered '{}' is not a record type (a mnemonic or TYPEnnn)",
                        t.text
                    ),
                )
            })?;
            out.extend_from_slice(&covered.to_be_bytes());
            out.push(algorithm(f)?);
            out.push(f.number::<u8>("labels", 255)?);
            out.extend_from_slice(
                &f.number::<u32>("original TTL", u64::from(u32::MAX))?
                    .to_be_bytes(),
            );
            out.extend_from_slice(&time(f, "signature expiration")?.to_be_bytes());
            out.extend_from_slice(&time(f, "signature inception")?.to_be_bytes());
            out.extend_from_slice(&f.number::<u16>("key tag", 65535)?.to_be_bytes());
            out.extend(f.name("signer's name", origin)?);
            let signature = base64_rest(f, "signature")?;
            if signature.is_empty() {
                return Err(f.error(f.line, "the signature is empty".into()));
            }
            out.extend(signature);
        }
        code::NSEC => {
            out.extend(f.name("next domain name", origin)?);
            out.extend(bitmap(f)?);
        }
        code::DNSKEY | code::CDNSKEY => {
            out.extend_from_slice(&f.number::<u16>("flags", 65535)?.to_be_bytes());
            out.push(f.number::<u8>("protocol", 255)?);
            out.push(algorithm(f)?);
            out.extend(base64_rest(f, "public key")?);
        }
        code::DS | code::CDS => {
            out.extend_from_slice(&f.number::<u16>("key tag", 65535)?.to_be_bytes());
            out.push(algorithm(f)?);
            let digest_type = f.number::<u8>("digest type", 255)?;
            out.push(digest_type);
            let line = f.tokens.last().map_or(f.line, |t| t.line);
            let digest = hex_rest(f, "digest")?;
            let expected = match digest_type {
                1 => Some(20),
                2 | 3 => Some(32),
                4 => Some(48),
                _ => None,
            };
            if let Some(expected) = expected
                && digest.len() != expected
            {
                return Err(f.error(
                    line,
                    format!(
                        "the digest is {} octets; digest type {digest_type} has {expected}",
                        digest.len()
                    ),
                ));
            }
            out.extend(digest);
        }
        code::NSEC3 | code::NSEC3PARAM => {
            out.push(f.number::<u8>("hash algorithm", 255)?);
            out.push(f.number::<u8>("flags", 255)?);
            out.extend_from_slice(&f.number::<u16>("iterations", 65535)?.to_be_bytes());
            let t = f.unquoted("salt")?;
            let salt = if t.text == "-" {
                Vec::new()
            } else {
                hex(&t.text).filter(|s| !s.is_empty()).ok_or_else(|| {
                    f.error(
                        t.line,
                        format!(
                            "salt '{}' is not hex digits (write '-' for no salt)",
                            t.text
                        ),
                    )
                })?
            };
            let salt_len = u8::try_from(salt.len()).map_err(|_| {
                f.error(
                    t.line,
                    format!("the salt is {} octets; at most 255", salt.len()),
                )
            })?;
            out.push(salt_len);
            out.extend(salt);
            if code == code::NSEC3 {
                let t = f.unquoted("next hashed owner name")?;
                let hash = base32hex_decode(t.text.as_bytes())
                    .filter(|h| !h.is_empty() && h.len() <= 255)
                    .ok_or_else(|| {
                        f.error(
                            t.line,
                            format!(
                                "next hashed owner name '{}' is not base32hex (RFC 4648 §7, no padding)",
                                t.text
                            ),
                        )
                    })?;
                out.push(hash.len() as u8);
                out.extend(hash);
                out.extend(bitmap(f)?);
            }
        }
        _ => {
            return Err(f.error(
                f.line,
                "not a DNSSEC type (an internal error of dns-zone; please report it)".into(),
            ));
        }
    }
    f.end()?;
    Ok(out)
}

/// An algorithm field: a number or a mnemonic.
fn algorithm(f: &mut Fields<'_>) -> Result<u8, RdataError> {
    let t = f.unquoted("algorithm")?;
    if let Ok(n) = t.text.parse::<u8>()
        && t.text.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok(n);
    }
    ALGORITHMS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&t.text))
        .map(|&(_, n)| n)
        .ok_or_else(|| {
            f.error(
                t.line,
                format!(
                    "algorithm '{}' is not a number from 0 to 255 or a known mnemonic (like ECDSAP256SHA256)",
                    t.text
                ),
            )
        })
}

/// A signature time: `YYYYMMDDHHmmSS` (UTC) or seconds since 1970 (RFC 4034 §3.2), as the
/// 32-bit field stores it (modulo 2^32, RFC 4034 §3.1.5).
fn time(f: &mut Fields<'_>, what: &str) -> Result<u32, RdataError> {
    let t = f.unquoted(what)?;
    let bad = || {
        f.error(
            t.line,
            format!(
                "{what} '{}' is not a time (YYYYMMDDHHmmSS in UTC, or seconds since 1970)",
                t.text
            ),
        )
    };
    if t.text.is_empty() || !t.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if t.text.len() == 14 {
        return parse_date(&t.text).map(|s| s as u32).ok_or_else(bad);
    }
    t.text.parse::<u32>().map_err(|_| bad())
}

/// `YYYYMMDDHHmmSS` (UTC) as seconds since 1970, if it is a valid date and time from 1970 on.
pub(crate) fn parse_date(text: &str) -> Option<u64> {
    let digits = text.as_bytes();
    if digits.len() != 14 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let field = |from: usize, to: usize| text.get(from..to)?.parse::<u64>().ok();
    let (year, month, day) = (field(0, 4)?, field(4, 6)?, field(6, 8)?);
    let (hour, minute, second) = (field(8, 10)?, field(10, 12)?, field(12, 14)?);
    if year < 1970
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second)
}

/// Seconds since 1970 as `YYYYMMDDHHmmSS` (UTC), for messages.
pub(crate) fn format_date(seconds: u64) -> String {
    let (days, rest) = (seconds / 86400, seconds % 86400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date (Howard Hinnant's days_from_civil), year >= 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A type bitmap (RFC 4034 §4.1.2) from the remaining tokens, each a type mnemonic or
/// `TYPEnnn`; none gives an empty bitmap (an NSEC3 of an empty non-terminal).
fn bitmap(f: &mut Fields<'_>) -> Result<Vec<u8>, RdataError> {
    let mut types = Vec::new();
    while f.pos < f.tokens.len() {
        let t = f.unquoted("type")?;
        let code = type_code(&t.text).ok_or_else(|| {
            f.error(
                t.line,
                format!(
                    "'{}' in the type bitmap is not a record type (a mnemonic or TYPEnnn)",
                    t.text
                ),
            )
        })?;
        types.push(code);
    }
    Ok(encode_bitmap(&types))
}

/// The wire form of a type bitmap holding `types` (any order, duplicates allowed).
pub(crate) fn encode_bitmap(types: &[u16]) -> Vec<u8> {
    let mut windows = [[0u8; 32]; 256];
    let mut used = [false; 256];
    for &t in types {
        let (window, low) = ((t >> 8) as usize, (t & 0xff) as usize);
        windows[window][low / 8] |= 0x80 >> (low % 8);
        used[window] = true;
    }
    let mut out = Vec::new();
    for (window, bits) in windows.iter().enumerate() {
        if !used[window] {
            continue;
        }
        let len = bits.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        out.push(window as u8);
        out.push(len as u8);
        out.extend_from_slice(&bits[..len]);
    }
    out
}

/// The types of a wire-format type bitmap, increasing, or what is wrong with it.
pub(crate) fn decode_bitmap(mut bytes: &[u8]) -> Result<Vec<u16>, &'static str> {
    let mut types = Vec::new();
    let mut last_window: Option<u8> = None;
    while let [window, len, rest @ ..] = bytes {
        let len = usize::from(*len);
        if last_window.is_some_and(|w| w >= *window) {
            return Err("the type bitmap's windows are not in increasing order");
        }
        if !(1..=32).contains(&len) {
            return Err("a type bitmap window has a length outside 1 to 32");
        }
        let Some(bits) = rest.get(..len) else {
            return Err("the type bitmap runs past the RDATA");
        };
        if bits[len - 1] == 0 {
            return Err("a type bitmap window ends with a zero octet");
        }
        for (i, &octet) in bits.iter().enumerate() {
            for bit in 0..8 {
                if octet & (0x80 >> bit) != 0 {
                    types.push(u16::from(*window) << 8 | (i * 8 + bit) as u16);
                }
            }
        }
        last_window = Some(*window);
        bytes = &rest[len..];
    }
    if !bytes.is_empty() {
        return Err("the type bitmap ends in the middle of a window");
    }
    Ok(types)
}

/// The remaining tokens as one base64 text (RFC 4648 §4; whitespace between tokens allowed).
fn base64_rest(f: &mut Fields<'_>, what: &str) -> Result<Vec<u8>, RdataError> {
    let mut text = String::new();
    let mut line = f.tokens.get(f.pos).map_or(f.line, |t| t.line);
    while f.pos < f.tokens.len() {
        let t = f.unquoted(what)?;
        text.push_str(&t.text);
        line = t.line;
    }
    if text.is_empty() {
        return Err(f.error(line, format!("missing {what} (base64)")));
    }
    base64_decode(text.as_bytes())
        .ok_or_else(|| f.error(line, format!("the {what} is not valid base64")))
}

/// The remaining tokens as one hex text (whitespace between tokens allowed).
fn hex_rest(f: &mut Fields<'_>, what: &str) -> Result<Vec<u8>, RdataError> {
    let mut text = String::new();
    let mut line = f.tokens.get(f.pos).map_or(f.line, |t| t.line);
    while f.pos < f.tokens.len() {
        let t = f.unquoted(what)?;
        text.push_str(&t.text);
        line = t.line;
    }
    if text.is_empty() {
        return Err(f.error(line, format!("missing {what} (hex)")));
    }
    hex(&text).ok_or_else(|| {
        f.error(
            line,
            format!("the {what} is not an even number of hex digits"),
        )
    })
}

/// Decodes hex digits (any case), `None` if odd in length or not hex.
pub(crate) fn hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let digit = |b: u8| char::from(b).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

/// Decodes padded base64 (RFC 4648 §4); `None` if it is not.
pub(crate) fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let chunks = text.chunks(4);
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i != last) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            };
            acc = (acc << 6) | u32::from(v);
        }
        acc <<= 6 * pad as u32;
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

pub(crate) use dns_zone_format::nsec3::base32hex_decode;

/// Encodes octets as unpadded lower-case base32hex (as NSEC3 owner labels are written).
pub(crate) fn base32hex_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[(acc >> bits) as usize & 31]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[(acc << (5 - bits)) as usize & 31]));
    }
    out
}

/// The fields of an RRSIG record's RDATA (RFC 4034 §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rrsig<'a> {
    pub(crate) covered: u16,
    pub(crate) algorithm: u8,
    pub(crate) labels: u8,
    pub(crate) expiration: u32,
    pub(crate) inception: u32,
    pub(crate) key_tag: u16,
    pub(crate) signer: &'a [u8],
}

impl<'a> Rrsig<'a> {
    /// Reads the fields of `rdata`, or says what is wrong.
    pub(crate) fn parse(rdata: &'a [u8]) -> Result<Self, &'static str> {
        let short = "an RRSIG record's RDATA is shorter than its fields";
        let fixed = rdata.get(..18).ok_or(short)?;
        let signer_len = dns_zone_format::name::wire_len(&rdata[18..])
            .ok_or("an RRSIG record's signer name is not a valid uncompressed name")?;
        if rdata.len() <= 18 + signer_len {
            return Err("an RRSIG record has no signature");
        }
        let u32_at =
            |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
        Ok(Rrsig {
            covered: u16::from_be_bytes([fixed[0], fixed[1]]),
            algorithm: fixed[2],
            labels: fixed[3],
            expiration: u32_at(8),
            inception: u32_at(12),
            key_tag: u16::from_be_bytes([fixed[16], fixed[17]]),
            signer: &rdata[18..18 + signer_len],
        })
    }
}

/// The fields of an NSEC record's RDATA (RFC 4034 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Nsec<'a> {
    pub(crate) next: &'a [u8],
    pub(crate) types: Vec<u16>,
}

impl<'a> Nsec<'a> {
    /// Reads the fields of `rdata`, or says what is wrong.
    pub(crate) fn parse(rdata: &'a [u8]) -> Result<Self, &'static str> {
        let len = dns_zone_format::name::wire_len(rdata)
            .ok_or("an NSEC record's next domain name is not a valid uncompressed name")?;
        Ok(Nsec {
            next: &rdata[..len],
            types: decode_bitmap(&rdata[len..])?,
        })
    }
}

/// The fields of an NSEC3 (or, without `next` and `types`, NSEC3PARAM) record's RDATA
/// (RFC 5155 §§3.2, 4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Nsec3<'a> {
    pub(crate) algorithm: u8,
    pub(crate) flags: u8,
    pub(crate) iterations: u16,
    pub(crate) salt: &'a [u8],
    pub(crate) next: &'a [u8],
    pub(crate) types: Vec<u16>,
}

impl<'a> Nsec3<'a> {
    /// Reads an NSEC3 record's `rdata`, or says what is wrong.
    pub(crate) fn parse(rdata: &'a [u8]) -> Result<Self, &'static str> {
        let (mut nsec3, rest) = Self::params(rdata)?;
        let (&hash_len, rest) = rest
            .split_first()
            .ok_or("an NSEC3 record has no next hashed owner name")?;
        let hash_len = usize::from(hash_len);
        if hash_len == 0 || rest.len() < hash_len {
            return Err("an NSEC3 record's next hashed owner name runs past its RDATA");
        }
        nsec3.next = &rest[..hash_len];
        nsec3.types = decode_bitmap(&rest[hash_len..])?;
        Ok(nsec3)
    }

    /// Reads an NSEC3PARAM record's `rdata`, or says what is wrong.
    pub(crate) fn parse_param(rdata: &'a [u8]) -> Result<Self, &'static str> {
        match Self::params(rdata)? {
            (param, []) => Ok(param),
            _ => Err("an NSEC3PARAM record has data after its salt"),
        }
    }

    /// The fields NSEC3 and NSEC3PARAM share, and what follows them.
    fn params(rdata: &'a [u8]) -> Result<(Self, &'a [u8]), &'static str> {
        let &[algorithm, flags, hi, lo, salt_len, ref rest @ ..] = rdata else {
            return Err(
                "the RDATA is shorter than the hash algorithm, flags, iterations and salt length",
            );
        };
        let salt_len = usize::from(salt_len);
        if rest.len() < salt_len {
            return Err("the salt runs past the RDATA");
        }
        Ok((
            Nsec3 {
                algorithm,
                flags,
                iterations: u16::from_be_bytes([hi, lo]),
                salt: &rest[..salt_len],
                next: &[],
                types: Vec::new(),
            },
            &rest[salt_len..],
        ))
    }
}

/// Checks the wire form of a DNSSEC type's data (`handles(code)` is true), as given in the
/// generic `\#` form.
pub(crate) fn check_wire(code: u16, rdata: &[u8]) -> Result<(), &'static str> {
    match code {
        code::RRSIG => Rrsig::parse(rdata).map(drop),
        code::NSEC => Nsec::parse(rdata).map(drop),
        code::NSEC3 => Nsec3::parse(rdata).map(drop),
        code::NSEC3PARAM => Nsec3::parse_param(rdata).map(drop),
        _ if rdata.len() < 4 => Err("the RDATA is shorter than its fixed fields (4 octets)"),
        _ => Ok(()),
    }
}

/// The key tag of a DNSKEY record's RDATA (RFC 4034 Appendix B; algorithm 1 is not used).
pub(crate) fn key_tag(rdata: &[u8]) -> u16 {
    // u64: for a long key (RDATA up to 65535 octets) the sum passes u32.
    let mut acc: u64 = 0;
    for (i, &b) in rdata.iter().enumerate() {
        acc += if i % 2 == 0 {
            u64::from(b) << 8
        } else {
            u64::from(b)
        };
    }
    acc += (acc >> 16) & 0xffff;
    (acc & 0xffff) as u16
}

/// A type bitmap's types as text (`A RRSIG NSEC`), for messages.
pub(crate) fn types_text(types: &[u16]) -> String {
    if types.is_empty() {
        return "(no types)".into();
    }
    types
        .iter()
        .map(|&t| type_name(t))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::tests::enc;
    use super::*;
    use crate::name;

    /// An absolute name in wire form.
    fn signer(text: &str) -> Vec<u8> {
        name::parse(text, name::ROOT).unwrap()
    }

    #[test]
    fn rrsig_both_time_forms_and_mnemonics() {
        let a = enc(
            "RRSIG",
            "SOA 13 2 300 ( 20270106210212 20261207210212 20945 example.test.\n WGmVf3ii+QMo\n YUF8FXNkhA== )",
        );
        let a = a.unwrap_or_else(|e| panic!("{}", e.message));
        let b = enc(
            "RRSIG",
            "TYPE6 ECDSAP256SHA256 2 300 1799269332 1796677332 20945 example.test. WGmVf3ii+QMoYUF8FXNkhA==",
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(a, b);
        let sig = Rrsig::parse(&a).unwrap();
        assert_eq!(
            (sig.covered, sig.algorithm, sig.labels, sig.key_tag),
            (6, 13, 2, 20945)
        );
        assert_eq!(sig.signer, signer("example.test."));
        assert_eq!(format_date(u64::from(sig.expiration)), "20270106210212");
        assert_eq!(parse_date("20270106210212"), Some(1_799_269_332));
        assert_eq!(parse_date("19700101000000"), Some(0));
        assert_eq!(
            parse_date("20240229235959").map(format_date).as_deref(),
            Some("20240229235959")
        );
        assert_eq!(parse_date("20230229000000"), None);
        assert_eq!(parse_date("20231301000000"), None);
    }

    #[test]
    fn nsec_and_bitmaps() {
        let data = enc("NSEC", "host.example.test. A MX RRSIG NSEC TYPE1234").unwrap();
        let nsec = Nsec::parse(&data).unwrap();
        assert_eq!(nsec.next, signer("host.example.test."));
        assert_eq!(nsec.types, [1, 15, 46, 47, 1234]);
        // RFC 4034 §4.3's example.
        let mut bitmap = vec![0, 6, 0x40, 0x01, 0, 0, 0, 0x03, 4, 27];
        bitmap.extend([0; 26]);
        bitmap.push(0x20);
        assert_eq!(data[19..], bitmap);
        assert!(decode_bitmap(&[0, 1, 0]).is_err());
        assert!(decode_bitmap(&[1, 1, 1, 0, 1, 1]).is_err());
        assert!(decode_bitmap(&[0, 2, 1]).is_err());
        assert_eq!(
            decode_bitmap(&encode_bitmap(&[2, 6, 46, 65534])).unwrap(),
            [2, 6, 46, 65534]
        );
    }

    #[test]
    fn nsec3_and_param() {
        let data = enc(
            "NSEC3",
            "1 1 12 aabbccdd ( 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG )",
        )
        .unwrap();
        let n = Nsec3::parse(&data).unwrap();
        assert_eq!((n.algorithm, n.flags, n.iterations), (1, 1, 12));
        assert_eq!(n.salt, [0xaa, 0xbb, 0xcc, 0xdd]);
        assert_eq!(n.next.len(), 20);
        assert_eq!(base32hex_encode(n.next), "2vptu5timamqttgl4luu9kg21e0aor3s");
        assert_eq!(n.types, [1, 46]);
        let ent = enc("NSEC3", "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s").unwrap();
        assert!(Nsec3::parse(&ent).unwrap().types.is_empty());
        assert_eq!(enc("NSEC3PARAM", "1 0 0 -").unwrap(), [1, 0, 0, 0, 0]);
        assert_eq!(
            enc("NSEC3PARAM", "1 0 5 AB").unwrap(),
            [1, 0, 0, 5, 1, 0xab]
        );
        assert!(Nsec3::parse_param(&[1, 0, 0, 5, 1, 0xab, 0]).is_err());
    }

    #[test]
    fn keys_and_digests() {
        let key = enc(
            "DNSKEY",
            "257 3 ED25519 ( vAWQBLQ1+x7y4Fig2l/BOcs0xPRnx\n w6zcZQAnnITTO8= )",
        )
        .unwrap();
        assert_eq!(key[..4], [1, 1, 3, 15]);
        assert_eq!(key.len(), 4 + 32);
        assert_eq!(enc("CDNSKEY", "0 3 0 AA==").unwrap(), [0, 0, 3, 0, 0]);
        let ds = enc(
            "DS",
            "12345 13 2 ( 0123456789ABCDEF0123456789ABCDEF0123\n 456789abcdef0123456789ABCDEF )",
        )
        .unwrap();
        assert_eq!(ds[..4], [0x30, 0x39, 13, 2]);
        assert_eq!(ds.len(), 36);
        assert_eq!(enc("CDS", "0 0 0 00").unwrap(), [0, 0, 0, 0, 0]);
        // RFC 4034 §5.4's example key and its tag, 60485.
        let key = enc(
            "DNSKEY",
            "256 3 5 ( AQOeiiR0GOMYkDshWoSKz9Xz fwJr1AYtsmx3TGkJaNXVbfi/ 2pHm822aJ5iI9BMzNXxeYCmZ DRD99WYwYqUSdjMmmAphXdvx egXd/M5+X7OrzKBaMbCVdFLU Uh6DhweJBjEVv5f2wwjM9Xzc nOf+EPbtG9DMBmADjFDc2w/r ljwvFw== )",
        )
        .unwrap();
        assert_eq!(key_tag(&key), 60485);
        // A key as long as RDATA goes does not overflow the sum.
        let _ = key_tag(&[0xff; 65535]);
    }

    #[test]
    fn errors_name_the_field() {
        for (t, data, needle) in [
            (
                "RRSIG",
                "BOGUS 13 2 300 1 2 3 example. AA==",
                "type covered",
            ),
            ("RRSIG", "A NOPE 2 300 1 2 3 example. AA==", "algorithm"),
            (
                "RRSIG",
                "A 13 2 300 20261340000000 2 3 example. AA==",
                "signature expiration",
            ),
            (
                "RRSIG",
                "A 13 2 300 1 x 3 example. AA==",
                "signature inception",
            ),
            ("RRSIG", "A 13 2 300 1 2 70000 example. AA==", "key tag"),
            ("RRSIG", "A 13 2 300 1 2 3 example.", "missing signature"),
            ("RRSIG", "A 13 2 300 1 2 3 example. AA=A", "base64"),
            ("NSEC", "next. A BOGUS", "type bitmap"),
            (
                "NSEC3",
                "1 0 0 xyz 2vptu5timamqttgl4luu9kg21e0aor3s",
                "salt",
            ),
            (
                "NSEC3",
                "1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3w",
                "next hashed owner",
            ),
            ("NSEC3PARAM", "1 0 70000 -", "iterations"),
            ("DS", "1 13 2 abcd", "digest is 2 octets"),
            ("DS", "1 13 2 abc", "hex"),
            ("DNSKEY", "256 3 13", "public key"),
        ] {
            let e = enc(t, data).unwrap_err();
            assert!(e.message.contains(needle), "{t} {data}: {}", e.message);
        }
    }

    #[test]
    fn generic_form_is_checked() {
        assert!(enc("NSEC3PARAM", "\\# 5 0100000000").is_ok());
        let e = enc("NSEC3PARAM", "\\# 5 0100000001").unwrap_err();
        assert!(e.message.contains("salt"), "{}", e.message);
        assert!(enc("RRSIG", "\\# 4 00010203").is_err());
        assert!(enc("DS", "\\# 4 00010203").is_ok());
    }

    #[test]
    fn base_encodings() {
        assert_eq!(base64_decode(b"Zm9vYg==").unwrap(), b"foob");
        assert_eq!(base64_decode(b"Zm9vYmE=").unwrap(), b"fooba");
        assert_eq!(base64_decode(b"Zm9vYmFy").unwrap(), b"foobar");
        assert!(base64_decode(b"Zm9vY").is_none());
        assert!(base64_decode(b"Zg==Zg==").is_none());
        assert_eq!(base32hex_encode(b"foobar"), "cpnmuoj1e8");
        assert_eq!(base32hex_decode(b"CPNMUOJ1E8").unwrap(), b"foobar");
    }
}
