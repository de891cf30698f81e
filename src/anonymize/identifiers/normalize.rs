//! Normalization before judging: a value is judged by what it spells, not by how it is
//! encoded.
//!
//! Percent-escapes are decoded to a fixed point (at most [`MAX_ROUNDS`] rounds, so
//! `%252540` is `@`), as are `%uXXXX`, HTML character references (`&#64;`) and overlong
//! UTF-8 (`%C1%80`); then Unicode NFKC folds full-width and compatibility forms (`＠`,
//! `﹫`, `４`) into their plain form, TAG characters (U+E0020–U+E007E, which spell ASCII
//! invisibly) become the ASCII they stand for, and other invisible characters are removed.
//! The normalized text is only judged; it is never written.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization as _;

use crate::record::safe_text::is_hidden_char;

/// Most rounds of percent-decoding.
const MAX_ROUNDS: usize = 4;

/// A value as it is judged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Normalized<'a> {
    /// The normalized text.
    pub(crate) text: Cow<'a, str>,
    /// Whether the value held invisible characters (which no ordinary URL part has).
    pub(crate) hidden: bool,
}

/// Normalizes `raw` for judging.
pub(crate) fn normalize(raw: &[u8]) -> Normalized<'_> {
    // Fast path: plain printable ASCII without escapes or references is its own form.
    if raw
        .iter()
        .all(|&b| b.is_ascii_graphic() && b != b'%' && b != b'&' || b == b' ')
    {
        let text = std::str::from_utf8(raw).unwrap_or_default();
        return Normalized {
            text: Cow::Borrowed(text),
            hidden: false,
        };
    }
    let mut hidden = false;
    let mut text = fold(&decode_lenient(raw), &mut hidden);
    // Each round may reveal more: `%2540` gives `%40`, a full-width `％` folds to `%`.
    for _ in 0..MAX_ROUNDS {
        let decoded = decode_escapes(text.as_bytes());
        if decoded == text.as_bytes() {
            break;
        }
        text = fold(&decode_lenient(&decoded), &mut hidden);
    }
    Normalized {
        text: Cow::Owned(text),
        hidden,
    }
}

/// NFKC, TAG characters to ASCII, other invisible characters removed (noted in `hidden`).
fn fold(text: &str, hidden: &mut bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        match c as u32 {
            0xE0020..=0xE007E => {
                *hidden = true;
                out.extend(char::from_u32(c as u32 - 0xE0000));
            }
            _ if is_hidden_char(c) => *hidden = true,
            _ => out.push(c),
        }
    }
    out
}

/// One round of decoding: `%XX`, `%uXXXX` and `&#NN;` / `&#xHH;` references.
fn decode_escapes(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        if rest[0] == b'%' {
            if let Some(v) = hex_number(rest.get(1..3)).and_then(|v| u8::try_from(v).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
            if matches!(rest.get(1), Some(b'u' | b'U'))
                && let Some(c) = hex_number(rest.get(2..6)).and_then(char::from_u32)
            {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += 6;
                continue;
            }
        }
        if rest.starts_with(b"&#")
            && let Some(end) = rest.iter().take(10).position(|&b| b == b';')
            && let Some(c) = character_reference(&rest[2..end])
        {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += end + 1;
            continue;
        }
        out.push(rest[0]);
        i += 1;
    }
    out
}

/// The value of 2 or 4 hex digits.
fn hex_number(digits: Option<&[u8]>) -> Option<u32> {
    let digits = std::str::from_utf8(digits?).ok()?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// The character of a numeric reference body (`64` or `x40`).
fn character_reference(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    let value = match text.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => text.parse().ok()?,
    };
    char::from_u32(value)
}

/// UTF-8 decoding that also reads overlong forms (as some servers and filters do) and
/// turns anything else invalid into U+FFFD.
fn decode_lenient(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let valid = match std::str::from_utf8(rest) {
            Ok(all) => all,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
        };
        out.push_str(valid);
        rest = &rest[valid.len()..];
        if !rest.is_empty() {
            let (c, used) = overlong(rest).unwrap_or(('\u{fffd}', 1));
            out.push(c);
            rest = &rest[used..];
        }
    }
    out
}

/// An overlong two- or three-byte sequence at the start of `b`, decoded.
fn overlong(b: &[u8]) -> Option<(char, usize)> {
    let cont = |x: &u8| x & 0xC0 == 0x80;
    match b {
        [lead @ (0xC0 | 0xC1), second, ..] if cont(second) => {
            char::from_u32(u32::from(lead & 0x1F) << 6 | u32::from(second & 0x3F)).map(|c| (c, 2))
        }
        [0xE0, second, third, ..] if cont(second) && cont(third) && *second < 0xA0 => {
            char::from_u32(u32::from(second & 0x3F) << 6 | u32::from(third & 0x3F)).map(|c| (c, 3))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(raw: &str) -> (String, bool) {
        let n = normalize(raw.as_bytes());
        (n.text.into_owned(), n.hidden)
    }

    #[test]
    fn every_spelling_of_an_at_sign_is_one() {
        for raw in [
            "a@b",
            "a%40b",
            "a%2540b",
            "a%252540b",
            "a%25252540b",
            "a%u0040b",
            "a%C1%80b",
            "a%EF%BC%A0b",
            "a＠b",
            "a﹫b",
            "a&#64;b",
            "a&#x40;b",
        ] {
            assert_eq!(norm(raw), ("a@b".to_owned(), false), "{raw}");
        }
    }

    #[test]
    fn invisible_characters_are_removed_and_tags_spell_ascii() {
        assert_eq!(norm("re\u{200b}ad"), ("read".to_owned(), true));
        assert_eq!(norm("re%E2%80%8Bad"), ("read".to_owned(), true));
        let tags: String = "x@y"
            .chars()
            .map(|c| char::from_u32(0xE0000 + c as u32).expect("tag"))
            .collect();
        assert_eq!(norm(&tags), ("x@y".to_owned(), true));
    }

    #[test]
    fn full_width_digits_and_spaces_fold() {
        assert_eq!(norm("４１１１　１１"), ("4111 11".to_owned(), false));
        // A full-width percent sign folds into an escape that is then decoded.
        assert_eq!(norm("a％40b"), ("a@b".to_owned(), false));
    }

    #[test]
    fn plain_values_are_borrowed() {
        assert!(matches!(
            normalize(b"getUserPreferences").text,
            Cow::Borrowed(_)
        ));
    }

    proptest! {
        /// Normalizing normalized text changes nothing more.
        #[test]
        fn normalization_is_idempotent(raw in "[a-z%0-9&#;@.\\u{200b}\\u{ff10}-\\u{ff19}]{0,24}") {
            let once = normalize(raw.as_bytes());
            let twice = normalize(once.text.as_bytes());
            // A fixed point within the round limit: escapes nested deeper than four
            // rounds may decode further, as documented.
            if !raw.contains("%25") && !raw.contains("&#") {
                prop_assert_eq!(twice.text.as_ref(), once.text.as_ref());
            }
        }
    }
}
