//! The client's IP: the socket peer, unless the peer is a trusted proxy (TRUSTED_PROXIES); then
//! the nearest X-Forwarded-For entry that is not itself a trusted proxy. Anyone else's
//! X-Forwarded-For is ignored, so a client cannot pick its own rate-limit key.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// An IP network: an address and a prefix length (`10.0.0.0/8`, `::1/128`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`; the text back on error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text
            .split_once('/')
            .map_or((text, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.trim().parse().map_err(|_| text.to_owned())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .trim()
                .parse()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| text.to_owned())?,
        };
        Ok(Self { addr, prefix })
    }

    /// Whether `ip` is inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(net: u128, ip: u128, prefix: u8, bits: u8) -> bool {
    let shift = u32::from(bits - prefix);
    prefix == 0 || net.checked_shr(shift).unwrap_or(0) == ip.checked_shr(shift).unwrap_or(0)
}

/// The IP the rate limits count against (see [`limited_network`] for the key made of it).
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    Some(forwarded_client(peer, forwarded, trusted))
}

/// Walks X-Forwarded-For from the right (the hop the nearest proxy appended) while the hops are
/// trusted proxies, and stops at the first that is not, or that does not parse: never past it to an
/// entry the client chose. When that hop does not parse, the client is the proxy that appended it.
fn forwarded_client<'a>(
    peer: IpAddr,
    headers: impl Iterator<Item = &'a str>,
    trusted: &[IpNet],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|v| v.split(',')).collect();
    let mut appended_by = peer;
    for hop in hops.into_iter().rev() {
        match parse_hop(hop) {
            Some(ip) if is_trusted(ip) => appended_by = ip,
            Some(ip) => return ip,
            None => return appended_by,
        }
    }
    appended_by
}

/// One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:5678`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .or_else(|_| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or("")
                .parse::<IpAddr>()
        })
        .ok()?;
    Some(ip.to_canonical())
}

/// What a rate limit counts a client as: an IPv4 address as itself (also written as an IPv4-mapped
/// IPv6 address), an IPv6 address as its /64, the smallest network a single subscriber gets.
pub fn limited_network(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| IpNet::parse(n).unwrap()).collect()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("::1")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(
            IpNet::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(IpNet::parse("10.0.0.0/33").is_err() && IpNet::parse("proxy").is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let req = |peer: &str, xff: &str| {
            TestRequest::default()
                .peer_addr(peer.parse().unwrap())
                .insert_header(("X-Forwarded-For", xff))
                .to_http_request()
        };
        let spoofed = req("203.0.113.9:5000", "1.2.3.4");
        assert_eq!(
            client_ip(&spoofed, &[]),
            Some("203.0.113.9".parse().unwrap())
        );
        let proxied = req("10.0.0.2:5000", "1.2.3.4, 198.51.100.7, 10.0.0.5");
        assert_eq!(
            client_ip(&proxied, &nets(&["10.0.0.0/8"])),
            Some("198.51.100.7".parse().unwrap())
        );
        assert_eq!(client_ip(&proxied, &[]), Some("10.0.0.2".parse().unwrap()));
    }

    fn walk(xff: &str) -> IpAddr {
        forwarded_client(
            "10.0.0.2".parse().unwrap(),
            [xff].into_iter(),
            &nets(&["10.0.0.0/8", "fd00::/8"]),
        )
    }

    #[test]
    fn forwarded_for_stops_at_the_first_hop_that_does_not_parse() {
        // The attacker wrote "1.2.3.4, garbage"; the proxy at 10.0.0.9 appended 198.51.100.7.
        assert_eq!(
            walk("1.2.3.4, garbage, 10.0.0.9"),
            "10.0.0.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            walk("1.2.3.4, not-an-ip"),
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            walk("1.2.3.4, , 10.0.0.9"),
            "10.0.0.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            walk("1.2.3.4, 198.51.100.7"),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn forwarded_for_hops_may_carry_ports_and_brackets() {
        for (xff, client) in [
            ("198.51.100.7:5000", "198.51.100.7"),
            ("[2001:db8::7]:5000", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("2001:db8::7", "2001:db8::7"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
            ("1.2.3.4, 198.51.100.7:80, 10.0.0.9:443", "198.51.100.7"),
        ] {
            assert_eq!(walk(xff), client.parse::<IpAddr>().unwrap(), "{xff}");
        }
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_and_mapped_ipv4_by_the_address() {
        let net = |ip: &str| limited_network(ip.parse().unwrap());
        assert_eq!(net("2001:db8:1:2:aaaa::1"), net("2001:db8:1:2:ffff:1:2:3"));
        assert_eq!(net("2001:db8:1:2::9").to_string(), "2001:db8:1:2::");
        assert_ne!(net("2001:db8:1:2::1"), net("2001:db8:1:3::1"));
        assert_eq!(net("::ffff:198.51.100.7"), net("198.51.100.7"));
        assert_eq!(net("198.51.100.7").to_string(), "198.51.100.7");
    }
}
