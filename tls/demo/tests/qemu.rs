//! The TLS demo image under QEMU: real clients (`openssl s_client`, `curl`) complete TLS 1.3
//! and 1.2 handshakes with every suite and both groups; garbage gets an alert; the image
//! refuses to start without RDRAND or with a damaged identity module, and serves the identity
//! a good module carries.
//!
//! Needs root (a private network namespace with a TAP device), QEMU, openssl and curl; run
//! with `cargo test -p tls-demo --test qemu`.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use xenolith_tests::{NETNS_GUEST_IP, NETNS_HOST_IP, NetNs, Qemu, RunningGuest, image, status};

const SERVING: &str = "serving TLS 1.3/1.2 on port 443";

fn guest(ns: &NetNs, module: Option<&std::path::Path>) -> RunningGuest {
    let mut qemu = Qemu::new(image("tls-demo"))
        .arg("-cpu")
        .arg("max")
        .append(&format!("ip={NETNS_GUEST_IP}/24 gw={NETNS_HOST_IP}"))
        .tap_nic()
        .timeout(Duration::from_secs(300));
    if let Some(module) = module {
        qemu = qemu.initrd(module);
    }
    let mut guest = qemu.spawn(Some(ns));
    guest.wait_for(SERVING, Duration::from_secs(60));
    guest
}

/// `openssl s_client ARGS` in the namespace, sending an HTTP request; its output.
fn s_client(ns: &NetNs, args: &[&str]) -> String {
    let connect = format!("{NETNS_GUEST_IP}:443");
    let mut child = ns
        .command("openssl")
        .args(["s_client", "-connect", &connect, "-ign_eof"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl (apt-get install openssl)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn openssl_and_curl_handshake_with_every_suite_and_group() {
    let ns = NetNs::new("tls");
    let guest = guest(&ns, None);
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_128_GCM_SHA256",
                "-groups",
                "X25519",
            ],
            "TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256",
            "X25519",
        ),
        (
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_AES_256_GCM_SHA384",
                "-groups",
                "P-256",
            ],
            "TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384",
            "prime256v1",
        ),
        (
            &[
                "-tls1_3",
                "-ciphersuites",
                "TLS_CHACHA20_POLY1305_SHA256",
                "-groups",
                "X25519",
            ],
            "TLSv1.3, Cipher is TLS_CHACHA20_POLY1305_SHA256",
            "X25519",
        ),
        (
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-GCM-SHA256",
                "-groups",
                "P-256",
            ],
            "TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256",
            "prime256v1",
        ),
        (
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "-groups",
                "X25519:P-256",
            ],
            "TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384",
            "X25519",
        ),
        (
            &[
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                "-groups",
                "P-256",
            ],
            "TLSv1.2, Cipher is ECDHE-ECDSA-CHACHA20-POLY1305",
            "prime256v1",
        ),
    ];
    // (In TLS 1.2 the groups also name the curves the client accepts in ECDSA certificates:
    // a client offering X25519 alone cannot take our P-256 certificate.)
    for (args, cipher, group) in cases {
        let out = s_client(&ns, args);
        assert!(
            out.contains(cipher),
            "{args:?}: no {cipher:?}\n{out}\n{}",
            guest.console()
        );
        assert!(
            out.contains(group),
            "{args:?}: key exchange not {group}\n{out}"
        );
        assert!(
            out.contains("hello from xenolith"),
            "{args:?}: no response\n{out}"
        );
    }
    // curl checks the certificate against the demo's own (self-signed) certificate.
    let cert = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("identity/cert.pem");
    let (ok, out) = ns.run(
        "curl",
        &[
            "-sS",
            "--max-time",
            "30",
            "--cacert",
            cert.to_str().unwrap(),
            &format!("https://{NETNS_GUEST_IP}/"),
        ],
    );
    assert!(ok && out.contains("hello from xenolith"), "curl: {out}");
    // An RSA-only client: no suite in common, a handshake_failure alert.
    let out = s_client(&ns, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"]);
    assert!(out.contains("alert handshake failure"), "{out}");
    // Plain HTTP on the TLS port: an alert record (type 21), and the server carries on.
    let script = format!(
        "import socket; s = socket.create_connection(('{NETNS_GUEST_IP}', 443), timeout=20); \
         s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); print(s.recv(16).hex())"
    );
    let (ok, out) = ns.run("python3", &["-c", &script]);
    assert!(ok && out.trim().starts_with("15"), "plain HTTP got {out}");
    let out = s_client(&ns, &["-tls1_3"]);
    assert!(out.contains("hello from xenolith"), "after garbage: {out}");
    guest.stop();
}

#[test]
fn refuses_to_start_without_rdrand() {
    // QEMU's default CPU model has no RDRAND.
    Qemu::new(image("tls-demo"))
        .timeout(Duration::from_secs(120))
        .run()
        .assert_status(status::APP)
        .assert_console("TLS refuses to start without a working random number generator");
}

#[test]
fn damaged_identity_module_is_refused() {
    let dir = xenolith_tests::temp_dir("tls-demo-bad-module");
    let module = dir.join("identity.bin");
    std::fs::write(&module, b"XTLS\x00\x01 this is not a compiled identity").unwrap();
    Qemu::new(image("tls-demo"))
        .arg("-cpu")
        .arg("max")
        .initrd(&module)
        .timeout(Duration::from_secs(120))
        .run()
        .assert_status(status::APP)
        .assert_console("the compiled certificate and key are unusable");
}

#[test]
fn identity_from_a_boot_module_is_served() {
    let dir = xenolith_tests::temp_dir("tls-demo-module");
    let made = tls_keygen::self_signed(&["module.test".into()], &[], 1).unwrap();
    let blob = tls_keygen::compile_pem(
        made.cert_pem.as_bytes(),
        made.key_pem.as_bytes(),
        "cert.pem",
        "key.pem",
    )
    .unwrap();
    let module = dir.join("identity.bin");
    std::fs::write(&module, blob).unwrap();
    let ns = NetNs::new("tlsmod");
    let mut guest = guest(&ns, Some(&module));
    guest.wait_for("identity boot module", Duration::from_secs(1));
    let out = s_client(&ns, &["-tls1_3"]);
    assert!(out.contains("CN = module.test"), "{out}");
    assert!(out.contains("hello from xenolith"), "{out}");
    guest.stop();
}
