//! Encoders: anonymized records as JSON lines or NCSA common/combined log format.
//!
//! Encoders append one complete line (with its `\n`) to a reused buffer and take nothing
//! but an [`AnonRecord`], so nothing unanonymized can reach an output through them.

mod clf;
mod json;
pub(crate) mod synthetic_agent;

use std::str::FromStr;

use crate::record::{AnonRecord, VisitorId};

/// An output format.
///
/// ```
/// use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};
/// let anonymizer = Anonymizer::new(Policy::preset("minimal").unwrap()).unwrap();
/// let t = Timestamp::from_utc(2026, 11, 24, 9, 30, 0, 0).unwrap();
/// let raw = RawRecord::builder(t)
///     .client_text("198.51.100.23").method("GET").target("/").protocol("HTTP/1.1")
///     .status(200).bytes(512).build();
/// let mut line = Vec::new();
/// OutputFormat::Combined.encode(&anonymizer.apply(&raw), &mut line);
/// assert_eq!(
///     String::from_utf8(line).unwrap(),
///     "198.0.0.0 - - [24/Nov/2026:09:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"-\"\n"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OutputFormat {
    /// One JSON object per line with the fields documented in `docs/privacy-model.md`.
    Json,
    /// NCSA combined log format (common plus referrer and user agent).
    Combined,
    /// NCSA common log format.
    Common,
}

impl OutputFormat {
    /// Appends `record` as one line, newline included.
    pub fn encode(self, record: &AnonRecord, out: &mut Vec<u8>) {
        match self {
            Self::Json => json::encode(record, out),
            Self::Combined => clf::encode(record, true, out),
            Self::Common => clf::encode(record, false, out),
        }
    }

    /// The format's name as the command line spells it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Combined => "combined",
            Self::Common => "common",
        }
    }
}

impl FromStr for OutputFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "combined" => Ok(Self::Combined),
            "common" => Ok(Self::Common),
            _ => Err(UnknownFormat),
        }
    }
}

/// A format name other than `json`, `combined` or `common`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format; expected json, combined or common")]
pub struct UnknownFormat;

/// Appends the decimal digits of `n`.
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        // `n % 10` is a single digit.
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `n` as exactly `width` decimal digits (zero-padded, most significant cut).
pub(crate) fn push_padded(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Appends a year as four digits (other years, which no clock or log produces, as they are).
pub(crate) fn push_year(out: &mut Vec<u8>, year: i64) {
    if (0..=9999).contains(&year) {
        push_padded(out, year.unsigned_abs(), 4);
    } else {
        out.extend_from_slice(year.to_string().as_bytes());
    }
}

/// Appends an address in its standard text form (IPv4 without the formatting machinery).
pub(crate) fn push_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_decimal(out, u64::from(octet));
            }
        }
        std::net::IpAddr::V6(v6) => {
            use std::io::Write as _;
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{v6}");
        }
    }
}

/// Appends a visitor pseudonym as 16 lower-case hex digits.
pub(crate) fn push_visitor(out: &mut Vec<u8>, visitor: VisitorId) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let v = visitor.as_u64();
    for shift in (0..16).rev() {
        out.push(HEX[usize::try_from((v >> (shift * 4)) & 0xf).unwrap_or_default()]);
    }
}

/// The value of a visitor pseudonym as [`push_visitor`] writes it (exactly 16 lower-case
/// hex digits), or `None` for any other text.
pub(crate) fn read_visitor(text: &[u8]) -> Option<u64> {
    if text.len() != 16 || !text.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(text).ok()?, 16).ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::{Outcome, RawRecord};
    use crate::time::Timestamp;
    use crate::{Anonymizer, Policy};
    use proptest::prelude::*;
    use std::time::Duration;

    /// A record with every field set, anonymized under the strict policy without pseudonyms
    /// and with `page` and `accept-language` allowed.
    pub(crate) fn known_record() -> AnonRecord {
        let policy = Policy::from_toml_str(
            "[visitor]\nenabled = false\n[query]\nallow = [\"page\"]\n\
             [headers]\nallow = [\"accept-language\"]",
        )
        .expect("valid policy");
        let anonymizer = Anonymizer::new(policy).expect("valid policy");
        let time = Timestamp::from_utc(2026, 11, 24, 9, 30, 15, 123).expect("valid time");
        let raw = RawRecord::builder(time)
            .client_text("203.0.113.45:51234")
            .method("GET")
            .target("/orders/123456/items?page=2&email=carol%40example.org")
            .protocol("HTTP/1.1")
            .host("Shop.Example.com:443")
            .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0")
            .referrer("https://www.example.org/search?q=carol")
            .status(200)
            .bytes(5123)
            .time_to_head(Duration::from_micros(1500))
            .duration(Duration::from_nanos(12_345_678))
            .outcome(Outcome::Completed)
            .header("Accept-Language", "en-GB")
            .header("Cookie", "session=abc")
            .build();
        anonymizer.apply(&raw)
    }

    /// A record with nothing known but its time, and a path full of bytes to escape.
    pub(crate) fn hostile_record() -> AnonRecord {
        let anonymizer = Anonymizer::new(Policy::strict()).expect("valid policy");
        let time = Timestamp::from_utc(2026, 1, 2, 3, 4, 5, 6).expect("valid time");
        let raw = RawRecord::builder(time)
            .target(&b"/a\x1b[31m\"b\\c\x00\x7f\xff/\n"[..])
            .build();
        anonymizer.apply(&raw)
    }

    /// Encodes `record` as `format`.
    pub(crate) fn encoded(format: OutputFormat, record: &AnonRecord) -> String {
        let mut out = Vec::new();
        format.encode(record, &mut out);
        String::from_utf8(out).expect("encoders write UTF-8")
    }

    #[test]
    fn visitors_are_sixteen_hex_digits() {
        for (bits, shown) in [
            (0, "0000000000000000"),
            (0x8e97_dc1e_3b49_26af, "8e97dc1e3b4926af"),
        ] {
            let mut out = Vec::new();
            push_visitor(&mut out, VisitorId(bits));
            assert_eq!(out, shown.as_bytes());
        }
    }

    #[test]
    fn years_are_four_digits_when_they_fit() {
        for (year, shown) in [
            (2026, "2026"),
            (7, "0007"),
            (9999, "9999"),
            (10_000, "10000"),
            (-1, "-1"),
        ] {
            let mut out = Vec::new();
            push_year(&mut out, year);
            assert_eq!(out, shown.as_bytes());
        }
    }

    #[test]
    fn only_pseudonyms_read_as_visitors() {
        assert_eq!(
            read_visitor(b"0123456789abcdef"),
            Some(0x0123_4567_89ab_cdef)
        );
        for other in [
            "0123456789ABCDEF",
            "0123456789abcde",
            "0123456789abcdef0",
            "-",
            "carol",
        ] {
            assert_eq!(read_visitor(other.as_bytes()), None, "{other}");
        }
    }

    proptest! {
        #[test]
        fn digits_match_std(n: u64, ip: u32, v6: u128) {
            let mut out = Vec::new();
            push_decimal(&mut out, n);
            prop_assert_eq!(String::from_utf8(out).expect("ascii"), n.to_string());
            let mut out = Vec::new();
            push_padded(&mut out, n % 1000, 3);
            prop_assert_eq!(String::from_utf8(out).expect("ascii"), format!("{:03}", n % 1000));
            prop_assert_eq!(read_visitor(format!("{n:016x}").as_bytes()), Some(n));
            for ip in [std::net::IpAddr::from(ip.to_be_bytes()), std::net::IpAddr::from(v6.to_be_bytes())] {
                let mut out = Vec::new();
                push_ip(&mut out, ip);
                prop_assert_eq!(String::from_utf8(out).expect("ascii"), ip.to_string());
            }
        }
    }
}
