//! Newtypes for Xen handles, so a grant reference cannot be passed where a port is expected.

use core::fmt;

/// A domain id (`domid_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomId(pub u16);

impl DomId {
    /// Dom0, where the backends usually live.
    pub const DOM0: DomId = DomId(0);
    /// `DOMID_SELF`.
    pub const SELF: DomId = DomId(crate::abi::xen::DOMID_SELF);

    /// A domain id read from xenstore or a ring, if it names a real domain (< `DOMID_FIRST_RESERVED`).
    pub fn new(id: u32) -> Option<DomId> {
        u16::try_from(id)
            .ok()
            .filter(|&id| id < crate::abi::xen::DOMID_FIRST_RESERVED)
            .map(DomId)
    }
}

impl fmt::Display for DomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An event channel port (`evtchn_port_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventChannelPort(pub u32);

impl EventChannelPort {
    /// A port read from xenstore or an HVM parameter, if it fits the 2-level ABI (port 0 is
    /// never valid).
    pub fn new(port: u64) -> Option<EventChannelPort> {
        u32::try_from(port)
            .ok()
            .filter(|&p| p != 0 && (p as usize) < crate::abi::event_channel::EVTCHN_2L_NR_CHANNELS)
            .map(EventChannelPort)
    }
}

impl fmt::Display for EventChannelPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A grant reference (`grant_ref_t`): an index into our grant table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GrantRef(pub u32);

impl fmt::Display for GrantRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A guest frame number (guest-physical address >> 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gfn(pub u64);

impl Gfn {
    /// The frame holding the page-aligned guest-physical `address`, if it is page-aligned.
    pub fn from_address(address: u64) -> Option<Gfn> {
        address.is_multiple_of(4096).then_some(Gfn(address >> 12))
    }

    /// The frame's guest-physical address.
    pub fn address(self) -> u64 {
        self.0 << 12
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_constructors() {
        assert_eq!(DomId::new(0), Some(DomId(0)));
        assert_eq!(DomId::new(0x7ff0), None);
        assert_eq!(DomId::new(1 << 20), None);
        assert_eq!(EventChannelPort::new(0), None);
        assert_eq!(EventChannelPort::new(3), Some(EventChannelPort(3)));
        assert_eq!(EventChannelPort::new(4096), None);
        assert_eq!(Gfn::from_address(0x1234), None);
        assert_eq!(
            Gfn::from_address(0xfeffc000).map(Gfn::address),
            Some(0xfeffc000)
        );
    }

    #[test]
    fn decimal_numbers() {
        assert_eq!(decimal(b"0"), Some(0));
        assert_eq!(decimal(b"0042"), Some(42));
        assert_eq!(decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(decimal(b"18446744073709551616"), None);
        for bad in [&b""[..], b"+1", b"-1", b" 1", b"1 ", b"1a", b"\xd9\xa4"] {
            assert_eq!(decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn truncated_keeps_whole_characters() {
        assert_eq!(truncated("abcdef", 3), "abc");
        assert_eq!(truncated("ab", 3), "ab");
        assert_eq!(truncated("éüx", 2), "éü");
    }

    #[test]
    fn quoted_escapes_quotes_backslashes_and_non_printable_bytes() {
        assert_eq!(alloc::format!("{}", Quoted("eth0")), "\"eth0\"");
        assert_eq!(alloc::format!("{}", Quoted("a\"b\\c")), "\"a\\\"b\\\\c\"");
        assert_eq!(
            alloc::format!("{}", Quoted("x\ny\u{1b}")),
            "\"x\\x0ay\\x1b\""
        );
        assert_eq!(alloc::format!("{}", Quoted("é")), "\"\\xc3\\xa9\"");
    }
}

/// A plain decimal number: ASCII digits only (no sign, no spaces), at least one, no overflow.
/// (Smaller in the image than `str::parse`, and stricter: `u64::from_str` takes a `+`.)
pub fn decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &digit| {
        let digit = char::from(digit).to_digit(10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The first `max_chars` characters of `text`, to keep error messages short even for a hostile
/// megabyte of garbage. (A prefix copied as one slice, not collected char by char: smaller code.)
pub fn truncated(text: &str, max_chars: usize) -> alloc::string::String {
    let end = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(at, _)| at);
    alloc::string::String::from(text.get(..end).unwrap_or(text))
}

/// A string from xenstore (untrusted), shown in double quotes with `"`, `\` and every byte
/// outside printable ASCII escaped (`\"`, `\\`, `\xNN`), so that an error message cannot carry
/// control characters to the console. Like `{:?}` on a `str` for the usual values, without the
/// Unicode tables that `{:?}` pulls into the image.
#[derive(Clone, Copy, Debug)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        f.write_char('"')?;
        for &byte in self.0.as_bytes() {
            match byte {
                b'"' | b'\\' => {
                    f.write_char('\\')?;
                    f.write_char(char::from(byte))?;
                }
                b' '..=b'~' => f.write_char(char::from(byte))?,
                _ => {
                    f.write_str("\\x")?;
                    f.write_char(char::from(HEX[usize::from(byte >> 4)]))?;
                    f.write_char(char::from(HEX[usize::from(byte & 15)]))?;
                }
            }
        }
        f.write_char('"')
    }
}
