//! Numbers that name someone: payment cards (Luhn), IBANs (mod 97), phone numbers and
//! national ids written with separators, long digit runs, and short ids that join a prefix
//! to digits (`acct7731`, `INV-20917`). Dates, times and versions are numbers too, and are
//! recognised as what they are.

/// Digits a number written with separators needs to be an identifier (`555-0123`).
pub(crate) const MIN_SEPARATED_DIGITS: usize = 7;
/// Shortest run of digits (without separators) that is an identifier.
pub(crate) const MIN_DIGIT_RUN: usize = 6;
/// Digits after a prefix that make a short id (`acct7731`); fewer with a leading zero.
const MIN_PREFIXED_DIGITS: usize = 4;
/// Longest letter prefix of a short id.
const MAX_ID_PREFIX: usize = 8;

/// What kind of number a value holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumberKind {
    /// A payment card number that passes the Luhn check.
    Card,
    /// An IBAN that passes the mod-97 check.
    Iban,
    /// Any other identifying number: phone, national id, account or order number.
    Other,
}

/// The identifying number in `v`, if any.
pub(crate) fn find_number(v: &str) -> Option<NumberKind> {
    if has_iban(v) {
        return Some(NumberKind::Iban);
    }
    if let Some(kind) = separated_numbers(v) {
        return Some(kind);
    }
    if has_national_insurance_number(v) {
        return Some(NumberKind::Other);
    }
    prefixed_id(v).then_some(NumberKind::Other)
}

/// A run of digits joined by separators: its digits, its groups, and what precedes it.
struct Run<'a> {
    text: &'a str,
    digits: String,
    groups: Vec<&'a str>,
    before: Option<char>,
}

const fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/' | '_')
}

/// Maximal runs of digits and separators (at most two separators in a row) in `v`.
fn runs(v: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = v.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_ascii_digit() {
            i += 1;
            continue;
        }
        // Start at the digit, taking a leading `+` or `(` with it.
        let mut start = i;
        while start > 0 && matches!(chars[start - 1].1, '+' | '(') {
            start -= 1;
        }
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j].1;
            if c.is_ascii_digit() {
                end = j + 1;
                j += 1;
            } else if is_separator(c) && j - end < 2 {
                j += 1;
            } else {
                break;
            }
        }
        let from = chars[start].0;
        let to = chars.get(end).map_or(v.len(), |&(at, _)| at);
        let text = &v[from..to];
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let groups = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|g| !g.is_empty())
            .collect();
        let before = v[..from].chars().next_back();
        out.push(Run {
            text,
            digits,
            groups,
            before,
        });
        i = end.max(i + 1);
    }
    out
}

fn separated_numbers(v: &str) -> Option<NumberKind> {
    let mut found = None;
    for run in runs(v) {
        let n = run.digits.len();
        if is_date_time(&run.groups) || is_version(&run) {
            continue;
        }
        let separated = run.groups.len() > 1;
        let counts = if separated {
            n >= MIN_SEPARATED_DIGITS
        } else {
            n >= MIN_DIGIT_RUN
        };
        if counts {
            if (13..=19).contains(&n) && luhn(&run.digits) {
                return Some(NumberKind::Card);
            }
            found = Some(NumberKind::Other);
        }
    }
    found
}

/// A date (`2024-06-15`, `15.06.2024`, `2024/06`, `20240615`), optionally followed by a
/// time (`142233`, `14-22-33`), as in camera file names and timestamps.
fn is_date_time(groups: &[&str]) -> bool {
    let num = |g: &str| g.parse::<u32>().ok();
    let year = |g: &str| g.len() == 4 && num(g).is_some_and(|y| (1900..=2099).contains(&y));
    let month = |g: &str| g.len() <= 2 && num(g).is_some_and(|m| (1..=12).contains(&m));
    let day = |g: &str| g.len() <= 2 && num(g).is_some_and(|d| (1..=31).contains(&d));
    let date_groups = match groups {
        [one, ..] if one.len() == 8 && year(&one[..4]) && month(&one[4..6]) && day(&one[6..]) => 1,
        [y, m, d, ..] if (year(y) && month(m) && day(d)) || (day(y) && month(m) && year(d)) => 3,
        [y, m] if year(y) && month(m) => 2,
        _ => return false,
    };
    is_time(&groups[date_groups..])
}

/// Nothing, `142233`, or up to three groups of at most two digits (`14-22-33`).
fn is_time(groups: &[&str]) -> bool {
    let small = |g: &str, max: u32| g.len() <= 2 && g.parse::<u32>().is_ok_and(|v| v <= max);
    match groups {
        [] => true,
        [one] if one.len() == 6 => {
            small(&one[..2], 23) && small(&one[2..4], 59) && small(&one[4..], 60)
        }
        [h, rest @ ..] if rest.len() <= 2 => small(h, 23) && rest.iter().all(|g| small(g, 60)),
        _ => false,
    }
}

/// `v3.2.1.4`, `1.22.101.3`: dotted groups of at most three digits, or after a `v`.
fn is_version(run: &Run<'_>) -> bool {
    let dotted = run.text.chars().all(|c| c.is_ascii_digit() || c == '.');
    dotted
        && run.groups.len() >= 2
        && (matches!(run.before, Some('v' | 'V')) || run.groups.iter().all(|g| g.len() <= 3))
}

/// The Luhn checksum of payment card numbers.
pub(crate) fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, d) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(d - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Countries that issue IBANs.
const IBAN_COUNTRIES: &[&[u8; 2]] = &[
    b"AD", b"AE", b"AL", b"AT", b"AZ", b"BA", b"BE", b"BG", b"BH", b"BR", b"BY", b"CH", b"CR",
    b"CY", b"CZ", b"DE", b"DK", b"DO", b"EE", b"EG", b"ES", b"FI", b"FO", b"FR", b"GB", b"GE",
    b"GI", b"GL", b"GR", b"GT", b"HR", b"HU", b"IE", b"IL", b"IQ", b"IS", b"IT", b"JO", b"KW",
    b"KZ", b"LB", b"LC", b"LI", b"LT", b"LU", b"LV", b"LY", b"MC", b"MD", b"ME", b"MK", b"MR",
    b"MT", b"MU", b"NL", b"NO", b"PK", b"PL", b"PS", b"PT", b"QA", b"RO", b"RS", b"SA", b"SC",
    b"SD", b"SE", b"SI", b"SK", b"SM", b"SO", b"ST", b"SV", b"TL", b"TN", b"TR", b"UA", b"VA",
    b"VG", b"XK",
];

/// An IBAN (country, check digits, 11–30 letters and digits, in groups separated by spaces
/// or dashes) that starts a word and ends one, and whose mod-97 check holds.
pub(crate) fn has_iban(v: &str) -> bool {
    v.split(|c: char| !(c.is_ascii_alphanumeric() || c == ' ' || c == '-'))
        .any(|token| {
            let parts: Vec<&str> = token.split([' ', '-']).filter(|p| !p.is_empty()).collect();
            (0..parts.len()).any(|first| {
                let mut compact = Vec::new();
                parts[first..].iter().any(|part| {
                    compact.extend(part.bytes().map(|b| b.to_ascii_uppercase()));
                    is_iban(&compact)
                })
            })
        })
}

fn is_iban(b: &[u8]) -> bool {
    (15..=34).contains(&b.len())
        && IBAN_COUNTRIES.iter().any(|c| b.starts_with(*c))
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit()
        && iban_checksum(b)
}

fn iban_checksum(iban: &[u8]) -> bool {
    let rotated = iban[4..].iter().chain(&iban[..4]);
    let mut rest = 0u32;
    for &b in rotated {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rest = if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        };
    }
    rest == 1
}

/// A UK National Insurance number as a word of its own: two letters, six digits, one of
/// A–D (spaces allowed between them).
fn has_national_insurance_number(v: &str) -> bool {
    let w: Vec<u8> = v.bytes().filter(|&b| b != b' ').collect();
    let word = |i: usize| w.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
    (0..w.len().saturating_sub(8)).any(|i| {
        (i == 0 || word(i - 1))
            && word(i + 9)
            && w[i..i + 2].iter().all(u8::is_ascii_alphabetic)
            && w[i + 2..i + 8].iter().all(u8::is_ascii_digit)
            && matches!(w[i + 8].to_ascii_uppercase(), b'A'..=b'D')
    })
}

/// File-name prefixes of cameras and phones (`DSC01234.JPG`, `PXL_20240615_142233.jpg`).
const CAMERA_PREFIXES: &[&str] = &[
    "img", "dsc", "dscn", "dscf", "dsci", "pxl", "mvi", "vid", "gopr", "gh01", "dji", "sam",
    "pict", "imag", "mov", "wp",
];

/// A short id that joins a letter prefix to digits (`acct7731`, `INV-20917`, `K-00412`):
/// four or more digits that are not a year or a date, or three or more with a leading
/// zero; not a camera's file name.
pub(crate) fn prefixed_id(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && b[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let end = i + b[i..].iter().take_while(|d| d.is_ascii_digit()).count();
        let digits = &v[i..end];
        let mut p = i;
        if p > 0 && matches!(b[p - 1], b'-' | b'_' | b'#') {
            p -= 1;
        }
        let letters = b[..p]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let followed_by_letter = b.get(end).is_some_and(u8::is_ascii_alphabetic);
        let year = digits.len() == 4
            && digits
                .parse::<u32>()
                .is_ok_and(|y| (1900..=2099).contains(&y));
        let camera = CAMERA_PREFIXES
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&v[p - letters..p]));
        let many = digits.len() >= MIN_PREFIXED_DIGITS && !year && !is_date_time(&[digits]);
        let zero_led = digits.len() >= 3 && digits.starts_with('0');
        if (1..=MAX_ID_PREFIX).contains(&letters)
            && !followed_by_letter
            && !camera
            && (many || zero_led)
        {
            return true;
        }
        i = end;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_separators() {
        for v in [
            "+1 202-555-0143",
            "(202) 555-0178",
            "202.555.0199",
            "555-0123",
            "+44 20 7946 0958",
            "219-09-9999",
            "046 454 286",
            "123.456.789-09",
            "1 85 05 78 006 084 36",
            "call-202-555-0111-now",
            "invoice-1234567.pdf",
            "report-QQ 12 34 56 C.pdf",
        ] {
            assert!(find_number(v).is_some(), "{v}");
        }
    }

    #[test]
    fn cards_and_ibans_by_checksum() {
        for v in [
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "3400 000000 00009",
        ] {
            assert_eq!(find_number(v), Some(NumberKind::Card), "{v}");
        }
        for v in [
            "DE89 3704 0044 0532 0130 00",
            "GB29-NWBK-6016-1331-9268-19",
            "NL91ABNA0417164300",
        ] {
            assert_eq!(find_number(v), Some(NumberKind::Iban), "{v}");
        }
        assert!(luhn("4111111111111111") && !luhn("4111111111111112"));
        assert!(!has_iban("NL92ABNA0417164300"));
    }

    #[test]
    fn short_ids_with_a_prefix() {
        for v in [
            "acct7731",
            "INV-20917",
            "K-00412",
            "cust_48213",
            "user4471",
            "u-90210",
        ] {
            assert!(prefixed_id(v), "{v}");
        }
        for v in [
            "SummerSale2025",
            "Galaxy24Ultra",
            "CS101",
            "ECMA-262",
            "x86_64",
            "black-friday-2024",
            "h264",
        ] {
            assert!(!prefixed_id(v), "{v}");
        }
    }

    #[test]
    fn dates_times_and_versions_are_not_identifiers() {
        for v in [
            "2024-02-29",
            "29.02.2024",
            "IMG_20240615_142233.jpg",
            "2024-06-15T14:22:33",
            "v3.2.1.4",
            "driver-v3.2.1.4.zip",
            "1.22.101.3",
            "top-10-tips-for-2024",
            "@52.5200,13.4050,12z",
            "linux-6.8.9.tar.xz",
        ] {
            assert_eq!(find_number(v), None, "{v}");
        }
    }
}
