//! JSON access-log lines: nginx `escape=json` logs, Caddy's access log, and others through
//! a field mapping.
//!
//! Each record field is looked up under a list of key paths (`request>headers>User-Agent`
//! walks nested objects); the first present wins. A policy's `[input.json]` section puts
//! its own paths in front of the built-in ones. Keys that no path names are never read.

use std::borrow::Cow;

use serde_json::Value;

use super::{AuditLine, Reject, clf};
use crate::anonymize::{TrustedProxies, parse_client_ip};
use crate::policy::JsonFields;
use crate::record::RawRecord;
use crate::time::Timestamp;

/// Key paths per record field, built-in ones last.
#[derive(Debug, Clone)]
pub(crate) struct JsonMapping {
    time: Vec<Vec<String>>,
    client: Vec<Vec<String>>,
    forwarded_for: Vec<Vec<String>>,
    request: Vec<Vec<String>>,
    method: Vec<Vec<String>>,
    target: Vec<Vec<String>>,
    protocol: Vec<Vec<String>>,
    host: Vec<Vec<String>>,
    status: Vec<Vec<String>>,
    bytes: Vec<Vec<String>>,
    referrer: Vec<Vec<String>>,
    user_agent: Vec<Vec<String>>,
    duration: Vec<Vec<String>>,
    /// Audits only (empty otherwise): anonlog's own output keys and the columns a record
    /// does not hold.
    audit: AuditPaths,
}

/// Key paths only an audit reads: anonlog's own output (`src/format/json.rs`) writes the
/// target as `path` and `query` and the client as `network`; visitor and user columns are
/// not part of a record.
#[derive(Debug, Clone, Default)]
struct AuditPaths {
    client: Vec<Vec<String>>,
    path: Vec<Vec<String>>,
    query: Vec<Vec<String>>,
    visitor: Vec<Vec<String>>,
    user: Vec<Vec<String>>,
}

fn paths(custom: &[String], builtin: &[&str]) -> Vec<Vec<String>> {
    custom
        .iter()
        .map(String::as_str)
        .chain(builtin.iter().copied())
        .map(|p| p.split('>').map(str::to_owned).collect())
        .collect()
}

impl JsonMapping {
    pub(crate) fn new(custom: &JsonFields) -> Self {
        Self {
            time: paths(
                &custom.time,
                &[
                    "time_iso8601",
                    "time_local",
                    "@timestamp",
                    "timestamp",
                    "time",
                    "ts",
                    "msec",
                ],
            ),
            client: paths(
                &custom.client,
                &[
                    "request>client_ip",
                    "remote_addr",
                    "client_ip",
                    "client",
                    "ip",
                    "request>remote_ip",
                    "remote_ip",
                ],
            ),
            forwarded_for: paths(
                &custom.forwarded_for,
                &["http_x_forwarded_for", "x_forwarded_for"],
            ),
            request: paths(&custom.request, &["request"]),
            method: paths(
                &custom.method,
                &["request_method", "method", "request>method"],
            ),
            target: paths(
                &custom.target,
                &["request_uri", "uri", "request>uri", "url"],
            ),
            protocol: paths(
                &custom.protocol,
                &["server_protocol", "protocol", "request>proto"],
            ),
            host: paths(&custom.host, &["host", "http_host", "request>host"]),
            status: paths(&custom.status, &["status", "status_code"]),
            bytes: paths(
                &custom.bytes,
                &["body_bytes_sent", "bytes_sent", "size", "bytes"],
            ),
            referrer: paths(
                &custom.referrer,
                &[
                    "http_referer",
                    "referer",
                    "referrer",
                    "request>headers>Referer",
                ],
            ),
            user_agent: paths(
                &custom.user_agent,
                &[
                    "http_user_agent",
                    "user_agent",
                    "ua",
                    "request>headers>User-Agent",
                ],
            ),
            duration: paths(&custom.duration, &["request_time", "duration"]),
            audit: AuditPaths::default(),
        }
    }

    /// The mapping an audit reads with: the anonymizer's, then anonlog's own output keys,
    /// and the visitor and user columns.
    pub(crate) fn for_audit(custom: &JsonFields) -> Self {
        let own = |keys: &[&str]| paths(&[], keys);
        Self {
            audit: AuditPaths {
                client: own(&["network"]),
                path: own(&["path"]),
                query: own(&["query"]),
                visitor: own(&["visitor"]),
                user: own(&["remote_user", "user_id", "user", "ident"]),
            },
            ..Self::new(custom)
        }
    }
}

/// The first value found under any of `paths`; header arrays give their first element.
fn lookup<'v>(root: &'v Value, paths: &[Vec<String>]) -> Option<&'v Value> {
    paths.iter().find_map(|path| {
        let mut v = root;
        for key in path {
            v = v.as_object()?.get(key)?;
        }
        let v = match v {
            Value::Array(items) => items.first()?,
            v => v,
        };
        (!v.is_null()).then_some(v)
    })
}

/// Looks fields up in one object; when auditing, remembers which values were read.
struct Fields<'v> {
    root: &'v Value,
    read: Option<Vec<&'v Value>>,
}

impl<'v> Fields<'v> {
    /// The value under the first present path, remembered as read.
    fn get(&mut self, paths: &[Vec<String>]) -> Option<&'v Value> {
        let v = lookup(self.root, paths)?;
        self.mark(v);
        Some(v)
    }

    fn mark(&mut self, v: &'v Value) {
        if let Some(read) = &mut self.read {
            read.push(v);
        }
    }
}

fn text(v: &Value) -> Option<Cow<'_, [u8]>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_bytes())),
        Value::Number(n) => Some(Cow::Owned(n.to_string().into_bytes())),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A timestamp as nginx (`time_local`, `time_iso8601`, `msec`), Caddy (`ts`, seconds as a
/// float) or other tools (RFC 3339 strings) write it.
fn timestamp(v: &Value) -> Option<Timestamp> {
    match v {
        Value::Number(n) => seconds(n.as_f64()?),
        Value::String(s) => {
            let b = s.as_bytes();
            clf::parse_clf_time(b)
                .or_else(|| parse_rfc3339(b))
                .or_else(|| seconds(s.parse().ok()?))
        }
        _ => None,
    }
}

/// Seconds since the epoch (within years 1970–9999).
fn seconds(s: f64) -> Option<Timestamp> {
    if !(0.0..253_402_300_800.0).contains(&s) {
        return None;
    }
    // Bounded above, so the conversion is exact enough and cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    Some(Timestamp::from_unix_millis((s * 1000.0).round() as i64))
}

/// `2026-11-24T04:05:06[.fff…](Z|±hh:mm)`, also with a space instead of `T`.
pub(crate) fn parse_rfc3339(t: &[u8]) -> Option<Timestamp> {
    if t.len() < 20
        || t[4] != b'-'
        || t[7] != b'-'
        || !matches!(t[10], b'T' | b't' | b' ')
        || t[13] != b':'
        || t[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = &t[r];
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |a, b| a * 10 + u32::from(b - b'0')))
    };
    let mut rest = &t[19..];
    let mut milli = 0u32;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        milli = frac[..n.min(3)]
            .iter()
            .fold(0, |a, b| a * 10 + u32::from(b - b'0'))
            * 10u32.pow(3 - u32::try_from(n.min(3)).ok()?);
        rest = &frac[n..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        o => clf::parse_offset(o)?,
    };
    let local = Timestamp::from_utc(
        i64::from(num(0..4)?),
        u8::try_from(num(5..7)?).ok()?,
        u8::try_from(num(8..10)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(14..16)?).ok()?,
        u8::try_from(num(17..19)?).ok()?,
        u16::try_from(milli).ok()?,
    )?;
    Some(Timestamp::from_unix_millis(
        local.unix_millis() - i64::from(offset) * 60_000,
    ))
}

/// Parses one JSON line into a record owning its fields.
pub(crate) fn parse_json(
    line: &[u8],
    mapping: &JsonMapping,
    proxies: &TrustedProxies,
) -> Result<RawRecord<'static>, Reject> {
    let root = parse_object(line)?;
    let mut fields = Fields {
        root: &root,
        read: None,
    };
    record(&mut fields, mapping, proxies)
}

fn parse_object(line: &[u8]) -> Result<Value, Reject> {
    let root: Value = serde_json::from_slice(line).map_err(|_| Reject::InvalidJson)?;
    if !root.is_object() {
        return Err(Reject::InvalidJson);
    }
    Ok(root)
}

/// The record of one JSON object.
fn record(
    fields: &mut Fields<'_>,
    mapping: &JsonMapping,
    proxies: &TrustedProxies,
) -> Result<RawRecord<'static>, Reject> {
    let time = fields.get(&mapping.time).ok_or(Reject::MissingTimestamp)?;
    let time = timestamp(time).ok_or(Reject::InvalidTimestamp)?;
    let owned = |v: Option<&Value>| v.and_then(text).map(Cow::into_owned);
    let mut b = RawRecord::builder(time);

    if let Some(request) = lookup(fields.root, &mapping.request).filter(|v| v.is_string()) {
        fields.mark(request);
        let request = owned(Some(request)).unwrap_or_default();
        b = clf::request_line(b, Cow::Owned(request))?;
    } else {
        let target = owned(fields.get(&mapping.target))
            .or_else(|| own_target(fields, mapping))
            .ok_or(Reject::MalformedRequest)?;
        b = b.target(target);
        if let Some(method) = owned(fields.get(&mapping.method)) {
            b = b.method(method);
        }
        if let Some(protocol) = owned(fields.get(&mapping.protocol)) {
            b = b.protocol(protocol);
        }
    }

    let client = fields
        .get(&mapping.client)
        .or_else(|| fields.get(&mapping.audit.client));
    if let Some(client) = owned(client) {
        let forwarded = owned(lookup(fields.root, &mapping.forwarded_for));
        b = match (parse_client_ip(&client), forwarded) {
            (Some(peer), Some(xff)) if !proxies.is_empty() && xff != b"-" => {
                match proxies.resolve(peer, [], [&xff[..]]) {
                    Some(ip) => b.client_ip(ip),
                    None => b,
                }
            }
            (Some(peer), _) => b.client_ip(peer),
            (None, _) => b.client_text(client),
        };
    }
    if let Some(status) = fields.get(&mapping.status) {
        let status = text(status)
            .and_then(|s| clf::parse_status(&s))
            .ok_or(Reject::InvalidStatus)?;
        b = b.status(status);
    }
    if let Some(bytes) = fields.get(&mapping.bytes) {
        let bytes = text(bytes)
            .and_then(|s| clf::parse_bytes(&s))
            .ok_or(Reject::InvalidBytes)?;
        if let Some(bytes) = bytes {
            b = b.bytes(bytes);
        }
    }
    if let Some(host) = owned(fields.get(&mapping.host)) {
        b = b.host(host);
    }
    if let Some(referrer) = owned(fields.get(&mapping.referrer)) {
        b = b.referrer(referrer);
    }
    if let Some(agent) = owned(fields.get(&mapping.user_agent)) {
        b = b.user_agent(agent);
    }
    if let Some(secs) = fields.get(&mapping.duration).and_then(number)
        && secs.is_finite()
        && secs >= 0.0
    {
        b = b.duration(std::time::Duration::from_secs_f64(secs.min(1e9)));
    }
    Ok(b.build())
}

/// anonlog's own target: `path`, and `?query` when there is one (audits only).
fn own_target(fields: &mut Fields<'_>, mapping: &JsonMapping) -> Option<Vec<u8>> {
    let mut target = text(fields.get(&mapping.audit.path)?)?.into_owned();
    if let Some(query) = fields.get(&mapping.audit.query).and_then(text) {
        target.push(b'?');
        target.extend_from_slice(&query);
    }
    Some(target)
}

/// Parses one JSON object for an audit: the record when the object is one, the visitor
/// and user columns, and every other string or number value with its key.
pub(crate) fn parse_json_for_audit(
    line: &[u8],
    mapping: &JsonMapping,
    proxies: &TrustedProxies,
) -> Result<AuditLine<'static>, Reject> {
    let root = parse_object(line)?;
    let mut fields = Fields {
        root: &root,
        read: Some(Vec::new()),
    };
    let record = record(&mut fields, mapping, proxies).ok();
    if record.is_none() {
        // Nothing of an object that is not a record was read: all of it is scanned as text.
        fields.read = Some(Vec::new());
    }
    let mut column = |paths| {
        fields
            .get(paths)
            .and_then(text)
            .map(|t| Cow::Owned(t.into_owned()))
    };
    let ident = column(&mapping.audit.visitor);
    let user = column(&mapping.audit.user);
    let read = fields.read.unwrap_or_default();
    let mut unread = Vec::new();
    walk(&root, "", &mut |key, value| {
        if !read.iter().any(|r| std::ptr::eq(*r, value))
            && let Some(t) = text(value)
        {
            unread.push((Cow::Owned(key.to_owned()), Cow::Owned(t.into_owned())));
        }
    });
    Ok(AuditLine {
        record,
        ident,
        user,
        unread,
        json: true,
    })
}

/// Visits every string and number in `value` with the key it is under.
fn walk<'v>(value: &'v Value, key: &str, visit: &mut impl FnMut(&str, &'v Value)) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, key, visit)),
        Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, k, visit)),
        v => visit(key, v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::ClientAddr;

    fn parse(line: &str, proxies: &TrustedProxies) -> Result<RawRecord<'static>, Reject> {
        parse_json(
            line.as_bytes(),
            &JsonMapping::new(&JsonFields::default()),
            proxies,
        )
    }

    fn text(field: &[u8]) -> &str {
        std::str::from_utf8(field).expect("UTF-8 field")
    }

    /// The client as text: the parsed address, or the raw text the anonymizer will parse.
    fn client(r: &RawRecord<'_>) -> String {
        match &r.client {
            ClientAddr::Unknown => "unknown".to_owned(),
            ClientAddr::Ip(ip) => format!("ip {ip}"),
            ClientAddr::Text(t) => format!("text {}", text(t)),
        }
    }

    #[test]
    fn accepted_lines() {
        let proxies = TrustedProxies::new(["192.0.2.0/24".parse().expect("valid network")]);
        for (line, client_is, request, status, host, agent, unix_millis) in [
            (
                r#"{"time_iso8601":"2026-11-24T08:15:02+01:00","remote_addr":"198.51.100.23","request":"GET /users/42?page=2 HTTP/1.1","status":"200","body_bytes_sent":"5123","http_host":"www.example.com","http_user_agent":"curl/8.5.0"}"#,
                "ip 198.51.100.23",
                ["GET", "/users/42?page=2", "HTTP/1.1"],
                Some(200),
                "www.example.com",
                "curl/8.5.0",
                1_795_504_502_000,
            ),
            (
                r#"{"ts":1795504502.25,"request":{"client_ip":"2001:db8::7","proto":"HTTP/2.0","method":"POST","host":"example.org","uri":"/login","headers":{"User-Agent":["Mozilla/5.0"],"Cookie":["a=b"]}},"status":302,"size":0}"#,
                "ip 2001:db8::7",
                ["POST", "/login", "HTTP/2.0"],
                Some(302),
                "example.org",
                "Mozilla/5.0",
                1_795_504_502_250,
            ),
            (
                r#"{"time_local":"24/Nov/2026:07:15:02 +0000","remote_addr":"192.0.2.10","http_x_forwarded_for":"203.0.113.66, 192.0.2.11","request_uri":"/","request_method":"GET"}"#,
                "ip 203.0.113.66",
                ["GET", "/", ""],
                None,
                "",
                "",
                1_795_504_502_000,
            ),
            (
                r#"{"msec":"1795504502.000","remote_addr":"unix:","uri":"/health"}"#,
                "text unix:",
                ["", "/health", ""],
                None,
                "",
                "",
                1_795_504_502_000,
            ),
        ] {
            let r = parse(line, &proxies).expect(line);
            assert_eq!(client(&r), client_is, "{line}");
            assert_eq!(
                [text(&r.method), text(&r.target), text(&r.protocol)],
                request,
                "{line}"
            );
            assert_eq!(r.status, status, "{line}");
            assert_eq!(
                (text(&r.host), text(&r.user_agent)),
                (host, agent),
                "{line}"
            );
            assert_eq!(r.time.unix_millis(), unix_millis, "{line}");
            assert!(r.headers.is_empty(), "{line}");
        }
    }

    #[test]
    fn untrusted_peers_keep_their_own_address() {
        let line = r#"{"ts":1795504502,"remote_addr":"198.51.100.23","x_forwarded_for":"203.0.113.66","uri":"/"}"#;
        let trusted = TrustedProxies::new(["192.0.2.0/24".parse().expect("valid network")]);
        for proxies in [TrustedProxies::default(), trusted] {
            let r = parse(line, &proxies).expect(line);
            assert_eq!(client(&r), "ip 198.51.100.23");
        }
    }

    #[test]
    fn rejected_lines_with_their_reason() {
        for (line, reason) in [
            ("not json", Reject::InvalidJson),
            ("[1, 2]", Reject::InvalidJson),
            (r#"{"uri":"/"}"#, Reject::MissingTimestamp),
            (r#"{"ts":"yesterday","uri":"/"}"#, Reject::InvalidTimestamp),
            (
                r#"{"time_iso8601":"2026-13-01T00:00:00Z","uri":"/"}"#,
                Reject::InvalidTimestamp,
            ),
            (r#"{"ts":1795504502}"#, Reject::MalformedRequest),
            (
                r#"{"ts":1795504502,"request":"GET"}"#,
                Reject::MalformedRequest,
            ),
            (
                r#"{"ts":1795504502,"uri":"/","status":"2000"}"#,
                Reject::InvalidStatus,
            ),
            (
                r#"{"ts":1795504502,"uri":"/","status":true}"#,
                Reject::InvalidStatus,
            ),
            (
                r#"{"ts":1795504502,"uri":"/","bytes_sent":"12 kB"}"#,
                Reject::InvalidBytes,
            ),
        ] {
            assert_eq!(
                parse(line, &TrustedProxies::default()).err(),
                Some(reason),
                "{line}"
            );
        }
    }
}
