//! The privacy model of `docs/privacy-model.md`, field by field, through the public API.

use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};

fn t() -> Timestamp {
    Timestamp::from_utc(2026, 11, 24, 9, 30, 15, 250).expect("valid time")
}

fn anonymizer() -> Anonymizer {
    Anonymizer::new(Policy::strict()).expect("strict policy is valid")
}

fn json(raw: &RawRecord<'_>) -> String {
    let mut out = Vec::new();
    OutputFormat::Json.encode(&anonymizer().apply(raw), &mut out);
    String::from_utf8(out).expect("utf-8")
}

fn network(client: &str) -> Option<String> {
    let raw = RawRecord::builder(t()).client_text(client).build();
    anonymizer().apply(&raw).network().map(|ip| ip.to_string())
}

fn path(target: &str) -> String {
    let raw = RawRecord::builder(t()).target(target).build();
    anonymizer().apply(&raw).path().as_str().to_owned()
}

#[test]
fn client_networks() {
    assert_eq!(network("198.51.100.23").as_deref(), Some("198.51.0.0"));
    assert_eq!(network("::ffff:198.51.100.23"), network("198.51.100.23"));
    assert_eq!(
        network("2001:db8:abcd:12::1").as_deref(),
        Some("2001:db8::")
    );
    assert_eq!(network("::1").as_deref(), Some("::"));
    for garbage in [
        "fe80::1%eth0",
        "1.2.3.4,5.6.7.8",
        "unknown",
        "_hidden",
        "01.2.3.4",
        "192.0.2.1\x1b[2J",
    ] {
        assert_eq!(network(garbage), None, "{garbage:?}");
    }
    let raw = RawRecord::builder(t()).client_text("unknown").build();
    assert!(json(&raw).contains("\"network\":null"));
}

#[test]
fn paths_and_identifiers() {
    assert_eq!(
        path("/users/42/orders/550e8400-e29b-41d4-a716-446655440000"),
        "/users/:num/orders/:uuid"
    );
    assert_eq!(path("/u/carol.smith@example.org/x"), "/u/:email/x");
    assert_eq!(path("/shop;jsessionid=ABC123"), "/shop");
    assert_eq!(
        path(
            "/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        ),
        "/t/:token"
    );
    assert_eq!(path("/pay/sk_live_51HxYzAbCdEfGhIjKlMnOpQr"), "/pay/:token");
    assert_eq!(path("/static/app.0123456789abcdef.css"), "/static/:hex");
    // Found by fuzzing: an address in a path is as personal as the client column.
    assert_eq!(path("/u10,,,,198.51.100.23"), "/:ip");
    assert_eq!(path("/lookup/2001:db8::7/whois"), "/lookup/:ip/whois");
}

#[test]
fn route_templates_win_over_paths() {
    let raw = RawRecord::builder(t())
        .target("/users/42")
        .route("/users/{id}")
        .build();
    assert_eq!(anonymizer().apply(&raw).path().as_str(), "/users/{id}");
}

#[test]
fn query_allowlist() {
    let raw = RawRecord::builder(t())
        .target("/search?q=carol&page=3&token=abc&utm_source=newsletter&email=c%40example.org")
        .build();
    let anon = anonymizer().apply(&raw);
    assert_eq!(
        anon.query().map(|q| q.as_str()),
        Some("page=3&utm_source=newsletter")
    );
    let raw = RawRecord::builder(t()).target("/search?q=carol").build();
    assert_eq!(anonymizer().apply(&raw).query(), None);
}

#[test]
fn referrer_origin_only() {
    let raw = RawRecord::builder(t())
        .referrer("https://www.google.com/search?q=alice%40example.com")
        .build();
    assert_eq!(
        anonymizer().apply(&raw).referrer().map(|r| r.as_str()),
        Some("https://www.google.com")
    );
    let raw = RawRecord::builder(t())
        .referrer("android-app://com.example.app/")
        .build();
    assert_eq!(anonymizer().apply(&raw).referrer(), None);
}

#[test]
fn methods_and_protocols() {
    let raw = RawRecord::builder(t())
        .method("BREW")
        .protocol("HTCPCP/1.0")
        .build();
    let anon = anonymizer().apply(&raw);
    assert_eq!(
        (anon.method(), anon.protocol()),
        (Some("OTHER"), Some("OTHER"))
    );
    let raw = RawRecord::builder(t())
        .method("G".repeat(1000))
        .protocol("HTTP/2.0")
        .build();
    let anon = anonymizer().apply(&raw);
    assert_eq!(
        (anon.method(), anon.protocol()),
        (Some("OTHER"), Some("HTTP/2.0"))
    );
}

#[test]
fn user_agents_are_reduced() {
    let raw = RawRecord::builder(t())
        .user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36")
        .build();
    let out = json(&raw);
    assert!(
        out.contains(concat!(
            "\"browser\":\"Chrome\",\"browser_major\":124,\"os\":\"Windows\",",
            "\"os_version\":\"10\",\"device\":\"desktop\",\"bot\":false,",
            "\"agent_kind\":\"browser\",\"agent_name\":null"
        )),
        "{out}"
    );
    assert!(!out.contains("6367"));
}

#[test]
fn feed_readers_keep_their_listed_name_only() {
    let raw = RawRecord::builder(t())
        .user_agent(
            "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers; feed-id=8421)",
        )
        .build();
    let out = json(&raw);
    assert!(
        out.contains(concat!(
            "\"browser\":\"Feedly\",\"browser_major\":1,\"os\":\"Other\",",
            "\"os_version\":null,\"device\":\"feed\",\"bot\":true,",
            "\"agent_kind\":\"feed\",\"agent_name\":\"Feedly\""
        )),
        "{out}"
    );
    assert!(
        !out.contains("subscribers") && !out.contains("8421"),
        "{out}"
    );
}

#[test]
fn os_version_can_be_dropped() {
    let policy = Policy::from_toml_str("[user_agent]\nos_version = false").expect("valid policy");
    let raw = RawRecord::builder(t())
        .user_agent("Mozilla/5.0 (Windows NT 6.1; WOW64; rv:52.0) Gecko/20100101 Firefox/52.0")
        .build();
    let anon = Anonymizer::new(policy).expect("valid").apply(&raw);
    let ua = anon.user_agent().expect("reduced");
    assert_eq!((ua.os(), ua.os_version()), ("Windows", None));
    let mut clf = Vec::new();
    OutputFormat::Combined.encode(&anon, &mut clf);
    let clf = String::from_utf8(clf).expect("utf-8");
    assert!(
        clf.contains("\"Mozilla/5.0 (Windows NT; Win64; x64) Firefox/52.0\""),
        "{clf}"
    );
    let kept = anonymizer().apply(&raw);
    assert_eq!(
        kept.user_agent()
            .and_then(|u| u.os_version_name())
            .map(|v| v.to_string())
            .as_deref(),
        Some("7")
    );
}

#[test]
fn headers_only_when_allowed_and_scrubbed() {
    let policy =
        Policy::from_toml_str("[headers]\nallow = [\"Accept-Language\", \"X-Request-Id\"]")
            .expect("valid policy");
    let allowing = Anonymizer::new(policy).expect("valid");
    let raw = RawRecord::builder(t())
        .header("accept-language", "de-CH,de;q=0.9")
        .header("x-request-id", "550e8400-e29b-41d4-a716-446655440000")
        .header("cookie", "session=secret")
        .build();
    let anon = allowing.apply(&raw);
    let headers: Vec<_> = anon.headers().map(|(n, v)| (n, v.as_str())).collect();
    assert_eq!(
        headers,
        [
            ("accept-language", "de-CH,de;q=0.9"),
            ("x-request-id", ":uuid")
        ]
    );
    assert_eq!(anonymizer().apply(&raw).headers().count(), 0);
}

#[test]
fn visitor_pseudonym_in_json_and_clf_ident() {
    let anonymizer = anonymizer();
    let raw = RawRecord::builder(t())
        .client_text("198.51.100.23")
        .user_agent("Mozilla/5.0")
        .host("www.example.com")
        .build();
    let anon = anonymizer.apply(&raw);
    let visitor = anon.visitor().expect("pseudonym on by default").to_string();
    assert_eq!(visitor.len(), 16);
    let mut clf = Vec::new();
    OutputFormat::Common.encode(&anon, &mut clf);
    let clf = String::from_utf8(clf).expect("utf-8");
    assert!(
        clf.starts_with(&format!(
            "198.51.0.0 {visitor} - [24/Nov/2026:09:30:15 +0000]"
        )),
        "{clf}"
    );
    let off = Anonymizer::new(Policy::preset("minimal").expect("preset")).expect("valid");
    assert_eq!(off.apply(&raw).visitor(), None);
}

#[test]
fn time_precision() {
    let policy = Policy::from_toml_str("[time]\nprecision = \"minute\"").expect("valid");
    let anon = Anonymizer::new(policy)
        .expect("valid")
        .apply(&RawRecord::builder(t()).build());
    assert_eq!(anon.time().to_string(), "2026-11-24T09:30:00.000Z");
}

#[test]
fn json_lines_have_stable_fields() {
    let raw = RawRecord::builder(t())
        .client_text("2001:db8::1")
        .method("GET")
        .target("/a\"b\\c\x1b")
        .protocol("HTTP/1.1")
        .status(404)
        .bytes(12)
        .duration(std::time::Duration::from_micros(12_345))
        .build();
    let out = json(&raw);
    assert!(out.ends_with("}\n") && out.matches('\n').count() == 1);
    assert!(
        out.contains("\"path\":\"/a\\\\x22b\\\\x5Cc\\\\x1B\""),
        "{out}"
    );
    assert!(out.contains("\"duration_ms\":12.345"), "{out}");
    for key in [
        "time",
        "network",
        "visitor",
        "method",
        "path",
        "query",
        "protocol",
        "host",
        "status",
        "bytes",
        "referrer",
        "browser",
        "browser_major",
        "os",
        "bot",
        "time_to_head_ms",
        "duration_ms",
        "outcome",
    ] {
        assert!(
            out.contains(&format!("\"{key}\":")),
            "{key} missing in {out}"
        );
    }
}
