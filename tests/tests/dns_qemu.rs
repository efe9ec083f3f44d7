//! The DNS unikernel under QEMU (virtio-net on a TAP in a private netns), queried with real
//! clients (`dig`, `kdig`) over UDP and TCP; a zone handed over as a boot module; malformed
//! packets that must not stop it; response rate limiting under a spoofed flood beside
//! `dnsperf`; DNS cookies with `dig` and `kdig`.

use std::time::Duration;
use xenolith_tests::{
    NETNS_GUEST_IP, NETNS_GUEST_IP6, NETNS_HOST_IP, NETNS_TAP, NetNs, Qemu, client, image, status,
    temp_dir, workspace_root,
};

fn dns_guest(ns: &NetNs, module: Option<&std::path::Path>) -> xenolith_tests::RunningGuest {
    let mut qemu = Qemu::new(image("dns"))
        .memory(8)
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .tap_nic();
    if let Some(module) = module {
        qemu = qemu.initrd(module);
    }
    let mut guest = qemu.timeout(Duration::from_secs(300)).spawn(Some(ns));
    guest.wait_for("serving ", Duration::from_secs(60));
    guest
}

fn dig(ns: &NetNs, args: &[&str]) -> String {
    let server = format!("@{NETNS_GUEST_IP}");
    let mut all = vec![server.as_str(), "+time=3", "+tries=2"];
    all.extend_from_slice(args);
    let (ok, out) = ns.run("dig", &all);
    assert!(ok, "dig {args:?} failed: {out}");
    out
}

#[test]
fn answers_dig_and_kdig_over_udp_and_tcp() {
    let ns = NetNs::new("dns");
    let guest = dns_guest(&ns, None);
    for transport in ["+notcp", "+tcp"] {
        let out = dig(&ns, &[transport, "www.example.test", "A"]);
        assert!(
            out.contains("status: NOERROR") && out.contains("flags: qr aa"),
            "{out}"
        );
        assert!(out.contains("192.0.2.10"), "{out}");
        let out = dig(&ns, &[transport, "nothing-here.example.test", "A"]);
        assert!(
            out.contains("status: NXDOMAIN") && out.contains("SOA"),
            "{out}"
        );
        let out = dig(&ns, &[transport, "example.org", "A"]);
        assert!(out.contains("status: REFUSED"), "{out}");
    }
    let (ok, out) = ns.run(
        "kdig",
        &[&format!("@{NETNS_GUEST_IP}"), "+tcp", "example.test", "SOA"],
    );
    assert!(
        ok && out.contains("NOERROR") && out.contains("SOA"),
        "kdig: {out}"
    );
    drop(guest);
}

#[test]
fn answers_over_ipv6_as_over_ipv4() {
    let ns = NetNs::new("dns6");
    let mut guest = Qemu::new(image("dns"))
        .memory(8)
        .append(&format!("ip={NETNS_GUEST_IP}/24 ip6={NETNS_GUEST_IP6}/64"))
        .tap_nic()
        .timeout(Duration::from_secs(300))
        .spawn(Some(&ns));
    guest.wait_for("serving ", Duration::from_secs(60));
    let v4 = format!("@{NETNS_GUEST_IP}");
    let v6 = format!("@{NETNS_GUEST_IP6}");
    for question in [
        &["www.example.test", "A"][..],
        &["example.test", "SOA"],
        &["nothing-here.example.test", "A"],
        &["example.test", "NS"],
        &["example.org", "A"],
    ] {
        for transport in ["+notcp", "+tcp"] {
            let ask = |server: &str, family: &str| {
                let mut args = vec![family, server, transport, "+time=3", "+tries=2"];
                args.extend(["+noall", "+comments", "+answer", "+authority"]);
                args.extend_from_slice(question);
                let (ok, out) = ns.run("dig", &args);
                assert!(ok, "dig {args:?}: {out}\n{}", guest.console());
                // The header's id differs; the rest (status, flags, counts, records) must not.
                out.lines()
                    .map(|line| line.split(", id:").next().unwrap_or(line).to_owned())
                    .filter(|line| !line.trim().is_empty())
                    .collect::<Vec<_>>()
            };
            let (over4, over6) = (ask(&v4, "-4"), ask(&v6, "-6"));
            assert!(
                !over6.is_empty(),
                "{question:?} {transport}: no answer over IPv6"
            );
            assert_eq!(over4, over6, "{question:?} {transport}");
        }
    }
    let (ok, out) = ns.run("kdig", &[&v6, "+tcp", "www.example.test", "A"]);
    assert!(ok && out.contains("192.0.2.10"), "kdig -6: {out}");
    drop(guest);
}

#[test]
fn serves_a_zone_from_a_boot_module_and_refuses_a_bad_one() {
    let dir = temp_dir("dns-module");
    let zone = dir.join("other.zone");
    std::fs::write(
        &zone,
        "$ORIGIN other.test.\n$TTL 60\n@ IN SOA ns hostmaster 1 3600 600 86400 30\n  IN NS ns\nns IN A 192.0.2.53\nhost IN A 198.51.100.7\n",
    )
    .unwrap();
    let blob = dir.join("zones.bin");
    let compiled =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(workspace_root())
            .args(["run", "--quiet", "--release", "-p", "dns-zone", "--", "-o"])
            .arg(&blob)
            .arg(&zone)
            .status()
            .expect("run dns-zone");
    assert!(compiled.success());
    let ns = NetNs::new("dnsmod");
    let guest = dns_guest(&ns, Some(&blob));
    let out = dig(&ns, &["host.other.test", "A"]);
    assert!(out.contains("198.51.100.7"), "{out}");
    let out = dig(&ns, &["www.example.test", "A"]);
    assert!(
        out.contains("status: REFUSED"),
        "the built-in zone must be replaced: {out}"
    );
    drop(guest);

    // A module that is not a compiled zone set: a clear error and the guest stops (no hang).
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"this is not a compiled zone set").unwrap();
    let run = Qemu::new(image("dns"))
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .initrd(&garbage)
        .run();
    run.assert_status(status::APP).assert_console(
        "dns: boot module 0 holds, at octet 0, something other than a compiled zone set",
    );

    // A compiled zone set damaged after its header: its own loader refuses it.
    let damaged = dir.join("damaged.bin");
    let mut bytes = std::fs::read(&blob).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&damaged, &bytes).unwrap();
    Qemu::new(image("dns"))
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .initrd(&damaged)
        .run()
        .assert_status(status::APP)
        .assert_console("dns: the boot module is not a usable compiled zone set");
}

#[test]
fn malformed_packets_do_not_stop_it() {
    let ns = NetNs::new("dnsbad");
    let mut guest = dns_guest(&ns, None);
    let script = r#"
import socket, struct, sys
host = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
q = bytes.fromhex("1234010000010000000000000377777707657861 6d706c6504746573740000010001".replace(" ", ""))
bad = [b"", b"\x12", q[:11], q[:14], q[:12] + b"\x3f" + b"a" * 10,          # empty, short, label past end
       q[:12] + b"\xc0\x0c\x00\x01\x00\x01",                               # compression loop
       bytes([q[0], q[1], q[2] | 0x80]) + q[3:],                           # QR set
       q[:11] + b"\x01" + q[12:] + b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x04\x00\x0a\x00\x40",  # bad EDNS option
       bytes(range(256)) * 2]
for packet in bad * 20:
    s.sendto(packet, (host, 53))
    try: s.recvfrom(4096)
    except socket.timeout: pass
s.settimeout(3); s.sendto(q, (host, 53)); data, _ = s.recvfrom(4096)
assert data[:2] == q[:2] and data[3] & 0x0f == 0, data
print("still answering after", len(bad) * 20, "malformed packets")
"#;
    let (ok, out) = ns.run("/usr/bin/python3", &["-c", script, NETNS_GUEST_IP]);
    assert!(ok, "{out}\n{}", guest.console());
    assert!(
        guest.is_running(),
        "the server stopped:\n{}",
        guest.console()
    );
    println!("{out}");
}

/// The guest with its gateway on the namespace's side of the TAP (answers to the flood's
/// spoofed sources, outside the link, go there to be caught), `-cpu max` for RDRAND (the
/// cookie secret), and `words` on its command line.
fn guarded_guest(ns: &NetNs, words: &str) -> xenolith_tests::RunningGuest {
    let mut guest = Qemu::new(image("dns"))
        .memory(8)
        .append(&format!(
            "ip={NETNS_GUEST_IP}/24 gw={NETNS_HOST_IP} {words}"
        ))
        .arg("-cpu")
        .arg("max")
        .tap_nic()
        .timeout(Duration::from_secs(300))
        .spawn(Some(ns));
    guest.wait_for("serving ", Duration::from_secs(60));
    guest
}

/// A number from `dnsperf`'s report line `label N ...`.
fn dnsperf_number(out: &str, label: &str) -> u64 {
    out.lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in dnsperf's report:\n{out}"))
}

/// A field of the flood script's JSON line.
fn flood_number(json: &str, key: &str) -> f64 {
    let at = json
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {json}"));
    json[at + key.len() + 4..]
        .split([',', '}'])
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in {json}"))
}

/// A spoofed flood (3 s at 1000 queries a second for `example.test NS`, about 5 times larger
/// answered than asked, from 254 addresses of 10.66.5.0/24) while `dnsperf` asks from the
/// namespace's own address (10.66.0.1, another /24) at 40 queries a second. With `rrl=50
/// rrl-window=2` the flood's prefix gets at most 50 full answers a second after a burst of
/// 100; half the limited ones slip out truncated. Bounds are loose (a loaded machine slows the
/// guest, which then answers fewer); the amplification with RRL on and off is printed.
#[test]
fn rate_limiting_bounds_a_spoofed_flood_and_spares_other_clients() {
    let ns = NetNs::new("dnsrrl");
    let dir = temp_dir("dns-rrl");
    let queries = dir.join("queries");
    std::fs::write(&queries, "www.example.test A\n").unwrap();
    let flood = client("dns_spoofed_flood.py");
    let mut amplification = Vec::new();
    for words in ["rrl=50 rrl-window=2 rrl-slip=2", "rrl=0"] {
        let guest = guarded_guest(&ns, words);
        let limited = words != "rrl=0";
        let perf = ns
            .command("dnsperf")
            .args(["-s", NETNS_GUEST_IP, "-l", "4", "-Q", "40", "-d"])
            .arg(&queries)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start dnsperf");
        let (ok, json) = ns.run(
            "/usr/bin/python3",
            &[
                flood.to_str().unwrap(),
                NETNS_GUEST_IP,
                NETNS_TAP,
                "10.66.5",
                "3",
                "1000",
                "example.test",
                "NS",
            ],
        );
        let perf = perf.wait_with_output().expect("dnsperf");
        let perf = String::from_utf8_lossy(&perf.stdout).into_owned();
        let console = guest.stop();
        assert!(ok, "the flood failed: {json}\n{console}");
        let json = json.lines().last().unwrap_or_default();
        println!("{words}: flood {json}");
        let (queries, answers, truncated, factor) = (
            flood_number(json, "queries"),
            flood_number(json, "answers"),
            flood_number(json, "truncated"),
            flood_number(json, "amplification"),
        );
        assert!(queries > 1000.0, "the flood sent too little: {json}");
        // dnsperf, from another prefix, keeps its rate either way.
        let (sent, completed) = (
            dnsperf_number(&perf, "Queries sent:"),
            dnsperf_number(&perf, "Queries completed:"),
        );
        println!("{words}: dnsperf sent {sent}, completed {completed}");
        assert!(
            sent >= 100 && completed * 100 >= sent * 95,
            "{words}: dnsperf lost answers:\n{perf}\n{console}"
        );
        if limited {
            assert!(
                console.contains("rrl: 50 responses a second per /24 (IPv4) or /56 (IPv6)"),
                "{console}"
            );
            // At most 50 a second over the flood and the last second, a burst of 100, and
            // generous room for a slow clock.
            assert!(
                answers - truncated <= 2.0 * (100.0 + 50.0 * 4.0),
                "too many full answers: {json}"
            );
            assert!(truncated >= 10.0, "no slipped (TC) answers: {json}");
            assert!(factor < 1.0, "RRL on, yet amplified: {json}");
        } else {
            assert!(console.contains("rrl: off"), "{console}");
            assert!(
                truncated == 0.0 && factor > 2.0,
                "RRL off: every query answered in full: {json}"
            );
        }
        amplification.push((words, factor));
    }
    println!(
        "amplification (answer octets / query octets) under the spoofed flood: {amplification:?}"
    );
}

/// The `; COOKIE: HEX` that `dig` shows, and whether it marked it good.
fn dig_cookie(out: &str) -> (String, bool) {
    let line = out
        .lines()
        .find_map(|line| line.strip_prefix("; COOKIE: "))
        .unwrap_or_else(|| panic!("no COOKIE in dig's answer:\n{out}"));
    let hex = line
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    (hex, line.contains("(good)"))
}

/// `dig +cookie` learns a server cookie, which is good on the next query; a forged one gets
/// BADCOOKIE (with a fresh cookie); `kdig` likewise.
#[test]
fn cookies_with_dig_and_kdig() {
    let ns = NetNs::new("dnscookie");
    let guest = guarded_guest(&ns, "");
    let first = dig(&ns, &["+cookie", "www.example.test", "A"]);
    assert!(first.contains("status: NOERROR"), "{first}");
    let (cookie, good) = dig_cookie(&first);
    assert!(
        good && cookie.len() == 48,
        "client + server cookie: {first}"
    );
    let second = dig(
        &ns,
        &[&format!("+cookie={cookie}"), "www.example.test", "A"],
    );
    assert!(
        second.contains("status: NOERROR") && second.contains("192.0.2.10"),
        "{second}"
    );
    // A forged server cookie: the last octet of the hash changed.
    let last = u8::from_str_radix(&cookie[46..], 16).unwrap() ^ 0x5a;
    let forged = format!("{}{last:02x}", &cookie[..46]);
    let out = dig(
        &ns,
        &[
            &format!("+cookie={forged}"),
            "+nobadcookie",
            "www.example.test",
            "A",
        ],
    );
    assert!(out.contains("status: BADCOOKIE"), "{out}");
    let (fresh, _) = dig_cookie(&out);
    assert!(fresh.starts_with(&cookie[..16]) && fresh != forged, "{out}");
    // Over TCP the forged cookie is answered normally (the address is proven).
    let out = dig(
        &ns,
        &[
            &format!("+cookie={forged}"),
            "+tcp",
            "www.example.test",
            "A",
        ],
    );
    assert!(out.contains("status: NOERROR"), "{out}");

    let server = format!("@{NETNS_GUEST_IP}");
    let kdig = |args: &[&str]| {
        let mut all = vec![server.as_str(), "+time=3", "+retry=1"];
        all.extend_from_slice(args);
        let (ok, out) = ns.run("kdig", &all);
        assert!(ok, "kdig {args:?}: {out}");
        out
    };
    let out = kdig(&["+cookie", "www.example.test", "A"]);
    let cookie = out
        .lines()
        .find_map(|line| line.trim().strip_prefix(";; COOKIE: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no COOKIE in kdig's answer:\n{out}"))
        .to_owned();
    assert!(out.contains("NOERROR") && cookie.len() == 48, "{out}");
    let out = kdig(&[&format!("+cookie={cookie}"), "www.example.test", "A"]);
    assert!(
        out.contains("NOERROR") && out.contains("192.0.2.10"),
        "{out}"
    );
    let forged = format!("{}00000000", &cookie[..40]);
    let out = kdig(&[
        &format!("+cookie={forged}"),
        "+nobadcookie",
        "www.example.test",
        "A",
    ]);
    assert!(out.contains("BADCOOKIE"), "{out}");
    let console = guest.stop();
    assert!(!console.contains("cookies: off"), "{console}");
}
