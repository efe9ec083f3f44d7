//! The echo unikernel under QEMU with virtio-net on a TAP device in a private network
//! namespace: ping, UDP echo, a 10 MB TCP echo with checksums, many connections at once, and
//! DHCP against dnsmasq. Talks to the guest with real clients (ping, a Python socket client).

use std::time::Duration;
use xenolith_tests::{
    DhcpServer, NETNS_GUEST_IP, NETNS_GUEST_IP6, NETNS_HOST_IP, NetNs, Qemu, client, image,
    leased_address,
};

fn echo_guest(ns: &NetNs, cmdline: &str) -> xenolith_tests::RunningGuest {
    let mut guest = Qemu::new(image("echo"))
        .append(cmdline)
        .tap_nic()
        .timeout(Duration::from_secs(300))
        .spawn(Some(ns));
    guest.wait_for("echo: serving", Duration::from_secs(60));
    guest
}

fn python(ns: &NetNs, args: &[&str]) -> String {
    let script = client("echo_client.py");
    let mut all = vec![script.to_str().unwrap()];
    all.extend_from_slice(args);
    let (ok, out) = ns.run("/usr/bin/python3", &all);
    assert!(ok, "echo client {args:?} failed: {out}");
    out
}

#[test]
fn ping_udp_and_a_10_mb_tcp_echo() {
    let ns = NetNs::new("echo");
    let guest = echo_guest(&ns, &format!("ip={NETNS_GUEST_IP}/24 gw={NETNS_HOST_IP}"));
    let (ok, out) = ns.run("ping", &["-c", "3", "-W", "5", NETNS_GUEST_IP]);
    assert!(ok, "ping failed: {out}\n{}", guest.console());
    println!("{out}");
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP, "7", "200"]));
    println!("{}", python(&ns, &["tcp", NETNS_GUEST_IP, "7", "10485760"]));
    println!(
        "{}",
        python(&ns, &["tcp", NETNS_GUEST_IP, "7", "100000", "20"])
    );
    drop(guest);
}

#[test]
fn dual_stack_ipv6_ping_udp_and_a_10_mb_tcp_echo() {
    let ns = NetNs::new("echo6");
    let guest = echo_guest(
        &ns,
        &format!("ip={NETNS_GUEST_IP}/24 ip6={NETNS_GUEST_IP6}/64"),
    );
    assert!(
        guest.console().contains(&format!("{NETNS_GUEST_IP6}/64")),
        "{}",
        guest.console()
    );
    // The link-local address (from the MAC 52:54:00:12:34:56) and the static one answer ping.
    for target in ["fe80::5054:ff:fe12:3456%xtap0", NETNS_GUEST_IP6] {
        let (ok, out) = ns.run("ping", &["-6", "-c", "3", "-W", "5", target]);
        assert!(ok, "ping -6 {target} failed: {out}\n{}", guest.console());
    }
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP6, "7", "200"]));
    println!(
        "{}",
        python(&ns, &["tcp", NETNS_GUEST_IP6, "7", "10485760"])
    );
    println!(
        "{}",
        python(&ns, &["tcp", NETNS_GUEST_IP6, "7", "100000", "10"])
    );
    // IPv4 still works beside it.
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP, "7", "20"]));
    drop(guest);
}

#[test]
fn ipv6_only_guest() {
    let ns = NetNs::new("echo6only");
    let guest = echo_guest(&ns, &format!("ip6={NETNS_GUEST_IP6}/64"));
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP6, "7", "20"]));
    println!("{}", python(&ns, &["tcp", NETNS_GUEST_IP6, "7", "100000"]));
    let (ok, out) = ns.run("ping", &["-c", "1", "-W", "2", NETNS_GUEST_IP]);
    assert!(!ok, "an IPv6-only guest answered IPv4 ping: {out}");
    drop(guest);
}

#[test]
fn slaac_address_from_radvd() {
    let ns = NetNs::new("slaac");
    let dir = xenolith_tests::temp_dir("radvd");
    let config = dir.join("radvd.conf");
    std::fs::write(
        &config,
        "interface xtap0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  \
         prefix fd00:66::/64 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 120; \
         AdvPreferredLifetime 60; };\n};\n",
    )
    .unwrap();
    let mut radvd = ns
        .command("radvd")
        .args(["--nodaemon", "-C"])
        .arg(&config)
        .args(["-p"])
        .arg(dir.join("radvd.pid"))
        .args(["-m", "stderr", "-d", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start radvd (./scripts/test installs it)");
    // No ip6=: IPv6 is SLAAC by default; IPv4 off so that the address it logs is the SLAAC one.
    let mut guest = Qemu::new(image("echo"))
        .append("ip=off")
        .tap_nic()
        .timeout(Duration::from_secs(300))
        .spawn(Some(&ns));
    // The modified EUI-64 of 52:54:00:12:34:56 on the advertised prefix.
    let slaac = "fd00:66::5054:ff:fe12:3456";
    guest.wait_for(
        &format!("SLAAC: address {slaac}/64"),
        Duration::from_secs(60),
    );
    guest.wait_for("echo: serving", Duration::from_secs(10));
    println!("{}", python(&ns, &["udp", slaac, "7", "20"]));
    println!("{}", python(&ns, &["tcp", slaac, "7", "100000"]));
    let _ = radvd.kill();
    let _ = radvd.wait();
    drop(guest);
}

#[test]
fn dhcp_lease_from_dnsmasq() {
    let ns = NetNs::new("dhcp");
    let _dhcp = DhcpServer::start(&ns);
    let mut guest = Qemu::new(image("echo"))
        .append("ip=dhcp")
        .tap_nic()
        .timeout(Duration::from_secs(300))
        .spawn(Some(&ns));
    guest.wait_for("DHCP: address 10.66.0.", Duration::from_secs(60));
    guest.wait_for("echo: serving", Duration::from_secs(10));
    let leased = leased_address(&guest.console()).expect("leased address on the console");
    let (ok, out) = ns.run("ping", &["-c", "2", "-W", "5", &leased]);
    assert!(ok, "ping {leased} failed: {out}");
    println!("{}", python(&ns, &["udp", &leased, "7", "20"]));
}

#[test]
fn virtio_net_on_the_pc_machine_too() {
    let ns = NetNs::new("pc");
    let mut guest = Qemu::new(image("echo"))
        .machine("pc")
        .append(&format!("ip={NETNS_GUEST_IP}/24"))
        .tap_nic()
        .timeout(Duration::from_secs(120))
        .spawn(Some(&ns));
    guest.wait_for("echo: serving", Duration::from_secs(60));
    let (ok, out) = ns.run("ping", &["-c", "2", "-W", "5", NETNS_GUEST_IP]);
    assert!(ok, "ping failed: {out}\n{}", guest.console());
    println!("{}", python(&ns, &["tcp", NETNS_GUEST_IP, "7", "1000000"]));
}

#[test]
fn hosted_mode_runs_the_same_code_on_a_tap_device() {
    let ns = NetNs::new("hosted");
    let binary = xenolith_tests::hosted_binary("echo");
    let mut server = ns
        .command(binary.to_str().unwrap())
        .args([
            "--tap",
            "xtap0",
            "--ip",
            &format!("{NETNS_GUEST_IP}/24"),
            "--gw",
            NETNS_HOST_IP,
            "--ip6",
            &format!("{NETNS_GUEST_IP6}/64"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the hosted echo");
    // The TAP device is up; wait until the hosted stack answers ARP/ping.
    let mut answered = false;
    for _ in 0..50 {
        if ns.run("ping", &["-c", "1", "-W", "1", NETNS_GUEST_IP]).0 {
            answered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answered, "the hosted echo never answered ping");
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP, "7", "100"]));
    println!("{}", python(&ns, &["tcp", NETNS_GUEST_IP, "7", "10485760"]));
    // The same process over IPv6 (--ip6).
    let (ok, out) = ns.run("ping", &["-6", "-c", "2", "-W", "2", NETNS_GUEST_IP6]);
    assert!(ok, "ping -6 to the hosted echo: {out}");
    println!("{}", python(&ns, &["udp", NETNS_GUEST_IP6, "7", "50"]));
    println!("{}", python(&ns, &["tcp", NETNS_GUEST_IP6, "7", "1048576"]));
    let _ = server.kill();
    let _ = server.wait();
}
