//! [`SafeText`]: free text escaped so that one record is one line and nothing is raw.
//!
//! Every text field an encoder writes has passed through the same escaping. It turns C0 controls,
//! DEL, C1 controls, Unicode bidi/invisible formatting characters, line separators, invalid
//! UTF-8, the double quote and the backslash into visible `\xHH` text (one escape per byte,
//! as nginx does), and caps the field's length with [`TRUNCATION_MARKER`].

use std::fmt;

/// Appended to a field that was cut at its length cap.
pub const TRUNCATION_MARKER: &str = "[...]";

/// Text that is safe to write into any output format unchanged.
///
/// It holds only printable characters, no `"`, and a `\` only as the start of a `\xHH`
/// escape, so it can neither end a quoted CLF field nor break a line. Only the anonymizer
/// creates it.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct SafeText(String);

impl SafeText {
    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Escapes `raw` and caps the escaped text at `cap` bytes (plus the marker).
    pub(crate) fn escape(raw: &[u8], cap: usize) -> Self {
        let mut out = String::with_capacity(raw.len().min(cap) + 8);
        escape(raw, cap, &mut out);
        Self(out)
    }

    /// Wraps text that the caller built from safe pieces only (placeholders, ASCII names).
    pub(crate) fn from_trusted(text: String) -> Self {
        debug_assert!(is_safe(&text), "trusted text must be safe");
        Self(text)
    }

    /// Empties the text, keeping its allocation for reuse.
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends the escaped form of `raw`, keeping the whole text within `cap` bytes (plus
    /// the marker). Returns whether it was cut.
    pub(crate) fn push_escaped(&mut self, raw: &[u8], cap: usize) -> bool {
        escape(raw, cap.saturating_sub(self.0.len()), &mut self.0)
    }

    /// Appends text built from safe pieces only (placeholders, validated ASCII names).
    pub(crate) fn push_trusted(&mut self, text: &str) {
        debug_assert!(is_safe(text), "trusted text must be safe");
        self.0.push_str(text);
    }

    /// Appends one safe ASCII byte.
    pub(crate) fn push_trusted_byte(&mut self, b: u8) {
        debug_assert!(is_plain_ascii(b), "trusted byte must be plain ASCII");
        self.0.push(char::from(b));
    }

    /// The text as `Some` when it is not empty.
    pub(crate) fn non_empty(&self) -> Option<&Self> {
        (!self.0.is_empty()).then_some(self)
    }
}

impl fmt::Display for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SafeText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Whether a printable ASCII byte can be copied as it is.
const fn is_plain_ascii(b: u8) -> bool {
    matches!(b, 0x20..=0x7e) && b != b'"' && b != b'\\'
}

/// Whether a non-ASCII character must be escaped: C1 controls, bidi controls, invisible
/// formatting characters (Unicode category Cf, the TAG block, variation selectors, Hangul
/// fillers and similar blanks) and line/paragraph separators.
pub(crate) const fn is_hidden_char(c: char) -> bool {
    matches!(c,
        '\u{80}'..='\u{9f}'
        | '\u{ad}'
        | '\u{34f}'
        | '\u{600}'..='\u{605}'
        | '\u{61c}'
        | '\u{6dd}'
        | '\u{70f}'
        | '\u{8e2}'
        | '\u{115f}'..='\u{1160}'
        | '\u{17b4}'..='\u{17b5}'
        | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{2800}'
        | '\u{3164}'
        | '\u{fe00}'..='\u{fe0f}'
        | '\u{feff}'
        | '\u{ffa0}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{110bd}'
        | '\u{110cd}'
        | '\u{13430}'..='\u{1343f}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e0fff}')
}

/// Whether `text` could have been produced by [`escape`] (used by tests and assertions).
pub(crate) fn is_safe(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            let escape_ok = bytes.get(i + 1) == Some(&b'x')
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 3).is_some_and(u8::is_ascii_hexdigit);
            if !escape_ok {
                return false;
            }
            i += 4;
            continue;
        }
        if b < 0x80 && !is_plain_ascii(b) {
            return false;
        }
        i += 1;
    }
    // Every hidden character is outside ASCII.
    text.is_ascii() || !text.chars().any(is_hidden_char)
}

fn push_hex_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('\\');
    out.push('x');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// Appends the escaped form of `raw` to `out`, at most `cap` bytes of it; a longer field is
/// cut at a character boundary and gets [`TRUNCATION_MARKER`]. Returns whether it was cut.
pub(crate) fn escape(raw: &[u8], cap: usize, out: &mut String) -> bool {
    let limit = out.len().saturating_add(cap);
    // Fast path: plain ASCII is copied in one piece.
    if raw.len() <= cap && raw.iter().all(|&b| is_plain_ascii(b)) {
        // All bytes are ASCII, so this never fails.
        out.push_str(std::str::from_utf8(raw).unwrap_or_default());
        return false;
    }
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            let width = if c.is_ascii() {
                if is_plain_ascii(c as u8) { 1 } else { 4 }
            } else if is_hidden_char(c) {
                4 * c.len_utf8()
            } else {
                c.len_utf8()
            };
            if out.len() + width > limit {
                out.push_str(TRUNCATION_MARKER);
                return true;
            }
            if width == c.len_utf8() {
                out.push(c);
            } else {
                let mut buf = [0u8; 4];
                for &b in c.encode_utf8(&mut buf).as_bytes() {
                    push_hex_escape(out, b);
                }
            }
        }
        for &b in chunk.invalid() {
            if out.len() + 4 > limit {
                out.push_str(TRUNCATION_MARKER);
                return true;
            }
            push_hex_escape(out, b);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn esc(raw: &[u8]) -> String {
        SafeText::escape(raw, 1024).as_str().to_owned()
    }

    #[test]
    fn plain_text_is_copied() {
        assert_eq!(esc(b"/index.html?page=2"), "/index.html?page=2");
        assert_eq!(esc("caf\u{e9} \u{1f600}".as_bytes()), "caf\u{e9} \u{1f600}");
    }

    #[test]
    fn controls_quotes_and_backslashes_are_escaped() {
        assert_eq!(esc(b"a\x1b[31mb"), "a\\x1B[31mb");
        assert_eq!(esc(b"line\nbreak\r\t"), "line\\x0Abreak\\x0D\\x09");
        assert_eq!(esc(b"say \"hi\" \\o/"), "say \\x22hi\\x22 \\x5Co/");
        assert_eq!(esc(b"del\x7f"), "del\\x7F");
    }

    #[test]
    fn c1_bidi_separators_and_invalid_utf8_are_escaped() {
        assert_eq!(esc("x\u{85}y".as_bytes()), "x\\xC2\\x85y");
        assert_eq!(esc("\u{202e}abc".as_bytes()), "\\xE2\\x80\\xAEabc");
        assert_eq!(esc("a\u{2028}b".as_bytes()), "a\\xE2\\x80\\xA8b");
        assert_eq!(esc(b"bad\xff\xfe"), "bad\\xFF\\xFE");
        assert_eq!(esc(b"\xe2\x80"), "\\xE2\\x80");
    }

    #[test]
    fn long_fields_are_capped_with_marker() {
        let out = SafeText::escape(&[b'a'; 100], 10);
        assert_eq!(out.as_str(), "aaaaaaaaaa[...]");
        // An escape is never split.
        let out = SafeText::escape(b"aaaaaaaa\x01\x01", 10);
        assert_eq!(out.as_str(), "aaaaaaaa[...]");
        let out = SafeText::escape("aaaaaaaaa\u{e9}".as_bytes(), 10);
        assert_eq!(out.as_str(), "aaaaaaaaa[...]");
    }

    proptest! {
        #[test]
        fn escaped_output_is_always_safe(raw in proptest::collection::vec(any::<u8>(), 0..200), cap in 0usize..300) {
            let out = SafeText::escape(&raw, cap);
            let s = out.as_str();
            prop_assert!(is_safe(s));
            prop_assert!(!s.bytes().any(|b| b < 0x20 || b == 0x7f || b == b'"'));
            prop_assert!(s.len() <= cap + TRUNCATION_MARKER.len());
        }

        #[test]
        fn escaping_is_lossless_below_the_cap(raw in proptest::collection::vec(any::<u8>(), 0..100)) {
            let out = SafeText::escape(&raw, usize::MAX / 2);
            prop_assert_eq!(unescape(out.as_str()), raw);
        }

        #[test]
        fn unicode_text_survives(s in "\\PC{0,40}") {
            let out = SafeText::escape(s.as_bytes(), 1000);
            prop_assert_eq!(unescape(out.as_str()), s.as_bytes());
        }
    }

    /// Reverses `\xHH` escapes (test helper).
    fn unescape(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\\' {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("ascii hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 4;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }
}
