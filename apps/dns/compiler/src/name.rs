//! Domain names in master-file syntax, to and from uncompressed wire format. Labels are kept
//! byte for byte (original case, no IDNA mapping), as RFC 1035 and RFC 4343 want.

/// The wire form of the root name.
pub(crate) const ROOT: &[u8] = &[0];

/// Parses `text` (escapes `\X` and `\DDD` allowed) into uncompressed wire format. A name without
/// a final dot is relative to `origin` (wire format). `@` alone is the origin.
pub(crate) fn parse(text: &str, origin: &[u8]) -> Result<Vec<u8>, String> {
    if text == "@" {
        return Ok(origin.to_vec());
    }
    if text == "." {
        return Ok(ROOT.to_vec());
    }
    if text.is_empty() {
        return Err("empty domain name".into());
    }
    let mut wire = Vec::with_capacity(text.len() + 2);
    let mut label: Vec<u8> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut absolute = false;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' => {
                let (byte, used) = unescape_at(bytes, i).map_err(|e| format!("'{text}': {e}"))?;
                label.push(byte);
                i += used;
                continue;
            }
            b'.' => {
                if label.is_empty() {
                    return Err(format!(
                        "'{text}' has an empty label (two dots, or a leading dot)"
                    ));
                }
                push_label(&mut wire, &label, text)?;
                label.clear();
                if i + 1 == bytes.len() {
                    absolute = true;
                }
            }
            _ => label.push(b),
        }
        i += 1;
    }
    if !label.is_empty() {
        push_label(&mut wire, &label, text)?;
    }
    if absolute {
        wire.push(0);
    } else {
        wire.extend_from_slice(origin);
    }
    if wire.len() > 255 {
        return Err(format!(
            "'{text}' is too long: {} octets in wire format, at most 255 allowed",
            wire.len()
        ));
    }
    Ok(wire)
}

fn push_label(wire: &mut Vec<u8>, label: &[u8], text: &str) -> Result<(), String> {
    if label.len() > 63 {
        return Err(format!(
            "'{text}' has a label of {} octets; at most 63 allowed",
            label.len()
        ));
    }
    wire.push(label.len() as u8);
    wire.extend_from_slice(label);
    Ok(())
}

/// Decodes the escape starting at `bytes[i] == b'\\'`: the byte and how many input bytes it used.
pub(crate) fn unescape_at(bytes: &[u8], i: usize) -> Result<(u8, usize), String> {
    match bytes.get(i + 1) {
        None => Err("incomplete escape at the end".into()),
        Some(d) if d.is_ascii_digit() => {
            let digits = bytes
                .get(i + 1..i + 4)
                .filter(|d| d.iter().all(u8::is_ascii_digit));
            let Some(digits) = digits else {
                return Err("a decimal escape needs three digits (\\DDD)".into());
            };
            let value = digits
                .iter()
                .fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
            let byte = u8::try_from(value)
                .map_err(|_| format!("decimal escape \\{value} is above 255"))?;
            Ok((byte, 4))
        }
        Some(&c) => Ok((c, 2)),
    }
}

/// Unescapes a character-string token (`\X`, `\DDD`) into bytes.
pub(crate) fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            let (b, used) = unescape_at(bytes, i)?;
            out.push(b);
            i += used;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// The labels of a wire-format name (no compression), or `None` if it is malformed.
pub(crate) fn labels(wire: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let len = usize::from(*wire.get(i)?);
        if len == 0 {
            return (i + 1 == wire.len()).then_some(out);
        }
        if len > 63 {
            return None;
        }
        out.push(wire.get(i + 1..i + 1 + len)?);
        i += 1 + len;
    }
}

/// Presentation form of a wire-format name (`.` for the root), for messages.
pub(crate) fn to_text(wire: &[u8]) -> String {
    let Some(labels) = labels(wire) else {
        return format!("<malformed name {wire:02x?}>");
    };
    if labels.is_empty() {
        return ".".into();
    }
    let mut s = String::new();
    for label in labels {
        for &b in label {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    s.push('\\');
                    s.push(char::from(b));
                }
                0x21..=0x7e => s.push(char::from(b)),
                _ => s.push_str(&format!("\\{b:03}")),
            }
        }
        s.push('.');
    }
    s
}

/// Whether `name` is `apex` or below it (case-insensitive, wire format).
pub(crate) fn is_at_or_below(name: &[u8], apex: &[u8]) -> bool {
    let (Some(n), Some(a)) = (labels(name), labels(apex)) else {
        return false;
    };
    n.len() >= a.len()
        && n[n.len() - a.len()..]
            .iter()
            .zip(&a)
            .all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// Whether two wire-format names are equal, ignoring ASCII case.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &[u8] = b"\x07example\x04test\x00";

    #[test]
    fn relative_absolute_and_case() {
        assert_eq!(
            parse("WwW", ORIGIN).unwrap(),
            b"\x03WwW\x07example\x04test\x00"
        );
        assert_eq!(parse("a.B.", ORIGIN).unwrap(), b"\x01a\x01B\x00");
        assert_eq!(parse("@", ORIGIN).unwrap(), ORIGIN);
        assert_eq!(parse(".", ORIGIN).unwrap(), b"\x00");
        assert_eq!(
            parse("*.dyn", ORIGIN).unwrap(),
            b"\x01*\x03dyn\x07example\x04test\x00"
        );
        assert_eq!(parse("_sip._tcp", ORIGIN).unwrap()[..5], *b"\x04_sip");
    }

    #[test]
    fn escapes() {
        assert_eq!(parse("a\\.b.", ORIGIN).unwrap(), b"\x03a.b\x00");
        assert_eq!(parse("\\065\\032x.", ORIGIN).unwrap(), b"\x03A x\x00");
        assert!(parse("\\256.", ORIGIN).is_err());
        assert!(parse("\\12.", ORIGIN).is_err());
    }

    #[test]
    fn limits() {
        assert!(parse("a..b.", ORIGIN).is_err());
        assert!(parse(".a.", ORIGIN).is_err());
        let long = "x".repeat(64);
        assert!(
            parse(&format!("{long}."), ORIGIN)
                .unwrap_err()
                .contains("63")
        );
        let many = "abcdefghi.".repeat(26);
        assert!(parse(&many, ORIGIN).unwrap_err().contains("255"));
    }

    #[test]
    fn text_and_relations() {
        let w = parse("A\\.b.Example.TEST.", ORIGIN).unwrap();
        assert_eq!(to_text(&w), "A\\.b.Example.TEST.");
        assert!(is_at_or_below(&w, ORIGIN));
        assert!(is_at_or_below(ORIGIN, ORIGIN));
        assert!(!is_at_or_below(b"\x04test\x00", ORIGIN));
        assert!(!is_at_or_below(b"\x08xexample\x04test\x00", ORIGIN));
        assert_eq!(to_text(b"\x00"), ".");
    }
}
