use super::*;
use crate::anonymize::classify_user_agent;
use crate::anonymize::user_agent::tests::CASES;

fn report(policy: Option<Policy>, text: &str) -> Report {
    let auditor = Auditor::new(policy, 5, None);
    auditor.finish([auditor.scan(text.as_bytes(), 1)])
}

fn kinds(policy: Option<Policy>, text: &str) -> Vec<&'static str> {
    report(policy, text)
        .findings
        .keys()
        .map(|k| k.name())
        .collect()
}

fn combined(referrer: &str, agent: &str) -> String {
    format!(
        "198.51.0.0 0123456789abcdef - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"{referrer}\" \"{agent}\""
    )
}

#[test]
fn synthetic_user_agents_and_punycode_origins_are_clean() {
    // Regression: anonlog's own output of a real log was reported for the synthetic user
    // agent of a crawler that says `Firefox` and a punycode referrer host.
    for (raw, ..) in CASES {
        let mut agent = Vec::new();
        classify_user_agent(raw.as_bytes()).write_synthetic(&mut agent);
        let agent = String::from_utf8(agent).expect("ASCII");
        let line = combined("https://xn--bcher-kva.example", &agent);
        assert_eq!(kinds(None, &line), Vec::<&str>::new(), "{line}");
    }
    let long_punycode = "https://xn--mgbh0a1a2ef6aba8d5b9c.example";
    assert_eq!(
        kinds(None, &combined(long_punycode, "-")),
        Vec::<&str>::new()
    );
}

#[test]
fn raw_user_agents_and_referrers_are_found() {
    let raw = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
    assert_eq!(kinds(None, &combined("-", raw)), ["raw_user_agent"]);
    let referrer = "https://www.example.com/search?q=carol%40example.org";
    assert_eq!(
        kinds(None, &combined(referrer, "-")),
        ["email", "referrer_path_or_query"]
    );
    // An origin that is not as the anonymizer writes it, but holds no path.
    assert_eq!(
        kinds(None, &combined("HTTPS://WWW.Example.com:443/", "-")),
        Vec::<&str>::new()
    );
}

#[test]
fn escaped_quotes_do_not_shift_fields() {
    let line = r#"198.51.0.0 - - [24/Nov/2026:10:00:00 +0000] "GET /a\"b HTTP/1.1" 200 1 "https://www.example.com/\"x\"" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0""#;
    assert_eq!(kinds(None, line), ["referrer_path_or_query"]);
}

#[test]
fn prefixes_follow_the_policy_and_the_absolute_limits() {
    let line = |client: &str| {
        format!("{client} - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1")
    };
    let regional = || Some(Policy::preset("regional").expect("preset"));
    assert_eq!(kinds(None, &line("198.51.0.0")), Vec::<&str>::new());
    assert_eq!(
        kinds(None, &line("198.51.100.0")),
        ["network_beyond_policy"]
    );
    assert_eq!(kinds(regional(), &line("198.51.100.0")), Vec::<&str>::new());
    assert_eq!(kinds(regional(), &line("198.51.100.1")), ["full_ipv4"]);
    assert_eq!(kinds(None, &line("2001:db8::")), Vec::<&str>::new());
    assert_eq!(kinds(regional(), &line("2001:db8:1::")), Vec::<&str>::new());
    assert_eq!(kinds(regional(), &line("2001:db8:1:2::")), ["full_ipv6"]);
    assert_eq!(kinds(None, &line("::ffff:192.0.2.7")), ["full_ipv4"]);
}

#[test]
fn anonlog_json_output_is_read_with_its_own_keys() {
    let clean = r#"{"time":"2026-11-24T10:00:05.000Z","network":"198.51.0.0","visitor":"0123456789abcdef","method":"GET","path":"/users/:num","query":"page=2","protocol":"HTTP/1.1","host":"www.example.com","status":200,"bytes":10,"referrer":"https://xn--bcher-kva.example","browser":"Firefox","browser_major":3,"os":"Other","bot":true,"time_to_head_ms":null,"duration_ms":1.5,"outcome":"completed"}"#;
    let r = report(Some(Policy::strict()), clean);
    assert_eq!(r.total_findings(), 0, "{r}");
    assert_eq!(r.risk.records, 1);
    assert_eq!(r.risk.visitors, 1);
    // The same keys holding what the anonymizer would never write.
    let dirty = clean
        .replace("198.51.0.0", "198.51.100.23")
        .replace("0123456789abcdef", "carol")
        .replace("page=2", "page=2&token=x&ref=x")
        .replace("/users/:num", "/users/carol@example.org")
        .replace("www.example.com", "192.0.2.1")
        .replace("completed", "\\u001b[2J");
    assert_eq!(
        kinds(Some(Policy::strict()), &dirty),
        [
            "full_ipv4",
            "email",
            "session_parameter",
            "query_key_not_allowed",
            "authenticated_user",
            "control_sequence"
        ]
    );
}

#[test]
fn json_values_no_field_reads_are_scanned_as_text() {
    let caddy = r#"{"ts":1795687200.5,"request":{"remote_ip":"192.0.2.1","method":"GET","uri":"/","headers":{"Authorization":["Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2ln"],"User-Agent":["curl/8.5.0"]}},"status":200}"#;
    assert_eq!(kinds(None, caddy), ["full_ipv4", "jwt", "raw_user_agent"]);
    // An object that is no record at all.
    assert_eq!(
        kinds(None, r#"{"msg":"mail carol@example.org"}"#),
        ["email"]
    );
}

#[test]
fn unparsed_lines_are_free_text() {
    assert_eq!(
        kinds(None, "login failed for carol@example.org from 192.0.2.1."),
        ["full_ipv4", "email"]
    );
    assert_eq!(
        kinds(None, "plain words, 2026-11-24, v1.2.3"),
        Vec::<&str>::new()
    );
}

#[test]
fn the_day_is_the_utc_day() {
    // 23:30 at -0100 is 00:30 UTC on the next day, the day of the second line.
    let line = |time: &str| format!("198.51.0.0 - - [{time}] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
    let text = [
        line("24/Nov/2026:23:30:00 -0100"),
        line("25/Nov/2026:00:40:00 +0000"),
    ]
    .join("\n");
    let auditor = Auditor::new(None, 2, None);
    let r = auditor.finish([auditor.scan(text.as_bytes(), 1)]);
    assert_eq!((r.risk.records, r.risk.records_in_small_groups), (2, 0));
}

#[test]
fn batches_merge_in_any_order_and_oversized_lines_are_unscanned() {
    let auditor = Auditor::new(None, 5, None);
    let a =
        "192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET /u/bob@example.net HTTP/1.1\" 200 1\n\n";
    let b =
        "192.0.2.2 - - [24/Nov/2026:10:00:00 +0000] \"GET /u/carol@example.org HTTP/1.1\" 200 1\n";
    let forward = auditor.finish([
        auditor.scan(a.as_bytes(), 1),
        auditor.oversized_line(3),
        auditor.scan(b.as_bytes(), 4),
    ]);
    let backward = auditor.finish([
        auditor.scan(b.as_bytes(), 4),
        auditor.oversized_line(3),
        auditor.scan(a.as_bytes(), 1),
    ]);
    assert_eq!(forward.to_json(), backward.to_json());
    assert_eq!(forward.lines, 3);
    let unscanned = &forward.findings[&FindingKind::UnscannedLine];
    assert_eq!((unscanned.count, &unscanned.first_lines[..]), (1, &[3][..]));
    assert!(unscanned.hint.is_empty());
    let email = &forward.findings[&FindingKind::Email];
    assert_eq!(
        (email.first_lines.clone(), email.hint.as_str()),
        (vec![1, 4], "bo…@…net")
    );
}

#[test]
fn forced_formats_read_every_line_so() {
    let line = combined("-", "-");
    let auditor = Auditor::new(None, 5, Some(InputFormat::Json));
    let r = auditor.finish([auditor.scan(line.as_bytes(), 1)]);
    // Not JSON: scanned as free text only, so not counted as a record.
    assert_eq!((r.lines, r.risk.records, r.total_findings()), (1, 0, 0));
}

#[test]
fn partials_debug_no_raw_values() {
    let auditor = Auditor::new(None, 5, None);
    let line = "192.0.2.1 - carol [24/Nov/2026:10:00:00 +0000] \"GET /u/carol@example.org HTTP/1.1\" 200 1";
    let shown = format!("{:?}", auditor.scan(line.as_bytes(), 1));
    assert!(
        !shown.contains("192.0.2") && !shown.contains("carol"),
        "{shown}"
    );
}

#[test]
fn batches_can_be_scanned_on_any_thread() {
    fn shared<T: Send + Sync>() {}
    fn sent<T: Send>() {}
    shared::<Auditor>();
    sent::<Partial>();
}

#[test]
fn risk_is_the_same_from_clf_and_json_output() {
    use crate::{Anonymizer, OutputFormat, Policy};
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let parser = crate::parse::LineParser::new(
        InputFormat::Combined,
        &Policy::strict(),
        crate::anonymize::TrustedProxies::default(),
    );
    let mut outputs = [Vec::new(), Vec::new()];
    for (n, (raw, ..)) in CASES.iter().enumerate() {
        let line = format!(
            "198.51.{}.7 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"{raw}\"",
            n % 3
        );
        let record = anonymizer.apply(&parser.parse(line.as_bytes()).expect("parses"));
        OutputFormat::Combined.encode(&record, &mut outputs[0]);
        OutputFormat::Json.encode(&record, &mut outputs[1]);
    }
    let auditor = Auditor::new(None, 2, None);
    let [clf, json] = outputs.map(|out| auditor.finish([auditor.scan(&out, 1)]).risk);
    assert!(clf.records > 0 && clf.records_in_small_groups < clf.records);
    assert_eq!(clf, json);
}
