//! Splits an RFC 1035 master file (section 5.1) into entries: one directive or one record, with
//! parentheses joining lines, `;` comments removed and `"quoted strings"` kept as one token.
//! Every token remembers its line, so that later stages can point at it.

/// One item of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// The text as written, escapes (`\X`, `\DDD`) kept; without the quotes of a quoted string.
    pub(crate) text: String,
    /// Whether it was a `"quoted string"`.
    pub(crate) quoted: bool,
    /// The 1-based line where the token starts.
    pub(crate) line: usize,
}

/// One logical line: a directive or a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The line where the entry starts.
    pub(crate) line: usize,
    /// The entry's first line starts with a blank: the owner is the previous record's.
    pub(crate) blank_start: bool,
    pub(crate) tokens: Vec<Token>,
}

/// A syntax error that stops the lexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// The entries of `text`, or the first structural error (an unbalanced parenthesis, an
/// unterminated quoted string, a control character).
pub(crate) fn entries(text: &str) -> Result<Vec<Entry>, LexError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    // Depth of parentheses, and the line of the outermost open one.
    let mut depth = 0usize;
    let mut open_line = 0;
    let mut entry = Entry {
        line: 1,
        blank_start: matches!(chars.peek(), Some(' ' | '\t')),
        tokens: Vec::new(),
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                if depth == 0 {
                    if !entry.tokens.is_empty() {
                        out.push(core::mem::replace(
                            &mut entry,
                            Entry {
                                line,
                                blank_start: false,
                                tokens: Vec::new(),
                            },
                        ));
                    }
                    entry.line = line;
                    entry.blank_start = matches!(chars.peek(), Some(' ' | '\t'));
                }
            }
            ' ' | '\t' | '\r' => {}
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '(' => {
                if depth == 0 {
                    open_line = line;
                }
                depth += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err(LexError {
                        line,
                        message: "')' without a matching '('".into(),
                    });
                }
                depth -= 1;
            }
            '"' => {
                let start = line;
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(LexError {
                                line: start,
                                message: "unterminated quoted string (no closing '\"')".into(),
                            });
                        }
                        Some('"') => break,
                        Some('\\') => {
                            s.push('\\');
                            match chars.next() {
                                Some(e) => {
                                    if e == '\n' {
                                        line += 1;
                                    }
                                    s.push(e);
                                }
                                None => {
                                    return Err(LexError {
                                        line: start,
                                        message: "unterminated quoted string (no closing '\"')"
                                            .into(),
                                    });
                                }
                            }
                        }
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            s.push(c);
                        }
                    }
                }
                entry.tokens.push(Token {
                    text: s,
                    quoted: true,
                    line: start,
                });
            }
            c if c.is_control() => {
                return Err(LexError {
                    line,
                    message: format!("control character U+{:04X} in the file", c as u32),
                });
            }
            c => {
                let mut s = String::new();
                s.push(c);
                let mut escaped = c == '\\';
                while let Some(&n) = chars.peek() {
                    if escaped {
                        if n == '\n' || n == '\r' {
                            break;
                        }
                        s.push(n);
                        chars.next();
                        escaped = false;
                        continue;
                    }
                    if n.is_whitespace() || matches!(n, '(' | ')' | ';' | '"') || n.is_control() {
                        break;
                    }
                    escaped = n == '\\';
                    s.push(n);
                    chars.next();
                }
                if escaped {
                    return Err(LexError {
                        line,
                        message: format!("'{s}' ends with an incomplete escape ('\\')"),
                    });
                }
                entry.tokens.push(Token {
                    text: s,
                    quoted: false,
                    line,
                });
            }
        }
    }
    if depth > 0 {
        return Err(LexError {
            line: open_line,
            message: "'(' is never closed (missing ')')".into(),
        });
    }
    if !entry.tokens.is_empty() {
        out.push(entry);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(e: &Entry) -> Vec<&str> {
        e.tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn splits_entries_and_joins_parentheses() {
        let z =
            "$TTL 1h ; comment\n\n@ IN SOA ns1 host (\n 1 ; serial\n 2 3 4\n 5 )\n  A 1.2.3.4\n";
        let e = entries(z).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(texts(&e[0]), ["$TTL", "1h"]);
        assert_eq!(e[0].line, 1);
        assert!(!e[0].blank_start);
        assert_eq!(
            texts(&e[1]),
            ["@", "IN", "SOA", "ns1", "host", "1", "2", "3", "4", "5"]
        );
        assert_eq!(e[1].line, 3);
        assert_eq!(e[1].tokens[5].line, 4);
        assert_eq!(texts(&e[2]), ["A", "1.2.3.4"]);
        assert!(e[2].blank_start);
        assert_eq!(e[2].line, 7);
    }

    #[test]
    fn quoted_strings_and_escapes() {
        let e = entries("t TXT \"a b;c\" \"x\\\"y\" a\\ b\\;c (\"in parens\")").unwrap();
        assert_eq!(
            texts(&e[0]),
            ["t", "TXT", "a b;c", "x\\\"y", "a\\ b\\;c", "in parens"]
        );
        assert!(e[0].tokens[2].quoted);
        assert!(!e[0].tokens[4].quoted);
    }

    #[test]
    fn no_final_newline_and_crlf() {
        let e = entries("a A 1.2.3.4\r\nb A 1.2.3.5").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].line, 2);
        assert_eq!(texts(&e[1]), ["b", "A", "1.2.3.5"]);
    }

    #[test]
    fn structural_errors_have_lines() {
        let err = entries("a A 1.2.3.4\nb SOA (\n1 2\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("never closed"), "{}", err.message);
        let err = entries("a A 1.2.3.4\n\nb A 1.2.3.4 )\n").unwrap_err();
        assert_eq!(err.line, 3);
        let err = entries("a A 1.2.3.4\nb TXT \"abc\n\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unterminated"), "{}", err.message);
    }
}
