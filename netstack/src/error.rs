//! The crate's one error type: bad configuration and socket failures, each shown as a sentence
//! that says what was wrong and what would be valid.

use alloc::string::String;
use core::fmt;

use smoltcp::wire::{IpEndpoint, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr};

use crate::Show;

/// Why a configuration was refused or a socket operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// `ip=` is neither `dhcp` nor `ADDRESS/PREFIX` with an IPv4 address.
    InvalidAddress(String),
    /// `ip=` has an IPv4 address but no `/PREFIX`.
    MissingPrefix(String),
    /// The `/PREFIX` of `ip=` is not a number from 0 to 32.
    InvalidPrefix(String),
    /// `ip=` names an address no host may have: unspecified, loopback, multicast, broadcast, or
    /// the network or broadcast address of its own subnet.
    UnusableAddress(Ipv4Cidr),
    /// `gw=` is not an IPv4 address.
    InvalidGateway(String),
    /// `gw=` is not a host on the subnet of `ip=`, or is the address itself.
    GatewayOutsideSubnet {
        /// The gateway asked for.
        gateway: Ipv4Address,
        /// The interface address and subnet.
        address: Ipv4Cidr,
    },
    /// `gw=` was given with `ip=dhcp` (DHCP provides the gateway).
    GatewayWithDhcp,
    /// `ip6=` is neither `auto`, `off` nor `ADDRESS/PREFIX` with an IPv6 address.
    InvalidAddress6(String),
    /// `ip6=` has an IPv6 address but no `/PREFIX`.
    MissingPrefix6(String),
    /// The `/PREFIX` of `ip6=` is not a number from 1 to 128.
    InvalidPrefix6(String),
    /// `ip6=` names an address the interface may not take: unspecified, loopback, multicast,
    /// link-local, IPv4-mapped, or its prefix's subnet-router anycast address.
    UnusableAddress6(Ipv6Cidr),
    /// `gw6=` is not an IPv6 address.
    InvalidGateway6(String),
    /// `gw6=` is neither link-local nor on the prefix of `ip6=`, or not a unicast address, or
    /// the address itself.
    GatewayOffLink6 {
        /// The router asked for.
        gateway: Ipv6Address,
        /// The interface address and prefix.
        address: Ipv6Cidr,
    },
    /// `gw6=` was given with `ip6=auto` (router advertisements provide the router).
    GatewayWithAuto,
    /// A gateway (`gw=` or `gw6=`, named) was given for a family that is off, or (`gw6=`) whose
    /// only address is link-local.
    GatewayWithoutAddress(&'static str),
    /// Both families are off (`ip=off ip6=off`): the interface would have no address.
    NoAddress,
    /// `ip=off` where IPv6 defaults to the link-local address alone (no SLAAC): no address
    /// beyond the link.
    LinkLocalOnly,
    /// DHCP was asked for (`ip=dhcp`, or no `ip=` where DHCP is the default) but the image was
    /// built without the netstack feature `dhcp`.
    DhcpNotBuilt,
    /// SLAAC was asked for (`ip6=auto`) but the image was built without the netstack feature
    /// `slaac`.
    SlaacNotBuilt,
    /// The device's MAC address is a multicast or broadcast address.
    InvalidMac([u8; 6]),
    /// Port 0 was asked for where a fixed port is needed.
    PortZero,
    /// The port is already bound by another socket of the same protocol.
    PortInUse {
        /// `"UDP"` or `"TCP"`.
        protocol: &'static str,
        /// The port.
        port: u16,
    },
    /// A listener needs a backlog of at least one socket.
    ZeroBacklog,
    /// The destination cannot be reached: no local address yet, or no route to it.
    Unreachable(IpEndpoint),
    /// A datagram is larger than the MTU (there is no IP fragmentation) or than the socket's
    /// send buffer: it could never be sent.
    DatagramTooLarge {
        /// The datagram's length.
        len: usize,
        /// The largest datagram the socket can send.
        largest: usize,
    },
    /// A received datagram did not fit into the caller's buffer and was dropped.
    DatagramTruncated {
        /// The datagram's length.
        len: usize,
        /// The caller's buffer size.
        capacity: usize,
    },
    /// A connection attempt was refused or not answered.
    ConnectFailed(IpEndpoint),
    /// The connection was reset by the peer, or aborted after the peer stopped answering.
    ConnectionReset,
    /// Data was written after [`close`](crate::TcpStream::close), or after the connection ended.
    NotWritable,
    /// A timer set with [`Stack::timeout`](crate::Stack::timeout) expired first.
    TimedOut,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidAddress(value) => write!(
                f,
                "ip={value} is not understood: write ip=ADDRESS/PREFIX (e.g. ip=10.0.0.2/24) or ip=dhcp"
            ),
            Error::MissingPrefix(value) => write!(
                f,
                "ip={value} has no prefix length: write ip={value}/PREFIX (e.g. ip={value}/24) or ip=dhcp"
            ),
            Error::InvalidPrefix(value) => write!(
                f,
                "ip={value} has a bad prefix length: it must be a number from 0 to 32 (e.g. /24)"
            ),
            Error::UnusableAddress(cidr) => write!(
                f,
                "ip={} is not a host address (it is unspecified, loopback, multicast, broadcast, \
                 or the network or broadcast address of its subnet): choose a host inside {}",
                Show(*cidr),
                Show(cidr.network())
            ),
            Error::InvalidGateway(value) => write!(
                f,
                "gw={value} is not an IPv4 address: write gw=ADDRESS (e.g. gw=10.0.0.1) or leave it out"
            ),
            Error::GatewayOutsideSubnet { gateway, address } => write!(
                f,
                "gw={} cannot be the gateway for ip={}: it must be another host on {}",
                Show(*gateway),
                Show(*address),
                Show(address.network())
            ),
            Error::GatewayWithDhcp => write!(
                f,
                "gw= cannot be combined with ip=dhcp: DHCP provides the gateway; remove gw= or give \
                 a static ip=ADDRESS/PREFIX"
            ),
            Error::InvalidAddress6(value) => write!(
                f,
                "ip6={value} is not understood: write ip6=ADDRESS/PREFIX (e.g. \
                 ip6=2001:db8::53/64), ip6=auto or ip6=off"
            ),
            Error::MissingPrefix6(value) => write!(
                f,
                "ip6={value} has no prefix length: write ip6={value}/PREFIX (e.g. ip6={value}/64) \
                 or ip6=auto"
            ),
            Error::InvalidPrefix6(value) => write!(
                f,
                "ip6={value} has a bad prefix length: it must be a number from 1 to 128 (e.g. /64)"
            ),
            Error::UnusableAddress6(cidr) => write!(
                f,
                "ip6={} is not an address the interface can take (it is unspecified, \
                 loopback, multicast, link-local, IPv4-mapped or its prefix's subnet-router \
                 anycast address): choose a global or unique-local host address",
                Show(*cidr)
            ),
            Error::InvalidGateway6(value) => write!(
                f,
                "gw6={value} is not an IPv6 address: write gw6=ADDRESS (e.g. gw6=fe80::1) or leave \
                 it out"
            ),
            Error::GatewayOffLink6 { gateway, address } => write!(
                f,
                "gw6={} cannot be the router for ip6={}: it must be another unicast address, \
                 link-local (fe80::/10) or on the prefix of ip6=",
                Show(*gateway),
                Show(*address)
            ),
            Error::GatewayWithAuto => write!(
                f,
                "gw6= cannot be combined with ip6=auto: router advertisements provide the router; \
                 remove gw6= or give a static ip6=ADDRESS/PREFIX"
            ),
            Error::GatewayWithoutAddress(word) => {
                let (family, address) = match *word {
                    "gw" => ("IPv4 is off (ip=off, or ip6= without ip=)", "ip"),
                    _ => (
                        "IPv6 has no address to route from (ip6=off, or link-local only)",
                        "ip6",
                    ),
                };
                write!(
                    f,
                    "{word}= is given but {family}: remove {word}= or give {address}=ADDRESS/PREFIX"
                )
            }
            Error::NoAddress => write!(
                f,
                "ip=off and ip6=off leave the interface without an address: turn one of them on"
            ),
            Error::LinkLocalOnly => write!(
                f,
                "ip=off leaves only the link-local IPv6 address (this image has no SLAAC): give \
                 ip=ADDRESS/PREFIX or ip6=ADDRESS/PREFIX"
            ),
            Error::DhcpNotBuilt => write!(
                f,
                "this image was built without DHCP: give a static address with ip=ADDRESS/PREFIX \
                 (e.g. ip=10.0.0.2/24, and gw=ADDRESS for a gateway)"
            ),
            Error::SlaacNotBuilt => write!(
                f,
                "this image was built without SLAAC: give a static IPv6 address with \
                 ip6=ADDRESS/PREFIX (e.g. ip6=2001:db8::53/64, and gw6=ADDRESS for a router), \
                 or leave ip6= out for the link-local address alone"
            ),
            Error::InvalidMac(mac) => write!(
                f,
                "the device's MAC address {} is not a unicast address: configure the NIC with a \
                 unicast MAC (first byte even, e.g. 02:xx:xx:xx:xx:xx)",
                xenolith_device::MacAddress(*mac)
            ),
            Error::PortZero => write!(
                f,
                "port 0 cannot be listened on: choose a port from 1 to 65535"
            ),
            Error::PortInUse { protocol, port } => write!(
                f,
                "{protocol} port {port} is already in use by another socket: drop that socket first \
                 or choose another port"
            ),
            Error::ZeroBacklog => write!(f, "a TCP listener needs a backlog of at least 1"),
            Error::Unreachable(endpoint) => write!(
                f,
                "{} is not reachable: the interface has no address of its family yet (DHCP or \
                 SLAAC not done?) or no route to it (set gw= or gw6=)",
                Show(*endpoint)
            ),
            Error::DatagramTooLarge { len, largest } => write!(
                f,
                "a {len}-byte datagram cannot be sent: at most {largest} bytes fit the MTU (no IP \
                 fragmentation) and the socket's send buffer"
            ),
            Error::DatagramTruncated { len, capacity } => write!(
                f,
                "a {len}-byte datagram was dropped because the receive buffer holds only {capacity} \
                 bytes: receive into a larger buffer"
            ),
            Error::ConnectFailed(endpoint) => write!(
                f,
                "connecting to {} failed: the peer refused or did not answer",
                Show(*endpoint)
            ),
            Error::ConnectionReset => write!(
                f,
                "the connection was reset by the peer, or aborted after the peer stopped answering"
            ),
            Error::NotWritable => write!(
                f,
                "the connection is closed for writing (closed locally, or no longer established)"
            ),
            Error::TimedOut => write!(f, "the operation timed out"),
        }
    }
}

impl core::error::Error for Error {}
