//! The query string: only allow-listed parameters are kept.

use super::identifiers::{MIN_DIGIT_RUN, Placeholder, classify, normalize, percent_decode};
use crate::record::SafeText;

/// Longest kept query string, in bytes.
pub(crate) const MAX_QUERY_LEN: usize = 512;

/// Writes the allow-listed part of a query string to `out` (without the `?`), at most
/// `cap` bytes of it.
///
/// Both `&` and `;` separate parameters (many servers and frameworks split on either).
/// Parameters whose percent-decoded key is not on `allow` (compared ignoring ASCII case)
/// are dropped, key and value. Kept values pass the identifier rules like path segments,
/// except that short numbers (`page=2`) are kept; a value that decodes to more parameters
/// (`en%26token%3D…`) is a placeholder.
pub(crate) fn filter_query(query: &[u8], allow: &[Box<str>], cap: usize, out: &mut SafeText) {
    let is_separator = |b: &u8| *b == b'&' || *b == b';';
    let mut start = 0;
    for pair in query.split(is_separator) {
        let end = start + pair.len();
        let pair_start = start;
        start = end + 1;
        let (key, value) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], Some(&pair[i + 1..])),
            None => (pair, None),
        };
        if key.is_empty() || !is_allowed_key(key, allow) {
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
            // A character reference (`&#64;`) continues the value it splits.
            let value_start = pair_start + key.len() + 1;
            let mut judged_end = end;
            while judged_end < query.len()
                && (query[judged_end + 1..].starts_with(b"#")
                    || query[judged_end + 1..].starts_with(b"%23"))
            {
                judged_end += 1 + query[judged_end + 1..]
                    .iter()
                    .position(is_separator)
                    .unwrap_or(query.len() - judged_end - 1);
            }
            let short_number = value.len() < MIN_DIGIT_RUN && value.iter().all(u8::is_ascii_digit);
            let judged = judge_value(&query[value_start..judged_end]);
            let cut = match judged.filter(|_| !short_number) {
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

/// The placeholder for an allowed parameter's value, if it needs one.
fn judge_value(value: &[u8]) -> Option<Placeholder> {
    let smuggled =
        value.contains(&b'%') && normalize(value).text.contains(['&', ';', '=', '?', '#']);
    if smuggled {
        return Some(Placeholder::Token);
    }
    classify(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> String {
        let allow: Vec<Box<str>> = ["page", "sort", "lang", "utm_source"]
            .into_iter()
            .map(Box::from)
            .collect();
        let mut out = SafeText::default();
        filter_query(s.as_bytes(), &allow, 512, &mut out);
        out.as_str().to_owned()
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
}
