//! Recognition of identifier-like values in paths, query values and header values.
//!
//! A value that looks like it could name a person, an account, an order or a session is
//! replaced by a placeholder that says what it was. The rules err on the side of replacing:
//! a false positive costs an analyst a little detail, a false negative leaks an identifier.

use std::borrow::Cow;

/// What an identifier-like value is replaced with.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Placeholder {
    /// A number: all digits, or a run of six or more digits.
    Num,
    /// A UUID in 8-4-4-4-12 form.
    Uuid,
    /// Anything with an `@` (also percent-encoded): e-mail addresses, handles.
    Email,
    /// An IPv4 or IPv6 address anywhere in the value.
    Ip,
    /// A run of 16 or more hexadecimal digits.
    Hex,
    /// A JWT, a well-known API-key prefix, or a long string mixing letter classes and digits.
    Token,
}

impl Placeholder {
    /// The placeholder text written to the output.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Num => ":num",
            Self::Uuid => ":uuid",
            Self::Email => ":email",
            Self::Ip => ":ip",
            Self::Hex => ":hex",
            Self::Token => ":token",
        }
    }
}

/// Prefixes of credentials that are recognised whatever follows them.
const KEY_PREFIXES: &[&[u8]] = &[
    b"eyJ",
    b"sk_live_",
    b"sk_test_",
    b"rk_live_",
    b"rk_test_",
    b"pk_live_",
    b"pk_test_",
    b"whsec_",
    b"ghp_",
    b"gho_",
    b"ghs_",
    b"ghu_",
    b"ghr_",
    b"github_pat_",
    b"glpat-",
    b"xoxb-",
    b"xoxp-",
    b"xoxa-",
    b"xoxs-",
    b"AKIA",
    b"ASIA",
    b"AIza",
    b"ya29.",
    b"SG.",
];

/// Shortest value a key prefix must lead (prefix included) to count as a credential.
const MIN_PREFIXED_KEY_LEN: usize = 16;
/// Shortest run of hex digits replaced by `:hex`.
const MIN_HEX_RUN: usize = 16;
/// Shortest run of decimal digits inside a value replaced by `:num`.
pub(crate) const MIN_DIGIT_RUN: usize = 6;
/// Shortest run of base64url-like characters examined by the token rule.
const MIN_TOKEN_RUN: usize = 20;
/// Shortest word mixing upper case, lower case and digits that counts as a token.
const MIN_SHORT_TOKEN: usize = 8;
/// Characters in mixed-class pieces of a run that make it a token.
const MIN_MIXED_CHARS: usize = 12;

/// Percent-decodes `raw` (invalid escapes stay as they are).
pub(crate) fn percent_decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'%') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && let (Some(h), Some(l)) = (
                raw.get(i + 1).and_then(|&b| hex_value(b)),
                raw.get(i + 2).and_then(|&b| hex_value(b)),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    Cow::Owned(out)
}

const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Classifies a (percent-encoded) path segment or parameter value.
///
/// Returns the placeholder that replaces it, or `None` when it may be kept.
pub(crate) fn classify(raw: &[u8]) -> Option<Placeholder> {
    if raw.is_empty() {
        return None;
    }
    let decoded = percent_decode(raw);
    let v: &[u8] = &decoded;
    let shape = Shape::of(v);
    if shape.at || (shape.percent && contains_ignore_case(v, b"%40")) {
        return Some(Placeholder::Email);
    }
    if shape.all_digits {
        return Some(Placeholder::Num);
    }
    if (shape.digit && shape.dot && contains_ipv4(v)) || (shape.colons >= 2 && contains_ipv6(v)) {
        return Some(Placeholder::Ip);
    }
    if v.len() >= 36 && contains_uuid(v) {
        return Some(Placeholder::Uuid);
    }
    if shape.hex_run >= MIN_HEX_RUN {
        return Some(Placeholder::Hex);
    }
    if has_key_prefix(v) {
        return Some(Placeholder::Token);
    }
    // The remaining rules need a digit or an upper-case letter.
    if !shape.digit && !shape.upper {
        return None;
    }
    if is_token(v) {
        return Some(Placeholder::Token);
    }
    if shape.digit_run >= MIN_DIGIT_RUN {
        return Some(Placeholder::Num);
    }
    None
}

/// What one pass over a value learns about it.
struct Shape {
    at: bool,
    dot: bool,
    colons: usize,
    percent: bool,
    digit: bool,
    upper: bool,
    all_digits: bool,
    hex_run: usize,
    digit_run: usize,
}

impl Shape {
    fn of(v: &[u8]) -> Self {
        let mut shape = Self {
            at: false,
            dot: false,
            colons: 0,
            percent: false,
            digit: false,
            upper: false,
            all_digits: true,
            hex_run: 0,
            digit_run: 0,
        };
        let (mut hex, mut digits) = (0, 0);
        for &b in v {
            shape.at |= b == b'@';
            shape.dot |= b == b'.';
            shape.colons += usize::from(b == b':');
            shape.percent |= b == b'%';
            shape.upper |= b.is_ascii_uppercase();
            if b.is_ascii_digit() {
                shape.digit = true;
                digits += 1;
                shape.digit_run = shape.digit_run.max(digits);
            } else {
                shape.all_digits = false;
                digits = 0;
            }
            if b.is_ascii_hexdigit() {
                hex += 1;
                shape.hex_run = shape.hex_run.max(hex);
            } else {
                hex = 0;
            }
        }
        shape
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether `v` contains four dot-separated decimal numbers of at most 255 in a row.
fn contains_ipv4(v: &[u8]) -> bool {
    v.split(|b| !(b.is_ascii_digit() || *b == b'.')).any(|run| {
        let mut in_row = 0;
        for group in run.split(|&b| b == b'.') {
            let octet = !group.is_empty()
                && group.len() <= 3
                && group.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')) <= 255;
            in_row = if octet { in_row + 1 } else { 0 };
            if in_row == 4 {
                return true;
            }
        }
        false
    })
}

/// Whether `v` contains an IPv6 address: some 3 to 9 consecutive colon-separated groups
/// of a run of hex digits, colons and dots parse as one (linear in the run's length).
fn contains_ipv6(v: &[u8]) -> bool {
    v.split(|b| !(b.is_ascii_hexdigit() || *b == b':' || *b == b'.'))
        .filter(|run| run.iter().filter(|&&b| b == b':').count() >= 2)
        .any(|run| {
            // Start offsets of the groups, and the run's end.
            let starts: Vec<usize> = std::iter::once(0)
                .chain(memchr::memchr_iter(b':', run).map(|i| i + 1))
                .collect();
            (0..starts.len()).any(|first| {
                (first + 2..(first + 9).min(starts.len())).any(|last| {
                    let end = starts.get(last + 1).map_or(run.len(), |next| next - 1);
                    let text = &run[starts[first]..end];
                    std::str::from_utf8(text).is_ok_and(|t| t.parse::<std::net::Ipv6Addr>().is_ok())
                })
            })
        })
}

/// Whether `v` contains a UUID (`8-4-4-4-12` hex digits) anywhere.
pub(crate) fn contains_uuid(v: &[u8]) -> bool {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    v.windows(36).any(|w| {
        let mut i = 0;
        GROUPS.iter().enumerate().all(|(n, &len)| {
            let group_ok = w[i..i + len].iter().all(u8::is_ascii_hexdigit);
            i += len;
            let dash_ok = n == 4 || w[i] == b'-';
            i += 1;
            group_ok && dash_ok
        })
    })
}

const fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'=')
}

/// Credentials with a well-known prefix (`sk_live_…`, `ghp_…`, JWTs' `eyJ…`).
pub(crate) fn has_key_prefix(v: &[u8]) -> bool {
    v.len() >= MIN_PREFIXED_KEY_LEN && KEY_PREFIXES.iter().any(|p| v.starts_with(p))
}

/// Words of 8 or more characters mixing upper case,
/// lower case and digits (`aB3xK9qZ`), and long base64url-like runs whose pieces mix digits
/// with letters or change case inside a word, unlike slugs such as `top-10-tips-for-2024`
/// or `Getting_Started`.
pub(crate) fn is_token(v: &[u8]) -> bool {
    // Short random identifiers (share links, session ids) mix all three classes.
    let three_classes = v
        .split(|b| !b.is_ascii_alphanumeric())
        .filter(|word| word.len() >= MIN_SHORT_TOKEN)
        .any(|word| {
            word.iter().any(u8::is_ascii_uppercase)
                && word.iter().any(u8::is_ascii_lowercase)
                && word.iter().any(u8::is_ascii_digit)
        });
    if three_classes {
        return true;
    }
    v.split(|&b| !is_token_char(b))
        .filter(|run| run.len() >= MIN_TOKEN_RUN)
        .any(|run| {
            let mixed: usize = run
                .split(|&b| matches!(b, b'-' | b'_' | b'+' | b'/' | b'='))
                .filter(|piece| is_mixed_piece(piece))
                .map(<[u8]>::len)
                .sum();
            mixed >= MIN_MIXED_CHARS
        })
}

/// A piece mixes classes when it holds both digits and letters, or an upper-case letter
/// after a lower-case one.
fn is_mixed_piece(piece: &[u8]) -> bool {
    let has_digit = piece.iter().any(u8::is_ascii_digit);
    let has_alpha = piece.iter().any(u8::is_ascii_alphabetic);
    let camel = piece
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
    (has_digit && has_alpha) || camel
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<Placeholder> {
        classify(s.as_bytes())
    }

    #[test]
    fn numbers() {
        assert_eq!(class("42"), Some(Placeholder::Num));
        assert_eq!(class("0"), Some(Placeholder::Num));
        assert_eq!(class("invoice-1234567.pdf"), Some(Placeholder::Num));
        assert_eq!(class("v2"), None);
        assert_eq!(class("page-12"), None);
    }

    #[test]
    fn uuids() {
        assert_eq!(
            class("550e8400-e29b-41d4-a716-446655440000"),
            Some(Placeholder::Uuid)
        );
        assert_eq!(
            class("doc-550E8400-E29B-41D4-A716-446655440000.pdf"),
            Some(Placeholder::Uuid)
        );
        assert_eq!(
            class("550e8400e29b41d4a716446655440000"),
            Some(Placeholder::Hex)
        );
    }

    #[test]
    fn emails_also_percent_encoded() {
        assert_eq!(class("carol.smith@example.org"), Some(Placeholder::Email));
        assert_eq!(class("carol.smith%40example.org"), Some(Placeholder::Email));
        assert_eq!(
            class("carol.smith%2540example.org"),
            Some(Placeholder::Email)
        );
        assert_eq!(class("@carol"), Some(Placeholder::Email));
    }

    #[test]
    fn addresses() {
        assert_eq!(class("198.51.100.23"), Some(Placeholder::Ip));
        assert_eq!(class("u10,,198.51.100.23"), Some(Placeholder::Ip));
        assert_eq!(class("host-192.0.2.1.example"), Some(Placeholder::Ip));
        assert_eq!(class("2001:db8::1"), Some(Placeholder::Ip));
        assert_eq!(class("[2001:db8::1]:443"), Some(Placeholder::Ip));
        assert_eq!(class("::ffff:198.51.100.23"), Some(Placeholder::Ip));
        assert_eq!(class("2001%3Adb8%3A%3A1"), Some(Placeholder::Ip));
        assert_eq!(class("jquery-3.7.1.min.js"), None);
        assert_eq!(class("a:b:c"), None);
        assert_eq!(class("10:30:00"), None);
    }

    #[test]
    fn hex_runs() {
        assert_eq!(class("app.3f2a9c1b4d5e6f70.js"), Some(Placeholder::Hex));
        assert_eq!(class("deadbeefdeadbee"), None);
        assert_eq!(
            class("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
            Some(Placeholder::Hex)
        );
    }

    #[test]
    fn tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(class(jwt), Some(Placeholder::Token));
        assert_eq!(
            class("sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            Some(Placeholder::Token)
        );
        assert_eq!(
            class("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            Some(Placeholder::Token)
        );
        assert_eq!(class("AKIAIOSFODNN7EXAMPLE"), Some(Placeholder::Token));
        assert_eq!(
            class("dGhpcyBpcyBhIHNlY3JldCB0b2tlbg"),
            Some(Placeholder::Token)
        );
        assert_eq!(
            class("Zm9vYmFyX2Jhel9xdXV4XzEyMzQ1"),
            Some(Placeholder::Token)
        );
        assert_eq!(class("aB3xK9qZ"), Some(Placeholder::Token));
        assert_eq!(class("dQw4w9WgXcQ"), Some(Placeholder::Token));
        assert_eq!(class("sk_live_abcdefghijklmnop"), Some(Placeholder::Token));
    }

    #[test]
    fn ordinary_segments_are_kept() {
        for s in [
            "users",
            "index.html",
            "top-10-tips-for-2024",
            "Getting_Started_With_Rust",
            "installation-guide-2024-edition",
            "iphone15-pro-max-review-2024",
            "favicon.ico",
            "jquery-3.7.1.min.js",
            "2026",
            "",
        ] {
            assert!(
                s.is_empty() || s == "2026" || class(s).is_none(),
                "{s} was replaced"
            );
        }
        assert_eq!(class("2026"), Some(Placeholder::Num));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(&*percent_decode(b"a%20b%zz%4"), b"a b%zz%4");
    }
}
