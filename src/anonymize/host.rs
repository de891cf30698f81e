//! The host a request was for: a DNS name only, lower-cased, without port.

use crate::record::SafeText;

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
pub(super) fn is_host_name(host: &[u8]) -> bool {
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
pub(super) fn push_host_name(host: &[u8], out: &mut SafeText) {
    let host = host.strip_suffix(b".").unwrap_or(host);
    for &b in host {
        out.push_trusted_byte(b.to_ascii_lowercase());
    }
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
}
