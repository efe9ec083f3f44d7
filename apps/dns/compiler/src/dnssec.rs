//! Checks of a signed zone that can be made on the host, before the zone is compiled: what
//! a zone signer (`dnssec-signzone`, `ldns-signzone`, Knot) produces and a hand edit or a
//! stale file can break.
//!
//! A zone counts as signed when it has a DNSKEY at its apex or any RRSIG, NSEC, NSEC3 or
//! NSEC3PARAM record; unsigned zones are not checked here. For a signed zone:
//!
//! - **Signatures.** Every authoritative RRset (everything but the NS RRset of a delegation
//!   and the data at or below a zone cut other than its DS and NSEC) has at least one RRSIG
//!   whose signer is the zone's apex. Every RRSIG's signer is the apex; its key tag and
//!   algorithm are those of a DNSKEY at the apex; its labels field matches its owner (RFC
//!   4034 §3.1.3, one less for a wildcard); it covers a type that exists at its owner; and
//!   it is valid at "now": not expired, not yet to begin (inception in the future), and not
//!   expiring within the margin (`--sig-margin`). Times compare in serial number arithmetic
//!   (RFC 4034 §3.1.5).
//! - **NSEC** (RFC 4034 §4, RFC 4035 §2.3). Every authoritative name (a delegation point
//!   included, names below it not) has exactly one NSEC; its next name is the next such name
//!   in canonical order (RFC 4034 §6.1), the last one's the apex; its type bitmap lists
//!   exactly the types at the name.
//! - **NSEC3** (RFC 5155 §7.1). One NSEC3PARAM at the apex, hash algorithm SHA-1; every
//!   NSEC3 has its hash algorithm, iterations and salt; every authoritative name and every
//!   empty non-terminal has an NSEC3 whose owner is its hash (computed here, RFC 5155 §5),
//!   except the insecure delegations (and the empty non-terminals only they make) that an
//!   opt-out NSEC3 covers; every NSEC3 matches a name; their next hashed owners form one
//!   closed chain in hash order; bitmaps list exactly the types at the name.
//!
//! Not checked: the signatures themselves (that would need the algorithms' crypto, which the
//! compiler does without), that DS records match the child's keys, and CDS/CDNSKEY content.
//!
//! Every problem is reported at the line of the record at fault (a missing record at the
//! line of the name's first record, a zone-wide one at the SOA) as `NAME: message`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use dns_zone_format::name as wire_name;

use crate::rdata::dnssec::{
    Nsec, Nsec3, Rrsig, base32hex_decode, base32hex_encode, code, format_date, key_tag, types_text,
};
use crate::rdata::type_name;
use crate::{Record, Zone, name};

/// Record types the checks name.
const NS: u16 = 2;
const SOA: u16 = 6;

/// What the signature-time checks compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock {
    /// Now, in seconds since 1970.
    pub(crate) now: u64,
    /// Signatures that expire before `now + margin` are refused.
    pub(crate) margin: u64,
}

/// A problem: the index of the record it is reported at, and the message.
type Problem = (usize, String);

/// A name of the zone and the records it owns.
#[derive(Debug)]
struct Node {
    /// The first spelling of the owner.
    owner: Vec<u8>,
    /// Indexes into the zone's records, in file order.
    records: Vec<usize>,
    /// The name has NS records and is not the apex: a delegation point.
    cut: bool,
    /// The name is below a delegation point: glue or occluded data.
    occluded: bool,
}

/// A wire-format name ordered canonically (RFC 4034 §6.1), case-insensitively.
#[derive(Debug, Clone)]
struct Canonical(Vec<u8>);

impl PartialEq for Canonical {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Canonical {}

impl PartialOrd for Canonical {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Canonical {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        wire_name::cmp_canonical(&self.0, &other.0)
    }
}

/// Whether the zone is signed (see the module docs).
pub(crate) fn is_signed(zone: &Zone) -> bool {
    zone.records.iter().any(|r| {
        matches!(
            r.rtype,
            code::RRSIG | code::NSEC | code::NSEC3 | code::NSEC3PARAM
        ) || (r.rtype == code::DNSKEY && name::eq(&r.owner, &zone.apex))
    })
}

/// Checks a signed zone; the problems found, as (record index, message), in file order.
pub(crate) fn check(zone: &Zone, clock: Clock) -> Vec<(usize, String)> {
    let checker = Checker::new(zone);
    let mut problems = Vec::new();
    checker.signatures(clock, &mut problems);
    checker.denial(&mut problems);
    problems.sort_by_key(|(index, _)| *index);
    problems
}

struct Checker<'z> {
    zone: &'z Zone,
    nodes: BTreeMap<Canonical, Node>,
    /// The record problems are reported at when no record is at fault: the SOA.
    soa: usize,
}

impl<'z> Checker<'z> {
    fn new(zone: &'z Zone) -> Self {
        let mut nodes: BTreeMap<Canonical, Node> = BTreeMap::new();
        for (i, r) in zone.records.iter().enumerate() {
            nodes
                .entry(Canonical(r.owner.clone()))
                .or_insert_with(|| Node {
                    owner: r.owner.clone(),
                    records: Vec::new(),
                    cut: false,
                    occluded: false,
                })
                .records
                .push(i);
        }
        let cuts: Vec<Vec<u8>> = nodes
            .values_mut()
            .filter_map(|node| {
                node.cut = !name::eq(&node.owner, &zone.apex)
                    && node.records.iter().any(|&i| zone.records[i].rtype == NS);
                node.cut.then(|| node.owner.clone())
            })
            .collect();
        for node in nodes.values_mut() {
            node.occluded = cuts.iter().any(|cut| wire_name::is_below(&node.owner, cut));
        }
        let soa = zone
            .records
            .iter()
            .position(|r| r.rtype == SOA)
            .unwrap_or(0);
        Checker { zone, nodes, soa }
    }

    fn record(&self, index: usize) -> &'z Record {
        &self.zone.records[index]
    }

    fn apex_text(&self) -> String {
        name::to_text(&self.zone.apex)
    }

    /// The types at a node, increasing, without duplicates.
    fn types(&self, node: &Node) -> BTreeSet<u16> {
        node.records.iter().map(|&i| self.record(i).rtype).collect()
    }

    /// The types an NSEC or NSEC3 bitmap must list at a node: all of them, but at a
    /// delegation point only NS, DS, RRSIG and NSEC (other data there is not the zone's).
    fn bitmap_types(&self, node: &Node) -> BTreeSet<u16> {
        let mut types = self.types(node);
        if node.cut {
            types.retain(|t| matches!(*t, NS | code::DS | code::RRSIG | code::NSEC));
        }
        types
    }

    /// Whether the RRset of `rtype` at `node` is authoritative data that must be signed.
    fn is_signed_rrset(&self, node: &Node, rtype: u16) -> bool {
        if node.occluded || rtype == code::RRSIG {
            return false;
        }
        !node.cut || matches!(rtype, code::DS | code::NSEC)
    }

    fn signatures(&self, clock: Clock, problems: &mut Vec<Problem>) {
        let apex = &self.zone.apex;
        let keys: Vec<(u16, u8)> = self
            .zone
            .records
            .iter()
            .filter(|r| r.rtype == code::DNSKEY && name::eq(&r.owner, apex))
            .filter_map(|r| r.rdata.get(3).map(|&alg| (key_tag(&r.rdata), alg)))
            .collect();
        if keys.is_empty() {
            problems.push((
                self.soa,
                format!(
                    "{}: the zone is signed (it has RRSIG, NSEC or NSEC3 records) but has no DNSKEY records at its apex; sign it again with its keys",
                    self.apex_text()
                ),
            ));
        }
        for node in self.nodes.values() {
            let owner = name::to_text(&node.owner);
            let types = self.types(node);
            // The types covered by a signature of the zone.
            let mut covered = BTreeSet::new();
            for &i in &node.records {
                let r = self.record(i);
                if r.rtype != code::RRSIG {
                    continue;
                }
                let sig = match Rrsig::parse(&r.rdata) {
                    Ok(sig) => sig,
                    Err(e) => {
                        problems.push((i, format!("{owner}: {e}")));
                        continue;
                    }
                };
                let what = format!("{owner}: the RRSIG covering {}", type_name(sig.covered));
                if !name::eq(sig.signer, apex) {
                    problems.push((
                        i,
                        format!(
                            "{what} is signed by {}, not by the zone ({}); a zone's data is signed with its own keys",
                            name::to_text(sig.signer),
                            self.apex_text()
                        ),
                    ));
                    continue;
                }
                covered.insert(sig.covered);
                if !keys.is_empty() && !keys.contains(&(sig.key_tag, sig.algorithm)) {
                    problems.push((
                        i,
                        format!(
                            "{what} is by key {} (algorithm {}), which is not among the zone's DNSKEY records; sign the zone again with its current keys",
                            sig.key_tag, sig.algorithm
                        ),
                    ));
                }
                let labels = wire_name::label_count(&node.owner)
                    - usize::from(wire_name::is_wildcard(&node.owner));
                if usize::from(sig.labels) != labels {
                    problems.push((
                        i,
                        format!(
                            "{what} has labels {} but its owner has {labels} (RFC 4034 §3.1.3); sign the zone again",
                            sig.labels
                        ),
                    ));
                }
                if !types.contains(&sig.covered) {
                    problems.push((
                        i,
                        format!(
                            "{what}: there is no {} record at {owner}; remove the stale signature or sign the zone again",
                            type_name(sig.covered)
                        ),
                    ));
                }
                if let Some(message) = validity(&sig, clock) {
                    problems.push((i, format!("{what} {message}")));
                }
            }
            for &rtype in &types {
                if !self.is_signed_rrset(node, rtype) || covered.contains(&rtype) {
                    continue;
                }
                let first = node
                    .records
                    .iter()
                    .copied()
                    .find(|&i| self.record(i).rtype == rtype)
                    .unwrap_or(node.records[0]);
                problems.push((
                    first,
                    format!(
                        "{owner}: the {} RRset has no RRSIG by the zone ({}); sign the zone again",
                        type_name(rtype),
                        self.apex_text()
                    ),
                ));
            }
        }
    }

    fn denial(&self, problems: &mut Vec<Problem>) {
        let first_of = |rtype: u16| self.zone.records.iter().position(|r| r.rtype == rtype);
        let nsec = first_of(code::NSEC);
        let nsec3 = first_of(code::NSEC3).or(first_of(code::NSEC3PARAM));
        match (nsec, nsec3) {
            (None, None) => problems.push((
                self.soa,
                format!(
                    "{}: the zone is signed but has no NSEC or NSEC3 records, so it cannot deny that names exist; sign it with NSEC or NSEC3",
                    self.apex_text()
                ),
            )),
            (Some(nsec), Some(nsec3)) => problems.push((
                nsec.max(nsec3),
                format!(
                    "{}: the zone has both NSEC (line {}) and NSEC3 (line {}) records; a zone uses one or the other",
                    self.apex_text(),
                    self.record(nsec).line,
                    self.record(nsec3).line
                ),
            )),
            (Some(_), None) => self.nsec_chain(problems),
            (None, Some(_)) => self.nsec3_chain(problems),
        }
    }

    fn nsec_chain(&self, problems: &mut Vec<Problem>) {
        let names: Vec<&Node> = self.nodes.values().filter(|n| !n.occluded).collect();
        for node in self.nodes.values().filter(|n| n.occluded) {
            for &i in &node.records {
                if self.record(i).rtype == code::NSEC {
                    problems.push((
                        i,
                        format!(
                            "{}: an NSEC record below a delegation point, where the zone has no authoritative data; remove it",
                            name::to_text(&node.owner)
                        ),
                    ));
                }
            }
        }
        for (k, node) in names.iter().enumerate() {
            let owner = name::to_text(&node.owner);
            let next = names.get(k + 1).map_or(&self.zone.apex, |n| &n.owner);
            let nsecs: Vec<usize> = node
                .records
                .iter()
                .copied()
                .filter(|&i| self.record(i).rtype == code::NSEC)
                .collect();
            let Some(&first) = nsecs.first() else {
                problems.push((
                    node.records[0],
                    format!(
                        "{owner}: no NSEC record; the NSEC chain is broken here (the previous name's NSEC should lead here, this one's to {}); sign the zone again",
                        name::to_text(next)
                    ),
                ));
                continue;
            };
            if let Some(&second) = nsecs.get(1) {
                problems.push((
                    second,
                    format!("{owner}: more than one NSEC record; a name has one"),
                ));
            }
            let nsec = match Nsec::parse(&self.record(first).rdata) {
                Ok(nsec) => nsec,
                Err(e) => {
                    problems.push((first, format!("{owner}: {e}")));
                    continue;
                }
            };
            if !name::eq(nsec.next, next) {
                problems.push((
                    first,
                    format!(
                        "{owner}: the NSEC record's next name is {}, but the next name of the zone (canonical order) is {}; sign the zone again",
                        name::to_text(nsec.next),
                        name::to_text(next)
                    ),
                ));
            }
            if let Some(message) = bitmap_mismatch(&nsec.types, &self.bitmap_types(node)) {
                problems.push((first, format!("{owner}: the NSEC record's {message}")));
            }
        }
    }

    fn nsec3_chain(&self, problems: &mut Vec<Problem>) {
        let apex = &self.zone.apex;
        let params: Vec<usize> = (0..self.zone.records.len())
            .filter(|&i| self.record(i).rtype == code::NSEC3PARAM)
            .collect();
        for &i in &params {
            if !name::eq(&self.record(i).owner, apex) {
                problems.push((
                    i,
                    format!(
                        "{}: an NSEC3PARAM record belongs at the zone's apex ({})",
                        name::to_text(&self.record(i).owner),
                        self.apex_text()
                    ),
                ));
            }
        }
        let at_apex: Vec<usize> = params
            .iter()
            .copied()
            .filter(|&i| name::eq(&self.record(i).owner, apex))
            .collect();
        let param_index = match at_apex.as_slice() {
            [] => {
                problems.push((
                    self.soa,
                    format!(
                        "{}: the zone has NSEC3 records but no NSEC3PARAM at its apex; sign it again",
                        self.apex_text()
                    ),
                ));
                return;
            }
            [one] => *one,
            [_, second, ..] => {
                problems.push((
                    *second,
                    format!(
                        "{}: more than one NSEC3PARAM record; a zone has one NSEC3 chain",
                        self.apex_text()
                    ),
                ));
                return;
            }
        };
        let param = match Nsec3::parse_param(&self.record(param_index).rdata) {
            Ok(param) => param,
            Err(e) => {
                problems.push((param_index, format!("{}: {e}", self.apex_text())));
                return;
            }
        };
        if param.algorithm != 1 {
            problems.push((
                param_index,
                format!(
                    "{}: NSEC3PARAM hash algorithm {} is not SHA-1 (1), the only one defined (RFC 5155 §11)",
                    self.apex_text(),
                    param.algorithm
                ),
            ));
            return;
        }

        // The NSEC3 records: hash (of the owner's first label) -> (record, parsed).
        let mut chain: BTreeMap<Vec<u8>, (usize, Nsec3<'_>)> = BTreeMap::new();
        let mut nsec3_owners = BTreeSet::new();
        for node in self.nodes.values() {
            for &i in &node.records {
                let r = self.record(i);
                if r.rtype != code::NSEC3 {
                    continue;
                }
                nsec3_owners.insert(Canonical(node.owner.clone()));
                let owner = name::to_text(&r.owner);
                let nsec3 = match Nsec3::parse(&r.rdata) {
                    Ok(nsec3) => nsec3,
                    Err(e) => {
                        problems.push((i, format!("{owner}: {e}")));
                        continue;
                    }
                };
                if (nsec3.algorithm, nsec3.iterations, nsec3.salt)
                    != (param.algorithm, param.iterations, param.salt)
                {
                    problems.push((
                        i,
                        format!(
                            "{owner}: the NSEC3 record has hash algorithm {}, {} iterations, salt {}, but the NSEC3PARAM has {}, {}, {}; sign the zone again",
                            nsec3.algorithm,
                            nsec3.iterations,
                            salt_text(nsec3.salt),
                            param.algorithm,
                            param.iterations,
                            salt_text(param.salt)
                        ),
                    ));
                    continue;
                }
                let Some(hash) = owner_hash(&r.owner, apex) else {
                    problems.push((
                        i,
                        format!(
                            "{owner}: an NSEC3 record's owner must be a SHA-1 hash in base32hex (32 characters) one label below the apex"
                        ),
                    ));
                    continue;
                };
                if nsec3.next.len() != 20 {
                    problems.push((
                        i,
                        format!(
                            "{owner}: the NSEC3 record's next hashed owner is {} octets, not a SHA-1 hash (20)",
                            nsec3.next.len()
                        ),
                    ));
                    continue;
                }
                if chain.contains_key(&hash) {
                    problems.push((
                        i,
                        format!("{owner}: more than one NSEC3 record at this hash; a hash has one"),
                    ));
                    continue;
                }
                chain.insert(hash, (i, nsec3));
            }
        }

        // The closed chain in hash order.
        let hashes: Vec<&Vec<u8>> = chain.keys().collect();
        for (k, (i, nsec3)) in chain.values().enumerate() {
            let next = hashes[(k + 1) % hashes.len()];
            if nsec3.next != next.as_slice() {
                problems.push((
                    *i,
                    format!(
                        "{}: the NSEC3 record's next hashed owner is {}, but the next NSEC3 in hash order is {}; the chain is broken, sign the zone again",
                        name::to_text(&self.record(*i).owner),
                        base32hex_encode(nsec3.next),
                        base32hex_encode(next)
                    ),
                ));
            }
        }

        // The names the chain must cover: authoritative names, and the empty non-terminals
        // above them, each with whether only insecure delegations make it exist.
        struct Name<'n> {
            node: Option<&'n Node>,
            /// The record to report a missing NSEC3 at.
            at: usize,
            /// An insecure delegation, or an empty non-terminal that only such make.
            opt_out_able: bool,
        }
        let mut names: BTreeMap<Canonical, Name<'_>> = BTreeMap::new();
        for node in self.nodes.values() {
            let key = Canonical(node.owner.clone());
            if node.occluded || nsec3_owners.contains(&key) {
                continue;
            }
            let insecure = node.cut
                && !node
                    .records
                    .iter()
                    .any(|&i| self.record(i).rtype == code::DS);
            names.insert(
                key,
                Name {
                    node: Some(node),
                    at: node.records[0],
                    opt_out_able: insecure,
                },
            );
            let mut ancestor = wire_name::parent(&node.owner);
            while let Some(up) = ancestor {
                if !wire_name::is_below(up, apex) {
                    break;
                }
                let up_key = Canonical(up.to_vec());
                if self.nodes.contains_key(&up_key) {
                    break;
                }
                let ent = names.entry(up_key).or_insert(Name {
                    node: None,
                    at: node.records[0],
                    opt_out_able: true,
                });
                ent.opt_out_able &= insecure;
                ent.at = ent.at.min(node.records[0]);
                ancestor = wire_name::parent(up);
            }
        }

        let mut used = BTreeSet::new();
        for (key, n) in &names {
            let owner = name::to_text(&key.0);
            let hash = nsec3_hash(&key.0, param.salt, param.iterations);
            match chain.get(&hash) {
                Some((i, nsec3)) => {
                    used.insert(hash.clone());
                    let expected = n
                        .node
                        .map(|node| self.bitmap_types(node))
                        .unwrap_or_default();
                    if let Some(message) = bitmap_mismatch(&nsec3.types, &expected) {
                        problems.push((
                            *i,
                            format!(
                                "{}: the NSEC3 record of {owner}: its {message}",
                                name::to_text(&self.record(*i).owner)
                            ),
                        ));
                    }
                }
                None => {
                    // The NSEC3 whose span covers the hash: the last one before it, or the
                    // chain's last (which wraps around).
                    let covering = chain
                        .range(..hash.clone())
                        .next_back()
                        .or_else(|| chain.iter().next_back())
                        .map(|(_, (_, nsec3))| nsec3);
                    if n.opt_out_able && covering.is_some_and(|c| c.flags & 1 != 0) {
                        continue;
                    }
                    let what = if n.node.is_none() {
                        "this empty non-terminal"
                    } else {
                        "this name"
                    };
                    problems.push((
                        n.at,
                        format!(
                            "{owner}: no NSEC3 record for {what} (its hash is {}){}; the NSEC3 chain is broken, sign the zone again",
                            base32hex_encode(&hash),
                            if n.opt_out_able {
                                ", and the NSEC3 covering it has no opt-out flag"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
        for (hash, (i, _)) in &chain {
            if !used.contains(hash) {
                problems.push((
                    *i,
                    format!(
                        "{}: this NSEC3 record matches no name of the zone (a name was removed or renamed after signing); sign the zone again",
                        name::to_text(&self.record(*i).owner)
                    ),
                ));
            }
        }
    }
}

/// What is wrong with a signature's validity period at `clock`, if anything.
fn validity(sig: &Rrsig<'_>, clock: Clock) -> Option<String> {
    let expiration = near(sig.expiration, clock.now);
    let inception = near(sig.inception, clock.now);
    let date = |t: u64| format!("{} UTC", pretty_date(t));
    if expiration < clock.now {
        Some(format!(
            "expired on {}; sign the zone again",
            date(expiration)
        ))
    } else if inception > clock.now {
        Some(format!(
            "is not valid before {} (now is {}); check the signer's clock or this machine's",
            date(inception),
            date(clock.now)
        ))
    } else if expiration < clock.now.saturating_add(clock.margin) {
        Some(format!(
            "expires on {}, within the margin of {} (--sig-margin); sign the zone again, or lower the margin",
            date(expiration),
            duration_text(clock.margin)
        ))
    } else {
        None
    }
}

/// The time that a 32-bit signature time field stands for: the one nearest to `now`
/// (serial number arithmetic, RFC 4034 §3.1.5, RFC 1982).
fn near(field: u32, now: u64) -> u64 {
    let delta = field.wrapping_sub(now as u32) as i32;
    now.saturating_add_signed(i64::from(delta))
}

/// `YYYY-MM-DD HH:MM:SS` for messages.
fn pretty_date(seconds: u64) -> String {
    let d = format_date(seconds);
    format!(
        "{}-{}-{} {}:{}:{}",
        &d[..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    )
}

/// A duration as `3d`, `12h`, `1d12h`, `90s`.
pub(crate) fn duration_text(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

/// What differs between a bitmap and the types at the name, if anything.
fn bitmap_mismatch(listed: &[u16], present: &BTreeSet<u16>) -> Option<String> {
    let listed: BTreeSet<u16> = listed.iter().copied().collect();
    if &listed == present {
        return None;
    }
    let missing: Vec<u16> = present.difference(&listed).copied().collect();
    let extra: Vec<u16> = listed.difference(present).copied().collect();
    let mut message = format!(
        "type bitmap lists {}, but the name has {}",
        types_text(&listed.iter().copied().collect::<Vec<_>>()),
        types_text(&present.iter().copied().collect::<Vec<_>>())
    );
    if !missing.is_empty() {
        let _ = write!(message, " (missing: {})", types_text(&missing));
    }
    if !extra.is_empty() {
        let _ = write!(message, " (not there: {})", types_text(&extra));
    }
    message.push_str("; sign the zone again");
    Some(message)
}

fn salt_text(salt: &[u8]) -> String {
    if salt.is_empty() {
        return "-".into();
    }
    salt.iter().map(|b| format!("{b:02X}")).collect()
}

/// The hash an NSEC3 owner stands for: its first label decoded from base32hex, if it is 20
/// octets and the owner is directly below the apex.
fn owner_hash(owner: &[u8], apex: &[u8]) -> Option<Vec<u8>> {
    if !wire_name::parent(owner).is_some_and(|p| name::eq(p, apex)) {
        return None;
    }
    let len = usize::from(*owner.first()?);
    base32hex_decode(owner.get(1..1 + len)?).filter(|h| h.len() == 20)
}

/// The NSEC3 hash of a name (RFC 5155 §5), as the server computes it
/// (`dns_zone_format::nsec3`, shared).
pub(crate) fn nsec3_hash(name: &[u8], salt: &[u8], iterations: u16) -> Vec<u8> {
    dns_zone_format::nsec3::hash(name, salt, iterations).map_or_else(Vec::new, |h| h.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsec3_hashes_of_rfc5155_appendix_a() {
        // RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        for (text, hash) in [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("x.y.w.EXAMPLE.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
        ] {
            let wire = name::parse(text, name::ROOT).unwrap();
            assert_eq!(
                base32hex_encode(&nsec3_hash(&wire, &salt, 12)),
                hash,
                "{text}"
            );
        }
    }

    #[test]
    fn times_and_durations() {
        // Serial arithmetic: a field just past 2^32 seconds (2106) reads as after `now` then.
        let now = (1u64 << 32) - 10;
        assert_eq!(near(5, now), (1 << 32) + 5);
        assert_eq!(near(u32::MAX - 20, now), (1 << 32) - 21);
        assert_eq!(near(1_800_000_000, 1_700_000_000), 1_800_000_000);
        assert_eq!(duration_text(3 * 86400), "3d");
        assert_eq!(duration_text(86400 + 12 * 3600 + 5), "1d12h5s");
        assert_eq!(pretty_date(0), "1970-01-01 00:00:00");
    }
}
