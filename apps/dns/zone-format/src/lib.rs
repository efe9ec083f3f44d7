//! `dns-zone-format`: the compiled zone format, written on the host by `ZoneSetBuilder` (the
//! `dns-zone` compiler drives it; feature `builder`), read in the guest by
//! `dns::Zones::from_compiled`.
//!
//! A compiled zone set is one blob holding one or more zones, already sorted and checked, so
//! that the guest only validates and indexes it. All integers are big-endian; names are in
//! uncompressed wire form (RFC 1035 §3.1) with their original case; RDATA is in wire form with
//! uncompressed names, exactly as it goes on the wire.
//!
//! ```text
//! blob     = magic "XDNZ" | version u16 (=2) | zone_count u16 | total_len u32 | checksum u32
//!            | zone_offset u32 * zone_count | zone * zone_count
//! zone     = apex name | node_count u32 | record_count u32 | node * node_count | denial
//! node     = owner name | rrset_count u16 | rrset * rrset_count
//! rrset    = type u16 | ttl u32 | rr_count u16 | (rdlength u16 | rdata) * rr_count
//! denial   = 0                                             (no NSEC or NSEC3 records)
//!          | 1 | count u32 | node u32 * count                              (NSEC)
//!          | 2 | iterations u16 | salt_len u8 | salt | count u32
//!              | (hash [20] | node u32) * count                            (NSEC3)
//! ```
//!
//! - `checksum` is FNV-1a (32 bit) over every octet after the 16-octet header; `total_len`
//!   is the blob's length. Zone offsets are absolute, increasing, and each zone ends where
//!   the next begins (the last at `total_len`).
//! - Nodes are sorted in DNSSEC canonical order (RFC 4034 §6.1), strictly increasing (no two
//!   owners equal ignoring case), the apex first; every owner is at or below the apex. Empty
//!   non-terminals have no node: a name exists when a node is at or below it.
//! - RRsets of a node are sorted by type, strictly increasing; records of an RRset by RDATA
//!   (RFC 4034 §6.3 order on the stored octets), without duplicates. An RRset has one TTL.
//!   RRSIG records are the exception: one RRset per type covered (the first field of their
//!   RDATA), sorted by that type, so that the signatures of an RRset are found as one.
//! - The denial index: for an NSEC zone, the (zone-relative) indexes of the nodes that own
//!   NSEC records, increasing; for an NSEC3 zone (an NSEC3PARAM at the apex; SHA-1 only), the
//!   hashed owner names of its NSEC3 records (20 octets each, decoded from the owner's first
//!   label) in increasing order, each with the index of its node, and the iterations and salt
//!   of the NSEC3PARAM, which is what the server hashes query names with.
//! - The apex has exactly one SOA record and at least one NS record; SOA appears nowhere else;
//!   a CNAME is alone at its name (RRSIG and NSEC aside) and single; a DNAME is single and has
//!   no names below it; no meta-types (OPT, ANY, AXFR, ...).
//!
//! The builder enforces all of this and the loader checks it again, because a compiled zone
//! set may arrive as an untrusted boot module — except the denial index's order and targets:
//! the loader checks only its size, and lookups read it with checked accesses, so a bad index
//! gives wrong proofs but never a panic (and a module's author controls every record anyway).
//!
//! Choices the builder makes (they match what Knot DNS does with the same zone file):
//! duplicate records are dropped; when the records of one RRset disagree on the TTL, the
//! last one added wins; a name spelled in several cases keeps the first spelling.
//!
//! This crate is `no_std` and uses only `core` and `alloc`: the image gets it through the `dns`
//! library (re-exported as `dns::compiled`), the host compiler `dns-zone` depends on it
//! directly. It is a crate of its own because the `dns` package's build script runs the zone
//! compiler: if the compiler depended on the `dns` package, the packages would form a cycle,
//! which cargo rejects.
//!
//! # Code size
//!
//! The DNS image is held to a budget (docs/image-size.md), and moving this code out of the
//! `dns` crate must not grow it. Three things keep the image's code as it was:
//! - The builder is the feature `builder` (on by default; the `dns` library turns it off):
//!   the image only reads. Nothing here that the image compiles may instantiate `Vec`'s or
//!   `String`'s generic code: the `dns` crate would use this crate's copies of it, the rest of
//!   the image its own, and the image would hold both (about 600 bytes). So
//!   [`name::write_text`] is generic and [`name::to_text`] `#[inline]`: both are compiled in
//!   the crate that calls them.
//! - The name comparisons the resolver calls most ([`name::eq`], [`name::is_within`],
//!   [`name::is_below`]) are `#[inline]`: the `dns` crate could inline them when they were
//!   part of it.
//! - [`rdata::layout`] is `#[inline(never)]`: one copy for all its callers.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

#[cfg(feature = "builder")]
mod builder;
pub mod name;
pub mod nsec3;
pub mod rdata;

#[cfg(feature = "builder")]
pub use builder::{BuildError, ZoneSetBuilder};

/// The first four octets of a compiled zone set.
pub const MAGIC: [u8; 4] = *b"XDNZ";
/// The format version this crate writes and reads.
pub const VERSION: u16 = 2;
/// Denial index kinds (see the format above).
pub const DENIAL_NONE: u8 = 0;
/// The zone denies existence with NSEC records.
pub const DENIAL_NSEC: u8 = 1;
/// The zone denies existence with NSEC3 records.
pub const DENIAL_NSEC3: u8 = 2;
/// NSEC3's hash algorithm 1, SHA-1 (RFC 5155 §11), the only one defined.
pub const NSEC3_SHA1: u8 = 1;
/// The length of an NSEC3 hash (SHA-1).
pub const NSEC3_HASH_LEN: usize = 20;
/// The fixed header: magic, version, zone count, total length, checksum.
pub const HEADER_LEN: usize = 16;

/// FNV-1a, 32 bit: the blob's checksum (catches truncation and bit rot, not tampering).
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, &b| {
        (hash ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}
