//! What an audit reports, and how each field of a line is judged.
//!
//! Every rule here is the anonymizer's own: values are judged by
//! [`classify`](crate::anonymize::identifiers::classify) and the other detectors of
//! `anonymize/identifiers.rs`, referrers and hosts by the reductions of `anonymize/url.rs`,
//! user agents by the encoder's synthetic form, addresses by the policy's prefixes. A
//! finding is always something the anonymizer would change; what it writes is never one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::anonymize::host::{has_identifying_label, reduce_host};
use crate::anonymize::identifiers::{
    MIN_DIGIT_RUN, Placeholder, classify, contains_uuid, email_address, find_ip, has_key_prefix,
    is_jwt, is_session_key, is_static_asset, percent_decode,
};
use crate::anonymize::parse_client_ip;
use crate::anonymize::path::split_target;
use crate::anonymize::query::is_allowed_key;
use crate::anonymize::referrer::reduce_referrer;
use crate::format::read_visitor;
use crate::format::synthetic_agent::is_synthetic;
use crate::parse::{AuditLine, unescape};
use crate::policy::{MAX_IPV4_PREFIX, MAX_IPV6_PREFIX, Policy};
use crate::record::ClientAddr;
use crate::record::SafeText;
use crate::record::safe_text::is_hidden_char;

use super::report::FindingStat;

/// Line numbers kept per finding kind.
const FIRST_LINES: usize = 5;

/// What kind of residual personal data was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum FindingKind {
    /// An IPv4 address with bits beyond /24 (the most any policy keeps) set.
    FullIpv4,
    /// An IPv6 address with bits beyond /48 (the most any policy keeps) set.
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
    /// A run of 16 or more hex digits in a URL (outside static-asset names).
    LongHex,
    /// A long token-like string in a URL.
    Token,
    /// A number that can name someone in a URL: a phone, account, order or national-id
    /// number (six or more digits, digits with separators, or a short prefixed id).
    Number,
    /// A payment card number (Luhn-valid) in a URL.
    PaymentCard,
    /// An IBAN (mod-97-valid) in a URL.
    Iban,
    /// A MAC address in a URL.
    MacAddress,
    /// Invisible characters (formatting, TAG characters) in a URL, percent-encoded or not.
    HiddenCharacters,
    /// A host name (Host or referrer) with a label that names someone.
    HostLabel,
    /// A session or credential parameter in a URL (`jsessionid`, `PHPSESSID`, `token`, …).
    SessionParameter,
    /// A query parameter the policy does not allow.
    QueryKeyNotAllowed,
    /// An authenticated user or ident field.
    AuthenticatedUser,
    /// A referrer with a path or query string.
    ReferrerPathOrQuery,
    /// A raw user-agent string (not anonlog's reduced form).
    RawUserAgent,
    /// A control, escape or bidi character written raw.
    ControlSequence,
    /// A line longer than the line limit, which was not scanned.
    UnscannedLine,
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
            Self::Number => "number",
            Self::PaymentCard => "payment_card",
            Self::Iban => "iban",
            Self::MacAddress => "mac_address",
            Self::HiddenCharacters => "hidden_characters",
            Self::HostLabel => "host_label",
            Self::SessionParameter => "session_parameter",
            Self::QueryKeyNotAllowed => "query_key_not_allowed",
            Self::AuthenticatedUser => "authenticated_user",
            Self::ReferrerPathOrQuery => "referrer_path_or_query",
            Self::RawUserAgent => "raw_user_agent",
            Self::ControlSequence => "control_sequence",
            Self::UnscannedLine => "unscanned_line",
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
            Self::Number => "identifying number",
            Self::PaymentCard => "payment card number",
            Self::Iban => "IBAN",
            Self::MacAddress => "MAC address",
            Self::HiddenCharacters => "invisible characters",
            Self::HostLabel => "identifier in host name",
            Self::SessionParameter => "session parameter",
            Self::QueryKeyNotAllowed => "query key not allowed",
            Self::AuthenticatedUser => "authenticated user",
            Self::ReferrerPathOrQuery => "referrer path/query",
            Self::RawUserAgent => "raw user agent",
            Self::ControlSequence => "control sequence",
            Self::UnscannedLine => "line too long, not scanned",
        }
    }
}

/// The findings of some lines, by kind.
#[derive(Debug, Default)]
pub(crate) struct Tally(pub(crate) BTreeMap<FindingKind, FindingStat>);

impl Tally {
    /// Counts one finding on line `line_no`; the hint is kept for the kind's first line.
    pub(crate) fn note(&mut self, kind: FindingKind, line_no: u64, hint: impl FnOnce() -> String) {
        let stat = self.0.entry(kind).or_default();
        stat.count += 1;
        if stat.first_lines.is_empty() {
            stat.hint = printable(&hint());
        }
        if stat.first_lines.last() != Some(&line_no) && stat.first_lines.len() < FIRST_LINES {
            stat.first_lines.push(line_no);
        }
    }

    /// Adds another tally, whatever lines either holds: the first lines stay the smallest,
    /// the hint is that of the smallest.
    pub(crate) fn merge(&mut self, other: Self) {
        for (kind, stat) in other.0 {
            let entry = self.0.entry(kind).or_default();
            entry.count += stat.count;
            if entry.first_lines.first().is_none_or(|&mine| {
                stat.first_lines
                    .first()
                    .is_some_and(|&theirs| theirs < mine)
            }) {
                entry.hint = stat.hint;
            }
            entry.first_lines.extend(stat.first_lines);
            entry.first_lines.sort_unstable();
            entry.first_lines.dedup();
            entry.first_lines.truncate(FIRST_LINES);
        }
    }
}

/// Judges the fields of one line against the privacy model and a policy.
pub(crate) struct Judge<'a> {
    /// The policy given, or the strict default.
    pub(crate) policy: &'a Policy,
    /// Whether a policy was given: only then is its query allowlist enforced.
    pub(crate) explicit: bool,
    /// The line's number.
    pub(crate) line_no: u64,
    /// Where findings go.
    pub(crate) out: &'a mut Tally,
}

impl Judge<'_> {
    fn note(&mut self, kind: FindingKind, hint: impl FnOnce() -> String) {
        self.out.note(kind, self.line_no, hint);
    }

    /// Notes the first raw control, escape or bidi character of `text`; returns whether
    /// there was one.
    pub(crate) fn controls(&mut self, text: &[u8]) -> bool {
        let text = String::from_utf8_lossy(text);
        let Some(c) = text
            .chars()
            .find(|&c| (c.is_control() && c != '\t') || is_hidden_char(c))
        else {
            return false;
        };
        self.note(FindingKind::ControlSequence, || {
            format!("U+{:04X}", c as u32)
        });
        true
    }

    /// Judges every field of a parsed line.
    pub(crate) fn line(&mut self, line: &AuditLine<'_>, control_seen: bool) {
        // JSON values are decoded already; a control character in one is written raw by
        // whoever prints it. Visible `\xHH` escapes are judged by what they encode.
        let values = line.record.iter().flat_map(|r| {
            [
                &r.method,
                &r.target,
                &r.protocol,
                &r.host,
                &r.referrer,
                &r.user_agent,
            ]
        });
        let columns = line.ident.iter().chain(&line.user);
        let unread = line.unread.iter().map(|(_, v)| v);
        if line.json && !control_seen {
            for v in values.chain(columns).chain(unread) {
                if self.controls(v) {
                    break;
                }
            }
        }
        let decode = |v| judged_text(line.json, v);
        if let Some(r) = &line.record {
            match &r.client {
                ClientAddr::Unknown => {}
                ClientAddr::Ip(ip) => self.address(*ip),
                ClientAddr::Text(text) => self.network(&decode(text)),
            }
            self.text(&decode(&r.method));
            self.text(&decode(&r.protocol));
            self.target(&decode(&r.target), true);
            self.host(&decode(&r.host));
            self.referrer(&decode(&r.referrer));
            self.user_agent(&decode(&r.user_agent));
        }
        if let Some(ident) = &line.ident {
            self.ident(&decode(ident));
        }
        if let Some(user) = &line.user {
            self.user(&decode(user));
        }
        for (_, value) in &line.unread {
            self.text(&decode(value));
        }
    }

    /// Free text: addresses, e-mail addresses, JWTs, keys and UUIDs in any word.
    pub(crate) fn text(&mut self, text: &[u8]) {
        for word in text.split(|&b| is_word_break(b)).filter(|w| !w.is_empty()) {
            self.word(word);
        }
    }

    fn word(&mut self, word: &[u8]) {
        if let Some(ip) = parse_client_ip(word.strip_suffix(b".").unwrap_or(word)) {
            self.address(ip);
            return;
        }
        let decoded = percent_decode(word);
        if let Some(email) = email_address(&decoded) {
            self.email(email);
        } else if is_jwt(word) {
            self.note(FindingKind::Jwt, || "eyJ…".to_owned());
        } else if has_key_prefix(word) && !word.starts_with(b"eyJ") {
            self.note(FindingKind::ApiKey, || format!("{}…", head(word, 4)));
        } else if word.len() >= 36 && contains_uuid(word) {
            self.note(FindingKind::Uuid, || format!("{}…", head(word, 4)));
        }
    }

    fn email(&mut self, (local, domain): (&[u8], &[u8])) {
        self.note(FindingKind::Email, || {
            format!("{}…@…{}", head(local, 2), tail(domain, 3))
        });
    }

    /// An address: beyond the absolute limits, or beyond the policy's prefix.
    fn address(&mut self, ip: IpAddr) {
        let ip = ip.to_canonical();
        let (full, beyond, kind) = match ip {
            IpAddr::V4(v4) => {
                let bits = u32::from(v4);
                let beyond =
                    |prefix: u8| bits & u32::MAX.checked_shr(prefix.into()).unwrap_or(0) != 0;
                let prefix = self.policy.network.ipv4_prefix;
                (
                    beyond(MAX_IPV4_PREFIX),
                    beyond(prefix),
                    FindingKind::FullIpv4,
                )
            }
            IpAddr::V6(v6) => {
                let bits = u128::from(v6);
                let beyond =
                    |prefix: u8| bits & u128::MAX.checked_shr(prefix.into()).unwrap_or(0) != 0;
                let prefix = self.policy.network.ipv6_prefix;
                (
                    beyond(MAX_IPV6_PREFIX),
                    beyond(prefix),
                    FindingKind::FullIpv6,
                )
            }
        };
        let kind = match (full, beyond) {
            (true, _) => kind,
            (false, true) => FindingKind::NetworkBeyondPolicy,
            (false, false) => return,
        };
        self.note(kind, || mask_ip(ip));
    }

    /// The client column: an address, unknown (`-`), or text such as a host name.
    fn network(&mut self, text: &[u8]) {
        if text.is_empty() || text == b"-" {
            return;
        }
        match parse_client_ip(text) {
            Some(ip) => self.address(ip),
            None => self.text(text),
        }
    }

    /// A request target: path segments and their parameters, query parameters, fragment.
    /// `own` is the request's own target, whose query keys the policy allows or not.
    fn target(&mut self, target: &[u8], own: bool) {
        if let Some(i) = memchr::memchr(b'#', target) {
            self.text(&target[i + 1..]);
        }
        let (path, query) = split_target(target);
        // An absolute-form target's scheme and authority, which the anonymizer removes.
        let authority = path.as_ptr().addr() - target.as_ptr().addr();
        self.text(&target[..authority]);
        for segment in path.split(|&b| b == b'/') {
            let mut parts = segment.split(|&b| b == b';');
            self.value(parts.next().unwrap_or_default());
            // Path parameters, which the anonymizer removes.
            for parameter in parts {
                let (key, value) = split_pair(parameter);
                self.parameter(key, false, own);
                self.value(value.unwrap_or_default());
            }
        }
        for pair in query.into_iter().flat_map(|q| q.split(|&b| b == b'&')) {
            let (key, value) = split_pair(pair);
            self.parameter(key, true, own);
            self.value(value.unwrap_or_default());
        }
    }

    /// A parameter name: sessions and credentials, and keys off the policy's allowlist.
    fn parameter(&mut self, key: &[u8], query: bool, own: bool) {
        if key.is_empty() {
            return;
        }
        let allowed = query && is_allowed_key(key, &self.policy.query.allow);
        let key = percent_decode(key);
        if is_session_key(&key) && !allowed {
            let name = String::from_utf8_lossy(&key).to_ascii_lowercase();
            self.note(FindingKind::SessionParameter, || format!("{name}=…"));
        } else if query && own && self.explicit && !allowed {
            self.note(FindingKind::QueryKeyNotAllowed, || {
                format!("{}…", head(&key, 3))
            });
        }
    }

    /// A path segment or parameter value, judged by the anonymizer's `classify`.
    fn value(&mut self, raw: &[u8]) {
        let Some(placeholder) = classify(raw) else {
            return;
        };
        let v = percent_decode(raw);
        let kind = match placeholder {
            // Short plain numbers (`/users/42`) are templated, but no finding on their own.
            Placeholder::Num if v.len() < MIN_DIGIT_RUN && v.iter().all(u8::is_ascii_digit) => {
                return;
            }
            Placeholder::Num => FindingKind::Number,
            Placeholder::Card => FindingKind::PaymentCard,
            Placeholder::Iban => FindingKind::Iban,
            Placeholder::Mac => FindingKind::MacAddress,
            Placeholder::Hidden => FindingKind::HiddenCharacters,
            Placeholder::Email => {
                if let Some(email) = email_address(&v) {
                    self.email(email);
                }
                return;
            }
            Placeholder::Ip => {
                if let Some(ip) = find_ip(&v) {
                    self.address(ip);
                }
                return;
            }
            Placeholder::Uuid => FindingKind::Uuid,
            // Credentials are named as such, also when made of hex digits.
            Placeholder::Hex | Placeholder::Token if is_jwt(&v) => FindingKind::Jwt,
            Placeholder::Hex | Placeholder::Token if has_key_prefix(&v) => FindingKind::ApiKey,
            Placeholder::Hex | Placeholder::Token if is_static_asset(&v) => return,
            Placeholder::Hex => FindingKind::LongHex,
            Placeholder::Token => FindingKind::Token,
        };
        self.note(kind, || match kind {
            FindingKind::Jwt => "eyJ…".to_owned(),
            FindingKind::Number | FindingKind::PaymentCard | FindingKind::Iban => {
                format!("{}…", head(&v, 2))
            }
            FindingKind::HiddenCharacters | FindingKind::MacAddress => String::new(),
            FindingKind::Token => format!("{}…", head(&v, 3)),
            _ => format!("{}…", head(&v, 4)),
        });
    }

    /// A referrer: an origin as the anonymizer writes it is clean; anything else is judged
    /// as free text (authority) and as a target (path, query).
    fn referrer(&mut self, v: &[u8]) {
        if v.is_empty() || v == b"-" || reduces_to_itself(v, reduce_referrer) {
            return;
        }
        let Some(scheme_end) = memchr::memmem::find(v, b"://") else {
            self.text(v);
            return;
        };
        let rest = &v[scheme_end + 3..];
        let end = rest
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if !tail.is_empty() && tail != b"/" {
            self.note(FindingKind::ReferrerPathOrQuery, || mask(v));
        }
        let host = authority.rsplit(|&b| b == b'@').next().unwrap_or_default();
        self.host_labels(host);
        self.text(authority);
        self.target(tail, false);
    }

    /// A `Host` value: a name as the anonymizer writes it is clean; a name with a label
    /// that names someone is a finding.
    fn host(&mut self, v: &[u8]) {
        if v.is_empty() || reduces_to_itself(v, reduce_host) {
            return;
        }
        self.host_labels(v);
        self.text(v);
    }

    fn host_labels(&mut self, host: &[u8]) {
        if has_identifying_label(host) {
            self.note(FindingKind::HostLabel, String::new);
        }
    }

    /// A user agent: clean when it is anonlog's synthetic form.
    fn user_agent(&mut self, v: &[u8]) {
        if v.is_empty() || v == b"-" || is_synthetic(v) {
            return;
        }
        self.note(FindingKind::RawUserAgent, || mask(v));
        self.text(v);
    }

    /// The ident column: empty, `-`, or anonlog's visitor pseudonym.
    fn ident(&mut self, v: &[u8]) {
        if !(v.is_empty() || v == b"-" || read_visitor(v).is_some()) {
            self.note(FindingKind::AuthenticatedUser, || mask(v));
        }
    }

    /// The user column: empty or `-`.
    fn user(&mut self, v: &[u8]) {
        if !(v.is_empty() || v == b"-") {
            self.note(FindingKind::AuthenticatedUser, || mask(v));
        }
    }
}

/// The text of a field as it is judged: JSON values may still carry the visible `\xHH`
/// escapes anonlog and nginx write, and are judged by what those encode (CLF fields are
/// decoded by their parser).
fn judged_text<'v>(json: bool, v: &'v [u8]) -> Cow<'v, [u8]> {
    if json { unescape(v) } else { Cow::Borrowed(v) }
}

/// Whether the anonymizer's reduction writes `v` unchanged.
fn reduces_to_itself(v: &[u8], reduce: fn(&[u8], &mut SafeText) -> bool) -> bool {
    let mut out = SafeText::default();
    reduce(v, &mut out) && out.as_str().as_bytes() == v
}

/// `key=value` or `key`.
fn split_pair(pair: &[u8]) -> (&[u8], Option<&[u8]>) {
    match memchr::memchr(b'=', pair) {
        Some(i) => (&pair[..i], Some(&pair[i + 1..])),
        None => (pair, None),
    }
}

/// Splits free text into words that may hold one identifier each.
fn is_word_break(b: u8) -> bool {
    b.is_ascii_whitespace()
        || matches!(
            b,
            b'"' | b'\''
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b','
                | b';'
                | b'&'
                | b'?'
                | b'='
                | b'/'
                | b'#'
                | b'|'
                | b'\\'
                | b'+'
        )
}

/// The first `n` characters of `v`.
fn head(v: &[u8], n: usize) -> String {
    String::from_utf8_lossy(v).chars().take(n).collect()
}

/// The last `n` characters of `v`.
fn tail(v: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(v);
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

/// Two characters and an ellipsis.
fn mask(v: &[u8]) -> String {
    format!("{}…", head(v, 2))
}

/// The first group of an address.
fn mask_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{}.…", v4.octets()[0]),
        IpAddr::V6(v6) => format!("{:x}:…", v6.segments()[0]),
    }
}

/// Hints are cut from lines: nothing in them may drive a terminal.
fn printable(hint: &str) -> String {
    hint.chars()
        .map(|c| {
            if c.is_control() || is_hidden_char(c) {
                '?'
            } else {
                c
            }
        })
        .collect()
}
