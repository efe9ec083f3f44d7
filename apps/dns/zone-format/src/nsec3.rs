//! NSEC3 hashing (RFC 5155 §5), shared by the server (hashing query names for its proofs) and
//! the zone compiler (checking the chain): SHA-1 of the name in canonical form and the salt,
//! then `iterations` times more of the digest and the salt. SHA-1 is written out here (RFC 5155
//! fixes it; nothing relies on its collision resistance) to keep a crypto crate out of both.

use crate::NSEC3_HASH_LEN;
use crate::name;

/// An NSEC3 hash (SHA-1).
pub type Hash = [u8; NSEC3_HASH_LEN];

/// The NSEC3 hash of `name` (uncompressed wire form, any case) with `salt` and `iterations`.
/// `None` for a name longer than a name can be.
pub fn hash(name: &[u8], salt: &[u8], iterations: u16) -> Option<Hash> {
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

/// SHA-1 (FIPS 180-4) of the concatenation of `parts`.
pub fn sha1(parts: &[&[u8]]) -> Hash {
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

/// Decodes unpadded base32hex ("0-9A-V", any case, RFC 4648 §7), as NSEC3 owner labels and
/// next hashed owner names are written; `None` if a character is outside it or the length
/// leaves stray bits.
#[cfg(feature = "builder")]
pub fn base32hex_decode(text: &[u8]) -> Option<alloc::vec::Vec<u8>> {
    let mut out = alloc::vec::Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let value = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'v' => c - b'a' + 10,
            b'A'..=b'V' => c - b'A' + 10,
            _ => return None,
        };
        acc = (acc << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Left-over bits must be zero padding of the last octet, fewer than 5 of them.
    if acc != 0 || bits >= 5 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| alloc::format!("{b:02x}")).collect()
    }

    fn base32hex_lower(bytes: &[u8]) -> String {
        const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
        let (mut acc, mut bits, mut out) = (0u32, 0, String::new());
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

    /// RFC 5155 Appendix A: the example zone's salt AABBCCDD and 12 iterations.
    #[test]
    fn hashes_match_rfc5155_appendix_a() {
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
            assert_eq!(
                base32hex_lower(&hash(name, &salt, 12).unwrap()),
                base32hex,
                "{name:?}"
            );
        }
    }
}
