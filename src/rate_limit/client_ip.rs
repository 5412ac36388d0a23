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

/// The IP the rate limits count against.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    let hops: Vec<IpAddr> = forwarded
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    Some(
        hops.into_iter()
            .rev()
            .map(|ip| ip.to_canonical())
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer),
    )
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
}
