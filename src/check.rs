//! Auditing a log for residual personal data and re-identification risk.
//!
//! [`Checker`] scans any access log (raw, anonlog's own output, or another tool's) line by
//! line. It knows the combined/common and JSON layouts well enough to look at each field
//! with the right rules, and falls back to scanning a line as free text. Findings carry
//! line numbers and at most a masked hint, never the data found.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use serde_json::Value;

use crate::anonymize::identifiers::{contains_uuid, has_key_prefix, is_token, percent_decode};
use crate::anonymize::parse_client_ip;
use crate::anonymize::user_agent::classify_user_agent;
use crate::policy::Policy;
use crate::record::safe_text::is_hidden_char;
use crate::stream::reader::Chunk;
use crate::stream::runner::{self, Batch, Collect, Job, RunSettings};
use crate::stream::{Input, Progress, StreamError};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Line numbers kept per finding kind.
const FIRST_LINES: usize = 5;

/// What kind of residual personal data was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// An IPv4 address with host bits (beyond /24) set.
    FullIpv4,
    /// An IPv6 address with bits beyond /48 set.
    FullIpv6,
    /// An address more precise than the policy's prefix (but not full precision).
    NetworkBeyondPolicy,
    /// An e-mail address, also percent-encoded.
    Email,
    /// A JSON Web Token.
    Jwt,
    /// A credential with a well-known prefix (`sk_live_…`, `ghp_…`, `AKIA…`).
    ApiKey,
    /// A UUID.
    Uuid,
    /// A run of 16 or more hex digits (outside static-asset names and anonlog's pseudonyms).
    LongHex,
    /// A long token-like base64 string in a URL.
    Token,
    /// A session or credential parameter in a URL (`jsessionid`, `PHPSESSID`, `token`, …).
    SessionParameter,
    /// A query parameter the policy does not allow.
    QueryKeyNotAllowed,
    /// An authenticated user or ident field.
    AuthenticatedUser,
    /// A referrer with a path or query string.
    ReferrerPathOrQuery,
    /// A raw user-agent string (not reduced to browser and OS family).
    RawUserAgent,
    /// A control, escape or bidi character written raw.
    ControlSequence,
}

impl FindingKind {
    /// The machine-readable name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::FullIpv4 => "full_ipv4",
            Self::FullIpv6 => "full_ipv6",
            Self::NetworkBeyondPolicy => "network_beyond_policy",
            Self::Email => "email",
            Self::Jwt => "jwt",
            Self::ApiKey => "api_key",
            Self::Uuid => "uuid",
            Self::LongHex => "long_hex",
            Self::Token => "token",
            Self::SessionParameter => "session_parameter",
            Self::QueryKeyNotAllowed => "query_key_not_allowed",
            Self::AuthenticatedUser => "authenticated_user",
            Self::ReferrerPathOrQuery => "referrer_path_or_query",
            Self::RawUserAgent => "raw_user_agent",
            Self::ControlSequence => "control_sequence",
        }
    }

    /// A short description for people.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::FullIpv4 => "full IPv4 address",
            Self::FullIpv6 => "full IPv6 address",
            Self::NetworkBeyondPolicy => "address beyond policy prefix",
            Self::Email => "e-mail address",
            Self::Jwt => "JSON web token",
            Self::ApiKey => "API key",
            Self::Uuid => "UUID",
            Self::LongHex => "long hex identifier",
            Self::Token => "token-like string",
            Self::SessionParameter => "session parameter",
            Self::QueryKeyNotAllowed => "query key not allowed",
            Self::AuthenticatedUser => "authenticated user",
            Self::ReferrerPathOrQuery => "referrer path/query",
            Self::RawUserAgent => "raw user agent",
            Self::ControlSequence => "control sequence",
        }
    }
}

/// The lines of one finding kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingStat {
    /// How many occurrences.
    pub count: u64,
    /// The first line numbers (1-based) with one.
    pub first_lines: Vec<u64>,
    /// A masked hint of the first occurrence (`ca…@…org`), never the value.
    pub hint: String,
}

/// Re-identification risk from the quasi-identifiers left in the records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Risk {
    /// The group size below which a record counts as at risk.
    pub k: u64,
    /// Records with a day and quasi-identifiers.
    pub records: u64,
    /// Records in a (day, network, browser, OS) group smaller than `k`.
    pub records_in_small_groups: u64,
    /// Distinct (day, visitor pseudonym) pairs.
    pub visitors: u64,
    /// Visitor pseudonyms that are the only one in their network on their day.
    pub visitors_unique_in_network: u64,
}

impl Risk {
    /// Share of records in small groups, in percent.
    pub fn percent(&self) -> f64 {
        if self.records == 0 {
            0.0
        } else {
            self.records_in_small_groups as f64 * 100.0 / self.records as f64
        }
    }
}

/// The result of a check.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Non-blank lines read.
    pub lines: u64,
    /// Findings by kind.
    pub findings: BTreeMap<FindingKind, FindingStat>,
    /// Re-identification risk.
    pub risk: Risk,
}

impl Report {
    /// Occurrences of all kinds.
    pub fn total_findings(&self) -> u64 {
        self.findings.values().map(|f| f.count).sum()
    }
}

/// Scans lines against the privacy model and, optionally, a policy.
#[derive(Debug)]
pub struct Checker {
    policy: Option<Policy>,
    k: u64,
    layout: Option<Layout>,
}

/// How lines are split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// NCSA combined or common log format.
    Clf,
    /// JSON objects.
    Json,
}

/// What one chunk of lines contributes.
#[derive(Debug, Default)]
pub struct Partial {
    lines: u64,
    findings: BTreeMap<FindingKind, FindingStat>,
    groups: HashMap<(i64, String, String), u64>,
    visitors: HashMap<(i64, String), HashSet<String>>,
}

/// How a field of a line is scanned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Anything: addresses, e-mail addresses, JWTs, keys, control characters.
    Text,
    /// A URL (request target, path, query): also UUIDs, hex, tokens, session parameters.
    Url,
    /// A referrer: as a URL, and it must be an origin only.
    Referrer,
    /// A user agent: must be reduced.
    UserAgent,
    /// A user or ident field: must be empty.
    User,
    /// anonlog's visitor pseudonym: 16 hex digits are expected.
    Visitor,
    /// A client network.
    Network,
}

impl Checker {
    /// A checker with group size `k` (at least 1); with a policy, conformance is checked too.
    /// `layout` forces a line layout; `None` detects it per line.
    pub fn new(policy: Option<Policy>, k: u64, layout: Option<Layout>) -> Self {
        Self {
            policy,
            k: k.max(1),
            layout,
        }
    }

    /// Scans a chunk of whole lines whose first line has number `first_line`.
    pub fn scan(&self, chunk: &[u8], first_line: u64) -> Partial {
        let mut partial = Partial::default();
        for (line_no, line) in (first_line..).zip(chunk.split(|&b| b == b'\n')) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            partial.lines += 1;
            self.scan_line(line, line_no, &mut partial);
        }
        partial
    }

    /// Merges partial results, in any order, into a report.
    pub fn finish(&self, partials: impl IntoIterator<Item = Partial>) -> Report {
        let mut report = Report::default();
        let mut groups: HashMap<(i64, String, String), u64> = HashMap::new();
        let mut visitors: HashMap<(i64, String), HashSet<String>> = HashMap::new();
        for p in partials {
            report.lines += p.lines;
            for (kind, stat) in p.findings {
                let entry = report.findings.entry(kind).or_default();
                entry.count += stat.count;
                if entry.hint.is_empty() {
                    entry.hint = stat.hint;
                }
                entry.first_lines.extend(stat.first_lines);
                entry.first_lines.sort_unstable();
                entry.first_lines.truncate(FIRST_LINES);
            }
            for (key, n) in p.groups {
                *groups.entry(key).or_default() += n;
            }
            for (key, set) in p.visitors {
                visitors.entry(key).or_default().extend(set);
            }
        }
        let k = self.k;
        report.risk.k = k;
        report.risk.records = groups.values().sum();
        report.risk.records_in_small_groups = groups.values().filter(|&&n| n < k).sum();
        report.risk.visitors = visitors.values().map(|s| s.len() as u64).sum();
        report.risk.visitors_unique_in_network =
            visitors.values().filter(|s| s.len() == 1).count() as u64;
        report
    }

    fn scan_line(&self, line: &[u8], line_no: u64, out: &mut Partial) {
        // Raw control characters, wherever they are.
        let text = String::from_utf8_lossy(line);
        if let Some(c) = text
            .chars()
            .find(|&c| (c.is_control() && c != '\t') || is_hidden_char(c))
        {
            note(
                out,
                FindingKind::ControlSequence,
                line_no,
                &format!("U+{:04X}", c as u32),
            );
        }
        let fields = match self.layout {
            Some(Layout::Json) => json_fields(line),
            Some(Layout::Clf) => clf_fields(line),
            None if line.first() == Some(&b'{') => json_fields(line),
            None => clf_fields(line),
        };
        let Some(fields) = fields else {
            self.scan_value(Role::Text, &text, line_no, out);
            return;
        };
        let (mut network, mut agent, mut visitor) = (None, None, None);
        for (role, value) in &fields.values {
            self.scan_value(*role, value, line_no, out);
            match role {
                Role::Network => network = Some(value.clone()),
                Role::UserAgent => agent = Some(agent_class(value)),
                Role::Visitor if value != "-" => visitor = Some(value.clone()),
                _ => {}
            }
        }
        if let (Some(day), Some(network)) = (&fields.day, network) {
            let day_key = day_number(day);
            let agent = agent.unwrap_or_else(|| fields.agent_class.clone().unwrap_or_default());
            *out.groups
                .entry((day_key, network.clone(), agent))
                .or_default() += 1;
            if let Some(visitor) = visitor {
                out.visitors
                    .entry((day_key, network))
                    .or_default()
                    .insert(visitor);
            }
        }
    }

    fn scan_value(&self, role: Role, value: &str, line_no: u64, out: &mut Partial) {
        match role {
            Role::User => {
                if !value.is_empty() && value != "-" {
                    note(out, FindingKind::AuthenticatedUser, line_no, &mask(value));
                }
                return;
            }
            // anonlog's own pseudonym column: 16 hex digits are expected there.
            Role::Visitor if value.len() == 16 && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
                return;
            }
            Role::UserAgent if !value.is_empty() && value != "-" && !is_reduced_agent(value) => {
                note(out, FindingKind::RawUserAgent, line_no, &mask(value));
            }
            Role::Referrer => {
                if let Some(rest) = value.split_once("://").map(|(_, r)| r)
                    && let Some(i) = rest.find(['/', '?', '#'])
                    && rest[i..] != *"/"
                {
                    note(out, FindingKind::ReferrerPathOrQuery, line_no, &mask(value));
                }
            }
            _ => {}
        }
        let url = matches!(role, Role::Url | Role::Referrer);
        if url {
            self.scan_query(value, line_no, out, role == Role::Url);
        }
        for word in value.split(is_word_break).filter(|w| !w.is_empty()) {
            self.scan_word(word, url, line_no, out);
        }
    }

    fn scan_query(&self, url: &str, line_no: u64, out: &mut Partial, own: bool) {
        const SESSION_KEYS: &[&str] = &[
            "jsessionid",
            "phpsessid",
            "session_id",
            "sessionid",
            "session",
            "sid",
            "token",
            "access_token",
            "refresh_token",
            "id_token",
            "api_key",
            "apikey",
            "auth",
            "password",
            "passwd",
            "secret",
            "key",
            "code",
            "email",
        ];
        let lower = url.to_ascii_lowercase();
        if lower.contains(";jsessionid=") || lower.contains(";phpsessid=") {
            note(out, FindingKind::SessionParameter, line_no, "jsessionid…");
        }
        let Some((_, query)) = url.split_once('?') else {
            return;
        };
        for pair in query.split('&') {
            let key = pair.split('=').next().unwrap_or_default();
            let key = String::from_utf8_lossy(&percent_decode(key.as_bytes())).to_ascii_lowercase();
            if key.is_empty() {
                continue;
            }
            if SESSION_KEYS.contains(&key.as_str()) {
                note(
                    out,
                    FindingKind::SessionParameter,
                    line_no,
                    &format!("{key}=…"),
                );
            } else if own
                && let Some(policy) = &self.policy
                && !policy
                    .query
                    .allow
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&key))
            {
                note(
                    out,
                    FindingKind::QueryKeyNotAllowed,
                    line_no,
                    &format!("{}…", head(&key, 3)),
                );
            }
        }
    }

    fn scan_word(&self, word: &str, url: bool, line_no: u64, out: &mut Partial) {
        let bytes = word.as_bytes();
        if let Some(ip) = parse_client_ip(bytes.strip_suffix(b".").unwrap_or(bytes)) {
            if let Some(kind) = self.address_finding(ip) {
                note(out, kind, line_no, &mask_ip(ip));
            }
            return;
        }
        let decoded = String::from_utf8_lossy(&percent_decode(bytes)).into_owned();
        if let Some(at) = decoded.find('@') {
            let (local, domain) = (&decoded[..at], &decoded[at + 1..]);
            if !local.is_empty() && domain.contains('.') && !domain.ends_with('.') {
                note(
                    out,
                    FindingKind::Email,
                    line_no,
                    &format!("{}…@…{}", head(local, 2), tail(domain, 3)),
                );
                return;
            }
        }
        if word.starts_with("eyJ") && word.matches('.').count() >= 2 {
            note(out, FindingKind::Jwt, line_no, "eyJ…");
            return;
        }
        if has_key_prefix(bytes) && !word.starts_with("eyJ") {
            note(
                out,
                FindingKind::ApiKey,
                line_no,
                &format!("{}…", head(word, 4)),
            );
            return;
        }
        if word.len() >= 36 && contains_uuid(bytes) {
            note(
                out,
                FindingKind::Uuid,
                line_no,
                &format!("{}…", head(word, 4)),
            );
            return;
        }
        if !url || is_static_asset(&decoded) {
            return;
        }
        // Identifiers are judged by what they encode, not by their percent-escapes.
        for part in decoded.split(is_word_break).filter(|p| !p.is_empty()) {
            if longest_run(part.as_bytes(), u8::is_ascii_hexdigit) >= 16 {
                note(
                    out,
                    FindingKind::LongHex,
                    line_no,
                    &format!("{}…", head(part, 4)),
                );
                return;
            }
            if is_token(part.as_bytes()) {
                note(
                    out,
                    FindingKind::Token,
                    line_no,
                    &format!("{}…", head(part, 3)),
                );
                return;
            }
        }
    }

    fn address_finding(&self, ip: IpAddr) -> Option<FindingKind> {
        let (full, beyond_policy) = match ip {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                let prefix = self
                    .policy
                    .as_ref()
                    .map_or(24, |p| u32::from(p.network.ipv4_prefix));
                (
                    bits & 0xff != 0,
                    bits & u32::MAX.checked_shr(prefix).unwrap_or(0) != 0,
                )
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let prefix = self
                    .policy
                    .as_ref()
                    .map_or(48, |p| u32::from(p.network.ipv6_prefix));
                (
                    bits & (u128::MAX >> 48) != 0,
                    bits & u128::MAX.checked_shr(prefix).unwrap_or(0) != 0,
                )
            }
        };
        match (full, beyond_policy, ip) {
            (true, _, IpAddr::V4(_)) => Some(FindingKind::FullIpv4),
            (true, _, IpAddr::V6(_)) => Some(FindingKind::FullIpv6),
            (false, true, _) => Some(FindingKind::NetworkBeyondPolicy),
            _ => None,
        }
    }
}

/// Splits free text into words that may hold one identifier each.
fn is_word_break(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '<'
                | '>'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | ','
                | ';'
                | '&'
                | '?'
                | '='
                | '/'
                | '#'
                | '|'
                | '\\'
                | '+'
        )
}

fn longest_run(v: &[u8], pred: impl Fn(&u8) -> bool) -> usize {
    let (mut best, mut cur) = (0, 0);
    for b in v {
        cur = if pred(b) { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// Build hashes in asset file names (`app.3f2a9c1b4d5e6f70.js`) name code, not people.
fn is_static_asset(word: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".js", ".mjs", ".css", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif",
        ".ico", ".woff", ".woff2", ".ttf", ".eot", ".wasm", ".json",
    ];
    let lower = word.to_ascii_lowercase();
    EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// Whether `agent` is a reduced user agent as anonlog writes it (CLF's synthetic form).
fn is_reduced_agent(agent: &str) -> bool {
    let class = classify_user_agent(agent.as_bytes());
    let mut synthetic = Vec::new();
    class.write_synthetic(&mut synthetic);
    synthetic == agent.as_bytes()
}

fn agent_class(agent: &str) -> String {
    let class = classify_user_agent(agent.as_bytes());
    format!("{}/{}", class.browser(), class.os())
}

fn note(out: &mut Partial, kind: FindingKind, line_no: u64, hint: &str) {
    let stat = out.findings.entry(kind).or_default();
    stat.count += 1;
    if stat.first_lines.last() != Some(&line_no) && stat.first_lines.len() < FIRST_LINES {
        stat.first_lines.push(line_no);
    }
    if stat.hint.is_empty() {
        // Hints are cut from the line: nothing in them may drive a terminal.
        stat.hint = hint
            .chars()
            .map(|c| {
                if c.is_control() || is_hidden_char(c) {
                    '?'
                } else {
                    c
                }
            })
            .collect();
    }
}

fn head(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn tail(s: &str, n: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

fn mask(value: &str) -> String {
    format!("{}…", head(value, 2).replace(|c: char| c.is_control(), "?"))
}

fn mask_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{}.…", v4.octets()[0]),
        IpAddr::V6(v6) => format!("{:x}:…", v6.segments()[0]),
    }
}

/// Days since the epoch of a CLF or RFC 3339 date, or 0 when unknown.
fn day_number(time: &str) -> i64 {
    let b = time.as_bytes();
    if b.len() >= 11 && b[2] == b'/' && b[6] == b'/' {
        let month = crate::time::MONTHS
            .iter()
            .position(|m| m.as_bytes() == &b[3..6]);
        let num = |s: &[u8]| std::str::from_utf8(s).ok()?.parse::<i64>().ok();
        if let (Some(d), Some(m), Some(y)) = (num(&b[0..2]), month, num(&b[7..11])) {
            return y * 400 + (m as i64) * 32 + d;
        }
    }
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |s: &[u8]| std::str::from_utf8(s).ok()?.parse::<i64>().ok();
        if let (Some(y), Some(m), Some(d)) = (num(&b[0..4]), num(&b[5..7]), num(&b[8..10])) {
            return y * 400 + (m - 1) * 32 + d;
        }
    }
    0
}

/// The fields of a line, each with the role it is checked in.
struct Fields {
    values: Vec<(Role, String)>,
    day: Option<String>,
    agent_class: Option<String>,
}

/// `host ident user [time] "request" status bytes ["referrer" "agent"] …`
fn clf_fields(line: &[u8]) -> Option<Fields> {
    let text = String::from_utf8_lossy(line);
    let (host, rest) = text.split_once(' ')?;
    let (ident, rest) = rest.split_once(' ')?;
    let (user, rest) = rest.split_once(" [")?;
    let (time, rest) = rest.split_once("] ")?;
    let quoted: Vec<&str> = rest.split('"').collect();
    if quoted.len() < 3 || !quoted[0].is_empty() {
        return None;
    }
    let mut values = vec![
        (Role::Network, host.to_owned()),
        (Role::Visitor, ident.to_owned()),
        (Role::User, user.to_owned()),
        (Role::Url, quoted[1].to_owned()),
        (Role::Text, quoted[2].to_owned()),
    ];
    if quoted.len() >= 6 {
        values.push((Role::Referrer, quoted[3].to_owned()));
        values.push((Role::UserAgent, quoted[5].to_owned()));
        for extra in &quoted[6..] {
            values.push((Role::Text, (*extra).to_owned()));
        }
    }
    Some(Fields {
        values,
        day: Some(time.to_owned()),
        agent_class: None,
    })
}

/// Every string value of a JSON object, by key.
fn json_fields(line: &[u8]) -> Option<Fields> {
    let root: Value = serde_json::from_slice(line).ok()?;
    let mut fields = Fields {
        values: Vec::new(),
        day: None,
        agent_class: None,
    };
    let mut browser = None;
    let mut os = None;
    walk(&root, "", &mut |key, value| {
        let lower = key.to_ascii_lowercase();
        let role = match lower.as_str() {
            "visitor" => Role::Visitor,
            "network" | "remote_addr" | "client_ip" | "remote_ip" | "ip" | "client" => {
                Role::Network
            }
            "remote_user" | "user_id" | "user" | "ident" => Role::User,
            "referrer" | "referer" | "http_referer" => Role::Referrer,
            "http_user_agent" | "user_agent" | "user-agent" | "ua" | "agent" => Role::UserAgent,
            "request" | "request_uri" | "uri" | "url" | "path" | "query" | "args" => Role::Url,
            _ => Role::Text,
        };
        match lower.as_str() {
            "time" | "time_local" | "time_iso8601" | "@timestamp" | "timestamp" => {
                fields.day = Some(value.to_owned());
            }
            "browser" => browser = Some(value.to_owned()),
            "os" => os = Some(value.to_owned()),
            _ => {}
        }
        fields.values.push((role, value.to_owned()));
    });
    if let (Some(b), Some(o)) = (browser, os) {
        fields.agent_class = Some(format!("{b}/{o}"));
    }
    Some(fields)
}

fn walk(value: &Value, key: &str, visit: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(s) => visit(key, s),
        Value::Number(n) => visit(key, &n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| walk(v, key, visit)),
        Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, k, visit)),
        _ => {}
    }
}

impl fmt::Display for Report {
    /// A readable table: kind, count, first lines, masked hint; then the risk figures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} lines, {} findings",
            self.lines,
            self.total_findings()
        )?;
        if !self.findings.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "{:<30} {:>8}  {:<22} hint",
                "finding", "count", "first lines"
            )?;
            for (kind, stat) in &self.findings {
                let lines: Vec<String> = stat.first_lines.iter().map(u64::to_string).collect();
                writeln!(
                    f,
                    "{:<30} {:>8}  {:<22} {}",
                    kind.describe(),
                    stat.count,
                    lines.join(", "),
                    stat.hint
                )?;
            }
        }
        let r = &self.risk;
        writeln!(f)?;
        writeln!(
            f,
            "re-identification risk (k = {}): {} of {} records ({:.1} %) in a group of fewer than {} records sharing day, network, browser and OS",
            r.k,
            r.records_in_small_groups,
            r.records,
            r.percent(),
            r.k
        )?;
        write!(
            f,
            "visitor pseudonyms unique within their network and day: {} of {}",
            r.visitors_unique_in_network, r.visitors
        )
    }
}

impl Report {
    /// The report as one JSON object.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|(kind, stat)| {
                serde_json::json!({
                    "kind": kind.name(),
                    "description": kind.describe(),
                    "count": stat.count,
                    "first_lines": stat.first_lines,
                    "hint": stat.hint,
                })
            })
            .collect();
        serde_json::json!({
            "lines": self.lines,
            "findings": findings,
            "risk": {
                "k": self.risk.k,
                "records": self.risk.records,
                "records_in_small_groups": self.risk.records_in_small_groups,
                "percent": self.risk.percent(),
                "visitors": self.risk.visitors,
                "visitors_unique_in_network": self.risk.visitors_unique_in_network,
            },
        })
    }
}

/// The audit as a job of the stream runner: each chunk scanned on a worker.
struct AuditJob(Checker);

impl Job for AuditJob {
    type Tag = ();
    type Worker = ();
    type Output = Partial;

    fn tag(&self, _: &mut Option<()>, _: &Chunk) {}

    fn worker(&self) {}

    fn process(&self, (): &mut (), batch: &Batch<()>) -> Partial {
        self.0.scan(&batch.chunk.data, batch.chunk.first_line)
    }
}

/// Partial results as they come.
struct Partials(Vec<Partial>);

impl Collect<Partial> for Partials {
    fn collect(&mut self, _: usize, partial: Partial) -> std::io::Result<()> {
        self.0.push(partial);
        Ok(())
    }
}

/// Audits one input on all cores with the stream engine's reader (lines over `settings.max_line` are skipped and reported).
pub fn audit(
    checker: Checker,
    input: Input,
    settings: &RunSettings,
    stop: &Arc<AtomicBool>,
) -> Result<Report, StreamError> {
    let job = Arc::new(AuditJob(checker));
    let mut partials = Partials(Vec::new());
    let progress = Arc::new(Progress::default());
    runner::run(&job, vec![input], &mut partials, settings, stop, &progress)?;
    Ok(job.0.finish(partials.0))
}
