//! [`ZoneSetBuilder`]: writes a compiled zone set (the format is described in the crate's
//! docs), checking every rule the loader checks again. Host code (the `dns-zone` compiler,
//! tests) turns it on with the feature `builder`; the image only reads.

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use crate::rdata::{TypeName, rtype};
use crate::{
    DENIAL_NONE, DENIAL_NSEC, DENIAL_NSEC3, HEADER_LEN, MAGIC, NSEC3_HASH_LEN, NSEC3_SHA1, VERSION,
    checksum, name, rdata,
};

/// Why a zone set could not be built. Names are in presentation form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// A record was added before any zone was started.
    NoZone,
    /// An apex or owner name is not a valid uncompressed wire-format name.
    BadName {
        /// Which name: "zone apex", "owner".
        what: &'static str,
    },
    /// The same apex was given for two zones.
    DuplicateZone {
        /// The apex.
        apex: String,
    },
    /// A record's class is not IN.
    Class {
        /// The owner.
        owner: String,
        /// The record type.
        rtype: u16,
        /// The class given.
        class: u16,
    },
    /// A record's type is a meta-type or query type (OPT, ANY, AXFR, ...).
    MetaType {
        /// The owner.
        owner: String,
        /// The record type.
        rtype: u16,
    },
    /// A record's owner is outside the zone being built.
    OutOfZone {
        /// The owner.
        owner: String,
        /// The zone's apex.
        apex: String,
    },
    /// A record's RDATA is malformed for its type.
    BadRdata {
        /// The owner.
        owner: String,
        /// The record type.
        rtype: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// A zone has no SOA record at its apex.
    MissingSoa {
        /// The zone's apex.
        apex: String,
    },
    /// A zone has more than one SOA record.
    MultipleSoa {
        /// The zone's apex.
        apex: String,
    },
    /// An SOA record is not at the apex.
    SoaNotAtApex {
        /// The owner.
        owner: String,
    },
    /// A zone has no NS records at its apex.
    MissingApexNs {
        /// The zone's apex.
        apex: String,
    },
    /// A CNAME shares its owner with other data (RFC 1034 §3.6.2, RFC 2181 §10.1).
    CnameAndOtherData {
        /// The owner.
        owner: String,
        /// One of the other types.
        rtype: u16,
    },
    /// More than one CNAME (or DNAME) record at one owner (RFC 2181 §10.1, RFC 6672 §2.4).
    MultipleAlias {
        /// The owner.
        owner: String,
        /// CNAME or DNAME.
        rtype: u16,
    },
    /// A name exists below a DNAME owner (RFC 6672 §2.4).
    BelowDname {
        /// The owner below the DNAME.
        owner: String,
        /// The DNAME owner.
        dname: String,
    },
    /// The zone's authenticated denial of existence (NSEC or NSEC3) cannot be indexed.
    Denial {
        /// The owner of the offending record.
        owner: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The zone set exceeds a limit of the format.
    TooLarge {
        /// Which limit.
        what: &'static str,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoZone => write!(
                f,
                "a record was added before any zone was started; start a zone with its apex first"
            ),
            BuildError::BadName { what } => write!(
                f,
                "the {what} is not a valid domain name in uncompressed wire form"
            ),
            BuildError::DuplicateZone { apex } => {
                write!(f, "zone {apex} is given twice; give each zone once")
            }
            BuildError::Class {
                owner,
                rtype,
                class,
            } => write!(
                f,
                "{owner} {}: class {class} is not served; only class IN (1) is",
                TypeName(*rtype)
            ),
            BuildError::MetaType { owner, rtype } => write!(
                f,
                "{owner} {}: this type exists only in queries and cannot be put in a zone",
                TypeName(*rtype)
            ),
            BuildError::OutOfZone { owner, apex } => {
                write!(
                    f,
                    "{owner} is outside zone {apex}; records must be at or below the zone's apex"
                )
            }
            BuildError::BadRdata {
                owner,
                rtype,
                reason,
            } => write!(f, "{owner} {}: {reason}", TypeName(*rtype)),
            BuildError::MissingSoa { apex } => {
                write!(f, "zone {apex} has no SOA record at its apex; add one")
            }
            BuildError::MultipleSoa { apex } => write!(
                f,
                "zone {apex} has more than one SOA record; keep exactly one"
            ),
            BuildError::SoaNotAtApex { owner } => {
                write!(
                    f,
                    "{owner} SOA: an SOA record belongs at the zone's apex only"
                )
            }
            BuildError::MissingApexNs { apex } => write!(
                f,
                "zone {apex} has no NS records at its apex; add at least one"
            ),
            BuildError::CnameAndOtherData { owner, rtype } => write!(
                f,
                "{owner} has a CNAME and also {} data; a CNAME must be alone at its name (RFC 1034 §3.6.2)",
                TypeName(*rtype)
            ),
            BuildError::MultipleAlias { owner, rtype } => write!(
                f,
                "{owner} has more than one {} record; there can be only one",
                TypeName(*rtype)
            ),
            BuildError::BelowDname { owner, dname } => write!(
                f,
                "{owner} is below the DNAME at {dname}, where no data can exist (RFC 6672 §2.4)"
            ),
            BuildError::Denial { owner, reason } => write!(f, "{owner}: {reason}"),
            BuildError::TooLarge { what } => write!(f, "the zone set is too large: {what}"),
        }
    }
}

/// A record as added, before sorting.
#[derive(Debug)]
struct Draft {
    owner: Vec<u8>,
    rtype: u16,
    ttl: u32,
    rdata: Vec<u8>,
    /// Insertion order: the first spelling of a name and the last TTL of an RRset win.
    seq: usize,
}

impl Draft {
    /// What makes an RRset: the type, and for RRSIG the type covered.
    fn key(&self) -> (u16, u16) {
        match self.rtype {
            rtype::RRSIG => (self.rtype, rdata::rrsig_covered(&self.rdata).unwrap_or(0)),
            _ => (self.rtype, 0),
        }
    }
}

#[derive(Debug)]
struct DraftZone {
    apex: Vec<u8>,
    records: Vec<Draft>,
}

/// Builds a compiled zone set holding one or more zones.
///
/// Add zones with [`zone`](Self::zone), each followed by its records
/// ([`record`](Self::record)); [`finish`](Self::finish) checks every zone and returns the
/// blob. Records may come in any order; the result does not depend on it (except for the
/// spelling and TTL choices above).
#[derive(Debug, Default)]
pub struct ZoneSetBuilder {
    zones: Vec<DraftZone>,
    seq: usize,
}

impl ZoneSetBuilder {
    /// An empty zone set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a zone with its apex name (wire format, uncompressed); the records added next
    /// belong to it.
    pub fn zone(&mut self, apex: &[u8]) -> Result<(), BuildError> {
        if !name::is_valid(apex) {
            return Err(BuildError::BadName { what: "zone apex" });
        }
        if self.zones.iter().any(|z| name::eq(&z.apex, apex)) {
            return Err(BuildError::DuplicateZone {
                apex: name::to_text(apex),
            });
        }
        if self.zones.len() >= usize::from(u16::MAX) {
            return Err(BuildError::TooLarge {
                what: "more than 65535 zones",
            });
        }
        self.zones.push(DraftZone {
            apex: apex.to_vec(),
            records: Vec::new(),
        });
        Ok(())
    }

    /// Adds a record to the current zone: owner (wire format, uncompressed, original case),
    /// type, class (IN only accepted), TTL, RDATA (wire format, names uncompressed).
    pub fn record(
        &mut self,
        owner: &[u8],
        rtype: u16,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), BuildError> {
        let zone = self.zones.last_mut().ok_or(BuildError::NoZone)?;
        if !name::is_valid(owner) {
            return Err(BuildError::BadName { what: "owner" });
        }
        let text = || name::to_text(owner);
        if class != rdata::CLASS_IN {
            return Err(BuildError::Class {
                owner: text(),
                rtype,
                class,
            });
        }
        if rdata::is_meta(rtype) {
            return Err(BuildError::MetaType {
                owner: text(),
                rtype,
            });
        }
        if !name::is_within(owner, &zone.apex) {
            return Err(BuildError::OutOfZone {
                owner: text(),
                apex: name::to_text(&zone.apex),
            });
        }
        if rdata.len() > usize::from(u16::MAX) {
            return Err(BuildError::BadRdata {
                owner: text(),
                rtype,
                reason: "the RDATA is longer than 65535 octets",
            });
        }
        rdata::check(rtype, rdata).map_err(|reason| BuildError::BadRdata {
            owner: text(),
            rtype,
            reason,
        })?;
        self.seq += 1;
        zone.records.push(Draft {
            owner: owner.to_vec(),
            rtype,
            ttl,
            rdata: rdata.to_vec(),
            seq: self.seq,
        });
        Ok(())
    }

    /// Validates (SOA present exactly once at the apex, NS at the apex, CNAME not mixed with
    /// other data, nothing below a DNAME, ...) and serializes the zone set.
    pub fn finish(self) -> Result<Vec<u8>, BuildError> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_be_bytes());
        out.extend_from_slice(&(self.zones.len() as u16).to_be_bytes());
        out.extend_from_slice(&[0; 8]); // total length and checksum, filled in below
        let directory = out.len();
        out.resize(directory + 4 * self.zones.len(), 0);
        for (index, zone) in self.zones.into_iter().enumerate() {
            let offset = u32::try_from(out.len()).map_err(|_| too_large())?;
            let slot = directory + 4 * index;
            out[slot..slot + 4].copy_from_slice(&offset.to_be_bytes());
            write_zone(zone, &mut out)?;
        }
        let total = u32::try_from(out.len()).map_err(|_| too_large())?;
        out[8..12].copy_from_slice(&total.to_be_bytes());
        let sum = checksum(&out[HEADER_LEN..]);
        out[12..16].copy_from_slice(&sum.to_be_bytes());
        Ok(out)
    }
}

fn too_large() -> BuildError {
    BuildError::TooLarge {
        what: "the compiled zone set exceeds 4 GiB",
    }
}

/// One RRset after sorting: records `first..end` of the sorted list.
struct Group {
    first: usize,
    end: usize,
}

/// Sorts, merges and checks one zone, and appends it to `out`.
fn write_zone(zone: DraftZone, out: &mut Vec<u8>) -> Result<(), BuildError> {
    let DraftZone { apex, mut records } = zone;
    let apex_text = || name::to_text(&apex);
    records.sort_by(|a, b| {
        name::cmp_canonical(&a.owner, &b.owner)
            .then(a.key().cmp(&b.key()))
            .then_with(|| a.rdata.cmp(&b.rdata))
            .then(a.seq.cmp(&b.seq))
    });
    // Duplicates (same owner, type and RDATA) are dropped; the TTL of the last one added is
    // kept, because the RRset takes the TTL of its last record anyway (below).
    records.dedup_by(|later, earlier| {
        let same = name::eq(&later.owner, &earlier.owner)
            && later.rtype == earlier.rtype
            && later.rdata == earlier.rdata;
        if same && later.seq > earlier.seq {
            earlier.ttl = later.ttl;
            earlier.seq = later.seq;
        }
        same
    });

    // Nodes: runs of records with equal owners; RRsets: runs of equal types within a node.
    let mut nodes: Vec<(usize, usize)> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        match nodes.last_mut() {
            Some((start, end)) if name::eq(&records[*start].owner, &record.owner) => *end = i + 1,
            _ => nodes.push((i, i + 1)),
        }
    }

    let mut soa_count = 0usize;
    let mut apex_ns = false;
    // Nodes (zone-relative index) with NSEC and NSEC3 RRsets, the apex's NSEC3PARAM.
    let mut nsec_nodes: Vec<u32> = Vec::new();
    let mut nsec3_nodes: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut nsec3param: Option<Vec<u8>> = None;
    let mut dname_owner: Option<&[u8]> = None;
    let mut body = Vec::new();
    for (node_index, &(start, end)) in nodes.iter().enumerate() {
        let node = &records[start..end];
        // The first spelling added wins.
        let owner = &node
            .iter()
            .min_by_key(|r| r.seq)
            .map_or(&node[0].owner, |r| &r.owner);
        let owner_text = || name::to_text(owner);
        let at_apex = name::eq(owner, &apex);
        if let Some(dname) = dname_owner
            && name::is_below(owner, dname)
        {
            return Err(BuildError::BelowDname {
                owner: owner_text(),
                dname: name::to_text(dname),
            });
        }
        let mut groups: Vec<Group> = Vec::new();
        for (i, record) in node.iter().enumerate() {
            match groups.last_mut() {
                Some(group) if node[group.first].key() == record.key() => group.end = i + 1,
                _ => groups.push(Group {
                    first: i,
                    end: i + 1,
                }),
            }
        }
        for group in &groups {
            let rtype = node[group.first].rtype;
            let count = group.end - group.first;
            match rtype {
                rtype::SOA if !at_apex => {
                    return Err(BuildError::SoaNotAtApex {
                        owner: owner_text(),
                    });
                }
                rtype::SOA => soa_count += count,
                rtype::NS if at_apex => apex_ns = true,
                rtype::CNAME | rtype::DNAME if count > 1 => {
                    return Err(BuildError::MultipleAlias {
                        owner: owner_text(),
                        rtype,
                    });
                }
                rtype::DNAME => dname_owner = Some(owner),
                rtype::NSEC => nsec_nodes.push(node_index as u32),
                rtype::NSEC3 => {
                    nsec3_nodes.push((nsec3_owner_hash(owner, &apex)?, node_index as u32))
                }
                rtype::NSEC3PARAM if at_apex && count == 1 => {
                    nsec3param = Some(node[group.first].rdata.clone());
                }
                rtype::NSEC3PARAM => {
                    return Err(BuildError::Denial {
                        owner: owner_text(),
                        reason: "NSEC3PARAM belongs at the apex, once",
                    });
                }
                _ => {}
            }
        }
        let mut types = groups.iter().map(|g| node[g.first].rtype);
        if types.clone().any(|t| t == rtype::CNAME)
            && let Some(other) =
                types.find(|&t| !matches!(t, rtype::CNAME | rtype::RRSIG | rtype::NSEC))
        {
            return Err(BuildError::CnameAndOtherData {
                owner: owner_text(),
                rtype: other,
            });
        }

        body.extend_from_slice(owner);
        let rrsets = u16::try_from(groups.len()).map_err(|_| BuildError::TooLarge {
            what: "a name has too many types",
        })?;
        body.extend_from_slice(&rrsets.to_be_bytes());
        for group in &groups {
            let set = &node[group.first..group.end];
            let ttl = set.iter().max_by_key(|r| r.seq).map_or(0, |r| r.ttl);
            let count = u16::try_from(set.len()).map_err(|_| BuildError::TooLarge {
                what: "an RRset has more than 65535 records",
            })?;
            body.extend_from_slice(&set[0].rtype.to_be_bytes());
            body.extend_from_slice(&ttl.to_be_bytes());
            body.extend_from_slice(&count.to_be_bytes());
            for record in set {
                body.extend_from_slice(&(record.rdata.len() as u16).to_be_bytes());
                body.extend_from_slice(&record.rdata);
            }
        }
    }
    match soa_count {
        0 => return Err(BuildError::MissingSoa { apex: apex_text() }),
        1 => {}
        _ => return Err(BuildError::MultipleSoa { apex: apex_text() }),
    }
    if !apex_ns {
        return Err(BuildError::MissingApexNs { apex: apex_text() });
    }
    // The apex record carries the SOA, so it sorts first; keep the zone's own spelling of
    // the apex in the header.
    debug_assert!(nodes.first().is_some_and(|&(s, _)| name::cmp_canonical(&records[s].owner, &apex) == Ordering::Equal));
    let too_many = |_| BuildError::TooLarge {
        what: "a zone has more than 2^32 records",
    };
    out.extend_from_slice(&apex);
    out.extend_from_slice(&u32::try_from(nodes.len()).map_err(too_many)?.to_be_bytes());
    out.extend_from_slice(
        &u32::try_from(records.len())
            .map_err(too_many)?
            .to_be_bytes(),
    );
    out.extend_from_slice(&body);
    write_denial(&apex, nsec_nodes, nsec3_nodes, nsec3param, out)
}

/// The denial index after a zone's nodes (see the crate docs): which nodes own NSEC records,
/// or the NSEC3 records' hashes in order, with the parameters to hash names with.
fn write_denial(
    apex: &[u8],
    nsec_nodes: Vec<u32>,
    mut nsec3_nodes: Vec<(Vec<u8>, u32)>,
    nsec3param: Option<Vec<u8>>,
    out: &mut Vec<u8>,
) -> Result<(), BuildError> {
    let denial = |reason| BuildError::Denial {
        owner: name::to_text(apex),
        reason,
    };
    match (nsec3param, nsec3_nodes.is_empty()) {
        (None, true) if nsec_nodes.is_empty() => out.push(DENIAL_NONE),
        (None, true) => {
            out.push(DENIAL_NSEC);
            out.extend_from_slice(&(nsec_nodes.len() as u32).to_be_bytes());
            for node in nsec_nodes {
                out.extend_from_slice(&node.to_be_bytes());
            }
        }
        (None, false) => return Err(denial("NSEC3 records without an NSEC3PARAM at the apex")),
        (Some(param), _) => {
            if !nsec_nodes.is_empty() {
                return Err(denial(
                    "both NSEC and NSEC3 records; a zone uses one or the other",
                ));
            }
            // Hash algorithm, flags, iterations, salt length, salt (RFC 5155 §4.2).
            let [algorithm, _flags, it_hi, it_lo, salt_len, ref salt @ ..] = param[..] else {
                return Err(denial("NSEC3PARAM is shorter than its fields"));
            };
            if algorithm != NSEC3_SHA1 {
                return Err(denial(
                    "NSEC3PARAM names a hash algorithm other than SHA-1 (1)",
                ));
            }
            if salt.len() != usize::from(salt_len) {
                return Err(denial("NSEC3PARAM's salt length does not match its salt"));
            }
            nsec3_nodes.sort();
            if nsec3_nodes.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(denial("two NSEC3 records have the same hashed owner"));
            }
            out.push(DENIAL_NSEC3);
            out.extend_from_slice(&[it_hi, it_lo, salt_len]);
            out.extend_from_slice(salt);
            out.extend_from_slice(&(nsec3_nodes.len() as u32).to_be_bytes());
            for (hash, node) in nsec3_nodes {
                out.extend_from_slice(&hash);
                out.extend_from_slice(&node.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// The hash an NSEC3 owner name stands for: its first label in base32hex (RFC 4648 §7, no
/// padding), which must be SHA-1's 20 octets, directly below the apex.
fn nsec3_owner_hash(owner: &[u8], apex: &[u8]) -> Result<Vec<u8>, BuildError> {
    let bad = |reason| BuildError::Denial {
        owner: name::to_text(owner),
        reason,
    };
    let label_len = usize::from(*owner.first().unwrap_or(&0));
    if name::parent(owner).is_none_or(|parent| !name::eq(parent, apex)) {
        return Err(bad(
            "an NSEC3 record's owner must be one label below the apex",
        ));
    }
    let label = &owner[1..1 + label_len];
    let hash = crate::nsec3::base32hex_decode(label).ok_or(bad(
        "an NSEC3 record's owner label is not a base32hex hash (RFC 5155 §3)",
    ))?;
    if hash.len() != NSEC3_HASH_LEN {
        return Err(bad(
            "an NSEC3 record's owner is not a SHA-1 hash (20 octets)",
        ));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::tests::wire;
    use alloc::{format, vec};

    #[test]
    fn base32hex_decodes_rfc4648_vectors() {
        // RFC 4648 §10, without padding.
        for (text, plain) in [
            ("", ""),
            ("CO", "f"),
            ("CPNG", "fo"),
            ("CPNMU", "foo"),
            ("CPNMUOG", "foob"),
            ("cpnmuoj1", "fooba"),
            ("CPNMUOJ1E8", "foobar"),
        ] {
            assert_eq!(
                crate::nsec3::base32hex_decode(text.as_bytes()).as_deref(),
                Some(plain.as_bytes()),
                "{text}"
            );
        }
        // Outside the alphabet, stray bits, an impossible length.
        for bad in ["CW", "CP", "C", "CPNG=", "CPN"] {
            assert_eq!(
                crate::nsec3::base32hex_decode(bad.as_bytes()),
                None,
                "{bad}"
            );
        }
    }

    fn soa() -> Vec<u8> {
        let mut soa = wire("ns.example.");
        soa.extend(wire("host.example."));
        soa.extend([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 1, 44]);
        soa
    }

    fn rrsig(covered: u16, tail: u8) -> Vec<u8> {
        let mut rdata = covered.to_be_bytes().to_vec();
        rdata.extend([13, 2, 0, 0, 14, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        rdata.extend(wire("example."));
        rdata.extend([tail; 8]);
        rdata
    }

    /// The zone's part of a one-zone blob, after its nodes: the denial index.
    fn denial_of(blob: &[u8], body_len: usize) -> &[u8] {
        &blob[blob.len() - body_len..]
    }

    #[test]
    fn rrsigs_form_one_rrset_per_type_covered_and_nsec_nodes_are_indexed() {
        let apex = wire("example.");
        let mut builder = ZoneSetBuilder::new();
        builder.zone(&apex).unwrap();
        builder.record(&apex, rtype::SOA, 1, 300, &soa()).unwrap();
        builder
            .record(&apex, rtype::NS, 1, 300, &wire("ns.example."))
            .unwrap();
        // Signatures added out of order, two per type for NS.
        for (covered, tail) in [(rtype::NS, 2), (rtype::SOA, 1), (rtype::NS, 1)] {
            builder
                .record(&apex, rtype::RRSIG, 1, 300, &rrsig(covered, tail))
                .unwrap();
        }
        let mut nsec = wire("ns.example.");
        nsec.extend([0, 1, 0x62]);
        builder.record(&apex, rtype::NSEC, 1, 300, &nsec).unwrap();
        let ns = wire("ns.example.");
        let mut nsec = apex.clone();
        nsec.extend([0, 1, 0x40]);
        builder.record(&ns, rtype::NSEC, 1, 300, &nsec).unwrap();
        builder
            .record(&ns, rtype::A, 1, 300, &[192, 0, 2, 1])
            .unwrap();
        let blob = builder.finish().unwrap();
        // NSEC at nodes 0 (the apex) and 1.
        assert_eq!(
            denial_of(&blob, 13),
            [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1]
        );
        // The apex: NS, SOA, RRSIG(NS) with 2 records, RRSIG(SOA) with 1, NSEC: 5 RRsets.
        let apex_at = HEADER_LEN + 4;
        let rrsets_at = apex_at + apex.len();
        let after_counts = rrsets_at + 8 + apex.len();
        assert_eq!(blob[after_counts..after_counts + 2], [0, 5]);
    }

    #[test]
    fn nsec3_hashes_are_indexed_in_order() {
        let apex = wire("example.");
        let mut builder = ZoneSetBuilder::new();
        builder.zone(&apex).unwrap();
        builder.record(&apex, rtype::SOA, 1, 300, &soa()).unwrap();
        builder
            .record(&apex, rtype::NS, 1, 300, &wire("ns.example."))
            .unwrap();
        // SHA-1, no flags, 0 iterations, salt AABB.
        builder
            .record(&apex, rtype::NSEC3PARAM, 1, 0, &[1, 0, 0, 0, 2, 0xaa, 0xbb])
            .unwrap();
        let hashes = [
            "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV",
            "00000000000000000000000000000001",
        ];
        for hash in hashes {
            let owner = wire(&format!("{hash}.example."));
            let mut rdata = vec![1, 0, 0, 0, 2, 0xaa, 0xbb, 20];
            rdata.extend([0x11; 20]);
            builder
                .record(&owner, rtype::NSEC3, 1, 300, &rdata)
                .unwrap();
        }
        let blob = builder.finish().unwrap();
        let index = denial_of(&blob, 1 + 2 + 1 + 2 + 4 + 2 * 24);
        assert_eq!(index[..10], [2, 0, 0, 2, 0xaa, 0xbb, 0, 0, 0, 2]);
        // 0000...01 (5 bits of 1 at the end: hash octet 19 = 0x01) first, VVVV... (all ones)
        // second.
        assert_eq!(index[10..30], [[0; 19].as_slice(), &[1]].concat());
        assert_eq!(index[34..54], [0xff; 20]);
        // A zone with NSEC3 records and no NSEC3PARAM is refused; so is a bad owner.
        let mut builder = ZoneSetBuilder::new();
        builder.zone(&apex).unwrap();
        builder.record(&apex, rtype::SOA, 1, 300, &soa()).unwrap();
        builder
            .record(&apex, rtype::NS, 1, 300, &wire("ns.example."))
            .unwrap();
        let owner = wire("not-a-hash.example.");
        let mut rdata = vec![1, 0, 0, 0, 0, 20];
        rdata.extend([0x11; 20]);
        builder
            .record(&owner, rtype::NSEC3, 1, 300, &rdata)
            .unwrap();
        assert!(matches!(builder.finish(), Err(BuildError::Denial { .. })));
    }
}
