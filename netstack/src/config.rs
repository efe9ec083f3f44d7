//! The interface configuration: a static IPv4 address (with an optional gateway) or DHCP.
//!
//! Read from command-line words (DESIGN.md "Configuration"):
//!
//! | words | configuration |
//! |---|---|
//! | `ip=10.0.0.2/24 gw=10.0.0.1` | static address, default route via `10.0.0.1` |
//! | `ip=10.0.0.2/24` | static address, no default route (only the local subnet) |
//! | `ip=dhcp` | DHCPv4: address, gateway and DNS servers from the lease |
//! | (no `ip=`) | the app's default; a `gw=` then replaces the default's gateway |
//!
//! The words are read through a lookup closure (`Cmdline::get` in the kernel, the parsed
//! options in hosted mode), so this crate does not depend on the runtime. A bad value is an
//! [`Error`] whose message says what would be valid; nothing is silently ignored.

use alloc::string::String;
use core::fmt;

use smoltcp::wire::{Ipv4Address, Ipv4Cidr};

use crate::Error;

/// How the interface gets its IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// A fixed address and prefix, and optionally a default gateway on that subnet.
    Static {
        /// The interface address and its subnet prefix.
        address: Ipv4Cidr,
        /// The default gateway; `None` reaches only the local subnet.
        gateway: Option<Ipv4Address>,
    },
    /// DHCPv4 (RFC 2131): address, gateway and DNS servers from a lease, renewed as it ages.
    Dhcp,
}

/// Longest bad value quoted back in an error.
const MAX_QUOTED: usize = 64;

impl Config {
    /// Reads `ip=` and `gw=` through `lookup` (which returns a key's value, if present);
    /// `default` applies when `ip=` is absent.
    ///
    /// ```
    /// use xenolith_netstack::Config;
    /// let words = |key: &str| match key {
    ///     "ip" => Some("10.0.0.2/24"),
    ///     "gw" => Some("10.0.0.1"),
    ///     _ => None,
    /// };
    /// let config = Config::from_lookup(words, Config::Dhcp).unwrap();
    /// assert_eq!(config.to_string(), "10.0.0.2/24 via 10.0.0.1");
    /// ```
    pub fn from_lookup<'a>(
        lookup: impl Fn(&str) -> Option<&'a str>,
        default: Config,
    ) -> Result<Config, Error> {
        let gateway = lookup("gw").map(parse_gateway).transpose()?;
        let config = match lookup("ip") {
            Some("dhcp") => Config::Dhcp,
            Some(text) => Config::Static {
                address: parse_address(text)?,
                gateway: None,
            },
            None => default,
        };
        if config == Config::Dhcp && !cfg!(feature = "dhcp") {
            return Err(Error::DhcpNotBuilt);
        }
        match (config, gateway) {
            (config, None) => Ok(config),
            (Config::Dhcp, Some(_)) => Err(Error::GatewayWithDhcp),
            (Config::Static { address, .. }, Some(gateway)) => {
                check_gateway(address, gateway)?;
                Ok(Config::Static {
                    address,
                    gateway: Some(gateway),
                })
            }
        }
    }

    /// A static configuration, checked as [`from_lookup`](Config::from_lookup) checks one.
    pub fn new_static(address: Ipv4Cidr, gateway: Option<Ipv4Address>) -> Result<Config, Error> {
        check_address(address)?;
        if let Some(gateway) = gateway {
            check_gateway(address, gateway)?;
        }
        Ok(Config::Static { address, gateway })
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Config::Static {
                address,
                gateway: Some(gateway),
            } => write!(f, "{address} via {gateway}"),
            Config::Static {
                address,
                gateway: None,
            } => write!(f, "{address} (no gateway)"),
            Config::Dhcp => write!(f, "dhcp"),
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
    let address = parse_ipv4(address).ok_or_else(|| Error::InvalidAddress(quoted(text)))?;
    let prefix = prefix.ok_or_else(|| Error::MissingPrefix(quoted(text)))?;
    let prefix = parse_prefix(prefix).ok_or_else(|| Error::InvalidPrefix(quoted(text)))?;
    let cidr = Ipv4Cidr::new(address, prefix);
    check_address(cidr)?;
    Ok(cidr)
}

/// A prefix length: 0 to 32 in plain decimal (no sign, no leading zero).
fn parse_prefix(text: &str) -> Option<u8> {
    let plain = !text.is_empty()
        && text.len() <= 2
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !plain {
        return None;
    }
    let prefix = text
        .bytes()
        .fold(0u8, |value, digit| value * 10 + (digit - b'0'));
    (prefix <= 32).then_some(prefix)
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
    parse_ipv4(text).ok_or_else(|| Error::InvalidGateway(quoted(text)))
}

/// A dotted-quad IPv4 address: four decimal numbers from 0 to 255 without leading zeros,
/// exactly what `core::net::Ipv4Addr::from_str` accepts (a test compares them), in a quarter
/// of its code.
fn parse_ipv4(text: &str) -> Option<Ipv4Address> {
    let mut octets = [0u8; 4];
    let mut index = 0;
    let mut value: u16 = 0;
    let mut digits = 0;
    for byte in text.bytes().chain(core::iter::once(b'.')) {
        match byte {
            b'0'..=b'9' => {
                if digits > 0 && value == 0 {
                    return None; // a leading zero
                }
                value = value * 10 + u16::from(byte - b'0');
                digits += 1;
                if value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 => {
                *octets.get_mut(index)? = value as u8;
                index += 1;
                value = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    (index == 4).then_some(Ipv4Address::from(octets))
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

    fn parse(ip: Option<&str>, gw: Option<&str>) -> Result<Config, Error> {
        Config::from_lookup(
            |key| match key {
                "ip" => ip,
                "gw" => gw,
                _ => None,
            },
            DEFAULT,
        )
    }

    const DEFAULT: Config = Config::Static {
        address: Ipv4Cidr::new(Ipv4Address::new(192, 168, 1, 10), 24),
        gateway: Some(Ipv4Address::new(192, 168, 1, 1)),
    };

    fn cidr(text: &str) -> Ipv4Cidr {
        let (a, p) = text.split_once('/').unwrap();
        Ipv4Cidr::new(a.parse().unwrap(), p.parse().unwrap())
    }

    #[test]
    fn good_values() {
        assert_eq!(
            parse(Some("10.0.0.2/24"), Some("10.0.0.1")),
            Ok(Config::Static {
                address: cidr("10.0.0.2/24"),
                gateway: Some(Ipv4Address::new(10, 0, 0, 1)),
            })
        );
        assert_eq!(
            parse(Some("10.0.0.2/8"), None),
            Ok(Config::Static {
                address: cidr("10.0.0.2/8"),
                gateway: None,
            })
        );
        assert_eq!(parse(Some("dhcp"), None), dhcp(Ok(Config::Dhcp)));
        // /31 and /32 have no network or broadcast address.
        assert!(parse(Some("10.0.0.0/31"), Some("10.0.0.1")).is_ok());
        assert!(parse(Some("10.0.0.7/32"), None).is_ok());
        assert!(parse(Some("10.0.0.7/0"), None).is_ok());
    }

    #[test]
    fn defaults_apply_without_ip() {
        assert_eq!(parse(None, None), Ok(DEFAULT));
        assert_eq!(
            parse(None, Some("192.168.1.254")),
            Ok(Config::Static {
                address: cidr("192.168.1.10/24"),
                gateway: Some(Ipv4Address::new(192, 168, 1, 254)),
            })
        );
        let dhcp_default = Config::from_lookup(|_| None, Config::Dhcp);
        assert_eq!(dhcp_default, dhcp(Ok(Config::Dhcp)));
        let gw_only = Config::from_lookup(|key| (key == "gw").then_some("10.0.0.1"), Config::Dhcp);
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
    fn dhcp(with_dhcp: Result<Config, Error>) -> Result<Config, Error> {
        if cfg!(feature = "dhcp") {
            with_dhcp
        } else {
            Err(Error::DhcpNotBuilt)
        }
    }

    #[test]
    fn display_and_new_static() {
        assert_eq!(Config::Dhcp.to_string(), "dhcp");
        assert_eq!(DEFAULT.to_string(), "192.168.1.10/24 via 192.168.1.1");
        let no_gw = Config::new_static(cidr("10.1.2.3/16"), None).unwrap();
        assert_eq!(no_gw.to_string(), "10.1.2.3/16 (no gateway)");
        assert!(Config::new_static(cidr("10.1.0.0/16"), None).is_err());
        assert!(
            Config::new_static(cidr("10.1.2.3/16"), Some(Ipv4Address::new(10, 2, 0, 1))).is_err()
        );
    }
}
