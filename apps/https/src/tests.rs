//! End-to-end tests of the library: a compiled site, requests through a [`Session`], and the
//! octets that would go on the wire.

use alloc::string::String;
use alloc::vec::Vec;

use crate::compiled::{self, LoadError, Site, SiteBuilder};
use crate::{Handler, Limits, Reply, Session, Step};

fn blob() -> Vec<u8> {
    let mut builder = SiteBuilder::new();
    builder.add("/index.html", b"<h1>home</h1>").unwrap();
    builder.add("/css/site.css", b"body{}").unwrap();
    builder
        .add("/img/logo.png", b"\x89PNG\r\n\x1a\n\x00\x01")
        .unwrap();
    builder.add("/docs/index.html", b"<h1>docs</h1>").unwrap();
    builder.add("/a b/\u{e9}.txt", b"accent").unwrap();
    builder.add("/blob", b"\x00\x01\x02").unwrap();
    builder.finish()
}

/// Feeds `input` to a session and collects every response until it asks for more.
fn exchange<'s>(handler: &Handler<'s>, input: &[u8]) -> Vec<Reply<'s>> {
    let mut session = Session::new(Limits::default());
    let mut replies = Vec::new();
    let mut input = input;
    loop {
        match session.next(handler) {
            Step::Reply(reply) => {
                let close = reply.close;
                replies.push(reply);
                if close {
                    return replies;
                }
            }
            Step::Read if input.is_empty() => return replies,
            Step::Read => {
                let buffer = session.read_buffer();
                let n = buffer.len().min(input.len());
                buffer[..n].copy_from_slice(&input[..n]);
                session.received(n);
                input = &input[n..];
            }
        }
    }
}

fn one<'s>(handler: &Handler<'s>, input: &str) -> Reply<'s> {
    let mut replies = exchange(handler, input.as_bytes());
    assert_eq!(replies.len(), 1, "{input:?}: {replies:?}");
    replies.remove(0)
}

fn head_text(reply: &Reply<'_>) -> String {
    let mut out = Vec::new();
    reply.write_head(None, &mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn files_with_type_length_and_etag() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let reply = one(&handler, "GET /css/site.css HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body(), b"body{}");
    let head = head_text(&reply);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.contains("Content-Type: text/css; charset=utf-8\r\n"),
        "{head}"
    );
    assert!(head.contains("Content-Length: 6\r\n"), "{head}");
    let etag = compiled::etag_for(b"body{}");
    assert!(head.contains(&alloc::format!("ETag: {etag}\r\n")), "{head}");
    assert!(!head.contains("Connection: close"), "{head}");

    let png = one(&handler, "GET /img/logo.png HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(png.content_type, Some("image/png"));
    let blob_file = one(&handler, "GET /blob HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(blob_file.content_type, Some("application/octet-stream"));
    assert_eq!(blob_file.body(), b"\x00\x01\x02");
    let encoded = one(
        &handler,
        "GET /a%20b/%C3%A9.txt?q=1 HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    assert_eq!((encoded.status, encoded.body()), (200, &b"accent"[..]));
}

#[test]
fn etags_differ_with_content_and_give_304() {
    assert_ne!(compiled::etag_for(b"a"), compiled::etag_for(b"b"));
    assert_ne!(compiled::etag_for(b""), compiled::etag_for(b"\0"));
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let etag = site.get(b"/index.html").unwrap().etag;
    for field in [
        String::from(etag),
        alloc::format!("\"nope\", {etag}"),
        alloc::format!("W/{etag}"),
        String::from("*"),
    ] {
        for method in ["GET", "HEAD"] {
            let reply = one(
                &handler,
                &alloc::format!("{method} / HTTP/1.1\r\nHost: h\r\nIf-None-Match: {field}\r\n\r\n"),
            );
            assert_eq!(reply.status, 304, "{field}");
            assert_eq!(reply.body(), b"");
            let head = head_text(&reply);
            assert!(head.contains(&alloc::format!("ETag: {etag}\r\n")), "{head}");
            assert!(!head.contains("Content-Length"), "{head}");
        }
    }
    let reply = one(
        &handler,
        "GET / HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"other\"\r\n\r\n",
    );
    assert_eq!(reply.status, 200);
    // `*` does not make a missing file exist.
    let reply = one(
        &handler,
        "GET /nothing HTTP/1.1\r\nHost: h\r\nIf-None-Match: *\r\n\r\n",
    );
    assert_eq!(reply.status, 404);
}

#[test]
fn head_has_the_get_headers_without_the_body() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let get = one(&handler, "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    let head = one(&handler, "HEAD /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(head_text(&get), head_text(&head));
    assert_eq!(head.body(), b"");
    assert_eq!(get.body(), b"<h1>home</h1>");
    let missing = one(&handler, "HEAD /missing HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!((missing.status, missing.body()), (404, &b""[..]));
    assert!(head_text(&missing).contains("Content-Length: "));
}

#[test]
fn directories_index_and_redirect() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    assert_eq!(
        one(&handler, "GET / HTTP/1.1\r\nHost: h\r\n\r\n").body(),
        b"<h1>home</h1>"
    );
    assert_eq!(
        one(&handler, "GET /docs/ HTTP/1.1\r\nHost: h\r\n\r\n").body(),
        b"<h1>docs</h1>"
    );
    let redirect = one(&handler, "GET /docs?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.location.as_deref(), Some("/docs/?x=1"));
    assert!(head_text(&redirect).contains("Location: /docs/?x=1\r\n"));
    // A directory without an index is not found; so is a file with a trailing slash.
    assert_eq!(
        one(&handler, "GET /css/ HTTP/1.1\r\nHost: h\r\n\r\n").status,
        404
    );
    assert_eq!(
        one(&handler, "GET /css HTTP/1.1\r\nHost: h\r\n\r\n").status,
        404
    );
    assert_eq!(
        one(&handler, "GET /blob/ HTTP/1.1\r\nHost: h\r\n\r\n").status,
        404
    );
}

#[test]
fn errors_and_methods() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let not_found = one(&handler, "GET /nope HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(not_found.status, 404);
    assert!(!not_found.close, "a 404 keeps the connection");
    assert!(
        core::str::from_utf8(not_found.body())
            .unwrap()
            .contains("404 Not Found")
    );

    let post = one(&handler, "POST / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(post.status, 405);
    assert!(head_text(&post).contains("Allow: GET, HEAD\r\n"));
    assert!(!post.close);
    for method in ["PUT", "DELETE", "OPTIONS", "PATCH", "BREW"] {
        let reply = one(
            &handler,
            &alloc::format!("{method} / HTTP/1.1\r\nHost: h\r\n\r\n"),
        );
        assert_eq!(reply.status, 405, "{method}");
    }
    // A body is never read: the connection closes after the answer.
    let with_body = one(
        &handler,
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!((with_body.status, with_body.close), (405, true));
    assert!(head_text(&with_body).contains("Connection: close\r\n"));
    let get_body = one(
        &handler,
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!((get_body.status, get_body.close), (413, true));
    let chunked = one(
        &handler,
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert_eq!((chunked.status, chunked.close), (413, true));

    for (input, status) in [
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET /../index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /%2e%2e/index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET /index.html%00 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\n\r\n", 505),
        ("garbage\r\n\r\n", 400),
    ] {
        let reply = one(&handler, input);
        assert_eq!((reply.status, reply.close), (status, true), "{input:?}");
    }
}

#[test]
fn keep_alive_pipelining_and_close() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let replies = exchange(
        &handler,
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\nHEAD /css/site.css HTTP/1.1\r\nHost: h\r\n\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\nGET /blob HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    let statuses: Vec<(u16, bool)> = replies.iter().map(|r| (r.status, r.close)).collect();
    assert_eq!(
        statuses,
        [(200, false), (200, false), (404, false), (200, true)],
        "answered in order, and nothing after Connection: close"
    );
    // HTTP/1.0 closes by default, keeps alive on request.
    let replies = exchange(&handler, b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n");
    assert_eq!(replies.len(), 1);
    assert!(replies[0].close);
    let replies = exchange(
        &handler,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    );
    assert_eq!(
        replies.iter().map(|r| r.close).collect::<Vec<_>>(),
        [false, true]
    );
    assert!(head_text(&replies[0]).contains("Connection: keep-alive\r\n"));
    assert!(head_text(&replies[1]).contains("Connection: close\r\n"));
    // HTTP/1.1 persistence is the default: no field needed.
    let reply = one(&handler, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    assert!(!head_text(&reply).contains("Connection:"));
}

#[test]
fn requests_split_into_single_bytes() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    let input = b"GET /css/site.css HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    let mut session = Session::new(Limits::default());
    let mut statuses = Vec::new();
    for &byte in input {
        session.read_buffer()[0] = byte;
        session.received(1);
        while let Step::Reply(reply) = session.next(&handler) {
            statuses.push(reply.status);
        }
    }
    assert_eq!(statuses, [200, 200]);
    assert_eq!(session.pending(), 0);
}

#[test]
fn limits_and_endless_input() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handler = Handler::Site(&site);
    // A head over 8 KiB is refused, however it trickles in, and the buffer never grows.
    let mut big = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
    while big.len() < 9000 {
        big.push_str("X-Filler: 0123456789abcdefghij\r\n");
    }
    let replies = exchange(&handler, big.as_bytes());
    assert_eq!(replies.iter().map(|r| r.status).collect::<Vec<_>>(), [431]);
    let long = alloc::format!("GET /{} HTTP/1.1\r\n", "a".repeat(9000));
    assert_eq!(exchange(&handler, long.as_bytes())[0].status, 414);
    // Endless empty lines are dropped as they come and never fill the buffer.
    let blank = "\r\n".repeat(10_000);
    assert!(exchange(&handler, blank.as_bytes()).is_empty());
    // Binary garbage: one 400, then the connection closes.
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let replies = exchange(&handler, &garbage);
    assert_eq!(replies.len(), 1);
    assert!(replies[0].status == 400 || replies[0].status == 414 || replies[0].status == 431);
    assert!(replies[0].close);
}

#[test]
fn redirect_listener() {
    let handler = Handler::Redirect {
        https_port: 443,
        default_host: "10.0.0.2",
    };
    let reply = one(
        &handler,
        "GET /docs/x?y=1 HTTP/1.1\r\nHost: example.test:8080\r\n\r\n",
    );
    assert_eq!(reply.status, 301);
    assert_eq!(
        reply.location.as_deref(),
        Some("https://example.test/docs/x?y=1")
    );
    assert!(!reply.close);
    let reply = one(
        &handler,
        "POST /form HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 1\r\n\r\nx",
    );
    assert_eq!((reply.status, reply.close), (308, true));
    assert_eq!(reply.location.as_deref(), Some("https://[::1]/form"));
    let reply = one(&handler, "HEAD / HTTP/1.0\r\n\r\n");
    assert_eq!(reply.location.as_deref(), Some("https://10.0.0.2/"));
    assert_eq!(reply.body(), b"");
    let handler = Handler::Redirect {
        https_port: 8443,
        default_host: "10.0.0.2",
    };
    let reply = one(&handler, "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_eq!(reply.location.as_deref(), Some("https://h:8443/a%20b"));
    // Bad requests are still refused.
    assert_eq!(one(&handler, "GET / HTTP/1.1\r\n\r\n").status, 400);
}

#[test]
fn content_types() {
    for (path, expected) in [
        ("/a.html", "text/html; charset=utf-8"),
        ("/a.HTM", "text/html; charset=utf-8"),
        ("/x/y.css", "text/css; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/d.json", "application/json"),
        ("/i.svg", "image/svg+xml"),
        ("/i.JPG", "image/jpeg"),
        ("/f.woff2", "font/woff2"),
        ("/m.wasm", "application/wasm"),
        ("/README", "application/octet-stream"),
        ("/.hidden", "application/octet-stream"),
        ("/dir.d/file", "application/octet-stream"),
        ("/archive.tar.gz", "application/gzip"),
    ] {
        assert_eq!(compiled::content_type_for(path), expected, "{path}");
    }
}

#[test]
fn builder_refuses_bad_paths() {
    let mut builder = SiteBuilder::new();
    for bad in [
        "index.html",
        "/a//b",
        "/a/../b",
        "/./a",
        "/a/",
        "/a\0b",
        "/a\nb",
    ] {
        assert!(
            matches!(
                builder.add(bad, b""),
                Err(compiled::BuildError::BadPath { .. })
            ),
            "{bad:?}"
        );
    }
    builder.add("/a", b"").unwrap();
    assert_eq!(
        builder.add("/a", b"x"),
        Err(compiled::BuildError::Duplicate { path: "/a".into() })
    );
}

/// Rewrites the checksum after a deliberate change, so the structural checks are reached.
fn reseal(blob: &mut [u8]) {
    let sum = compiled::checksum(&blob[compiled::HEADER_LEN..]);
    blob[12..16].copy_from_slice(&sum.to_be_bytes());
}

#[test]
fn loader_rejects_corrupt_blobs() {
    let good = blob();
    let site = Site::from_compiled(&good).unwrap();
    assert_eq!(site.files().len(), 6);
    assert_eq!(site.total_bytes(), 13 + 6 + 10 + 13 + 6 + 3);
    let paths: Vec<&str> = site.files().iter().map(|f| f.path).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);

    assert_eq!(Site::from_compiled(b"").unwrap_err(), LoadError::Magic);
    assert_eq!(
        Site::from_compiled(&good[..10]).unwrap_err(),
        LoadError::Magic
    );
    let mut bad = good.clone();
    bad[0] = b'Y';
    assert_eq!(Site::from_compiled(&bad).unwrap_err(), LoadError::Magic);
    let mut bad = good.clone();
    bad[5] = 2;
    assert_eq!(
        Site::from_compiled(&bad).unwrap_err(),
        LoadError::Version(2)
    );
    // Any flipped bit or truncation is caught by the checksum.
    for i in compiled::HEADER_LEN..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x10;
        assert_eq!(
            Site::from_compiled(&bad).unwrap_err(),
            LoadError::Checksum,
            "octet {i}"
        );
    }
    for len in compiled::HEADER_LEN..good.len() {
        assert!(
            Site::from_compiled(&good[..len]).is_err(),
            "truncated to {len}"
        );
    }
    // Structural errors behind a valid checksum.
    let mut bad = good.clone();
    bad.push(0);
    reseal(&mut bad);
    assert_eq!(Site::from_compiled(&bad).unwrap_err(), LoadError::Trailing);
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    reseal(&mut bad);
    assert_eq!(Site::from_compiled(&bad).unwrap_err(), LoadError::Truncated);
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&5u32.to_be_bytes());
    reseal(&mut bad);
    assert_eq!(Site::from_compiled(&bad).unwrap_err(), LoadError::Trailing);
    // The first path is "/a b/é.txt": make it "..", then unsorted, then give it a bad type.
    let first = compiled::HEADER_LEN + 2;
    let mut bad = good.clone();
    bad[first..first + 4].copy_from_slice(b"/../");
    reseal(&mut bad);
    assert!(matches!(
        Site::from_compiled(&bad).unwrap_err(),
        LoadError::BadPath(_)
    ));
    let mut bad = good.clone();
    bad[first + 1] = b'z';
    reseal(&mut bad);
    assert_eq!(Site::from_compiled(&bad).unwrap_err(), LoadError::Unsorted);
    let path_len = usize::from(u16::from_be_bytes([good[16], good[17]]));
    let type_at = first + path_len + 1;
    let mut bad = good.clone();
    bad[type_at] = b'\n';
    reseal(&mut bad);
    assert_eq!(
        Site::from_compiled(&bad).unwrap_err(),
        LoadError::BadHeaderValue
    );
}

#[test]
fn the_built_in_site_loads() {
    let blob = include_bytes!(concat!(env!("OUT_DIR"), "/site.bin"));
    let site = Site::from_compiled(blob).unwrap();
    let index = site
        .get(b"/index.html")
        .expect("www/index.html is in the image");
    assert_eq!(index.content_type, "text/html; charset=utf-8");
    assert!(site.get(b"/css/site.css").is_some());
    assert!(site.get(b"/docs/index.html").is_some());
    assert_eq!(
        site.get(b"/img/xenolith.png").unwrap().content_type,
        "image/png"
    );
}

/// A small deterministic generator (xorshift64*), so the mutation test is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_requests_never_panic_or_stall() {
    let blob = blob();
    let site = Site::from_compiled(&blob).unwrap();
    let handlers = [
        Handler::Site(&site),
        Handler::Redirect {
            https_port: 8443,
            default_host: "10.0.0.2",
        },
    ];
    let seeds: [&[u8]; 4] = [
        b"GET /index.html HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"a\", W/\"b\"\r\n\r\n",
        b"HEAD /docs HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"POST /a%20b/%C3%A9.txt?x HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 3\r\n\r\nabc",
        b"GET http://h/css/site.css HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    let alphabet = b" \r\n:/%.?\"*,W\0\x7f\xffGETHOST0123456789";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..20_000 {
        let mut input = seeds[round % seeds.len()].to_vec();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(input.len() + 1);
            match rng.below(4) {
                0 if at < input.len() => input[at] = alphabet[rng.below(alphabet.len())],
                1 if at < input.len() => {
                    input.remove(at);
                }
                2 => input.insert(at, alphabet[rng.below(alphabet.len())]),
                _ => {
                    let copy = input[at..].to_vec();
                    input.extend_from_slice(&copy);
                }
            }
        }
        let handler = &handlers[round % handlers.len()];
        let mut session = Session::new(Limits::default());
        let mut rest = &input[..];
        let mut replies = 0;
        loop {
            match session.next(handler) {
                Step::Reply(reply) => {
                    replies += 1;
                    let mut head = Vec::new();
                    reply.write_head(Some(1_700_000_000), &mut head);
                    assert!(head.ends_with(b"\r\n\r\n"));
                    assert!(!head[..head.len() - 4].windows(2).any(|w| w == b"\n\n"));
                    if reply.close {
                        break;
                    }
                    assert!(replies <= input.len(), "a reply without consuming input");
                }
                Step::Read if rest.is_empty() => break,
                Step::Read => {
                    let buffer = session.read_buffer();
                    assert!(!buffer.is_empty(), "asked to read with a full buffer");
                    let n = buffer.len().min(rest.len()).min(1 + rng.below(64));
                    buffer[..n].copy_from_slice(&rest[..n]);
                    session.received(n);
                    rest = &rest[n..];
                }
            }
        }
    }
}
