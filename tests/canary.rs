//! A planted secret in every raw field must never reach an output, `Debug` or an error.

use std::net::IpAddr;

use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};
use proptest::prelude::*;

/// Shaped like the identifiers that leak through logs (a session id, a share-link key).
/// Path segments and allow-listed values are kept by design unless they look like one.
const CANARY: &str = "Zq7CanaryXk";

/// Every raw field carries the canary (or, for the address, a unique full-precision IP).
fn planted() -> RawRecord<'static> {
    RawRecord::builder(Timestamp::from_utc(2026, 11, 24, 1, 2, 3, 4).expect("valid"))
        .client_text(format!("198.51.100.77{CANARY}"))
        .method(format!("GET{CANARY}"))
        .target(format!(
            "/{CANARY}/x;jsessionid={CANARY}?{CANARY}={CANARY}&page={CANARY}&q={CANARY}#{CANARY}"
        ))
        .protocol(format!("HTTP/1.1{CANARY}"))
        .host(format!("{CANARY}.example.com:8080{CANARY}"))
        .user_agent(format!("Mozilla/5.0 {CANARY} Firefox/128.0"))
        .referrer(format!(
            "https://user:{CANARY}@example.com/{CANARY}?{CANARY}"
        ))
        .header("accept-language", CANARY)
        .build()
}

fn all_outputs(anonymizer: &Anonymizer, raw: &RawRecord<'_>) -> String {
    let anon = anonymizer.apply(raw);
    let mut out = Vec::new();
    for format in [
        OutputFormat::Json,
        OutputFormat::Combined,
        OutputFormat::Common,
    ] {
        format.encode(&anon, &mut out);
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(&format!("{anon:?}{raw:?}{anonymizer:?}"));
    text
}

#[test]
fn canary_never_survives() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let text = all_outputs(&anonymizer, &planted());
    assert!(!text.contains(CANARY), "{text}");
    assert!(!text.contains("198.51.100.77"), "{text}");
}

#[test]
fn canary_in_allowed_fields_is_still_scrubbed() {
    // Allowing the header and the canary's query key does not let identifiers through:
    // values still pass the identifier rules, and the canary mixes letters and digits.
    let policy = Policy::from_toml_str(&format!(
        "[headers]\nallow = [\"Accept-Language\"]\n[query]\nallow = [\"page\", \"{CANARY}\"]"
    ))
    .expect("valid");
    let anonymizer = Anonymizer::new(policy).expect("valid");
    let raw = RawRecord::builder(Timestamp::now())
        .target(format!(
            "/x?{CANARY}=k3yZ9mQ2xL8pW4vN7bR1&page=sk_live_{CANARY}0123"
        ))
        .header("accept-language", format!("sk_live_{CANARY}0123"))
        .build();
    let text = all_outputs(&anonymizer, &raw);
    assert!(
        !text.contains("k3yZ9mQ2xL8pW4vN7bR1") && !text.contains("sk_live"),
        "{text}"
    );
}

#[test]
fn policy_errors_name_settings_not_content() {
    let secret_path = std::env::temp_dir().join(format!("anonlog-canary-{}", std::process::id()));
    std::fs::write(&secret_path, CANARY).expect("write secret");
    std::fs::set_permissions(
        &secret_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("owner only");
    let text = format!(
        "[visitor]\nsecret_file = {:?}\n",
        secret_path.display().to_string()
    );
    let err = Anonymizer::new(Policy::from_toml_str(&text).expect("valid policy"))
        .expect_err("an 11-byte secret is too short");
    std::fs::remove_file(&secret_path).expect("remove secret");
    let msg = format!("{err} {err:?}");
    assert!(msg.contains("visitor.secret_file"), "{msg}");
    assert!(!msg.contains(CANARY), "{msg}");
}

proptest! {
    /// A random full-precision address never appears in any output.
    #[test]
    fn full_addresses_never_survive(v4: u32, v6: u128, use_v6: bool) {
        let ip = if use_v6 { IpAddr::from(v6.to_be_bytes()) } else { IpAddr::from(v4.to_be_bytes()) };
        let ip = ip.to_canonical();
        // An address whose host bits are all zero is its own network; nothing to hide.
        prop_assume!(match ip {
            IpAddr::V4(a) => u32::from(a) & 0xffff != 0,
            IpAddr::V6(a) => u128::from(a) & (u128::MAX >> 32) != 0,
        });
        let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
        let raw = RawRecord::builder(Timestamp::now()).client_ip(ip).build();
        let anon = anonymizer.apply(&raw);
        let mut out = Vec::new();
        OutputFormat::Combined.encode(&anon, &mut out);
        OutputFormat::Json.encode(&anon, &mut out);
        let text = String::from_utf8_lossy(&out);
        let full = ip.to_string();
        prop_assert!(!text.split(['"', ' ', '\n']).any(|token| token == full), "{}", text);
    }

    /// CLF output always re-parses into the same number of fields, whatever the input.
    #[test]
    fn clf_fields_are_stable(
        target in proptest::collection::vec(any::<u8>(), 0..120),
        ua in proptest::collection::vec(any::<u8>(), 0..120),
        referrer in proptest::collection::vec(any::<u8>(), 0..120),
        method in proptest::collection::vec(any::<u8>(), 0..12),
    ) {
        let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
        let raw = RawRecord::builder(Timestamp::now())
            .client_text("192.0.2.1")
            .method(method)
            .target(target)
            .protocol("HTTP/1.1")
            .user_agent(ua)
            .referrer(referrer)
            .status(200)
            .bytes(1)
            .build();
        let mut out = Vec::new();
        OutputFormat::Combined.encode(&anonymizer.apply(&raw), &mut out);
        prop_assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
        prop_assert!(!out.iter().any(|&b| b < 0x20 && b != b'\n' || b == 0x7f));
        let line = String::from_utf8(out).expect("output is UTF-8");
        prop_assert!(!line.contains(['\u{202e}', '\u{85}']), "{}", line);
        // network ident user [date tz] "request" status bytes "referrer" "agent"
        let quoted: Vec<&str> = line.split('"').collect();
        prop_assert_eq!(quoted.len(), 7, "{}", line);
        prop_assert_eq!(quoted[0].split(' ').count(), 6, "{}", line);
        prop_assert_eq!(quoted[2].trim().split(' ').count(), 2, "{}", line);
    }
}
