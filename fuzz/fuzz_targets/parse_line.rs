//! Any line: rejected, or exactly one well-formed output line in every format.
#![no_main]

use std::sync::LazyLock;

use anonlog::anonymize::TrustedProxies;
use anonlog::parse::{InputFormat, LineParser};
use anonlog::{Anonymizer, OutputFormat, Policy};
use libfuzzer_sys::fuzz_target;

static ANONYMIZER: LazyLock<Anonymizer> =
    LazyLock::new(|| Anonymizer::new(Policy::strict()).expect("valid policy"));

fuzz_target!(|line: &[u8]| {
    let policy = ANONYMIZER.policy();
    let proxies = TrustedProxies::new(["10.0.0.0/8".parse().expect("net")]);
    for format in [
        InputFormat::Combined,
        InputFormat::Common,
        InputFormat::Json,
    ] {
        let parser = LineParser::new(format, policy, proxies.clone());
        let Ok(raw) = parser.parse(line) else {
            continue;
        };
        let anon = ANONYMIZER.apply(&raw);
        for output in [
            OutputFormat::Json,
            OutputFormat::Combined,
            OutputFormat::Common,
        ] {
            let mut out = Vec::new();
            output.encode(&anon, &mut out);
            assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
            assert_eq!(out.last(), Some(&b'\n'));
            assert!(!out.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f));
            let text = std::str::from_utf8(&out).expect("output is UTF-8");
            assert!(!text.contains(['\u{202e}', '\u{2028}', '\u{85}']));
            let quotes = text.matches('"').count();
            match output {
                OutputFormat::Combined => assert_eq!(quotes, 6, "{text}"),
                OutputFormat::Common => assert_eq!(quotes, 2, "{text}"),
                OutputFormat::Json => assert!(text.starts_with('{') && text.ends_with("}\n")),
            }
        }
    }
});
