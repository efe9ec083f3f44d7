//! `dns-zone` on whole zone files: the good ones compile (and read back record for record);
//! each kind of error is reported with its file and line.

use std::path::{Path, PathBuf};
use std::process::Command;

use dns_zone::{ZoneFile, compile, parse};

fn dns_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch directory for this test binary's files.
fn scratch() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dns-zone-tests");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    dir
}

fn write(name: &str, text: &str) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, text).expect("write a zone file");
    path
}

fn file(path: &Path) -> ZoneFile {
    ZoneFile {
        path: path.to_path_buf(),
        origin: None,
    }
}

const HEAD: &str =
    "$ORIGIN err.test.\n$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n  NS ns\nns A 192.0.2.1\n";

/// Compiles `HEAD` + `body` (as `NAME.zone`) and returns the one error: (line, message).
fn error_of(name: &str, body: &str) -> (Option<usize>, String) {
    let path = write(&format!("{name}.zone"), &format!("{HEAD}{body}"));
    let err = compile(&[file(&path)]).expect_err("the zone should not compile");
    let d = err
        .diagnostics
        .first()
        .expect("at least one diagnostic")
        .clone();
    assert_eq!(
        d.file.as_deref(),
        Some(path.as_path()),
        "wrong file in {err}"
    );
    assert_eq!(err.diagnostics.len(), 1, "expected one error, got:\n{err}");
    let shown = err.to_string();
    if let Some(line) = d.line {
        assert!(
            shown.starts_with(&format!("{}:{line}: ", path.display())),
            "{shown}"
        );
    }
    (d.line, d.message)
}

#[track_caller]
fn assert_error(name: &str, body: &str, line: usize, needle: &str) {
    let (l, message) = error_of(name, body);
    assert_eq!(l, Some(line), "{name}: wrong line for: {message}");
    assert!(
        message.contains(needle),
        "{name}: '{message}' does not say '{needle}'"
    );
}

#[test]
fn the_shipped_zones_compile() {
    let mut files = vec![file(&dns_dir().join("zones/example.test.zone"))];
    for name in [
        "main.test.zone",
        "other.test.zone",
        "child.main.test.zone",
        "example.zone",
    ] {
        files.push(file(&dns_dir().join("tests/zones").join(name)));
    }
    let blob = compile(&files).unwrap_or_else(|e| panic!("{e}"));
    assert!(!blob.is_empty());
    let zone = parse(&files[0]).unwrap();
    assert_eq!(zone.name(), "example.test.");
    assert!(zone.records.len() > 30);
}

#[test]
fn records_in_wire_format_with_case_and_defaults() {
    let path = write(
        "good.test.zone",
        "; a zone exercising the syntax\n\
         $TTL 1h\n\
         @ IN SOA ns1 Host\\.Master ( 2024010101 ; serial\n\
                   2h 15m 2w\n\
                   5m )\n\
         \tNS ns1.good.test.\n\
         WWW 60 IN A 192.0.2.1\n\
         \tIN 120 AAAA 2001:db8::1\n\
         \tTXT \"a b\" c\n\
         txt TXT ( \"one\"\n  \"two\" )\n\
         @ MX 10 Mail\n\
         $ORIGIN sub.good.test.\n\
         x CNAME @\n\
         y 30 CH A 192.0.2.2\n",
    );
    // Class CH differs from the zone's (IN): an error, at the right line.
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, Some(15), "{err}");
    assert!(err.diagnostics[0].message.contains("class CH"), "{err}");

    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(" CH A", " A");
    std::fs::write(&path, text).unwrap();
    let zone = parse(&file(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(zone.apex, b"\x04good\x04test\x00");
    let r: Vec<_> = zone
        .records
        .iter()
        .map(|r| (r.owner.as_slice(), r.rtype, r.ttl, r.line))
        .collect();
    assert_eq!(
        r,
        [
            (&b"\x04good\x04test\x00"[..], 6, 3600, 3),
            (b"\x04good\x04test\x00", 2, 3600, 6),
            (b"\x03WWW\x04good\x04test\x00", 1, 60, 7),
            (b"\x03WWW\x04good\x04test\x00", 28, 120, 8),
            (b"\x03WWW\x04good\x04test\x00", 16, 3600, 9),
            (b"\x03txt\x04good\x04test\x00", 16, 3600, 10),
            (b"\x04good\x04test\x00", 15, 3600, 12),
            (b"\x01x\x03sub\x04good\x04test\x00", 5, 3600, 14),
            (b"\x01y\x03sub\x04good\x04test\x00", 1, 30, 15),
        ]
    );
    let soa = &zone.records[0].rdata;
    assert!(soa.starts_with(b"\x03ns1\x04good\x04test\x00\x0bHost.Master\x04good\x04test\x00"));
    assert_eq!(soa[soa.len() - 20..][..4], 2024010101u32.to_be_bytes());
    assert_eq!(soa[soa.len() - 4..], 300u32.to_be_bytes());
    assert_eq!(zone.records[4].rdata, b"\x03a b\x01c");
    assert_eq!(zone.records[5].rdata, b"\x03one\x03two");
    assert_eq!(
        zone.records[6].rdata,
        b"\x00\x0a\x04Mail\x04good\x04test\x00"
    );
    assert_eq!(zone.records[7].rdata, b"\x03sub\x04good\x04test\x00");
}

#[test]
fn origin_from_option_directive_or_file_name() {
    let body = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\n";
    let path = write("named.test.zone", body);
    assert_eq!(parse(&file(&path)).unwrap().name(), "named.test.");
    let path = write("db.other.test", body);
    assert_eq!(parse(&file(&path)).unwrap().name(), "other.test.");
    let given = ZoneFile {
        path: path.clone(),
        origin: Some("Given.Test".into()),
    };
    assert_eq!(parse(&given).unwrap().name(), "Given.Test.");
    let path = write(
        "whatever.txt",
        &format!("$TTL 60\n$ORIGIN from-directive.test.\n{body}"),
    );
    assert_eq!(parse(&file(&path)).unwrap().name(), "from-directive.test.");
    // Signers write no $ORIGIN and every owner in full: the SOA owner names the zone, not
    // the file name; a relative SOA owner leaves the file name, without `.signed`.
    let path = write(
        "example.test.zone.signed",
        "$TTL 60\nsigned.test. IN SOA ns.signed.test. h 1 2 3 4 5\nsigned.test. NS ns.signed.test.\nns.signed.test. A 192.0.2.1\n",
    );
    assert_eq!(parse(&file(&path)).unwrap().name(), "signed.test.");
    let path = write("plain.test.zone.signed", body);
    assert_eq!(parse(&file(&path)).unwrap().name(), "plain.test.");
    let path = write("db.plain.test.signed", body);
    assert_eq!(parse(&file(&path)).unwrap().name(), "plain.test.");
}

#[test]
fn include_files() {
    write(
        "inc-part.db",
        "www A 192.0.2.7\n$ORIGIN deeper.inc.test.\nx A 192.0.2.8\n",
    );
    write("inc-bad.db", "ok A 192.0.2.7\n\nbad A 300.1.1.1\n");
    let path = write(
        "inc.test.zone",
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\nns A 192.0.2.1\n$INCLUDE inc-part.db\nafter A 192.0.2.9\n",
    );
    let zone = parse(&file(&path)).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = zone
        .records
        .iter()
        .map(|r| dns_zone::name_to_text(&r.owner))
        .collect();
    assert_eq!(
        names[3..],
        ["www.inc.test.", "x.deeper.inc.test.", "after.inc.test."],
        "the included $ORIGIN must not leak back"
    );
    assert!(zone.records[3].file.ends_with("inc-part.db"));
    assert_eq!(zone.records[3].line, 1);

    // An error inside the included file names that file and its line.
    let path = write(
        "inc2.test.zone",
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\n$INCLUDE inc-bad.db\n",
    );
    let err = compile(&[file(&path)]).unwrap_err();
    let d = &err.diagnostics[0];
    assert!(d.file.as_ref().unwrap().ends_with("inc-bad.db"), "{err}");
    assert_eq!(d.line, Some(3), "{err}");
    // A missing included file: the $INCLUDE line.
    let path = write(
        "inc3.test.zone",
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\n\n$INCLUDE missing.db\n",
    );
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, Some(5), "{err}");
    assert!(err.to_string().contains("missing.db"), "{err}");
}

#[test]
fn syntax_errors_with_lines() {
    // HEAD is 5 lines: the body starts at line 6.
    assert_error(
        "paren",
        "www A 192.0.2.1\nx TXT ( \"a\"\n\"b\"\n",
        7,
        "never closed",
    );
    assert_error("close", "www A 192.0.2.1 )\n", 6, "')'");
    assert_error("quote", "\nx TXT \"abc\n", 7, "unterminated quoted string");
    assert_error("bad-a", "www A 192.0.2.300\n", 6, "not an IPv4 address");
    assert_error(
        "bad-aaaa",
        "www AAAA 2001:db8::g\n",
        6,
        "not an IPv6 address",
    );
    assert_error("bad-ttl", "www 12x A 192.0.2.1\n", 6, "not a valid TTL");
    assert_error("bad-dollar-ttl", "$TTL forever\n", 6, "not a valid TTL");
    assert_error(
        "unknown-type",
        "www IN AAA 192.0.2.1\n",
        6,
        "unknown record type 'AAA'",
    );
    assert_error("no-type", "www 300 IN\n", 6, "missing record type");
    assert_error("extra", "www A 192.0.2.1 192.0.2.2\n", 6, "extra data");
    assert_error("missing", "mx MX mail\n", 6, "preference");
    assert_error(
        "soa-fields",
        "\n\nx.y SOA ( a b\n 1 2 3 4 )\n",
        9,
        "missing minimum",
    );
    assert_error(
        "multi-line-field",
        "x MX (\n10\nbad..name )\n",
        8,
        "empty label",
    );
    assert_error(
        "label",
        &format!("{} A 192.0.2.1\n", "a".repeat(64)),
        6,
        "63",
    );
    assert_error(
        "long-name",
        &format!("{}A 192.0.2.1\n", "abcdefghi.".repeat(26)),
        6,
        "255",
    );
    assert_error(
        "txt-long",
        &format!("t TXT \"{}\"\n", "x".repeat(256)),
        6,
        "255",
    );
    assert_error(
        "directive",
        "$GENERATE 1-9 h$ A 192.0.2.$\n",
        6,
        "$GENERATE",
    );
    assert_error("unknown-directive", "$FOO bar\n", 6, "unknown directive");
    assert_error(
        "outside",
        "www.elsewhere.test. A 192.0.2.1\n",
        6,
        "outside the zone",
    );
    assert_error("second-soa", "\n@ SOA ns h 2 2 3 4 5\n", 7, "second SOA");
    assert_error(
        "soa-not-apex",
        "sub SOA ns h 1 2 3 4 5\n",
        6,
        "not at the zone apex",
    );
    assert_error(
        "generic",
        "g TYPE65534 \\# 3 abcd\n",
        6,
        "\\# says 3 octets",
    );
    assert_error("no-text-form", "g TYPE65534 abcd\n", 6, "\\#");
    assert_error("caa-tag", "c CAA 0 is-sue \"x\"\n", 6, "tag");
    assert_error("escape", "e\\999 A 192.0.2.1\n", 6, "above 255");
}

#[test]
fn zone_level_errors() {
    // No SOA at all: the file is named, there is no line.
    let path = write("nosoa.test.zone", "$TTL 60\nns A 192.0.2.1\n");
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, None);
    assert!(err.to_string().contains("no SOA"), "{err}");
    // No TTL anywhere.
    let path = write("nottl.test.zone", "@ SOA ns h 1 2 3 4 5\n");
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, Some(1), "{err}");
    assert!(err.to_string().contains("no TTL"), "{err}");
    // A blank-started first record has no owner.
    let path = write("noowner.test.zone", "$TTL 60\n  A 192.0.2.1\n");
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, Some(2), "{err}");
    // The same zone twice.
    let a = write("twice.test.zone", "$TTL 60\n@ SOA ns h 1 2 3 4 5\n NS ns\n");
    let b = write(
        "twice-again.zone",
        "$TTL 60\n$ORIGIN twice.test.\n@ SOA ns h 1 2 3 4 5\n NS ns\n",
    );
    let err = compile(&[file(&a), file(&b)]).unwrap_err();
    assert!(err.to_string().contains("already defined"), "{err}");
    // A file that does not exist.
    let err = compile(&[file(&scratch().join("does-not-exist.zone"))]).unwrap_err();
    assert!(err.to_string().contains("cannot read"), "{err}");
}

#[test]
fn every_error_of_a_file_is_reported() {
    let path = write(
        "many.test.zone",
        &format!("{HEAD}a A 1.2.3\nb A 192.0.2.1\nc MX x\nd BOGUS 1\n"),
    );
    let err = compile(&[file(&path)]).unwrap_err();
    let lines: Vec<_> = err.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [Some(6), Some(8), Some(9)], "{err}");
}

#[test]
fn builder_errors_name_the_record() {
    // CNAME and other data at the same name (RFC 1034 section 3.6.2) is the builder's to refuse.
    let (line, message) = error_of("cname-and-other", "www A 192.0.2.1\n\nwww CNAME ns\n");
    assert_eq!(line, Some(8), "{message}");
    assert!(
        message.contains("CNAME") && message.contains("the A record: line 6"),
        "{message}"
    );
    // Two CNAMEs at one name: the second one's line.
    assert_error(
        "two-cnames",
        "a CNAME ns\nb A 192.0.2.2\na CNAME b\n",
        8,
        "more than one CNAME",
    );
    // Only class IN is served.
    let path = write(
        "chaos.test.zone",
        "$TTL 60\n@ CH SOA ns h 1 2 3 4 5\n CH NS ns\n",
    );
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(err.diagnostics[0].line, Some(2), "{err}");
    assert!(err.to_string().contains("class"), "{err}");
    // No NS at the apex: the zone's file, no line.
    let path = write(
        "nons.test.zone",
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\nns A 192.0.2.1\n",
    );
    let err = compile(&[file(&path)]).unwrap_err();
    assert_eq!(
        err.diagnostics[0].file.as_deref(),
        Some(path.as_path()),
        "{err}"
    );
    assert_eq!(err.diagnostics[0].line, None, "{err}");
    assert!(err.to_string().contains("NS"), "{err}");
}

#[test]
fn command_line() {
    let exe = env!("CARGO_BIN_EXE_dns-zone");
    let good = dns_dir().join("zones/example.test.zone");
    let out = scratch().join("cli.bin");
    let _ = std::fs::remove_file(&out);
    let status = Command::new(exe)
        .arg("-o")
        .arg(&out)
        .arg(&good)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        compile(&[file(&good)]).unwrap()
    );

    let check = Command::new(exe)
        .arg("--check")
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let bad = write("cli-bad.test.zone", &format!("{HEAD}\nwww A 192.0.2.300\n"));
    let run = Command::new(exe).arg("--check").arg(&bad).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("{}:7: A record", bad.display())),
        "{stderr}"
    );

    let run = Command::new(exe).arg(&good).output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(2),
        "no -o and no --check is a usage error"
    );
    let run = Command::new(exe)
        .args(["--origin", "renamed.test", "--check"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "$ORIGIN example.test. then SOA is outside renamed.test."
    );
}
