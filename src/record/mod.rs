//! Access records: [`RawRecord`] as captured or parsed, [`AnonRecord`] as written.
//!
//! The two types are the privacy model's boundary. A `RawRecord` holds personal data; it
//! can be built and handed to the anonymizer, nothing else: its fields are private, it has
//! no `Display` or `Serialize`, and its `Debug` shows field sizes, never content. An
//! `AnonRecord` can only be made by [`Anonymizer::apply`](crate::Anonymizer::apply), and
//! encoders and sinks accept nothing else.
//!
//! The values an `AnonRecord` holds live here too, below the rules that make them and the
//! encoders that write them: [`SafeText`] (escaped text, `safe_text.rs`), [`VisitorId`]
//! (`visitor_id.rs`) and [`UserAgentClass`] (`user_agent_class.rs`).

pub(crate) mod safe_text;
mod user_agent_class;
mod visitor_id;

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

pub use safe_text::{SafeText, TRUNCATION_MARKER};
pub(crate) use user_agent_class::{AgentForm, GENERIC_NAME};
pub use user_agent_class::{AgentKind, Device, OsVersion, OsVersionName, UserAgentClass};
pub use visitor_id::VisitorId;

use crate::time::Timestamp;

/// How a request ended, as seen by the server.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The response was sent completely.
    Completed,
    /// The client went away or the response was dropped before it was complete.
    Aborted,
    /// The service or the response body failed.
    Error,
}

impl Outcome {
    /// The name written to the output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Aborted => "aborted",
            Self::Error => "error",
        }
    }
}

/// The client address as it was captured.
#[derive(Clone)]
pub(crate) enum ClientAddr<'a> {
    Unknown,
    Ip(IpAddr),
    Text(Cow<'a, [u8]>),
}

/// An access record before anonymization: personal data, never written anywhere.
///
/// ```
/// use anonlog::{RawRecord, Timestamp};
/// let raw = RawRecord::builder(Timestamp::now())
///     .client_text("198.51.100.23")
///     .method("GET")
///     .target("/users/42?page=2&token=abc")
///     .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
///     .status(200)
///     .build();
/// assert!(!format!("{raw:?}").contains("198.51"));
/// ```
#[derive(Clone)]
pub struct RawRecord<'a> {
    pub(crate) time: Timestamp,
    pub(crate) client: ClientAddr<'a>,
    pub(crate) method: Cow<'a, [u8]>,
    pub(crate) target: Cow<'a, [u8]>,
    pub(crate) route: Option<Cow<'a, [u8]>>,
    pub(crate) protocol: Cow<'a, [u8]>,
    pub(crate) host: Cow<'a, [u8]>,
    pub(crate) user_agent: Cow<'a, [u8]>,
    pub(crate) referrer: Cow<'a, [u8]>,
    pub(crate) status: Option<u16>,
    pub(crate) bytes: Option<u64>,
    pub(crate) time_to_head: Option<Duration>,
    pub(crate) duration: Option<Duration>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) headers: Vec<RawHeader<'a>>,
}

/// A captured header: name and value.
pub(crate) type RawHeader<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Byte or text input for a [`RawRecord`] field, borrowed or owned.
pub trait RawText<'a> {
    /// The bytes of the value.
    fn into_raw(self) -> Cow<'a, [u8]>;
}

impl<'a> RawText<'a> for &'a str {
    fn into_raw(self) -> Cow<'a, [u8]> {
        Cow::Borrowed(self.as_bytes())
    }
}

impl<'a> RawText<'a> for &'a [u8] {
    fn into_raw(self) -> Cow<'a, [u8]> {
        Cow::Borrowed(self)
    }
}

impl<'a> RawText<'a> for String {
    fn into_raw(self) -> Cow<'a, [u8]> {
        Cow::Owned(self.into_bytes())
    }
}

impl<'a> RawText<'a> for Vec<u8> {
    fn into_raw(self) -> Cow<'a, [u8]> {
        Cow::Owned(self)
    }
}

impl<'a> RawText<'a> for Cow<'a, [u8]> {
    fn into_raw(self) -> Cow<'a, [u8]> {
        self
    }
}

impl<'a> RawRecord<'a> {
    /// Starts a record of a request that began at `time`.
    #[inline]
    pub fn builder(time: Timestamp) -> RawRecordBuilder<'a> {
        RawRecordBuilder(RawRecord {
            time,
            client: ClientAddr::Unknown,
            method: Cow::Borrowed(b""),
            target: Cow::Borrowed(b""),
            route: None,
            protocol: Cow::Borrowed(b""),
            host: Cow::Borrowed(b""),
            user_agent: Cow::Borrowed(b""),
            referrer: Cow::Borrowed(b""),
            status: None,
            bytes: None,
            time_to_head: None,
            duration: None,
            outcome: None,
            headers: Vec::new(),
        })
    }

    /// When the request began.
    pub fn time(&self) -> Timestamp {
        self.time
    }
}

/// Redacted: shows which fields are set and their sizes, never their content.
impl fmt::Debug for RawRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted(usize);
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<redacted {} bytes>", self.0)
            }
        }
        let client = match &self.client {
            ClientAddr::Unknown => Redacted(0),
            ClientAddr::Ip(IpAddr::V4(_)) => Redacted(4),
            ClientAddr::Ip(IpAddr::V6(_)) => Redacted(16),
            ClientAddr::Text(t) => Redacted(t.len()),
        };
        f.debug_struct("RawRecord")
            .field("time", &self.time)
            .field("client", &client)
            .field("method", &Redacted(self.method.len()))
            .field("target", &Redacted(self.target.len()))
            .field("route", &self.route.as_ref().map(|r| Redacted(r.len())))
            .field("protocol", &Redacted(self.protocol.len()))
            .field("host", &Redacted(self.host.len()))
            .field("user_agent", &Redacted(self.user_agent.len()))
            .field("referrer", &Redacted(self.referrer.len()))
            .field("status", &self.status)
            .field("bytes", &self.bytes)
            .field("time_to_head", &self.time_to_head)
            .field("duration", &self.duration)
            .field("outcome", &self.outcome)
            .field("headers", &self.headers.len())
            .finish()
    }
}

/// Builds a [`RawRecord`]; unset fields are unknown.
#[derive(Debug)]
pub struct RawRecordBuilder<'a>(RawRecord<'a>);

impl<'a> RawRecordBuilder<'a> {
    /// The client address as a socket peer or resolved proxy address.
    #[inline]
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.0.client = ClientAddr::Ip(ip);
        self
    }

    /// The client address as text from a log (`198.51.100.23`, `[2001:db8::1]:443`, …).
    #[inline]
    pub fn client_text(mut self, text: impl RawText<'a>) -> Self {
        self.0.client = ClientAddr::Text(text.into_raw());
        self
    }

    /// The request method (`GET`).
    #[inline]
    pub fn method(mut self, method: impl RawText<'a>) -> Self {
        self.0.method = method.into_raw();
        self
    }

    /// The request target as sent: path and query (`/users/42?page=2`), or absolute form.
    #[inline]
    pub fn target(mut self, target: impl RawText<'a>) -> Self {
        self.0.target = target.into_raw();
        self
    }

    /// The route template the framework matched (`/users/{id}`); used instead of the path.
    #[inline]
    pub fn route(mut self, route: impl RawText<'a>) -> Self {
        self.0.route = Some(route.into_raw());
        self
    }

    /// The protocol (`HTTP/1.1`).
    #[inline]
    pub fn protocol(mut self, protocol: impl RawText<'a>) -> Self {
        self.0.protocol = protocol.into_raw();
        self
    }

    /// The `Host` header or the authority of the request.
    #[inline]
    pub fn host(mut self, host: impl RawText<'a>) -> Self {
        self.0.host = host.into_raw();
        self
    }

    /// The `User-Agent` header.
    #[inline]
    pub fn user_agent(mut self, user_agent: impl RawText<'a>) -> Self {
        self.0.user_agent = user_agent.into_raw();
        self
    }

    /// The `Referer` header.
    #[inline]
    pub fn referrer(mut self, referrer: impl RawText<'a>) -> Self {
        self.0.referrer = referrer.into_raw();
        self
    }

    /// The response status code.
    #[inline]
    pub fn status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Response body bytes sent.
    #[inline]
    pub fn bytes(mut self, bytes: u64) -> Self {
        self.0.bytes = Some(bytes);
        self
    }

    /// Time from the start of the request to the response head.
    #[inline]
    pub fn time_to_head(mut self, elapsed: Duration) -> Self {
        self.0.time_to_head = Some(elapsed);
        self
    }

    /// Time from the start of the request to the last byte of the response.
    #[inline]
    pub fn duration(mut self, elapsed: Duration) -> Self {
        self.0.duration = Some(elapsed);
        self
    }

    /// How the request ended.
    #[inline]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.0.outcome = Some(outcome);
        self
    }

    /// Another request header; recorded only if the policy's header allowlist names it.
    #[inline]
    pub fn header(mut self, name: impl RawText<'a>, value: impl RawText<'a>) -> Self {
        self.0.headers.push((name.into_raw(), value.into_raw()));
        self
    }

    /// Continues building a record captured elsewhere.
    #[cfg(feature = "layer")]
    pub(crate) fn from_record(record: RawRecord<'a>) -> Self {
        Self(record)
    }

    /// The finished record.
    #[inline]
    pub fn build(self) -> RawRecord<'a> {
        self.0
    }
}

/// An anonymized access record: the only thing encoders and sinks accept.
///
/// Every text field is [`SafeText`]: escaped, length-capped, one line. Text fields that are
/// absent are empty, so a record can be refilled without allocating
/// ([`Anonymizer::apply_into`](crate::Anonymizer::apply_into)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnonRecord {
    pub(crate) time: Timestamp,
    pub(crate) network: Option<IpAddr>,
    pub(crate) visitor: Option<VisitorId>,
    pub(crate) method: Option<&'static str>,
    pub(crate) path: SafeText,
    pub(crate) query: SafeText,
    pub(crate) protocol: Option<&'static str>,
    pub(crate) host: SafeText,
    pub(crate) status: Option<u16>,
    pub(crate) bytes: Option<u64>,
    pub(crate) referrer: SafeText,
    pub(crate) user_agent: Option<UserAgentClass>,
    pub(crate) time_to_head: Option<Duration>,
    pub(crate) duration: Option<Duration>,
    pub(crate) outcome: Option<Outcome>,
    pub(crate) headers: Vec<(Box<str>, SafeText)>,
}

impl AnonRecord {
    /// A record with every field empty, to be filled by the anonymizer.
    pub(crate) fn empty() -> Self {
        Self {
            time: Timestamp::default(),
            network: None,
            visitor: None,
            method: None,
            path: SafeText::default(),
            query: SafeText::default(),
            protocol: None,
            host: SafeText::default(),
            status: None,
            bytes: None,
            referrer: SafeText::default(),
            user_agent: None,
            time_to_head: None,
            duration: None,
            outcome: None,
            headers: Vec::new(),
        }
    }

    /// Fills in the response side of a record whose request side was anonymized earlier.
    #[cfg(feature = "layer")]
    pub(crate) fn set_response(
        &mut self,
        status: Option<u16>,
        bytes: u64,
        time_to_head: Option<Duration>,
        duration: Duration,
        outcome: Outcome,
    ) {
        self.status = status;
        self.bytes = Some(bytes);
        self.time_to_head = time_to_head;
        self.duration = Some(duration);
        self.outcome = Some(outcome);
    }

    /// About how many bytes the record occupies in a queue.
    #[cfg(feature = "layer")]
    pub(crate) fn approx_size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.path.as_str().len()
            + self.query.as_str().len()
            + self.host.as_str().len()
            + self.referrer.as_str().len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.as_str().len() + 32)
                .sum::<usize>()
    }

    /// When the request began, at the policy's precision.
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// The client's network: the address truncated to the policy's prefix.
    pub fn network(&self) -> Option<IpAddr> {
        self.network
    }

    /// The daily visitor pseudonym.
    pub fn visitor(&self) -> Option<VisitorId> {
        self.visitor
    }

    /// The request method (`OTHER` for unknown methods).
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }

    /// The templated path (or route template).
    pub fn path(&self) -> &SafeText {
        &self.path
    }

    /// The allow-listed query parameters, without `?`.
    pub fn query(&self) -> Option<&SafeText> {
        self.query.non_empty()
    }

    /// The protocol (`HTTP/1.1`).
    pub fn protocol(&self) -> Option<&'static str> {
        self.protocol
    }

    /// The host name the request was for.
    pub fn host(&self) -> Option<&SafeText> {
        self.host.non_empty()
    }

    /// The response status.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Response body bytes.
    pub fn bytes(&self) -> Option<u64> {
        self.bytes
    }

    /// The referrer's origin.
    pub fn referrer(&self) -> Option<&SafeText> {
        self.referrer.non_empty()
    }

    /// The reduced user agent.
    pub fn user_agent(&self) -> Option<&UserAgentClass> {
        self.user_agent.as_ref()
    }

    /// Time to the response head.
    pub fn time_to_head(&self) -> Option<Duration> {
        self.time_to_head
    }

    /// Time to the last response byte.
    pub fn duration(&self) -> Option<Duration> {
        self.duration
    }

    /// How the request ended.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Allow-listed headers: lower-case name and scrubbed value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &SafeText)> {
        self.headers.iter().map(|(n, v)| (&**n, v))
    }
}

#[cfg(test)]
mod tests;
