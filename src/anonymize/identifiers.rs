//! The one detector set: recognition of identifiers in paths, query values, host labels
//! and header values, shared by the anonymizer and the audit.
//!
//! A value that could name a person, an account, an order or a session is replaced by a
//! placeholder that says what it was. A value is judged by evidence, in this order:
//! 1. [`normalize`]: percent-escapes to a fixed point, `%uXXXX`, overlong UTF-8, NFKC,
//!    invisible characters; the normalized text is judged, never written;
//! 2. strong identifiers with their validators: [`email`] in every spelling, IP addresses
//!    in every spelling and MAC addresses ([`spellings`]), UUIDs, [`numbers`] (cards by
//!    Luhn, IBANs by mod 97, phone and national-id shapes, short prefixed ids), hex runs,
//!    credentials with well-known prefixes;
//! 3. [`randomness`] for tokens, so that words in camel case stay.
//!
//! Dates, versions and scoped package names are recognised as what they are. The path rule
//! adds the context of neighbouring segments (`/2023/11/…`, `/status/503`).

mod email;
mod normalize;
mod numbers;
mod randomness;
mod spellings;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::cache::{Cache, cached};
pub(crate) use normalize::normalize;
pub(crate) use numbers::MIN_DIGIT_RUN;
use numbers::NumberKind;

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
    /// A JWT, a well-known API-key prefix, or a random-looking string.
    Token,
    /// A payment card number (Luhn-valid).
    Card,
    /// An IBAN (mod-97-valid).
    Iban,
    /// A MAC address.
    Mac,
    /// A value that hides characters (invisible formatting, TAG characters).
    Hidden,
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
            Self::Card => ":card",
            Self::Iban => ":iban",
            Self::Mac => ":mac",
            Self::Hidden => ":hidden",
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
/// Shortest run of hex digits replaced by `:hex` whatever it holds.
const MIN_HEX_RUN: usize = 16;
/// Shortest run of hex digits replaced by `:hex` when it mixes digits and letters.
const MIN_MIXED_HEX_RUN: usize = 12;

/// Percent-decodes `raw` once (invalid escapes stay as they are).
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

/// Classifies a (percent-encoded) path segment, parameter value or host label.
///
/// Returns the placeholder that replaces it, or `None` when it may be kept.
pub(crate) fn classify(raw: &[u8]) -> Option<Placeholder> {
    if raw.is_empty() {
        return None;
    }
    cached(&JUDGED, CACHE_ENTRIES, raw, |raw| {
        let normalized = normalize(raw);
        if normalized.hidden {
            return Some(Placeholder::Hidden);
        }
        judge(&normalized.text)
    })
}

/// Most judgements cached per thread.
const CACHE_ENTRIES: usize = 8192;

thread_local! {
    /// Judgements of raw values by a seeded hash (the values themselves are not kept).
    static JUDGED: Cache<Option<Placeholder>> = RefCell::new(HashMap::default());
}

/// Judges normalized text: the strong identifiers first, then randomness.
///
/// One pass over the value learns which characters it has; each rule runs only on values
/// that have what it needs (an address needs digits or hex, an e-mail address `@`, `=` or a
/// spelled-out `at`).
fn judge(v: &str) -> Option<Placeholder> {
    let b = v.as_bytes();
    if b.is_empty() {
        return None;
    }
    let shape = Shape::of(b);
    if shape.may_be_email(b) && email::has_email(v) {
        return Some(Placeholder::Email);
    }
    if shape.digits == b.len() {
        return Some(Placeholder::Num);
    }
    if b.len() >= 36 && shape.dashes >= 4 && contains_uuid(b) {
        return Some(Placeholder::Uuid);
    }
    let hex_or_digits = shape.digits > 0 || shape.hex_letters > 0;
    if hex_or_digits
        && (find_ip(b).is_some()
            || (shape.digits > 0 && spellings::has_spelled_ipv4(v))
            || (shape.dashes >= 2 && spellings::has_dashed_ipv6(v)))
    {
        return Some(Placeholder::Ip);
    }
    if shape.digits + shape.hex_letters >= 12 && spellings::has_mac(v) {
        return Some(Placeholder::Mac);
    }
    let asset = is_static_asset(b);
    if has_hex_run(b, asset) {
        return Some(Placeholder::Hex);
    }
    if has_key_prefix(b) {
        return Some(Placeholder::Token);
    }
    if shape.digits > 0 {
        match numbers::find_number(v) {
            Some(NumberKind::Card) => return Some(Placeholder::Card),
            Some(NumberKind::Iban) => return Some(Placeholder::Iban),
            Some(NumberKind::Other) => return Some(Placeholder::Num),
            None => {}
        }
    }
    (!asset && b.len() >= 6 && is_random_text(v)).then_some(Placeholder::Token)
}

/// What one pass over a value learns about it.
struct Shape {
    digits: usize,
    /// Letters `a`–`f` in either case.
    hex_letters: usize,
    dashes: usize,
    /// `@` or `=` (e-mail addresses, VERP).
    at_or_equals: bool,
    /// Spaces, brackets and other separators a spelled-out `at` stands between.
    separators: bool,
}

impl Shape {
    fn of(b: &[u8]) -> Self {
        let mut shape = Self {
            digits: 0,
            hex_letters: 0,
            dashes: 0,
            at_or_equals: false,
            separators: false,
        };
        for &c in b {
            match c {
                b'0'..=b'9' => shape.digits += 1,
                b'a'..=b'f' | b'A'..=b'F' => shape.hex_letters += 1,
                b'-' => {
                    shape.dashes += 1;
                    shape.separators = true;
                }
                b'@' | b'=' => shape.at_or_equals = true,
                b' ' | b'_' | b'.' | b'+' | b'(' | b'[' | b'{' | b'<' => shape.separators = true,
                _ => {}
            }
        }
        shape
    }

    /// Whether `b` could hold an e-mail address in some spelling.
    fn may_be_email(&self, b: &[u8]) -> bool {
        self.at_or_equals
            || (self.separators && b.windows(2).any(|w| w.eq_ignore_ascii_case(b"at")))
    }
}

/// A run of 16 or more hex digits, or of 12 or more mixing digits and letters (not in the
/// name of a build asset, whose short content hashes name code, not people).
fn has_hex_run(b: &[u8], asset: bool) -> bool {
    b.split(|c| !c.is_ascii_hexdigit()).any(|run| {
        run.len() >= MIN_HEX_RUN
            || (!asset
                && run.len() >= MIN_MIXED_HEX_RUN
                && run.iter().any(u8::is_ascii_digit)
                && run.iter().any(u8::is_ascii_alphabetic))
    })
}

/// File extensions of static assets, whose build hashes (`app.3f2a9c1b4d5e6f70.js`,
/// `index-BxT4kZ9q.css`) name code, not people.
const ASSET_EXTENSIONS: &[&[u8]] = &[
    b".js", b".mjs", b".cjs", b".css", b".map", b".png", b".jpg", b".jpeg", b".gif", b".svg",
    b".webp", b".avif", b".ico", b".woff", b".woff2", b".ttf", b".eot", b".wasm", b".json",
];

/// Whether `v` names a static asset by its extension (any case). Random-looking names
/// and short hex runs are kept in such names; strong identifiers and runs of 16 or more hex
/// digits are not.
pub(crate) fn is_static_asset(v: &[u8]) -> bool {
    ASSET_EXTENSIONS
        .iter()
        .any(|ext| v.len() > ext.len() && v[v.len() - ext.len()..].eq_ignore_ascii_case(ext))
}

/// Whether `v` holds a random word, or random short pieces joined by `-` or `_`
/// (`hJ8s-Kq2p`, `xkq-pmzr-twv`), also inside a slug (`report-hJ8s-Kq2p`).
fn is_random_text(v: &str) -> bool {
    /// Most joined pieces looked at together.
    const MAX_PIECES: usize = 4;
    let joined = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    v.split(|c: char| !joined(c)).any(|run| {
        let bounds: Vec<(usize, usize)> = run
            .split(['-', '_'])
            .scan(0, |at, piece| {
                let start = *at;
                *at += piece.len() + 1;
                Some((start, start + piece.len()))
            })
            .collect();
        (0..bounds.len()).any(|first| {
            (first..bounds.len().min(first + MAX_PIECES))
                .any(|last| randomness::is_random(&run[bounds[first].0..bounds[last].1]))
        })
    })
}

/// An IPv4 or IPv6 address anywhere in `v`, found by the rules [`classify`] replaces by `:ip`.
pub(crate) fn find_ip(v: &[u8]) -> Option<IpAddr> {
    find_ipv4(v)
        .map(IpAddr::V4)
        .or_else(|| find_ipv6(v).map(IpAddr::V6))
        .map(|ip| ip.to_canonical())
}

/// The first four dot-separated decimal numbers of at most 255 in a row in `v`, not
/// written as a version (`v3.2.1.4`).
fn find_ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    let mut start = 0;
    v.split(|b| !(b.is_ascii_digit() || *b == b'.'))
        .find_map(|run| {
            let version = start > 0 && matches!(v[start - 1], b'v' | b'V');
            start += run.len() + 1;
            if version {
                return None;
            }
            let mut octets = [0u8; 4];
            let mut in_row = 0;
            for group in run.split(|&b| b == b'.') {
                let octet = (!group.is_empty() && group.len() <= 3)
                    .then(|| group.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
                    .and_then(|value| u8::try_from(value).ok());
                match octet {
                    Some(octet) => {
                        octets.copy_within(1.., 0);
                        octets[3] = octet;
                        in_row += 1;
                    }
                    None => in_row = 0,
                }
                if in_row == 4 {
                    return Some(Ipv4Addr::from(octets));
                }
            }
            None
        })
}

/// An IPv6 address in `v`: some 3 to 9 consecutive colon-separated groups of a run of hex
/// digits, colons and dots that parse as one (linear in the run's length).
fn find_ipv6(v: &[u8]) -> Option<Ipv6Addr> {
    v.split(|b| !(b.is_ascii_hexdigit() || *b == b':' || *b == b'.'))
        .filter(|run| run.iter().filter(|&&b| b == b':').count() >= 2)
        .find_map(|run| {
            // Start offsets of the groups, and the run's end.
            let starts: Vec<usize> = std::iter::once(0)
                .chain(memchr::memchr_iter(b':', run).map(|i| i + 1))
                .collect();
            (0..starts.len()).find_map(|first| {
                (first + 2..(first + 9).min(starts.len())).find_map(|last| {
                    let end = starts.get(last + 1).map_or(run.len(), |next| next - 1);
                    let text = &run[starts[first]..end];
                    std::str::from_utf8(text).ok()?.parse::<Ipv6Addr>().ok()
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

/// Credentials with a well-known prefix (`sk_live_…`, `ghp_…`, JWTs' `eyJ…`).
pub(crate) fn has_key_prefix(v: &[u8]) -> bool {
    v.len() >= MIN_PREFIXED_KEY_LEN && KEY_PREFIXES.iter().any(|p| v.starts_with(p))
}

#[cfg(feature = "cli")]
/// A JSON Web Token: `eyJ…` (a base64url JSON header) with at least two dots.
pub(crate) fn is_jwt(v: &[u8]) -> bool {
    v.starts_with(b"eyJ") && memchr::memchr_iter(b'.', v).nth(1).is_some()
}

#[cfg(feature = "cli")]
/// The local part and domain of the first e-mail address in `v` (already percent-decoded),
/// for hints that show a little of each.
pub(crate) fn email_address(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let text = std::str::from_utf8(v).ok()?;
    email::email_address(text).map(|(local, domain)| (local.as_bytes(), domain.as_bytes()))
}

#[cfg(feature = "cli")]
/// Query and path-parameter names that carry sessions, credentials or contact data.
const SESSION_KEYS: &[&[u8]] = &[
    b"jsessionid",
    b"phpsessid",
    b"session_id",
    b"sessionid",
    b"session",
    b"sid",
    b"token",
    b"access_token",
    b"refresh_token",
    b"id_token",
    b"api_key",
    b"apikey",
    b"auth",
    b"password",
    b"passwd",
    b"secret",
    b"key",
    b"code",
    b"email",
];

#[cfg(feature = "cli")]
/// Whether a (percent-decoded) parameter name carries a session, a credential or contact
/// data (`jsessionid`, `PHPSESSID`, `token`, `password`, …), in any case.
pub(crate) fn is_session_key(key: &[u8]) -> bool {
    SESSION_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests;
