//! RDATA in master-file syntax to uncompressed wire format.
//!
//! The types whose data holds domain names or character-strings (A, AAAA, NS, CNAME, PTR,
//! DNAME, MX, SRV, SOA, TXT, SPF, HINFO, NAPTR, CAA) are encoded here, so that names keep their
//! original case and any octet can be written with `\DDD`. The DNSSEC types (RRSIG, NSEC,
//! NSEC3, NSEC3PARAM, DNSKEY, CDNSKEY, DS, CDS) are encoded in [`dnssec`], without the crypto
//! libraries hickory-proto's DNSSEC features bring. The other types hickory-proto knows
//! (SSHFP, TLSA, SVCB, HTTPS, CERT, ...) go through its parser. Any type, known or not, can be
//! written in the RFC 3597 generic form `\# LENGTH HEX...`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::{
    BinDecoder, BinEncodable, BinEncoder, NameEncoding, Restrict,
};
use hickory_proto::serialize::txt::{Parser, parse_ttl};

use crate::lexer::Token;
use crate::name;

pub(crate) mod dnssec;

/// An error in a record's data, with the line of the offending token.
#[derive(Debug)]
pub(crate) struct RdataError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// The mnemonic of a type (`TYPEnnn` for the ones without one).
pub(crate) fn type_name(code: u16) -> String {
    match code {
        99 => "SPF".into(),
        _ => match RecordType::from(code) {
            RecordType::Unknown(_) => format!("TYPE{code}"),
            t => t.to_string(),
        },
    }
}

/// The type code of a mnemonic (case-insensitive) or of `TYPEnnn`.
pub(crate) fn type_code(text: &str) -> Option<u16> {
    let upper = text.to_ascii_uppercase();
    if let Some(n) = upper.strip_prefix("TYPE")
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return n.parse().ok();
    }
    if upper == "SPF" {
        return Some(99);
    }
    match RecordType::from_str(&upper) {
        // Meta types (RFC 6895 section 3.1) have no data in a zone.
        Ok(RecordType::ANY | RecordType::AXFR | RecordType::IXFR | RecordType::OPT) | Err(_) => {
            None
        }
        Ok(t) => Some(u16::from(t)),
    }
}

/// A cursor over a record's data tokens.
pub(crate) struct Fields<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// The line of the type token, for "missing field" errors.
    line: usize,
    type_name: String,
}

impl<'a> Fields<'a> {
    fn error(&self, line: usize, message: String) -> RdataError {
        RdataError {
            line,
            message: format!("{} record: {message}", self.type_name),
        }
    }

    fn next(&mut self, what: &str) -> Result<&'a Token, RdataError> {
        match self.tokens.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(t)
            }
            None => {
                let line = self.tokens.last().map_or(self.line, |t| t.line);
                Err(self.error(line, format!("missing {what}")))
            }
        }
    }

    fn unquoted(&mut self, what: &str) -> Result<&'a Token, RdataError> {
        let t = self.next(what)?;
        if t.quoted {
            return Err(self.error(t.line, format!("{what} must not be a quoted string")));
        }
        Ok(t)
    }

    fn number<T: TryFrom<u64>>(&mut self, what: &str, max: u64) -> Result<T, RdataError> {
        let t = self.unquoted(what)?;
        let value = t
            .text
            .parse::<u64>()
            .ok()
            .filter(|v| *v <= max && t.text.bytes().all(|b| b.is_ascii_digit()));
        value.and_then(|v| T::try_from(v).ok()).ok_or_else(|| {
            self.error(
                t.line,
                format!("{what} '{}' is not a number from 0 to {max}", t.text),
            )
        })
    }

    fn ttl(&mut self, what: &str) -> Result<u32, RdataError> {
        let t = self.unquoted(what)?;
        parse_ttl(&t.text).map_err(|_| {
            self.error(
                t.line,
                format!("{what} '{}' is not a time value (like 3600 or 1h)", t.text),
            )
        })
    }

    fn name(&mut self, what: &str, origin: &[u8]) -> Result<Vec<u8>, RdataError> {
        let t = self.next(what)?;
        name::parse(&t.text, origin).map_err(|e| self.error(t.line, format!("{what}: {e}")))
    }

    /// A `<character-string>`: a length octet and up to 255 octets.
    fn char_string(&mut self, what: &str, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let t = self.next(what)?;
        self.push_char_string(t, what, out)
    }

    fn push_char_string(&self, t: &Token, what: &str, out: &mut Vec<u8>) -> Result<(), RdataError> {
        let bytes =
            name::unescape(&t.text).map_err(|e| self.error(t.line, format!("{what}: {e}")))?;
        let len = u8::try_from(bytes.len()).map_err(|_| {
            self.error(
                t.line,
                format!(
                    "{what} is {} octets long; a character-string holds at most 255 (split it into several \"...\" strings)",
                    bytes.len()
                ),
            )
        })?;
        out.push(len);
        out.extend_from_slice(&bytes);
        Ok(())
    }

    fn end(&self) -> Result<(), RdataError> {
        match self.tokens.get(self.pos) {
            None => Ok(()),
            Some(t) => Err(self.error(t.line, format!("unexpected extra data '{}'", t.text))),
        }
    }
}

/// Encodes the data of a record of type `code` from its tokens. `line` is the line of the type.
pub(crate) fn encode(
    code: u16,
    tokens: &[Token],
    origin: &[u8],
    line: usize,
) -> Result<Vec<u8>, RdataError> {
    let mut f = Fields {
        tokens,
        pos: 0,
        line,
        type_name: type_name(code),
    };
    if tokens.first().is_some_and(|t| !t.quoted && t.text == "\\#") {
        f.pos = 1;
        return generic(code, &mut f);
    }
    if dnssec::handles(code) {
        return dnssec::encode(code, &mut f, origin);
    }
    let mut out = Vec::new();
    match RecordType::from(code) {
        RecordType::A => {
            let t = f.unquoted("IPv4 address")?;
            let a = Ipv4Addr::from_str(&t.text)
                .map_err(|_| f.error(t.line, format!("'{}' is not an IPv4 address", t.text)))?;
            out.extend_from_slice(&a.octets());
        }
        RecordType::AAAA => {
            let t = f.unquoted("IPv6 address")?;
            let a = Ipv6Addr::from_str(&t.text)
                .map_err(|_| f.error(t.line, format!("'{}' is not an IPv6 address", t.text)))?;
            out.extend_from_slice(&a.octets());
        }
        RecordType::NS | RecordType::CNAME | RecordType::PTR | RecordType::DNAME => {
            out = f.name("target name", origin)?;
        }
        RecordType::MX => {
            out.extend_from_slice(&f.number::<u16>("preference", 65535)?.to_be_bytes());
            out.extend(f.name("exchange name", origin)?);
        }
        RecordType::SRV => {
            out.extend_from_slice(&f.number::<u16>("priority", 65535)?.to_be_bytes());
            out.extend_from_slice(&f.number::<u16>("weight", 65535)?.to_be_bytes());
            out.extend_from_slice(&f.number::<u16>("port", 65535)?.to_be_bytes());
            out.extend(f.name("target name", origin)?);
        }
        RecordType::SOA => {
            out.extend(f.name("primary server name (MNAME)", origin)?);
            out.extend(f.name("mailbox name (RNAME)", origin)?);
            out.extend_from_slice(
                &f.number::<u32>("serial", u64::from(u32::MAX))?
                    .to_be_bytes(),
            );
            out.extend_from_slice(&f.ttl("refresh")?.to_be_bytes());
            out.extend_from_slice(&f.ttl("retry")?.to_be_bytes());
            out.extend_from_slice(&f.ttl("expire")?.to_be_bytes());
            out.extend_from_slice(&f.ttl("minimum")?.to_be_bytes());
        }
        RecordType::TXT | RecordType::Unknown(99) => {
            f.char_string("text", &mut out)?;
            while f.pos < tokens.len() {
                f.char_string("text", &mut out)?;
            }
        }
        RecordType::HINFO => {
            f.char_string("CPU", &mut out)?;
            f.char_string("OS", &mut out)?;
        }
        RecordType::NAPTR => {
            out.extend_from_slice(&f.number::<u16>("order", 65535)?.to_be_bytes());
            out.extend_from_slice(&f.number::<u16>("preference", 65535)?.to_be_bytes());
            f.char_string("flags", &mut out)?;
            f.char_string("services", &mut out)?;
            f.char_string("regexp", &mut out)?;
            out.extend(f.name("replacement name", origin)?);
        }
        RecordType::CAA => {
            out.push(f.number::<u8>("flags", 255)?);
            let t = f.unquoted("tag")?;
            if t.text.is_empty()
                || t.text.len() > 15
                || !t.text.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(f.error(
                    t.line,
                    format!("tag '{}' must be 1 to 15 letters or digits", t.text),
                ));
            }
            out.push(t.text.len() as u8);
            out.extend_from_slice(t.text.as_bytes());
            let t = f.next("value")?;
            let value =
                name::unescape(&t.text).map_err(|e| f.error(t.line, format!("value: {e}")))?;
            out.extend_from_slice(&value);
        }
        RecordType::Unknown(_) => {
            let hint = f.tokens.first().map_or(f.line, |t| t.line);
            return Err(f.error(
                hint,
                format!(
                    "this type has no known text form; write its data as \\# LENGTH HEX (RFC 3597), e.g. `{} \\# 2 abcd`",
                    f.type_name
                ),
            ));
        }
        t => return by_hickory(t, &mut f, origin),
    }
    f.end()?;
    Ok(out)
}

/// `\# LENGTH HEX...` (RFC 3597 section 5).
fn generic(code: u16, f: &mut Fields<'_>) -> Result<Vec<u8>, RdataError> {
    let length: usize = f.number("\\# length", 65535)?;
    let mut hex = String::new();
    let mut last_line = f.line;
    while f.pos < f.tokens.len() {
        let t = f.unquoted("hex data")?;
        hex.push_str(&t.text);
        last_line = t.line;
    }
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(f.error(
            last_line,
            format!("'{hex}' is not an even number of hex digits"),
        ));
    }
    let data: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked hex digits"))
        .collect();
    if data.len() != length {
        return Err(f.error(
            last_line,
            format!(
                "\\# says {length} octets but the hex data has {}",
                data.len()
            ),
        ));
    }
    // The types that have a text form here must also be well-formed in the generic one.
    if dnssec::handles(code) {
        dnssec::check_wire(code, &data).map_err(|e| {
            f.error(
                last_line,
                format!("the \\# data is not valid data for this type: {e}"),
            )
        })?;
        return Ok(data);
    }
    let t = RecordType::from(code);
    if !matches!(t, RecordType::Unknown(_) | RecordType::NULL) && !data.is_empty() {
        let mut decoder = BinDecoder::new(&data);
        let ok = RData::read(&mut decoder, t, Restrict::new(length as u16))
            .is_ok_and(|_| decoder.is_empty());
        if !ok {
            return Err(f.error(
                last_line,
                "the \\# data is not valid data for this type".into(),
            ));
        }
    }
    Ok(data)
}

/// The other types hickory-proto can parse: one record handed to its zone-file parser.
fn by_hickory(t: RecordType, f: &mut Fields<'_>, origin: &[u8]) -> Result<Vec<u8>, RdataError> {
    let line = f.tokens.first().map_or(f.line, |t| t.line);
    let origin_name = Name::from_ascii(name::to_text(origin))
        .map_err(|e| f.error(line, format!("origin: {e}")))?;
    let mut text = format!("@ 0 IN {t}");
    // Fields after which the rest is one hex or base64 string that signers split over several
    // tokens (dnssec-signzone writes SSHFP and TLSA data in 36-digit groups): hickory wants
    // it whole.
    let joined_from = match u16::from(t) {
        44 => Some(2),      // SSHFP: algorithm, type, fingerprint
        52 | 53 => Some(3), // TLSA, SMIMEA: usage, selector, matching type, data
        49 | 61 => Some(0), // DHCID, OPENPGPKEY: base64
        _ => None,
    };
    let mut tokens: Vec<Token> = Vec::with_capacity(f.tokens.len());
    for (i, tok) in f.tokens.iter().enumerate() {
        match tokens.last_mut() {
            Some(last) if joined_from.is_some_and(|from| i > from) && !tok.quoted => {
                last.text.push_str(&tok.text);
            }
            // SVCB/HTTPS `key="value"` (BIND writes values quoted): one token `key=value`.
            Some(last) if tok.quoted && !last.quoted && last.text.ends_with('=') => {
                last.text.push_str(&tok.text);
            }
            _ => tokens.push(tok.clone()),
        }
    }
    for tok in &tokens {
        text.push(' ');
        if tok.quoted {
            text.push('"');
            text.push_str(&requote(&tok.text).map_err(|e| f.error(tok.line, e))?);
            text.push('"');
        } else if tok.text == "@" {
            text.push_str(&name::to_text(origin));
        } else {
            text.push_str(&reescape(&tok.text).map_err(|e| f.error(tok.line, e))?);
        }
    }
    text.push('\n');
    let (_, sets) = Parser::new(text, None, Some(origin_name))
        .parse()
        .map_err(|e| f.error(line, e.to_string()))?;
    let record = sets
        .values()
        .flat_map(|set| set.records_without_rrsigs())
        .next()
        .ok_or_else(|| f.error(line, "no data".into()))?;
    let mut out = Vec::new();
    let mut encoder = BinEncoder::new(&mut out);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    record
        .data
        .emit(&mut encoder)
        .map_err(|e| f.error(line, e.to_string()))?;
    Ok(out)
}

/// A quoted string's contents as hickory's lexer reads them (it decodes `\X` but not `\DDD`).
fn requote(text: &str) -> Result<String, String> {
    let bytes = name::unescape(text)?;
    let mut s = String::new();
    for b in bytes {
        match b {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(char::from(b));
            }
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                return Err(format!(
                    "octet {b} in \"{text}\" cannot be written in this type's text form; use \\# LENGTH HEX"
                ));
            }
        }
    }
    Ok(s)
}

/// An unquoted token for hickory's lexer, which ends a token at a blank, `;` or `)` even when
/// escaped: those become `\DDD`.
fn reescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut s = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let (b, used) = name::unescape_at(bytes, i)?;
            if b.is_ascii_graphic() && !matches!(b, b';' | b')' | b'(' | b'"') {
                s.push_str(&text[i..i + used]);
            } else {
                s.push_str(&format!("\\{b:03}"));
            }
            i += used;
        } else {
            let c = text[i..].chars().next().expect("in bounds");
            s.push(c);
            i += c.len_utf8();
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &[u8] = b"\x07example\x04test\x00";

    fn toks(s: &str) -> Vec<Token> {
        crate::lexer::entries(s).unwrap().remove(0).tokens
    }

    pub(super) fn enc(t: &str, data: &str) -> Result<Vec<u8>, RdataError> {
        encode(type_code(t).unwrap(), &toks(data), ORIGIN, 1)
    }

    #[test]
    fn type_codes() {
        assert_eq!(type_code("a"), Some(1));
        assert_eq!(type_code("TYPE65534"), Some(65534));
        assert_eq!(type_code("Spf"), Some(99));
        assert_eq!(type_code("AXFR"), None);
        assert_eq!(type_code("BOGUS"), None);
        assert_eq!(type_name(65534), "TYPE65534");
        assert_eq!(type_name(257), "CAA");
    }

    #[test]
    fn basic_types() {
        assert_eq!(enc("A", "192.0.2.1").unwrap(), [192, 0, 2, 1]);
        assert_eq!(
            enc("AAAA", "2001:db8::1").unwrap()[..4],
            [0x20, 1, 0x0d, 0xb8]
        );
        assert_eq!(
            enc("CNAME", "WWW").unwrap(),
            b"\x03WWW\x07example\x04test\x00"
        );
        assert_eq!(
            enc("MX", "10 mail").unwrap(),
            b"\x00\x0a\x04mail\x07example\x04test\x00"
        );
        assert_eq!(
            enc("SOA", "ns1 h.m. 7 1h 2m 1w 60").unwrap()[23..],
            [
                0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 0, 120, 0, 9, 0x3a, 0x80, 0, 0, 0, 60
            ]
        );
        assert_eq!(
            enc("TXT", "\"a b\" c \"\\065\\\"\"").unwrap(),
            b"\x03a b\x01c\x02A\""
        );
        assert_eq!(
            enc("CAA", "0 issue \"ca.example\"").unwrap(),
            b"\x00\x05issueca.example"
        );
        assert_eq!(
            enc("TYPE65534", "\\# 3 abcd ef").unwrap(),
            [0xab, 0xcd, 0xef]
        );
        assert_eq!(enc("A", "\\# 4 C0000201").unwrap(), [192, 0, 2, 1]);
    }

    #[test]
    fn hickory_types() {
        let sshfp = enc("SSHFP", "1 1 0123456789abcdef0123456789abcdef01234567").unwrap();
        assert_eq!(sshfp[..3], [1, 1, 0x01]);
        assert_eq!(sshfp.len(), 22);
        let https = enc("HTTPS", "1 . alpn=h2").unwrap();
        assert_eq!(https[..3], [0, 1, 0]);
        // As dnssec-signzone writes them: hex in groups, SvcParam values quoted.
        let split = enc(
            "SSHFP",
            "1 1 ( 0123456789ABCDEF0123456789ABCDEF0123\n 4567 )",
        )
        .unwrap();
        assert_eq!(split, sshfp);
        let tlsa = enc("TLSA", "3 1 1 0123456789abcdef").unwrap();
        assert_eq!(enc("TLSA", "3 1 1 ( 01234567 89ABCDEF )").unwrap(), tlsa);
        assert_eq!(enc("HTTPS", "1 . alpn=\"h2\"").unwrap(), https);
    }

    #[test]
    fn errors() {
        let e = enc("A", "1.2.3").unwrap_err();
        assert!(e.message.contains("not an IPv4 address"), "{}", e.message);
        let e = enc("A", "1.2.3.4 5.6.7.8").unwrap_err();
        assert!(e.message.contains("extra data"), "{}", e.message);
        let e = enc("MX", "mail").unwrap_err();
        assert!(e.message.contains("preference"), "{}", e.message);
        let e = enc("SOA", "a b 1 2 3 4").unwrap_err();
        assert!(e.message.contains("missing minimum"), "{}", e.message);
        let long = "x".repeat(256);
        assert!(enc("TXT", &long).unwrap_err().message.contains("255"));
        assert!(enc("A", "\\# 4 C00002").unwrap_err().message.contains("3"));
        assert!(
            enc("A", "\\# 3 C00002")
                .unwrap_err()
                .message
                .contains("not valid")
        );
        assert!(enc("TYPE65534", "abc").unwrap_err().message.contains("\\#"));
        assert!(
            enc("CAA", "0 is-sue x")
                .unwrap_err()
                .message
                .contains("tag")
        );
    }
}
