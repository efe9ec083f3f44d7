//! `dns_zones`: the compiled zone set loader (`dns::Zones::from_compiled`), which checks a
//! blob that may arrive as an untrusted boot module; then queries against whatever it accepts.
//!
//! Input: one mode byte, then the blob. Mode bit 0 sets the blob's `total_len` and bit 1 its
//! checksum before loading (see [`crate::fix_blob_header`]), so mutations reach the checks
//! behind them. A blob that loads is asked, for each zone apex, for the apex's SOA, NS and
//! ANY, `www` below it, a wildcard and a name below a delegation, over UDP and TCP: the
//! lookups must not panic on a blob that passed validation.

use dns::{Transport, Zones};
#[cfg(feature = "seeds")]
use dns_zone::ZoneFile;

#[cfg(feature = "seeds")]
use crate::repository;

/// The example zone and the test zones of apps/dns, compiled.
#[cfg(feature = "seeds")]
pub fn example_blob() -> Vec<u8> {
    let root = repository();
    let mut files = vec![ZoneFile {
        path: root.join("apps/dns/zones/example.test.zone"),
        origin: None,
    }];
    for name in [
        "main.test.zone",
        "other.test.zone",
        "child.main.test.zone",
        "example.zone",
    ] {
        files.push(ZoneFile {
            path: root.join("apps/dns/tests/zones").join(name),
            origin: None,
        });
    }
    dns_zone::compile(&files).expect("the example zones compile")
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&mode, blob)) = data.split_first() else {
        return;
    };
    let mut blob = blob.to_vec();
    crate::fix_blob_header(&mut blob, mode & 1 != 0, mode & 2 != 0);
    let Ok(zones) = Zones::from_compiled(&blob) else {
        return;
    };
    assert!(zones.zone_count() > 0);
    let _ = zones.zone_names().count();
    let mut out = Vec::new();
    for apex in apexes(&blob) {
        for (prefix, qtype) in [
            (&b""[..], 6u16),
            (b"", 2),
            (b"", 255),
            (b"\x03www", 1),
            (b"\x01*", 16),
            (b"\x04nope\x03sub", 28),
            (b"\x01a\x01b\x01c", 5),
        ] {
            let mut name = prefix.to_vec();
            name.extend_from_slice(apex);
            if name.len() > 255 {
                continue;
            }
            let mut query = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
            query.extend_from_slice(&name);
            query.extend_from_slice(&qtype.to_be_bytes());
            query.extend_from_slice(&[0, 1]);
            for transport in [Transport::Udp, Transport::Tcp] {
                dns::respond(&zones, &query, transport, &mut out);
            }
        }
    }
}

/// The apex names (wire form) of a blob that loaded: each zone offset points at one.
fn apexes(blob: &[u8]) -> Vec<&[u8]> {
    let count = usize::from(u16::from_be_bytes([blob[6], blob[7]]));
    (0..count)
        .filter_map(|i| {
            let at = 16 + 4 * i;
            let offset = u32::from_be_bytes(blob.get(at..at + 4)?.try_into().ok()?) as usize;
            let name = blob.get(offset..)?;
            let len = dns::compiled::name::wire_len(name)?;
            name.get(..len)
        })
        .collect()
}

/// The example zones compiled, in each mode, and single zones.
#[cfg(feature = "seeds")]
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let blob = example_blob();
    let mut seeds = vec![
        ("example-zones".to_string(), [&[3][..], &blob[..]].concat()),
        (
            "example-zones-exact".to_string(),
            [&[0][..], &blob[..]].concat(),
        ),
    ];
    let root = repository();
    for (path, origin) in [
        ("apps/dns/zones/example.test.zone", None),
        ("apps/dns/tests/zones/example.zone", None),
        ("apps/dns/tests/zones/other.test.zone", None),
    ] {
        let one = dns_zone::compile(&[ZoneFile {
            path: root.join(path),
            origin,
        }])
        .expect("the zone compiles");
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        seeds.push((name, [&[3][..], &one[..]].concat()));
    }
    seeds
}

#[cfg(all(test, feature = "seeds"))]
mod tests {
    use super::*;

    /// The seeds reach the lookups: they load.
    #[test]
    fn seeds_load() {
        for (name, input) in seeds() {
            let mut blob = input[1..].to_vec();
            crate::fix_blob_header(&mut blob, input[0] & 1 != 0, input[0] & 2 != 0);
            assert!(Zones::from_compiled(&blob).is_ok(), "{name}");
        }
    }

    /// The signed-zone inputs (`corpus/dns_zones/signed-*`: zones signed by BIND with NSEC
    /// and by Knot with NSEC3 opt-out, compiled once and committed, since signing needs the
    /// tools and signed zone files expire) load: they reach the denial index checks.
    #[test]
    fn signed_inputs_load() {
        let dir = repository().join("fuzz/corpus/dns_zones");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("the corpus folder") {
            let path = entry.expect("a corpus entry").path();
            if !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("signed-"))
            {
                continue;
            }
            let input = std::fs::read(&path).expect("a signed input");
            assert!(
                Zones::from_compiled(&input[1..]).is_ok(),
                "{} does not load",
                path.display()
            );
            count += 1;
        }
        assert!(
            count >= 2,
            "the signed inputs are missing from {}",
            dir.display()
        );
    }
}
