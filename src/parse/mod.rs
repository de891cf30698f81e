//! Decoders for the command-line tool: access-log lines into [`RawRecord`]s.
//!
//! Formats: NCSA combined and common (nginx, Apache, and most other servers) and JSON
//! lines (nginx `escape=json`, Caddy, custom mappings). A line that cannot be parsed is
//! rejected with a [`Reject`] reason; it is never passed on in any form.

pub(crate) mod clf;
pub(crate) mod json;

use std::borrow::Cow;
use std::fmt;

use crate::anonymize::TrustedProxies;
use crate::format::OutputFormat;
use crate::policy::Policy;
use crate::record::RawRecord;

/// An input format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InputFormat {
    /// NCSA combined log format.
    Combined,
    /// NCSA common log format.
    Common,
    /// One JSON object per line.
    Json,
}

impl InputFormat {
    /// The output format that keeps this input's format.
    pub fn same_output(self) -> OutputFormat {
        match self {
            Self::Combined => OutputFormat::Combined,
            Self::Common => OutputFormat::Common,
            Self::Json => OutputFormat::Json,
        }
    }

    /// Guesses the format from the first non-blank line of an input.
    pub fn detect(first_line: &[u8]) -> Option<Self> {
        let line = first_line.trim_ascii();
        if looks_like_json(line) {
            return Some(Self::Json);
        }
        let parsed =
            clf::parse_clf(line, &clf::TimeCache::default(), clf::MissingStatus::Reject).ok()?;
        Some(if parsed.combined {
            Self::Combined
        } else {
            Self::Common
        })
    }
}

/// Whether a line is read as JSON when the format is detected: it starts with `{`.
pub(crate) fn looks_like_json(line: &[u8]) -> bool {
    line.trim_ascii_start().starts_with(b"{")
}

/// Why a line was rejected. Carries no content of the line.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[non_exhaustive]
pub enum Reject {
    /// Longer than the line limit.
    Oversized,
    /// The fields of the format are not where they belong.
    Malformed,
    /// The request line is not `METHOD target [PROTOCOL]`.
    MalformedRequest,
    /// The timestamp is missing.
    MissingTimestamp,
    /// The timestamp is not a valid date and time.
    InvalidTimestamp,
    /// The status is not a three-digit code.
    InvalidStatus,
    /// The byte count is not a number.
    InvalidBytes,
    /// The line is not a JSON object.
    InvalidJson,
    /// The line is not anonymized output (statistics read nothing else): a full client
    /// address, a user name, a referrer with a path, a visitor that is not a pseudonym.
    NotAnonymized,
}

impl Reject {
    /// A short description, as used in summaries.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Oversized => "oversized line",
            Self::Malformed => "malformed line",
            Self::MalformedRequest => "malformed request line",
            Self::MissingTimestamp => "missing timestamp",
            Self::InvalidTimestamp => "invalid timestamp",
            Self::InvalidStatus => "invalid status",
            Self::InvalidBytes => "invalid byte count",
            Self::InvalidJson => "invalid JSON",
            Self::NotAnonymized => "not anonymized",
        }
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses lines of one format into raw records. Keeps a small cache, so each thread
/// should have its own.
#[derive(Debug, Clone)]
pub struct LineParser {
    format: InputFormat,
    json: json::JsonMapping,
    proxies: TrustedProxies,
    times: clf::TimeCache,
}

impl LineParser {
    /// A parser for `format`, using the policy's JSON field mapping and the trusted proxies
    /// for `X-Forwarded-For` values in JSON input.
    pub fn new(format: InputFormat, policy: &Policy, proxies: TrustedProxies) -> Self {
        Self {
            format,
            json: json::JsonMapping::new(&policy.input.json),
            proxies,
            times: clf::TimeCache::default(),
        }
    }

    /// The format this parser reads.
    pub fn format(&self) -> InputFormat {
        self.format
    }

    /// Parses one line (without its line break).
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<RawRecord<'a>, Reject> {
        match self.format {
            InputFormat::Combined | InputFormat::Common => {
                clf::parse_clf(line, &self.times, clf::MissingStatus::Reject).map(|l| l.record)
            }
            InputFormat::Json => json::parse_json(line, &self.json, &self.proxies),
        }
    }
}

/// A line as an audit reads it: the record the anonymizer would get from it, and what of
/// the line that record does not hold.
pub(crate) struct AuditLine<'a> {
    /// The record, when the line is one (a JSON object may not be).
    pub(crate) record: Option<RawRecord<'a>>,
    /// CLF's ident column, JSON `visitor`: where anonlog writes its visitor pseudonym.
    pub(crate) ident: Option<Cow<'a, [u8]>>,
    /// CLF's user column, JSON `remote_user` and the like.
    pub(crate) user: Option<Cow<'a, [u8]>>,
    /// Every value no field reads, with its JSON key (empty for CLF's trailing fields).
    pub(crate) unread: Vec<(Cow<'a, str>, Cow<'a, [u8]>)>,
    /// Whether the line was JSON: its values are JSON-decoded, and may still hold the
    /// visible `\xHH` escapes anonlog and nginx write.
    pub(crate) json: bool,
}

/// Decodes the `\xHH`, `\"` and `\\` escapes of a CLF field (or of a JSON value that
/// carries them), as the CLF parser does.
pub(crate) use clf::unescape;

impl LineParser {
    /// A parser for audits: the policy's JSON field mapping, then anonlog's own output
    /// keys; no trusted proxies.
    pub(crate) fn for_audit(format: InputFormat, policy: &Policy) -> Self {
        Self {
            format,
            json: json::JsonMapping::for_audit(&policy.input.json),
            proxies: TrustedProxies::default(),
            times: clf::TimeCache::default(),
        }
    }

    /// Parses one line (without its line break) for an audit; an error means the line is
    /// not of this parser's format at all.
    pub(crate) fn parse_for_audit<'a>(&self, line: &'a [u8]) -> Result<AuditLine<'a>, Reject> {
        match self.format {
            InputFormat::Combined | InputFormat::Common => {
                let clf = clf::parse_clf(line, &self.times, clf::MissingStatus::Accept)?;
                Ok(AuditLine {
                    record: Some(clf.record),
                    ident: Some(Cow::Borrowed(clf.ident)),
                    user: Some(Cow::Borrowed(clf.user)),
                    unread: (!clf.trailer.is_empty())
                        .then_some((Cow::Borrowed(""), Cow::Borrowed(clf.trailer)))
                        .into_iter()
                        .collect(),
                    json: false,
                })
            }
            InputFormat::Json => json::parse_json_for_audit(line, &self.json, &self.proxies),
        }
    }
}
