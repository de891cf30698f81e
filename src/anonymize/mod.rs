//! The anonymizer: turns a [`RawRecord`] into an [`AnonRecord`] under a [`Policy`].
//!
//! Each field has its rule in a module named after it: [`ip`] (client network),
//! [`visitor`] (daily pseudonyms), `url` (path, query, referrer, host), [`user_agent`],
//! [`text`] (escaping of everything written). The rules fail closed: what cannot be parsed
//! or classified is dropped or replaced by a placeholder, never passed through raw.

pub(crate) mod identifiers;
pub mod ip;
pub mod text;
pub(crate) mod url;
pub mod user_agent;
pub mod visitor;

use std::fmt;
use std::sync::Arc;

pub use ip::{parse_client_ip, truncate_ip, truncate_ipv4, truncate_ipv6};
pub use text::{SafeText, TRUNCATION_MARKER};
pub use user_agent::{UserAgentClass, classify_user_agent};
pub use visitor::{Clock, SystemClock, VisitorId, VisitorKeySource, WeakSecret};

use crate::policy::{Policy, PolicyError, ReferrerKeep, UserAgentKeep};
use crate::record::{AnonRecord, ClientAddr, RawRecord};
use visitor::DayKeys;

/// Longest kept query string, in bytes.
const MAX_QUERY_LEN: usize = 512;
/// Longest kept header value, in bytes.
const MAX_HEADER_LEN: usize = 256;
/// Methods written as they are; any other (unknown or oversized) is `OTHER`.
const KNOWN_METHODS: &[&str] = &[
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "REPORT",
    "SEARCH",
    "MKCALENDAR",
    "QUERY",
];
/// Protocols written as they are; any other is `OTHER`.
const KNOWN_PROTOCOLS: &[&str] = &[
    "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3.0", "HTTP/3", "HTTP/0.9",
];

/// Applies a [`Policy`] to access records.
///
/// Cheap to share: wrap it in an [`Arc`] and call [`apply`](Self::apply) from any thread.
///
/// ```
/// use anonlog::{Anonymizer, Policy, RawRecord, Timestamp};
/// let anonymizer = Anonymizer::new(Policy::strict()).unwrap();
/// let raw = RawRecord::builder(Timestamp::now())
///     .client_text("198.51.100.23")
///     .method("GET")
///     .target("/users/42/orders?page=2&email=carol%40example.org")
///     .protocol("HTTP/1.1")
///     .referrer("https://www.example.com/search?q=carol")
///     .status(200)
///     .build();
/// let anon = anonymizer.apply(&raw);
/// assert_eq!(anon.network().unwrap().to_string(), "198.51.0.0");
/// assert_eq!(anon.path().as_str(), "/users/:num/orders");
/// assert_eq!(anon.query().unwrap().as_str(), "page=2");
/// assert_eq!(anon.referrer().unwrap().as_str(), "https://www.example.com");
/// ```
pub struct Anonymizer {
    policy: Policy,
    query_allow: Box<[Box<str>]>,
    header_allow: Box<[Box<str>]>,
    day_keys: Option<DayKeys>,
}

impl fmt::Debug for Anonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Anonymizer")
            .field("policy", &self.policy)
            .field("day_keys", &self.day_keys)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Anonymizer`] with a replaced clock or key source.
#[derive(Debug)]
pub struct AnonymizerBuilder {
    policy: Policy,
    clock: Arc<dyn Clock>,
    keys: Option<VisitorKeySource>,
}

impl AnonymizerBuilder {
    /// The clock that ages day keys (the system clock by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where day keys come from, overriding the policy's `visitor.secret_file`.
    pub fn visitor_keys(mut self, source: VisitorKeySource) -> Self {
        self.keys = Some(source);
        self
    }

    /// Validates the policy, reads the visitor secret if it names one, and builds.
    pub fn build(self) -> Result<Anonymizer, PolicyError> {
        let policy = self.policy;
        policy.validate()?;
        let day_keys = if policy.visitor.enabled {
            let source = match (self.keys, &policy.visitor.secret_file) {
                (Some(source), _) => source,
                (None, None) => VisitorKeySource::Random,
                (None, Some(path)) => {
                    let secret = std::fs::read(path).map_err(|source| PolicyError::SecretRead {
                        path: path.clone(),
                        source,
                    })?;
                    VisitorKeySource::from_secret(secret).map_err(|e| PolicyError::Refused {
                        key: "visitor.secret_file",
                        reason: format!("names a file too short to use: {e}"),
                    })?
                }
            };
            Some(DayKeys::new(source, self.clock))
        } else {
            None
        };
        let boxed = |list: &[String], lower: bool| -> Box<[Box<str>]> {
            list.iter()
                .map(|s| {
                    if lower {
                        s.to_ascii_lowercase()
                    } else {
                        s.clone()
                    }
                    .into_boxed_str()
                })
                .collect()
        };
        Ok(Anonymizer {
            query_allow: boxed(&policy.query.allow, false),
            header_allow: boxed(&policy.headers.allow, true),
            policy,
            day_keys,
        })
    }
}

impl Anonymizer {
    /// An anonymizer for `policy` with random day keys (or the policy's secret file).
    pub fn new(policy: Policy) -> Result<Self, PolicyError> {
        Self::builder(policy).build()
    }

    /// A builder, to replace the clock or the source of day keys.
    pub fn builder(policy: Policy) -> AnonymizerBuilder {
        AnonymizerBuilder {
            policy,
            clock: Arc::new(SystemClock),
            keys: None,
        }
    }

    /// The policy this anonymizer enforces.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Destroys day keys older than 48 hours. Call it periodically in long-running
    /// processes that may sit idle; records also purge keys as they arrive.
    pub fn purge_expired_keys(&self) {
        if let Some(keys) = &self.day_keys {
            keys.purge_expired();
        }
    }

    /// How many day keys are in memory now (at most two, each at most 48 hours old).
    pub fn day_keys_in_memory(&self) -> usize {
        self.day_keys.as_ref().map_or(0, DayKeys::held)
    }

    /// Anonymizes one record.
    pub fn apply(&self, raw: &RawRecord<'_>) -> AnonRecord {
        let mut record = AnonRecord::empty();
        self.apply_into(raw, &mut record);
        record
    }

    /// Anonymizes one record into `record`, replacing everything it held and reusing its
    /// allocations: the way to anonymize many records without allocating for each.
    pub fn apply_into(&self, raw: &RawRecord<'_>, record: &mut AnonRecord) {
        let policy = &self.policy;
        let ip = match &raw.client {
            ClientAddr::Unknown => None,
            ClientAddr::Ip(ip) => Some(ip.to_canonical()),
            ClientAddr::Text(text) => parse_client_ip(text),
        };
        record.host.clear();
        url::reduce_host(&raw.host, &mut record.host);
        record.visitor = match (&self.day_keys, ip) {
            (Some(keys), Some(ip)) => keys.pseudonym(
                raw.time,
                ip,
                &raw.user_agent,
                record.host.as_str().as_bytes(),
            ),
            _ => None,
        };
        let (path, query) = url::split_target(&raw.target);
        record.path.clear();
        match &raw.route {
            Some(route) => {
                record.path.push_escaped(route, policy.path.max_length);
            }
            None => url::template_path(path, policy.path.max_length, &mut record.path),
        }
        record.query.clear();
        if let Some(query) = query {
            url::filter_query(query, &self.query_allow, MAX_QUERY_LEN, &mut record.query);
        }
        record.referrer.clear();
        if policy.referrer.keep == ReferrerKeep::Origin {
            url::reduce_referrer(&raw.referrer, &mut record.referrer);
        }
        record.user_agent = match policy.user_agent.keep {
            UserAgentKeep::Reduced if !raw.user_agent.is_empty() && *raw.user_agent != *b"-" => {
                Some(user_agent::classify_cached(&raw.user_agent))
            }
            _ => None,
        };
        record.time = raw.time.coarsen(policy.time.precision);
        record.network =
            ip.map(|ip| truncate_ip(ip, policy.network.ipv4_prefix, policy.network.ipv6_prefix));
        record.method = normalize(&raw.method, KNOWN_METHODS, "OTHER");
        record.protocol = normalize(&raw.protocol, KNOWN_PROTOCOLS, "OTHER");
        record.status = raw.status.filter(|s| (100..=999).contains(s));
        record.bytes = raw.bytes;
        record.time_to_head = raw.time_to_head;
        record.duration = raw.duration;
        record.outcome = raw.outcome;
        record.headers.clear();
        if !self.header_allow.is_empty() {
            record.headers.extend(self.allowed_headers(raw));
        }
    }

    fn allowed_headers<'r>(
        &'r self,
        raw: &'r RawRecord<'_>,
    ) -> impl Iterator<Item = (Box<str>, SafeText)> + 'r {
        raw.headers.iter().filter_map(|(name, value)| {
            let name = self
                .header_allow
                .iter()
                .find(|allowed| allowed.as_bytes().eq_ignore_ascii_case(name))?;
            let value = match identifiers::classify(value) {
                Some(placeholder) => SafeText::from_trusted(placeholder.as_str().to_owned()),
                None => SafeText::escape(value, MAX_HEADER_LEN),
            };
            Some((name.clone(), value))
        })
    }
}

/// The static name of a known token, `other` for any other non-empty one, `None` if empty.
fn normalize(raw: &[u8], known: &[&'static str], other: &'static str) -> Option<&'static str> {
    if raw.is_empty() || raw == b"-" {
        return None;
    }
    Some(
        known
            .iter()
            .find(|k| k.as_bytes() == raw)
            .copied()
            .unwrap_or(other),
    )
}
