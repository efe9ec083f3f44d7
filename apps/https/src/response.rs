//! Responses: what to answer to a request (a file of the site, a redirect to HTTPS, an error
//! page), and the response head on the wire (RFC 9112 §4, RFC 9110 §15).
//!
//! Decisions, each for a reason:
//! - Only `GET` and `HEAD` are served; other methods get 405 with `Allow: GET, HEAD`.
//! - No request body is ever read. A `GET` or `HEAD` with a body gets 413 (Content Too Large:
//!   this server takes none); any request with a body is answered and the connection closed,
//!   because the unread body would be taken for the next request. 411 is never needed.
//! - `/dir/` serves `/dir/index.html`; `/dir` (when `/dir/index.html` exists but `/dir` does
//!   not) is redirected with 301 to `/dir/`, the query kept.
//! - `If-None-Match` (RFC 9110 §13.1.2) uses the weak comparison, accepts lists and `*`, and
//!   turns a 200 into a 304 without a body; a malformed field is ignored, as the RFC allows.
//! - 304 carries `ETag` but no `Content-Type`/`Content-Length`; `HEAD` carries the headers a
//!   `GET` would, without the body.
//! - Errors (400, 413, 414, 431, 505) close the connection: after one, the stream cannot be
//!   trusted to be in step. 404 and 405 without a body keep it open.
//! - The redirect listener answers every request with 301 (`GET`, `HEAD`) or 308 (other
//!   methods, which must keep their method) to `https://HOST[:PORT]/path?query`, the host
//!   taken from the request without its port (the server's own address if the request has
//!   none).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::compiled::Site;
use crate::request::{Body, Method, Request, RequestError, Version};

/// The `Server` field.
pub const SERVER: &str = "xenolith";

/// How a listener answers requests.
#[derive(Clone, Copy, Debug)]
pub enum Handler<'s> {
    /// Serve the files of a site.
    Site(&'s Site<'s>),
    /// Redirect every request to HTTPS.
    Redirect {
        /// The HTTPS port in the redirect (omitted when 443).
        https_port: u16,
        /// The host to redirect to when the request names none (HTTP/1.0 without `Host`).
        default_host: &'s str,
    },
}

/// A response: the head's fields and the body to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply<'s> {
    /// The status code.
    pub status: u16,
    /// `Content-Type` (none for 304 and empty bodies).
    pub content_type: Option<&'s str>,
    /// `ETag`.
    pub etag: Option<&'s str>,
    /// `Location`.
    pub location: Option<String>,
    /// Whether to send `Allow: GET, HEAD`.
    pub allow: bool,
    /// The representation's content (sent unless `send_body` is false).
    pub content: &'s [u8],
    /// `Content-Length` is sent (the content's length) unless this is a 304.
    pub send_body: bool,
    /// Close the connection after this response.
    pub close: bool,
    /// Send `Connection: keep-alive` (an HTTP/1.0 client that asked to keep the connection
    /// needs to hear that it is kept, RFC 9112 §9.3).
    pub keep_alive: bool,
}

/// The reason phrase of a status code this server sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        304 => "Not Modified",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The built-in page sent with an error or redirect status.
fn page(status: u16) -> &'static [u8] {
    macro_rules! html {
        ($title:literal, $text:literal) => {
            concat!(
                "<!DOCTYPE html>\n<html><head><title>",
                $title,
                "</title></head><body><h1>",
                $title,
                "</h1><p>",
                $text,
                "</p></body></html>\n"
            )
            .as_bytes()
        };
    }
    match status {
        301 | 308 => html!(
            "Moved",
            "This page is at the address in the Location header."
        ),
        400 => html!("400 Bad Request", "The request was malformed."),
        404 => html!("404 Not Found", "There is no such page here."),
        405 => html!(
            "405 Method Not Allowed",
            "Only GET and HEAD are served here."
        ),
        408 => html!("408 Request Timeout", "The request did not arrive in time."),
        413 => html!(
            "413 Content Too Large",
            "This server accepts no request bodies."
        ),
        414 => html!("414 URI Too Long", "The request line is too long."),
        431 => html!(
            "431 Request Header Fields Too Large",
            "The request header is too large or has too many fields."
        ),
        505 => html!(
            "505 HTTP Version Not Supported",
            "Use HTTP/1.1 or HTTP/1.0."
        ),
        _ => b"",
    }
}

impl<'s> Reply<'s> {
    /// An error or redirect response with the built-in page.
    pub fn page(status: u16, close: bool) -> Reply<'s> {
        Reply {
            status,
            content_type: Some("text/html; charset=utf-8"),
            etag: None,
            location: None,
            allow: status == 405,
            content: page(status),
            send_body: true,
            close,
            keep_alive: false,
        }
    }

    /// The answer to a request head that could not be parsed (it closes the connection).
    pub fn refuse(error: RequestError) -> Reply<'s> {
        Reply::page(error.status(), true)
    }

    /// The octets of the body to send after the head (nothing for HEAD and 304).
    pub fn body(&self) -> &'s [u8] {
        if self.send_body { self.content } else { &[] }
    }

    /// Appends the response head to `out`; `unix_time` (seconds since the epoch) gives the
    /// `Date` field, omitted without a clock (RFC 9110 §6.6.1 allows that).
    pub fn write_head(&self, unix_time: Option<u64>, out: &mut Vec<u8>) {
        let mut head = String::with_capacity(256);
        let _ = write!(head, "HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        if let Some(t) = unix_time {
            head.push_str("Date: ");
            http_date(t, &mut head);
            head.push_str("\r\n");
        }
        let _ = write!(head, "Server: {SERVER}\r\n");
        if self.status != 304 {
            if let Some(content_type) = self.content_type {
                let _ = write!(head, "Content-Type: {content_type}\r\n");
            }
            let _ = write!(head, "Content-Length: {}\r\n", self.content.len());
        }
        if let Some(etag) = self.etag {
            let _ = write!(head, "ETag: {etag}\r\n");
        }
        if let Some(location) = &self.location {
            let _ = write!(head, "Location: {location}\r\n");
        }
        if self.allow {
            head.push_str("Allow: GET, HEAD\r\n");
        }
        if self.close {
            head.push_str("Connection: close\r\n");
        } else if self.keep_alive {
            head.push_str("Connection: keep-alive\r\n");
        }
        head.push_str("\r\n");
        out.extend_from_slice(head.as_bytes());
    }
}

/// Whether an `If-None-Match` field value matches `etag` (weak comparison, RFC 9110 §13.1.2).
/// A malformed list matches nothing.
pub fn none_match(field: &[u8], etag: &str) -> bool {
    fn opaque(tag: &[u8]) -> &[u8] {
        tag.strip_prefix(b"W/").unwrap_or(tag)
    }
    let ours = opaque(etag.as_bytes());
    let mut rest = field;
    loop {
        while let [b' ' | b'\t' | b',', tail @ ..] = rest {
            rest = tail;
        }
        match rest {
            [] => return false,
            [b'*', tail @ ..] if tail.iter().all(|&b| b == b' ' || b == b'\t') => {
                // `*` is only valid alone.
                return field.iter().filter(|&&b| b != b' ' && b != b'\t').count() == 1;
            }
            _ => {}
        }
        let tag_start = rest;
        let after_weak = rest.strip_prefix(b"W/").unwrap_or(rest);
        let [b'"', quoted @ ..] = after_weak else {
            return false;
        };
        let Some(close) = quoted.iter().position(|&b| b == b'"') else {
            return false;
        };
        let tag_len = (tag_start.len() - after_weak.len()) + close + 2;
        let tag = &tag_start[..tag_len];
        if opaque(tag) == ours {
            return true;
        }
        rest = &tag_start[tag_len..];
        match rest.first() {
            None | Some(b' ' | b'\t' | b',') => {}
            Some(_) => return false,
        }
    }
}

/// Appends an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7).
pub fn http_date(unix_seconds: u64, out: &mut String) {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds / 86_400;
    let seconds = unix_seconds % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (non-negative here).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    let _ = write!(
        out,
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
}

/// The answer to a parsed request.
pub fn respond<'s>(handler: &Handler<'s>, request: &Request<'_>) -> Reply<'s> {
    let mut reply = answer(handler, request);
    reply.keep_alive = !reply.close && request.version == Version::Http10;
    reply
}

fn answer<'s>(handler: &Handler<'s>, request: &Request<'_>) -> Reply<'s> {
    let has_body = request.body != Body::None;
    let close = has_body || !request.keep_alive;
    let is_get_or_head = matches!(request.method, Method::Get | Method::Head);
    match *handler {
        Handler::Redirect {
            https_port,
            default_host,
        } => {
            let host = request
                .host
                .filter(|h| !h.is_empty())
                .unwrap_or(default_host);
            let mut reply = Reply::page(if is_get_or_head { 301 } else { 308 }, close);
            let port = if https_port == 443 {
                String::new()
            } else {
                format!(":{https_port}")
            };
            let query = request.query.map(|q| format!("?{q}")).unwrap_or_default();
            reply.location = Some(format!(
                "https://{}{port}{}{query}",
                strip_port(host),
                request.raw_path
            ));
            reply.send_body = request.method != Method::Head;
            reply
        }
        Handler::Site(site) => {
            if !is_get_or_head {
                return Reply::page(405, close);
            }
            if has_body {
                return Reply::page(413, true);
            }
            let head = request.method == Method::Head;
            let mut path = request.path.clone();
            if path.ends_with(b"/") {
                path.extend_from_slice(b"index.html");
            }
            let Some(file) = site.get(&path) else {
                path.extend_from_slice(b"/index.html");
                let mut reply = if site.get(&path).is_some() {
                    let query = request.query.map(|q| format!("?{q}")).unwrap_or_default();
                    let mut reply = Reply::page(301, close);
                    reply.location = Some(format!("{}/{query}", request.raw_path));
                    reply
                } else {
                    Reply::page(404, close)
                };
                reply.send_body = !head;
                return reply;
            };
            let not_modified = request
                .if_none_match
                .as_deref()
                .is_some_and(|field| none_match(field, file.etag));
            Reply {
                status: if not_modified { 304 } else { 200 },
                content_type: Some(file.content_type),
                etag: Some(file.etag),
                location: None,
                allow: false,
                content: if not_modified { &[] } else { file.body },
                send_body: !head && !not_modified,
                close,
                keep_alive: false,
            }
        }
    }
}

/// `host` without a `:port` suffix (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.split(':').next().unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let mut s = String::new();
        http_date(784_111_777, &mut s);
        assert_eq!(s, "Sun, 06 Nov 1994 08:49:37 GMT");
        s.clear();
        http_date(0, &mut s);
        assert_eq!(s, "Thu, 01 Jan 1970 00:00:00 GMT");
        s.clear();
        http_date(951_782_400, &mut s); // a leap day
        assert_eq!(s, "Tue, 29 Feb 2000 00:00:00 GMT");
        s.clear();
        http_date(1_798_761_599, &mut s);
        assert_eq!(s, "Thu, 31 Dec 2026 23:59:59 GMT");
    }

    #[test]
    fn if_none_match_lists() {
        let tag = "\"abc-1\"";
        assert!(none_match(b"\"abc-1\"", tag));
        assert!(none_match(b"W/\"abc-1\"", tag), "weak comparison");
        assert!(none_match(b"\"x\", \"abc-1\"", tag));
        assert!(none_match(b"\"x\",W/\"abc-1\" ,\"y\"", tag));
        assert!(none_match(b"*", tag));
        assert!(none_match(b"  * ", tag));
        assert!(
            none_match(b"\"a,b\", \"abc-1\"", tag),
            "commas inside a tag"
        );
        assert!(!none_match(b"\"abc\"", tag));
        assert!(!none_match(b"abc-1", tag), "unquoted");
        assert!(!none_match(b"\"abc-1", tag), "unterminated");
        assert!(!none_match(b"", tag));
        assert!(!none_match(b"*, \"x\"", tag), "* is only valid alone");
        assert!(
            !none_match(b"\"x\"junk, \"abc-1\"", tag),
            "malformed lists match nothing"
        );
    }

    #[test]
    fn strip_ports() {
        assert_eq!(strip_port("example.test:8080"), "example.test");
        assert_eq!(strip_port("example.test"), "example.test");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn head_fields() {
        let reply = Reply {
            status: 200,
            content_type: Some("text/plain; charset=utf-8"),
            etag: Some("\"e\""),
            location: None,
            allow: false,
            content: b"hello",
            send_body: false,
            close: true,
            keep_alive: false,
        };
        let mut out = Vec::new();
        reply.write_head(Some(784_111_777), &mut out);
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: xenolith\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\nETag: \"e\"\r\n\
             Connection: close\r\n\r\n"
        );
        assert_eq!(reply.body(), b"");
    }
}
