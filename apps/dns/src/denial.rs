//! Authenticated denial of existence for signed zones: finding the NSEC or NSEC3 records that
//! prove a name or type absent (RFC 4035 §3.1.3, RFC 5155 §7.2), from the zone's denial index
//! (see `dns::compiled`).
//!
//! - **NSEC**: the record that *matches* a name is the name's own; the one that *covers* it is
//!   the NSEC of the last name before it in canonical order (the chain wraps from the last
//!   name to the apex, so a name after the last one is covered by the last NSEC).
//! - **NSEC3**: names are hashed (SHA-1, the zone's iterations and salt, RFC 5155 §5); the
//!   record that matches a hash has it as its owner's hash, the one that covers it has the
//!   greatest hash below it (wrapping to the last record for a hash below all of them).
//!
//! Both are binary searches over the index; nothing is built at query time but the hashes
//! of the (at most three) names a proof needs (`dns::compiled::nsec3`, shared with the zone
//! compiler).

use core::cmp::Ordering;

use crate::compiled::{NSEC3_HASH_LEN, rdata::rtype};
use crate::compiled::{name, nsec3};
use crate::zones::{Denial, Zone, Zones};

pub(crate) use crate::compiled::nsec3::Hash;

/// The node whose NSEC or NSEC3 record proves something about a name, and whether it matches
/// the name (the name exists: its own record) or covers it (the name does not exist).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Proof {
    pub(crate) node: usize,
    pub(crate) matches: bool,
}

/// The NSEC record at or before `name` (in the zone's canonical order): matching when it is
/// `name`'s own. `None` when the zone has no NSEC index or none at all.
pub(crate) fn nsec(zones: &Zones, zone: &Zone, name: &[u8]) -> Option<Proof> {
    let Denial::Nsec { index } = &zone.denial else {
        return None;
    };
    let entries = zones.blob().get(index.clone())?;
    let count = entries.len() / 4;
    let node_at = |i: usize| -> Option<usize> {
        let b = entries.get(4 * i..4 * i + 4)?;
        Some(zone.nodes.start + u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // The first entry whose owner sorts after `name`.
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        let owner = zones.node_name(node_at(mid)?);
        match name::cmp_canonical(owner, name) {
            Ordering::Greater => high = mid,
            Ordering::Equal => {
                return Some(Proof {
                    node: node_at(mid)?,
                    matches: true,
                });
            }
            Ordering::Less => low = mid + 1,
        }
    }
    // Before the first (impossible: the apex comes first) wraps to the last.
    let previous = low.checked_sub(1).unwrap_or(count.checked_sub(1)?);
    Some(Proof {
        node: node_at(previous)?,
        matches: false,
    })
}

/// The NSEC3 record matching or covering `hash`. `None` when the zone has no NSEC3 index.
pub(crate) fn nsec3(zones: &Zones, zone: &Zone, hash: &Hash) -> Option<Proof> {
    let Denial::Nsec3 { index, .. } = &zone.denial else {
        return None;
    };
    let entries = zones.blob().get(index.clone())?;
    const ENTRY: usize = NSEC3_HASH_LEN + 4;
    let count = entries.len() / ENTRY;
    let entry = |i: usize| entries.get(ENTRY * i..ENTRY * (i + 1));
    let node_of = |e: &[u8]| -> Option<usize> {
        let b = e.get(NSEC3_HASH_LEN..)?;
        Some(zone.nodes.start + u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (mut low, mut high) = (0, count);
    while low < high {
        let mid = low + (high - low) / 2;
        let e = entry(mid)?;
        match e.get(..NSEC3_HASH_LEN)?.cmp(&hash[..]) {
            Ordering::Greater => high = mid,
            Ordering::Equal => {
                return Some(Proof {
                    node: node_of(e)?,
                    matches: true,
                });
            }
            Ordering::Less => low = mid + 1,
        }
    }
    let previous = low.checked_sub(1).unwrap_or(count.checked_sub(1)?);
    Some(Proof {
        node: node_of(entry(previous)?)?,
        matches: false,
    })
}

/// The NSEC3 hash of `name` with the zone's parameters (RFC 5155 §5): the name in canonical
/// form (lower case), hashed with the salt, then `iterations` more times. `None` for a zone
/// without NSEC3.
pub(crate) fn hash(zones: &Zones, zone: &Zone, name: &[u8]) -> Option<Hash> {
    let Denial::Nsec3 {
        iterations, salt, ..
    } = &zone.denial
    else {
        return None;
    };
    nsec3::hash(name, zones.blob().get(salt.clone())?, *iterations)
}

/// Whether the zone answers with DNSSEC records at all (it has NSEC or NSEC3).
pub(crate) fn is_signed(zone: &Zone) -> bool {
    zone.denial != Denial::None
}

/// Whether the zone denies existence with NSEC3 (else NSEC, or nothing).
pub(crate) fn is_nsec3(zone: &Zone) -> bool {
    matches!(zone.denial, Denial::Nsec3 { .. })
}

/// The RRset of the NSEC or NSEC3 record at `node`.
pub(crate) fn record_rrset(zones: &Zones, zone: &Zone, node: usize) -> Option<usize> {
    let rtype = match zone.denial {
        Denial::Nsec3 { .. } => rtype::NSEC3,
        _ => rtype::NSEC,
    };
    zones.find_rrset(node, rtype)
}
