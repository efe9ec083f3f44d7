//! The interface configuration: IPv4 (a static address with an optional gateway, DHCPv4, or
//! off) and IPv6 (a static address with an optional router, SLAAC from router advertisements,
//! or off) side by side on one interface. With IPv6 on, the interface also has its link-local
//! address, made from the MAC (RFC 4291 appendix A).
//!
//! Read from command-line words (DESIGN.md "Configuration"):
//!
//! | words | configuration |
//! |---|---|
//! | `ip=10.0.0.2/24 gw=10.0.0.1` | static IPv4 address, default route via `10.0.0.1` |
//! | `ip=10.0.0.2/24` | static IPv4 address, no default route (only the local subnet) |
//! | `ip=dhcp` | DHCPv4: address, gateway and DNS servers from the lease |
//! | `ip=off` | no IPv4 |
//! | `ip6=2001:db8::53/64 gw6=fe80::1` | static IPv6 address, default route via the router (link-local, or on the prefix) |
//! | `ip6=auto` | SLAAC (RFC 4862): address and default route from router advertisements, for as long as their lifetimes say (feature `slaac`) |
//! | `ip6=off` | no IPv6 (not even link-local) |
//! | (no `ip=`, no `ip6=`) | the app's default for both; a `gw=`/`gw6=` then replaces the default's gateway |
//! | `ip6=` without `ip=` | IPv6 only |
//! | `ip=` without `ip6=` | the app's default for IPv6 |
//!
//! SLAAC is a cargo feature, `slaac` (on by default), as the DHCPv4 client is (`dhcp`). An
//! image built without it refuses `ip6=auto` ([`Error::SlaacNotBuilt`]); where SLAAC would be
//! the default it falls back to IPv6 with the link-local address alone
//! ([`Ipv6Config::LinkLocal`]), so that `ip=` alone still gives a dual-stack interface.
//!
//! The words are read through a lookup closure (`Cmdline::get` in the kernel, the parsed
//! options in hosted mode), so this crate does not depend on the runtime. A bad value is an
//! [`Error`] whose message names the word and says what would be valid; nothing is silently
//! ignored.

use alloc::string::String;
use core::fmt;

use smoltcp::wire::{Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr};

use crate::{Error, Show};

/// How the interface gets its addresses, per family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// IPv4.
    pub ipv4: Ipv4Config,
    /// IPv6.
    pub ipv6: Ipv6Config,
}

/// How the interface gets its IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv4Config {
    /// A fixed address and prefix, and optionally a default gateway on that subnet.
    Static {
        /// The interface address and its subnet prefix.
        address: Ipv4Cidr,
        /// The default gateway; `None` reaches only the local subnet.
        gateway: Option<Ipv4Address>,
    },
    /// DHCPv4 (RFC 2131): address, gateway and DNS servers from a lease, renewed as it ages.
    Dhcp,
    /// No IPv4.
    Off,
}

/// How the interface gets its IPv6 addresses (besides the link-local one, which it always has
/// unless IPv6 is off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ipv6Config {
    /// A fixed address and prefix, and optionally a default router.
    Static {
        /// The interface address and its prefix.
        address: Ipv6Cidr,
        /// The default router: link-local, or an address on the prefix. `None` reaches only
        /// the link and the prefix.
        gateway: Option<Ipv6Address>,
    },
    /// Stateless address autoconfiguration (RFC 4862): router solicitations at start, an
    /// address on each advertised prefix and a default route via each advertising router,
    /// dropped when their lifetimes end. Needs the feature `slaac`.
    Auto,
    /// The link-local address alone: neighbour discovery and ping on the link, no router. The
    /// default for IPv6 instead of [`Auto`](Ipv6Config::Auto) in a build without SLAAC (no
    /// command-line word gives it).
    LinkLocal,
    /// No IPv6.
    Off,
}

/// The default for IPv6: SLAAC where it is built in, else the link-local address alone.
const DEFAULT_IPV6: Ipv6Config = if cfg!(feature = "slaac") {
    Ipv6Config::Auto
} else {
    Ipv6Config::LinkLocal
};

/// Longest bad value quoted back in an error.
const MAX_QUOTED: usize = 64;

impl Config {
    /// DHCPv4 and SLAAC: what a host on an unknown network tries. (Without the feature
    /// `slaac`, IPv6 is [`LinkLocal`](Ipv6Config::LinkLocal); without `dhcp`, IPv4 is still
    /// DHCP, which [`check`](Config::check) refuses: such an image needs `ip=`.)
    pub const AUTO: Config = Config {
        ipv4: Ipv4Config::Dhcp,
        ipv6: DEFAULT_IPV6,
    };

    /// A static IPv4 address and gateway, with SLAAC for IPv6 (link-local only without the
    /// feature `slaac`).
    pub const fn ipv4(address: Ipv4Cidr, gateway: Option<Ipv4Address>) -> Config {
        Config {
            ipv4: Ipv4Config::Static { address, gateway },
            ipv6: DEFAULT_IPV6,
        }
    }

    /// Reads `ip=`, `gw=`, `ip6=` and `gw6=` through `lookup` (which returns a key's value, if
    /// present); `default` applies to each family whose words are absent (see the table in the
    /// [module docs](self)).
    ///
    /// ```
    /// use xenolith_netstack::Config;
    /// let words = |key: &str| match key {
    ///     "ip" => Some("10.0.0.2/24"),
    ///     "gw" => Some("10.0.0.1"),
    ///     "ip6" => Some("2001:db8::2/64"),
    ///     "gw6" => Some("fe80::1"),
    ///     _ => None,
    /// };
    /// let config = Config::from_lookup(words, Config::AUTO).unwrap();
    /// assert_eq!(config.to_string(), "10.0.0.2/24 via 10.0.0.1, 2001:db8::2/64 via fe80::1");
    /// ```
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
        default: Config,
    ) -> Result<Config, Error> {
        let (ip, ip6) = (lookup("ip"), lookup("ip6"));
        // `ip6=` alone is an IPv6-only interface; `ip=` alone keeps the default's IPv6.
        let ipv4_default = if ip6.is_some() {
            Ipv4Config::Off
        } else {
            default.ipv4
        };
        // The words' syntax and combinations first, then the addresses themselves (one
        // check for parsed and hand-built configurations).
        let config = Config {
            ipv4: ipv4(ip, lookup("gw"), ipv4_default)?,
            ipv6: ipv6(ip6, lookup("gw6"), default.ipv6, cfg!(feature = "slaac"))?,
        };
        // Apps wait for an address beyond the link before they serve.
        if matches!(
            (config.ipv4, config.ipv6),
            (Ipv4Config::Off, Ipv6Config::LinkLocal)
        ) {
            return Err(Error::LinkLocalOnly);
        }
        config.check()
    }

    /// A configuration built by hand, checked as [`from_lookup`](Config::from_lookup) checks
    /// one.
    pub fn check(self) -> Result<Config, Error> {
        if let Ipv4Config::Static { address, gateway } = self.ipv4 {
            check_address(address)?;
            if let Some(gateway) = gateway {
                check_gateway(address, gateway)?;
            }
        }
        check_ipv6(self.ipv6)?;
        if matches!(self.ipv4, Ipv4Config::Dhcp) && !cfg!(feature = "dhcp") {
            return Err(Error::DhcpNotBuilt);
        }
        if matches!(self.ipv6, Ipv6Config::Auto) && !cfg!(feature = "slaac") {
            return Err(Error::SlaacNotBuilt);
        }
        if matches!((self.ipv4, self.ipv6), (Ipv4Config::Off, Ipv6Config::Off)) {
            return Err(Error::NoAddress);
        }
        Ok(self)
    }
}

/// The IPv4 part: `ip=` and `gw=`, read (the addresses are checked by [`Config::check`]).
fn ipv4(ip: Option<&str>, gw: Option<&str>, default: Ipv4Config) -> Result<Ipv4Config, Error> {
    let gateway = match gw {
        Some(text) => Some(parse_gateway(text)?),
        None => None,
    };
    let config = match ip {
        Some("dhcp") => Ipv4Config::Dhcp,
        Some("off") => Ipv4Config::Off,
        Some(text) => Ipv4Config::Static {
            address: parse_address(text)?,
            gateway: None,
        },
        None => default,
    };
    if matches!(config, Ipv4Config::Dhcp) && !cfg!(feature = "dhcp") {
        return Err(Error::DhcpNotBuilt);
    }
    match (config, gateway) {
        (config, None) => Ok(config),
        (Ipv4Config::Static { address, .. }, gateway) => {
            Ok(Ipv4Config::Static { address, gateway })
        }
        (Ipv4Config::Dhcp, _) => Err(Error::GatewayWithDhcp),
        (Ipv4Config::Off, _) => Err(Error::GatewayWithoutAddress("gw")),
    }
}

impl Ipv6Config {
    /// `ip6=` and `gw6=` alone, as [`Config::from_lookup`] reads them (for host tools that
    /// check what a guest will be told, e.g. the manifest's `[[network]] ip6`). `ip6=auto` is
    /// accepted whether or not this build has SLAAC: the words are for some image, not this
    /// program.
    pub fn from_words(ip6: &str, gw6: Option<&str>) -> Result<Ipv6Config, Error> {
        let config = ipv6(Some(ip6), gw6, Ipv6Config::Off, true)?;
        check_ipv6(config)?;
        Ok(config)
    }

    /// The command-line words that say this (`ip6=ADDRESS/PREFIX [gw6=ROUTER]`, `ip6=auto`,
    /// `ip6=off`; none for [`LinkLocal`](Ipv6Config::LinkLocal), which is only a default).
    pub fn words(&self) -> String {
        match self {
            Ipv6Config::Static {
                address,
                gateway: Some(gateway),
            } => alloc::format!("ip6={} gw6={}", Show(*address), Show(*gateway)),
            Ipv6Config::Static {
                address,
                gateway: None,
            } => alloc::format!("ip6={}", Show(*address)),
            Ipv6Config::Auto => String::from("ip6=auto"),
            Ipv6Config::LinkLocal => String::new(),
            Ipv6Config::Off => String::from("ip6=off"),
        }
    }
}

/// The IPv6 part: `ip6=` and `gw6=`, read (the addresses are checked by [`check_ipv6`]);
/// `slaac`: whether `ip6=auto` can be had.
fn ipv6(
    ip6: Option<&str>,
    gw6: Option<&str>,
    default: Ipv6Config,
    slaac: bool,
) -> Result<Ipv6Config, Error> {
    let gateway = match gw6 {
        Some(text) => Some(parse_gateway6(text)?),
        None => None,
    };
    let config = match ip6 {
        Some("auto") => Ipv6Config::Auto,
        Some("off") => Ipv6Config::Off,
        Some(text) => Ipv6Config::Static {
            address: parse_address6(text)?,
            gateway: None,
        },
        None => default,
    };
    if matches!(config, Ipv6Config::Auto) && !slaac {
        return Err(Error::SlaacNotBuilt);
    }
    match (config, gateway) {
        (config, None) => Ok(config),
        (Ipv6Config::Static { address, .. }, gateway) => {
            Ok(Ipv6Config::Static { address, gateway })
        }
        (Ipv6Config::Auto, _) => Err(Error::GatewayWithAuto),
        (Ipv6Config::LinkLocal | Ipv6Config::Off, _) => Err(Error::GatewayWithoutAddress("gw6")),
    }
}

/// A static IPv6 address and router: usable, and the router on the link.
fn check_ipv6(config: Ipv6Config) -> Result<(), Error> {
    if let Ipv6Config::Static { address, gateway } = config {
        check_address6(address)?;
        if let Some(gateway) = gateway {
            check_gateway6(address, gateway)?;
        }
    }
    Ok(())
}

impl fmt::Display for Config {
    /// `IPV4, IPV6` (a family that is off is left out).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // (Direct calls, not `write!` with arguments: less code.)
        match (self.ipv4, self.ipv6) {
            (ipv4, Ipv6Config::Off) => ipv4.fmt(f),
            (Ipv4Config::Off, ipv6) => ipv6.fmt(f),
            (ipv4, ipv6) => {
                ipv4.fmt(f)?;
                f.write_str(", ")?;
                ipv6.fmt(f)
            }
        }
    }
}

impl fmt::Display for Ipv4Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ipv4Config::Static {
                address,
                gateway: Some(gateway),
            } => {
                Show(*address).fmt(f)?;
                f.write_str(" via ")?;
                Show(*gateway).fmt(f)
            }
            Ipv4Config::Static {
                address,
                gateway: None,
            } => {
                Show(*address).fmt(f)?;
                f.write_str(" (no gateway)")
            }
            Ipv4Config::Dhcp => write!(f, "dhcp"),
            Ipv4Config::Off => write!(f, "no IPv4"),
        }
    }
}

impl fmt::Display for Ipv6Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ipv6Config::Static {
                address,
                gateway: Some(gateway),
            } => {
                Show(*address).fmt(f)?;
                f.write_str(" via ")?;
                Show(*gateway).fmt(f)
            }
            Ipv6Config::Static {
                address,
                gateway: None,
            } => {
                Show(*address).fmt(f)?;
                f.write_str(" (no IPv6 router)")
            }
            Ipv6Config::Auto => write!(f, "IPv6 auto"),
            Ipv6Config::LinkLocal => write!(f, "IPv6 link-local only"),
            Ipv6Config::Off => write!(f, "no IPv6"),
        }
    }
}

fn quoted(text: &str) -> String {
    // A prefix copied as one slice, not collected char by char: smaller code.
    let end = text
        .char_indices()
        .nth(MAX_QUOTED)
        .map_or(text.len(), |(at, _)| at);
    String::from(text.get(..end).unwrap_or(text))
}

/// `ADDRESS/PREFIX`, e.g. `10.0.0.2/24`.
fn parse_address(text: &str) -> Result<Ipv4Cidr, Error> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let Some(address) = parse_ipv4(address) else {
        return Err(Error::InvalidAddress(quoted(text)));
    };
    let Some(prefix) = prefix else {
        return Err(Error::MissingPrefix(quoted(text)));
    };
    let Some(prefix) = parse_prefix(prefix, 32) else {
        return Err(Error::InvalidPrefix(quoted(text)));
    };
    // (`min`: the bound parse_prefix checked, visible here, so no assertion is compiled.)
    Ok(Ipv4Cidr::new(address, prefix.min(32)))
}

/// A prefix length: 0 to `max` in plain decimal (no sign, no leading zero).
fn parse_prefix(text: &str, max: u8) -> Option<u8> {
    match read_number(text.as_bytes(), false)? {
        (prefix, []) if prefix <= u16::from(max) => Some(prefix as u8),
        _ => None,
    }
}

/// A host may not use special addresses, nor its subnet's network or broadcast address
/// (except on /31 and /32, which have neither: RFC 3021).
fn check_address(cidr: Ipv4Cidr) -> Result<(), Error> {
    let address = cidr.address();
    let special = address.is_unspecified()
        || address.is_loopback()
        || address.is_multicast()
        || address.is_broadcast()
        || (cidr.prefix_len() < 31
            && (address == cidr.network().address() || Some(address) == cidr.broadcast()));
    if special {
        return Err(Error::UnusableAddress(cidr));
    }
    Ok(())
}

fn parse_gateway(text: &str) -> Result<Ipv4Address, Error> {
    match parse_ipv4(text) {
        Some(gateway) => Ok(gateway),
        None => Err(Error::InvalidGateway(quoted(text))),
    }
}

/// A dotted-quad IPv4 address: four decimal numbers from 0 to 255 without leading zeros,
/// exactly what `core::net::Ipv4Addr::from_str` accepts (a test compares them), in a quarter
/// of its code.
fn parse_ipv4(text: &str) -> Option<Ipv4Address> {
    match read_ipv4(text.as_bytes())? {
        (octets, []) => Some(Ipv4Address::from(octets)),
        _ => None,
    }
}

/// A dotted quad at the start of `text`, as core's address parser reads one; returns its
/// octets and the rest of the text.
fn read_ipv4(text: &[u8]) -> Option<([u8; 4], &[u8])> {
    let mut octets = [0u8; 4];
    let mut rest = text;
    for (index, octet) in octets.iter_mut().enumerate() {
        if index > 0 {
            // (Slice patterns, not `strip_prefix`: no `split_at` panic path.)
            let [b'.', after @ ..] = rest else {
                return None;
            };
            rest = after;
        }
        let (value, after) = read_number(rest, false)?;
        *octet = u8::try_from(value).ok()?;
        rest = after;
    }
    Some((octets, rest))
}

/// A number at the start of `text`, as core's address parser reads one: every digit that
/// follows (decimal, or hexadecimal with `hex`), at most three decimal or four hexadecimal
/// digits, and a decimal number has no leading zero. Returns its value and the rest.
fn read_number(text: &[u8], hex: bool) -> Option<(u16, &[u8])> {
    let (radix, max_digits) = if hex { (16, 4) } else { (10, 3) };
    let mut value: u16 = 0;
    let mut digits = 0;
    let mut rest = text;
    while let [byte, after @ ..] = rest {
        let digit = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' | b'A'..=b'F' if hex => (byte | 0x20) - b'a' + 10,
            _ => break,
        };
        if digits == max_digits {
            return None;
        }
        // At most 4 hex digits (0xffff) or 3 decimal ones: no overflow.
        value = value * radix + u16::from(digit);
        digits += 1;
        rest = after;
    }
    let leading_zero = !hex && digits > 1 && text.first() == Some(&b'0');
    (digits > 0 && !leading_zero).then_some((value, rest))
}

/// The gateway must be another host on the interface's subnet.
fn check_gateway(address: Ipv4Cidr, gateway: Ipv4Address) -> Result<(), Error> {
    let host = Ipv4Cidr::new(gateway, address.prefix_len());
    if !address.contains_addr(&gateway)
        || gateway == address.address()
        || check_address(host).is_err()
    {
        return Err(Error::GatewayOutsideSubnet { gateway, address });
    }
    Ok(())
}

/// `ADDRESS/PREFIX` for `ip6=`, e.g. `2001:db8::53/64`.
fn parse_address6(text: &str) -> Result<Ipv6Cidr, Error> {
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let Some(address) = parse_ipv6(address) else {
        return Err(Error::InvalidAddress6(quoted(text)));
    };
    let Some(prefix) = prefix else {
        return Err(Error::MissingPrefix6(quoted(text)));
    };
    let Some(prefix) = parse_prefix(prefix, 128).filter(|&prefix| prefix > 0) else {
        return Err(Error::InvalidPrefix6(quoted(text)));
    };
    Ok(Ipv6Cidr::new(address, prefix.min(128)))
}

/// A static IPv6 address must be a global or unique-local unicast address: not unspecified,
/// loopback, multicast, link-local (the interface makes its own from the MAC), IPv4-mapped,
/// nor its prefix's subnet-router anycast address (all host bits zero, RFC 4291 2.6.1).
fn check_address6(cidr: Ipv6Cidr) -> Result<(), Error> {
    let (address, prefix) = (cidr.address(), cidr.prefix_len());
    let special = address.is_unspecified()
        || address.is_loopback()
        || address.is_multicast()
        || address.is_unicast_link_local()
        || address.to_ipv4_mapped().is_some()
        || prefix == 0
        || (prefix < 127 && u128::from(address) & (u128::MAX >> prefix) == 0);
    if special {
        return Err(Error::UnusableAddress6(cidr));
    }
    Ok(())
}

fn parse_gateway6(text: &str) -> Result<Ipv6Address, Error> {
    match parse_ipv6(text) {
        Some(gateway) => Ok(gateway),
        None => Err(Error::InvalidGateway6(quoted(text))),
    }
}

/// The router must be a unicast address other than our own: link-local (the usual case), or
/// on the interface's prefix.
fn check_gateway6(address: Ipv6Cidr, gateway: Ipv6Address) -> Result<(), Error> {
    let unicast = !(gateway.is_unspecified() || gateway.is_loopback() || gateway.is_multicast());
    let on_link = gateway.is_unicast_link_local() || address.contains_addr(&gateway);
    if !unicast || !on_link || gateway == address.address() {
        return Err(Error::GatewayOffLink6 { gateway, address });
    }
    Ok(())
}

/// An IPv6 address in the text forms of RFC 4291 2.2: eight groups of one to four hex digits,
/// `::` once for one or more zero groups, and a dotted-quad IPv4 address in place of the last
/// two groups. Exactly what `core::net::Ipv6Addr::from_str` accepts (a test compares them), in
/// less code: the same steps as core's parser, on bytes.
fn parse_ipv6(text: &str) -> Option<Ipv6Address> {
    let mut words = [0u16; 8];
    let (head, ipv4, mut rest) = read_groups(text.as_bytes(), &mut words);
    if head < 8 {
        // Fewer than eight groups: `::` must follow (and no IPv4 tail before it), then up to
        // 7 - head groups (`::` stands for at least one).
        if ipv4 {
            return None;
        }
        let [b':', b':', after @ ..] = rest else {
            return None;
        };
        rest = after;
        let mut tail = [0u16; 7];
        let (count, _, after) = read_groups(rest, tail.get_mut(..7 - head)?);
        for (word, value) in words.iter_mut().skip(8 - count).zip(tail) {
            *word = value;
        }
        rest = after;
    }
    rest.is_empty().then_some(Ipv6Address::from(words))
}

/// Groups separated by `:` at the start of `text`, at most `out.len()` of them, into `out`; a
/// dotted quad where two groups still fit counts as those two and ends the list (as in core's
/// parser). Returns how many groups, whether the last were a dotted quad, and the rest of the
/// text (from the `:` before a group that could not be read).
fn read_groups<'a>(text: &'a [u8], out: &mut [u16]) -> (usize, bool, &'a [u8]) {
    let limit = out.len();
    let mut rest = text;
    for index in 0..limit {
        let piece = if index == 0 {
            rest
        } else {
            match rest {
                [b':', piece @ ..] => piece,
                _ => return (index, false, rest),
            }
        };
        if index + 1 < limit
            && let Some(([a, b, c, d], after)) = read_ipv4(piece)
        {
            if let Some([high, low]) = out.get_mut(index..index + 2) {
                *high = u16::from_be_bytes([a, b]);
                *low = u16::from_be_bytes([c, d]);
            }
            return (index + 2, true, after);
        }
        match read_number(piece, true) {
            Some((value, after)) => {
                if let Some(word) = out.get_mut(index) {
                    *word = value;
                }
                rest = after;
            }
            None => return (index, false, rest),
        }
    }
    (limit, false, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn ipv4_addresses_parse_as_core_parses_them() {
        use core::str::FromStr;
        use std::vec::Vec;
        let mut cases: Vec<std::string::String> = [
            "",
            ".",
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3",
            "1..2.3",
            "01.2.3.4",
            "1.2.3.04",
            "00.1.2.3",
            "1.2.3.4.5",
            "1.2.3.-4",
            "+1.2.3.4",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3.0x4",
            "1000.2.3.4",
            "10.0.0.2",
            "1.2.3.٤",
            "001.2.3.4",
            "1.2.3.4/24",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every string over a small alphabet up to length 7, then dotted quads of short numbers.
        let alphabet = ['0', '1', '2', '5', '9', '.', 'a'];
        let mut level = std::vec![std::string::String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for prefix in &level {
                for c in alphabet {
                    let mut s = prefix.clone();
                    s.push(c);
                    next.push(s);
                }
            }
            cases.extend(next.iter().cloned());
            level = next;
        }
        for n in [
            "0", "00", "1", "9", "10", "25", "99", "100", "199", "249", "255", "256", "300", "999",
            "0255",
        ] {
            cases.push(std::format!("{n}.1.{n}.0"));
            cases.push(std::format!("192.168.0.{n}"));
        }
        for case in &cases {
            assert_eq!(
                parse_ipv4(case),
                Ipv4Address::from_str(case).ok(),
                "{case:?}"
            );
        }
    }

    /// The IPv4 part of `ip=IP gw=GW` over [`DEFAULT`].
    fn parse(ip: Option<&str>, gw: Option<&str>) -> Result<Ipv4Config, Error> {
        Config::from_lookup(
            |key| match key {
                "ip" => ip,
                "gw" => gw,
                _ => None,
            },
            DEFAULT,
        )
        .map(|config| config.ipv4)
    }

    const DEFAULT_V4: Ipv4Config = Ipv4Config::Static {
        address: Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 10), 24),
        gateway: Some(Ipv4Address::new(192, 168, 1, 1)),
    };
    /// An app's default: a static IPv4 address, and SLAAC where it is built in (else the
    /// link-local address alone, as in [`Config::AUTO`]).
    const DEFAULT: Config = Config {
        ipv4: DEFAULT_V4,
        ipv6: DEFAULT_IPV6,
    };

    fn cidr(text: &str) -> Ipv4Cidr {
        let (a, p) = text.split_once('/').unwrap();
        Ipv4Cidr::new(a.parse().unwrap(), p.parse().unwrap())
    }

    #[test]
    fn good_values() {
        assert_eq!(
            parse(Some("10.0.0.2/24"), Some("10.0.0.1")),
            Ok(Ipv4Config::Static {
                address: cidr("10.0.0.2/24"),
                gateway: Some(Ipv4Address::new(10, 0, 0, 1)),
            })
        );
        assert_eq!(
            parse(Some("10.0.0.2/8"), None),
            Ok(Ipv4Config::Static {
                address: cidr("10.0.0.2/8"),
                gateway: None,
            })
        );
        assert_eq!(parse(Some("dhcp"), None), dhcp(Ok(Ipv4Config::Dhcp)));
        // /31 and /32 have no network or broadcast address.
        assert!(parse(Some("10.0.0.0/31"), Some("10.0.0.1")).is_ok());
        assert!(parse(Some("10.0.0.7/32"), None).is_ok());
        assert!(parse(Some("10.0.0.7/0"), None).is_ok());
    }

    #[test]
    fn defaults_apply_without_ip() {
        assert_eq!(parse(None, None), Ok(DEFAULT_V4));
        assert_eq!(
            parse(None, Some("192.168.1.254")),
            Ok(Ipv4Config::Static {
                address: cidr("192.168.1.10/24"),
                gateway: Some(Ipv4Address::new(192, 168, 1, 254)),
            })
        );
        let dhcp_default = Config::from_lookup(|_| None, Config::AUTO).map(|c| c.ipv4);
        assert_eq!(dhcp_default, dhcp(Ok(Ipv4Config::Dhcp)));
        let gw_only = Config::from_lookup(|key| (key == "gw").then_some("10.0.0.1"), Config::AUTO);
        assert_eq!(gw_only, dhcp(Err(Error::GatewayWithDhcp)));
    }

    #[test]
    fn bad_addresses() {
        let bad = |ip: &str| parse(Some(ip), None).unwrap_err();
        assert_eq!(bad("10.0.0"), Error::InvalidAddress("10.0.0".into()));
        assert_eq!(bad("DHCP"), Error::InvalidAddress("DHCP".into()));
        assert_eq!(bad(""), Error::InvalidAddress("".into()));
        assert_eq!(
            bad("10.0.0.256/24"),
            Error::InvalidAddress("10.0.0.256/24".into())
        );
        assert_eq!(bad("10.0.0.2"), Error::MissingPrefix("10.0.0.2".into()));
        assert_eq!(
            bad("10.0.0.2/33"),
            Error::InvalidPrefix("10.0.0.2/33".into())
        );
        assert_eq!(bad("10.0.0.2/"), Error::InvalidPrefix("10.0.0.2/".into()));
        assert_eq!(
            bad("10.0.0.2/+8"),
            Error::InvalidPrefix("10.0.0.2/+8".into())
        );
        assert_eq!(
            bad("10.0.0.2/024"),
            Error::InvalidPrefix("10.0.0.2/024".into())
        );
        assert_eq!(
            bad("10.0.0.2/24/1"),
            Error::InvalidPrefix("10.0.0.2/24/1".into())
        );
        for unusable in [
            "0.0.0.0/24",
            "127.0.0.1/8",
            "224.0.0.1/24",
            "255.255.255.255/24",
            "10.0.0.0/24",
            "10.0.0.255/24",
        ] {
            assert_eq!(
                bad(unusable),
                Error::UnusableAddress(cidr(unusable)),
                "{unusable}"
            );
        }
        // Long junk is quoted back shortened.
        let long = "x".repeat(500);
        match bad(&long) {
            Error::InvalidAddress(quoted) => assert_eq!(quoted.len(), MAX_QUOTED),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_gateways() {
        let bad = |gw: &str| parse(Some("10.0.0.2/24"), Some(gw)).unwrap_err();
        assert_eq!(bad("router"), Error::InvalidGateway("router".into()));
        assert_eq!(
            bad("10.0.0.1/24"),
            Error::InvalidGateway("10.0.0.1/24".into())
        );
        for outside in ["10.0.1.1", "10.0.0.2", "10.0.0.0", "10.0.0.255"] {
            assert_eq!(
                bad(outside),
                Error::GatewayOutsideSubnet {
                    gateway: outside.parse().unwrap(),
                    address: cidr("10.0.0.2/24"),
                },
                "{outside}"
            );
        }
        assert_eq!(
            parse(Some("dhcp"), Some("10.0.0.1")),
            dhcp(Err(Error::GatewayWithDhcp))
        );
    }

    #[test]
    fn messages_say_what_is_valid() {
        let message = |ip, gw| parse(ip, gw).unwrap_err().to_string();
        assert_eq!(
            message(Some("10.0.0.2"), None),
            "ip=10.0.0.2 has no prefix length: write ip=10.0.0.2/PREFIX (e.g. ip=10.0.0.2/24) or ip=dhcp"
        );
        assert!(message(Some("x"), None).contains("ip=ADDRESS/PREFIX"));
        assert!(message(Some("10.0.0.2/40"), None).contains("from 0 to 32"));
        assert!(message(Some("10.0.0.0/24"), None).contains("choose a host inside 10.0.0.0/24"));
        assert!(
            message(Some("10.0.0.2/24"), Some("1.2.3.4")).contains("another host on 10.0.0.0/24")
        );
        let dhcp_message = if cfg!(feature = "dhcp") {
            "remove gw="
        } else {
            "built without DHCP: give a static address with ip=ADDRESS/PREFIX"
        };
        assert!(message(Some("dhcp"), Some("1.2.3.4")).contains(dhcp_message));
        assert!(
            Error::DhcpNotBuilt
                .to_string()
                .starts_with("this image was built without DHCP")
        );
    }

    /// What asking for DHCP gives: `with_dhcp` when the client is built in (feature `dhcp`),
    /// else the error saying it is not.
    fn dhcp<T>(with_dhcp: Result<T, Error>) -> Result<T, Error> {
        if cfg!(feature = "dhcp") {
            with_dhcp
        } else {
            Err(Error::DhcpNotBuilt)
        }
    }

    #[test]
    fn display_and_check() {
        assert_eq!(Ipv4Config::Dhcp.to_string(), "dhcp");
        let ipv6_default = if cfg!(feature = "slaac") {
            "IPv6 auto"
        } else {
            "IPv6 link-local only"
        };
        assert_eq!(
            Config::AUTO.to_string(),
            std::format!("dhcp, {ipv6_default}")
        );
        assert_eq!(DEFAULT_V4.to_string(), "192.168.1.10/24 via 192.168.1.1");
        let no_gw = Config::ipv4(cidr("10.1.2.3/16"), None);
        assert_eq!(
            no_gw.check().unwrap().to_string(),
            std::format!("10.1.2.3/16 (no gateway), {ipv6_default}")
        );
        let auto = Config {
            ipv6: Ipv6Config::Auto,
            ..no_gw
        };
        assert_eq!(auto.check(), slaac(Ok(auto)));
        assert!(Config::ipv4(cidr("10.1.0.0/16"), None).check().is_err());
        let outside = Config::ipv4(cidr("10.1.2.3/16"), Some(Ipv4Address::new(10, 2, 0, 1)));
        assert!(outside.check().is_err());
        let v6 = Config {
            ipv4: Ipv4Config::Off,
            ipv6: Ipv6Config::Static {
                address: cidr6("2001:db8::2/64"),
                gateway: Some("fe80::1".parse().unwrap()),
            },
        };
        assert_eq!(
            v6.check().unwrap().to_string(),
            "2001:db8::2/64 via fe80::1"
        );
        let link_local = Ipv6Config::Static {
            address: cidr6("fe80::2/64"),
            gateway: None,
        };
        let bad = Config {
            ipv6: link_local,
            ..v6
        };
        assert!(matches!(bad.check(), Err(Error::UnusableAddress6(_))));
        let none = Config {
            ipv4: Ipv4Config::Off,
            ipv6: Ipv6Config::Off,
        };
        assert_eq!(none.check(), Err(Error::NoAddress));
    }

    /// What asking for SLAAC gives: `with_slaac` when it is built in (feature `slaac`), else
    /// the error saying it is not.
    fn slaac<T>(with_slaac: Result<T, Error>) -> Result<T, Error> {
        if cfg!(feature = "slaac") {
            with_slaac
        } else {
            Err(Error::SlaacNotBuilt)
        }
    }

    /// Without SLAAC, the default for IPv6 is the link-local address alone: `ip=` alone still
    /// gives a dual-stack interface, and `gw6=` has no address to route for.
    #[test]
    fn without_slaac_the_default_is_link_local() {
        let ip_only =
            Config::from_lookup(|key| (key == "ip").then_some("10.0.0.2/24"), Config::AUTO);
        let expected = if cfg!(feature = "slaac") {
            Ipv6Config::Auto
        } else {
            Ipv6Config::LinkLocal
        };
        assert_eq!(ip_only.map(|config| config.ipv6), Ok(expected));
        assert_eq!(Ipv6Config::LinkLocal.to_string(), "IPv6 link-local only");
        assert_eq!(Ipv6Config::LinkLocal.words(), "");
        let link_local = Config {
            ipv4: Ipv4Config::Off,
            ipv6: Ipv6Config::LinkLocal,
        };
        assert_eq!(link_local.check(), Ok(link_local));
        let gw6_only = Config::from_lookup(
            |key| match key {
                "ip" => Some("10.0.0.2/24"),
                "gw6" => Some("fe80::1"),
                _ => None,
            },
            Config {
                ipv6: Ipv6Config::LinkLocal,
                ..DEFAULT
            },
        );
        assert_eq!(gw6_only, Err(Error::GatewayWithoutAddress("gw6")));
        // ip=off without ip6= would leave no address beyond the link, where SLAAC is not built.
        let off = Config::from_lookup(|key| (key == "ip").then_some("off"), Config::AUTO);
        if cfg!(feature = "slaac") {
            assert_eq!(off.map(|config| config.ipv6), Ok(Ipv6Config::Auto));
        } else {
            assert_eq!(off, Err(Error::LinkLocalOnly));
            assert!(
                off.unwrap_err()
                    .to_string()
                    .starts_with("ip=off leaves only")
            );
        }
        // Host tools read the words for some image: `auto` is valid whatever this build has.
        assert_eq!(Ipv6Config::from_words("auto", None), Ok(Ipv6Config::Auto));
    }

    fn cidr6(text: &str) -> Ipv6Cidr {
        let (a, p) = text.split_once('/').unwrap();
        Ipv6Cidr::new(a.parse().unwrap(), p.parse().unwrap())
    }

    /// `ip6=IP6 gw6=GW6` (and `ip=IP`) over [`DEFAULT`].
    fn parse6(ip: Option<&str>, ip6: Option<&str>, gw6: Option<&str>) -> Result<Config, Error> {
        Config::from_lookup(
            |key| match key {
                "ip" => ip,
                "ip6" => ip6,
                "gw6" => gw6,
                _ => None,
            },
            DEFAULT,
        )
    }

    #[test]
    fn ipv6_words() {
        let fe80_1: Ipv6Address = "fe80::1".parse().unwrap();
        // ip6= alone: IPv6 only.
        assert_eq!(
            parse6(None, Some("2001:db8::53/64"), Some("fe80::1")),
            Ok(Config {
                ipv4: Ipv4Config::Off,
                ipv6: Ipv6Config::Static {
                    address: cidr6("2001:db8::53/64"),
                    gateway: Some(fe80_1),
                },
            })
        );
        // Both: dual-stack; a router on the prefix is fine too.
        let both = parse6(Some("10.0.0.2/24"), Some("fd00:1::2/48"), Some("fd00:1::1")).unwrap();
        assert_eq!(
            both.to_string(),
            "10.0.0.2/24 (no gateway), fd00:1::2/48 via fd00:1::1"
        );
        // ip= alone keeps the default's IPv6 (SLAAC, or link-local only without it); nothing
        // keeps both defaults.
        assert_eq!(
            parse6(Some("10.0.0.2/24"), None, None).unwrap().ipv6,
            DEFAULT_IPV6
        );
        assert_eq!(parse6(None, None, None), Ok(DEFAULT));
        assert_eq!(
            parse6(None, Some("auto"), None),
            slaac(Ok(Config {
                ipv4: Ipv4Config::Off,
                ipv6: Ipv6Config::Auto,
            }))
        );
        assert_eq!(
            parse6(Some("10.0.0.2/24"), Some("off"), None).unwrap().ipv6,
            Ipv6Config::Off
        );
        // ip=off alone keeps the default's IPv6 (not enough without SLAAC: see
        // `without_slaac_the_default_is_link_local`).
        assert_eq!(
            parse6(Some("off"), None, None).map(|config| config.ipv4),
            if cfg!(feature = "slaac") {
                Ok(Ipv4Config::Off)
            } else {
                Err(Error::LinkLocalOnly)
            }
        );
        assert_eq!(
            parse6(Some("off"), Some("off"), None),
            Err(Error::NoAddress)
        );
        // A /128 and a /127 have no subnet-router anycast address to avoid.
        assert!(parse6(None, Some("2001:db8::/128"), None).is_ok());
        assert!(parse6(None, Some("2001:db8::/127"), None).is_ok());
        // An embedded IPv4 tail is an ordinary way to write an address.
        assert!(parse6(None, Some("64:ff9b::192.0.2.1/96"), None).is_ok());
    }

    #[test]
    fn bad_ipv6_words() {
        let bad = |ip6: &str| parse6(None, Some(ip6), None).unwrap_err();
        assert_eq!(
            bad("2001:db8::53"),
            Error::MissingPrefix6("2001:db8::53".into())
        );
        assert_eq!(bad("AUTO"), Error::InvalidAddress6("AUTO".into()));
        assert_eq!(bad(""), Error::InvalidAddress6("".into()));
        assert_eq!(
            bad("2001:db8::g/64"),
            Error::InvalidAddress6("2001:db8::g/64".into())
        );
        assert_eq!(
            bad("fe80::1%eth0/64"),
            Error::InvalidAddress6("fe80::1%eth0/64".into())
        );
        for prefix in ["0", "129", "064", "+64", "", "64/1", "1000"] {
            let text = std::format!("2001:db8::1/{prefix}");
            assert_eq!(bad(&text), Error::InvalidPrefix6(text.clone()), "{text}");
        }
        for unusable in [
            "::/64",
            "::1/128",
            "ff02::1/64",
            "fe80::2/64",
            "febf::2/64",
            "::ffff:10.0.0.1/96",
            "2001:db8::/64",
            "2001:db8:0:1::/64",
        ] {
            assert_eq!(
                bad(unusable),
                Error::UnusableAddress6(cidr6(unusable)),
                "{unusable}"
            );
        }
        let bad_gw = |gw6: &str| parse6(None, Some("2001:db8::53/64"), Some(gw6)).unwrap_err();
        assert_eq!(bad_gw("router"), Error::InvalidGateway6("router".into()));
        assert_eq!(
            bad_gw("fe80::1/64"),
            Error::InvalidGateway6("fe80::1/64".into())
        );
        for off_link in ["2001:db9::1", "2001:db8::53", "ff02::2", "::", "::1"] {
            assert_eq!(
                bad_gw(off_link),
                Error::GatewayOffLink6 {
                    gateway: off_link.parse().unwrap(),
                    address: cidr6("2001:db8::53/64"),
                },
                "{off_link}"
            );
        }
        assert_eq!(
            parse6(None, Some("auto"), Some("fe80::1")),
            slaac(Err(Error::GatewayWithAuto))
        );
        assert_eq!(
            parse6(Some("10.0.0.2/24"), Some("off"), Some("fe80::1")),
            Err(Error::GatewayWithoutAddress("gw6"))
        );
        // gw= in an IPv6-only configuration.
        let v6_only_gw = Config::from_lookup(
            |key| match key {
                "ip6" => Some("auto"),
                "gw" => Some("10.0.0.1"),
                _ => None,
            },
            DEFAULT,
        );
        assert_eq!(v6_only_gw, Err(Error::GatewayWithoutAddress("gw")));
        // Long junk is quoted back shortened.
        match bad(&"x".repeat(500)) {
            Error::InvalidAddress6(quoted) => assert_eq!(quoted.len(), MAX_QUOTED),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ipv6_words_round_trip() {
        for words in [
            "ip6=2001:db8::53/64 gw6=fe80::1",
            "ip6=fd00::2/48",
            "ip6=auto",
            "ip6=off",
        ] {
            let mut parts = words.split(' ');
            let ip6 = parts.next().unwrap().strip_prefix("ip6=").unwrap();
            let gw6 = parts.next().map(|w| w.strip_prefix("gw6=").unwrap());
            assert_eq!(Ipv6Config::from_words(ip6, gw6).unwrap().words(), words);
        }
        assert!(Ipv6Config::from_words("auto", Some("fe80::1")).is_err());
    }

    #[test]
    fn ipv6_messages_name_the_word() {
        let message = |ip6, gw6| parse6(None, Some(ip6), gw6).unwrap_err().to_string();
        assert_eq!(
            message("fd00::2", None),
            "ip6=fd00::2 has no prefix length: write ip6=fd00::2/PREFIX (e.g. ip6=fd00::2/64) or ip6=auto"
        );
        assert!(message("x", None).contains("ip6=ADDRESS/PREFIX"));
        assert!(message("fd00::2/200", None).contains("from 1 to 128"));
        assert!(message("fe80::2/64", None).contains("link-local"));
        assert!(message("fd00::2/64", Some("fd01::1")).starts_with("gw6=fd01::1 cannot be"));
        let auto_message = if cfg!(feature = "slaac") {
            "router advertisements"
        } else {
            "built without SLAAC: give a static IPv6 address with ip6=ADDRESS/PREFIX"
        };
        assert!(message("auto", Some("fe80::1")).contains(auto_message));
        assert!(
            Error::SlaacNotBuilt
                .to_string()
                .starts_with("this image was built without SLAAC")
        );
        let off = Config::from_lookup(|k| (k == "ip" || k == "ip6").then_some("off"), DEFAULT);
        assert!(off.unwrap_err().to_string().contains("without an address"));
    }

    #[test]
    fn ipv6_addresses_parse_as_core_parses_them() {
        use core::str::FromStr;
        use std::string::String;
        use std::vec::Vec;
        let mut cases: Vec<String> = [
            "",
            ":",
            "::",
            ":::",
            "::1",
            "1::",
            "1::2",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6::7:8",
            "1::2::3",
            "1:::2",
            ":1::2",
            "1::2:",
            "12345::",
            "fffff::",
            "FFFF::",
            "fFfF::aBcD",
            "0:0:0:0:0:0:0:0",
            "00000::",
            "0000::",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:1.2.3.4",
            "::1.2.3",
            "::1.2.3.4.5",
            "::01.2.3.4",
            "::1.2.3.4:1",
            "fe80::1%eth0",
            "+1::",
            "-1::",
            " ::1",
            "::1 ",
            "::g",
            "1::2/64",
            "[::1]",
            "::١",
            "2001:db8::192.0.2.33",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4::5:6:7:8",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every string over a small alphabet up to length 6.
        let alphabet = ['0', '1', 'f', ':', '.', 'g'];
        let mut level = std::vec![String::new()];
        for _ in 0..6 {
            let mut next = Vec::new();
            for prefix in &level {
                for c in alphabet {
                    let mut s = prefix.clone();
                    s.push(c);
                    next.push(s);
                }
            }
            cases.extend(next.iter().cloned());
            level = next;
        }
        // Group counts around eight, with and without `::` and an IPv4 tail.
        for groups in 0..10 {
            let words: Vec<&str> = ["a", "bc", "def0", "1"]
                .iter()
                .cycle()
                .take(groups)
                .copied()
                .collect();
            let plain = words.join(":");
            cases.push(plain.clone());
            cases.push(std::format!("{plain}::"));
            cases.push(std::format!("::{plain}"));
            cases.push(std::format!("{plain}:1.2.3.4"));
            cases.push(std::format!("::{plain}:1.2.3.4"));
            for split in 0..groups {
                let (a, b) = words.split_at(split);
                cases.push(std::format!("{}::{}", a.join(":"), b.join(":")));
                cases.push(std::format!("{}::{}:9.8.7.6", a.join(":"), b.join(":")));
            }
        }
        // Random strings up to 24 characters over digits, hex letters, `:` and `.`.
        let alphabet = b"0123456789abcdefABCDEFg::::...";
        let mut state: u32 = 0x2545_f491;
        for _ in 0..100_000 {
            let mut next = || {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state
            };
            let len = next() % 25;
            let text: String = (0..len)
                .map(|_| char::from(alphabet[next() as usize % alphabet.len()]))
                .collect();
            cases.push(text);
        }
        for case in &cases {
            assert_eq!(
                parse_ipv6(case),
                Ipv6Address::from_str(case).ok(),
                "{case:?}"
            );
        }
    }
}
