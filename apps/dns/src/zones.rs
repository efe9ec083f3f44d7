//! The loaded zone set: the compiled blob, checked once, plus a small index for lookups.
//!
//! [`Zones::from_compiled`] copies the blob (it may come from a boot module) and validates
//! every length, name, order and rule of the format (see [`compiled`](crate::compiled)) before
//! anything reads it; afterwards lookups still use checked accessors, so a bug can at worst
//! produce a wrong answer, never a panic. Memory: the blob itself plus 12 octets per name and
//! 12 per RRset (a 10 000-record zone needs well under 1 MiB). Every step of loading is
//! O(n log n) or better in the size of the blob, whatever it holds.
//!
//! Names are found by binary search in DNSSEC canonical order (RFC 4034 §6.1), which also
//! answers "does anything exist below this name?" (empty non-terminals, RFC 4592 §2.2.2): the
//! descendants of a name immediately follow it.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use crate::compiled::rdata::{self, rtype};
use crate::compiled::{self, name};

/// Why a compiled zone set was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The blob does not start with the compiled-zone magic number.
    BadMagic,
    /// The blob is of a format version this server does not read.
    Version(u16),
    /// The blob is shorter than its header says (or than its header).
    Truncated {
        /// Octets the header announces (or needs).
        expected: usize,
        /// Octets present.
        actual: usize,
    },
    /// The blob's checksum does not match its contents.
    Checksum,
    /// The blob holds no zone.
    NoZones,
    /// A structural error at an offset: a bad length, name, order or zone offset.
    Malformed {
        /// Offset of the problem in the blob.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A zone breaks a rule of the format (SOA, NS, CNAME, DNAME, ...).
    Invalid {
        /// The zone's apex.
        zone: String,
        /// What is wrong.
        what: &'static str,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::BadMagic => write!(
                f,
                "not a compiled zone set (bad magic number); compile zone files with dns-zone"
            ),
            LoadError::Version(v) => write!(
                f,
                "compiled zone set version {v} is not supported (this server reads version {}); recompile with the matching dns-zone",
                compiled::VERSION
            ),
            LoadError::Truncated { expected, actual } => {
                write!(
                    f,
                    "the compiled zone set is truncated: {actual} of {expected} octets"
                )
            }
            LoadError::Checksum => {
                write!(f, "the compiled zone set is corrupt (checksum mismatch)")
            }
            LoadError::NoZones => write!(f, "the compiled zone set holds no zone"),
            LoadError::Malformed { offset, what } => {
                write!(
                    f,
                    "the compiled zone set is malformed at offset {offset}: {what}"
                )
            }
            LoadError::Invalid { zone, what } => {
                write!(f, "zone {zone} in the compiled zone set is invalid: {what}")
            }
        }
    }
}

/// A zone: its apex and its slice of the node index.
#[derive(Clone, Debug)]
pub(crate) struct Zone {
    /// The apex name in the blob.
    pub(crate) apex: Range<usize>,
    /// Indices into [`Zones::nodes`], in canonical order, the apex first.
    pub(crate) nodes: Range<usize>,
    /// The apex SOA RRset (index into [`Zones::rrsets`]).
    pub(crate) soa: usize,
    /// How the zone denies existence.
    pub(crate) denial: Denial,
}

/// How a zone denies existence: its denial index (see `dns::compiled`), as places in the blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Denial {
    /// No NSEC or NSEC3 records: the zone is not signed (as far as answers go).
    None,
    /// NSEC: `index` holds the zone-relative indexes (u32) of the nodes that own NSEC.
    Nsec { index: Range<usize> },
    /// NSEC3: `index` holds (hash, node index) entries in hash order; names are hashed with
    /// `iterations` and the salt at `salt`.
    Nsec3 {
        iterations: u16,
        salt: Range<usize>,
        index: Range<usize>,
    },
}

/// A name that owns data.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// Offset of the owner name in the blob.
    name: u32,
    /// Length of the owner name.
    name_len: u8,
    /// Number of RRsets.
    rrset_count: u16,
    /// Index of the first RRset in [`Zones::rrsets`].
    first_rrset: u32,
}

/// One RRset: its type, TTL and where its records are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rrset {
    /// The record type.
    pub(crate) rtype: u16,
    /// Number of records.
    pub(crate) count: u16,
    /// The TTL.
    pub(crate) ttl: u32,
    /// Offset in the blob of the first record's RDLENGTH.
    records: u32,
}

/// The zones a server answers for: loaded, validated, ready to answer.
pub struct Zones {
    blob: Vec<u8>,
    zones: Vec<Zone>,
    /// Indices into `zones`, sorted by apex in canonical order (for the longest match).
    by_apex: Vec<usize>,
    nodes: Vec<Node>,
    rrsets: Vec<Rrset>,
    record_count: usize,
}

impl fmt::Debug for Zones {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Zones")
            .field("zones", &self.zones.len())
            .field("names", &self.nodes.len())
            .field("rrsets", &self.rrsets.len())
            .field("records", &self.record_count)
            .field("octets", &self.blob.len())
            .finish()
    }
}

/// Where a name stands in a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Existence {
    /// A node owns data at the name (index into the node index).
    Node(usize),
    /// Nothing at the name, but names exist below it (an empty non-terminal).
    EmptyNonTerminal,
    /// Neither the name nor anything below it exists.
    None,
}

impl Zones {
    /// Parses and validates a compiled zone set (untrusted: it may come from a boot module).
    /// Never panics; every problem is a [`LoadError`] that says what is wrong.
    pub fn from_compiled(bytes: &[u8]) -> Result<Zones, LoadError> {
        Loader::new(bytes)?.load()
    }

    /// The apex of each zone, in presentation form (for logging).
    pub fn zone_names(&self) -> impl Iterator<Item = String> + '_ {
        self.zones
            .iter()
            .map(|z| text(self.blob.get(z.apex.clone()).unwrap_or(&[0])))
    }

    /// The number of zones.
    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The number of records in all zones (after duplicates were merged).
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// The zone whose apex is `apex` exactly (case-insensitive).
    pub(crate) fn zone_at(&self, apex: &[u8]) -> Option<&Zone> {
        let found = self.by_apex.binary_search_by(|&i| {
            let zone = self.zones.get(i).map_or(&[0u8][..], |z| self.apex(z));
            name::cmp_canonical(zone, apex)
        });
        self.zones.get(*self.by_apex.get(found.ok()?)?)
    }

    pub(crate) fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// A zone's apex name.
    pub(crate) fn apex(&self, zone: &Zone) -> &[u8] {
        self.blob.get(zone.apex.clone()).unwrap_or(&[0])
    }

    /// Where a node's owner name is in the blob.
    /// The owner name of `node` (the root name for a node that does not exist).
    pub(crate) fn node_name(&self, node: usize) -> &[u8] {
        self.nodes.get(node).map_or(&[0], |n| self.name_of(n))
    }

    pub(crate) fn node_name_range(&self, node: usize) -> Option<Range<usize>> {
        let node = self.nodes.get(node)?;
        let start = node.name as usize;
        Some(start..start + usize::from(node.name_len))
    }

    /// The RRsets of a node (indices into the RRset table), sorted by type.
    pub(crate) fn node_rrsets(&self, node: usize) -> Range<usize> {
        match self.nodes.get(node) {
            Some(n) => {
                let first = n.first_rrset as usize;
                first..first + usize::from(n.rrset_count)
            }
            None => 0..0,
        }
    }

    pub(crate) fn rrset(&self, index: usize) -> Option<&Rrset> {
        self.rrsets.get(index)
    }

    /// The RRset of `rtype` at a node.
    pub(crate) fn find_rrset(&self, node: usize, rtype: u16) -> Option<usize> {
        self.node_rrsets(node)
            .find(|&i| self.rrsets.get(i).is_some_and(|r| r.rtype == rtype))
    }

    /// The records of an RRset: for each, the blob range of its RDATA.
    /// The RRSIG RRset of `node` that covers `covered`, if the zone signs it.
    pub(crate) fn find_rrsig(&self, node: usize, covered: u16) -> Option<usize> {
        self.node_rrsets(node).find(|&i| {
            self.rrsets.get(i).is_some_and(|r| {
                r.rtype == rtype::RRSIG
                    && self
                        .blob
                        .get(r.records as usize + 2..)
                        .and_then(rdata::rrsig_covered)
                        == Some(covered)
            })
        })
    }

    pub(crate) fn records(&self, rrset: usize) -> RecordIter<'_> {
        match self.rrsets.get(rrset) {
            Some(r) => RecordIter {
                blob: &self.blob,
                pos: r.records as usize,
                left: r.count,
            },
            None => RecordIter {
                blob: &self.blob,
                pos: 0,
                left: 0,
            },
        }
    }

    /// Finds `name` in a zone (case-insensitive).
    pub(crate) fn find(&self, zone: &Zone, name: &[u8]) -> Existence {
        let nodes = self.nodes.get(zone.nodes.clone()).unwrap_or(&[]);
        let found = nodes.binary_search_by(|node| name::cmp_canonical(self.name_of(node), name));
        match found {
            Ok(i) => Existence::Node(zone.nodes.start + i),
            Err(i) => match nodes.get(i) {
                Some(next) if name::is_below(self.name_of(next), name) => {
                    Existence::EmptyNonTerminal
                }
                _ => Existence::None,
            },
        }
    }

    fn name_of(&self, node: &Node) -> &[u8] {
        let start = node.name as usize;
        self.blob
            .get(start..start + usize::from(node.name_len))
            .unwrap_or(&[0])
    }
}

/// The records of one RRset, as blob ranges of their RDATA.
#[derive(Debug)]
pub(crate) struct RecordIter<'a> {
    blob: &'a [u8],
    pos: usize,
    left: u16,
}

impl Iterator for RecordIter<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let len = self.blob.get(self.pos..self.pos + 2)?;
        let start = self.pos + 2;
        let end = start + usize::from(u16::from_be_bytes([len[0], len[1]]));
        if end > self.blob.len() {
            self.left = 0;
            return None;
        }
        self.pos = end;
        Some(start..end)
    }
}

/// Reads and checks a blob, building the index as it goes.
struct Loader<'a> {
    bytes: &'a [u8],
    pos: usize,
    zones: Vec<Zone>,
    nodes: Vec<Node>,
    rrsets: Vec<Rrset>,
    record_count: usize,
}

fn malformed(offset: usize, what: &'static str) -> LoadError {
    LoadError::Malformed { offset, what }
}

impl<'a> Loader<'a> {
    /// Checks the header, length and checksum.
    fn new(bytes: &'a [u8]) -> Result<Self, LoadError> {
        if bytes.len() < 4 || bytes[..4] != compiled::MAGIC {
            return Err(LoadError::BadMagic);
        }
        if bytes.len() < compiled::HEADER_LEN {
            return Err(LoadError::Truncated {
                expected: compiled::HEADER_LEN,
                actual: bytes.len(),
            });
        }
        let version = u16::from_be_bytes([bytes[4], bytes[5]]);
        if version != compiled::VERSION {
            return Err(LoadError::Version(version));
        }
        let total = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        if total > bytes.len() {
            return Err(LoadError::Truncated {
                expected: total,
                actual: bytes.len(),
            });
        }
        if total < bytes.len() {
            return Err(malformed(total, "data after the end the header announces"));
        }
        let sum = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        if compiled::checksum(&bytes[compiled::HEADER_LEN..]) != sum {
            return Err(LoadError::Checksum);
        }
        Ok(Loader {
            bytes,
            pos: compiled::HEADER_LEN,
            zones: Vec::new(),
            nodes: Vec::new(),
            rrsets: Vec::new(),
            record_count: 0,
        })
    }

    fn u16(&mut self) -> Result<u16, LoadError> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, LoadError> {
        self.array().map(u32::from_be_bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let at = self.pos;
        self.take(N)?
            .try_into()
            .map_err(|_| malformed(at, "a field runs past the end"))
    }

    /// The octets of a range that [`Loader::name`] returned (checked: no panic path).
    fn bytes_of(&self, range: &Range<usize>) -> &'a [u8] {
        self.bytes.get(range.clone()).unwrap_or(&[])
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], LoadError> {
        let bytes = self.bytes;
        let slice = bytes
            .get(self.pos..self.pos.saturating_add(len))
            .ok_or(malformed(self.pos, "a field runs past the end"))?;
        self.pos += len;
        Ok(slice)
    }

    fn name(&mut self) -> Result<Range<usize>, LoadError> {
        let start = self.pos;
        let len = name::wire_len(self.bytes.get(start..).unwrap_or(&[]))
            .ok_or(malformed(start, "not a valid uncompressed domain name"))?;
        self.pos += len;
        Ok(start..start + len)
    }

    fn load(mut self) -> Result<Zones, LoadError> {
        let count = usize::from(u16::from_be_bytes([self.bytes[6], self.bytes[7]]));
        if count == 0 {
            return Err(LoadError::NoZones);
        }
        let mut offsets = Vec::with_capacity(count.min(self.bytes.len() / 4));
        for _ in 0..count {
            offsets.push(self.u32()? as usize);
        }
        for (index, &start) in offsets.iter().enumerate() {
            let end = offsets.get(index + 1).copied().unwrap_or(self.bytes.len());
            if start != self.pos || end < start || end > self.bytes.len() {
                return Err(malformed(
                    compiled::HEADER_LEN + 4 * index,
                    "a zone offset does not match where the zone starts",
                ));
            }
            self.zone(end)?;
            if self.pos != end {
                return Err(malformed(
                    self.pos,
                    "a zone's data does not end where the next zone starts",
                ));
            }
        }
        let bytes = self.bytes;
        let apex_of = |i: usize| {
            self.zones
                .get(i)
                .and_then(|z| bytes.get(z.apex.clone()))
                .unwrap_or(&[0])
        };
        let mut by_apex: Vec<usize> = (0..self.zones.len()).collect();
        heapsort(&mut by_apex, |&a, &b| {
            name::cmp_canonical(apex_of(a), apex_of(b)).is_lt()
        });
        if let Some(pair) = by_apex
            .windows(2)
            .find(|pair| name::eq(apex_of(pair[0]), apex_of(pair[1])))
        {
            return Err(LoadError::Invalid {
                zone: text(apex_of(pair[0])),
                what: "the zone appears twice",
            });
        }
        self.nodes.shrink_to_fit();
        self.rrsets.shrink_to_fit();
        Ok(Zones {
            blob: self.bytes.to_vec(),
            zones: self.zones,
            by_apex,
            nodes: self.nodes,
            rrsets: self.rrsets,
            record_count: self.record_count,
        })
    }

    /// One zone, ending at `end`.
    // Out of line: inlined into `load` (its only caller) the image was 0.7 KB larger.
    #[inline(never)]
    fn zone(&mut self, end: usize) -> Result<(), LoadError> {
        let apex = self.name()?;
        let apex_bytes = self.bytes_of(&apex);
        let invalid = |what| invalid(apex_bytes, what);
        let node_count = self.u32()? as usize;
        let declared_records = self.u32()? as usize;
        // Every node takes at least 13 octets: do not trust a count the data cannot hold.
        if node_count == 0 || node_count > end.saturating_sub(self.pos) / 13 {
            return Err(malformed(
                self.pos,
                "the node count does not fit the zone's data",
            ));
        }
        let first_node = self.nodes.len();
        let mut records = 0usize;
        let mut soa = None;
        let mut dname_owner: Option<Range<usize>> = None;
        let mut previous: Option<Range<usize>> = None;
        for _ in 0..node_count {
            let owner = self.name()?;
            let owner_bytes = self.bytes_of(&owner);
            let owner_at = owner.start;
            match &previous {
                None if !name::eq(owner_bytes, apex_bytes) => {
                    return Err(malformed(
                        owner_at,
                        "the first name of a zone is not its apex",
                    ));
                }
                Some(prev)
                    if name::cmp_canonical(self.bytes_of(prev), owner_bytes)
                        != core::cmp::Ordering::Less =>
                {
                    return Err(malformed(
                        owner_at,
                        "names are not in strictly increasing canonical order",
                    ));
                }
                _ => {}
            }
            if !name::is_within(owner_bytes, apex_bytes) {
                return Err(malformed(owner_at, "a name is outside its zone"));
            }
            if dname_owner
                .as_ref()
                .is_some_and(|d| name::is_below(owner_bytes, self.bytes_of(d)))
            {
                return Err(invalid("a name exists below a DNAME"));
            }
            let at_apex = previous.is_none();
            previous = Some(owner.clone());

            let rrset_count = self.u16()?;
            if rrset_count == 0 {
                return Err(malformed(self.pos - 2, "a name without records"));
            }
            let first_rrset = self.rrsets.len();
            let mut last_key: Option<(u16, u16)> = None;
            let (mut has_cname, mut has_other) = (false, false);
            for _ in 0..rrset_count {
                let at = self.pos;
                let rtype = self.u16()?;
                let ttl = self.u32()?;
                let count = self.u16()?;
                // RRSIGs: one RRset per type covered (read from the first record, checked on
                // the others below).
                let covered = match rtype {
                    rtype::RRSIG => self
                        .bytes
                        .get(self.pos + 2..self.pos + 4)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]])),
                    _ => 0,
                };
                if last_key.is_some_and(|k| k >= (rtype, covered)) {
                    return Err(malformed(
                        at,
                        "record types of a name are not in increasing order",
                    ));
                }
                last_key = Some((rtype, covered));
                if count == 0 {
                    return Err(malformed(at, "an RRset without records"));
                }
                if rdata::is_meta(rtype) {
                    return Err(malformed(at, "a meta-type (OPT, ANY, AXFR, ...) in a zone"));
                }
                let records_at = self.pos;
                let mut previous_rdata: Option<&[u8]> = None;
                for _ in 0..count {
                    let len = usize::from(self.u16()?);
                    let rdata = self.take(len)?;
                    if rdata::check(rtype, rdata).is_err()
                        || (rtype == rtype::RRSIG && rdata::rrsig_covered(rdata) != Some(covered))
                    {
                        return Err(malformed(self.pos - len, "RDATA malformed for its type"));
                    }
                    if previous_rdata.is_some_and(|p| p >= rdata) {
                        return Err(malformed(
                            self.pos - len,
                            "records of an RRset are not sorted or repeat",
                        ));
                    }
                    previous_rdata = Some(rdata);
                }
                match rtype {
                    rtype::SOA if !at_apex => {
                        return Err(invalid("an SOA record is not at the apex"));
                    }
                    rtype::SOA if count != 1 => return Err(invalid("more than one SOA record")),
                    rtype::SOA => soa = Some(self.rrsets.len()),
                    rtype::CNAME | rtype::DNAME if count != 1 => {
                        return Err(invalid("more than one CNAME or DNAME at a name"));
                    }
                    rtype::DNAME => dname_owner = Some(owner.clone()),
                    _ => {}
                }
                match rtype {
                    rtype::CNAME => has_cname = true,
                    rtype::RRSIG | rtype::NSEC => {}
                    _ => has_other = true,
                }
                records += usize::from(count);
                self.rrsets.push(Rrset {
                    rtype,
                    count,
                    ttl,
                    records: records_at as u32,
                });
            }
            if has_cname && (has_other || at_apex) {
                return Err(invalid("a CNAME shares its name with other data"));
            }
            if at_apex
                && !self
                    .rrsets
                    .get(first_rrset..)
                    .unwrap_or(&[])
                    .iter()
                    .any(|r| r.rtype == rtype::NS)
            {
                return Err(invalid("no NS records at the apex"));
            }
            self.nodes.push(Node {
                name: owner.start as u32,
                name_len: owner.len() as u8,
                rrset_count,
                first_rrset: first_rrset as u32,
            });
            if self.pos > end {
                return Err(malformed(end, "a zone runs into the next one"));
            }
        }
        if records != declared_records {
            return Err(malformed(
                apex.start,
                "the record count does not match the records",
            ));
        }
        let soa = soa.ok_or_else(|| invalid("no SOA record at the apex"))?;
        let nodes = first_node..self.nodes.len();
        let denial = self.denial()?;
        self.record_count += records;
        self.zones.push(Zone {
            apex,
            nodes,
            soa,
            denial,
        });
        Ok(())
    }

    /// Reads a zone's denial index.
    fn denial(&mut self) -> Result<Denial, LoadError> {
        let at = self.pos;
        let [kind] = self.array::<1>()?;
        let (entry_len, denial) = match kind {
            compiled::DENIAL_NONE => return Ok(Denial::None),
            compiled::DENIAL_NSEC => (4, Denial::Nsec { index: 0..0 }),
            compiled::DENIAL_NSEC3 => {
                let iterations = self.u16()?;
                let [salt_len] = self.array::<1>()?;
                let salt = self.pos..self.pos + usize::from(salt_len);
                self.take(usize::from(salt_len))?;
                let denial = Denial::Nsec3 {
                    iterations,
                    salt,
                    index: 0..0,
                };
                (compiled::NSEC3_HASH_LEN + 4, denial)
            }
            _ => return Err(malformed(at, "unknown kind of denial index")),
        };
        let count = self.u32()? as usize;
        let start = self.pos;
        // Only the size is checked: lookups read the entries with `get` and check what they
        // find (an entry out of order or naming another node gives a wrong proof, never a
        // panic; the builder writes them in order, and a module's author controls every
        // record anyway).
        self.take(count.saturating_mul(entry_len))?;
        let index = start..self.pos;
        Ok(match denial {
            Denial::Nsec3 {
                iterations, salt, ..
            } => Denial::Nsec3 {
                iterations,
                salt,
                index,
            },
            _ => Denial::Nsec { index },
        })
    }
}

/// A zone's rule broken, named by the zone's apex. Out of line: one copy for the seven
/// rules `Loader::zone` checks, not one each (80 bytes).
#[inline(never)]
fn invalid(apex: &[u8], what: &'static str) -> LoadError {
    LoadError::Invalid {
        zone: text(apex),
        what,
    }
}

/// Sorts `items` by `less` with heapsort: O(n log n) and no allocation like the standard
/// library's sort, but a few hundred bytes of code instead of its 4 KB (the image budget).
fn heapsort<T>(items: &mut [T], mut less: impl FnMut(&T, &T) -> bool) {
    let mut sift_down = |items: &mut [T], mut node: usize, end: usize| loop {
        // (Lets the compiler drop the bounds checks below.)
        let end = end.min(items.len());
        let mut child = 2 * node + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&items[child], &items[child + 1]) {
            child += 1;
        }
        if !less(&items[node], &items[child]) {
            break;
        }
        items.swap(node, child);
        node = child;
    };
    let len = items.len();
    for node in (0..len / 2).rev() {
        sift_down(items, node, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

/// A name in presentation form, for messages and logs. One function of this crate rather than
/// `name::to_text`, which is `#[inline]`: the server binary gets [`Zones::zone_names`] through
/// a generic iterator and would otherwise compile a second copy.
///
/// Through `format!`, so that the `fmt::Write` of `String` is alloc's own, which the image has
/// anyway, not a second copy compiled here (0.2 KB).
fn text(wire: &[u8]) -> String {
    struct Text<'a>(&'a [u8]);
    impl fmt::Display for Text<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            name::write_text(self.0, f)
        }
    }
    alloc::format!("{}", Text(wire))
}

#[cfg(test)]
mod tests {
    use super::heapsort;
    use alloc::vec::Vec;

    #[test]
    fn heapsort_sorts_like_the_standard_sort() {
        let mut state = 0x2545_f491_u32;
        for len in 0..40 {
            let mut items: Vec<u32> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state % 16
                })
                .collect();
            let mut expected = items.clone();
            expected.sort();
            heapsort(&mut items, |a, b| a < b);
            assert_eq!(items, expected, "length {len}");
        }
    }
}
