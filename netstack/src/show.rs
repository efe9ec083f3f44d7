//! Addresses written for people: [`Show`] writes an address, an address with its prefix, or
//! an endpoint exactly as core and smoltcp write them (IPv6 per RFC 5952: lowercase hex
//! without leading zeros, the longest run of two or more zero groups as `::`, the first of
//! equal runs; an IPv4-mapped address as `::ffff:a.b.c.d`), with one small IPv6 formatter
//! instead of core's `Ipv6Addr` Display (about 2 KB of image once nothing else uses it), and a
//! dotted quad written octet by octet instead of core's `Ipv4Addr` Display (which formats into
//! a buffer first for width and precision; 0.5 KB). Tests compare them with core on many
//! addresses.

use core::fmt::{self, Write};

use smoltcp::wire::{IpAddress, IpCidr, IpEndpoint, Ipv4Address, Ipv4Cidr, Ipv6Address, Ipv6Cidr};

/// Writes the address, prefix or endpoint it holds (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Show<T>(pub T);

impl fmt::Display for Show<Ipv4Address> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ipv4(&self.0, f)
    }
}

impl fmt::Display for Show<Ipv4Cidr> {
    /// `ADDRESS/PREFIX`, as smoltcp writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ipv4(&self.0.address(), f)?;
        f.write_char('/')?;
        fmt::Display::fmt(&self.0.prefix_len(), f)
    }
}

impl fmt::Display for Show<Ipv6Address> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ipv6(&self.0, f)
    }
}

impl fmt::Display for Show<Ipv6Cidr> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ipv6(&self.0.address(), f)?;
        f.write_char('/')?;
        fmt::Display::fmt(&self.0.prefix_len(), f)
    }
}

impl fmt::Display for Show<IpAddress> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            IpAddress::Ipv4(address) => ipv4(address, f),
            IpAddress::Ipv6(address) => ipv6(address, f),
        }
    }
}

impl fmt::Display for Show<IpCidr> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpCidr::Ipv4(cidr) => Show(cidr).fmt(f),
            IpCidr::Ipv6(cidr) => Show(cidr).fmt(f),
        }
    }
}

impl fmt::Display for Show<IpEndpoint> {
    /// `ADDRESS:PORT`, without brackets around an IPv6 address (as smoltcp writes it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Show(self.0.addr).fmt(f)?;
        f.write_char(':')?;
        fmt::Display::fmt(&self.0.port, f)
    }
}

/// An IPv4 address as core's Display writes it without width or precision: four decimal
/// octets and dots.
fn ipv4(address: &Ipv4Address, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let [a, b, c, d] = address.octets();
    write!(f, "{a}.{b}.{c}.{d}")
}

/// An IPv6 address as core's Display writes it without width or precision.
fn ipv6(address: &Ipv6Address, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if let Some(ipv4) = address.to_ipv4_mapped() {
        f.write_str("::ffff:")?;
        return self::ipv4(&ipv4, f);
    }
    let segments = address.segments();
    // The longest run of zero groups, the first of equal ones; written `::` if two or more.
    let (mut run, mut run_len) = (8, 0);
    for start in 0..8 {
        let len = segments
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&segment| segment == 0)
            .count();
        if len > run_len {
            (run, run_len) = (start, len);
        }
    }
    if run_len < 2 {
        (run, run_len) = (8, 0);
    }
    for (index, segment) in segments.iter().enumerate() {
        if index == run {
            f.write_str("::")?;
        }
        if index >= run && index < run + run_len {
            continue;
        }
        if index > 0 && index != run + run_len {
            f.write_char(':')?;
        }
        fmt::LowerHex::fmt(segment, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    /// Groups that make the interesting cases: zero runs of every length and place, the
    /// IPv4-mapped and IPv4-compatible prefixes, every digit count.
    #[test]
    fn writes_as_core_writes() {
        let groups = [0u16, 0, 0, 1, 0xffff, 0xabc, 0x10, 0x1000];
        let mut addresses: Vec<Ipv6Address> = Vec::new();
        // Every address whose groups come from a small set, eight groups each: 4^8 of them.
        let small = [0u16, 1, 0xffff, 0x0a0b];
        for n in 0..(1u32 << 16) {
            let mut words = [0u16; 8];
            for (i, word) in words.iter_mut().enumerate() {
                *word = small[(n >> (2 * i)) as usize & 3];
            }
            addresses.push(Ipv6Address::from(words));
        }
        // Random ones over the wider set.
        let mut state: u32 = 0x9e37_79b9;
        for _ in 0..100_000 {
            let mut words = [0u16; 8];
            for word in &mut words {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                *word = groups[state as usize % groups.len()];
                if state & 0x100 != 0 {
                    *word = (state >> 16) as u16;
                }
            }
            addresses.push(Ipv6Address::from(words));
        }
        for address in [
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "::",
            "::1",
            "fe80::1",
            "2001:db8::53",
        ] {
            addresses.push(address.parse().unwrap());
        }
        for address in addresses {
            assert_eq!(Show(address).to_string(), address.to_string());
            let cidr = Ipv6Cidr::new(address, 64);
            assert_eq!(Show(cidr).to_string(), cidr.to_string());
            assert_eq!(
                Show(IpCidr::Ipv6(cidr)).to_string(),
                IpCidr::Ipv6(cidr).to_string()
            );
            let endpoint = IpEndpoint::new(IpAddress::Ipv6(address), 53);
            assert_eq!(Show(endpoint).to_string(), endpoint.to_string());
        }
        let v4 = IpEndpoint::new(IpAddress::v4(10, 0, 0, 2), 5353);
        assert_eq!(Show(v4).to_string(), "10.0.0.2:5353");
        assert_eq!(Show(v4.addr).to_string(), "10.0.0.2");
        let cidr = IpCidr::new(v4.addr, 24);
        assert_eq!(Show(cidr).to_string(), "10.0.0.2/24");
    }

    /// Every octet value in every place, and random addresses and prefixes.
    #[test]
    fn writes_ipv4_as_core_writes() {
        let mut addresses: Vec<Ipv4Address> = Vec::new();
        for octet in 0..=255u8 {
            for place in 0..4 {
                let mut octets = [1, 20, 172, 9];
                octets[place] = octet;
                addresses.push(Ipv4Address::from(octets));
            }
        }
        let mut state: u32 = 0x2545_f491;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            addresses.push(Ipv4Address::from(state));
        }
        for (i, address) in addresses.into_iter().enumerate() {
            assert_eq!(Show(address).to_string(), address.to_string());
            let cidr = Ipv4Cidr::new(address, (i % 33) as u8);
            assert_eq!(Show(cidr).to_string(), cidr.to_string());
            assert_eq!(
                Show(IpCidr::Ipv4(cidr)).to_string(),
                IpCidr::Ipv4(cidr).to_string()
            );
            let endpoint = IpEndpoint::new(IpAddress::Ipv4(address), (i % 65536) as u16);
            assert_eq!(Show(endpoint).to_string(), endpoint.to_string());
            let mapped = address.to_ipv6_mapped();
            assert_eq!(Show(mapped).to_string(), mapped.to_string());
        }
    }
}
