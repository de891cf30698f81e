//! Table tests of the detector set as a whole.

use super::*;

fn class(s: &str) -> Option<Placeholder> {
    classify(s.as_bytes())
}

#[test]
fn numbers() {
    assert_eq!(class("42"), Some(Placeholder::Num));
    assert_eq!(class("0"), Some(Placeholder::Num));
    assert_eq!(class("invoice-1234567.pdf"), Some(Placeholder::Num));
    assert_eq!(class("v2"), None);
    assert_eq!(class("page-12"), None);
}

#[test]
fn uuids() {
    assert_eq!(
        class("550e8400-e29b-41d4-a716-446655440000"),
        Some(Placeholder::Uuid)
    );
    assert_eq!(
        class("doc-550E8400-E29B-41D4-A716-446655440000.pdf"),
        Some(Placeholder::Uuid)
    );
    assert_eq!(
        class("550e8400e29b41d4a716446655440000"),
        Some(Placeholder::Hex)
    );
}

#[test]
fn emails_also_percent_encoded() {
    assert_eq!(class("carol.smith@example.org"), Some(Placeholder::Email));
    assert_eq!(class("carol.smith%40example.org"), Some(Placeholder::Email));
    assert_eq!(
        class("carol.smith%2540example.org"),
        Some(Placeholder::Email)
    );
    // A scope or handle alone is a name, not an address (`/npm/@types/node`).
    assert_eq!(class("@types"), None);
}

#[test]
fn addresses() {
    assert_eq!(class("198.51.100.23"), Some(Placeholder::Ip));
    assert_eq!(class("u10,,198.51.100.23"), Some(Placeholder::Ip));
    assert_eq!(class("host-192.0.2.1.example"), Some(Placeholder::Ip));
    assert_eq!(class("2001:db8::1"), Some(Placeholder::Ip));
    assert_eq!(class("[2001:db8::1]:443"), Some(Placeholder::Ip));
    assert_eq!(class("::ffff:198.51.100.23"), Some(Placeholder::Ip));
    assert_eq!(class("2001%3Adb8%3A%3A1"), Some(Placeholder::Ip));
    assert_eq!(class("jquery-3.7.1.min.js"), None);
    assert_eq!(class("a:b:c"), None);
    assert_eq!(class("10:30:00"), None);
}

#[test]
fn hex_runs() {
    assert_eq!(class("app.3f2a9c1b4d5e6f70.js"), Some(Placeholder::Hex));
    assert_eq!(class("deadbeefdeadbee"), None);
    assert_eq!(
        class("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"),
        Some(Placeholder::Hex)
    );
}

#[test]
fn tokens() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assert_eq!(class(jwt), Some(Placeholder::Token));
    assert_eq!(
        class("sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        Some(Placeholder::Token)
    );
    assert_eq!(
        class("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        Some(Placeholder::Token)
    );
    assert_eq!(class("AKIAIOSFODNN7EXAMPLE"), Some(Placeholder::Token));
    assert_eq!(
        class("dGhpcyBpcyBhIHNlY3JldCB0b2tlbg"),
        Some(Placeholder::Token)
    );
    assert_eq!(
        class("Zm9vYmFyX2Jhel9xdXV4XzEyMzQ1"),
        Some(Placeholder::Token)
    );
    assert_eq!(class("aB3xK9qZ"), Some(Placeholder::Token));
    assert_eq!(class("dQw4w9WgXcQ"), Some(Placeholder::Token));
    assert_eq!(class("sk_live_abcdefghijklmnop"), Some(Placeholder::Token));
}

#[test]
fn ordinary_segments_are_kept() {
    for s in [
        "users",
        "index.html",
        "top-10-tips-for-2024",
        "Getting_Started_With_Rust",
        "installation-guide-2024-edition",
        "iphone15-pro-max-review-2024",
        "favicon.ico",
        "jquery-3.7.1.min.js",
        "2026",
        "",
    ] {
        assert!(
            s.is_empty() || s == "2026" || class(s).is_none(),
            "{s} was replaced"
        );
    }
    assert_eq!(class("2026"), Some(Placeholder::Num));
}

#[test]
fn addresses_are_found() {
    for (v, ip) in [
        ("u10,,198.51.100.23", Some("198.51.100.23")),
        ("1.2.3.4.5", Some("1.2.3.4")),
        ("999.1.2.3.4", Some("1.2.3.4")),
        ("host-192.0.2.1.example", Some("192.0.2.1")),
        ("[2001:db8::1]:443", Some("2001:db8::1")),
        ("via=2001:db8:77::9", Some("2001:db8:77::9")),
        ("::ffff:198.51.100.23", Some("198.51.100.23")),
        ("1234567890123.1.2.3", None),
        ("jquery-3.7.1.min.js", None),
        ("10:30:00", None),
    ] {
        assert_eq!(
            find_ip(v.as_bytes()),
            ip.map(|ip| ip.parse().expect("address")),
            "{v}"
        );
    }
}

#[test]
fn jwts_static_assets_and_session_keys() {
    type Rule = fn(&[u8]) -> bool;
    for (rule, v, expected) in [
        (
            is_jwt as Rule,
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
            true,
        ),
        (is_jwt, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", false),
        (is_jwt, "xeyJ.a.b", false),
        (is_static_asset, "app.3f2a9c1b4d5e6f70.js", true),
        (is_static_asset, "logo.a94a8fe5ccb19ba61c4c.PNG", true),
        (is_static_asset, "font.woff2", true),
        (is_static_asset, "report.pdf", false),
        (is_static_asset, "js", false),
        (is_session_key, "jsessionid", true),
        (is_session_key, "PHPSESSID", true),
        (is_session_key, "Email", true),
        (is_session_key, "page", false),
        (is_session_key, "tokens", false),
    ] {
        assert_eq!(rule(v.as_bytes()), expected, "{v}");
    }
}

#[test]
fn email_addresses() {
    for (v, found) in [
        (
            "carol.smith@example.org",
            Some(("carol.smith", "example.org")),
        ),
        ("a@b.c", Some(("a", "b.c"))),
        (
            "q=carol.smith@example.org+orders",
            Some(("carol.smith", "example.org")),
        ),
        ("mail carol@example.org.", Some(("carol", "example.org"))),
        ("@carol", None),
        ("carol@localhost", None),
        ("carol@example.", None),
        ("npm@7", None),
    ] {
        let got = email_address(v.as_bytes());
        let want = found.map(|(l, d): (&str, &str)| (l.as_bytes(), d.as_bytes()));
        assert_eq!(got, want, "{v}");
    }
}

#[test]
fn percent_decoding() {
    assert_eq!(&*percent_decode(b"a%20b%zz%4"), b"a b%zz%4");
}
