//! Request targets, referrers and hosts: path templating, query allow-listing, origins.

use super::identifiers::{MIN_DIGIT_RUN, classify, percent_decode};
use super::text::{SafeText, TRUNCATION_MARKER};

/// Written instead of a request target that is neither origin-form, absolute-form nor `*`.
pub(crate) const INVALID_TARGET: &str = ":invalid";

/// Most path segments kept; longer paths end in the truncation marker.
const MAX_SEGMENTS: usize = 64;

/// Splits a request target into path and query, dropping any fragment.
///
/// Absolute-form targets (`http://host/path`, sent to proxies) lose scheme and authority,
/// which may carry user information.
pub(crate) fn split_target(target: &[u8]) -> (&[u8], Option<&[u8]>) {
    let target = match memchr::memchr(b'#', target) {
        Some(i) => &target[..i],
        None => target,
    };
    let target = strip_scheme(target).map_or(target, |rest| {
        let end = rest
            .iter()
            .position(|&b| b == b'/' || b == b'?')
            .unwrap_or(rest.len());
        &rest[end..]
    });
    match memchr::memchr(b'?', target) {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    }
}

/// The rest of `url` after `http://` or `https://` (any case), with the scheme's name.
fn strip_scheme(url: &[u8]) -> Option<&[u8]> {
    scheme_of(url).map(|(_, rest)| rest)
}

fn scheme_of(url: &[u8]) -> Option<(&'static str, &[u8])> {
    let prefix_ci = |p: &[u8]| url.len() >= p.len() && url[..p.len()].eq_ignore_ascii_case(p);
    if prefix_ci(b"https://") {
        Some(("https", &url[8..]))
    } else if prefix_ci(b"http://") {
        Some(("http", &url[7..]))
    } else {
        None
    }
}

/// Writes the templated form of a request path to `out`, at most `cap` bytes of it.
///
/// Identifier-like segments become placeholders (`/users/42` → `/users/:num`), path
/// parameters (`;jsessionid=…`) are removed, everything else stays percent-encoded as it
/// came. An empty path is `/`; a target that is not a path (nor `*`) is [`INVALID_TARGET`].
pub(crate) fn template_path(path: &[u8], cap: usize, out: &mut SafeText) {
    if path == b"*" {
        out.push_trusted("*");
        return;
    }
    if path.is_empty() {
        out.push_trusted("/");
        return;
    }
    if path[0] != b'/' {
        out.push_trusted(INVALID_TARGET);
        return;
    }
    for (n, segment) in path[1..].split(|&b| b == b'/').enumerate() {
        if n == MAX_SEGMENTS {
            out.push_trusted("/");
            out.push_trusted(TRUNCATION_MARKER);
            return;
        }
        out.push_trusted("/");
        let segment = match memchr::memchr(b';', segment) {
            Some(i) => &segment[..i],
            None => segment,
        };
        let cut = match classify(segment) {
            Some(placeholder) => out.push_escaped(placeholder.as_str().as_bytes(), cap),
            None => out.push_escaped(segment, cap),
        };
        if cut {
            return;
        }
    }
}

/// Writes the allow-listed part of a query string to `out` (without the `?`), at most
/// `cap` bytes of it.
///
/// Parameters whose percent-decoded key is not on `allow` (compared ignoring ASCII case)
/// are dropped, key and value. Kept values pass the identifier rules like path segments,
/// except that short numbers (`page=2`) are kept.
pub(crate) fn filter_query(query: &[u8], allow: &[Box<str>], cap: usize, out: &mut SafeText) {
    for pair in query.split(|&b| b == b'&') {
        let (key, value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], Some(&pair[i + 1..])),
            None => (pair, None),
        };
        if key.is_empty() {
            continue;
        }
        if !is_allowed_key(key, allow) {
            continue;
        }
        if !out.is_empty() {
            out.push_trusted("&");
        }
        if out.push_escaped(key, cap) {
            return;
        }
        if let Some(value) = value {
            out.push_trusted("=");
            let short_number = value.len() < MIN_DIGIT_RUN && value.iter().all(u8::is_ascii_digit);
            let cut = match classify(value).filter(|_| !short_number) {
                Some(placeholder) => out.push_escaped(placeholder.as_str().as_bytes(), cap),
                None => out.push_escaped(value, cap),
            };
            if cut {
                return;
            }
        }
    }
}

/// Whether a (percent-encoded) query key is on `allow`: its percent-decoded form equals an
/// entry, ignoring ASCII case.
pub(crate) fn is_allowed_key(key: &[u8], allow: &[impl AsRef<str>]) -> bool {
    let decoded = percent_decode(key);
    allow
        .iter()
        .any(|a| a.as_ref().as_bytes().eq_ignore_ascii_case(&decoded))
}

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
    if !port_ok || !is_host_name(host) {
        return false;
    }
    out.push_trusted(scheme);
    out.push_trusted("://");
    push_host_name(host, out);
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

/// Writes the host name of a `Host` header or `$host` value, lower-cased and without port.
///
/// IP address literals and anything that is not a DNS name are dropped (`false`).
pub(crate) fn reduce_host(raw: &[u8], out: &mut SafeText) -> bool {
    let host = match memchr::memrchr(b':', raw) {
        Some(i) if raw[i + 1..].iter().all(u8::is_ascii_digit) => &raw[..i],
        _ => raw,
    };
    if !is_host_name(host) {
        return false;
    }
    push_host_name(host, out);
    true
}

/// Whether `host` is a DNS host name: labels of letters, digits, `-` and `_`, an optional
/// final dot, and a last label that is not numeric (which would make it an IPv4 literal).
fn is_host_name(host: &[u8]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let (mut label_len, mut label_numeric) = (0usize, true);
    for &b in host {
        if b == b'.' {
            if label_len == 0 {
                return false;
            }
            (label_len, label_numeric) = (0, true);
        } else if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            label_len += 1;
            label_numeric &= b.is_ascii_digit();
            if label_len > 63 {
                return false;
            }
        } else {
            return false;
        }
    }
    label_len > 0 && !label_numeric
}

/// Appends a name that passed [`is_host_name`], lower-cased, without a final dot.
fn push_host_name(host: &[u8], out: &mut SafeText) {
    let host = host.strip_suffix(b".").unwrap_or(host);
    for &b in host {
        out.push_trusted_byte(b.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> String {
        let mut out = SafeText::default();
        template_path(s.as_bytes(), 4096, &mut out);
        out.as_str().to_owned()
    }

    fn query(s: &str) -> String {
        let allow: Vec<Box<str>> = ["page", "sort", "lang", "utm_source"]
            .into_iter()
            .map(Box::from)
            .collect();
        let mut out = SafeText::default();
        filter_query(s.as_bytes(), &allow, 512, &mut out);
        out.as_str().to_owned()
    }

    fn referrer(s: &str) -> Option<String> {
        let mut out = SafeText::default();
        reduce_referrer(s.as_bytes(), &mut out).then(|| out.as_str().to_owned())
    }

    fn host(s: &[u8]) -> Option<String> {
        let mut out = SafeText::default();
        reduce_host(s, &mut out).then(|| out.as_str().to_owned())
    }

    #[test]
    fn paths_are_templated() {
        assert_eq!(
            path("/users/42/orders/550e8400-e29b-41d4-a716-446655440000"),
            "/users/:num/orders/:uuid"
        );
        assert_eq!(path("/u/carol.smith@example.org/x"), "/u/:email/x");
        assert_eq!(path("/u/carol.smith%40example.org/x"), "/u/:email/x");
        assert_eq!(path("/shop;jsessionid=ABC123"), "/shop");
        assert_eq!(path("/a;v=1/b;jsessionid=0F1E2D"), "/a/b");
        assert_eq!(
            path("/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJlX2hlcmU"),
            "/reset/:token"
        );
        assert_eq!(
            path("/api/sk_live_4eC39HqLyjWDarjtT1zdp7dc/charges"),
            "/api/:token/charges"
        );
        assert_eq!(path("/static/app.3f2a9c1b4d5e6f70.js"), "/static/:hex");
        assert_eq!(
            path("/blog/top-10-tips-for-2024/"),
            "/blog/top-10-tips-for-2024/"
        );
        assert_eq!(path("/"), "/");
        assert_eq!(path(""), "/");
        assert_eq!(path("*"), "*");
        assert_eq!(path("users/42"), ":invalid");
        assert_eq!(path("/caf%C3%A9/menu"), "/caf%C3%A9/menu");
    }

    #[test]
    fn long_paths_are_capped_by_segments() {
        let long = "/a".repeat(100);
        let out = path(&long);
        assert!(out.ends_with("/[...]"));
        assert_eq!(out.matches("/a").count(), MAX_SEGMENTS);
    }

    #[test]
    fn targets_are_split() {
        assert_eq!(
            split_target(b"/a?b=1#frag"),
            (&b"/a"[..], Some(&b"b=1"[..]))
        );
        assert_eq!(split_target(b"/a#x?y"), (&b"/a"[..], None));
        assert_eq!(
            split_target(b"http://alice:pw@example.com/p?q"),
            (&b"/p"[..], Some(&b"q"[..]))
        );
        assert_eq!(split_target(b"HTTPS://example.com"), (&b""[..], None));
    }

    #[test]
    fn query_keeps_only_allowed_keys() {
        assert_eq!(query("page=2&token=abc&sort=asc"), "page=2&sort=asc");
        assert_eq!(query("email=carol%40example.org&lang=en"), "lang=en");
        assert_eq!(query("utm_source=carol@example.org"), "utm_source=:email");
        assert_eq!(query("PAGE=3&page"), "PAGE=3&page");
        assert_eq!(query("p%61ge=4"), "p%61ge=4");
        assert_eq!(query("session_id=1234&&="), "");
        assert_eq!(query("page=123456789"), "page=:num");
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

    #[test]
    fn hosts_are_names_only() {
        assert_eq!(
            host(b"WWW.Example.com:8080").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(host(b"example.com.").as_deref(), Some("example.com"));
        assert_eq!(host(b"198.51.100.23:80"), None);
        assert_eq!(host(b"[2001:db8::1]:80"), None);
        assert_eq!(host(b"evil\x1b.example"), None);
    }
}
