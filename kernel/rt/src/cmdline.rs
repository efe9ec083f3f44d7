//! The guest command line: `key=value` words and bare flags.
//!
//! Set with `extra=` in an xl config or `-append` under QEMU. Words are separated by spaces;
//! a value may be double-quoted to hold spaces (`motd="hello world"`). Words the kernel and app
//! do not know are reported by the app that reads them, not ignored silently.

/// A parsed view of the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cmdline<'a> {
    text: &'a str,
}

/// One word of the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    /// The part before `=` (the whole word for a flag).
    pub key: &'a str,
    /// The part after `=`, without surrounding quotes; `None` for a flag.
    pub value: Option<&'a str>,
}

impl<'a> Cmdline<'a> {
    /// Wraps the raw command line.
    pub const fn new(text: &'a str) -> Self {
        Self { text }
    }

    /// The raw text.
    pub const fn as_str(&self) -> &'a str {
        self.text
    }

    /// The words, in order.
    pub fn words(&self) -> Words<'a> {
        Words { rest: self.text }
    }

    /// The value of the last `key=value` word for `key` (later words override earlier ones).
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.words()
            .filter(|w| w.key == key)
            .filter_map(|w| w.value)
            .last()
    }

    /// Whether `key` appears, as a flag or with a value.
    pub fn has(&self, key: &str) -> bool {
        self.words().any(|w| w.key == key)
    }
}

/// Iterator over [`Word`]s.
#[derive(Clone, Debug)]
pub struct Words<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Words<'a> {
    type Item = Word<'a>;

    fn next(&mut self) -> Option<Word<'a>> {
        // Bytes, not chars: the separators and quotes are ASCII, and an ASCII byte is never
        // part of a multi-byte character, so every position found is a char boundary. (The
        // char-based version was twice the code.)
        let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
        let start = self.rest.bytes().position(|b| !space(&b));
        let text = start.and_then(|start| self.rest.get(start..)).unwrap_or("");
        if text.is_empty() {
            self.rest = text;
            return None;
        }
        // A word ends at unquoted white space.
        let mut in_quotes = false;
        let end = text
            .bytes()
            .position(|b| {
                if b == b'"' {
                    in_quotes = !in_quotes;
                }
                !in_quotes && space(&b)
            })
            .unwrap_or(text.len());
        let (word, rest) = text.split_at_checked(end).unwrap_or((text, ""));
        self.rest = rest;
        Some(match word.split_once('=') {
            Some((key, value)) => {
                let value = value
                    .strip_prefix('"')
                    .map_or(value, |v| v.strip_suffix('"').unwrap_or(v));
                Word {
                    key,
                    value: Some(value),
                }
            }
            None => Word {
                key: word,
                value: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_values_flags_and_quotes() {
        let c = Cmdline::new("  console=hvc0 fault=panic  verbose motd=\"a b\" ip=1 ip=2\n");
        assert_eq!(c.get("console"), Some("hvc0"));
        assert_eq!(c.get("motd"), Some("a b"));
        assert_eq!(c.get("ip"), Some("2"));
        assert!(c.has("verbose"));
        assert_eq!(c.get("verbose"), None);
        assert_eq!(c.words().count(), 6);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in ["", "=", "==", "\"", "a=\"", "a=\"b", "é=ü \"x y\"", "\u{0}"] {
            let c = Cmdline::new(text);
            let _ = c.words().count();
            let _ = c.get("a");
        }
        assert_eq!(Cmdline::new("a=\"b").get("a"), Some("b"));
        assert_eq!(Cmdline::new("=x").get(""), Some("x"));
    }
}
