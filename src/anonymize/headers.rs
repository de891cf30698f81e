//! Other request headers: only those the policy's allow-list names, with their values
//! scrubbed of identifiers.

use super::identifiers::classify;
use crate::record::{RawHeader, SafeText};

/// Longest kept header value, in bytes.
const MAX_HEADER_LEN: usize = 256;

/// The headers of `headers` whose name is on `allow` (compared ignoring ASCII case), each
/// with the allow-list's spelling of its name and its value as a placeholder when it looks
/// like an identifier, escaped and capped otherwise.
pub(crate) fn allowed_headers<'r>(
    allow: &'r [Box<str>],
    headers: &'r [RawHeader<'_>],
) -> impl Iterator<Item = (Box<str>, SafeText)> + 'r {
    headers.iter().filter_map(|(name, value)| {
        let name = allow
            .iter()
            .find(|allowed| allowed.as_bytes().eq_ignore_ascii_case(name))?;
        let value = match classify(value) {
            Some(placeholder) => SafeText::from_trusted(placeholder.as_str().to_owned()),
            None => SafeText::escape(value, MAX_HEADER_LEN),
        };
        Some((name.clone(), value))
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::record::TRUNCATION_MARKER;

    fn allowed(headers: &[(&str, &[u8])]) -> Vec<(String, String)> {
        let allow: Vec<Box<str>> = ["accept-language", "x-request-id"]
            .into_iter()
            .map(Box::from)
            .collect();
        let headers: Vec<RawHeader<'_>> = headers
            .iter()
            .map(|&(n, v)| (Cow::Borrowed(n.as_bytes()), Cow::Borrowed(v)))
            .collect();
        allowed_headers(&allow, &headers)
            .map(|(n, v)| (n.into_string(), v.as_str().to_owned()))
            .collect()
    }

    #[test]
    fn only_allowed_headers_are_kept_and_scrubbed() {
        let kept = allowed(&[
            ("Accept-Language", b"en-GB,en;q=0.9"),
            ("cookie", b"session=abc"),
            ("authorization", b"Bearer abc"),
            ("x-request-id", b"550e8400-e29b-41d4-a716-446655440000"),
            ("accept-language", b"de\x1b[31m"),
        ]);
        let kept: Vec<(&str, &str)> = kept.iter().map(|(n, v)| (&**n, &**v)).collect();
        assert_eq!(
            kept,
            [
                ("accept-language", "en-GB,en;q=0.9"),
                ("x-request-id", ":uuid"),
                ("accept-language", "de\\x1B[31m"),
            ]
        );
    }

    #[test]
    fn long_values_are_capped() {
        let long = "da, en-GB;q=0.8, ".repeat(20);
        let kept = allowed(&[("accept-language", long.as_bytes())]);
        assert_eq!(
            kept[0].1,
            format!("{}{TRUNCATION_MARKER}", &long[..MAX_HEADER_LEN])
        );
    }
}
