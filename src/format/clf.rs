//! NCSA common and combined log format, as nginx and Apache write it.
//!
//! `network visitor - [time] "method path?query protocol" status bytes "referrer" "agent"`
//!
//! The visitor pseudonym takes the ident column (`-` when there is none); the user column is
//! always `-`. The user-agent column holds the synthetic reduced user agent
//! (`synthetic_agent.rs`). Quoted fields
//! are [`SafeText`](crate::record::SafeText) and can never contain a `"`.

use super::{push_decimal, push_ip, push_padded, push_visitor, push_year};
use crate::record::AnonRecord;
use crate::time::MONTHS;

pub(super) fn encode(r: &AnonRecord, combined: bool, out: &mut Vec<u8>) {
    match r.network {
        Some(ip) => push_ip(out, ip),
        None => out.push(b'-'),
    }
    out.push(b' ');
    match r.visitor {
        Some(v) => push_visitor(out, v),
        None => out.push(b'-'),
    }
    out.extend_from_slice(b" - [");
    let c = r.time.civil();
    push_padded(out, u64::from(c.day), 2);
    out.push(b'/');
    out.extend_from_slice(MONTHS[usize::from(c.month - 1)].as_bytes());
    out.push(b'/');
    push_year(out, c.year);
    for value in [c.hour, c.minute, c.second] {
        out.push(b':');
        push_padded(out, u64::from(value), 2);
    }
    out.extend_from_slice(b" +0000] \"");
    out.extend_from_slice(r.method.unwrap_or("-").as_bytes());
    out.push(b' ');
    out.extend_from_slice(r.path.as_str().as_bytes());
    if let Some(q) = r.query() {
        out.push(b'?');
        out.extend_from_slice(q.as_str().as_bytes());
    }
    if let Some(protocol) = r.protocol {
        out.push(b' ');
        out.extend_from_slice(protocol.as_bytes());
    }
    out.extend_from_slice(b"\" ");
    match r.status {
        Some(s) => push_decimal(out, u64::from(s)),
        None => out.push(b'-'),
    }
    out.push(b' ');
    match r.bytes {
        Some(b) => push_decimal(out, b),
        None => out.push(b'-'),
    }
    if combined {
        out.extend_from_slice(b" \"");
        out.extend_from_slice(r.referrer().map_or("-", |t| t.as_str()).as_bytes());
        out.extend_from_slice(b"\" \"");
        match &r.user_agent {
            Some(ua) => ua.write_synthetic(out),
            None => out.push(b'-'),
        }
        out.push(b'"');
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use crate::format::OutputFormat;
    use crate::format::tests::{encoded, hostile_record, known_record};
    use crate::record::VisitorId;

    #[test]
    fn known_record_in_each_clf_variant() {
        let mut record = known_record();
        let combined = "203.0.0.0 - - [24/Nov/2026:09:30:15 +0000] \"GET /orders/:num/items?page=2 HTTP/1.1\" 200 5123 \"https://www.example.org\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\"\n";
        let common = "203.0.0.0 - - [24/Nov/2026:09:30:15 +0000] \"GET /orders/:num/items?page=2 HTTP/1.1\" 200 5123\n";
        assert_eq!(encoded(OutputFormat::Combined, &record), combined);
        assert_eq!(encoded(OutputFormat::Common, &record), common);
        record.visitor = Some(VisitorId(0x0475_6589_34c7_40e5));
        assert_eq!(
            encoded(OutputFormat::Common, &record),
            common.replace(" - - [", " 0475658934c740e5 - [")
        );
    }

    #[test]
    fn unknown_fields_are_dashes_and_controls_are_escaped() {
        let record = hostile_record();
        assert_eq!(
            encoded(OutputFormat::Combined, &record),
            "- - - [02/Jan/2026:03:04:05 +0000] \"- /a\\x1B[31m\\x22b\\x5Cc\\x00\\x7F\\xFF/\\x0A\" - - \"-\" \"-\"\n"
        );
    }
}
