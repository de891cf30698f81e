//! Which address is the client's: the socket peer, or a forwarded address when the peer is
//! a trusted proxy.
//!
//! Forwarding headers are read only when the peer is inside a configured trusted network.
//! Then all instances of the header are walked right to left, trusted hops are skipped,
//! and the first untrusted address is the client. An obfuscated (`unknown`, `_hidden`) or
//! unparseable hop makes the client unknown: the walk never goes further left than a hop
//! it cannot verify, because everything left of it may be forged.

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use crate::anonymize::parse_client_ip;

/// The networks whose forwarding headers are believed.
///
/// ```
/// use anonlog::client_ip::TrustedProxies;
/// let trusted = TrustedProxies::new(["10.0.0.0/8".parse().unwrap()]);
/// let peer = "10.1.2.3".parse().unwrap();
/// let client = trusted.resolve(peer, [], [&b"203.0.113.9, 198.51.100.7"[..]]);
/// assert_eq!(client, "198.51.100.7".parse().ok());
/// ```
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Trusts the given networks.
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        Self(networks.into_iter().map(|n| n.trunc()).collect())
    }

    /// Whether no proxy is trusted (forwarding headers are then always ignored).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a request from `peer` carrying the given `Forwarded` and
    /// `X-Forwarded-For` header values (each in the order the headers appeared).
    ///
    /// `Forwarded` is used when present, `X-Forwarded-For` otherwise. `None` means the
    /// client is unknown.
    pub fn resolve<'h>(
        &self,
        peer: IpAddr,
        forwarded: impl IntoIterator<Item = &'h [u8]>,
        x_forwarded_for: impl IntoIterator<Item = &'h [u8]>,
    ) -> Option<IpAddr> {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return Some(peer);
        }
        let forwarded: Vec<&[u8]> = forwarded.into_iter().collect();
        let hops: Vec<&[u8]> = if forwarded.is_empty() {
            x_forwarded_for
                .into_iter()
                .flat_map(|value| value.split(|&b| b == b','))
                .collect()
        } else {
            let mut hops = Vec::new();
            for element in forwarded.iter().flat_map(|v| v.split(|&b| b == b',')) {
                // An element without `for=` is a hop that hides its address.
                hops.push(forwarded_for(element).unwrap_or(b"unknown"));
            }
            hops
        };
        if hops.is_empty() {
            return Some(peer);
        }
        let mut leftmost = None;
        for hop in hops.iter().rev() {
            let ip = parse_client_ip(trim(hop))?;
            if !self.contains(ip) {
                return Some(ip);
            }
            leftmost = Some(ip);
        }
        // Every hop is trusted: the request began inside the trusted networks.
        leftmost
    }
}

/// The value of the `for` parameter of one `Forwarded` element.
fn forwarded_for(element: &[u8]) -> Option<&[u8]> {
    element.split(|&b| b == b';').find_map(|pair| {
        let pair = trim(pair);
        let (name, value) = pair.split_at(pair.iter().position(|&b| b == b'=')?);
        name.eq_ignore_ascii_case(b"for")
            .then_some(trim(&value[1..]))
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted() -> TrustedProxies {
        TrustedProxies::new([
            "10.0.0.0/8".parse().expect("net"),
            "2001:db8:ffff::/48".parse().expect("net"),
        ])
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(peer: &str, values: &[&str]) -> Option<IpAddr> {
        trusted().resolve(ip(peer), [], values.iter().map(|v| v.as_bytes()))
    }

    fn fwd(peer: &str, values: &[&str]) -> Option<IpAddr> {
        trusted().resolve(ip(peer), values.iter().map(|v| v.as_bytes()), [])
    }

    #[test]
    fn untrusted_peers_are_the_client() {
        assert_eq!(
            xff("198.51.100.7", &["203.0.113.1"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            TrustedProxies::default().resolve(ip("10.0.0.1"), [], [&b"203.0.113.1"[..]]),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn forged_leftmost_entries_are_ignored() {
        assert_eq!(
            xff("10.0.0.1", &["192.0.2.66, 198.51.100.7"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            xff("10.0.0.1", &["192.0.2.66", "198.51.100.7, 10.0.0.2"]),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn obfuscated_or_garbage_hops_stop_the_walk() {
        assert_eq!(xff("10.0.0.1", &["198.51.100.7, unknown"]), None);
        assert_eq!(xff("10.0.0.1", &["198.51.100.7, _hidden, 10.0.0.2"]), None);
        assert_eq!(xff("10.0.0.1", &["198.51.100.7, 1.2.3.4\x1b"]), None);
        assert_eq!(xff("10.0.0.1", &["198.51.100.7,"]), None);
    }

    #[test]
    fn all_trusted_or_no_header() {
        assert_eq!(
            xff("10.0.0.1", &["10.0.0.9, 10.0.0.2"]),
            Some(ip("10.0.0.9"))
        );
        assert_eq!(xff("10.0.0.1", &[]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn ports_quotes_and_mapped_forms() {
        assert_eq!(
            xff("::ffff:10.0.0.1", &["198.51.100.7:5555"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            fwd(
                "2001:db8:ffff::1",
                &["for=192.0.2.60;proto=http, for=\"[2001:db8:cafe::17]:4711\""]
            ),
            Some(ip("2001:db8:cafe::17"))
        );
        assert_eq!(
            fwd("10.0.0.1", &["For=198.51.100.7;by=10.0.0.1"]),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(fwd("10.0.0.1", &["for=198.51.100.7, proto=https"]), None);
        assert_eq!(fwd("10.0.0.1", &["for=_gazonk"]), None);
    }
}
