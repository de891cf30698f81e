//! The audit and the anonymizer agree: what anonlog writes under a policy raises no
//! finding under that policy, and every finding in a raw line is in a field the anonymizer
//! changes.

use proptest::prelude::*;

use super::{Auditor, Report};
use crate::anonymize::TrustedProxies;
use crate::anonymize::user_agent::tests::CASES;
use crate::parse::{AuditLine, InputFormat, LineParser};
use crate::{Anonymizer, OutputFormat, Policy};

/// Path segments and query values: words, versions, numbers and every kind of identifier.
const VALUES: &[&str] = &[
    "users",
    "index.html",
    "top-10-tips-for-2024",
    "v1.2.3",
    "jquery-3.7.1.min.js",
    "app.3f2a9c1b4d5e6f70.js",
    "42",
    "INV-2026-0048213.pdf",
    "550e8400-e29b-41d4-a716-446655440000",
    "carol.smith@example.org",
    "carol.smith%40example.org",
    "a94a8fe5ccb19ba61c4c0873d391e987",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJvbCJ9.c2lnbmF0dXJlX2hlcmU",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "dGhpc1NlY3JldFRva2VuMTIzNDU2Nzg",
    "aB3xK9qZ",
    "198.51.100.23",
    "2001:db8:77::9",
    "caf%C3%A9",
    "running+shoes",
    "%22quoted%22",
    "x;jsessionid=0F1E2D3C",
];

/// Bytes of generated targets: separators, escapes, quotes, controls, bidi and UTF-8.
const TARGET_BYTES: &[u8] = b"/aZ09.-_~%@:;=&?#\"\\\x1b\xe2\x80\xae\xc3\xa9 xX4fF+";

/// Query keys: allowed by default, and not.
const KEYS: &[&str] = &[
    "page",
    "sort",
    "lang",
    "utm_source",
    "q",
    "v",
    "token",
    "email",
    "session_id",
    "PHPSESSID",
];

/// Referrer origins, with a punycode host among them.
const ORIGINS: &[&str] = &[
    "https://www.example.com",
    "http://example.org:8080",
    "https://xn--bcher-kva.example",
    "HTTPS://Shop.Example.NET",
    "https://alice:secret@example.com",
    "https://198.51.100.23",
    "android-app://com.example.mail",
];

/// Client columns: addresses from the documentation ranges in the forms servers write.
fn client() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u8..=255).prop_map(|h| format!("192.0.2.{h}")),
        (0u8..=255, 0u8..=255).prop_map(|(a, b)| format!("198.51.{a}.{b}")),
        (0u8..=255).prop_map(|h| format!("::ffff:203.0.113.{h}")),
        (any::<u16>(), any::<u16>()).prop_map(|(a, b)| format!("2001:db8:{a:x}::{b:x}")),
        Just("-".to_owned()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop::sample::select(VALUES).prop_map(str::to_owned)
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(value(), 0..4).prop_map(|segments| format!("/{}", segments.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    let pair = (prop::sample::select(KEYS), value()).prop_map(|(k, v)| format!("{k}={v}"));
    prop::collection::vec(pair, 0..4).prop_map(|pairs| {
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    })
}

fn referrer() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        (prop::sample::select(ORIGINS), path(), query())
            .prop_map(|(origin, path, query)| format!("{origin}{path}{query}")),
        prop::sample::select(ORIGINS).prop_map(str::to_owned),
    ]
}

fn user_agent() -> impl Strategy<Value = String> {
    let real = CASES.iter().map(|case| case.0);
    let all: Vec<&'static str> = real.chain(["-", "curl/8.5.0", "Firefox/3.0"]).collect();
    prop::sample::select(all).prop_map(str::to_owned)
}

/// A combined line the anonymizer accepts, with made-up data in every field.
fn combined_line() -> impl Strategy<Value = String> {
    (
        client(),
        prop::sample::select(&["-", "carol"][..]),
        (1u8..=28, 0u8..24, prop::sample::select(&["+0000", "-0700", "+0530"][..])),
        prop::sample::select(&["GET", "POST", "PROPFIND", "BREW"][..]),
        (path(), query()),
        referrer(),
        user_agent(),
    )
        .prop_map(|(client, user, (day, hour, offset), method, (path, query), referrer, agent)| {
            format!(
                "{client} - {user} [{day:02}/Nov/2026:{hour:02}:30:00 {offset}] \"{method} {path}{query} HTTP/1.1\" 200 512 \"{referrer}\" \"{agent}\""
            )
        })
}

fn audit(policy: &Policy, text: &[u8]) -> Report {
    let auditor = Auditor::new(Some(policy.clone()), 5, None);
    auditor.finish([auditor.scan(text, 1)])
}

/// Anonymizes `line` (when the anonymizer accepts it) under `policy`, writes it in every
/// output format and audits each under the same policy: no finding may be left.
fn assert_output_is_clean(
    policy: &Policy,
    format: InputFormat,
    line: &[u8],
) -> Result<(), TestCaseError> {
    let parser = LineParser::new(format, policy, TrustedProxies::default());
    let Ok(raw) = parser.parse(line) else {
        return Ok(());
    };
    let anon = Anonymizer::new(policy.clone())
        .expect("valid policy")
        .apply(&raw);
    for output in [
        OutputFormat::Combined,
        OutputFormat::Common,
        OutputFormat::Json,
    ] {
        let mut out = Vec::new();
        output.encode(&anon, &mut out);
        let report = audit(policy, &out);
        prop_assert_eq!(report.lines, 1);
        prop_assert_eq!(
            report.total_findings(),
            0,
            "{:?} in {}",
            kinds(&report),
            String::from_utf8_lossy(&out)
        );
        prop_assert_eq!(report.risk.records, u64::from(anon.network().is_some()));
    }
    Ok(())
}

fn kinds(report: &Report) -> Vec<&'static str> {
    report.findings.keys().map(|k| k.name()).collect()
}

/// The line parsed as an audit reads it, with its raw fields.
fn fields(line: &[u8]) -> AuditLine<'_> {
    let parser = LineParser::for_audit(InputFormat::Combined, &Policy::strict());
    parser
        .parse_for_audit(line)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(line)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn anonlog_output_raises_no_finding(line in combined_line(), regional: bool) {
        let policy = if regional { Policy::preset("regional").expect("preset") } else { Policy::strict() };
        let parser = LineParser::new(InputFormat::Combined, &policy, TrustedProxies::default());
        prop_assert!(parser.parse(line.as_bytes()).is_ok(), "rejected: {}", line);
        assert_output_is_clean(&policy, InputFormat::Combined, line.as_bytes())?;
    }

    #[test]
    fn anonlog_output_of_arbitrary_bytes_raises_no_finding(
        target in prop::collection::vec(prop::sample::select(TARGET_BYTES.to_vec()), 0..80),
        referrer in prop::collection::vec(any::<u8>(), 0..40),
        agent in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut line = b"198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] \"GET /".to_vec();
        line.extend_from_slice(&target);
        line.extend_from_slice(b" HTTP/1.1\" 200 1 \"https://www.example.com/");
        line.extend_from_slice(&referrer);
        line.extend_from_slice(b"\" \"");
        line.extend_from_slice(&agent);
        line.push(b'"');
        assert_output_is_clean(&Policy::strict(), InputFormat::Combined, &line)?;
    }

    #[test]
    fn anonlog_output_of_json_input_raises_no_finding(
        target in "[/a-zA-Z0-9.@%:;=&?#_\\-\u{1b}\u{202e}é\"\\\\ ]{0,60}",
        host in "[a-zA-Z0-9._:\\-@\\[\\]]{0,30}",
        referrer in "[a-zA-Z0-9./:?=&%@_\\-]{0,40}",
        agent in "[a-zA-Z0-9./:;() _\\-]{0,60}",
    ) {
        let line = serde_json::json!({
            "time": "2026-11-24T10:00:00+01:00",
            "remote_addr": "2001:db8:1:2::3",
            "request_uri": format!("/{target}"),
            "host": host,
            "http_referer": referrer,
            "http_user_agent": agent,
        })
        .to_string();
        assert_output_is_clean(&Policy::strict(), InputFormat::Json, line.as_bytes())?;
    }

    #[test]
    fn every_finding_is_in_a_field_the_anonymizer_changes(
        line in combined_line(),
        field in 0usize..6,
    ) {
        // Only one field of a clean line comes from the generated line.
        let clean = fields(
            b"198.51.0.0 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"",
        );
        let generated = fields(line.as_bytes());
        let (c, g) = (clean.record.expect("record"), generated.record.expect("record"));
        let pick = |f: usize, clean: &[u8], generated: &[u8]| {
            String::from_utf8_lossy(if f == field { generated } else { clean }).into_owned()
        };
        let client = match (&c.client, &g.client) {
            (crate::record::ClientAddr::Text(c), crate::record::ClientAddr::Text(g)) => pick(0, c, g),
            _ => unreachable!("CLF clients are text"),
        };
        let user = pick(1, b"-", generated.user.as_deref().unwrap_or_default());
        let target = pick(2, &c.target, &g.target);
        let referrer = pick(3, &c.referrer, &g.referrer);
        let agent = pick(4, &c.user_agent, &g.user_agent);
        let method = pick(5, &c.method, &g.method);
        let planted = format!(
            "{client} - {user} [24/Nov/2026:10:00:00 +0000] \"{method} {target} HTTP/1.1\" 200 1 \"{referrer}\" \"{agent}\""
        );
        let policy = Policy::strict();
        let report = audit(&policy, planted.as_bytes());
        prop_assume!(report.total_findings() > 0);

        let parser = LineParser::new(InputFormat::Combined, &policy, TrustedProxies::default());
        let anonymizer = Anonymizer::new(policy).expect("valid policy");
        let anon = anonymizer.apply(&parser.parse(planted.as_bytes()).expect("accepted"));
        let mut out = Vec::new();
        OutputFormat::Combined.encode(&anon, &mut out);
        let (before, after) = (fields(planted.as_bytes()), fields(out.trim_ascii_end()));
        let (b, a) = (before.record.expect("record"), after.record.expect("record"));
        let changed = match field {
            0 => match (&b.client, &a.client) {
                (crate::record::ClientAddr::Text(b), crate::record::ClientAddr::Text(a)) => b != a,
                _ => unreachable!("CLF clients are text"),
            },
            1 => before.user != after.user,
            2 => b.target != a.target,
            3 => b.referrer != a.referrer,
            4 => b.user_agent != a.user_agent,
            _ => b.method != a.method,
        };
        prop_assert!(changed, "{:?} in an unchanged field of {}", kinds(&report), planted);
    }
}
