//! Domain names in uncompressed wire form (RFC 1035 §3.1): validation, case-insensitive
//! comparison, DNSSEC canonical order (RFC 4034 §6.1) and presentation text for messages.
//!
//! Every function here takes a name that starts at index 0 of its slice. The comparison
//! helpers expect a name that [`wire_len`] accepted; given anything else they return a
//! harmless answer (never a panic). Case-insensitivity is ASCII only (RFC 4343): label
//! length octets are at most 63, below `b'A'`, so a whole wire name can be compared with
//! `eq_ignore_ascii_case`.

use alloc::string::String;
use core::cmp::Ordering;
use core::fmt::{self, Write};

/// The longest name in wire form, root label included (RFC 1035 §3.1).
pub const MAX_LEN: usize = 255;
/// The longest label (RFC 1035 §3.1).
pub const MAX_LABEL: usize = 63;
/// At most 127 labels fit in 255 octets (plus the root).
const MAX_LABELS: usize = 127;

/// The wire length of the uncompressed name at the start of `bytes`, or `None` when it is not
/// one: a label longer than 63 octets (or a compression pointer), a name longer than 255
/// octets, or no root label before the end.
pub fn wire_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    loop {
        let len = usize::from(*bytes.get(pos)?);
        if len > MAX_LABEL {
            return None;
        }
        pos += 1 + len;
        if pos > MAX_LEN {
            return None;
        }
        if len == 0 {
            return Some(pos);
        }
    }
}

/// Whether `bytes` is exactly one valid uncompressed name.
pub fn is_valid(bytes: &[u8]) -> bool {
    wire_len(bytes) == Some(bytes.len())
}

/// The start offsets of a name's labels, left to right (the root label is not counted).
#[derive(Clone, Copy, Debug)]
pub struct Labels {
    starts: [u8; MAX_LABELS],
    count: usize,
}

impl Labels {
    /// Splits `name` into labels; stops quietly at anything malformed.
    pub fn of(name: &[u8]) -> Labels {
        let mut labels = Labels {
            starts: [0; MAX_LABELS],
            count: 0,
        };
        let mut pos = 0usize;
        while let Some(&len) = name.get(pos) {
            if len == 0
                || usize::from(len) > MAX_LABEL
                || labels.count == MAX_LABELS
                || pos > MAX_LEN
            {
                break;
            }
            labels.starts[labels.count] = pos as u8;
            labels.count += 1;
            pos += 1 + usize::from(len);
        }
        labels
    }

    /// The number of labels (0 for the root).
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the name is the root.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The offset where label `index` starts (its length octet), or the end for the root.
    pub fn start(&self, index: usize) -> usize {
        match self.starts.get(..self.count).and_then(|s| s.get(index)) {
            Some(&start) => usize::from(start),
            None => usize::MAX,
        }
    }
}

/// The text of label `index` of `name` (without its length octet).
fn label_at<'a>(name: &'a [u8], labels: &Labels, index: usize) -> &'a [u8] {
    let start = labels.start(index);
    let len = name.get(start).map_or(0, |&l| usize::from(l));
    name.get(start.saturating_add(1)..start.saturating_add(1 + len))
        .unwrap_or(&[])
}

/// Case-insensitive equality of two names.
#[inline]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// DNSSEC canonical order (RFC 4034 §6.1): labels compared right to left, each as a
/// lowercased octet string where a shorter label that is a prefix of a longer one sorts first.
/// A zone's apex therefore sorts before every name below it, and every name is immediately
/// followed by its descendants.
pub fn cmp_canonical(a: &[u8], b: &[u8]) -> Ordering {
    let (la, lb) = (Labels::of(a), Labels::of(b));
    let (mut i, mut j) = (la.len(), lb.len());
    while i > 0 && j > 0 {
        i -= 1;
        j -= 1;
        let (x, y) = (label_at(a, &la, i), label_at(b, &lb, j));
        let order = x
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(y.iter().map(u8::to_ascii_lowercase));
        if order != Ordering::Equal {
            return order;
        }
    }
    la.len().cmp(&lb.len())
}

/// Whether `name` is `zone` or below it (case-insensitive).
#[inline]
pub fn is_within(name: &[u8], zone: &[u8]) -> bool {
    let Some(offset) = name.len().checked_sub(zone.len()) else {
        return false;
    };
    if !name.get(offset..).is_some_and(|tail| eq(tail, zone)) {
        return false;
    }
    let mut pos = 0usize;
    while pos < offset {
        match name.get(pos) {
            Some(&len) if len != 0 => pos += 1 + usize::from(len),
            _ => return false,
        }
    }
    pos == offset
}

/// Whether `name` is strictly below `zone`.
#[inline]
pub fn is_below(name: &[u8], zone: &[u8]) -> bool {
    name.len() > zone.len() && is_within(name, zone)
}

/// The number of labels (0 for the root).
pub fn label_count(name: &[u8]) -> usize {
    Labels::of(name).len()
}

/// The name without its first label (`None` for the root).
pub fn parent(name: &[u8]) -> Option<&[u8]> {
    let len = usize::from(*name.first()?);
    if len == 0 {
        return None;
    }
    name.get(1 + len..)
}

/// Whether the first label is `*` (RFC 4592 §2.1.1).
pub fn is_wildcard(name: &[u8]) -> bool {
    name.starts_with(&[1, b'*'])
}

/// Writes the name in presentation form (RFC 1035 §5.1), for messages and logs: `www.example.`,
/// `.` for the root; dots and backslashes inside labels escaped, other unprintable octets as
/// `\DDD`.
///
/// Generic, so that the code that grows a `String` is compiled in the caller's crate (see
/// "Code size" in the crate docs).
pub fn write_text<W: Write>(name: &[u8], out: &mut W) -> fmt::Result {
    let labels = Labels::of(name);
    if labels.is_empty() {
        return out.write_char('.');
    }
    for index in 0..labels.len() {
        for &octet in label_at(name, &labels, index) {
            if octet == b'.' || octet == b'\\' {
                out.write_char('\\')?;
                out.write_char(char::from(octet))?;
            } else if octet.is_ascii_graphic() {
                out.write_char(char::from(octet))?;
            } else {
                write!(out, "\\{octet:03}")?;
            }
        }
        out.write_char('.')?;
    }
    Ok(())
}

/// The name in presentation form ([`write_text`]) as a `String`. (`#[inline]`: see "Code size"
/// in the crate docs.)
#[inline]
pub fn to_text(name: &[u8]) -> String {
    let mut text = String::new();
    let _ = write_text(name, &mut text);
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// `"www.Example."` → wire form.
    pub(crate) fn wire(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for label in text.split('.').filter(|l| !l.is_empty()) {
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
        out.push(0);
        out
    }

    #[test]
    fn validates_wire_names() {
        assert_eq!(wire_len(&[0]), Some(1));
        assert_eq!(wire_len(b"\x03www\x07example\x00trailing"), Some(13));
        assert_eq!(wire_len(b"\x03ww"), None);
        assert_eq!(wire_len(b""), None);
        assert_eq!(wire_len(b"\xc0\x0c"), None, "pointers are not allowed");
        assert_eq!(wire_len(b"\x40aaaa"), None);
        let mut long = Vec::new();
        for _ in 0..4 {
            long.push(63);
            long.extend_from_slice(&[b'a'; 63]);
        }
        long.push(0); // 4 * 64 + 1 = 257 octets
        assert_eq!(wire_len(&long), None);
        let mut max = Vec::new();
        for _ in 0..3 {
            max.push(63);
            max.extend_from_slice(&[b'a'; 63]);
        }
        max.push(61);
        max.extend_from_slice(&[b'a'; 61]);
        max.push(0);
        assert_eq!(max.len(), 255);
        assert!(is_valid(&max));
        let many: Vec<u8> = core::iter::repeat_n([1u8, b'a'], 127)
            .flatten()
            .chain([0])
            .collect();
        assert_eq!(many.len(), 255);
        assert_eq!(label_count(&many), 127);
    }

    #[test]
    fn canonical_order_follows_rfc4034() {
        // The example list of RFC 4034 §6.1, in order.
        let names = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\u{1}.z.example.",
            "*.z.example.",
            "\u{80}.z.example.",
        ];
        let wires: Vec<Vec<u8>> = names
            .iter()
            .map(|n| {
                let mut w = wire(n);
                // "\u{80}" is two UTF-8 octets; make it the single octet 0x80.
                if n.starts_with('\u{80}') {
                    w = [&[1u8, 0x80][..], &wire("z.example.")].concat();
                }
                w
            })
            .collect();
        for pair in wires.windows(2) {
            assert_eq!(
                cmp_canonical(&pair[0], &pair[1]),
                Ordering::Less,
                "{:?}",
                pair
            );
        }
        assert_eq!(
            cmp_canonical(&wire("A.example."), &wire("a.EXAMPLE.")),
            Ordering::Equal
        );
    }

    #[test]
    fn ancestry() {
        let zone = wire("example.");
        assert!(is_within(&wire("www.Example."), &zone));
        assert!(is_within(&zone, &zone));
        assert!(!is_below(&zone, &zone));
        assert!(!is_within(&wire("wwwexample."), &zone));
        assert!(!is_within(&wire("x\u{7}example."), &zone));
        assert!(is_within(&wire("a.b."), &[0]));
        assert_eq!(parent(&wire("a.b.")), Some(&wire("b.")[..]));
        assert_eq!(parent(&[0]), None);
        assert!(is_wildcard(&wire("*.b.")));
    }

    #[test]
    fn presentation() {
        assert_eq!(to_text(&[0]), ".");
        assert_eq!(to_text(&wire("www.Example.")), "www.Example.");
        assert_eq!(to_text(b"\x03a.b\x02\\\x01\x00"), "a\\.b.\\\\\\001.");
    }
}
