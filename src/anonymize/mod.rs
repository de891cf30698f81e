//! The anonymizer: turns a [`RawRecord`] into an [`AnonRecord`] under a [`Policy`].
//!
//! [`Anonymizer::apply_into`] calls one rule per field; each rule is in a file named after
//! its field:
//!
//! | file | field | rule |
//! |---|---|---|
//! | [`network`] | client network | address parsing, trusted-proxy resolution ([`TrustedProxies`]), truncation to a prefix |
//! | [`visitor`] | visitor | daily keyed pseudonyms, day keys that live at most 48 hours |
//! | [`user_agent`] | user agent | browser family and major version, OS family and version, device class, kind and listed name of automated clients |
//! | `path.rs` | path | target split into path and query, identifier segments templated |
//! | `query.rs` | query | allow-listed parameters only |
//! | `referrer.rs` | referrer | the origin only |
//! | `host.rs` | host | a DNS name only |
//! | `request.rs` | method, protocol, status | known names or `OTHER`; valid codes |
//! | `headers.rs` | other headers | allow-listed headers only, values scrubbed |
//! | `identifiers.rs` | (shared) | the one detector set for identifiers (numbers, UUIDs, e-mail addresses, tokens, …) used by path, query, headers and the `check` audit |
//!
//! Every text they write is escaped by [`SafeText`](crate::record::SafeText). The rules fail closed: what cannot be
//! parsed or classified is dropped or replaced by a placeholder, never passed through raw.

mod cache;
mod headers;
pub(crate) mod host;
pub(crate) mod identifiers;
pub mod network;
pub(crate) mod path;
pub(crate) mod query;
pub(crate) mod referrer;
mod request;
pub mod user_agent;
pub mod visitor;

use std::fmt;
use std::sync::Arc;

pub use network::{TrustedProxies, parse_client_ip, truncate_ip, truncate_ipv4, truncate_ipv6};
pub use user_agent::classify_user_agent;
pub use visitor::{Clock, SystemClock, VisitorKeySource, WeakSecret};

use crate::policy::{Policy, PolicyError, ReferrerKeep, UserAgentKeep};
use crate::record::{AnonRecord, RawRecord};
use visitor::DayKeys;

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
    routes: Box<[path::Route]>,
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
                (None, Some(path)) => VisitorKeySource::from_secret_file(path)?,
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
            routes: policy.path.routes.iter().map(path::Route::new).collect(),
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
        self.apply_with(raw, None, record);
    }

    /// Whether records get visitor pseudonyms, i.e. day keys exist.
    #[cfg(feature = "cli")]
    pub(crate) fn has_day_keys(&self) -> bool {
        self.day_keys.is_some()
    }

    /// [`apply_into`](Self::apply_into) for a record of an input read in order:
    /// `newest_day` is the newest UTC day (days since the epoch) of the input up to and
    /// including this record. Keys then move on only through
    /// [`advance_days`](Self::advance_days), so the result does not depend on which thread
    /// reaches a day first.
    #[cfg(feature = "cli")]
    pub(crate) fn apply_in_order(
        &self,
        raw: &RawRecord<'_>,
        newest_day: i64,
        record: &mut AnonRecord,
    ) {
        self.apply_with(raw, Some(newest_day), record);
    }

    /// The input read in order is written up to `newest_day`: the keys of days before the
    /// previous one are destroyed.
    #[cfg(feature = "cli")]
    pub(crate) fn advance_days(&self, newest_day: i64) {
        if let Some(keys) = &self.day_keys {
            keys.advance(newest_day);
        }
    }

    fn apply_with(&self, raw: &RawRecord<'_>, in_order: Option<i64>, record: &mut AnonRecord) {
        let policy = &self.policy;
        let ip = network::client_ip(&raw.client);
        record.host.clear();
        host::reduce_host(&raw.host, &mut record.host);
        record.visitor = match (&self.day_keys, ip) {
            (Some(keys), Some(ip)) => keys.pseudonym(
                raw.time,
                in_order,
                ip,
                &raw.user_agent,
                record.host.as_str().as_bytes(),
            ),
            _ => None,
        };
        let (target_path, target_query) = path::split_target(&raw.target);
        record.path.clear();
        match &raw.route {
            Some(route) => {
                record.path.push_escaped(route, policy.path.max_length);
            }
            None => match path::matching_route(&self.routes, target_path) {
                Some(route) => route.write(policy.path.max_length, &mut record.path),
                None => path::template_path(target_path, policy.path.max_length, &mut record.path),
            },
        }
        record.query.clear();
        if let Some(target_query) = target_query {
            query::filter_query(
                target_query,
                &self.query_allow,
                query::MAX_QUERY_LEN,
                &mut record.query,
            );
        }
        record.referrer.clear();
        if policy.referrer.keep == ReferrerKeep::Origin {
            referrer::reduce_referrer(&raw.referrer, &mut record.referrer);
        }
        record.user_agent = match policy.user_agent.keep {
            UserAgentKeep::Reduced if !raw.user_agent.is_empty() && *raw.user_agent != *b"-" => {
                let class = user_agent::classify_cached(&raw.user_agent);
                Some(if policy.user_agent.os_version {
                    class
                } else {
                    class.without_os_version()
                })
            }
            _ => None,
        };
        record.time = raw.time.coarsen(policy.time.precision);
        record.network =
            ip.map(|ip| truncate_ip(ip, policy.network.ipv4_prefix, policy.network.ipv6_prefix));
        record.method = request::normalize_method(&raw.method);
        record.protocol = request::normalize_protocol(&raw.protocol);
        record.status = request::normalize_status(raw.status);
        record.bytes = raw.bytes;
        record.time_to_head = raw.time_to_head;
        record.duration = raw.duration;
        record.outcome = raw.outcome;
        record.headers.clear();
        if !self.header_allow.is_empty() {
            record
                .headers
                .extend(headers::allowed_headers(&self.header_allow, &raw.headers));
        }
    }
}
