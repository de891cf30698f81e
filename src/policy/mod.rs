//! What the anonymizer keeps: the policy, its presets and its validation.
//!
//! A [`Policy`] is plain data, deserializable from TOML with unknown keys refused. Every
//! key has the strict default of the privacy model, so an empty file is the `strict`
//! preset. A file may name a preset to start from (`preset = "regional"`) and override
//! single keys. [`Policy::validate`] refuses settings that would keep more than the privacy
//! model allows, naming the setting.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::time::TimePrecision;

/// Most IPv4 bits a policy may keep.
pub const MAX_IPV4_PREFIX: u8 = 24;
/// Most IPv6 bits a policy may keep.
pub const MAX_IPV6_PREFIX: u8 = 48;

/// Headers that can never be put on the header allowlist: credentials, cookies, and headers
/// whose content other fields already keep in reduced form.
pub const FORBIDDEN_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "forwarded",
    "x-forwarded-for",
    "x-real-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "user-agent",
    "referer",
    "from",
];

/// The query keys kept by default: harmless navigation and campaign parameters.
pub const DEFAULT_QUERY_KEYS: &[&str] = &[
    "page",
    "sort",
    "lang",
    "utm_source",
    "utm_medium",
    "utm_campaign",
];

/// The named presets, with the TOML each stands for.
pub const PRESETS: &[(&str, &str)] = &[
    ("strict", ""),
    (
        "regional",
        "[network]\nipv4_prefix = 24\nipv6_prefix = 48\n",
    ),
    (
        "minimal",
        "[network]\nipv4_prefix = 8\nipv6_prefix = 16\n\
         [time]\nprecision = \"hour\"\n\
         [visitor]\nenabled = false\n\
         [user_agent]\nkeep = \"none\"\n\
         [referrer]\nkeep = \"none\"\n\
         [query]\nallow = []\n",
    ),
];

/// An anonymization policy: what each field of an access record keeps.
///
/// ```
/// use anonlog::Policy;
/// let policy = Policy::from_toml_str("preset = \"regional\"\n[query]\nallow = [\"page\"]").unwrap();
/// assert_eq!(policy.network.ipv4_prefix, 24);
/// assert_eq!(policy.query.allow, ["page"]);
/// assert!(Policy::from_toml_str("[network]\nipv4_prefix = 32").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Policy {
    /// Client network addresses.
    pub network: NetworkPolicy,
    /// Timestamps.
    pub time: TimePolicy,
    /// Daily visitor pseudonyms.
    pub visitor: VisitorPolicy,
    /// User agents.
    pub user_agent: UserAgentPolicy,
    /// Referrers.
    pub referrer: ReferrerPolicy,
    /// Request paths.
    pub path: PathPolicy,
    /// Query strings.
    pub query: QueryPolicy,
    /// Extra request headers.
    pub headers: HeaderPolicy,
    /// Where the command-line tool finds fields in its input.
    pub input: InputPolicy,
}

/// Where the command-line tool finds record fields in its input.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct InputPolicy {
    /// Extra key paths for JSON input, tried before the built-in ones.
    pub json: JsonFields,
}

/// Key paths (`request>headers>User-Agent` walks nested objects) per record field, for JSON
/// input. Each list is tried before the built-in names for nginx and Caddy logs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct JsonFields {
    /// Request start time (CLF, RFC 3339, or seconds since the epoch).
    pub time: Vec<String>,
    /// Client address (the peer, when `forwarded_for` is resolved).
    pub client: Vec<String>,
    /// `X-Forwarded-For` value, resolved through the trusted proxies, never copied.
    pub forwarded_for: Vec<String>,
    /// Whole request line (`GET /a HTTP/1.1`).
    pub request: Vec<String>,
    /// Request method, when there is no request line.
    pub method: Vec<String>,
    /// Request target (path and query), when there is no request line.
    pub target: Vec<String>,
    /// Protocol, when there is no request line.
    pub protocol: Vec<String>,
    /// Host name.
    pub host: Vec<String>,
    /// Response status.
    pub status: Vec<String>,
    /// Response bytes.
    pub bytes: Vec<String>,
    /// Referrer.
    pub referrer: Vec<String>,
    /// User agent.
    pub user_agent: Vec<String>,
    /// Request duration in seconds.
    pub duration: Vec<String>,
}

/// How much of a client address is kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct NetworkPolicy {
    /// Leading bits of IPv4 addresses kept (default 16, at most 24).
    pub ipv4_prefix: u8,
    /// Leading bits of IPv6 addresses kept (default 32, at most 48).
    pub ipv6_prefix: u8,
}

/// How precisely timestamps are kept.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct TimePolicy {
    /// `millisecond` (default), `second`, `minute`, `hour` or `day`.
    pub precision: TimePrecision,
}

/// Daily visitor pseudonyms.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct VisitorPolicy {
    /// Whether records carry a visitor pseudonym (default `true`).
    pub enabled: bool,
    /// A file whose bytes (at least 16) day keys are derived from, for several instances
    /// that must agree. Unset (default): random day keys that exist only in memory.
    pub secret_file: Option<PathBuf>,
}

/// What is kept of a user agent.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct UserAgentPolicy {
    /// `reduced` (default: browser family and major version, OS family and version, device
    /// class, kind and listed name of automated clients) or `none`.
    pub keep: UserAgentKeep,
    /// Whether a reduced user agent keeps the OS version (Windows 7, OS X 10.9, iOS 17,
    /// Android 14). Default `true`; `false` keeps the OS family only.
    pub os_version: bool,
}

impl Default for UserAgentPolicy {
    fn default() -> Self {
        Self {
            keep: UserAgentKeep::default(),
            os_version: true,
        }
    }
}

/// What is kept of a user agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum UserAgentKeep {
    /// Browser family and major version, OS family and version, device class, kind and
    /// listed name of automated clients.
    #[default]
    Reduced,
    /// Nothing.
    None,
}

/// What is kept of a referrer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct ReferrerPolicy {
    /// `origin` (default: scheme, host and port) or `none`.
    pub keep: ReferrerKeep,
}

/// What is kept of a referrer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ReferrerKeep {
    /// Scheme, host and non-default port.
    #[default]
    Origin,
    /// Nothing.
    None,
}

/// Request paths (always templated).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct PathPolicy {
    /// Longest templated path kept, in bytes; longer ones end in `[...]` (default 1024).
    pub max_length: usize,
    /// Route templates (`[[path.routes]]`): a path that matches one is written as the
    /// template, whatever its variable segments hold (default none).
    pub routes: Vec<RouteTemplate>,
}

/// A route template: `/users/{id}/orders/{order}`, literal segments and `{name}` segments
/// that match any one segment.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RouteTemplate {
    /// The template, as it is written for every matching path.
    pub template: String,
}

impl RouteTemplate {
    /// Whether the template is well formed: it starts with `/`, and each segment is a
    /// `{name}` (letters, digits, `_`) or a literal of URL path characters.
    pub fn is_valid(&self) -> bool {
        let Some(rest) = self.template.strip_prefix('/') else {
            return false;
        };
        rest.split('/')
            .all(|segment| match segment.strip_prefix('{') {
                Some(name) => name.strip_suffix('}').is_some_and(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                }),
                None => segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,=:@%".contains(&b)),
            })
    }
}

/// Query strings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct QueryPolicy {
    /// Parameter names kept (ASCII case-insensitive); all others are dropped.
    pub allow: Vec<String>,
}

/// Request headers recorded besides `User-Agent`, `Referer` and `Host`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct HeaderPolicy {
    /// Header names recorded (default none). [`FORBIDDEN_HEADERS`] are refused.
    pub allow: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self::strict()
    }
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        Self {
            ipv4_prefix: 16,
            ipv6_prefix: 32,
        }
    }
}

impl Default for VisitorPolicy {
    fn default() -> Self {
        Self {
            enabled: true,
            secret_file: None,
        }
    }
}

impl Default for PathPolicy {
    fn default() -> Self {
        Self {
            max_length: 1024,
            routes: Vec::new(),
        }
    }
}

impl Default for QueryPolicy {
    fn default() -> Self {
        Self {
            allow: DEFAULT_QUERY_KEYS.iter().map(|&k| k.to_owned()).collect(),
        }
    }
}

/// Why a policy could not be loaded or was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy file could not be read.
    #[error("cannot read policy file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or has an unknown key or a wrong type. The message names the
    /// place, never the file's text.
    #[error("invalid policy: {0}")]
    Toml(String),
    /// A preset name that does not exist.
    #[error("unknown preset {name:?}; known presets: {}", preset_names())]
    UnknownPreset {
        /// The name given.
        name: String,
    },
    /// A setting that the privacy model does not allow.
    #[error("policy setting {key} {reason}")]
    Refused {
        /// The setting, as a dotted TOML key (`network.ipv4_prefix`).
        key: &'static str,
        /// Why it is refused.
        reason: String,
    },
    /// The visitor secret file could not be read.
    #[error("cannot read visitor.secret_file {}", path.display())]
    SecretRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The parser's message and line, never the file's text (a key file passed as a policy
/// must not be echoed): quoted values are left out; an unknown key's name stays, so that a
/// typo can be found.
fn toml_error(e: &toml::de::Error, text: &str) -> PolicyError {
    let parts: Vec<&str> = e.message().trim().split('"').step_by(2).collect();
    let mut shown = parts.join("\"…\"").replace('\n', "; ");
    if let Some(span) = e.span() {
        let line = text.get(..span.start).unwrap_or("").matches('\n').count() + 1;
        shown.push_str(&format!(" (line {line})"));
    }
    PolicyError::Toml(shown)
}

fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Policy {
    /// The strict default of the privacy model: IPv4 /16, IPv6 /32, visitor pseudonyms on,
    /// user agents reduced, referrers reduced to origins, a short query allowlist, no headers.
    pub fn strict() -> Self {
        Self {
            network: NetworkPolicy::default(),
            time: TimePolicy::default(),
            visitor: VisitorPolicy::default(),
            user_agent: UserAgentPolicy::default(),
            referrer: ReferrerPolicy::default(),
            path: PathPolicy::default(),
            query: QueryPolicy::default(),
            headers: HeaderPolicy::default(),
            input: InputPolicy::default(),
        }
    }

    /// A named preset: `strict`, `regional` (IPv4 /24, IPv6 /48, for /24-level geography) or
    /// `minimal` (IPv4 /8, hourly timestamps, no pseudonyms, user agents, referrers or query).
    pub fn preset(name: &str) -> Result<Self, PolicyError> {
        Self::from_toml_str(&format!("preset = {name:?}"))
    }

    /// Parses and validates a policy from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self, PolicyError> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| toml_error(&e, text))?;
        let policy = match table.remove("preset") {
            None => Self::deserialize_table(table)?,
            Some(toml::Value::String(name)) => {
                let (_, base) = PRESETS
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                    .ok_or(PolicyError::UnknownPreset { name })?;
                let mut merged: toml::Table =
                    toml::from_str(base).map_err(|e| toml_error(&e, base))?;
                merge(&mut merged, table);
                Self::deserialize_table(merged)?
            }
            Some(_) => {
                return Err(PolicyError::Refused {
                    key: "preset",
                    reason: "must be a string naming a preset".to_owned(),
                });
            }
        };
        policy.validate()?;
        Ok(policy)
    }

    fn deserialize_table(table: toml::Table) -> Result<Self, PolicyError> {
        Self::deserialize(table).map_err(|e| toml_error(&e, ""))
    }

    /// Reads, parses and validates a policy file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, PolicyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_str(&text)
    }

    /// Checks every setting against the limits of the privacy model.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let refuse = |key, reason: String| Err(PolicyError::Refused { key, reason });
        if self.network.ipv4_prefix > MAX_IPV4_PREFIX {
            return refuse(
                "network.ipv4_prefix",
                format!(
                    "= {} keeps more than /{MAX_IPV4_PREFIX} of an IPv4 address; at most {MAX_IPV4_PREFIX} is allowed",
                    self.network.ipv4_prefix
                ),
            );
        }
        if self.network.ipv6_prefix > MAX_IPV6_PREFIX {
            return refuse(
                "network.ipv6_prefix",
                format!(
                    "= {} keeps more than /{MAX_IPV6_PREFIX} of an IPv6 address; at most {MAX_IPV6_PREFIX} is allowed",
                    self.network.ipv6_prefix
                ),
            );
        }
        if self.path.max_length < 16 {
            return refuse(
                "path.max_length",
                format!(
                    "= {} is too short to be useful; at least 16",
                    self.path.max_length
                ),
            );
        }
        if let Some(n) = self.path.routes.iter().position(|r| !r.is_valid()) {
            return refuse(
                "path.routes",
                format!(
                    "template number {} is not a path of literal and {{name}} segments",
                    n + 1
                ),
            );
        }
        for key in &self.query.allow {
            if key.is_empty()
                || key
                    .bytes()
                    .any(|b| !b.is_ascii_graphic() || b == b'&' || b == b'=')
            {
                return refuse(
                    "query.allow",
                    "entries must be non-empty parameter names without spaces, `&` or `=`"
                        .to_owned(),
                );
            }
        }
        for name in &self.headers.allow {
            let lower = name.to_ascii_lowercase();
            if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
                return refuse(
                    "headers.allow",
                    format!(
                        "lists {name:?}, which can never be recorded (forbidden: {})",
                        FORBIDDEN_HEADERS.join(", ")
                    ),
                );
            }
            if name.is_empty() || !name.bytes().all(is_header_name_char) {
                return refuse(
                    "headers.allow",
                    format!("lists {name:?}, which is not a valid header name"),
                );
            }
        }
        Ok(())
    }
}

/// RFC 9110 token characters.
fn is_header_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Overlays `over` on `base`, merging nested tables key by key.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests;
