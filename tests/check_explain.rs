//! `anonlog check` and `anonlog explain` through the real binary.

mod common;

use common::{run_anonlog as run, text};

/// One line per kind the check must find, each with a secret it must never print.
fn dirty_log() -> String {
    [
        r#"198.51.100.23 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:01 +0000] "GET /r?via=2001:db8:77::9 HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:02 +0000] "GET /u/alice.secret%40example.com HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:03 +0000] "GET /t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2VjcmV0c2lnbg HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:04 +0000] "GET /pay?k=sk_live_SECRETabcdef123456 HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:05 +0000] "GET /o/550e8400-e29b-41d4-a716-446655440000 HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:06 +0000] "GET /h/a94a8fe5ccb19ba61c4c0873d391e987 HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:07 +0000] "GET /s/dGhpc1NlY3JldFRva2VuMTIzNDU2Nzg HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:08 +0000] "GET /cart;jsessionid=SECRETSESSION HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - secretuser [24/Nov/2026:10:00:09 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:10 +0000] "GET / HTTP/1.1" 200 1 "https://www.example.com/search?q=secretterm" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:11 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36""#,
        "198.51.0.0 - - [24/Nov/2026:10:00:12 +0000] \"GET /\x1b[31msecret HTTP/1.1\" 200 1 \"-\" \"-\"",
        r#"{"time":"2026-11-24T10:00:13Z","remote_addr":"::ffff:192.0.2.77","remote_user":"jsonsecretuser","request_uri":"/x?PHPSESSID=jsonsecret"}"#,
    ]
    .join("\n")
        + "\n"
}

#[test]
fn check_finds_every_planted_kind_and_prints_none_of_it() {
    let out = run(&["check", "--json"], dirty_log().as_bytes());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let kinds: Vec<&str> = report[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    for kind in [
        "full_ipv4",
        "full_ipv6",
        "email",
        "jwt",
        "api_key",
        "uuid",
        "long_hex",
        "token",
        "session_parameter",
        "authenticated_user",
        "referrer_path_or_query",
        "raw_user_agent",
        "control_sequence",
    ] {
        assert!(kinds.contains(&kind), "{kind} not found in {kinds:?}");
    }
    let table = run(&["check"], dirty_log().as_bytes());
    let all = format!(
        "{}{}{}",
        text(&out.stdout),
        text(&table.stdout),
        text(&table.stderr)
    );
    for secret in [
        "198.51.100.23",
        "2001:db8:77::9",
        "alice",
        "SECRET",
        "secret",
        "a94a8fe5ccb19ba6",
        "6367",
        "192.0.2.77",
        "550e8400-e29b",
    ] {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
    assert!(text(&table.stdout).contains("full IPv4 address"));
    // Found by fuzzing: a hint cut from a line must not carry its control characters.
    let out = run(
        &["check"],
        b"192.0.2.1 - us\x00er\x1b[2J [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1\n",
    );
    assert!(
        !text(&out.stdout)
            .chars()
            .any(|c| c.is_control() && c != '\n'),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_finds_nothing_in_anonlog_output_of_the_same_traffic() {
    let raw = std::fs::read("samples/access.log").expect("sample");
    let anon = run(&["anonymize"], &raw);
    assert_eq!(anon.status.code(), Some(0));
    for format in ["combined", "json"] {
        let anon = run(&["anonymize", "--output-format", format], &raw);
        let out = run(&["check"], &anon.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stdout).contains("12 lines, 0 findings"),
            "{}",
            text(&out.stdout)
        );
    }
    let raw_check = run(&["check"], &raw);
    assert_eq!(raw_check.status.code(), Some(1));
    // The deliberately dirty log too (its JSON line is rejected in a combined input).
    let anon = run(
        &["anonymize", "--format", "combined"],
        dirty_log().as_bytes(),
    );
    assert_eq!(text(&anon.stdout).lines().count(), 13);
    let out = run(&["check"], &anon.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("13 lines, 0 findings"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn realistic_clean_lines_raise_no_false_positives() {
    let clean = [
        r#"198.51.0.0 0123456789abcdef - [24/Nov/2026:10:00:00 +0000] "GET /static/js/app.3f2a9c1b4d5e6f70.js HTTP/1.1" 200 5123 "https://www.example.com" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:01 +0000] "GET /docs/v1.2.3/install HTTP/1.1" 200 10 "-" "curl/8.0""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:02 +0000] "GET /blog/2026/11/24/release-notes-1.4.0/ HTTP/1.1" 200 10 "-" "-""#,
        r#"198.51.0.0 - - [24/Nov/2026:10:00:03 +0000] "GET /vendor/jquery-3.7.1.min.js HTTP/1.1" 304 0 "-" "-""#,
        r#"2001:db8:: - - [24/Nov/2026:10:00:04 +0000] "GET /img/logo.a94a8fe5ccb19ba61c4c.png?v=2 HTTP/2.0" 200 10 "-" "-""#,
        r#"{"time":"2026-11-24T10:00:05.000Z","network":"198.51.0.0","visitor":"0123456789abcdef","method":"GET","path":"/users/:num","query":"page=2","status":200,"referrer":"https://www.example.com","browser":"Chrome","browser_major":124,"os":"Windows","bot":false}"#,
    ]
    .join("\n");
    let out = run(&["check"], clean.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("6 lines, 0 findings"));
}

#[test]
fn policy_conformance_and_risk_threshold() {
    let dir = std::env::temp_dir().join(format!("anonlog-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "preset = \"minimal\"\n[query]\nallow = [\"lang\"]\n",
    )
    .expect("write");
    let line = r#"198.51.0.0 - - [24/Nov/2026:10:00:00 +0000] "GET /a?page=2&lang=en HTTP/1.1" 200 1 "-" "-""#;
    let out = run(
        &[
            "check",
            "--json",
            "--policy",
            policy.to_str().expect("utf-8"),
        ],
        line.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let kinds: Vec<&str> = report[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["network_beyond_policy", "query_key_not_allowed"]);
    std::fs::remove_dir_all(&dir).expect("cleanup");

    // Risk sets the exit status only when asked.
    let small = [line; 3].join("\n");
    let clean = run(&["check"], small.as_bytes());
    assert_eq!(clean.status.code(), Some(0));
    assert!(text(&clean.stdout).contains("3 of 3 records (100.0 %)"));
    let risky = run(&["check", "--max-risk", "50"], small.as_bytes());
    assert_eq!(risky.status.code(), Some(1));
    let k3 = run(&["check", "--k", "3", "--max-risk", "50"], small.as_bytes());
    assert_eq!(k3.status.code(), Some(0), "{}", text(&k3.stdout));
    let bad = run(&["check", "/nonexistent/anonlog.log"], b"");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn explain_follows_the_policy() {
    let strict = run(&["explain"], b"");
    assert_eq!(strict.status.code(), Some(0));
    let strict = text(&strict.stdout);
    assert!(strict.starts_with("## Server logs"));
    assert!(strict.contains("the first two bytes of your IPv4 address"));
    assert!(strict.contains("destroyed after at most 48 hours"));
    assert!(strict.contains("We never record cookies"));
    let regional = text(&run(&["explain", "--preset", "regional"], b"").stdout);
    assert!(regional.contains("the first three bytes of your IPv4 address"));
    let minimal = text(&run(&["explain", "--preset", "minimal", "--format", "text"], b"").stdout);
    assert!(minimal.starts_with("SERVER LOGS"));
    assert!(minimal.contains("We do not count individual visitors"));
    let html = text(&run(&["explain", "--format", "html"], b"").stdout);
    assert!(html.starts_with("<section") && html.trim_end().ends_with("</section>"));
    let unknown = run(&["explain", "--preset", "lax"], b"");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("unknown preset"));
}
