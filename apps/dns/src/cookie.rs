//! DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018), and the SipHash-2-4
//! they are made with (also the rate limiter's table hash, `rrl`).
//!
//! A client cookie is 8 octets the client chose; the server cookie this server makes is 16:
//! version 1, three reserved octets, a 32-bit timestamp (seconds, serial-number arithmetic)
//! and SipHash-2-4 of client cookie | version | reserved | timestamp | client address, keyed
//! by a 16-octet secret drawn from the machine's random source at boot (RFC 9018 §4). A
//! presented server cookie is valid when its hash matches and its timestamp is at most an
//! hour old and at most five minutes ahead (§4.3); every response to a query with a cookie
//! carries a fresh server cookie. A reboot draws a new secret, so clients learn new cookies
//! (their next query gets BADCOOKIE over UDP, or a normal answer over TCP; either carries the
//! new one).
//!
//! What a query's cookie leads to (RFC 7873 §5.2, decided in `lib.rs`): none, or only a client
//! cookie: a normal answer (with a server cookie when there was a client cookie); a valid
//! server cookie: a normal answer, exempt from rate limiting; an invalid one: BADCOOKIE over
//! UDP (§5.2.4 allows it; the client retries with the fresh cookie), a normal answer over TCP,
//! where the address is already proven. Malformed lengths are FORMERR (`query.rs`, §5.2.2).
//!
//! Time is passed in: the server gives seconds since boot, not since the Unix epoch (only this
//! server reads its timestamps, and only until a reboot draws a new secret; see `server.rs`).

/// The EDNS option code of COOKIE (RFC 7873 §4).
pub(crate) const OPTION: u16 = 10;
/// The longest COOKIE option: client cookie 8, server cookie at most 32 (RFC 7873 §4).
pub(crate) const MAX_LEN: usize = 40;
/// Octets of the server cookie this server makes (RFC 9018 §4.2).
pub(crate) const SERVER_LEN: usize = 16;
/// How old a server cookie may be, in seconds (RFC 9018 §4.3).
const MAX_AGE: u32 = 3600;
/// How far in the future a server cookie's timestamp may be, in seconds (RFC 9018 §4.3).
const MAX_AHEAD: u32 = 300;

/// SipHash-2-4 of `data` under `key` (Aumasson and Bernstein, "SipHash: a fast short-input
/// PRF", 2012): two compression rounds per 8-octet word, four finalization rounds.
pub fn siphash24(key: &[u8; 16], data: &[u8]) -> u64 {
    let mut k = [0u8; 8];
    k.copy_from_slice(&key[..8]);
    let k0 = u64::from_le_bytes(k);
    k.copy_from_slice(&key[8..]);
    let k1 = u64::from_le_bytes(k);
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        compress(&mut v, u64::from_le_bytes(word), 2);
    }
    // The last word: the remaining octets, and the length's low octet on top.
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    for (to, from) in last.iter_mut().zip(rest) {
        *to = *from;
    }
    last[7] = data.len() as u8;
    compress(&mut v, u64::from_le_bytes(last), 2);
    v[2] ^= 0xff;
    rounds(&mut v, 4);
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

fn compress(v: &mut [u64; 4], word: u64, count: usize) {
    v[3] ^= word;
    rounds(v, count);
    v[0] ^= word;
}

fn rounds(v: &mut [u64; 4], count: usize) {
    for _ in 0..count {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
}

/// A query's COOKIE option (RFC 7873 §4), its length checked: a client cookie of 8 octets,
/// then none or a server cookie of 8 to 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cookie {
    bytes: [u8; MAX_LEN],
    len: u8,
}

impl Cookie {
    /// The option's data, if its length is one RFC 7873 §5.2.2 allows (8, or 16 to 40).
    pub(crate) fn parse(data: &[u8]) -> Option<Cookie> {
        if data.len() != 8 && !(16..=MAX_LEN).contains(&data.len()) {
            return None;
        }
        let mut bytes = [0; MAX_LEN];
        bytes.get_mut(..data.len())?.copy_from_slice(data);
        Some(Cookie {
            bytes,
            len: data.len() as u8,
        })
    }

    /// The option's data.
    pub(crate) fn wire(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn client(&self) -> &[u8] {
        self.bytes.get(..8).unwrap_or(&[])
    }

    /// The server cookie presented, if any.
    fn server(&self) -> Option<&[u8]> {
        self.wire().get(8..).filter(|s| !s.is_empty())
    }
}

/// What a query's COOKIE option was, for the answer and the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No COOKIE option (or cookies are off).
    None,
    /// A client cookie alone: the client is learning a server cookie.
    ClientOnly,
    /// A server cookie this server made for this client, recent enough.
    Valid,
    /// A server cookie that is not this server's, not this client's, or out of date.
    Invalid,
}

/// The server's cookie secret (RFC 9018 §4.2), drawn from the random source at boot.
#[derive(Clone, Copy)]
pub struct Secret(pub [u8; 16]);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// The hash of a server cookie: over the client cookie, the server cookie's first eight
    /// octets (version, reserved, timestamp) and the client's address (4 or 16 octets).
    fn hash(&self, client: &[u8], head: &[u8], address: &[u8]) -> [u8; 8] {
        let mut input = [0u8; 8 + 8 + 16];
        let mut len = 0;
        for part in [client, head, address] {
            if let Some(slot) = input.get_mut(len..len + part.len()) {
                slot.copy_from_slice(part);
                len += part.len();
            }
        }
        siphash24(&self.0, input.get(..len).unwrap_or(&[])).to_le_bytes()
    }

    /// Judges `cookie` from the client at `address` at time `now`.
    pub(crate) fn check(&self, cookie: &Cookie, address: &[u8], now: u32) -> Verdict {
        let Some(server) = cookie.server() else {
            return Verdict::ClientOnly;
        };
        let valid = match server {
            &[1, _, _, _, t0, t1, t2, t3, ref hash @ ..] => {
                let stamp = u32::from_be_bytes([t0, t1, t2, t3]);
                let age = now.wrapping_sub(stamp);
                let fresh = age <= MAX_AGE || age.wrapping_neg() <= MAX_AHEAD;
                fresh
                    && hash.len() == 8
                    && self.hash(cookie.client(), server.get(..8).unwrap_or(&[]), address) == *hash
            }
            _ => false,
        };
        if valid {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    }

    /// The COOKIE option of the response to `cookie`: its client cookie and a new server
    /// cookie for `address` stamped `now`.
    pub(crate) fn answer(&self, cookie: &Cookie, address: &[u8], now: u32) -> Cookie {
        let mut bytes = [0u8; MAX_LEN];
        let client = cookie.client();
        let [t0, t1, t2, t3] = now.to_be_bytes();
        let head = [1, 0, 0, 0, t0, t1, t2, t3];
        let hash = self.hash(client, &head, address);
        for (to, from) in bytes
            .iter_mut()
            .zip(client.iter().chain(&head).chain(&hash))
        {
            *to = *from;
        }
        Cookie {
            bytes,
            len: (8 + SERVER_LEN) as u8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn secret(text: &str) -> Secret {
        Secret(hex(text).try_into().unwrap())
    }

    /// The reference implementation's vectors (`vectors.h`): key 00..0f, messages 00..(n-1).
    #[test]
    fn siphash_matches_the_reference_vectors() {
        const EXPECTED: [u64; 17] = [
            0x726fdb47dd0e0e31,
            0x74f839c593dc67fd,
            0x0d6c8009d9a94f5a,
            0x85676696d7fb7e2d,
            0xcf2794e0277187b7,
            0x18765564cd99a68d,
            0xcbc9466e58fee3ce,
            0xab0200f58b01d137,
            0x93f5f5799a932462,
            0x9e0082df0ba9e4b0,
            0x7a5dbbc594ddb9f3,
            0xf4b32f46226bada7,
            0x751e8fbc860ee5fb,
            0x14ea5627c0843d90,
            0xf723ca908e7af2ee,
            0xa129ca6149be45e5,
            0x3f2acc7f57c29bdb,
        ];
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let message: Vec<u8> = (0..17).collect();
        for (n, expected) in EXPECTED.iter().enumerate() {
            assert_eq!(siphash24(&key, &message[..n]), *expected, "{n} octets");
        }
    }

    const V4: [u8; 4] = [198, 51, 100, 100];

    /// RFC 9018 Appendix A.1 and A.2: a new server cookie, then the same client 40 minutes
    /// later (valid, and renewed).
    #[test]
    fn server_cookies_match_rfc_9018_appendix_a() {
        let secret = secret("e5e973e5a6b2a43f48e7dc849e37bfcf");
        let query = Cookie::parse(&hex("2464c4abcf10c957")).unwrap();
        assert_eq!(secret.check(&query, &V4, 1559731985), Verdict::ClientOnly);
        let first = secret.answer(&query, &V4, 1559731985);
        assert_eq!(
            first.wire(),
            hex("2464c4abcf10c957010000005cf79f111f8130c3eee29480")
        );
        assert_eq!(secret.check(&first, &V4, 1559734385), Verdict::Valid);
        assert_eq!(
            secret.answer(&first, &V4, 1559734385).wire(),
            hex("2464c4abcf10c957010000005cf7a871d4a564a1442aca77")
        );
        // A.3: the reserved octets the client sent are part of the hash.
        let a3 = Cookie::parse(&hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5")).unwrap();
        assert_eq!(
            secret.check(&a3, &[203, 0, 113, 203], 0x5cf78f71),
            Verdict::Valid
        );
        assert_eq!(
            secret.check(&a3, &[203, 0, 113, 204], 0x5cf78f71),
            Verdict::Invalid,
            "another address"
        );
        // A.4: an IPv6 client, after the secret changed.
        let v6 = hex("20010db80220000159ded0f4876982b8");
        let new = secret_v6_new();
        let query =
            Cookie::parse(&hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8")).unwrap();
        assert_eq!(
            secret_v6_old().check(&query, &v6, 1559741961),
            Verdict::Valid
        );
        assert_eq!(new.check(&query, &v6, 1559741961), Verdict::Invalid);
        assert_eq!(
            new.answer(&query, &v6, 1559741961).wire(),
            hex("22681ab97d52c298010000005cf7c609a6bb79d16625507a")
        );
    }

    fn secret_v6_old() -> Secret {
        secret("dd3bdf9344b678b185a6f5cb60fca715")
    }

    fn secret_v6_new() -> Secret {
        secret("445536bcd2513298075a5d379663c962")
    }

    #[test]
    fn server_cookies_expire_after_an_hour_and_may_be_five_minutes_ahead() {
        let secret = Secret([7; 16]);
        let query = Cookie::parse(&[1; 8]).unwrap();
        for made in [1000u32, u32::MAX - 100] {
            let cookie = secret.answer(&query, &V4, made);
            let at = |now: u32| secret.check(&cookie, &V4, now);
            assert_eq!(at(made), Verdict::Valid);
            assert_eq!(at(made.wrapping_add(3600)), Verdict::Valid);
            assert_eq!(at(made.wrapping_add(3601)), Verdict::Invalid);
            assert_eq!(at(made.wrapping_sub(300)), Verdict::Valid);
            assert_eq!(at(made.wrapping_sub(301)), Verdict::Invalid);
        }
        // Forged: another secret, a changed octet, another version, a short hash.
        let cookie = secret.answer(&query, &V4, 5000);
        assert_eq!(Secret([8; 16]).check(&cookie, &V4, 5000), Verdict::Invalid);
        for at in 8..24 {
            let mut bytes = cookie.wire().to_vec();
            bytes[at] ^= 1;
            let forged = Cookie::parse(&bytes).unwrap();
            assert_eq!(secret.check(&forged, &V4, 5000), Verdict::Invalid, "{at}");
        }
        let mut longer = cookie.wire().to_vec();
        longer.push(0);
        let longer = Cookie::parse(&longer).unwrap();
        assert_eq!(secret.check(&longer, &V4, 5000), Verdict::Invalid);
        assert_eq!(
            secret.check(&Cookie::parse(&[1; 16]).unwrap(), &V4, 5000),
            Verdict::Invalid
        );
    }

    #[test]
    fn option_lengths_are_those_rfc_7873_allows() {
        for len in 0..=41 {
            let ok = len == 8 || (16..=40).contains(&len);
            assert_eq!(Cookie::parse(&[0; 41][..len]).is_some(), ok, "{len}");
        }
    }
}
