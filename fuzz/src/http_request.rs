//! `http_request`: HTTP/1.1 request heads (apps/https `request::parse`), alone and through a
//! connection's [`Session`] (pipelining, the head limits, the responses and their heads).
//!
//! Input: one mode byte, then the octets a client sends. Mode bit 0 picks small limits (a
//! 96-octet head, 4 fields) instead of the defaults; bit 1 the redirecting handler (port 80)
//! instead of a small site; bits 2..8 the size of the reads the session is fed in (1 to 64
//! octets). Properties: a complete head is no longer than the input and parses the same from
//! just its own octets; a session asking for more octets has room for them; every response
//! head is made of CRLF-terminated lines with no other CR or LF (no response splitting).

use std::sync::OnceLock;

use https::compiled::{Site, SiteBuilder};
use https::request::{self, Parsed};
use https::{Handler, Limits, Session, Step};

fn site_blob() -> &'static [u8] {
    static BLOB: OnceLock<Vec<u8>> = OnceLock::new();
    BLOB.get_or_init(|| {
        let mut builder = SiteBuilder::new();
        for (path, body) in [
            ("/index.html", &b"<h1>hello</h1>"[..]),
            ("/a b/c.txt", b"text"),
            ("/style.css", b"h1 { color: red }"),
            ("/empty", b""),
        ] {
            builder.add(path, body).expect("a valid site path");
        }
        builder.finish()
    })
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, octets)) = data.split_first() else {
        return;
    };
    let limits = if mode & 1 == 0 {
        Limits::default()
    } else {
        Limits {
            max_head: 96,
            max_headers: 4,
        }
    };
    if let Ok(Parsed::Complete { request, len }) = request::parse(octets, &limits) {
        assert!(len <= octets.len(), "a head longer than the input");
        match request::parse(&octets[..len], &limits) {
            Ok(Parsed::Complete {
                request: again,
                len: again_len,
            }) => {
                assert_eq!(again_len, len, "the head alone parses to another length");
                assert_eq!(again, request, "the head alone parses differently");
            }
            other => panic!("the head alone does not parse: {other:?}"),
        }
    }

    let site = Site::from_compiled(site_blob()).expect("the site loads");
    let handler = if mode & 2 == 0 {
        Handler::Site(&site)
    } else {
        Handler::Redirect {
            https_port: 8443,
            default_host: "example.test",
        }
    };
    let chunk = usize::from(mode >> 2) + 1;
    let mut session = Session::new(limits);
    let mut rest = octets;
    let mut head = Vec::new();
    'connection: loop {
        loop {
            match session.next(&handler) {
                Step::Read => break,
                Step::Reply(reply) => {
                    head.clear();
                    reply.write_head(Some(1_700_000_000), &mut head);
                    check_head(&head);
                    let _ = reply.body();
                    if reply.close {
                        break 'connection;
                    }
                }
            }
        }
        if rest.is_empty() {
            break;
        }
        let buffer = session.read_buffer();
        assert!(
            !buffer.is_empty(),
            "the session wants octets but has no room"
        );
        let n = chunk.min(rest.len()).min(buffer.len());
        buffer[..n].copy_from_slice(&rest[..n]);
        session.received(n);
        rest = &rest[n..];
    }
}

/// A response head: lines ending in CRLF, no other CR or LF, an empty line last.
fn check_head(head: &[u8]) {
    let text = head
        .strip_suffix(b"\r\n\r\n")
        .expect("a head ends with an empty line");
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(
            !line.contains(&b'\r') && !line.contains(&b'\n'),
            "a CR inside a response header line: {:?}",
            String::from_utf8_lossy(head)
        );
    }
    let lines = text.split(|&b| b == b'\n').count();
    let crlfs = head.windows(2).filter(|w| w == b"\r\n").count();
    assert_eq!(crlfs, lines + 1, "a bare LF in a response head");
}

/// Requests as curl, browsers and a few odd clients send them.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let requests: &[(&str, u8, &str)] = &[
        (
            "curl-get",
            0,
            "GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n",
        ),
        (
            "browser",
            0,
            "GET /index.html HTTP/1.1\r\nHost: www.example.test:8443\r\nConnection: keep-alive\r\nAccept: text/html,application/xhtml+xml\r\nAccept-Encoding: gzip, deflate, br\r\nIf-None-Match: \"abc\", W/\"def\"\r\n\r\n",
        ),
        (
            "head-10",
            0,
            "HEAD /style.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        ),
        (
            "pipelined",
            4 << 2,
            "GET /a%20b/c.txt HTTP/1.1\r\nHost: h\r\n\r\nGET /empty?x=1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        ),
        (
            "absolute-form",
            0,
            "GET http://example.test/index.html HTTP/1.1\r\nHost: other\r\n\r\n",
        ),
        (
            "post-length",
            0,
            "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
        ),
        (
            "chunked",
            0,
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        ),
        (
            "smuggle",
            0,
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
        ),
        (
            "redirect",
            2,
            "GET /path?q=1 HTTP/1.1\r\nHost: example.test:80\r\n\r\n",
        ),
        ("redirect-10", 2, "GET /x HTTP/1.0\r\n\r\n"),
        (
            "dotdot",
            0,
            "GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: h\r\n\r\n",
        ),
        ("bare-lf", 1 | (3 << 2), "\r\n\nGET / HTTP/1.1\nHost: h\n\n"),
        (
            "too-many-fields",
            1,
            "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
        ),
        ("version", 0, "GET / HTTP/2.0\r\nHost: h\r\n\r\n"),
    ];
    requests
        .iter()
        .map(|(name, mode, text)| {
            let mut input = vec![*mode];
            input.extend_from_slice(text.as_bytes());
            (name.to_string(), input)
        })
        .collect()
}
