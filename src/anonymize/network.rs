//! The client network: which address is the client's, strict parsing and canonicalization
//! of addresses, and truncation to a network prefix.
//!
//! The client is the socket peer, or a forwarded address when the peer is a trusted proxy
//! ([`TrustedProxies`]). Forwarding headers are read only when the peer is inside a
//! configured trusted network. Then all instances of the header are walked right to left,
//! trusted hops are skipped, and the first untrusted address is the client. An obfuscated
//! (`unknown`, `_hidden`) or unparseable hop makes the client unknown: the walk never goes
//! further left than a hop it cannot verify, because everything left of it may be forged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;

use crate::record::ClientAddr;

/// Parses a client address as servers and proxies write it.
///
/// Accepted: `198.51.100.23`, `198.51.100.23:443`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, each optionally in double quotes (as `Forwarded` quotes IPv6).
/// The result is canonical: an IPv4-mapped IPv6 address (`::ffff:198.51.100.23`) becomes
/// the IPv4 address it carries.
///
/// Everything else is `None`, never a best guess: zone ids (`fe80::1%eth0`), lists
/// (`192.0.2.1,192.0.2.2`), obfuscated identifiers (`unknown`, `_hidden`), octal-looking
/// octets (`01.2.3.4`), trailing bytes of any kind.
///
/// ```
/// use anonlog::anonymize::parse_client_ip;
/// assert_eq!(parse_client_ip(b"[::ffff:198.51.100.23]:8080"), "198.51.100.23".parse().ok());
/// assert_eq!(parse_client_ip(b"fe80::1%eth0"), None);
/// ```
pub fn parse_client_ip(raw: &[u8]) -> Option<IpAddr> {
    let raw = match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => raw,
    };
    let text = std::str::from_utf8(raw).ok()?;
    let ip = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        IpAddr::V6(inside.parse::<Ipv6Addr>().ok()?)
    } else if let Ok(ip) = text.parse::<IpAddr>() {
        ip
    } else {
        let (host, port) = text.split_once(':')?;
        if !is_port(port) {
            return None;
        }
        IpAddr::V4(host.parse::<Ipv4Addr>().ok()?)
    };
    Some(ip.to_canonical())
}

/// The canonical client address of a record, if it is known and valid.
pub(crate) fn client_ip(client: &ClientAddr<'_>) -> Option<IpAddr> {
    match client {
        ClientAddr::Unknown => None,
        ClientAddr::Ip(ip) => Some(ip.to_canonical()),
        ClientAddr::Text(text) => parse_client_ip(text),
    }
}

/// A TCP/UDP port: 1 to 5 decimal digits, at most 65535.
fn is_port(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 5
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok_and(|p| p <= 65_535)
}

/// Keeps the first `prefix` bits of an IPv4 address and zeroes the rest.
pub fn truncate_ipv4(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    Ipv4Addr::from(u32::from(ip) & mask)
}

/// Keeps the first `prefix` bits of an IPv6 address and zeroes the rest.
pub fn truncate_ipv6(ip: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0);
    Ipv6Addr::from(u128::from(ip) & mask)
}

/// Canonicalizes an address and truncates it to the prefix of its family.
///
/// A 6to4 address (`2002::/16`) carries its IPv4 address in the next 32 bits: it keeps no
/// more of that address than the IPv4 prefix allows (`2002:cb00:7101::1` under /24 and /48
/// → `2002:cb00:7100::`). The other embeddings (NAT64, Teredo's client, ISATAP, IPv4-compatible)
/// sit beyond bit 48, which no policy keeps.
pub fn truncate_ip(ip: IpAddr, ipv4_prefix: u8, ipv6_prefix: u8) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(truncate_ipv4(v4, ipv4_prefix)),
        IpAddr::V6(v6) if v6.segments()[0] == 0x2002 => {
            let prefix = ipv6_prefix.min(16u8.saturating_add(ipv4_prefix));
            IpAddr::V6(truncate_ipv6(v6, prefix))
        }
        IpAddr::V6(v6) => IpAddr::V6(truncate_ipv6(v6, ipv6_prefix)),
    }
}

/// The networks whose forwarding headers are believed.
///
/// ```
/// use anonlog::anonymize::TrustedProxies;
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

    #[test]
    fn embedded_ipv4_keeps_no_more_than_the_ipv4_prefix() {
        let t = |ip: &str| truncate_ip(ip.parse().expect("address"), 24, 48).to_string();
        assert_eq!(t("2002:cb00:7101::1"), "2002:cb00:7100::");
        assert_eq!(t("2001:db8:1234:5678::1"), "2001:db8:1234::");
        assert_eq!(t("64:ff9b::cb00:7101"), "64:ff9b::");
        assert_eq!(t("2001:0:4136:e378:8000:63bf:3fff:fdd2"), "2001:0:4136::");
        assert_eq!(t("fe80::5efe:cb00:7101"), "fe80::");
        let strict = truncate_ip("2002:cb00:7101::1".parse().expect("address"), 16, 32);
        assert_eq!(strict.to_string(), "2002:cb00::");
    }
    use proptest::prelude::*;

    fn parse(s: &str) -> Option<IpAddr> {
        parse_client_ip(s.as_bytes())
    }

    fn anon(s: &str) -> Option<String> {
        parse(s).map(|ip| truncate_ip(ip, 16, 32).to_string())
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(anon("198.51.100.23").as_deref(), Some("198.51.0.0"));
        assert_eq!(anon("198.51.100.23:54321").as_deref(), Some("198.51.0.0"));
        assert_eq!(anon("2001:db8:1234::7").as_deref(), Some("2001:db8::"));
        assert_eq!(anon("[2001:db8:1234::7]").as_deref(), Some("2001:db8::"));
        assert_eq!(
            anon("[2001:db8:1234::7]:443").as_deref(),
            Some("2001:db8::")
        );
        assert_eq!(
            anon("\"[2001:db8:1234::7]:443\"").as_deref(),
            Some("2001:db8::")
        );
        assert_eq!(anon("83.149.9.216").as_deref(), Some("83.149.0.0"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(anon("::ffff:198.51.100.23"), anon("198.51.100.23"));
        assert_eq!(anon("[::ffff:198.51.100.23]:80"), anon("198.51.100.23"));
        assert_eq!(anon("::ffff:c633:6417"), anon("198.51.100.23"));
    }

    #[test]
    fn loopback_v6_stays_v6() {
        assert_eq!(anon("::1").as_deref(), Some("::"));
        assert!(parse("::1").is_some_and(|ip| ip.is_ipv6()));
    }

    #[test]
    fn garbage_is_unknown() {
        for s in [
            "fe80::1%eth0",
            "[fe80::1%25eth0]:80",
            "1.2.3.4,5.6.7.8",
            "1.2.3.4, 5.6.7.8",
            "unknown",
            "_hidden",
            "01.2.3.4",
            "1.2.3.4\x1b[31m",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3",
            "1.2.3.4:",
            "1.2.3.4:99999",
            "1.2.3.4:80:80",
            "[2001:db8::1]x",
            "[2001:db8::1",
            "2001:db8::1:443x",
            "",
            "-",
            "256.1.1.1",
            "0x7f.1.1.1",
        ] {
            assert_eq!(parse(s), None, "{s:?} must be unknown");
        }
    }

    proptest! {
        #[test]
        fn truncation_is_idempotent_and_keeps_the_prefix(bits: u32, prefix in 0u8..=32) {
            let ip = Ipv4Addr::from(bits);
            let once = truncate_ipv4(ip, prefix);
            prop_assert_eq!(truncate_ipv4(once, prefix), once);
            let shift = 32 - u32::from(prefix);
            prop_assert_eq!(u32::from(once).checked_shr(shift), bits.checked_shr(shift));
            prop_assert_eq!(u32::from(once) & !u32::MAX.checked_shl(shift).unwrap_or(0), 0);
        }

        #[test]
        fn v6_truncation_is_idempotent_and_keeps_the_prefix(bits: u128, prefix in 0u8..=128) {
            let ip = Ipv6Addr::from(bits);
            let once = truncate_ipv6(ip, prefix);
            prop_assert_eq!(truncate_ipv6(once, prefix), once);
            let shift = 128 - u32::from(prefix);
            prop_assert_eq!(u128::from(once).checked_shr(shift), bits.checked_shr(shift));
        }

        #[test]
        fn mapped_equals_plain(bits: u32, prefix in 0u8..=24) {
            let v4 = Ipv4Addr::from(bits);
            let mapped = IpAddr::V6(v4.to_ipv6_mapped());
            prop_assert_eq!(truncate_ip(mapped, prefix, 32), truncate_ip(IpAddr::V4(v4), prefix, 32));
            prop_assert_eq!(parse(&mapped.to_string()), Some(IpAddr::V4(v4)));
        }

        #[test]
        fn display_forms_round_trip(bits: u128) {
            let ip = IpAddr::V6(Ipv6Addr::from(bits)).to_canonical();
            prop_assert_eq!(parse(&ip.to_string()), Some(ip));
            let with_port = match ip {
                IpAddr::V4(v4) => format!("{v4}:8080"),
                IpAddr::V6(v6) => format!("[{v6}]:8080"),
            };
            prop_assert_eq!(parse(&with_port), Some(ip));
        }
    }

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
