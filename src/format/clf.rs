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
