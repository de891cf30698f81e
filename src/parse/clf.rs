//! NCSA common and combined log lines, as nginx and Apache write them.
//!
//! `host ident user [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 2326 "referer" "agent"`
//!
//! Quoted fields may carry nginx's `\xHH` escapes and Apache's `\"`/`\\` escapes; they are
//! decoded for analysis (the anonymizer escapes its output anew). Fields after the user
//! agent (custom formats often append some) are ignored, never copied.

use std::borrow::Cow;

use super::Reject;
use std::cell::Cell;

use crate::record::{ClientAddr, RawRecord, RawRecordBuilder};
use crate::time::{MONTHS, Timestamp};

/// A line split into its fields, borrowing from the line where nothing was escaped.
pub(crate) struct ClfLine<'a> {
    pub(crate) record: RawRecord<'a>,
    /// Whether the line had the combined format's referrer and user-agent fields.
    pub(crate) combined: bool,
    /// The ident column (where anonlog writes its visitor pseudonym); not in the record.
    pub(crate) ident: &'a [u8],
    /// The user column: everything between the ident column and the ` [`; not in the record.
    pub(crate) user: &'a [u8],
    /// Fields after the user agent, which custom formats append; not in the record.
    pub(crate) trailer: &'a [u8],
}

/// The last timestamp text parsed and its value: consecutive lines usually share their
/// second, so most lines skip the calendar arithmetic.
#[derive(Debug, Default)]
pub(crate) struct TimeCache(Cell<Option<([u8; TIME_CACHE_LEN], Timestamp)>>);

const TIME_CACHE_LEN: usize = 26;

impl Clone for TimeCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl TimeCache {
    fn parse(&self, text: &[u8]) -> Option<Timestamp> {
        if let (Some((last, time)), Ok(key)) =
            (self.0.get(), <[u8; TIME_CACHE_LEN]>::try_from(text))
            && last == key
        {
            return Some(time);
        }
        let time = parse_clf_time(text)?;
        if let Ok(key) = <[u8; TIME_CACHE_LEN]>::try_from(text) {
            self.0.set(Some((key, time)));
        }
        Some(time)
    }
}

/// Whether a status of `-` is read as no status. anonlog writes `-` for a record without
/// one; only audits read it, the anonymizer rejects such lines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MissingStatus {
    /// `-` is an invalid status.
    Reject,
    /// `-` is no status.
    Accept,
}

/// Parses one line (without its line break).
pub(crate) fn parse_clf<'a>(
    line: &'a [u8],
    times: &TimeCache,
    missing_status: MissingStatus,
) -> Result<ClfLine<'a>, Reject> {
    let mut rest = line;
    let host = token(&mut rest).ok_or(Reject::Malformed)?;
    // Ident and user are not part of the record; the user field can hold anything up to
    // the ` [`.
    let open = memchr::memchr(b'[', rest)
        .filter(|&i| i > 0 && rest[i - 1] == b' ')
        .ok_or(Reject::Malformed)?;
    let (ident, user) = match memchr::memchr(b' ', &rest[..open - 1]) {
        Some(i) => (&rest[..i], &rest[i + 1..open - 1]),
        None => (&rest[..open - 1], &b""[..]),
    };
    rest = &rest[open + 1..];
    let close = memchr::memchr(b']', rest).ok_or(Reject::Malformed)?;
    let time = times
        .parse(&rest[..close])
        .ok_or(Reject::InvalidTimestamp)?;
    rest = rest[close + 1..]
        .strip_prefix(b" ")
        .ok_or(Reject::Malformed)?;
    let request = quoted(&mut rest).ok_or(Reject::Malformed)?;
    rest = rest.strip_prefix(b" ").ok_or(Reject::Malformed)?;
    let status = token(&mut rest).ok_or(Reject::Malformed)?;
    let status = match parse_status(status) {
        Some(status) => Some(status),
        None if status == b"-" && missing_status == MissingStatus::Accept => None,
        None => return Err(Reject::InvalidStatus),
    };
    let bytes = token(&mut rest).ok_or(Reject::Malformed)?;
    let bytes = parse_bytes(bytes).ok_or(Reject::InvalidBytes)?;
    let (method, target, protocol) = request_fields(request)?;

    let combined = rest.first() == Some(&b'"');
    let (referrer, user_agent) = if combined {
        let referrer = quoted(&mut rest).ok_or(Reject::Malformed)?;
        rest = rest.strip_prefix(b" ").ok_or(Reject::Malformed)?;
        let agent = quoted(&mut rest).ok_or(Reject::Malformed)?;
        if !(rest.is_empty() || rest[0] == b' ') {
            return Err(Reject::Malformed);
        }
        (referrer, agent)
    } else if rest.is_empty() {
        (Cow::Borrowed(&b""[..]), Cow::Borrowed(&b""[..]))
    } else {
        return Err(Reject::Malformed);
    };
    // Built in place: this is the hot path of the command-line tool.
    let record = RawRecord {
        time,
        client: ClientAddr::Text(Cow::Borrowed(host)),
        method,
        target,
        route: None,
        protocol,
        host: Cow::Borrowed(b""),
        user_agent,
        referrer,
        status,
        bytes,
        time_to_head: None,
        duration: None,
        outcome: None,
        headers: Vec::new(),
    };
    Ok(ClfLine {
        record,
        combined,
        ident,
        user,
        trailer: rest,
    })
}

/// Splits `"METHOD target PROTOCOL"` into the builder's fields.
pub(super) fn request_line<'a>(
    builder: RawRecordBuilder<'a>,
    request: Cow<'a, [u8]>,
) -> Result<RawRecordBuilder<'a>, Reject> {
    let (method, target, protocol) = request_fields(request)?;
    Ok(builder.method(method).target(target).protocol(protocol))
}

/// Method, target and protocol.
type RequestFields<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Method, target and protocol of a request line.
fn request_fields(request: Cow<'_, [u8]>) -> Result<RequestFields<'_>, Reject> {
    let parts = split_request(&request).ok_or(Reject::MalformedRequest)?;
    Ok(match request {
        Cow::Borrowed(r) => (
            Cow::Borrowed(&r[parts.0]),
            Cow::Borrowed(&r[parts.1]),
            Cow::Borrowed(&r[parts.2]),
        ),
        Cow::Owned(r) => (
            Cow::Owned(r[parts.0].to_vec()),
            Cow::Owned(r[parts.1].to_vec()),
            Cow::Owned(r[parts.2].to_vec()),
        ),
    })
}

type Span = std::ops::Range<usize>;

/// Method, target and protocol ranges of a request line; the protocol may be absent
/// (HTTP/0.9). A target containing spaces (a malformed client) keeps them.
fn split_request(r: &[u8]) -> Option<(Span, Span, Span)> {
    let first = memchr::memchr(b' ', r)?;
    let method = 0..first;
    if method.is_empty()
        || !r[method.clone()]
            .iter()
            .all(|b| b.is_ascii_alphabetic() || *b == b'-' || *b == b'_')
    {
        return None;
    }
    let after = first + 1;
    let (target, protocol) = match memchr::memrchr(b' ', r) {
        Some(last) if last > first && r[last + 1..].starts_with(b"HTTP/") => {
            (after..last, last + 1..r.len())
        }
        _ => (after..r.len(), r.len()..r.len()),
    };
    if target.is_empty() {
        return None;
    }
    Some((method, target, protocol))
}

/// The next space-separated token; advances past it and one space.
fn token<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    let tok = &rest[..end];
    *rest = rest.get(end + 1..).unwrap_or_default();
    (!tok.is_empty()).then_some(tok)
}

/// A `"…"` field at the start of `rest`, decoded; advances past the closing quote.
///
/// A quote preceded by an odd number of backslashes is part of the field (Apache's `\"`).
fn quoted<'a>(rest: &mut &'a [u8]) -> Option<Cow<'a, [u8]>> {
    let body = rest.strip_prefix(b"\"")?;
    let mut from = 0;
    let end = loop {
        let q = from + memchr::memchr(b'"', &body[from..])?;
        let backslashes = body[..q].iter().rev().take_while(|&&b| b == b'\\').count();
        if backslashes % 2 == 0 {
            break q;
        }
        from = q + 1;
    };
    *rest = &body[end + 1..];
    Some(unescape(&body[..end]))
}

/// Decodes `\xHH`, `\"`, `\\`, `\n`, `\r`, `\t`; other backslashes stay as they are.
pub(crate) fn unescape(field: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', field).is_none() {
        return Cow::Borrowed(field);
    }
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b == b'\\' && i + 1 < field.len() {
            let decoded = match field[i + 1] {
                b'x' if i + 3 < field.len() => hex_byte(field[i + 2], field[i + 3]).map(|v| (v, 4)),
                b'"' => Some((b'"', 2)),
                b'\\' => Some((b'\\', 2)),
                b'n' => Some((b'\n', 2)),
                b'r' => Some((b'\r', 2)),
                b't' => Some((b'\t', 2)),
                _ => None,
            };
            if let Some((v, len)) = decoded {
                out.push(v);
                i += len;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

fn hex_byte(h: u8, l: u8) -> Option<u8> {
    let v = |c: u8| char::from(c).to_digit(16);
    u8::try_from(v(h)? << 4 | v(l)?).ok()
}

/// Parses `10/Oct/2000:13:55:36 -0700` (optionally with fractional seconds) as UTC.
pub(crate) fn parse_clf_time(t: &[u8]) -> Option<Timestamp> {
    // dd/Mon/yyyy:HH:MM:SS[.fff] +hhmm
    if t.len() < 26
        || t[2] != b'/'
        || t[6] != b'/'
        || t[11] != b':'
        || t[14] != b':'
        || t[17] != b':'
    {
        return None;
    }
    let day = digits(&t[0..2])?;
    let month = MONTHS.iter().position(|m| m.as_bytes() == &t[3..6])?;
    let year = digits(&t[7..11])?;
    let hour = digits(&t[12..14])?;
    let minute = digits(&t[15..17])?;
    let second = digits(&t[18..20])?;
    let mut rest = &t[20..];
    let mut milli = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut ms = frac[..n]
            .iter()
            .take(3)
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
        for _ in n..3 {
            ms *= 10;
        }
        milli = ms;
        rest = &frac[n..];
    }
    let offset = parse_offset(rest.strip_prefix(b" ")?)?;
    let local = Timestamp::from_utc(
        i64::from(year),
        u8::try_from(month + 1).ok()?,
        u8::try_from(day).ok()?,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        u16::try_from(milli).ok()?,
    )?;
    Some(Timestamp::from_unix_millis(
        local.unix_millis() - i64::from(offset) * 60_000,
    ))
}

/// `+hhmm`, `-hhmm` or `+hh:mm` as minutes east of UTC.
pub(crate) fn parse_offset(o: &[u8]) -> Option<i32> {
    let (sign, rest) = match o.first()? {
        b'+' => (1, &o[1..]),
        b'-' => (-1, &o[1..]),
        _ => return None,
    };
    let (h, m) = match rest.len() {
        4 => (&rest[..2], &rest[2..]),
        5 if rest[2] == b':' => (&rest[..2], &rest[3..]),
        _ => return None,
    };
    let (h, m) = (digits(h)?, digits(m)?);
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i32::try_from(h * 60 + m).ok()?)
}

fn digits(d: &[u8]) -> Option<u32> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0')))
}

pub(super) fn parse_status(s: &[u8]) -> Option<u16> {
    if s.len() != 3 {
        return None;
    }
    u16::try_from(digits(s)?).ok().filter(|s| *s >= 100)
}

pub(super) fn parse_bytes(b: &[u8]) -> Option<Option<u64>> {
    if b == b"-" {
        return Some(None);
    }
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(Some(
        b.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0')),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ClfLine<'_>, Reject> {
        parse_clf(
            line.as_bytes(),
            &TimeCache::default(),
            MissingStatus::Reject,
        )
    }

    fn text(field: &[u8]) -> &str {
        std::str::from_utf8(field).expect("UTF-8 field")
    }

    #[test]
    fn accepted_lines() {
        for (line, combined, client, request, status, bytes, referrer, agent, unix_millis) in [
            (
                r#"198.51.100.23 - carol [24/Nov/2026:07:15:02 +0000] "GET /users/42?page=2 HTTP/1.1" 200 5123 "https://www.example.com/" "curl/8.5.0""#,
                true,
                "198.51.100.23",
                ["GET", "/users/42?page=2", "HTTP/1.1"],
                200,
                Some(5123),
                "https://www.example.com/",
                "curl/8.5.0",
                1_795_504_502_000,
            ),
            (
                r#"2001:db8::7 - - [24/Nov/2026:08:15:02 +0100] "POST /login HTTP/2.0" 302 -"#,
                false,
                "2001:db8::7",
                ["POST", "/login", "HTTP/2.0"],
                302,
                None,
                "",
                "",
                1_795_504_502_000,
            ),
            (
                r#"203.0.113.9 - - [24/Nov/2026:07:15:02.250 +0000] "GET /a\x22b\\c" 404 0 "-" "say \"hi\"" "extra field""#,
                true,
                "203.0.113.9",
                ["GET", "/a\"b\\c", ""],
                404,
                Some(0),
                "-",
                "say \"hi\"",
                1_795_504_502_250,
            ),
        ] {
            let parsed = parse(line).expect(line);
            let r = &parsed.record;
            assert_eq!(parsed.combined, combined, "{line}");
            assert!(
                matches!(&r.client, ClientAddr::Text(t) if text(t) == client),
                "{line}"
            );
            assert_eq!(
                [text(&r.method), text(&r.target), text(&r.protocol)],
                request,
                "{line}"
            );
            assert_eq!((r.status, r.bytes), (Some(status), bytes), "{line}");
            assert_eq!(
                (text(&r.referrer), text(&r.user_agent)),
                (referrer, agent),
                "{line}"
            );
            assert_eq!(r.time.unix_millis(), unix_millis, "{line}");
        }
    }

    #[test]
    fn rejected_lines_with_their_reason() {
        for (line, reason) in [
            ("", Reject::Malformed),
            (
                "198.51.100.23 - - 24/Nov/2026:07:15:02 +0000 \"GET / HTTP/1.1\" 200 1",
                Reject::Malformed,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1 200 1"#,
                Reject::Malformed,
            ),
            (
                r#"198.51.100.23 - - [31/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 200 1"#,
                Reject::InvalidTimestamp,
            ),
            (
                r#"198.51.100.23 - - [24/Foo/2026:07:15:02 +0000] "GET / HTTP/1.1" 200 1"#,
                Reject::InvalidTimestamp,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 20 1"#,
                Reject::InvalidStatus,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 099 1"#,
                Reject::InvalidStatus,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 200 1k"#,
                Reject::InvalidBytes,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "\x16\x03\x01" 400 0"#,
                Reject::MalformedRequest,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET" 400 0"#,
                Reject::MalformedRequest,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 200 1 "-""#,
                Reject::Malformed,
            ),
            (
                r#"198.51.100.23 - - [24/Nov/2026:07:15:02 +0000] "GET / HTTP/1.1" 200 1 trailing"#,
                Reject::Malformed,
            ),
        ] {
            assert_eq!(parse(line).err(), Some(reason), "{line}");
        }
    }
}
