//! Manifest errors, one by one: each names its field (and the option that set it) and says
//! what would be valid. (xen-config/tests/errors.rs: the command writes nothing when the
//! manifest is invalid.)

use xenolith_manifest::testing::{GOOD, check, with};
use xenolith_manifest::{Error, Overrides};

/// Asserts that `text` (+ `overrides`) fails on `field` with a message containing `hint`.
#[track_caller]
fn fails(text: &str, overrides: Overrides, field: &str, hint: &str) {
    match check(text, &overrides) {
        Err(Error::Field {
            field: f, problem, ..
        }) => {
            assert_eq!(f, field, "wrong field; problem: {problem}");
            assert!(
                problem.contains(hint),
                "the message for {field} lacks {hint:?}: {problem}"
            );
        }
        other => panic!("expected an error on {field}, got {other:?}"),
    }
}

#[test]
fn the_good_manifest_is_good() {
    let d = check(GOOD, &Overrides::default()).unwrap();
    assert_eq!(d.name, "dns");
    assert_eq!(d.memory_mib, 8);
    assert_eq!(d.command_line(), "");
}

#[test]
fn not_toml() {
    match check("[unikernel\nname = 1", &Overrides::default()) {
        Err(e @ Error::Toml { .. }) => assert!(e.to_string().contains("is not valid TOML")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_table_and_keys() {
    fails(
        &format!("{GOOD}\n[extras]\na = 1\n"),
        Overrides::default(),
        "[extras]",
        "[unikernel], [network], [boot], [data]",
    );
    fails(
        &with("memroy = 9"),
        Overrides::default(),
        "[unikernel] memroy",
        "memory",
    );
    fails(
        &GOOD.replace(
            "bridge = \"xenbr0\"",
            "bridge = \"xenbr0\"\naddress = \"x\"",
        ),
        Overrides::default(),
        "[[network]] address",
        "bridge, mac, ip, gw",
    );
    fails(
        &format!("{GOOD}\n[boot]\nramdisk = \"x\"\n"),
        Overrides::default(),
        "[boot] ramdisk",
        "module",
    );
}

#[test]
fn unikernel_table() {
    fails("", Overrides::default(), "[unikernel]", "is missing");
    fails(
        "unikernel = 3",
        Overrides::default(),
        "[unikernel]",
        "must be a table",
    );
    fails(
        "[unikernel]\nmemory = 8",
        Overrides::default(),
        "[unikernel] name",
        "is missing",
    );
}

#[test]
fn name() {
    for bad in [
        "",
        "-dns",
        ".dns",
        "my dns",
        "dns\"",
        "ünikernel",
        &"x".repeat(65),
    ] {
        fails(
            &GOOD.replace("\"dns\"", &format!("{bad:?}")),
            Overrides::default(),
            "[unikernel] name",
            "A-Z a-z 0-9 _ . -",
        );
    }
    fails(
        &GOOD.replace("\"dns\"", "7"),
        Overrides::default(),
        "[unikernel] name",
        "must be a string",
    );
    let o = Overrides {
        name: Some("bad name".into()),
        ..Overrides::default()
    };
    fails(
        GOOD,
        o,
        "[unikernel] name (from --name)",
        "got \"bad name\"",
    );
}

#[test]
fn memory() {
    fails(
        &GOOD.replace("memory = 8\n", ""),
        Overrides::default(),
        "[unikernel] memory",
        "is missing",
    );
    for bad in ["0", "3", "-8", "1048577"] {
        fails(
            &GOOD.replace("memory = 8", &format!("memory = {bad}")),
            Overrides::default(),
            "[unikernel] memory",
            "from 4 to 1048576",
        );
    }
    fails(
        &GOOD.replace("memory = 8", "memory = \"8\""),
        Overrides::default(),
        "[unikernel] memory",
        "must be a whole number",
    );
    let o = Overrides {
        memory: Some("2".into()),
        ..Overrides::default()
    };
    fails(GOOD, o, "[unikernel] memory (from --memory)", "got 2");
    let o = Overrides {
        memory: Some("lots".into()),
        ..Overrides::default()
    };
    assert!(matches!(check(GOOD, &o), Err(Error::Usage(m)) if m.contains("--memory")));
}

#[test]
fn vcpus() {
    fails(
        &with("vcpus = 2"),
        Overrides::default(),
        "[unikernel] vcpus",
        "only vcpus = 1",
    );
    fails(
        &with("vcpus = 0"),
        Overrides::default(),
        "[unikernel] vcpus",
        "only vcpus = 1",
    );
    assert_eq!(
        check(&with("vcpus = 1"), &Overrides::default())
            .unwrap()
            .vcpus,
        1
    );
}

#[test]
fn actions() {
    fails(
        &with("on_crash = \"explode\""),
        Overrides::default(),
        "[unikernel] on_crash",
        "coredump-restart",
    );
    fails(
        &with("on_poweroff = \"coredump-destroy\""),
        Overrides::default(),
        "[unikernel] on_poweroff",
        "libvirt allows it only in on_crash",
    );
    fails(
        &with("on_reboot = \"soft-reset\""),
        Overrides::default(),
        "[unikernel] on_reboot",
        "HVM",
    );
    let o = Overrides {
        on_crash: Some("Preserve".into()),
        ..Overrides::default()
    };
    fails(
        GOOD,
        o,
        "[unikernel] on_crash (from --on-crash)",
        "got \"Preserve\"",
    );
    let d = check(
        &with("on_crash = \"coredump-restart\""),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(d.on_crash.as_str(), "coredump-restart");
}

#[test]
fn cmdline() {
    fails(
        &with("cmdline = \"a\\nb\""),
        Overrides::default(),
        "[unikernel] cmdline",
        "printable ASCII",
    );
    fails(
        &with("cmdline = \"é\""),
        Overrides::default(),
        "[unikernel] cmdline",
        "printable ASCII",
    );
    let long = format!("cmdline = \"{}\"", "x".repeat(1100));
    fails(
        &with(&long),
        Overrides::default(),
        "[unikernel] cmdline",
        "keeps 1024",
    );
    let ip = GOOD.replace("bridge = \"xenbr0\"", "bridge = \"xenbr0\"\nip = \"dhcp\"");
    fails(
        &ip.replace("memory = 8", "memory = 8\ncmdline = \"ip=10.0.0.2/24\""),
        Overrides::default(),
        "[unikernel] cmdline",
        "keep it in [[network]] ip",
    );
}

#[test]
fn network() {
    fails(
        &format!("{GOOD}\n[[network]]\nbridge = \"xenbr1\"\n"),
        Overrides::default(),
        "[[network]]",
        "drives one",
    );
    fails(
        "network = 1\n[unikernel]\nname = \"a\"\nmemory = 8\n",
        Overrides::default(),
        "[[network]]",
        "double brackets",
    );
    fails(
        &GOOD.replace("bridge = \"xenbr0\"", "mac = \"00:16:3e:00:00:01\""),
        Overrides::default(),
        "[[network]] bridge",
        "is missing",
    );
    for bad in ["", "br,0", "a-very-long-bridge-name", "br=0", "br 0"] {
        fails(
            &GOOD.replace("\"xenbr0\"", &format!("{bad:?}")),
            Overrides::default(),
            "[[network]] bridge",
            "Linux interface name",
        );
    }
    let net = |line: &str| {
        GOOD.replace(
            "bridge = \"xenbr0\"",
            &format!("bridge = \"xenbr0\"\n{line}"),
        )
    };
    for bad in [
        "00:16:3e:00:00",
        "00:16:3e:00:00:0g",
        "01:16:3e:00:00:01",
        "00:00:00:00:00:00",
        "0:16:3e:00:00:01",
    ] {
        fails(
            &net(&format!("mac = {bad:?}")),
            Overrides::default(),
            "[[network]] mac",
            "six two-digit hex octets",
        );
    }
    for bad in [
        "10.0.0.2",
        "10.0.0.2/33",
        "10.0.0.2/024",
        "10.0.0/24",
        "DHCP",
    ] {
        fails(
            &net(&format!("ip = {bad:?}")),
            Overrides::default(),
            "[[network]] ip",
            "\"dhcp\" or an IPv4",
        );
    }
    for bad in [
        "10.0.0.0/24",
        "10.0.0.255/24",
        "127.0.0.1/8",
        "224.0.0.1/4",
        "0.0.0.0/0",
    ] {
        fails(
            &net(&format!("ip = {bad:?}")),
            Overrides::default(),
            "[[network]] ip",
            "not usable",
        );
    }
    fails(
        &net("ip = \"10.0.0.2/24\"\ngw = \"10.0.1.1\""),
        Overrides::default(),
        "[[network]] gw",
        "inside the interface's subnet",
    );
    fails(
        &net("ip = \"10.0.0.2/24\"\ngw = \"10.0.0.2\""),
        Overrides::default(),
        "[[network]] gw",
        "inside the interface's subnet",
    );
    fails(
        &net("ip = \"10.0.0.2/24\"\ngw = \"gateway\""),
        Overrides::default(),
        "[[network]] gw",
        "IPv4 address",
    );
    fails(
        &net("ip = \"dhcp\"\ngw = \"10.0.0.1\""),
        Overrides::default(),
        "[[network]] gw",
        "static address",
    );
    let d = check(
        &net("ip = \"10.0.0.2/24\"\ngw = \"10.0.0.1\"\nmac = \"00:16:3E:AA:bb:0c\""),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(d.command_line(), "ip=10.0.0.2/24 gw=10.0.0.1");
    assert_eq!(d.network.unwrap().mac.to_string(), "00:16:3e:aa:bb:0c");
}

#[test]
fn ipv6_network_fields() {
    let net = |lines: &str| format!("{GOOD}{lines}\n");
    let d = check(
        &net("ip = \"10.0.0.2/24\"\nip6 = \"2001:db8::53/64\"\ngw6 = \"fe80::1\""),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        d.command_line(),
        "ip=10.0.0.2/24 ip6=2001:db8::53/64 gw6=fe80::1"
    );
    let d = check(&net("ip6 = \"auto\""), &Overrides::default()).unwrap();
    assert_eq!(d.command_line(), "ip6=auto");
    for (lines, field, hint) in [
        (
            "ip6 = \"2001:db8::53\"",
            "[[network]] ip6",
            "no prefix length",
        ),
        ("ip6 = \"fe80::2/64\"", "[[network]] ip6", "link-local"),
        (
            "ip6 = \"2001:db8::zz/64\"",
            "[[network]] ip6",
            "not understood",
        ),
        (
            "ip6 = \"2001:db8::2/129\"",
            "[[network]] ip6",
            "from 1 to 128",
        ),
        (
            "ip6 = \"2001:db8::2/64\"\ngw6 = \"2001:db9::1\"",
            "[[network]] gw6",
            "link-local (fe80::/10) or on the prefix",
        ),
        (
            "ip6 = \"auto\"\ngw6 = \"fe80::1\"",
            "[[network]] gw6",
            "router advertisements",
        ),
        (
            "gw6 = \"fe80::1\"",
            "[[network]] gw6",
            "static IPv6 address",
        ),
    ] {
        fails(&net(lines), Overrides::default(), field, hint);
    }
    fails(
        &format!("{}ip6 = \"fd00::2/64\"\n", with("cmdline = \"ip6=auto\"")),
        Overrides::default(),
        "[unikernel] cmdline",
        "[[network]] ip6",
    );
    // --ip6 replaces the manifest's address and, without --gw6, its router.
    let o = Overrides {
        ip6: Some("fd00:1::5/64".into()),
        ..Overrides::default()
    };
    let d = check(&net("ip6 = \"2001:db8::53/64\"\ngw6 = \"fe80::1\""), &o).unwrap();
    assert_eq!(d.command_line(), "ip6=fd00:1::5/64");
    let o = Overrides {
        ip6: Some("fd00:1::5/64".into()),
        gw6: Some("fd00:2::1".into()),
        ..Overrides::default()
    };
    fails(&net(""), o, "[[network]] gw6 (from --gw6)", "on the prefix");
}

#[test]
fn network_overrides() {
    let hello = "[unikernel]\nname = \"hello\"\nmemory = 16\n";
    let o = Overrides {
        ip: Some("10.0.0.2/24".into()),
        ..Overrides::default()
    };
    fails(hello, o, "[[network]] ip (from --ip)", "pass --bridge");
    let o = Overrides {
        bridge: Some("xenbr0".into()),
        ip: Some("10.99.0.2/24".into()),
        ..Overrides::default()
    };
    let d = check(hello, &o).unwrap();
    assert_eq!(d.network.as_ref().unwrap().bridge, "xenbr0");
    assert_eq!(d.command_line(), "ip=10.99.0.2/24");
    let o = Overrides {
        ip: Some("10.0.0.2/24".into()),
        gw: Some("10.9.9.9".into()),
        ..Overrides::default()
    };
    fails(GOOD, o, "[[network]] gw (from --gw)", "subnet");
}

#[test]
fn boot_module_and_data() {
    fails(
        &format!("{GOOD}\n[boot]\nmodule = \"absent.bin\"\n"),
        Overrides::default(),
        "[boot] module",
        "is not a file",
    );
    fails(
        &format!("{GOOD}\n[boot]\nmodule = \"www\"\n"),
        Overrides::default(),
        "[boot] module",
        "is not a file",
    );
    let d = check(
        &format!("{GOOD}\n[boot]\nmodule = \"present.bin\"\n"),
        &Overrides::default(),
    )
    .unwrap();
    assert!(d.module.unwrap().ends_with("present.bin"));
    fails(
        &format!("{GOOD}\n[data]\nzones = [\"present.bin\", \"absent.zone\"]\n"),
        Overrides::default(),
        "[data] zones",
        "\"absent.zone\" does not exist",
    );
    fails(
        &format!("{GOOD}\n[data]\nport = 443\n"),
        Overrides::default(),
        "[data] port",
        "a path or a list of paths",
    );
    fails(
        &format!("{GOOD}\n[data]\nzones = [1]\n"),
        Overrides::default(),
        "[data] zones",
        "a path or a list of paths",
    );
    // App-specific keys are accepted as long as they name existing paths.
    let d = check(
        &format!("{GOOD}\n[data]\nroot = \"www\"\ncert = \"present.bin\"\n"),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(d.data.len(), 2);
}

#[test]
fn generated_macs_are_stable_and_distinct() {
    let a = xenolith_manifest::Mac::generated("dns", 0);
    assert_eq!(a, xenolith_manifest::Mac::generated("dns", 0));
    assert_eq!(&a.0[..3], &[0x00, 0x16, 0x3e]);
    assert_ne!(a, xenolith_manifest::Mac::generated("echo", 0));
    assert_ne!(a, xenolith_manifest::Mac::generated("dns", 1));
    // Pinned: a change would give every deployed guest a new MAC.
    assert_eq!(a.to_string(), "00:16:3e:96:4c:bc");
}

#[test]
fn a_new_address_drops_the_manifests_gateway_unless_one_is_given() {
    let manifest = GOOD.replace(
        "bridge = \"xenbr0\"\n",
        "bridge = \"xenbr0\"\nip = \"192.0.2.53/24\"\ngw = \"192.0.2.1\"\n",
    );
    let d = check(&manifest, &Overrides::default()).unwrap();
    assert_eq!(d.command_line(), "ip=192.0.2.53/24 gw=192.0.2.1");
    let moved = Overrides {
        ip: Some("10.99.0.2/24".into()),
        ..Overrides::default()
    };
    let d = check(&manifest, &moved).unwrap();
    assert_eq!(d.command_line(), "ip=10.99.0.2/24");
    let with_gateway = Overrides {
        ip: Some("10.99.0.2/24".into()),
        gw: Some("10.99.0.1".into()),
        ..Overrides::default()
    };
    let d = check(&manifest, &with_gateway).unwrap();
    assert_eq!(d.command_line(), "ip=10.99.0.2/24 gw=10.99.0.1");
    // A gateway alone must still fit the manifest's address.
    let stale = Overrides {
        gw: Some("10.99.0.1".into()),
        ..Overrides::default()
    };
    fails(
        &manifest,
        stale,
        "[[network]] gw (from --gw)",
        "inside the interface's subnet",
    );
}
