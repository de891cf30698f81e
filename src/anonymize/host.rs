//! The host a request was for: a DNS name only, lower-cased, without port, and without
//! the labels that name someone.
//!
//! Host names carry identifiers as often as paths do: tenant and account subdomains
//! (`acct-90210.example.net`), UUIDs, hashes, and addresses in wildcard DNS
//! (`198.51.100.7.sslip.example.com`, `ip-198-51-100-7.example.net`). Each label is judged
//! by the same rules as a path segment; the rightmost label that names someone is removed
//! with every label to its left (`acct-90210.example.net` → `example.net`), and a name
//! with fewer than two labels left is dropped.

use super::identifiers::classify;
use crate::record::SafeText;

/// Writes the host name of a `Host` header or `$host` value, lower-cased and without port.
///
/// IP address literals and anything that is not a DNS name are dropped (`false`).
pub(crate) fn reduce_host(raw: &[u8], out: &mut SafeText) -> bool {
    let Some(kept) = kept_host_name(without_port(raw)) else {
        return false;
    };
    push_host_name(kept, out);
    true
}

/// `host` without a `:port` suffix.
fn without_port(host: &[u8]) -> &[u8] {
    match memchr::memrchr(b':', host) {
        Some(i) if host[i + 1..].iter().all(u8::is_ascii_digit) => &host[..i],
        _ => host,
    }
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

/// What is kept of a host name: without a final dot and without the labels that name
/// someone; `None` when it is not a host name or too little is left.
pub(super) fn kept_host_name(host: &[u8]) -> Option<&[u8]> {
    if !is_host_name(host) {
        return None;
    }
    without_identifying_labels(host.strip_suffix(b".").unwrap_or(host))
}

/// Whether `host` (a `Host` value or a referrer's host, with or without port) is a host
/// name with a label that names someone, which [`reduce_host`] removes.
pub(crate) fn has_identifying_label(host: &[u8]) -> bool {
    let host = without_port(host);
    let name = host.strip_suffix(b".").unwrap_or(host);
    is_host_name(host) && without_identifying_labels(name) != Some(name)
}

/// Appends a name [`kept_host_name`] returned, lower-cased.
pub(super) fn push_host_name(kept: &[u8], out: &mut SafeText) {
    for &b in kept {
        out.push_trusted_byte(b.to_ascii_lowercase());
    }
}

/// The labels of `host` to the right of its rightmost identifying label; `None` when fewer
/// than two are left.
fn without_identifying_labels(host: &[u8]) -> Option<&[u8]> {
    let mut start = 0;
    let mut label_start = 0;
    for (i, &b) in host
        .iter()
        .enumerate()
        .chain(std::iter::once((host.len(), &b'.')))
    {
        if b != b'.' {
            continue;
        }
        let label = &host[label_start..i];
        if names_someone(label) {
            start = (i + 1).min(host.len());
        }
        label_start = i + 1;
    }
    let kept = &host[start..];
    (start == 0 || memchr::memchr(b'.', kept).is_some()).then_some(kept)
}

/// Whether a host label is an identifier, judged lower-cased as it is written (names are
/// case-insensitive). Punycode labels (`xn--…`) look random by construction and are judged
/// only when decoded, which this rule does not do.
fn names_someone(label: &[u8]) -> bool {
    if label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--") {
        return false;
    }
    // Labels are at most 63 bytes (`is_host_name`).
    let mut lower = [0u8; 63];
    let lower = &mut lower[..label.len().min(63)];
    for (to, from) in lower.iter_mut().zip(label) {
        *to = from.to_ascii_lowercase();
    }
    classify(lower).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &[u8]) -> Option<String> {
        let mut out = SafeText::default();
        reduce_host(s, &mut out).then(|| out.as_str().to_owned())
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

    #[test]
    fn labels_that_name_someone_are_removed() {
        for (raw, kept) in [
            ("acct-90210.example.net", Some("example.net")),
            (
                "5f0c3e7a-8d2b-4c1e-9a6f-3b2d1e0f4a5c.tenant.example.org",
                Some("tenant.example.org"),
            ),
            ("198.51.100.23.sslip.example.com", Some("sslip.example.com")),
            ("ip-198-51-100-7.example.net", Some("example.net")),
            ("session-aB3xK9qZ.example.org", Some("example.org")),
            ("www.example.com", Some("www.example.com")),
            ("xn--bcher-kva.example", Some("xn--bcher-kva.example")),
            ("u48213.example", None),
        ] {
            assert_eq!(host(raw.as_bytes()).as_deref(), kept, "{raw}");
        }
    }
}
