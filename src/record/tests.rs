//! Unit tests of the raw and anonymized records: redaction, builder, empty records.

use super::*;

fn full_record() -> RawRecord<'static> {
    RawRecord::builder(Timestamp::from_unix_millis(1_795_510_800_000))
        .client_text("198.51.100.23")
        .method("GET")
        .target("/users/42?token=abc")
        .route("/users/{id}")
        .protocol("HTTP/1.1")
        .host("www.example.com")
        .user_agent("curl/8.5.0")
        .referrer("https://example.org/private")
        .status(404)
        .bytes(17)
        .time_to_head(Duration::from_millis(2))
        .duration(Duration::from_millis(5))
        .outcome(Outcome::Aborted)
        .header("accept-language", "en")
        .header(String::from("x-request-id"), b"7".to_vec())
        .build()
}

#[test]
fn debug_shows_sizes_never_content() {
    let shown = format!("{:?}", full_record());
    for secret in [
        "198.51", "GET", "users", "token", "HTTP/1.1", "example", "curl", "private", "accept",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    for field in [
        "client: <redacted 13 bytes>",
        "method: <redacted 3 bytes>",
        "target: <redacted 19 bytes>",
        "route: Some(<redacted 11 bytes>)",
        "protocol: <redacted 8 bytes>",
        "host: <redacted 15 bytes>",
        "user_agent: <redacted 10 bytes>",
        "referrer: <redacted 27 bytes>",
        "status: Some(404)",
        "bytes: Some(17)",
        "outcome: Some(Aborted)",
        "headers: 2",
    ] {
        assert!(shown.contains(field), "{field} not in {shown}");
    }
}

#[test]
fn debug_of_a_binary_address_gives_its_size() {
    for (ip, field) in [
        ("192.0.2.1", "client: <redacted 4 bytes>"),
        ("2001:db8::1", "client: <redacted 16 bytes>"),
    ] {
        let raw = RawRecord::builder(Timestamp::default())
            .client_ip(ip.parse().expect("valid address"))
            .build();
        let shown = format!("{raw:?}");
        assert!(shown.contains(field), "{field} not in {shown}");
        assert!(!shown.contains(ip), "{shown}");
    }
    let unknown = format!("{:?}", RawRecord::builder(Timestamp::default()).build());
    assert!(unknown.contains("client: <redacted 0 bytes>"), "{unknown}");
}

#[test]
fn builder_sets_each_field() {
    let raw = full_record();
    assert_eq!(raw.time(), Timestamp::from_unix_millis(1_795_510_800_000));
    assert!(matches!(&raw.client, ClientAddr::Text(t) if **t == *b"198.51.100.23"));
    for (field, value) in [
        (&raw.method, &b"GET"[..]),
        (&raw.target, b"/users/42?token=abc"),
        (&raw.protocol, b"HTTP/1.1"),
        (&raw.host, b"www.example.com"),
        (&raw.user_agent, b"curl/8.5.0"),
        (&raw.referrer, b"https://example.org/private"),
    ] {
        assert_eq!(&**field, value);
    }
    assert_eq!(raw.route.as_deref(), Some(&b"/users/{id}"[..]));
    assert_eq!(
        (
            raw.status,
            raw.bytes,
            raw.time_to_head,
            raw.duration,
            raw.outcome
        ),
        (
            Some(404),
            Some(17),
            Some(Duration::from_millis(2)),
            Some(Duration::from_millis(5)),
            Some(Outcome::Aborted)
        )
    );
    let headers: Vec<(&[u8], &[u8])> = raw.headers.iter().map(|(n, v)| (&**n, &**v)).collect();
    assert_eq!(
        headers,
        [
            (&b"accept-language"[..], &b"en"[..]),
            (b"x-request-id", b"7")
        ]
    );
    let ip = "203.0.113.9".parse().expect("valid address");
    let raw = RawRecord::builder(Timestamp::default())
        .client_ip(ip)
        .build();
    assert!(matches!(raw.client, ClientAddr::Ip(a) if a == ip));
}

#[test]
fn unset_fields_are_unknown() {
    let raw = RawRecord::builder(Timestamp::default()).build();
    assert!(matches!(raw.client, ClientAddr::Unknown));
    assert!(raw.method.is_empty() && raw.target.is_empty() && raw.host.is_empty());
    assert!(raw.route.is_none() && raw.status.is_none() && raw.headers.is_empty());
    let anon = AnonRecord::empty();
    assert_eq!(
        (
            anon.network(),
            anon.visitor(),
            anon.method(),
            anon.protocol()
        ),
        (None, None, None, None)
    );
    assert!(anon.path().is_empty());
    assert!(anon.query().is_none() && anon.host().is_none() && anon.referrer().is_none());
    assert!(anon.user_agent().is_none() && anon.headers().next().is_none());
}

#[test]
fn outcomes_have_stable_names() {
    for (outcome, name) in [
        (Outcome::Completed, "completed"),
        (Outcome::Aborted, "aborted"),
        (Outcome::Error, "error"),
    ] {
        assert_eq!(outcome.as_str(), name);
    }
}
