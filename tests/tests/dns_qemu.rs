//! The DNS unikernel under QEMU (virtio-net on a TAP in a private netns), queried with real
//! clients (`dig`, `kdig`) over UDP and TCP; a zone handed over as a boot module; malformed
//! packets that must not stop it.

use std::time::Duration;
use xenolith_tests::{
    NETNS_GUEST_IP, NETNS_GUEST_IP6, NetNs, Qemu, image, status, temp_dir, workspace_root,
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
