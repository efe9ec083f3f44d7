//! Zones signed at test time by BIND, ldns and Knot, compiled by `dns-zone`, load in the
//! server (`dns::Zones::from_compiled`, which checks the format-2 blob and its denial index)
//! and answer. The signing is `dns-zone`'s test helper (apps/dns/compiler/tests/signers).

mod common;
#[path = "../compiler/tests/signers/mod.rs"]
mod signers;

use common::{Query, TYPE_A, decode, respond};
use signers::{Denial, Signer, Validity, sign};

#[test]
fn signed_zones_load_and_answer() {
    for (signer, algorithm, denial) in [
        (Signer::Bind, 13, Denial::Nsec3OptOut),
        (Signer::Ldns, 15, Denial::Nsec),
        (Signer::Knot, 8, Denial::Nsec3),
        (Signer::Knot, 15, Denial::Nsec),
    ] {
        let name = format!("dns-{signer:?}-{algorithm}-{denial:?}").to_lowercase();
        let signed = sign(
            &signers::scratch(&name),
            signer,
            algorithm,
            denial,
            Validity::Default,
        );
        let blob = dns_zone::compile(&[dns_zone::ZoneFile {
            path: signed.path.clone(),
            origin: None,
        }])
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let zones = dns::Zones::from_compiled(&blob)
            .unwrap_or_else(|e| panic!("{name}: the compiled signed zone does not load: {e:?}"));
        assert_eq!(zones.zone_count(), 1, "{name}");

        let query = Query::new("www.example.com.", TYPE_A).edns(1232);
        let reply = respond(&zones, &query.to_wire(), false).expect("an answer");
        let reply = decode(&reply).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(reply.rcode, 0, "{name}");
        assert!(reply.aa, "{name}: authoritative");
        assert!(
            reply
                .answer
                .iter()
                .any(|rr| rr.rtype == TYPE_A && rr.rdata == [192, 0, 2, 2]),
            "{name}: {:?}",
            reply.answer
        );
    }
}
