//! The HTTP/1.1 request head parser (RFC 9112 §2–§7, RFC 9110): request line, header fields,
//! the framing of a body, and the request target decoded into a path.
//!
//! The parser works on the octets received so far and says whether the head is complete; it
//! never panics and never allocates more than the decoded path. It is strict where leniency
//! opens request smuggling or cache poisoning (RFC 9112 §6.3, §11.2): whitespace before a
//! colon, obsolete line folding, `Content-Length` with `Transfer-Encoding`, disagreeing
//! `Content-Length`s, a `Transfer-Encoding` that does not end in `chunked`, several `Host`s,
//! and an HTTP/1.1 request without `Host` are all 400. It is lenient where RFC 9112 allows it:
//! empty lines before the request line are skipped and a bare LF ends a line.

use alloc::vec::Vec;

/// Limits on a request head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request head (request line and header fields), in octets.
    pub max_head: usize,
    /// The most header fields.
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 8 * 1024,
            max_headers: 100,
        }
    }
}

/// The request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method<'a> {
    /// `GET`.
    Get,
    /// `HEAD`.
    Head,
    /// Any other method (a valid token).
    Other(&'a str),
}

/// The protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0: the connection closes after the response unless the client asks otherwise.
    Http10,
    /// HTTP/1.1: the connection persists unless the client says `Connection: close`.
    Http11,
}

/// The request's body, as announced by its framing headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No body (no `Content-Length`, or `Content-Length: 0`).
    None,
    /// `Content-Length: n` with n > 0.
    Length(u64),
    /// `Transfer-Encoding: ... chunked`.
    Chunked,
}

/// A parsed request head. Borrowed parts point into the receive buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The request target exactly as sent (e.g. `/a%20b?x=1`).
    pub target: &'a str,
    /// The path as sent, still percent-encoded (`/a%20b`), without the query.
    pub raw_path: &'a str,
    /// The path, percent-decoded (`/a b`); the query is not part of it.
    pub path: Vec<u8>,
    /// The query (after `?`, without it), ignored when serving files.
    pub query: Option<&'a str>,
    /// The version.
    pub version: Version,
    /// The `Host` field (or the authority of an absolute-form target).
    pub host: Option<&'a str>,
    /// Every `If-None-Match` field, joined by commas.
    pub if_none_match: Option<Vec<u8>>,
    /// The body's framing.
    pub body: Body,
    /// Whether the connection persists after the response (version and `Connection`).
    pub keep_alive: bool,
}

/// Why a request head is refused; each maps to a status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Malformed syntax (400), with what was wrong.
    BadRequest(&'static str),
    /// The request line alone is longer than the head limit (414).
    UriTooLong,
    /// The head is longer than the limit, or has too many fields (431).
    HeadTooLarge,
    /// An HTTP version other than 1.0 and 1.1 (505).
    Version,
}

impl RequestError {
    /// The status code for the error response.
    pub fn status(self) -> u16 {
        match self {
            RequestError::BadRequest(_) => 400,
            RequestError::UriTooLong => 414,
            RequestError::HeadTooLarge => 431,
            RequestError::Version => 505,
        }
    }
}

/// What the octets received so far hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// Nothing yet but empty lines, or an incomplete head: read more.
    Incomplete,
    /// A complete head, `len` octets long (empty lines before it included).
    Complete {
        /// The request.
        request: Request<'a>,
        /// Octets the head took; a pipelined request (or a body) follows.
        len: usize,
    },
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Strips optional whitespace (SP, HTAB) at both ends.
fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The comma-separated elements of a list field, trimmed, empty ones skipped.
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Where the head ends: the index just past the empty line, if it has arrived.
fn head_end(buffer: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(offset) = buffer[i..].iter().position(|&b| b == b'\n') {
        let newline = i + offset;
        match buffer.get(newline + 1) {
            Some(b'\n') => return Some(newline + 2),
            Some(b'\r') if buffer.get(newline + 2) == Some(&b'\n') => return Some(newline + 3),
            _ => i = newline + 1,
        }
    }
    None
}

/// Splits the head into lines without their terminators (CRLF or LF).
fn lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Valid `Host` characters: reg-name, IP literals and a port (RFC 3986 §3.2.2).
fn valid_host(host: &[u8]) -> bool {
    host.iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes a path and refuses what must never reach a file lookup: a bad escape,
/// NUL, and `.` or `..` segments (encoded or not).
pub fn decode_path(raw: &str) -> Result<Vec<u8>, RequestError> {
    let bytes = raw.as_bytes();
    let mut path = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = bytes.get(i + 1).copied().and_then(hex_value);
            let low = bytes.get(i + 2).copied().and_then(hex_value);
            match (high, low) {
                (Some(high), Some(low)) => path.push(high << 4 | low),
                _ => return Err(RequestError::BadRequest("bad %-escape in the path")),
            }
            i += 3;
        } else {
            path.push(bytes[i]);
            i += 1;
        }
    }
    if path.contains(&0) {
        return Err(RequestError::BadRequest("NUL in the path"));
    }
    if path
        .split(|&b| b == b'/')
        .any(|segment| segment == b"." || segment == b"..")
    {
        return Err(RequestError::BadRequest("'.' or '..' in the path"));
    }
    Ok(path)
}

/// Splits a request target into (authority, path, query): origin-form `/p?q`,
/// absolute-form `http://host/p?q` (RFC 9112 §3.2.1–§3.2.2); other forms are refused.
fn split_target(target: &str) -> Result<(Option<&str>, &str, Option<&str>), RequestError> {
    let (authority, rest) = if target.starts_with('/') {
        (None, target)
    } else {
        let lower_scheme = target
            .split_once("://")
            .filter(|(scheme, _)| {
                scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
            })
            .ok_or(RequestError::BadRequest(
                "the request target is neither /path nor http://host/path",
            ))?;
        let after = lower_scheme.1;
        let slash = after.find(['/', '?']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(slash);
        if authority.is_empty() || authority.contains('@') {
            return Err(RequestError::BadRequest(
                "bad authority in the request target",
            ));
        }
        (Some(authority), if rest.is_empty() { "/" } else { rest })
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    // `http://host?q` has an empty path: it means `/`.
    let path = if path.is_empty() { "/" } else { path };
    Ok((authority, path, query))
}

/// Parses the request head at the start of `buffer`.
pub fn parse<'a>(buffer: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, RequestError> {
    // Empty lines before the request line are skipped (RFC 9112 §2.2).
    let skip = buffer
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buffer.len());
    let start = &buffer[skip..];
    let Some(end) = head_end(start) else {
        // Garbage is refused as soon as it shows, not when the head limit or a timeout is
        // reached: a complete request line is checked at once, and so is the method so far.
        match start.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                let line = &start[..newline];
                let (_, target, _) = parse_request_line(line.strip_suffix(b"\r").unwrap_or(line))?;
                let (_, raw_path, _) = split_target(target)?;
                decode_path(raw_path)?;
            }
            None => {
                let method = start.split(|&b| b == b' ').next().unwrap_or_default();
                if !method.iter().all(|&b| is_tchar(b)) {
                    return Err(RequestError::BadRequest("a bad method"));
                }
            }
        }
        if start.len() >= limits.max_head {
            return Err(if start.contains(&b'\n') {
                RequestError::HeadTooLarge
            } else {
                RequestError::UriTooLong
            });
        }
        return Ok(Parsed::Incomplete);
    };
    if end > limits.max_head {
        return Err(RequestError::HeadTooLarge);
    }
    let mut lines = lines(&start[..end]);
    let request_line = lines.next().unwrap_or_default();
    let (method, target, version) = parse_request_line(request_line)?;
    let (authority, raw_path, query) = split_target(target)?;
    let path = decode_path(raw_path)?;

    let mut fields = 0;
    let mut host: Option<&str> = None;
    let mut host_seen = false;
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding: Option<&[u8]> = None;
    let mut transfer_encoding_count = 0;
    let mut if_none_match: Option<Vec<u8>> = None;
    let (mut close, mut keep_alive_token) = (false, false);
    for line in lines {
        if line.is_empty() {
            break;
        }
        fields += 1;
        if fields > limits.max_headers {
            return Err(RequestError::HeadTooLarge);
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return Err(RequestError::BadRequest("obsolete line folding"));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(RequestError::BadRequest("a header line without ':'"))?;
        let (name, value) = (&line[..colon], trim_ows(&line[colon + 1..]));
        if !is_token(name) {
            return Err(RequestError::BadRequest("a bad header field name"));
        }
        if value
            .iter()
            .any(|&b| (b.is_ascii_control() && b != b'\t') || b == 0x7f)
        {
            return Err(RequestError::BadRequest(
                "a control character in a header value",
            ));
        }
        if name.eq_ignore_ascii_case(b"host") {
            if host_seen {
                return Err(RequestError::BadRequest("more than one Host field"));
            }
            host_seen = true;
            if !valid_host(value) {
                return Err(RequestError::BadRequest("a bad Host field"));
            }
            // Checked above: ASCII.
            host = core::str::from_utf8(value).ok();
        } else if name.eq_ignore_ascii_case(b"content-length") {
            // A list of equal values is allowed (RFC 9110 §8.6); anything else is an error.
            for element in value.split(|&b| b == b',').map(trim_ows) {
                let n = parse_length(element)?;
                if content_length.is_some_and(|known| known != n) {
                    return Err(RequestError::BadRequest("Content-Length values disagree"));
                }
                content_length = Some(n);
            }
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding_count += 1;
            transfer_encoding = Some(value);
        } else if name.eq_ignore_ascii_case(b"connection") {
            for option in list(value) {
                close |= option.eq_ignore_ascii_case(b"close");
                keep_alive_token |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case(b"if-none-match") {
            let joined = if_none_match.get_or_insert_with(Vec::new);
            if !joined.is_empty() {
                joined.push(b',');
            }
            joined.extend_from_slice(value);
        }
    }

    let body = if transfer_encoding_count > 0 {
        if content_length.is_some() {
            return Err(RequestError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        if version == Version::Http10 {
            return Err(RequestError::BadRequest("Transfer-Encoding in HTTP/1.0"));
        }
        // With several fields only the last is checked for `chunked`; all must be ours to
        // read, and we read none: that is enough to frame (and refuse) the request.
        let last = transfer_encoding.and_then(|v| list(v).last());
        if !last.is_some_and(|coding| coding.eq_ignore_ascii_case(b"chunked")) {
            return Err(RequestError::BadRequest(
                "a Transfer-Encoding that does not end in chunked",
            ));
        }
        Body::Chunked
    } else {
        match content_length {
            None | Some(0) => Body::None,
            Some(n) => Body::Length(n),
        }
    };
    if version == Version::Http11 && !host_seen {
        return Err(RequestError::BadRequest("an HTTP/1.1 request without Host"));
    }
    // An absolute-form target's authority wins over Host (RFC 9112 §3.2.2).
    let host = authority.or(host);
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive_token && !close,
    };
    Ok(Parsed::Complete {
        request: Request {
            method,
            target,
            raw_path,
            path,
            query,
            version,
            host,
            if_none_match,
            body,
            keep_alive,
        },
        len: skip + end,
    })
}

fn parse_length(digits: &[u8]) -> Result<u64, RequestError> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(RequestError::BadRequest("a bad Content-Length"));
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or(RequestError::BadRequest("a Content-Length too large"))
    })
}

fn parse_request_line(line: &[u8]) -> Result<(Method<'_>, &str, Version), RequestError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RequestError::BadRequest(
            "the request line is not METHOD TARGET VERSION",
        ));
    };
    if !is_token(method) {
        return Err(RequestError::BadRequest("a bad method"));
    }
    if target.is_empty() || !target.iter().all(u8::is_ascii_graphic) {
        return Err(RequestError::BadRequest("a bad request target"));
    }
    let version = match version {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            return Err(RequestError::Version);
        }
        [b'H', b'T', b'T', b'P', b'/', major] if major.is_ascii_digit() => {
            return Err(RequestError::Version);
        }
        _ => return Err(RequestError::BadRequest("a bad HTTP version")),
    };
    // Both checked above: tokens and visible ASCII are UTF-8.
    let method = core::str::from_utf8(method).unwrap_or("?");
    let target = core::str::from_utf8(target).unwrap_or("/");
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        other => Method::Other(other),
    };
    Ok((method, target, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    fn ok(input: &[u8]) -> (Request<'_>, usize) {
        match parse(input, &Limits::default()) {
            Ok(Parsed::Complete { request, len }) => (request, len),
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
        }
    }

    fn err(input: &[u8]) -> RequestError {
        match parse(input, &Limits::default()) {
            Err(e) => e,
            other => panic!(
                "{:?}: expected an error, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
    }

    #[test]
    fn a_simple_get() {
        let input = b"GET /index.html?x=1 HTTP/1.1\r\nHost: example.test\r\n\r\n";
        let (request, len) = ok(input);
        assert_eq!(len, input.len());
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.target, "/index.html?x=1");
        assert_eq!(request.path, b"/index.html");
        assert_eq!(request.query, Some("x=1"));
        assert_eq!(request.host, Some("example.test"));
        assert_eq!(request.version, Version::Http11);
        assert_eq!(request.body, Body::None);
        assert!(request.keep_alive);
        assert_eq!(request.if_none_match, None);
    }

    #[test]
    fn incomplete_heads_ask_for_more() {
        let full = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for cut in 0..full.len() {
            assert_eq!(
                parse(&full[..cut], &Limits::default()),
                Ok(Parsed::Incomplete),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            parse(b"\r\n\r\n\r\n", &Limits::default()),
            Ok(Parsed::Incomplete)
        ));
    }

    #[test]
    fn garbage_is_refused_before_the_head_ends() {
        assert_eq!(
            err(b"\x16\x03\x01").status(),
            400,
            "a TLS ClientHello on the plain port"
        );
        assert_eq!(err(b"GET / HTTQ/1.1\r\nHost").status(), 400);
        assert_eq!(err(b"GET /../x HTTP/1.1\r\n").status(), 400);
        assert_eq!(err(b"GET / HTTP/2.0\r\n").status(), 505);
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHo", &Limits::default()),
            Ok(Parsed::Incomplete)
        );
        assert_eq!(
            parse(b"BREW /po", &Limits::default()),
            Ok(Parsed::Incomplete)
        );
    }

    #[test]
    fn leading_empty_lines_and_bare_lf() {
        let input = b"\r\n\r\nHEAD / HTTP/1.1\nHost: a\n\n";
        let (request, len) = ok(input);
        assert_eq!(len, input.len());
        assert_eq!(request.method, Method::Head);
    }

    #[test]
    fn pipelined_requests_are_parsed_one_at_a_time() {
        let input = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
        let (first, len) = ok(input);
        assert_eq!(first.path, b"/a");
        assert!(first.keep_alive);
        let (second, len2) = ok(&input[len..]);
        assert_eq!(second.path, b"/b");
        assert!(!second.keep_alive);
        assert_eq!(len + len2, input.len());
    }

    #[test]
    fn connection_persistence_by_version() {
        assert!(!ok(b"GET / HTTP/1.0\r\n\r\n").0.keep_alive);
        assert!(
            ok(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            !ok(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            !ok(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n")
                .0
                .keep_alive
        );
        assert!(
            ok(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n")
                .0
                .keep_alive
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(
            err(b"GET / HTTP/1.1\r\n\r\n"),
            RequestError::BadRequest("an HTTP/1.1 request without Host")
        );
        assert_eq!(ok(b"GET / HTTP/1.0\r\n\r\n").0.host, None);
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            RequestError::BadRequest("more than one Host field")
        );
        assert_eq!(
            err(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            RequestError::BadRequest("a bad Host field")
        );
        assert_eq!(
            ok(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").0.host,
            Some("[::1]:8080")
        );
        // Absolute form: the authority wins.
        let (request, _) = ok(b"GET http://other.test:81/x?y HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(request.host, Some("other.test:81"));
        assert_eq!(request.path, b"/x");
        assert_eq!(request.query, Some("y"));
        assert_eq!(
            ok(b"GET https://h HTTP/1.1\r\nHost: h\r\n\r\n").0.path,
            b"/"
        );
        assert!(matches!(
            err(b"GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"),
            RequestError::BadRequest(_)
        ));
        assert!(matches!(
            err(b"GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n"),
            RequestError::BadRequest(_)
        ));
        assert!(matches!(
            err(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"),
            RequestError::BadRequest(_)
        ));
    }

    #[test]
    fn malformed_request_lines() {
        for bad in [
            &b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n"[..],
            b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
            b"GET /\r\nHost: h\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET / http/1.1\r\nHost: h\r\n\r\n",
            b"GET / HTTP/1.x\r\nHost: h\r\n\r\n",
            b"GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n\n",
        ] {
            assert_eq!(err(bad).status(), 400, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(err(b"GET / HTTP/2.0\r\n\r\n"), RequestError::Version);
        assert_eq!(err(b"GET / HTTP/3\r\n\r\n"), RequestError::Version);
        assert_eq!(err(b"GET / HTTP/1.2\r\n\r\n").status(), 505);
    }

    #[test]
    fn malformed_header_fields() {
        for bad in [
            &b"GET / HTTP/1.1\r\nHost : h\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        ] {
            assert_eq!(err(bad).status(), 400, "{:?}", String::from_utf8_lossy(bad));
        }
        // Bytes above 0x7f are allowed in values (obs-text) and ignored.
        assert_eq!(
            ok(b"GET / HTTP/1.1\r\nHost: h\r\nX-Name: caf\xc3\xa9\r\n\r\n")
                .0
                .path,
            b"/"
        );
    }

    #[test]
    fn body_framing() {
        assert_eq!(
            ok(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
                .0
                .body,
            Body::None
        );
        assert_eq!(
            ok(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n")
                .0
                .body,
            Body::Length(12)
        );
        assert_eq!(
            ok(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n")
                .0
                .body,
            Body::Length(5)
        );
        assert_eq!(
            ok(b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
                .0
                .body,
            Body::Chunked
        );
        for bad in [
            &b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert_eq!(err(bad).status(), 400, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn if_none_match_fields_are_joined() {
        let (request, _) = ok(b"GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"a\"\r\nif-none-match: W/\"b\" , \"c\"\r\n\r\n");
        assert_eq!(
            request.if_none_match.as_deref(),
            Some(&b"\"a\",W/\"b\" , \"c\""[..])
        );
    }

    #[test]
    fn limits() {
        let limits = Limits::default();
        // A request line that never ends: 414 once it reaches the limit.
        let long_line = vec![b'a'; limits.max_head];
        let mut line = b"GET /".to_vec();
        line.extend_from_slice(&long_line);
        assert_eq!(err(&line), RequestError::UriTooLong);
        // A head that never ends: 431.
        let mut head = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        while head.len() < limits.max_head {
            head.extend_from_slice(b"X-Filler: 0123456789abcdef\r\n");
        }
        assert_eq!(err(&head), RequestError::HeadTooLarge);
        // A complete head over the limit: 431.
        head.extend_from_slice(b"\r\n");
        assert_eq!(err(&head), RequestError::HeadTooLarge);
        // Exactly 100 fields pass, 101 do not.
        let mut fields = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..99 {
            fields.extend_from_slice(alloc::format!("X-{i}: v\r\n").as_bytes());
        }
        let mut passing = fields.clone();
        passing.extend_from_slice(b"\r\n");
        ok(&passing);
        fields.extend_from_slice(b"X-last: v\r\n\r\n");
        assert_eq!(err(&fields), RequestError::HeadTooLarge);
    }

    #[test]
    fn path_decoding_and_traversal() {
        assert_eq!(decode_path("/a%20b/%C3%A9").unwrap(), "/a b/é".as_bytes());
        assert_eq!(decode_path("/%2e%2E/x").unwrap_err().status(), 400);
        for bad in [
            "/../etc/passwd",
            "/a/..",
            "/a/./b",
            "/%2e%2e/x",
            "/a%2f..%2fb",
            "/x%00",
            "/%",
            "/%4",
            "/%zz",
        ] {
            assert_eq!(decode_path(bad).unwrap_err().status(), 400, "{bad}");
        }
        // Dots inside names are fine.
        assert_eq!(
            decode_path("/a..b/.well-known").unwrap(),
            b"/a..b/.well-known"
        );
        assert_eq!(err(b"GET /../x HTTP/1.1\r\nHost: h\r\n\r\n").status(), 400);
    }
}
