//! The client's IP (Laravel: `$request->ip()` with TrustProxies): the socket peer, unless the peer is
//! a trusted proxy (TRUSTED_PROXIES); then the nearest X-Forwarded-For entry that is not itself a
//! trusted proxy. Anyone else's X-Forwarded-For is ignored, so a client cannot pick its own
//! rate-limit key. Handlers take it as the [`ClientIp`] extractor.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use ipnet::IpNet;

use crate::state::AppState;

/// The address a request comes from, as the rate limits count it; `None` without a peer address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequest for ClientIp {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|state| state.config.rate_limit.trusted_proxies.as_slice())
            .unwrap_or_default();
        ready(Ok(Self(client_ip(req, trusted))))
    }
}

/// The IP the rate limits count against.
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
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(&ip));
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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
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
}
