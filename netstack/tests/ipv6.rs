//! IPv6 against a stack on a simulated wire, driven frame by frame from the other end: SLAAC
//! from router advertisements with their lifetimes honoured, and hostile input (malformed
//! ICMPv6 and NDP, extension-header chains, fragments, advertisement floods, neighbour-cache
//! exhaustion) that must be dropped without a panic, a hang or unbounded state, the stack
//! still answering afterwards.

use std::time::Duration;

use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, Icmpv6Packet, Icmpv6Repr,
    IpProtocol, Ipv6Address, Ipv6Cidr, Ipv6Packet, Ipv6Repr, NdiscPrefixInfoFlags,
    NdiscPrefixInformation, NdiscRepr, NdiscRouterFlags, RawHardwareAddress,
};
use xenolith_netstack::sim::{SimMachine, Wire, WireEnd};
use xenolith_netstack::{Config, Ipv4Config, Ipv6Config, Machine, NetDevice, Stack};

/// The stack's MAC (the wire's second end) and its link-local address (modified EUI-64).
const STACK_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 2];
const STACK_LL: Ipv6Address = Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 2);
const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const ALL_NODES: Ipv6Address = Ipv6Address::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

struct Lab {
    machine: SimMachine,
    stack: Stack,
    peer: WireEnd,
}

fn lab(ipv6: Ipv6Config) -> Lab {
    let wire = Wire::new();
    let machine = SimMachine::new(&wire, 11);
    let (peer, end) = wire.ends();
    let config = Config {
        ipv4: Ipv4Config::Off,
        ipv6,
    };
    let stack = Stack::new(Box::new(end), config, &machine).unwrap();
    Lab {
        machine,
        stack,
        peer,
    }
}

impl Lab {
    /// Lets the stack take everything on the wire, and returns what it sent back.
    fn exchange(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for _ in 0..10_000 {
            self.stack.poll(self.machine.now());
            let mut buffer = vec![0u8; 2048];
            let mut got = false;
            while let Some(len) = self.peer.receive(&mut buffer) {
                out.push(buffer[..len].to_vec());
                got = true;
            }
            if !got {
                // One more poll: smoltcp applies what a frame changed (SLAAC) at the next one.
                self.stack.poll(self.machine.now());
                return out;
            }
        }
        panic!("the stack keeps sending");
    }

    fn send(&mut self, frame: &[u8]) {
        assert!(self.peer.transmit(frame), "the wire is full");
    }

    /// Moves the clock on (polling the stack at each of its deadlines on the way).
    fn advance(&mut self, by: Duration) {
        let end = self.machine.now() + by;
        loop {
            let next = self.stack.poll(self.machine.now());
            self.drain();
            match next {
                Some(at) if at > self.machine.now() && at < end => {
                    self.machine.advance(at - self.machine.now());
                }
                Some(at) if at <= self.machine.now() => {
                    // Due now: poll again (bounded: a stack stuck here fails below).
                    self.machine
                        .advance(Duration::from_millis(1).min(end - self.machine.now()));
                }
                _ => break,
            }
            if self.machine.now() >= end {
                break;
            }
        }
        if self.machine.now() < end {
            self.machine.advance(end - self.machine.now());
        }
        self.stack.poll(self.machine.now());
        self.drain();
    }

    fn drain(&mut self) {
        let mut buffer = vec![0u8; 2048];
        while self.peer.receive(&mut buffer).is_some() {}
    }

    /// Pings `to` from `from` (a MAC and address of ours) as a host does: neighbour discovery
    /// first (which also tells the stack our MAC), then the echo request. Says whether the
    /// stack answered both.
    fn pings(&mut self, from_mac: [u8; 6], from: Ipv6Address, to: Ipv6Address) -> bool {
        let [.., a, b, c] = to.octets();
        let solicited = Ipv6Address::new(
            0xff02,
            0,
            0,
            0,
            0,
            1,
            0xff00 | u16::from(a),
            u16::from_be_bytes([b, c]),
        );
        let solicitation = icmp_frame(
            from_mac,
            [0x33, 0x33, 0xff, a, b, c],
            from,
            solicited,
            255,
            &Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr: to,
                lladdr: Some(RawHardwareAddress::from_bytes(&from_mac)),
            }),
        );
        self.send(&solicitation);
        let advertised = self.exchange().iter().any(|f| {
            matches!(
                parse_icmp(f),
                Some((_, _, Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { target_addr, .. })))
                    if target_addr == to
            )
        });
        if !advertised {
            return false;
        }
        let request = icmp_frame(
            from_mac,
            STACK_MAC,
            from,
            to,
            64,
            &Icmpv6Repr::EchoRequest {
                ident: 7,
                seq_no: 1,
                data: b"xenolith",
            },
        );
        self.send(&request);
        self.exchange()
            .iter()
            .any(|f| matches!(parse_icmp(f), Some((_, _, Icmpv6Repr::EchoReply { .. }))))
    }
}

fn icmp_frame(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    src: Ipv6Address,
    dst: Ipv6Address,
    hop_limit: u8,
    icmp: &Icmpv6Repr<'_>,
) -> Vec<u8> {
    let ip = Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.buffer_len(),
        hop_limit,
    };
    let ethernet = EthernetRepr {
        src_addr: EthernetAddress(src_mac),
        dst_addr: EthernetAddress(dst_mac),
        ethertype: EthernetProtocol::Ipv6,
    };
    let mut buffer = vec![0u8; ethernet.buffer_len() + ip.buffer_len() + icmp.buffer_len()];
    let mut frame = EthernetFrame::new_unchecked(&mut buffer[..]);
    ethernet.emit(&mut frame);
    let mut packet = Ipv6Packet::new_unchecked(frame.payload_mut());
    ip.emit(&mut packet);
    let mut message = Icmpv6Packet::new_unchecked(packet.payload_mut());
    icmp.emit(&src, &dst, &mut message, &ChecksumCapabilities::default());
    buffer
}

fn parse_icmp(frame: &[u8]) -> Option<(Ipv6Address, Ipv6Address, Icmpv6Repr<'_>)> {
    let frame = EthernetFrame::new_checked(frame).ok()?;
    if frame.ethertype() != EthernetProtocol::Ipv6 {
        return None;
    }
    let packet = Ipv6Packet::new_checked(frame.payload()).ok()?;
    if packet.next_header() != IpProtocol::Icmpv6 {
        return None;
    }
    let (src, dst) = (packet.src_addr(), packet.dst_addr());
    // Borrow trouble-free: leak the tiny payload of a test frame.
    let payload: &'static [u8] = Box::leak(packet.payload().to_vec().into_boxed_slice());
    let message = Icmpv6Packet::new_checked(payload).ok()?;
    let repr = Icmpv6Repr::parse(&src, &dst, &message, &ChecksumCapabilities::default()).ok()?;
    Some((src, dst, repr))
}

fn router(n: u16) -> (Ipv6Address, [u8; 6]) {
    (
        Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0, 0x1000, n),
        [0x02, 0x10, 0, 0, (n >> 8) as u8, n as u8],
    )
}

fn advertisement(n: u16, lifetime: u16, prefix: Option<(Ipv6Address, u32, u32)>) -> Vec<u8> {
    let (src, mac) = router(n);
    icmp_frame(
        mac,
        [0x33, 0x33, 0, 0, 0, 1],
        src,
        ALL_NODES,
        255,
        &Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: NdiscRouterFlags::empty(),
            router_lifetime: smoltcp::time::Duration::from_secs(u64::from(lifetime)),
            reachable_time: smoltcp::time::Duration::ZERO,
            retrans_time: smoltcp::time::Duration::ZERO,
            lladdr: Some(RawHardwareAddress::from_bytes(&mac)),
            mtu: None,
            prefix_info: prefix.map(|(prefix, valid, preferred)| NdiscPrefixInformation {
                prefix_len: 64,
                flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
                valid_lifetime: smoltcp::time::Duration::from_secs(u64::from(valid)),
                preferred_lifetime: smoltcp::time::Duration::from_secs(u64::from(preferred)),
                prefix,
            }),
        }),
    )
}

fn global_addresses(stack: &Stack) -> Vec<Ipv6Cidr> {
    stack
        .ipv6_cidrs()
        .into_iter()
        .filter(|c| !c.address().is_unicast_link_local())
        .collect()
}

const PREFIX: Ipv6Address = Ipv6Address::new(0xfd00, 0x77, 0, 0, 0, 0, 0, 0);

#[test]
fn slaac_takes_the_advertised_prefix_and_drops_it_when_its_lifetime_ends() {
    let mut lab = lab(Ipv6Config::Auto);
    // The stack solicits routers at start.
    let sent = lab.exchange();
    assert!(
        sent.iter().any(|f| matches!(
            parse_icmp(f),
            Some((_, _, Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { .. })))
        )),
        "no router solicitation"
    );
    assert!(global_addresses(&lab.stack).is_empty());
    lab.send(&advertisement(1, 60, Some((PREFIX, 30, 20))));
    lab.exchange();
    let expected = Ipv6Cidr::new(Ipv6Address::new(0xfd00, 0x77, 0, 0, 0, 0xff, 0xfe00, 2), 64);
    assert_eq!(global_addresses(&lab.stack), [expected]);
    assert_eq!(lab.stack.gateway6(), Some(router(1).0));
    assert_eq!(lab.stack.stats().slaac_addresses, 1);
    // The stack asks to be polled when the address's lifetime ends, with no socket open to
    // wake it.
    let now = lab.machine.now();
    let next = lab.stack.poll(now);
    assert!(
        next.is_some_and(|at| at > now && at <= now + Duration::from_secs(30)),
        "deadline {next:?} at {now:?}"
    );
    // Valid for 30 s: gone after that, the router (60 s) still there.
    lab.advance(Duration::from_secs(31));
    assert!(
        global_addresses(&lab.stack).is_empty(),
        "{:?}",
        lab.stack.ipv6_cidrs()
    );
    assert_eq!(lab.stack.stats().slaac_expired, 1);
    assert_eq!(lab.stack.gateway6(), Some(router(1).0));
    lab.advance(Duration::from_secs(30));
    assert_eq!(lab.stack.gateway6(), None);
    // The link-local address stays through it all and answers.
    assert!(lab.pings(PEER_MAC, router(1).0, STACK_LL));
    // A fresh advertisement brings the address back; one with lifetime 0 withdraws the router.
    lab.send(&advertisement(1, 60, Some((PREFIX, 300, 200))));
    lab.exchange();
    assert_eq!(global_addresses(&lab.stack), [expected]);
    lab.send(&advertisement(1, 0, None));
    lab.exchange();
    assert_eq!(lab.stack.gateway6(), None);
}

#[test]
fn with_no_router_the_stack_goes_quiet_instead_of_spinning() {
    let mut lab = lab(Ipv6Config::Auto);
    // Three solicitations, then nothing: the stack's deadline must not stay in the past.
    lab.advance(Duration::from_secs(20));
    let now = lab.machine.now();
    let next = lab.stack.poll(now);
    assert!(
        next.is_none_or(|at| at > now),
        "deadline {next:?} at {now:?}"
    );
    // A router that comes up later is still taken.
    lab.send(&advertisement(3, 60, Some((PREFIX, 300, 200))));
    lab.exchange();
    assert_eq!(global_addresses(&lab.stack).len(), 1);
}

#[test]
fn an_advertisement_flood_keeps_the_state_bounded() {
    let mut lab = lab(Ipv6Config::Auto);
    lab.exchange();
    for n in 0..3000u16 {
        let prefix = Ipv6Address::new(0xfd00, n, 0, 0, 0, 0, 0, 0);
        lab.send(&advertisement(n, 1800, Some((prefix, 3600, 1800))));
        if n % 100 == 99 {
            lab.exchange();
        }
    }
    lab.exchange();
    assert!(lab.stack.stats().device.rx_frames >= 3000);
    // smoltcp keeps one prefix and a bounded route table; the interface at most three
    // addresses (IFACE_MAX_ADDR_COUNT).
    assert!(
        lab.stack.ipv6_cidrs().len() <= 3,
        "{:?}",
        lab.stack.ipv6_cidrs()
    );
    assert!(global_addresses(&lab.stack).len() <= 1);
    assert!(lab.pings(PEER_MAC, router(7).0, STACK_LL));
}

#[test]
fn advertisements_that_are_not_from_the_link_are_ignored() {
    let mut lab = lab(Ipv6Config::Auto);
    lab.exchange();
    // Hop limit below 255 (it crossed a router), and a global source: both invalid (RFC 4861
    // 6.1.2).
    let (src, mac) = router(1);
    let forwarded = {
        let mut frame = advertisement(1, 60, Some((PREFIX, 300, 200)));
        frame[14 + 7] = 64; // hop limit (the checksum does not cover it)
        frame
    };
    lab.send(&forwarded);
    let global_source = icmp_frame(
        mac,
        [0x33, 0x33, 0, 0, 0, 1],
        Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
        ALL_NODES,
        255,
        &Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: NdiscRouterFlags::empty(),
            router_lifetime: smoltcp::time::Duration::from_secs(60),
            reachable_time: smoltcp::time::Duration::ZERO,
            retrans_time: smoltcp::time::Duration::ZERO,
            lladdr: None,
            mtu: None,
            prefix_info: None,
        }),
    );
    lab.send(&global_source);
    lab.exchange();
    assert_eq!(lab.stack.stats().rx_malformed, 2, "both counted as dropped");
    assert!(global_addresses(&lab.stack).is_empty());
    assert_eq!(lab.stack.gateway6(), None);
    let _ = src;
}

#[test]
fn the_neighbour_cache_does_not_grow_with_the_number_of_peers() {
    let mut lab = lab(Ipv6Config::Static {
        address: Ipv6Cidr::new(Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2), 64),
        gateway: None,
    });
    let us = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
    // Neighbour solicitations with a source link-layer address each fill a cache entry;
    // echo requests make the stack look for each peer in turn.
    for n in 0..5000u32 {
        let mac = [0x02, 0x20, 0, (n >> 16) as u8, (n >> 8) as u8, n as u8];
        let from = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, (n >> 16) as u16 + 1, n as u16);
        let solicitation = icmp_frame(
            mac,
            [0x33, 0x33, 0xff, 0, 0, 2],
            from,
            Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2),
            255,
            &Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr: us,
                lladdr: Some(RawHardwareAddress::from_bytes(&mac)),
            }),
        );
        lab.send(&solicitation);
        let request = icmp_frame(
            mac,
            STACK_MAC,
            from,
            us,
            64,
            &Icmpv6Repr::EchoRequest {
                ident: 1,
                seq_no: n as u16,
                data: b"x",
            },
        );
        lab.send(&request);
        if n % 200 == 199 {
            lab.exchange();
        }
    }
    lab.exchange();
    let evictions = lab.stack.stats().neighbor_evictions;
    assert!(evictions >= 4900, "{evictions} evictions counted");
    // A peer it has never seen still gets an answer (after neighbour discovery).
    let fresh = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0xbeef, 1);
    assert!(lab.pings([0x02, 0x30, 0, 0, 0, 1], fresh, us));
}

#[test]
fn malformed_and_hostile_packets_are_dropped_and_the_stack_still_answers() {
    let us = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
    let mut lab = lab(Ipv6Config::Static {
        address: Ipv6Cidr::new(us, 64),
        gateway: Some(router(1).0),
    });
    let peer = Ipv6Address::new(0xfd00, 0, 0, 0, 0, 0, 0, 9);
    let good = icmp_frame(
        PEER_MAC,
        STACK_MAC,
        peer,
        us,
        64,
        &Icmpv6Repr::EchoRequest {
            ident: 1,
            seq_no: 1,
            data: b"hello",
        },
    );
    let mut groups: Vec<Group> = Vec::new();
    let mut hostile: Vec<Vec<u8>> = Vec::new();
    // Every truncation of a valid packet, and of a neighbour solicitation (an empty frame is
    // no packet: smoltcp skips it uncounted).
    let solicitation = icmp_frame(
        PEER_MAC,
        [0x33, 0x33, 0xff, 0, 0, 2],
        peer,
        Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2),
        255,
        &Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: us,
            lladdr: Some(RawHardwareAddress::from_bytes(&PEER_MAC)),
        }),
    );
    for frame in [&good, &solicitation] {
        for len in 1..frame.len() {
            hostile.push(frame[..len].to_vec());
        }
    }
    groups.push(group("truncations", Some(Drop::Malformed), &mut hostile));
    // A bad checksum; a payload length beyond the frame; an NDP message with a hop limit
    // below 255; an option of length zero (RFC 4861 says: drop).
    let mut bad_sum = good.clone();
    bad_sum[14 + 40 + 2] ^= 0xff;
    hostile.push(bad_sum);
    let mut long = good.clone();
    long[14 + 4] = 0xff;
    hostile.push(long);
    let mut low_hop = solicitation.clone();
    low_hop[14 + 7] = 64;
    hostile.push(low_hop);
    let mut zero_option = solicitation.clone();
    let last = zero_option.len() - 7; // the option's length byte
    zero_option[last] = 0;
    hostile.push(zero_option);
    groups.push(group("inconsistent", Some(Drop::Malformed), &mut hostile));
    // A chain of 150 destination-options headers in front of an echo request, and one that
    // never ends (each header points at the next, past the end of the packet).
    for (count, end) in [(150usize, true), (40, false)] {
        let mut frame = good[..14 + 40].to_vec();
        frame[14 + 6] = 60; // next header: destination options
        for i in 0..count {
            let next = if i + 1 == count && end { 58 } else { 60 };
            frame.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]); // PadN
        }
        if end {
            frame.extend_from_slice(&good[14 + 40..]);
        }
        let payload = (frame.len() - 14 - 40) as u16;
        frame[14 + 4..14 + 6].copy_from_slice(&payload.to_be_bytes());
        hostile.push(frame);
    }
    // A fragment (first of two) and an atomic fragment: no reassembly, dropped.
    let mut fragment = good[..14 + 40].to_vec();
    fragment[14 + 6] = 44;
    fragment.extend_from_slice(&[58, 0, 0, 1, 0, 0, 0, 42]); // offset 0, more fragments
    fragment.extend_from_slice(&good[14 + 40..]);
    let payload = (fragment.len() - 14 - 40) as u16;
    fragment[14 + 4..14 + 6].copy_from_slice(&payload.to_be_bytes());
    hostile.push(fragment);
    groups.push(group(
        "unsupported headers",
        Some(Drop::Unsupported),
        &mut hostile,
    ));
    // Pseudo-random bytes behind a valid Ethernet and IPv6 header, many times.
    let mut seed = 0x1234_5678u32;
    for i in 0..5000 {
        let mut frame = good[..14 + 40].to_vec();
        let len = 1 + i % 300;
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            frame.push(seed as u8);
        }
        frame[14 + 6] = [58, 0, 43, 44, 60, 17, 6, 59][i % 8];
        let payload = len as u16;
        frame[14 + 4..14 + 6].copy_from_slice(&payload.to_be_bytes());
        hostile.push(frame);
    }
    groups.push(group("random", None, &mut hostile));
    let total: usize = groups.iter().map(|g| g.frames.len()).sum();
    for Group {
        name,
        counter,
        frames,
    } in &groups
    {
        let before = lab.stack.stats();
        for (i, frame) in frames.iter().enumerate() {
            lab.send(frame);
            if i % 100 == 99 {
                lab.exchange();
            }
        }
        lab.exchange();
        let after = lab.stack.stats();
        let malformed = after.rx_malformed - before.rx_malformed;
        let unsupported = after.rx_unsupported - before.rx_unsupported;
        let n = frames.len() as u64;
        match counter {
            Some(Drop::Malformed) => assert_eq!((malformed, unsupported), (n, 0), "{name}"),
            Some(Drop::Unsupported) => assert_eq!((malformed, unsupported), (0, n), "{name}"),
            // Random bytes may by chance make a packet the stack takes (an echo request with
            // a right checksum): nearly all are counted, none twice.
            None => assert!(
                malformed + unsupported <= n && malformed + unsupported >= n * 99 / 100,
                "{name}: {malformed} malformed, {unsupported} unsupported of {n}"
            ),
        }
    }
    let received = lab.stack.stats().device.rx_frames;
    assert!(received >= total as u64, "{received} of {total}");
    assert!(
        lab.pings(PEER_MAC, peer, us),
        "no echo reply after the hostile input"
    );
}

/// Which drop counter a hostile frame must add to.
#[derive(Clone, Copy)]
enum Drop {
    Malformed,
    Unsupported,
}

/// Hostile frames of one kind, and the drop counter each must add one to (`None`: random
/// frames, which nearly all must).
struct Group {
    name: &'static str,
    counter: Option<Drop>,
    frames: Vec<Vec<u8>>,
}

/// A group of the frames gathered so far (leaving `frames` empty for the next).
fn group(name: &'static str, counter: Option<Drop>, frames: &mut Vec<Vec<u8>>) -> Group {
    Group {
        name,
        counter,
        frames: std::mem::take(frames),
    }
}
