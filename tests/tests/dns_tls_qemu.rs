//! The DNS-over-TLS unikernel (`dns-tls`) under QEMU (`-cpu max` for RDRAND; virtio-net on a
//! TAP in a private netns): `kdig +tls` checks the certificate and gets the right answers on
//! port 853, plain UDP and TCP on port 53 still answer; garbage instead of a ClientHello, a
//! client that stops halfway through the handshake and a crowd of idle TLS connections do
//! not stop it answering others; boot modules (a zone set and an identity, back to back)
//! replace the built-in ones, and bad ones stop the guest with a clear error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use xenolith_tests::{
    NETNS_GUEST_IP, NETNS_GUEST_IP6, NetNs, Qemu, RunningGuest, image, status, temp_dir,
    workspace_root,
};

/// The self-signed certificate compiled into the image.
fn builtin_cert() -> PathBuf {
    workspace_root().join("apps/dns-tls/tls/cert.pem")
}

fn qemu() -> Qemu {
    Qemu::new(image("dns-tls")).arg("-cpu").arg("max")
}

fn guest(ns: &NetNs, module: Option<&Path>) -> RunningGuest {
    let mut qemu = qemu()
        .memory(16)
        .append(&format!("ip={NETNS_GUEST_IP}/24 ip6={NETNS_GUEST_IP6}/64"))
        .tap_nic()
        .timeout(Duration::from_secs(600));
    if let Some(module) = module {
        qemu = qemu.initrd(module);
    }
    let mut guest = qemu.spawn(Some(ns));
    guest.wait_for("serving ", Duration::from_secs(60));
    guest
}

/// `kdig @GUEST ARGS` in the namespace: (success, output).
fn kdig(ns: &NetNs, args: &[&str]) -> (bool, String) {
    let server = format!("@{NETNS_GUEST_IP}");
    let mut all = vec![server.as_str(), "+time=5", "+retry=1"];
    all.extend_from_slice(args);
    ns.run("kdig", &all)
}

fn cargo_run(args: &[&str]) {
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(workspace_root())
            .args(["run", "--quiet", "--release"])
            .args(args)
            .status()
            .expect("run cargo");
    assert!(status.success(), "cargo run {args:?} failed");
}

#[test]
fn dns_over_tls_over_ipv6() {
    let ns = NetNs::new("dot6");
    let guest = guest(&ns, None);
    let ca = format!("+tls-ca={}", builtin_cert().display());
    let server = format!("@{NETNS_GUEST_IP6}");
    for args in [
        &[
            &ca[..],
            "+tls-hostname=example.test",
            "www.example.test",
            "A",
        ][..],
        &["+notcp", "www.example.test", "A"],
        &["+tcp", "www.example.test", "A"],
    ] {
        let mut all = vec!["-6", server.as_str(), "+time=5", "+retry=1"];
        all.extend_from_slice(args);
        let (ok, out) = ns.run("kdig", &all);
        assert!(
            ok && out.contains("192.0.2.10") && out.contains("status: NOERROR"),
            "kdig {all:?}:\n{out}\n{}",
            guest.console()
        );
    }
    drop(guest);
}

#[test]
fn kdig_over_tls_gets_answers_and_plain_dns_still_works() {
    let ns = NetNs::new("dot");
    let guest = guest(&ns, None);
    let ca = format!("+tls-ca={}", builtin_cert().display());
    // The certificate is checked against the name asked for, and against the address.
    for name_check in ["+tls-hostname=example.test", "+tls-hostname=localhost", ""] {
        let mut args = vec![ca.as_str(), "www.example.test", "A"];
        if !name_check.is_empty() {
            args.push(name_check);
        }
        let (ok, out) = kdig(&ns, &args);
        assert!(
            ok && out.contains("TLS session (TLS1.3)") && out.contains("192.0.2.10"),
            "kdig {args:?}:\n{out}\n{}",
            guest.console()
        );
        assert!(
            out.contains("status: NOERROR") && out.contains("Flags: qr aa"),
            "{out}"
        );
    }
    // A name the certificate does not carry: kdig refuses the server (the check is real).
    let (ok, out) = kdig(
        &ns,
        &[&ca, "+tls-hostname=wrong.test", "www.example.test", "A"],
    );
    assert!(
        !ok || !out.contains("192.0.2.10"),
        "a wrong name was accepted:\n{out}"
    );
    // Several queries on one TLS connection, and the negative answers.
    let (ok, out) = kdig(
        &ns,
        &[
            &ca,
            "+keepopen",
            "nothing-here.example.test",
            "A",
            "example.org",
            "A",
            "example.test",
            "MX",
        ],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("status: NXDOMAIN")
            && out.contains("status: REFUSED")
            && out.contains("10 mail.example.test."),
        "{out}"
    );
    // Opportunistic TLS (no certificate check), as `kdig +tls` does by default.
    let (ok, out) = kdig(&ns, &["+tls", "www.example.test", "AAAA"]);
    assert!(ok && out.contains("2001:db8::10"), "{out}");
    // Port 53 is still plain DNS, over UDP and TCP.
    for transport in ["+notcp", "+tcp"] {
        let (ok, out) = kdig(&ns, &[transport, "www.example.test", "A"]);
        assert!(
            ok && out.contains("192.0.2.10") && out.contains("status: NOERROR"),
            "{transport}: {out}"
        );
    }
    guest.stop();
}

/// Holds bad TLS clients open on port 853 while kdig asks over DoT and UDP; exits non-zero
/// with a reason when an answer is missing.
const BAD_CLIENTS: &str = r#"
import os, socket, ssl, subprocess, sys, time
host, ca = sys.argv[1], sys.argv[2]

def kdig(*args, timeout="5"):
    out = subprocess.run(["kdig", "@" + host, "+time=" + timeout, "+retry=0", *args],
                         capture_output=True, text=True)
    return out.stdout + out.stderr

def check(what, out, want="192.0.2.10"):
    if want not in out:
        sys.exit(f"{what}: no answer while bad clients are connected:\n{out}")
    print(f"{what}: answered")

def dot(what, within=0):
    # within: keep asking for this many seconds (a refused or unanswered attempt is retried).
    deadline = time.time() + within
    while True:
        out = kdig("+tls-ca=" + ca, "+tls-hostname=example.test", "www.example.test", "A")
        if "192.0.2.10" in out or time.time() > deadline:
            return check(what + " (DoT)", out)
        time.sleep(0.5)

def udp(what):
    check(what + " (UDP)", kdig("+notcp", "www.example.test", "A"))

# 1. Garbage instead of a ClientHello: a plain DNS-over-TCP query, and random octets. The
#    server answers with an alert (content type 21) or closes; it never answers the query.
query = bytes.fromhex("001d1234010000010000000000000377777707657861" "6d706c6504746573740000010001")
for payload in [query, os.urandom(600), b"\x16\x03\x01\x00\x05hello"]:
    s = socket.create_connection((host, 853), timeout=20)
    s.sendall(payload)
    try:
        reply = s.recv(64)
    except socket.timeout:
        sys.exit(f"garbage {payload[:8].hex()}: neither an alert nor a close within 20 s")
    if reply and reply[0] != 21:
        sys.exit(f"garbage {payload[:8].hex()}: got {reply.hex()}, not an alert")
    s.close()
print("garbage: alerts or closes")
dot("after garbage")

# 2. Clients that stop halfway: a real ClientHello, the server's flight read, then silence.
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
halfway = []
for _ in range(3):
    s = socket.create_connection((host, 853), timeout=20)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="example.test")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    s.sendall(outgoing.read())
    flight = s.recv(16384)
    if not flight or flight[0] != 22:
        sys.exit(f"halfway: the server's flight is {flight[:8].hex()}, not a handshake record")
    halfway.append(s)
print("halfway: 3 clients stopped after the server's flight")

# 3. Idle connections that never say anything, below the connection cap (32, shared).
idle = [socket.create_connection((host, 853), timeout=20) for _ in range(20)]
print(f"idle: {len(idle)} connections open")
dot("with 23 stalled TLS clients")
udp("with 23 stalled TLS clients")

# 4. Beyond the cap: connections wait in the listen backlog (8), and beyond that the stack
#    refuses them. UDP goes on at once; DoT resumes once the stalled handshakes time out
#    (10 s) and free their slots.
refused = 0
for _ in range(20):
    try:
        idle.append(socket.create_connection((host, 853), timeout=20))
    except ConnectionRefusedError:
        refused += 1
print(f"beyond the cap: {len(idle) - 20} more connected, {refused} refused")
udp("beyond the connection cap")
started = time.time()
dot("beyond the connection cap, after the handshake timeout", within=40)
print(f"DoT answered {time.time() - started:.1f} s after the cap was exceeded")
for s in halfway + idle:
    s.close()
time.sleep(1)
dot("after the bad clients left")
udp("after the bad clients left")
"#;

#[test]
fn bad_tls_clients_do_not_stop_it() {
    let ns = NetNs::new("dotbad");
    let mut guest = guest(&ns, None);
    let (ok, out) = ns.run(
        "/usr/bin/python3",
        &[
            "-c",
            BAD_CLIENTS,
            NETNS_GUEST_IP,
            builtin_cert().to_str().unwrap(),
        ],
    );
    assert!(ok, "{out}\n--- console ---\n{}", guest.console());
    assert!(
        guest.is_running(),
        "the server stopped:\n{}",
        guest.console()
    );
    println!("{out}");
}

#[test]
fn boot_modules_replace_the_zones_and_the_identity() {
    let dir = temp_dir("dns-tls-module");
    let zone = dir.join("other.zone");
    std::fs::write(
        &zone,
        "$ORIGIN other.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 3600 600 86400 30\n  IN NS ns\nns IN A 192.0.2.53\nhost IN A 198.51.100.7\n",
    )
    .unwrap();
    let zones = dir.join("zones.bin");
    cargo_run(&[
        "-p",
        "dns-zone",
        "--",
        "-o",
        zones.to_str().unwrap(),
        zone.to_str().unwrap(),
    ]);
    cargo_run(&[
        "-p",
        "tls-keygen",
        "--",
        "--name",
        "module.test",
        "--ip",
        NETNS_GUEST_IP,
        "--days",
        "2",
        "--module",
        "-o",
        dir.to_str().unwrap(),
    ]);
    // One module holding both blobs, back to back (QEMU's PVH loader takes one -initrd).
    let both = dir.join("both.bin");
    let blob = [
        std::fs::read(dir.join("identity.bin")).unwrap(),
        std::fs::read(&zones).unwrap(),
    ]
    .concat();
    std::fs::write(&both, blob).unwrap();

    let ns = NetNs::new("dotmod");
    let mut guest = guest(&ns, Some(&both));
    guest.wait_for(
        "zones (from the boot module): other.test.",
        Duration::from_secs(1),
    );
    guest.wait_for(
        "TLS identity (from the boot module)",
        Duration::from_secs(1),
    );
    let ca = format!("+tls-ca={}", dir.join("cert.pem").display());
    let (ok, out) = kdig(
        &ns,
        &[&ca, "+tls-hostname=module.test", "host.other.test", "A"],
    );
    assert!(
        ok && out.contains("198.51.100.7"),
        "{out}\n{}",
        guest.console()
    );
    let builtin = format!("+tls-ca={}", builtin_cert().display());
    let (ok, out) = kdig(
        &ns,
        &[
            &builtin,
            "+tls-hostname=example.test",
            "host.other.test",
            "A",
        ],
    );
    assert!(
        !ok || !out.contains("198.51.100.7"),
        "the built-in certificate must be replaced:\n{out}"
    );
    let (ok, out) = kdig(&ns, &["+notcp", "www.example.test", "A"]);
    assert!(
        ok && out.contains("status: REFUSED"),
        "the built-in zones must be replaced:\n{out}"
    );
    guest.stop();

    // Bad modules: a clear error, and the guest stops (exit 9) instead of serving or hanging.
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"this is neither a zone set nor an identity").unwrap();
    let damaged = dir.join("damaged.bin");
    let mut identity = std::fs::read(dir.join("identity.bin")).unwrap();
    let last = identity.len() - 1;
    identity[last] ^= 0xff;
    std::fs::write(&damaged, identity).unwrap();
    let cut = dir.join("cut.bin");
    let zones_blob = std::fs::read(&zones).unwrap();
    std::fs::write(&cut, &zones_blob[..zones_blob.len() / 2]).unwrap();
    let twice = dir.join("twice.bin");
    std::fs::write(&twice, [zones_blob.clone(), zones_blob].concat()).unwrap();
    for (module, message) in [
        (&garbage, "neither a compiled zone set"),
        (&damaged, "the boot module's TLS identity is unusable"),
        (&cut, "ends inside the compiled blob"),
        (&twice, "two compiled zone sets"),
    ] {
        qemu()
            .append(&format!("ip={NETNS_GUEST_IP}/24"))
            .initrd(module)
            .timeout(Duration::from_secs(120))
            .run()
            .assert_status(status::APP)
            .assert_console(message);
    }
}

#[test]
fn refuses_to_start_without_rdrand() {
    // QEMU's default CPU model has no RDRAND.
    Qemu::new(image("dns-tls"))
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .timeout(Duration::from_secs(120))
        .run()
        .assert_status(status::APP)
        .assert_console("TLS refuses to start without a working random number generator");
}
