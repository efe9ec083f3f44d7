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
//! of the (at most three) names a proof needs.

use core::cmp::Ordering;

use crate::compiled::name;
use crate::compiled::{NSEC3_HASH_LEN, rdata::rtype};
use crate::zones::{Denial, Zone, Zones};

/// An NSEC3 hash (SHA-1).
pub(crate) type Hash = [u8; NSEC3_HASH_LEN];

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
    nsec3_hash(name, zones.blob().get(salt.clone())?, *iterations)
}

/// RFC 5155 §5: H(name in canonical form | salt), then `iterations` times H(digest | salt).
fn nsec3_hash(name: &[u8], salt: &[u8], iterations: u16) -> Option<Hash> {
    let mut lower = [0u8; name::MAX_LEN];
    let canonical = lower.get_mut(..name.len())?;
    for (to, from) in canonical.iter_mut().zip(name) {
        *to = from.to_ascii_lowercase();
    }
    // Label lengths are below 64, so lower-casing never changes them.
    let mut digest = sha1(&[canonical, salt]);
    for _ in 0..iterations {
        digest = sha1(&[&digest, salt]);
    }
    Some(digest)
}

/// Whether the zone answers with DNSSEC records at all (it has NSEC or NSEC3).
pub(crate) fn is_signed(zone: &Zone) -> bool {
    zone.denial != Denial::None
}

/// The RRset of the NSEC or NSEC3 record at `node`.
pub(crate) fn record_rrset(zones: &Zones, zone: &Zone, node: usize) -> Option<usize> {
    let rtype = match zone.denial {
        Denial::Nsec3 { .. } => rtype::NSEC3,
        _ => rtype::NSEC,
    };
    zones.find_rrset(node, rtype)
}

/// SHA-1 (FIPS 180-4) of the concatenation of `parts`, for NSEC3 hashing only (RFC 5155
/// fixes SHA-1; nothing here relies on its collision resistance).
pub(crate) fn sha1(parts: &[&[u8]]) -> Hash {
    let mut sha = Sha1 {
        state: [
            0x6745_2301,
            0xefcd_ab89,
            0x98ba_dcfe,
            0x1032_5476,
            0xc3d2_e1f0,
        ],
        block: [0; 64],
        filled: 0,
    };
    let mut bits: u64 = 0;
    for &byte in parts.iter().flat_map(|p| p.iter()) {
        bits = bits.wrapping_add(8);
        sha.push(byte);
    }
    sha.push(0x80);
    while sha.filled != 56 {
        sha.push(0);
    }
    for byte in bits.to_be_bytes() {
        sha.push(byte);
    }
    let mut out = [0u8; NSEC3_HASH_LEN];
    for (chunk, word) in out.chunks_exact_mut(4).zip(sha.state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// SHA-1's running state.
struct Sha1 {
    state: [u32; 5],
    block: [u8; 64],
    filled: usize,
}

impl Sha1 {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.block.get_mut(self.filled) {
            *slot = byte;
        }
        self.filled += 1;
        if self.filled == 64 {
            compress(&mut self.state, &self.block);
            self.filled = 0;
        }
    }
}

/// One SHA-1 block.
fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 80];
    for (word, chunk) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *state;
    for (i, word) in w.iter().enumerate() {
        let (f, k) = match i / 20 {
            0 => ((b & c) | (!b & d), 0x5a82_7999),
            1 => (b ^ c ^ d, 0x6ed9_eba1),
            2 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
            _ => (b ^ c ^ d, 0xca62_c1d6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*word);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (s, v) in state.iter_mut().zip([a, b, c, d, e]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> alloc::string::String {
        bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
    }

    /// RFC 5155 Appendix A: the example zone's salt AABBCCDD and 12 iterations.
    #[test]
    fn nsec3_hashes_match_rfc5155_appendix_a() {
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        for (name, base32hex) in [
            (&b"\x07example\x00"[..], "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            (b"\x01a\x07EXAMPLE\x00", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            (b"\x02ai\x07example\x00", "gjeqe526plbf1g8mklp59enfd789njgi"),
            (
                b"\x01*\x01w\x07example\x00",
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
            ),
        ] {
            let hash = nsec3_hash(name, &salt, 12).unwrap();
            assert_eq!(base32hex_lower(&hash), base32hex, "{name:?}");
        }
    }

    fn base32hex_lower(bytes: &[u8]) -> alloc::string::String {
        const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
        let (mut acc, mut bits, mut out) = (0u32, 0, alloc::string::String::new());
        for &b in bytes {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(char::from(DIGITS[((acc >> bits) & 31) as usize]));
            }
        }
        out
    }

    #[test]
    fn sha1_matches_fips_vectors() {
        assert_eq!(
            hex(&sha1(&[b"abc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(&[b""])),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            hex(&sha1(&[
                b"abcdbcdecdefdefgefghfghighij",
                b"hijkijkljklmklmnlmnomnopnopq"
            ])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        let million = alloc::vec![b'a'; 1_000_000];
        assert_eq!(
            hex(&sha1(&[&million])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }
}
