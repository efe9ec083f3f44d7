//! Response rate limiting (RRL) for UDP answers, after Knot DNS's `rrl` module and NSD's
//! `rrl-*` settings: it keeps the server from being an amplifier for floods of queries with a
//! forged source address.
//!
//! Each UDP response is charged to a bucket keyed by (class of answer, client prefix, name):
//! the prefix is the client's /24 (IPv4) or /56 (IPv6); the name is the question's for
//! positive, NODATA, ANY, DNSSEC and large answers, and the zone's for NXDOMAIN, errors and
//! wildcard answers (whose names an attacker can vary at will), the delegation's for
//! referrals — Knot's choice, so that random names under a zone share one bucket. A bucket
//! lets `rate` responses a second through, and a burst of up to `rate × window` after a quiet
//! spell (a token bucket, kept as GCRA's one "theoretical arrival time" per bucket). Beyond
//! that a response is limited: every `slip`-th limited response is sent as a truncated empty
//! answer (TC set, question only) so that a real client behind the prefix retries over TCP,
//! which RRL never limits; the others are dropped. Clients that present a valid server cookie
//! are exempt (their address is proven, `cookie.rs`).
//!
//! Memory is bounded whatever the number of clients: [`TABLE_SIZE`] buckets of 8 octets
//! (512 KiB), indexed by SipHash-2-4 of the key under a secret drawn at boot (so that an
//! attacker cannot aim at another client's bucket). Two keys that share a slot take it over
//! from each other (a 16-bit tag tells them apart): a collision resets a bucket, as in Knot,
//! and can only let more through, never limit an innocent client.
//!
//! Defaults: NSD's rate (200 a second) and slip (2: half the limited answers truncated, the
//! rest dropped; Knot's 1 truncates every one, which reflects twice as many packets), Knot's
//! prefixes (/24, /56) and its bucket capacity of 4 seconds as the window. Time is passed in
//! (microseconds of a monotonic clock), so all of it is tested on the host.

use crate::cookie::siphash24;

/// Buckets in the table: a power of two, 8 octets each (512 KiB, well inside the 8 MiB guest;
/// Knot's default is 393,241 of about 32 octets, NSD's 1,000,000).
pub const TABLE_SIZE: usize = 1 << 16;
/// The response size from which an answer is of class [`Class::Large`] (Knot's threshold).
pub const LARGE: usize = 1024;
const MICROS: u64 = 1_000_000;
/// A bucket: a 16-bit tag of its key, then 48 bits of theoretical arrival time (µs).
const TIME_BITS: u32 = 48;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;

/// The settings (`rrl=`, `rrl-slip=`, `rrl-window=`, `rrl-v4-prefix=`, `rrl-v6-prefix=` on
/// the command line; `--rrl` and so on in hosted mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Responses a second per bucket; 0 turns rate limiting off.
    pub rate: u32,
    /// Every `slip`-th limited response is sent truncated, the others dropped; 0: none.
    pub slip: u32,
    /// Seconds of `rate` a bucket can save up for a burst.
    pub window: u32,
    /// Prefix length that groups IPv4 clients.
    pub v4_prefix: u8,
    /// Prefix length that groups IPv6 clients.
    pub v6_prefix: u8,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rate: 200,
            slip: 2,
            window: 4,
            v4_prefix: 24,
            v6_prefix: 56,
        }
    }
}

/// The largest `rate` accepted.
pub const MAX_RATE: u32 = 1_000_000;
/// The largest `window` accepted (an hour).
pub const MAX_WINDOW: u32 = 3600;

/// What a setting word must hold, for its error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadSetting {
    /// The word's key (`rrl-slip`).
    pub key: &'static str,
    /// What it must be.
    pub expected: &'static str,
}

impl core::fmt::Display for BadSetting {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.key)?;
        f.write_str(" must be ")?;
        f.write_str(self.expected)
    }
}

/// The setting words: key, least and greatest value, and what the value must be.
pub const WORDS: [(&str, u32, u32, &str); 5] = [
    (
        "rrl",
        0,
        MAX_RATE,
        "responses a second from 0 (off) to 1000000",
    ),
    (
        "rrl-slip",
        0,
        u32::MAX,
        "a count: every Nth limited answer is sent truncated (0: none)",
    ),
    ("rrl-window", 1, MAX_WINDOW, "seconds from 1 to 3600"),
    ("rrl-v4-prefix", 0, 32, "a prefix length from 0 to 32"),
    ("rrl-v6-prefix", 0, 128, "a prefix length from 0 to 128"),
];

impl Settings {
    /// Reads the settings from `lookup` (the value of a word, by key), over the defaults.
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Settings, BadSetting> {
        let d = Settings::default();
        let mut values = [
            d.rate,
            d.slip,
            d.window,
            u32::from(d.v4_prefix),
            u32::from(d.v6_prefix),
        ];
        for (&(key, least, most, expected), value) in WORDS.iter().zip(&mut values) {
            if let Some(text) = lookup(key) {
                *value = crate::decimal(text)
                    .filter(|n| (least..=most).contains(n))
                    .ok_or(BadSetting { key, expected })?;
            }
        }
        let [rate, slip, window, v4_prefix, v6_prefix] = values;
        Ok(Settings {
            rate,
            slip,
            window,
            v4_prefix: v4_prefix as u8,
            v6_prefix: v6_prefix as u8,
        })
    }
}

/// The kinds of answer that are limited apart (Knot's classes, and NSD's referral).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Class {
    /// An answer with records.
    Positive = 1,
    /// NOERROR without answers (NODATA).
    NoData,
    /// NXDOMAIN (keyed by the zone).
    NxDomain,
    /// A referral to a delegated zone (keyed by the delegation).
    Referral,
    /// An answer from a wildcard (keyed by the zone).
    Wildcard,
    /// Any other response code (keyed by the zone, or the root outside every zone).
    Error,
    /// An answer to a query of type ANY.
    Any,
    /// An answer to DNSKEY, DS or RRSIG.
    Dnssec,
    /// An answer of at least [`LARGE`] octets.
    Large,
}

/// What to do with a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Pass,
    /// Limited: send it truncated (TC, question only).
    Slip,
    /// Limited: send nothing.
    Drop,
}

/// The rate limiter: the settings and the table of buckets.
pub struct Limiter {
    settings: Settings,
    key: [u8; 16],
    table: alloc::vec::Vec<u64>,
    /// Limited responses so far, for the slip count.
    limited: u32,
}

impl core::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Limiter")
            .field("settings", &self.settings)
            .finish()
    }
}

impl Limiter {
    /// A limiter with `settings` and the table hashed under `key` (random, drawn at boot);
    /// `None` when `settings.rate` is 0.
    pub fn new(settings: Settings, key: [u8; 16]) -> Option<Limiter> {
        (settings.rate > 0).then(|| Limiter {
            settings,
            key,
            table: alloc::vec![0; TABLE_SIZE],
            limited: 0,
        })
    }

    /// Charges a response of `class` about `name` (wire form, any case) to the client at
    /// `address` (4 or 16 octets) at `now` (µs of a monotonic clock).
    pub fn check(&mut self, class: Class, name: &[u8], address: &[u8], now: u64) -> Verdict {
        let settings = self.settings;
        let prefix = if address.len() == 4 {
            settings.v4_prefix
        } else {
            settings.v6_prefix
        };
        // The key: class, family, the address cut to its prefix, the name in lower case.
        let mut input = [0u8; 2 + 16 + 255];
        input[0] = class as u8;
        input[1] = address.len() as u8;
        let mut bits = usize::from(prefix);
        for (to, from) in input[2..18].iter_mut().zip(address) {
            let keep = bits.min(8);
            *to = from & !(0xffu8.checked_shr(keep as u32).unwrap_or(0));
            bits -= keep;
        }
        let mut len = 18;
        for (to, from) in input[18..].iter_mut().zip(name) {
            *to = from.to_ascii_lowercase();
            len += 1;
        }
        let hash = siphash24(&self.key, input.get(..len).unwrap_or(&[]));
        let tag = hash >> TIME_BITS;
        let Some(slot) = self.table.get_mut(hash as usize % TABLE_SIZE) else {
            return Verdict::Pass;
        };
        let now = now & TIME_MASK;
        // GCRA: the bucket is the time at which it would be empty again.
        let arrival = if *slot >> TIME_BITS == tag {
            (*slot & TIME_MASK).max(now)
        } else {
            now
        };
        let next = arrival + MICROS / u64::from(settings.rate.max(1));
        if next - now <= u64::from(settings.window) * MICROS {
            *slot = tag << TIME_BITS | (next & TIME_MASK);
            return Verdict::Pass;
        }
        self.limited = self.limited.wrapping_add(1);
        if settings.slip != 0 && self.limited.is_multiple_of(settings.slip) {
            Verdict::Slip
        } else {
            Verdict::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 4] = [192, 0, 2, 1];
    const NAME: &[u8] = b"\x03www\x07example\x04test\x00";

    fn limiter(rate: u32, slip: u32, window: u32) -> Limiter {
        Limiter::new(
            Settings {
                rate,
                slip,
                window,
                ..Settings::default()
            },
            [9; 16],
        )
        .unwrap()
    }

    /// How many of `count` responses at `now` pass.
    fn passed(l: &mut Limiter, count: usize, address: &[u8], now: u64) -> usize {
        (0..count)
            .filter(|_| l.check(Class::Positive, NAME, address, now) == Verdict::Pass)
            .count()
    }

    #[test]
    fn a_bucket_passes_a_burst_of_rate_times_window_then_the_rate() {
        let mut l = limiter(10, 0, 2);
        assert_eq!(passed(&mut l, 100, &A, 5 * MICROS), 20);
        // Half a second later, five more; a second later, ten.
        assert_eq!(passed(&mut l, 100, &A, 5 * MICROS + MICROS / 2), 5);
        assert_eq!(passed(&mut l, 100, &A, 6 * MICROS + MICROS / 2), 10);
        // After a long quiet spell, the burst again (and no more).
        assert_eq!(passed(&mut l, 100, &A, 100 * MICROS), 20);
        // A steady client at the rate is never limited.
        let mut l = limiter(10, 0, 1);
        for i in 0..1000u64 {
            assert_eq!(passed(&mut l, 1, &A, i * MICROS / 10), 1, "{i}");
        }
    }

    #[test]
    fn every_slip_th_limited_response_slips() {
        let mut l = limiter(1, 3, 1);
        assert_eq!(l.check(Class::Positive, NAME, &A, 0), Verdict::Pass);
        let verdicts: alloc::vec::Vec<Verdict> = (0..6)
            .map(|_| l.check(Class::Positive, NAME, &A, 0))
            .collect();
        use Verdict::{Drop, Slip};
        assert_eq!(verdicts, [Drop, Drop, Slip, Drop, Drop, Slip]);
        let mut l = limiter(1, 1, 1);
        l.check(Class::Positive, NAME, &A, 0);
        assert_eq!(l.check(Class::Positive, NAME, &A, 0), Slip);
        let mut l = limiter(1, 0, 1);
        l.check(Class::Positive, NAME, &A, 0);
        assert!((0..10).all(|_| l.check(Class::Positive, NAME, &A, 0) == Drop));
    }

    #[test]
    fn buckets_are_per_prefix_class_and_name() {
        let mut l = limiter(1, 0, 1);
        assert_eq!(passed(&mut l, 5, &A, 0), 1);
        // The same /24, another case of the name: the same bucket.
        assert_eq!(passed(&mut l, 5, &[192, 0, 2, 200], 0), 0);
        let upper = b"\x03WWW\x07EXAMPLE\x04TEST\x00";
        assert_eq!(l.check(Class::Positive, upper, &A, 0), Verdict::Drop);
        // Another /24, another class, another name: other buckets.
        assert_eq!(passed(&mut l, 5, &[192, 0, 3, 1], 0), 1);
        assert_eq!(l.check(Class::NoData, NAME, &A, 0), Verdict::Pass);
        assert_eq!(
            l.check(Class::Positive, b"\x03ftp\x00", &A, 0),
            Verdict::Pass
        );
        // IPv6: one /56 shares a bucket, the next /56 does not.
        let mut v6 = [
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 1,
        ];
        assert_eq!(passed(&mut l, 5, &v6, 0), 1);
        v6[7] = 0xff;
        v6[15] = 9;
        assert_eq!(passed(&mut l, 5, &v6, 0), 0);
        v6[6] = 1;
        assert_eq!(passed(&mut l, 5, &v6, 0), 1);
        // Other prefix lengths: /32 and /0.
        let mut l = Limiter::new(
            Settings {
                rate: 1,
                window: 1,
                v4_prefix: 32,
                ..Settings::default()
            },
            [1; 16],
        )
        .unwrap();
        assert_eq!(passed(&mut l, 5, &A, 0), 1);
        assert_eq!(passed(&mut l, 5, &[192, 0, 2, 2], 0), 1);
        let mut l = Limiter::new(
            Settings {
                rate: 1,
                window: 1,
                v4_prefix: 0,
                ..Settings::default()
            },
            [1; 16],
        )
        .unwrap();
        assert_eq!(passed(&mut l, 5, &A, 0), 1);
        assert_eq!(passed(&mut l, 5, &[10, 0, 0, 1], 0), 0);
    }

    #[test]
    fn many_clients_fit_the_fixed_table() {
        let mut l = limiter(1, 0, 1);
        for i in 0..200_000u32 {
            let address = (i << 8).to_be_bytes();
            l.check(Class::Positive, NAME, &address, 0);
        }
        assert_eq!(l.table.len(), TABLE_SIZE);
        // Collisions reset buckets: a new client passes.
        assert_eq!(passed(&mut l, 1, &[203, 0, 113, 1], 0), 1);
    }

    #[test]
    fn the_clock_may_start_anywhere() {
        let mut l = limiter(2, 0, 1);
        let start = 400 * 86_400 * MICROS;
        assert_eq!(passed(&mut l, 5, &A, start), 2);
        assert_eq!(passed(&mut l, 5, &A, start + MICROS / 4), 0);
        assert_eq!(passed(&mut l, 5, &A, start + MICROS), 2);
    }

    #[test]
    fn settings_are_read_and_checked() {
        let read = |words: &[(&'static str, &'static str)]| {
            Settings::from_lookup(|key| words.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
        };
        assert_eq!(read(&[]), Ok(Settings::default()));
        assert!(Limiter::new(read(&[("rrl", "0")]).unwrap(), [0; 16]).is_none());
        assert_eq!(
            read(&[
                ("rrl", "50"),
                ("rrl-slip", "0"),
                ("rrl-window", "15"),
                ("rrl-v4-prefix", "32"),
                ("rrl-v6-prefix", "64"),
            ]),
            Ok(Settings {
                rate: 50,
                slip: 0,
                window: 15,
                v4_prefix: 32,
                v6_prefix: 64
            })
        );
        for (key, value) in [
            ("rrl", "fast"),
            ("rrl", "1000001"),
            ("rrl", "-1"),
            ("rrl-slip", ""),
            ("rrl-window", "0"),
            ("rrl-window", "3601"),
            ("rrl-v4-prefix", "33"),
            ("rrl-v6-prefix", "129"),
        ] {
            let error = read(&[(key, value)]).unwrap_err();
            assert_eq!(error.key, key);
            assert!(
                alloc::format!("{error}").starts_with(&alloc::format!("{key} must be ")),
                "{error}"
            );
        }
    }
}
