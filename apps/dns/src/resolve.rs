//! Finding the answer in the zone data (RFC 1034 §4.3.2, RFC 4592, RFC 6672, RFC 2308).
//!
//! [`resolve`] turns a question into a [`Plan`]: the response code, the AA bit and the RRsets
//! of each section, as references into the zone data. Writing the plan into a message (name
//! compression, size limits, truncation) is [`message`](crate::message)'s job.
//!
//! The algorithm, with the choices made where the RFCs leave room (Knot DNS 3.2 was the
//! reference: each choice matches what it answers):
//! - **Lookup.** The ancestors of the name are visited from the apex down. The first one that
//!   owns NS (below the apex) is a zone cut: the answer is a referral. The first one that owns
//!   a DNAME redirects the names below it. A name that neither exists nor has names below it
//!   ends the walk: its parent is the closest encloser, and `*.<closest encloser>` is used if
//!   it exists (RFC 4592 §3.3.1), otherwise NXDOMAIN. A name with names below it but no data
//!   (an empty non-terminal) exists: NODATA.
//! - **CNAME** chains are followed inside the zone only, at most [`MAX_CHAIN`] CNAME (or
//!   synthesized CNAME) records, and never into a name already visited (loops end after one
//!   turn). The response code is that of the last name (NXDOMAIN after a CNAME, RFC 6604).
//!   A chain that enters a zone cut ends with the referral (AA stays set for the CNAMEs).
//! - **DNAME** (RFC 6672 §3.1): the DNAME RR and a CNAME synthesized from it (with the DNAME's
//!   TTL) go into the answer; a synthesized name longer than 255 octets gives YXDOMAIN.
//! - **Negative answers** carry the zone's SOA in the authority section with TTL =
//!   min(SOA TTL, SOA MINIMUM) (RFC 2308 §3, §5).
//! - **Referrals** (no AA): the cut's NS RRset in the authority section; A/AAAA of the NS
//!   targets that are inside the zone in the additional section. Glue below the cut is required
//!   (if it does not fit, the response is truncated, RFC 9471); other addresses are optional.
//! - **DS** at a zone cut is answered from the parent side, authoritatively (RFC 4035 §3.1.4.1);
//!   the zone selection also sends DS queries for a served child apex to the served parent.
//! - **ANY** (RFC 8482 §4.1, as Knot answers over UDP and TCP alike): one RRset, the one with
//!   the lowest type number at the name; CNAMEs are not followed.
//! - **Additional section**: A and AAAA of the targets of NS, MX and SRV records in the answer,
//!   when those targets are in the zone (glue below a cut included, wildcards expanded), each
//!   RRset once. Positive answers carry no NS RRset in the authority section (minimal
//!   responses, as Knot and NSD do by default).

use alloc::vec::Vec;
use core::ops::Range;

use crate::Rcode;
use crate::compiled::name::{self, Labels};
use crate::compiled::rdata::{self, rtype};
use crate::denial;
use crate::zones::{Existence, Zone, Zones};

/// The most CNAME records (followed or synthesized) one answer holds (Knot uses 5 too).
pub const MAX_CHAIN: usize = 5;
/// The most names (NS, MX and SRV targets) looked up for the additional section of one
/// response: bounds the work a huge RRset can cause; far more than a UDP response can hold.
pub const MAX_ADDITIONAL_TARGETS: usize = 64;

/// Where a name of the response comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameRef {
    /// The question's name, as the client spelled it.
    Query,
    /// A name in the zone data (an owner, or a name inside RDATA).
    Blob { start: u32, len: u8 },
    /// A name synthesized from a DNAME (index into [`Plan::synthesized`]).
    Synthesized(usize),
}

impl NameRef {
    fn blob(range: Range<usize>) -> NameRef {
        NameRef::Blob {
            start: range.start as u32,
            len: range.len() as u8,
        }
    }
}

/// The records of one RRset to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Data {
    /// Every record of an RRset of the zone data.
    Rrset(usize),
    /// One CNAME record whose target was synthesized from a DNAME.
    SynthesizedCname(usize),
}

/// One RRset of a response section.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Item {
    pub(crate) owner: NameRef,
    pub(crate) rtype: u16,
    pub(crate) ttl: u32,
    pub(crate) data: Data,
    /// For the additional section: whether leaving it out must truncate the response.
    pub(crate) required: bool,
}

/// What to answer: response code, AA, and the sections.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) rcode: Rcode,
    pub(crate) authoritative: bool,
    pub(crate) answer: Vec<Item>,
    pub(crate) authority: Vec<Item>,
    pub(crate) additional: Vec<Item>,
    /// Names synthesized from DNAMEs.
    pub(crate) synthesized: Vec<Vec<u8>>,
    /// A wildcard synthesized part of the answer (for the rate limiter's classes).
    pub(crate) wildcard: bool,
}

impl Plan {
    /// An empty plan: a response code and nothing else.
    pub(crate) fn empty(rcode: Rcode, authoritative: bool) -> Plan {
        Plan {
            rcode,
            authoritative,
            answer: Vec::new(),
            authority: Vec::new(),
            additional: Vec::new(),
            synthesized: Vec::new(),
            wildcard: false,
        }
    }

    /// The octets of a name of this plan.
    pub(crate) fn name<'a>(&'a self, zones: &'a Zones, qname: &'a [u8], name: NameRef) -> &'a [u8] {
        match name {
            NameRef::Query => qname,
            NameRef::Blob { start, len } => {
                let start = start as usize;
                zones
                    .blob()
                    .get(start..start + usize::from(len))
                    .unwrap_or(&[0])
            }
            NameRef::Synthesized(i) => self.synthesized.get(i).map_or(&[0], |n| n.as_slice()),
        }
    }
}

/// Where a name led, in one zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Found {
    /// The name owns data (node index).
    Node(usize),
    /// The name does not exist but a wildcard covers it (the wildcard's node, and the label
    /// count of the closest encloser, the wildcard's parent).
    Wildcard(usize, usize),
    /// The name exists without data.
    EmptyNonTerminal,
    /// The name does not exist (the label count of its closest encloser, RFC 5155 §1.3).
    NxDomain(usize),
    /// The name is at or below a zone cut (the cut's node).
    Delegation(usize),
    /// The name is below a DNAME (the DNAME owner's node).
    Dname(usize),
}

/// The zone that answers for `qname`: the one with the longest apex that contains it, except
/// that DS at the apex of a served zone goes to the served parent zone, if any (RFC 4035
/// §3.1.4.1: DS lives on the parent side of the cut). One binary search per label.
pub(crate) fn select_zone<'z>(zones: &'z Zones, qname: &[u8], qtype: u16) -> Option<&'z Zone> {
    let labels = Labels::of(qname);
    let mut found = None;
    for count in (0..=labels.len()).rev() {
        if let Some(zone) = zones.zone_at(suffix(qname, &labels, count)) {
            if qtype == rtype::DS && count == labels.len() && count > 0 {
                found = Some(zone); // the child apex itself: prefer a parent, if served
                continue;
            }
            return Some(zone);
        }
    }
    found
}

/// The name made of the last `count` labels of `name`.
fn suffix<'a>(name: &'a [u8], labels: &Labels, count: usize) -> &'a [u8] {
    let start = if count == 0 {
        name.len().saturating_sub(1)
    } else {
        labels.start(labels.len().saturating_sub(count))
    };
    name.get(start..).unwrap_or(&[0])
}

/// Looks `name` (inside `zone`) up.
fn lookup(zones: &Zones, zone: &Zone, name: &[u8], qtype: u16) -> Found {
    let apex = zones.apex(zone);
    let labels = Labels::of(name);
    let apex_labels = name::label_count(apex);
    for count in apex_labels..labels.len() {
        let ancestor = suffix(name, &labels, count);
        match zones.find(zone, ancestor) {
            Existence::Node(node) => {
                if count > apex_labels && zones.find_rrset(node, rtype::NS).is_some() {
                    return Found::Delegation(node);
                }
                if zones.find_rrset(node, rtype::DNAME).is_some() {
                    return Found::Dname(node);
                }
            }
            Existence::EmptyNonTerminal => {}
            Existence::None => {
                return wildcard(zones, zone, suffix(name, &labels, count.saturating_sub(1)));
            }
        }
    }
    match zones.find(zone, name) {
        Existence::Node(node) => {
            let at_cut = !name::eq(name, apex) && zones.find_rrset(node, rtype::NS).is_some();
            if at_cut && qtype != rtype::DS {
                Found::Delegation(node)
            } else {
                Found::Node(node)
            }
        }
        Existence::EmptyNonTerminal => Found::EmptyNonTerminal,
        Existence::None => match name::parent(name) {
            Some(encloser) => wildcard(zones, zone, encloser),
            None => Found::NxDomain(0),
        },
    }
}

/// `*.<closest encloser>` if it exists (RFC 4592 §3.3.1), else NXDOMAIN.
fn wildcard(zones: &Zones, zone: &Zone, encloser: &[u8]) -> Found {
    let labels = name::label_count(encloser);
    match zones.find(zone, &star(encloser)) {
        Existence::Node(node) => Found::Wildcard(node, labels),
        _ => Found::NxDomain(labels),
    }
}

/// `*.<encloser>` (the root name if that would be too long: then no wildcard exists).
fn star(encloser: &[u8]) -> Vec<u8> {
    let mut star = Vec::with_capacity(encloser.len() + 2);
    star.extend_from_slice(&[1, b'*']);
    star.extend_from_slice(encloser);
    if star.len() > name::MAX_LEN {
        star = alloc::vec![0];
    }
    star
}

/// Builds the answer to `qname`/`qtype` from `zone`; `dnssec`: the query had the DO bit,
/// so a signed zone adds its signatures and denial proofs (RFC 4035 §3.1, RFC 5155 §7.2).
pub(crate) fn resolve(zones: &Zones, zone: &Zone, qname: &[u8], qtype: u16, dnssec: bool) -> Plan {
    let mut resolver = Resolver {
        zones,
        zone,
        qname,
        dnssec: dnssec && denial::is_signed(zone),
        plan: Plan::empty(Rcode::NoError, true),
        additional_rrsigs: Vec::new(),
    };
    resolver.answer(qtype);
    resolver.additional();
    let mut plan = resolver.plan;
    plan.additional.append(&mut resolver.additional_rrsigs);
    plan
}

/// The state of one resolution.
struct Resolver<'a> {
    zones: &'a Zones,
    zone: &'a Zone,
    qname: &'a [u8],
    /// Signatures and proofs wanted (DO) and available (the zone is signed).
    dnssec: bool,
    plan: Plan,
    /// The signatures of the additional section's RRsets, which go after them.
    additional_rrsigs: Vec<Item>,
}

impl Resolver<'_> {
    fn name(&self, name: NameRef) -> &[u8] {
        self.plan.name(self.zones, self.qname, name)
    }

    fn apex(&self) -> &[u8] {
        self.zones.apex(self.zone)
    }

    fn in_zone(&self, name: NameRef) -> bool {
        name::is_within(self.name(name), self.apex())
    }

    /// The answer and authority sections, following CNAMEs and DNAMEs.
    // Out of line: 0.2 KB smaller than inlined into `resolve`.
    #[inline(never)]
    fn answer(&mut self, qtype: u16) {
        let zones = self.zones;
        let mut current = NameRef::Query;
        let mut visited: Vec<usize> = Vec::new();
        let mut chain = 0usize;
        loop {
            let name = self.name(current).to_vec();
            let found = lookup(zones, self.zone, &name, qtype);
            let node = match found {
                Found::Node(node) | Found::Wildcard(node, _) => node,
                Found::EmptyNonTerminal => {
                    self.negative();
                    return self.deny_type(&name);
                }
                Found::NxDomain(encloser) => {
                    self.plan.rcode = Rcode::NxDomain;
                    self.negative();
                    return self.deny_name(&name, encloser);
                }
                Found::Delegation(cut) => {
                    self.plan.authoritative = !self.plan.answer.is_empty();
                    return self.referral(cut);
                }
                Found::Dname(owner) => {
                    let Some(next) = self.dname(owner, current, &name) else {
                        return;
                    };
                    chain += 1;
                    if chain >= MAX_CHAIN || !self.in_zone(next) {
                        return;
                    }
                    current = next;
                    continue;
                }
            };
            if matches!(found, Found::Node(_)) {
                if visited.contains(&node) {
                    return; // a CNAME loop: it ends after one turn
                }
                visited.push(node);
            }
            // A wildcard answer proves that the name itself does not exist (RFC 4035
            // §3.1.3.3, RFC 5155 §7.2.6).
            if let Found::Wildcard(_, encloser) = found {
                self.plan.wildcard = true;
                self.deny_wildcard_source(&name, encloser);
            }
            let rrset = if qtype == rtype::ANY {
                zones.node_rrsets(node).next()
            } else {
                zones.find_rrset(node, qtype)
            };
            if let Some(rrset) = rrset {
                return self.push_signed(Section::Answer, current, node, rrset);
            }
            let Some(cname) = zones.find_rrset(node, rtype::CNAME) else {
                self.negative();
                return match found {
                    Found::Wildcard(_, encloser) => self.deny_wildcard_type(&name, node, encloser),
                    _ => self.deny_type(&name),
                };
            };
            self.push_signed(Section::Answer, current, node, cname);
            chain += 1;
            let target = zones
                .records(cname)
                .next()
                .and_then(|r| target_range(zones, rtype::CNAME, r));
            let Some(target) = target else {
                return;
            };
            let next = NameRef::blob(target);
            if chain >= MAX_CHAIN || !self.in_zone(next) {
                return;
            }
            current = next;
        }
    }

    /// [`push`](Self::push), and the RRset's signatures (at node `node`) when DNSSEC is on.
    fn push_signed(&mut self, section: Section, owner: NameRef, node: usize, rrset: usize) {
        self.push(section, owner, rrset);
        if self.dnssec
            && let Some(set) = self.zones.rrset(rrset)
            && let Some(rrsig) = self.zones.find_rrsig(node, set.rtype)
        {
            self.push(section, owner, rrsig);
        }
    }

    fn push(&mut self, section: Section, owner: NameRef, rrset: usize) {
        let Some(set) = self.zones.rrset(rrset) else {
            return;
        };
        let item = Item {
            owner,
            rtype: set.rtype,
            ttl: set.ttl,
            data: Data::Rrset(rrset),
            required: false,
        };
        match section {
            Section::Answer => self.plan.answer.push(item),
            Section::Authority => self.plan.authority.push(item),
        }
    }

    /// NODATA or NXDOMAIN: the SOA, with the negative-caching TTL (RFC 2308 §3).
    fn negative(&mut self) {
        let zones = self.zones;
        let soa = self.zone.soa;
        let Some(set) = zones.rrset(soa) else {
            return;
        };
        let minimum = zones
            .records(soa)
            .next()
            .and_then(|r| zones.blob().get(r))
            .and_then(rdata::soa_minimum)
            .unwrap_or(set.ttl);
        let ttl = set.ttl.min(minimum);
        let owner = NameRef::blob(self.zone.apex.clone());
        self.plan.authority.push(Item {
            owner,
            rtype: rtype::SOA,
            ttl,
            data: Data::Rrset(soa),
            required: false,
        });
        if self.dnssec
            && let Some(rrsig) = zones.find_rrsig(self.zone.nodes.start, rtype::SOA)
        {
            // The signature with the same negative-caching TTL.
            self.plan.authority.push(Item {
                owner,
                rtype: rtype::RRSIG,
                ttl,
                data: Data::Rrset(rrsig),
                required: false,
            });
        }
    }

    /// A referral to the zone cut at node `cut`.
    fn referral(&mut self, cut: usize) {
        let zones = self.zones;
        let (Some(ns), Some(cut_range)) =
            (zones.find_rrset(cut, rtype::NS), zones.node_name_range(cut))
        else {
            return;
        };
        let cut_owner = NameRef::blob(cut_range.clone());
        self.push(Section::Authority, cut_owner, ns);
        if self.dnssec {
            // A signed child's DS, or the proof that there is none (RFC 4035 §3.1.4).
            match zones.find_rrset(cut, rtype::DS) {
                Some(ds) => self.push_signed(Section::Authority, cut_owner, cut, ds),
                None => self.deny_type(zones.blob().get(cut_range.clone()).unwrap_or(&[0])),
            }
        }
        let cut_name = zones.blob().get(cut_range).unwrap_or(&[0]);
        for record in zones.records(ns).take(MAX_ADDITIONAL_TARGETS) {
            if let Some(target) = target_range(zones, rtype::NS, record) {
                let in_domain = zones
                    .blob()
                    .get(target.clone())
                    .is_some_and(|t| name::is_within(t, cut_name));
                self.addresses(target, in_domain);
            }
        }
    }

    /// Applies the DNAME at node `owner` to `name` (RFC 6672 §3.1): puts the DNAME and the
    /// synthesized CNAME in the answer and returns the new name, or sets YXDOMAIN.
    fn dname(&mut self, owner: usize, current: NameRef, name: &[u8]) -> Option<NameRef> {
        let zones = self.zones;
        let rrset = zones.find_rrset(owner, rtype::DNAME)?;
        let owner_range = zones.node_name_range(owner)?;
        self.push_signed(
            Section::Answer,
            NameRef::blob(owner_range.clone()),
            owner,
            rrset,
        );
        let target = zones
            .records(rrset)
            .next()
            .and_then(|r| zones.blob().get(r))?;
        let prefix_len = name.len().checked_sub(owner_range.len())?;
        let mut synthesized = Vec::with_capacity(prefix_len + target.len());
        synthesized.extend_from_slice(name.get(..prefix_len)?);
        synthesized.extend_from_slice(target);
        if synthesized.len() > name::MAX_LEN {
            self.plan.rcode = Rcode::YxDomain;
            return None;
        }
        let ttl = zones.rrset(rrset)?.ttl;
        self.plan.synthesized.push(synthesized);
        let index = self.plan.synthesized.len() - 1;
        let data = Data::SynthesizedCname(index);
        self.plan.answer.push(Item {
            owner: current,
            rtype: rtype::CNAME,
            ttl,
            data,
            required: false,
        });
        Some(NameRef::Synthesized(index))
    }

    /// Additional-section processing for the answer's NS, MX and SRV records.
    fn additional(&mut self) {
        let zones = self.zones;
        let mut targets = Vec::new();
        for item in &self.plan.answer {
            if let (Data::Rrset(rrset), rtype::NS | rtype::MX | rtype::SRV) =
                (item.data, item.rtype)
            {
                targets.extend(
                    zones
                        .records(rrset)
                        .filter_map(|r| target_range(zones, item.rtype, r)),
                );
            }
        }
        for target in targets {
            self.addresses(target, false);
        }
    }

    /// Adds the A and AAAA RRsets of `target` (a name in the blob) to the additional section,
    /// when it is in the zone, unless they are in the response already.
    fn addresses(&mut self, target: Range<usize>, required: bool) {
        let zones = self.zones;
        let Some(target_name) = zones.blob().get(target.clone()) else {
            return;
        };
        if !name::is_within(target_name, self.apex()) {
            return;
        }
        let node = match zones.find(self.zone, target_name) {
            Existence::Node(node) => node, // glue below a cut included
            Existence::EmptyNonTerminal => return,
            Existence::None => match lookup(zones, self.zone, target_name, rtype::A) {
                Found::Wildcard(node, _) => node,
                _ => return,
            },
        };
        for rtype in [rtype::A, rtype::AAAA] {
            let Some(rrset) = zones.find_rrset(node, rtype) else {
                continue;
            };
            let present = self
                .plan
                .answer
                .iter()
                .chain(&self.plan.additional)
                .any(|item| {
                    item.data == Data::Rrset(rrset) && name::eq(self.name(item.owner), target_name)
                });
            if !present {
                let owner = NameRef::blob(target.clone());
                let rrsig = zones.find_rrsig(node, rtype).filter(|_| self.dnssec);
                for rrset in core::iter::once(rrset).chain(rrsig) {
                    let Some(set) = zones.rrset(rrset) else {
                        continue;
                    };
                    let item = Item {
                        owner,
                        rtype: set.rtype,
                        ttl: set.ttl,
                        data: Data::Rrset(rrset),
                        required,
                    };
                    // Signatures after all the addresses (they are the first to be left out
                    // when room runs short, as Knot does).
                    if set.rtype == rtype::RRSIG {
                        self.additional_rrsigs.push(item);
                    } else {
                        self.plan.additional.push(item);
                    }
                }
            }
        }
    }
}

/// Denial proofs (RFC 4035 §3.1.3, RFC 5155 §7.2), added to the authority section when
/// DNSSEC is on.
impl Resolver<'_> {
    /// `name` exists (or is an empty non-terminal, or a delegation) but has no RRset of the
    /// type asked: its own NSEC or NSEC3 (the NSEC before an empty non-terminal, whose next
    /// name is below it). Without a matching NSEC3 (an opt-out span skipped the name: an
    /// insecure delegation), the closest provable encloser proof (RFC 5155 §7.2.4).
    fn deny_type(&mut self, name: &[u8]) {
        if !self.dnssec {
            return;
        }
        if let Some(hash) = denial::hash(self.zones, self.zone, name) {
            match denial::nsec3(self.zones, self.zone, &hash) {
                Some(proof) if proof.matches => self.prove(proof),
                _ => self.closest_provable_encloser(name),
            }
        } else if let Some(proof) = denial::nsec(self.zones, self.zone, name) {
            self.prove(proof);
        }
    }

    /// `name` does not exist, nor a wildcard at its closest encloser (`encloser` labels).
    fn deny_name(&mut self, name: &[u8], encloser: usize) {
        if !self.dnssec {
            return;
        }
        let encloser_name = suffix_labels(name, encloser);
        let wildcard = star(encloser_name);
        if denial::is_nsec3(self.zone) {
            // NSEC3: the closest encloser proof, and the wildcard's cover.
            self.closest_encloser(name, encloser);
            self.nsec3_proof(&wildcard);
        } else {
            self.nsec_proof(name);
            self.nsec_proof(&wildcard);
        }
    }

    /// A wildcard answered for `name`: prove that `name` itself does not exist (the next
    /// closer name's cover, for NSEC3).
    fn deny_wildcard_source(&mut self, name: &[u8], encloser: usize) {
        if !self.dnssec {
            return;
        }
        if denial::is_nsec3(self.zone) {
            self.nsec3_proof(suffix_labels(name, encloser + 1));
        } else {
            self.nsec_proof(name);
        }
    }

    /// A wildcard (node `wildcard`) matched `name` but has no RRset of the type asked: the
    /// name's non-existence and the wildcard's own record (RFC 4035 §3.1.3.4, RFC 5155
    /// §7.2.5).
    fn deny_wildcard_type(&mut self, name: &[u8], wildcard: usize, encloser: usize) {
        if !self.dnssec {
            return;
        }
        let wildcard_name = self.zones.node_name(wildcard).to_vec();
        if denial::is_nsec3(self.zone) {
            self.closest_encloser(name, encloser);
        } else {
            self.nsec_proof(name);
        }
        self.deny_type(&wildcard_name);
    }

    /// The closest encloser proof (RFC 5155 §7.2.1): the NSEC3 matching the closest encloser
    /// (`encloser` labels of `name`) and the one covering the next closer name.
    fn closest_encloser(&mut self, name: &[u8], encloser: usize) {
        self.nsec3_proof(suffix_labels(name, encloser));
        self.nsec3_proof(suffix_labels(name, encloser + 1));
    }

    /// The closest provable encloser proof: the deepest ancestor of `name` with a matching
    /// NSEC3, and the cover of the next closer name (its opt-out flag lets a validator accept
    /// an insecure delegation, RFC 5155 §7.2.4).
    fn closest_provable_encloser(&mut self, name: &[u8]) {
        let apex_labels = name::label_count(self.apex());
        let mut labels = name::label_count(name);
        while labels > apex_labels {
            labels -= 1;
            let ancestor = suffix_labels(name, labels);
            let matched = denial::hash(self.zones, self.zone, ancestor)
                .and_then(|hash| denial::nsec3(self.zones, self.zone, &hash))
                .is_some_and(|proof| proof.matches);
            if matched {
                return self.closest_encloser(name, labels);
            }
        }
    }

    /// The NSEC3 record matching or covering the hash of `name`.
    fn nsec3_proof(&mut self, name: &[u8]) {
        if let Some(proof) = denial::hash(self.zones, self.zone, name)
            .and_then(|hash| denial::nsec3(self.zones, self.zone, &hash))
        {
            self.prove(proof);
        }
    }

    /// The NSEC record matching or covering `name`.
    fn nsec_proof(&mut self, name: &[u8]) {
        if let Some(proof) = denial::nsec(self.zones, self.zone, name) {
            self.prove(proof);
        }
    }

    /// Adds the NSEC or NSEC3 record of `proof` and its signature, once per response.
    fn prove(&mut self, proof: denial::Proof) {
        let zones = self.zones;
        let (Some(rrset), Some(owner)) = (
            denial::record_rrset(zones, self.zone, proof.node),
            zones.node_name_range(proof.node),
        ) else {
            return;
        };
        if self
            .plan
            .authority
            .iter()
            .any(|item| item.data == Data::Rrset(rrset))
        {
            return;
        }
        self.push_signed(Section::Authority, NameRef::blob(owner), proof.node, rrset);
    }
}

/// The suffix of `name` with `count` labels.
fn suffix_labels(name: &[u8], count: usize) -> &[u8] {
    let labels = Labels::of(name);
    suffix(name, &labels, count)
}

#[derive(Clone, Copy)]
enum Section {
    Answer,
    Authority,
}

/// The blob range of the name an NS/CNAME/DNAME/MX/SRV record (RDATA at `rdata`) points to.
fn target_range(zones: &Zones, rtype: u16, rdata: Range<usize>) -> Option<Range<usize>> {
    let inner = rdata::target_range(rtype, zones.blob().get(rdata.clone())?)?;
    Some(rdata.start + inner.start..rdata.start + inner.end)
}
