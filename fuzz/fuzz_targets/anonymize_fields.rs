//! Arbitrary bytes in every raw field: output stays one escaped line, and no client address
//! of full precision survives.
#![no_main]

use std::net::IpAddr;
use std::sync::LazyLock;

use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};
use libfuzzer_sys::fuzz_target;

static ANONYMIZER: LazyLock<Anonymizer> =
    LazyLock::new(|| Anonymizer::new(Policy::strict()).expect("valid policy"));

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0xff);
    let mut next = || fields.next().unwrap_or_default();
    let client = next();
    let raw = RawRecord::builder(Timestamp::from_unix_millis(1_795_510_800_000))
        .client_text(client)
        .method(next())
        .target(next())
        .protocol(next())
        .host(next())
        .user_agent(next())
        .referrer(next())
        .build();
    let anon = ANONYMIZER.apply(&raw);
    let full = anonlog::anonymize::parse_client_ip(client);
    for output in [OutputFormat::Json, OutputFormat::Combined] {
        let mut out = Vec::new();
        output.encode(&anon, &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        assert!(!out.iter().any(|&b| (b < 0x20 && b != b'\n') || b == 0x7f));
        let text = std::str::from_utf8(&out).expect("UTF-8");
        if let Some(ip) = full {
            let host_bits = match ip {
                IpAddr::V4(v4) => u32::from(v4) & 0xffff != 0,
                IpAddr::V6(v6) => u128::from(v6) & (u128::MAX >> 32) != 0,
            };
            if host_bits {
                let shown = ip.to_string();
                assert!(!text.split(['"', ' ', ',']).any(|t| t == shown), "{text}");
            }
        }
    }
});
