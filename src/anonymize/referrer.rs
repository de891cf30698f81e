//! The referrer: reduced to its origin.

use super::host::{kept_host_name, push_host_name};
use super::path::scheme_of;
use crate::record::SafeText;

/// Reduces a referrer to its origin: `https://www.example.com/a?b` → `https://www.example.com`.
///
/// Only `http` and `https` referrers with a valid DNS host name are kept; user information
/// is removed, the default port is dropped, the host is lower-cased. Referrers with IP
/// address literals, other schemes or anything unparseable are dropped: nothing is
/// written and the result is `false`.
pub(crate) fn reduce_referrer(raw: &[u8], out: &mut SafeText) -> bool {
    let Some((scheme, rest)) = scheme_of(raw) else {
        return false;
    };
    let end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
        .unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = match memchr::memrchr(b'@', authority) {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    let (host, port) = match memchr::memrchr(b':', host_port) {
        Some(i) => (&host_port[..i], Some(&host_port[i + 1..])),
        None => (host_port, None),
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty() && p.len() <= 5 && p.iter().all(u8::is_ascii_digit) && parse_u32(p) <= 65_535
    });
    let Some(kept) = kept_host_name(host).filter(|_| port_ok) else {
        return false;
    };
    out.push_trusted(scheme);
    out.push_trusted("://");
    push_host_name(kept, out);
    let default: &[u8] = if scheme == "https" { b"443" } else { b"80" };
    if let Some(port) = port.filter(|p| *p != default) {
        out.push_trusted(":");
        for &b in port {
            out.push_trusted_byte(b);
        }
    }
    true
}

fn parse_u32(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referrer(s: &str) -> Option<String> {
        let mut out = SafeText::default();
        reduce_referrer(s.as_bytes(), &mut out).then(|| out.as_str().to_owned())
    }

    #[test]
    fn referrers_are_reduced_to_origins() {
        assert_eq!(
            referrer("https://www.google.com/search?q=alice%40example.com").as_deref(),
            Some("https://www.google.com")
        );
        assert_eq!(
            referrer("HTTP://Example.COM:80/x").as_deref(),
            Some("http://example.com")
        );
        assert_eq!(
            referrer("https://example.com:8443").as_deref(),
            Some("https://example.com:8443")
        );
        assert_eq!(
            referrer("https://alice:secret@example.com/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            referrer("https://example.com?x=1").as_deref(),
            Some("https://example.com")
        );
        for dropped in [
            "-",
            "",
            "android-app://com.example",
            "ftp://example.com/",
            "javascript:alert(1)",
            "https://198.51.100.23/admin",
            "https://[2001:db8::1]/",
            "https://exa mple.com/",
            "https://example.com:99999/",
            "https://example.com:/",
            "https://ex%61mple.com/",
            "https:///path",
            "https://example.com\x1b[31m/",
        ] {
            assert_eq!(referrer(dropped), None, "{dropped:?}");
        }
    }
}
