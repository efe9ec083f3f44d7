//! Differential test: the same zones in Knot DNS (a reference authoritative server, run here as
//! an unprivileged child process on 127.0.0.1) and in `dns::respond`; the same query bytes to
//! both, over UDP and over TCP; the answers compared: RCODE, flags, the question, each section
//! as a multiset of records (owner without case; type, class, TTL and RDATA exactly), and the
//! OPT record (presence, version, extended RCODE, DO, options other than Extended DNS Errors;
//! not the payload size).
//!
//! The queries are `tests/queries.txt` (see its header) plus pseudo-random ones (fixed seed).
//! Knot DNS is needed: `apt-get install knot` (only `knotd` is used; no service is started).
//! A full report goes to `target/tmp/dns-differential.txt` (Cargo's `CARGO_TARGET_TMPDIR`).

mod common;

use common::TEST_ZONES;
use common::compare::{compare, query_file, random_cases};
use common::knot::{Knot, find_knotd};

#[test]
fn knot_and_dns_respond_agree() {
    let Some(knotd) = find_knotd() else {
        panic!(
            "Knot DNS (knotd) is not installed: this test compares dns::respond with it. \
             Install it with `apt-get install knot` (scripts/test does)."
        );
    };
    let zones = common::test_zones();
    let files: Vec<_> = TEST_ZONES
        .iter()
        .map(|(file, zone)| (common::zone_path(file), zone.to_string()))
        .collect();
    let knot = Knot::start(&knotd, &files);

    let mut cases = query_file();
    let listed = cases.len();
    cases.extend(random_cases(200));

    compare(&knot, &zones, &cases, listed, "dns-differential.txt");
}
