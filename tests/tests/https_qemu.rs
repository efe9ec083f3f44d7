//! The HTTPS unikernel under QEMU (virtio-net on a TAP in a private netns, `-cpu max` for
//! RDRAND), driven by `curl --cacert`, `openssl s_client` and a raw-socket Python client (with
//! Python's TLS): TLS 1.3 and 1.2 handshakes verified against the image's certificate, every
//! file of the default site byte for byte (sha256), the headers (Content-Type, Content-Length,
//! ETag, 304), HEAD, 404, 405, keep-alive and pipelining, the port-80 redirect listener, a
//! certificate handed over as a boot module, and bad input that must not stop it (garbage
//! instead of a ClientHello, a handshake or a request that stops halfway, more idle
//! connections than the server's cap).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use xenolith_tests::{
    DhcpServer, NETNS_GUEST_IP, NETNS_GUEST_IP6, NetNs, Qemu, RunningGuest, image, leased_address,
    temp_dir, workspace_root,
};

/// A raw-socket client: `send REQUEST` (Python escapes; half-closes, then prints every octet
/// until the server closes), `garbage`, `stall` (half a request head, then waits for the server), and
/// `idle N SECONDS` (N silent connections held open; prints how many the server closed).
const RAW_CLIENT: &str = r#"
import os, socket, ssl, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
# CAFILE set: `send` and `stall` speak TLS, verified against it.
CAFILE = os.environ.get("CAFILE")
def connect(timeout=60, tls=False):
    s = socket.create_connection((host, port), timeout=timeout)
    if tls and CAFILE:
        context = ssl.create_default_context(cafile=CAFILE)
        s = context.wrap_socket(s, server_hostname=host)
    return s
def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
if mode == "send":
    s = connect(tls=True)
    s.sendall(sys.argv[4].encode("latin-1").decode("unicode_escape").encode("latin-1"))
    if CAFILE:
        sys.stdout.buffer.write(read_all(s))  # the request says Connection: close
    else:
        s.shutdown(socket.SHUT_WR)
        sys.stdout.buffer.write(read_all(s))
elif mode == "garbage":
    s = connect()
    s.sendall(bytes((i * 7919) % 251 for i in range(3000)))
    out = read_all(s)
    print("answer:", out.split(b"\r\n")[0].decode("latin-1"), "| then closed")
elif mode == "handshake-stall":
    # The first 40 octets of a TLS record that announces a 512-octet ClientHello, then nothing.
    s = connect()
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(29))
    print("stalled", flush=True)
    start = time.time()
    try:
        out = read_all(s)
    except OSError as e:
        out = repr(e).encode()
    print("after %.1fs: %d octets | then closed" % (time.time() - start, len(out)))
elif mode == "stall":
    s = connect(tls=True)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    print("stalled", flush=True)
    start = time.time()
    out = read_all(s)
    print("after %.1fs: %s | then closed" % (time.time() - start, out.split(b"\r\n")[0].decode("latin-1")))
elif mode == "idle":
    count, hold = int(sys.argv[4]), float(sys.argv[5])
    conns, failed = [], 0
    for _ in range(count):
        try:
            conns.append(connect(timeout=10))
        except OSError:
            failed += 1
    print("opened %d of %d (%d refused or failed)" % (len(conns), count, failed), flush=True)
    time.sleep(hold)
    closed = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print("closed by the server: %d" % closed, flush=True)
"#;

/// The self-signed certificate compiled into the image (apps/https/Unikernel.toml).
fn ca_file() -> String {
    workspace_root()
        .join("apps/https/tls/cert.pem")
        .display()
        .to_string()
}

/// The https image under QEMU with RDRAND (`-cpu max`), booted with `ip=` and `cmdline`.
fn https_qemu(cmdline: &str) -> Qemu {
    Qemu::new(image("https"))
        .memory(32)
        .arg("-cpu")
        .arg("max")
        .append(&format!("ip={NETNS_GUEST_IP}/24 {cmdline}"))
        .timeout(Duration::from_secs(300))
}

fn https_guest(ns: &NetNs, cmdline: &str) -> RunningGuest {
    let mut guest = https_qemu(cmdline).tap_nic().spawn(Some(ns));
    guest.wait_for("https::server: serving", Duration::from_secs(60));
    guest
}

/// `https://GUEST/path` for port 443, `http://GUEST:port/path` for the others.
fn url(port: u16, path: &str) -> String {
    if port == 443 {
        format!("https://{NETNS_GUEST_IP}{path}")
    } else {
        format!("http://{NETNS_GUEST_IP}:{port}{path}")
    }
}

/// Runs curl in the namespace, trusting the image's certificate; returns stdout + stderr.
#[track_caller]
fn curl(ns: &NetNs, args: &[&str]) -> String {
    let ca = ca_file();
    let mut all = vec!["-sS", "--max-time", "30", "--cacert", &ca];
    all.extend_from_slice(args);
    let (ok, out) = ns.run("curl", &all);
    assert!(ok, "curl {args:?} failed: {out}");
    out
}

/// The raw client; `tls`: its `send` and `stall` modes speak TLS.
fn raw_client(ns: &NetNs, tls: bool) -> std::process::Command {
    let mut command = ns.command("env");
    if tls {
        command.arg(format!("CAFILE={}", ca_file()));
    }
    command.args(["/usr/bin/python3", "-c", RAW_CLIENT]);
    command
}

#[track_caller]
fn raw(ns: &NetNs, tls: bool, args: &[&str]) -> String {
    let out = raw_client(ns, tls)
        .args(args)
        .output()
        .expect("run the raw client");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "raw client {args:?} failed: {text}");
    text
}

fn sha256(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The value of a header field in a curl `-i`/`-D -` dump (case-insensitive name).
fn field<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The content type the default site's files must be served with, by extension.
fn expected_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn site_files(dir: &Path, root: &Path, out: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            site_files(&path, root, out);
        } else {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            out.push((format!("/{relative}"), path));
        }
    }
}

#[test]
fn serves_the_site_to_curl() {
    let ns = NetNs::new("https");
    let mut guest = https_guest(&ns, "");
    let root = workspace_root().join("apps/https/www");
    let mut files = Vec::new();
    site_files(&root, &root, &mut files);
    assert!(files.len() >= 4, "the default site has several files");
    let dir = temp_dir("https-site");
    let mut etags = Vec::new();
    for (path, source) in &files {
        let saved = dir.join(path.trim_start_matches('/').replace('/', "_"));
        let head = curl(
            &ns,
            &["-D", "-", "-o", saved.to_str().unwrap(), &url(443, path)],
        );
        assert!(head.starts_with("HTTP/1.1 200 OK"), "{path}: {head}");
        assert_eq!(sha256(&saved), sha256(source), "{path}: the bytes differ");
        let size = std::fs::metadata(source).unwrap().len();
        assert_eq!(
            field(&head, "Content-Type"),
            Some(expected_type(path)),
            "{head}"
        );
        assert_eq!(
            field(&head, "Content-Length"),
            Some(size.to_string().as_str())
        );
        assert_eq!(field(&head, "Server"), Some("xenolith"));
        assert!(
            field(&head, "Date").is_some_and(|d| d.ends_with(" GMT")),
            "{head}"
        );
        let etag = field(&head, "ETag").expect("an ETag").to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with(&format!("-{size:x}\"")),
            "a strong tag with the length: {etag}"
        );
        // The same tag back gives 304 without a body, also in a list and as `*`.
        for condition in [etag.clone(), format!("\"other\", {etag}"), "*".to_string()] {
            let out = curl(
                &ns,
                &[
                    "-i",
                    "-H",
                    &format!("If-None-Match: {condition}"),
                    &url(443, path),
                ],
            );
            assert!(
                out.starts_with("HTTP/1.1 304 Not Modified"),
                "{condition}: {out}"
            );
            assert_eq!(field(&out, "ETag"), Some(etag.as_str()));
            assert!(out.ends_with("\r\n\r\n"), "no body after a 304: {out:?}");
        }
        let out = curl(
            &ns,
            &["-i", "-H", "If-None-Match: \"stale\"", &url(443, path)],
        );
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        etags.push(etag);
    }
    etags.sort();
    etags.dedup();
    assert_eq!(etags.len(), files.len(), "each file has its own tag");

    // `/` serves index.html; `/docs` redirects to `/docs/`, which serves its index.
    let index = std::fs::read_to_string(root.join("index.html")).unwrap();
    assert_eq!(curl(&ns, &[&url(443, "/")]), index);
    let out = curl(&ns, &["-i", &url(443, "/docs?x=1")]);
    assert!(out.starts_with("HTTP/1.1 301"), "{out}");
    assert_eq!(field(&out, "Location"), Some("/docs/?x=1"));
    let out = curl(&ns, &["-L", &url(443, "/docs")]);
    assert!(out.contains("<h1>Documentation</h1>"), "{out}");

    // HEAD: the GET headers, no body (a pipelined GET follows it at once on the wire).
    let out = curl(&ns, &["-I", &url(443, "/css/site.css")]);
    assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
    let css = std::fs::read(root.join("css/site.css")).unwrap();
    assert_eq!(
        field(&out, "Content-Length"),
        Some(css.len().to_string().as_str())
    );
    let wire = raw(
        &ns,
        true,
        &[
            "send",
            NETNS_GUEST_IP,
            "443",
            "HEAD /css/site.css HTTP/1.1\\r\\nHost: t\\r\\n\\r\\nGET /css/site.css HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n",
        ],
    );
    let (first, rest) = wire.split_once("\r\n\r\n").expect("a first response");
    assert!(first.starts_with("HTTP/1.1 200 OK"), "{wire}");
    assert!(
        rest.starts_with("HTTP/1.1 200 OK"),
        "HEAD sent a body: {wire:?}"
    );
    let (second, body) = rest.split_once("\r\n\r\n").expect("a second response");
    assert!(second.contains("Connection: close"), "{second}");
    assert_eq!(
        body.as_bytes(),
        css,
        "the pipelined GET's body, then the server closed"
    );

    // 404 and 405.
    let out = curl(&ns, &["-i", &url(443, "/no/such/page")]);
    assert!(out.starts_with("HTTP/1.1 404 Not Found"), "{out}");
    assert!(out.contains("404 Not Found</h1>"), "{out}");
    for method in ["POST", "PUT", "DELETE"] {
        let out = curl(&ns, &["-i", "-X", method, &url(443, "/")]);
        assert!(out.starts_with("HTTP/1.1 405"), "{method}: {out}");
        assert_eq!(field(&out, "Allow"), Some("GET, HEAD"), "{out}");
    }
    let out = curl(&ns, &["-i", "--path-as-is", &url(443, "/../etc/passwd")]);
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");

    // Keep-alive: two URLs, one connection.
    let out = curl(
        &ns,
        &[
            "-v",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            &url(443, "/"),
            &url(443, "/img/xenolith.png"),
        ],
    );
    assert!(out.contains("existing connection"), "not reused: {out}");
    assert_eq!(out.matches("< HTTP/1.1 200 OK").count(), 2, "{out}");

    // HTTP/1.0 keeps the connection only when asked, and says so.
    let out = curl(
        &ns,
        &[
            "-v",
            "-0",
            "-H",
            "Connection: keep-alive",
            "-o",
            "/dev/null",
            "-o",
            "/dev/null",
            &url(443, "/"),
            &url(443, "/css/site.css"),
        ],
    );
    assert!(out.contains("< Connection: keep-alive"), "{out}");
    assert!(out.contains("existing connection"), "not reused: {out}");

    // The plain-HTTP listener redirects to HTTPS (port 443 named implicitly).
    let out = curl(&ns, &["-i", &url(80, "/docs/notes.txt?a=b")]);
    assert!(out.starts_with("HTTP/1.1 301"), "{out}");
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{NETNS_GUEST_IP}/docs/notes.txt?a=b").as_str())
    );
    let out = curl(
        &ns,
        &[
            "-i",
            "-X",
            "POST",
            "-H",
            "Host: example.test:80",
            &url(80, "/f"),
        ],
    );
    assert!(out.starts_with("HTTP/1.1 308"), "{out}");
    assert_eq!(field(&out, "Location"), Some("https://example.test/f"));
    assert!(guest.is_running(), "{}", guest.console());
}

#[test]
fn serves_over_ipv6_with_bracketed_redirects() {
    let ns = NetNs::new("https6");
    let guest = https_guest(&ns, &format!("ip6={NETNS_GUEST_IP6}/64"));
    // TLS 1.3 over IPv6, the certificate checked against its name (it carries no IPv6 address).
    let resolve = format!("example.test:443:[{NETNS_GUEST_IP6}]");
    let index =
        std::fs::read_to_string(workspace_root().join("apps/https/www/index.html")).unwrap();
    let out = curl(
        &ns,
        &[
            "-6",
            "--tlsv1.3",
            "--resolve",
            &resolve,
            "https://example.test/",
        ],
    );
    assert_eq!(out, index);
    // Port 80 over IPv6: the redirect keeps the bracketed literal of Host.
    let literal = format!("[{NETNS_GUEST_IP6}]");
    let out = curl(
        &ns,
        &["-6", "-i", &format!("http://{literal}/docs/notes.txt?a=b")],
    );
    assert!(out.starts_with("HTTP/1.1 301"), "{out}");
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{literal}/docs/notes.txt?a=b").as_str())
    );
    let out = curl(
        &ns,
        &[
            "-6",
            "-i",
            "-H",
            &format!("Host: {literal}:80"),
            &format!("http://{literal}/y"),
        ],
    );
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{literal}/y").as_str())
    );
    // HTTP/1.0 without Host: the address the request came to, bracketed.
    let out = curl(
        &ns,
        &[
            "-6",
            "-0",
            "-i",
            "-H",
            "Host:",
            &format!("http://{literal}/z"),
        ],
    );
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{literal}/z").as_str()),
        "{out}"
    );
    // And over IPv4 the same request names the IPv4 address.
    let out = curl(&ns, &["-0", "-i", "-H", "Host:", &url(80, "/z")]);
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{NETNS_GUEST_IP}/z").as_str()),
        "{out}"
    );
    drop(guest);
}

/// The manifest's network, `ip = "dhcp"`: the image takes a lease and serves on it.
#[test]
fn serves_on_a_dhcp_lease_as_its_manifest_says() {
    let manifest =
        std::fs::read_to_string(workspace_root().join("apps/https/Unikernel.toml")).unwrap();
    assert!(
        manifest.lines().any(|l| l.starts_with("ip = \"dhcp\"")),
        "the manifest's default changed: change this test too"
    );
    let ns = NetNs::new("httpsdhcp");
    let _dhcp = DhcpServer::start(&ns);
    let mut guest = Qemu::new(image("https"))
        .memory(32)
        .arg("-cpu")
        .arg("max")
        .append("ip=dhcp")
        .timeout(Duration::from_secs(300))
        .tap_nic()
        .spawn(Some(&ns));
    guest.wait_for("DHCP: address 10.66.0.", Duration::from_secs(60));
    guest.wait_for("https::server: serving", Duration::from_secs(60));
    let leased = leased_address(&guest.console()).expect("leased address on the console");
    let index =
        std::fs::read_to_string(workspace_root().join("apps/https/www/index.html")).unwrap();
    let resolve = format!("example.test:443:{leased}");
    let out = curl(&ns, &["--resolve", &resolve, "https://example.test/"]);
    assert_eq!(out, index);
}

#[test]
fn redirect_listener_options() {
    let ns = NetNs::new("https80");
    let guest = https_guest(&ns, "http=serve");
    let out = curl(&ns, &["-i", &url(80, "/docs/")]);
    assert!(out.starts_with("HTTP/1.1 200 OK"), "http=serve: {out}");
    drop(guest.stop());
    let ns = NetNs::new("https80b");
    let guest = https_guest(&ns, "redirect_port=8443");
    let out = curl(&ns, &["-i", &url(80, "/x")]);
    assert_eq!(
        field(&out, "Location"),
        Some(format!("https://{NETNS_GUEST_IP}:8443/x").as_str())
    );
    drop(guest.stop());
    let ns = NetNs::new("https80c");
    let mut guest = https_guest(&ns, "http=off");
    let (ok, out) = ns.run("curl", &["-sS", "--max-time", "10", &url(80, "/")]);
    assert!(!ok, "port 80 must be closed with http=off: {out}");
    assert!(guest.is_running());
    // A bad option is a clear error and the guest stops.
    let console = https_qemu("http=sometimes")
        .timeout(Duration::from_secs(60))
        .run();
    console
        .assert_status(xenolith_tests::status::APP)
        .assert_console("http=sometimes is not understood");
}

#[test]
fn bad_input_never_stops_it_serving_others() {
    let ns = NetNs::new("httpsbad");
    let mut guest = https_guest(&ns, "");
    let python = |args: &[&str]| {
        let mut command = raw_client(&ns, true);
        command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        command.spawn().expect("start the raw client")
    };
    let check_served = |what: &str| {
        let out = curl(
            &ns,
            &["-o", "/dev/null", "-w", "%{http_code}", &url(443, "/")],
        );
        assert_eq!(out, "200", "not served {what}");
    };

    // Garbage instead of a ClientHello: the TLS handshake fails (an alert), the connection
    // closes; on the plain-HTTP port garbage gets one 400, then the close.
    let out = raw(&ns, false, &["garbage", NETNS_GUEST_IP, "443"]);
    assert!(out.contains("| then closed"), "{out}");
    assert!(
        !out.contains("HTTP/1.1"),
        "no HTTP before a handshake: {out}"
    );
    check_served("after garbage instead of a ClientHello");
    let out = raw(&ns, false, &["garbage", NETNS_GUEST_IP, "80"]);
    assert!(
        out.contains("answer: HTTP/1.1 400 Bad Request | then closed"),
        "{out}"
    );
    check_served("after garbage on port 80");

    // A client that stops halfway through the handshake: others are served meanwhile; the
    // server gives up on it after the header timeout (10 s; generous slack for TCG).
    let mut stall = python(&["handshake-stall", NETNS_GUEST_IP, "443"]);
    let mut lines = BufReader::new(stall.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "stalled");
    check_served("while a handshake stalls halfway");
    let start = Instant::now();
    let verdict = lines.next().unwrap().unwrap();
    assert!(verdict.contains("| then closed"), "{verdict}");
    assert!(start.elapsed() < Duration::from_secs(60), "{verdict}");
    let _ = stall.wait();

    // A client that stops halfway: others are served meanwhile; it gets 408 after the header
    // timeout (10 s; generous slack for TCG) and is closed.
    let mut stall = python(&["stall", NETNS_GUEST_IP, "443"]);
    let mut lines = BufReader::new(stall.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "stalled");
    check_served("while a client stalls halfway");
    let start = Instant::now();
    let verdict = lines.next().unwrap().unwrap();
    assert!(
        verdict.contains("HTTP/1.1 408 Request Timeout | then closed"),
        "{verdict}"
    );
    assert!(start.elapsed() < Duration::from_secs(60), "{verdict}");
    let _ = stall.wait();

    // More silent connections than the cap (64): others are still served, at once.
    let mut idle = python(&["idle", NETNS_GUEST_IP, "443", "100", "15"]);
    let mut lines = BufReader::new(idle.stdout.take().unwrap()).lines();
    let opened = lines.next().unwrap().unwrap();
    println!("{opened}");
    for i in 0..3 {
        check_served(&format!("while 100 connections sit idle (try {i})"));
    }
    check_served("on the redirect port too");
    let closed = lines.next().unwrap().unwrap();
    println!("{closed}");
    let _ = idle.wait();
    // The same on the redirect listener, which shares the cap.
    let mut idle = python(&["idle", NETNS_GUEST_IP, "80", "80", "5"]);
    let mut lines = BufReader::new(idle.stdout.take().unwrap()).lines();
    println!("port 80: {}", lines.next().unwrap().unwrap());
    check_served("while 80 connections sit idle on port 80");
    println!("port 80: {}", lines.next().unwrap().unwrap());
    let _ = idle.wait();

    // A client that half-closes after half a head: closed quietly.
    raw(&ns, false, &["send", NETNS_GUEST_IP, "80", "GET / HT"]);
    check_served("after a half-closed request");
    assert!(guest.is_running(), "{}", guest.console());
    let console = guest.stop();
    assert!(!console.contains("panicked"), "{console}");
}

#[test]
fn hosted_mode_serves_the_same_site() {
    let root = workspace_root();
    let ns = NetNs::new("httpshost");
    let binary = xenolith_tests::hosted_binary("https");
    let mut server = ns
        .command(binary.to_str().unwrap())
        .args([
            "--tap",
            "xtap0",
            "--ip",
            &format!("{NETNS_GUEST_IP}/24"),
            "--http",
            "serve",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the hosted https");
    let mut answered = None;
    for _ in 0..50 {
        let (ok, out) = ns.run(
            "curl",
            &["-sS", "--max-time", "2", &url(80, "/css/site.css")],
        );
        if ok {
            answered = Some(out);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = server.kill();
    let _ = server.wait();
    let css = std::fs::read_to_string(root.join("apps/https/www/css/site.css")).unwrap();
    assert_eq!(
        answered.as_deref(),
        Some(css.as_str()),
        "the hosted server never answered"
    );
}

#[test]
fn tls_13_and_12_with_the_images_certificate() {
    let ns = NetNs::new("httpstls");
    let mut guest = https_guest(&ns, "");
    let index =
        std::fs::read_to_string(workspace_root().join("apps/https/www/index.html")).unwrap();
    // curl, verifying the certificate against the CA file: TLS 1.3, then TLS 1.2 only.
    for (versions, expect) in [
        (&["--tlsv1.3"][..], "TLSv1.3"),
        (&["--tlsv1.2", "--tls-max", "1.2"][..], "TLSv1.2"),
    ] {
        let page = url(443, "/");
        let mut args = versions.to_vec();
        args.extend(["-v", page.as_str()]);
        let out = curl(&ns, &args);
        assert!(
            out.contains(&format!("SSL connection using {expect}")),
            "{out}"
        );
        assert!(out.contains("SSL certificate verify ok"), "{out}");
        assert!(out.ends_with(&index) || out.contains(&index), "{out}");
    }
    // openssl s_client completes a handshake, verifies the chain, and gets a page.
    let ca = ca_file();
    for version in ["-tls1_3", "-tls1_2"] {
        let mut command = ns.command("sh");
        command.args([
            "-c",
            &format!(
                "printf 'GET / HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | \
                 timeout 30 openssl s_client -connect {NETNS_GUEST_IP}:443 {version} \
                 -CAfile {ca} -verify_return_error -ign_eof 2>&1"
            ),
        ]);
        let out = command.output().expect("run openssl");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Verify return code: 0 (ok)"),
            "{version}: {text}"
        );
        assert!(text.contains("HTTP/1.1 200 OK"), "{version}: {text}");
    }
    assert!(guest.is_running(), "{}", guest.console());
    drop(guest.stop());

    // Another certificate handed over at boot as a module replaces the compiled-in one.
    let dir = temp_dir("https-identity");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let made = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "run",
            "--quiet",
            "-p",
            "tls-keygen",
            "--",
            "--name",
            "module.test",
        ])
        .args([
            "--ip",
            NETNS_GUEST_IP,
            "-o",
            dir.to_str().unwrap(),
            "--module",
        ])
        .status()
        .expect("run tls-keygen");
    assert!(made.success(), "tls-keygen failed");
    let ns = NetNs::new("httpsmod");
    let mut guest = https_qemu("")
        .initrd(dir.join("identity.bin"))
        .tap_nic()
        .spawn(Some(&ns));
    guest.wait_for("https::server: serving", Duration::from_secs(60));
    let module_ca = dir.join("cert.pem").display().to_string();
    let (ok, out) = ns.run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "30",
            "--cacert",
            &module_ca,
            &url(443, "/"),
        ],
    );
    assert!(
        ok && out == index,
        "the module's certificate is served: {out}"
    );
    let (ok, out) = ns.run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "30",
            "--cacert",
            &ca_file(),
            &url(443, "/"),
        ],
    );
    assert!(
        !ok,
        "the compiled-in certificate is no longer served: {out}"
    );
    drop(guest.stop());

    // A module that is not an identity, and a CPU without RDRAND: clear errors, the guest stops.
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"not an identity").unwrap();
    https_qemu("")
        .initrd(&garbage)
        .timeout(Duration::from_secs(60))
        .run()
        .assert_status(xenolith_tests::status::APP)
        .assert_console(
            "https: boot module 0 holds, at octet 0, something other than a compiled TLS identity",
        );
    Qemu::new(image("https"))
        .memory(32)
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .timeout(Duration::from_secs(60))
        .run()
        .assert_status(xenolith_tests::status::APP)
        .assert_console("random number generator");
}
