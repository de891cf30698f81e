//! Building a [`RawRecord`] from an `http::Request` head.

use std::net::IpAddr;

use http::header::{FORWARDED, HOST, REFERER, USER_AGENT};
use http::{HeaderName, Request, Version};

use crate::anonymize::{Anonymizer, TrustedProxies};
use std::borrow::Cow;

use crate::record::{ClientAddr, RawRecord, RawRecordBuilder};
use crate::time::Timestamp;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// Captures the request-side fields of an access record, borrowing from the request.
///
/// The client is `peer`, or the forwarded client when `peer` is a trusted proxy. Only the
/// headers the anonymizer's policy allows are captured besides `Host`, `User-Agent` and
/// `Referer`; cookies and credentials never are.
///
/// ```
/// use anonlog::{Anonymizer, Policy, Timestamp, anonymize::TrustedProxies};
/// use anonlog::layer::capture_request;
/// let anonymizer = Anonymizer::new(Policy::strict()).unwrap();
/// let request = http::Request::get("/users/7?page=1")
///     .header("user-agent", "curl/8.5.0")
///     .header("cookie", "session=secret")
///     .body(())
///     .unwrap();
/// let peer = "198.51.100.23".parse().ok();
/// let raw = capture_request(&request, peer, &TrustedProxies::default(), &anonymizer, Timestamp::now())
///     .status(200)
///     .build();
/// let anon = anonymizer.apply(&raw);
/// assert_eq!(anon.path().as_str(), "/users/:num");
/// assert_eq!(anon.network().unwrap().to_string(), "198.51.0.0");
/// ```
pub fn capture_request<'r, B>(
    request: &'r Request<B>,
    peer: Option<IpAddr>,
    proxies: &TrustedProxies,
    anonymizer: &Anonymizer,
    time: Timestamp,
) -> RawRecordBuilder<'r> {
    RawRecordBuilder::from_record(capture(request, peer, proxies, anonymizer, time, None))
}

/// [`capture_request`] without a builder: the layer's hot path.
pub(crate) fn capture<'r, B>(
    request: &'r Request<B>,
    peer: Option<IpAddr>,
    proxies: &TrustedProxies,
    anonymizer: &Anonymizer,
    time: Timestamp,
    route: Option<&'r str>,
) -> RawRecord<'r> {
    let headers = request.headers();
    let bytes = |name| {
        headers
            .get(name)
            .map_or(Cow::Borrowed(&b""[..]), |v: &'r http::HeaderValue| {
                Cow::Borrowed(v.as_bytes())
            })
    };
    let host = match headers.get(HOST) {
        Some(host) => Cow::Borrowed(host.as_bytes()),
        None => Cow::Borrowed(request.uri().host().unwrap_or_default().as_bytes()),
    };
    let client = peer
        .and_then(|peer| {
            proxies.resolve(
                peer,
                headers.get_all(FORWARDED).iter().map(|v| v.as_bytes()),
                headers
                    .get_all(X_FORWARDED_FOR)
                    .iter()
                    .map(|v| v.as_bytes()),
            )
        })
        .map_or(ClientAddr::Unknown, ClientAddr::Ip);
    let mut captured = Vec::new();
    for name in &anonymizer.policy().headers.allow {
        for value in headers.get_all(name.as_str()) {
            captured.push((
                Cow::Owned(name.clone().into_bytes()),
                Cow::Borrowed(value.as_bytes()),
            ));
        }
    }
    let target = request
        .uri()
        .path_and_query()
        .map_or(request.uri().path(), |pq| pq.as_str());
    RawRecord {
        time,
        client,
        method: Cow::Borrowed(request.method().as_str().as_bytes()),
        target: Cow::Borrowed(target.as_bytes()),
        route: route.map(|r| Cow::Borrowed(r.as_bytes())),
        protocol: Cow::Borrowed(protocol(request.version()).as_bytes()),
        host,
        user_agent: bytes(USER_AGENT),
        referrer: bytes(REFERER),
        status: None,
        bytes: None,
        time_to_head: None,
        duration: None,
        outcome: None,
        headers: captured,
    }
}

fn protocol(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    #[test]
    fn forged_forwarded_for_from_untrusted_peer_is_ignored() {
        let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
        let request = Request::get("/")
            .header("x-forwarded-for", "192.0.2.1")
            .body(())
            .expect("request");
        let proxies = TrustedProxies::new(["10.0.0.0/8".parse().expect("net")]);
        let peer = "198.51.100.23".parse().ok();
        let raw = capture_request(&request, peer, &proxies, &anonymizer, Timestamp::now()).build();
        assert_eq!(
            anonymizer
                .apply(&raw)
                .network()
                .map(|n| n.to_string())
                .as_deref(),
            Some("198.51.0.0")
        );
        let peer = "10.1.1.1".parse().ok();
        let raw = capture_request(&request, peer, &proxies, &anonymizer, Timestamp::now()).build();
        assert_eq!(
            anonymizer
                .apply(&raw)
                .network()
                .map(|n| n.to_string())
                .as_deref(),
            Some("192.0.0.0")
        );
    }

    #[test]
    fn only_allowed_headers_are_captured() {
        let policy =
            Policy::from_toml_str("[headers]\nallow = [\"accept-language\"]").expect("valid");
        let anonymizer = Anonymizer::new(policy).expect("valid");
        let request = Request::get("/")
            .header("accept-language", "en")
            .header("cookie", "a=b")
            .header("authorization", "Bearer x")
            .body(())
            .expect("request");
        let raw = capture_request(
            &request,
            None,
            &TrustedProxies::default(),
            &anonymizer,
            Timestamp::now(),
        )
        .build();
        assert_eq!(raw.headers.len(), 1);
        let anon = anonymizer.apply(&raw);
        assert_eq!(
            anon.headers()
                .map(|(n, v)| (n, v.as_str()))
                .collect::<Vec<_>>(),
            [("accept-language", "en")]
        );
    }
}
