//! JSON lines. Field names are stable; every field is present, `null` when unknown.

use std::io::Write as _;
use std::time::Duration;

use super::{push_decimal, push_ip, push_padded, push_visitor, push_year};
use crate::record::{AnonRecord, Device, SafeText};

/// Appends a JSON string. [`SafeText`] holds no `"` and no control characters; its only
/// backslashes start `\xHH` escapes, which JSON needs doubled so that decoders see the
/// visible escape, never the raw byte.
fn string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for i in memchr::memchr_iter(b'\\', bytes) {
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(b"\\\\");
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn field(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

fn opt_text(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(t) => string(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_number(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => push_decimal(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Milliseconds with microsecond resolution (`12.345`).
fn opt_millis(out: &mut Vec<u8>, d: Option<Duration>) {
    match d {
        Some(d) => {
            let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
            push_decimal(out, micros / 1000);
            out.push(b'.');
            push_padded(out, micros % 1000, 3);
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// RFC 3339 UTC with milliseconds: `2026-11-24T04:05:06.789Z`.
fn time(out: &mut Vec<u8>, r: &AnonRecord) {
    let c = r.time.civil();
    out.push(b'"');
    push_year(out, c.year);
    for (sep, value, width) in [
        (b'-', u64::from(c.month), 2),
        (b'-', u64::from(c.day), 2),
        (b'T', u64::from(c.hour), 2),
        (b':', u64::from(c.minute), 2),
        (b':', u64::from(c.second), 2),
        (b'.', u64::from(c.milli), 3),
    ] {
        out.push(sep);
        push_padded(out, value, width);
    }
    out.extend_from_slice(b"Z\"");
}

pub(super) fn encode(r: &AnonRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"time\":");
    time(out, r);
    field(out, "network");
    match r.network {
        Some(ip) => {
            out.push(b'"');
            push_ip(out, ip);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    field(out, "visitor");
    match r.visitor {
        Some(v) => {
            out.push(b'"');
            push_visitor(out, v);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    field(out, "method");
    opt_text(out, r.method);
    field(out, "path");
    string(out, r.path.as_str());
    field(out, "query");
    opt_text(out, r.query().map(SafeText::as_str));
    field(out, "protocol");
    opt_text(out, r.protocol);
    field(out, "host");
    opt_text(out, r.host().map(SafeText::as_str));
    field(out, "status");
    opt_number(out, r.status.map(u64::from));
    field(out, "bytes");
    opt_number(out, r.bytes);
    field(out, "referrer");
    opt_text(out, r.referrer().map(SafeText::as_str));
    field(out, "browser");
    opt_text(out, r.user_agent.map(|ua| ua.browser()));
    field(out, "browser_major");
    opt_number(out, r.user_agent.and_then(|ua| ua.major()).map(u64::from));
    field(out, "os");
    opt_text(out, r.user_agent.map(|ua| ua.os()));
    field(out, "os_version");
    match r.user_agent.and_then(|ua| ua.os_version_name()) {
        Some(name) => {
            out.push(b'"');
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{name}");
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    field(out, "device");
    opt_text(
        out,
        r.user_agent
            .map(|ua| ua.device())
            .filter(|d| *d != Device::Unknown)
            .map(Device::as_str),
    );
    field(out, "bot");
    out.extend_from_slice(match r.user_agent.map(|ua| ua.is_bot()) {
        Some(true) => b"true",
        Some(false) => b"false",
        None => b"null",
    });
    field(out, "agent_kind");
    opt_text(out, r.user_agent.map(|ua| ua.kind().as_str()));
    field(out, "agent_name");
    opt_text(out, r.user_agent.and_then(|ua| ua.agent_name()));
    field(out, "time_to_head_ms");
    opt_millis(out, r.time_to_head);
    field(out, "duration_ms");
    opt_millis(out, r.duration);
    field(out, "outcome");
    opt_text(out, r.outcome.map(|o| o.as_str()));
    if !r.headers.is_empty() {
        field(out, "headers");
        out.push(b'{');
        for (n, (name, value)) in r.headers.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            string(out, name);
            out.push(b':');
            string(out, value.as_str());
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use crate::format::OutputFormat;
    use crate::format::tests::{encoded, hostile_record, known_record};

    #[test]
    fn known_record_as_json() {
        assert_eq!(
            encoded(OutputFormat::Json, &known_record()),
            concat!(
                "{\"time\":\"2026-11-24T09:30:15.123Z\",\"network\":\"203.0.0.0\",\"visitor\":null,",
                "\"method\":\"GET\",\"path\":\"/orders/:num/items\",\"query\":\"page=2\",",
                "\"protocol\":\"HTTP/1.1\",\"host\":\"shop.example.com\",\"status\":200,\"bytes\":5123,",
                "\"referrer\":\"https://www.example.org\",\"browser\":\"Firefox\",\"browser_major\":125,",
                "\"os\":\"Linux\",\"os_version\":null,\"device\":\"desktop\",\"bot\":false,",
                "\"agent_kind\":\"browser\",\"agent_name\":null,\"time_to_head_ms\":1.500,\"duration_ms\":12.345,",
                "\"outcome\":\"completed\",\"headers\":{\"accept-language\":\"en-GB\"}}\n"
            )
        );
    }

    #[test]
    fn unknown_fields_are_null_and_escapes_stay_visible() {
        let line = encoded(OutputFormat::Json, &hostile_record());
        assert_eq!(
            line,
            concat!(
                "{\"time\":\"2026-01-02T03:04:05.006Z\",\"network\":null,\"visitor\":null,",
                "\"method\":null,\"path\":\"/a\\\\x1B[31m\\\\x22b\\\\x5Cc\\\\x00\\\\x7F\\\\xFF/\\\\x0A\",",
                "\"query\":null,\"protocol\":null,\"host\":null,\"status\":null,\"bytes\":null,",
                "\"referrer\":null,\"browser\":null,\"browser_major\":null,\"os\":null,",
                "\"os_version\":null,\"device\":null,\"bot\":null,\"agent_kind\":null,\"agent_name\":null,",
                "\"time_to_head_ms\":null,\"duration_ms\":null,\"outcome\":null}\n"
            )
        );
        let value: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(
            value["path"],
            "/a\\x1B[31m\\x22b\\x5Cc\\x00\\x7F\\xFF/\\x0A"
        );
    }
}
