//! The request line and the status: method and protocol reduced to known names, status to
//! a valid code.

/// Methods written as they are; any other (unknown or oversized) is `OTHER`.
const KNOWN_METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
    "MKCALENDAR",
    "QUERY",
];
/// Protocols written as they are; any other is `OTHER`.
const KNOWN_PROTOCOLS: &[&str] = &[
    "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3.0", "HTTP/3", "HTTP/0.9",
];

/// The method as written: a known method's name, `OTHER` for any other, `None` if absent.
pub(crate) fn normalize_method(raw: &[u8]) -> Option<&'static str> {
    normalize(raw, KNOWN_METHODS, "OTHER")
}

/// The protocol as written: a known protocol's name, `OTHER` for any other, `None` if absent.
pub(crate) fn normalize_protocol(raw: &[u8]) -> Option<&'static str> {
    normalize(raw, KNOWN_PROTOCOLS, "OTHER")
}

/// The status if it is a three-digit code (100 to 999).
pub(crate) fn normalize_status(raw: Option<u16>) -> Option<u16> {
    raw.filter(|s| (100..=999).contains(s))
}

/// The static name of a known token, `other` for any other non-empty one, `None` if empty.
fn normalize(raw: &[u8], known: &[&'static str], other: &'static str) -> Option<&'static str> {
    if raw.is_empty() || raw == b"-" {
        return None;
    }
    Some(
        known
            .iter()
            .find(|k| k.as_bytes() == raw)
            .copied()
            .unwrap_or(other),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_protocols_are_known_names_or_other() {
        for (raw, method) in [
            (&b"GET"[..], Some("GET")),
            (b"PROPFIND", Some("PROPFIND")),
            (b"get", Some("OTHER")),
            (b"BREW", Some("OTHER")),
            (b"GET\x1b", Some("OTHER")),
            (b"-", None),
            (b"", None),
        ] {
            assert_eq!(normalize_method(raw), method, "{raw:?}");
        }
        for (raw, protocol) in [
            (&b"HTTP/1.1"[..], Some("HTTP/1.1")),
            (b"HTTP/2", Some("HTTP/2")),
            (b"HTTP/1.2", Some("OTHER")),
            (b"http/1.1", Some("OTHER")),
            (b"-", None),
            (b"", None),
        ] {
            assert_eq!(normalize_protocol(raw), protocol, "{raw:?}");
        }
    }

    #[test]
    fn statuses_are_three_digit_codes() {
        for (raw, status) in [
            (Some(200), Some(200)),
            (Some(100), Some(100)),
            (Some(999), Some(999)),
            (Some(99), None),
            (Some(1000), None),
            (Some(0), None),
            (None, None),
        ] {
            assert_eq!(normalize_status(raw), status, "{raw:?}");
        }
    }
}
