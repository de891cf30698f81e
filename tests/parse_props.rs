//! Any line in: either a counted rejection or exactly one well-formed output line.

use anonlog::anonymize::TrustedProxies;
use anonlog::parse::{InputFormat, LineParser};
use anonlog::{Anonymizer, OutputFormat, Policy};
use proptest::prelude::*;

fn check_line(format: InputFormat, line: &[u8]) -> Result<(), TestCaseError> {
    let policy = Policy::strict();
    let parser = LineParser::new(format, &policy, TrustedProxies::default());
    let anonymizer = Anonymizer::new(policy).expect("valid");
    let Ok(raw) = parser.parse(line) else {
        return Ok(());
    };
    let anon = anonymizer.apply(&raw);
    for output in [
        OutputFormat::Json,
        OutputFormat::Combined,
        OutputFormat::Common,
    ] {
        let mut out = Vec::new();
        output.encode(&anon, &mut out);
        prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        prop_assert_eq!(out.last(), Some(&b'\n'));
        prop_assert!(!out.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f));
        let text = std::str::from_utf8(&out).expect("UTF-8 output");
        match output {
            OutputFormat::Json => {
                let v: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
                prop_assert!(v.is_object());
            }
            OutputFormat::Combined => prop_assert_eq!(text.matches('"').count(), 6, "{}", text),
            OutputFormat::Common => prop_assert_eq!(text.matches('"').count(), 2, "{}", text),
        }
    }
    Ok(())
}

/// Valid-looking lines with arbitrary bytes in their fields, so that parsing succeeds often.
fn clf_line() -> impl Strategy<Value = Vec<u8>> {
    let field = proptest::collection::vec(any::<u8>(), 0..60);
    (
        field.clone(),
        field.clone(),
        field.clone(),
        field.clone(),
        field,
    )
        .prop_map(|(host, target, referrer, agent, user)| {
            let mut line = Vec::new();
            line.extend_from_slice(&host);
            line.extend_from_slice(b" - ");
            line.extend_from_slice(&user);
            line.extend_from_slice(b" [24/Nov/2026:10:00:00 +0000] \"GET /");
            line.extend_from_slice(&target);
            line.extend_from_slice(b" HTTP/1.1\" 200 12 \"");
            line.extend_from_slice(&referrer);
            line.extend_from_slice(b"\" \"");
            line.extend_from_slice(&agent);
            line.push(b'"');
            line.retain(|&b| b != b'\n');
            line
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes(line in proptest::collection::vec(any::<u8>(), 0..300)) {
        for format in [InputFormat::Combined, InputFormat::Common, InputFormat::Json] {
            check_line(format, &line)?;
        }
    }

    #[test]
    fn clf_shaped_lines(line in clf_line()) {
        check_line(InputFormat::Combined, &line)?;
    }

    #[test]
    fn json_shaped_lines(
        ua in "\\PC{0,40}", uri in "\\PC{0,40}", ip in "\\PC{0,20}", status in "\\PC{0,4}",
    ) {
        let line = serde_json::json!({
            "time_iso8601": "2026-11-24T10:00:00+01:00", "remote_addr": ip, "request_uri": uri,
            "http_user_agent": ua, "status": status,
        })
        .to_string();
        check_line(InputFormat::Json, line.as_bytes())?;
    }
}

#[test]
fn apache_and_nginx_escapes_are_decoded_then_reescaped() {
    let policy = Policy::strict();
    let parser = LineParser::new(InputFormat::Combined, &policy, TrustedProxies::default());
    let anonymizer = Anonymizer::new(policy).expect("valid");
    let line = br#"192.0.2.1 - - [24/Nov/2026:10:00:00.250 +0000] "GET /a\x22b\"c\\d HTTP/1.1" 200 1 "-" "Mozilla/5.0 \"quoted\" Firefox/125.0""#;
    let raw = parser.parse(line).expect("parses");
    let mut out = Vec::new();
    OutputFormat::Json.encode(&anonymizer.apply(&raw), &mut out);
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains(r#""path":"/a\\x22b\\x22c\\x5Cd""#), "{text}");
    assert!(
        text.contains(r#""time":"2026-11-24T10:00:00.250Z""#),
        "{text}"
    );
    assert!(text.contains(r#""browser":"Firefox""#), "{text}");
}
