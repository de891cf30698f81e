//! Tests of policy loading, presets and validation.

use super::*;

fn refused_key(text: &str) -> &'static str {
    match Policy::from_toml_str(text) {
        Err(PolicyError::Refused { key, .. }) => key,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn empty_file_is_strict() {
    assert_eq!(Policy::from_toml_str("").expect("valid"), Policy::strict());
    assert_eq!(Policy::preset("strict").expect("valid"), Policy::strict());
}

#[test]
fn strict_defaults_match_the_privacy_model() {
    let p = Policy::strict();
    assert_eq!((p.network.ipv4_prefix, p.network.ipv6_prefix), (16, 32));
    assert!(p.visitor.enabled && p.visitor.secret_file.is_none());
    assert_eq!(p.user_agent.keep, UserAgentKeep::Reduced);
    assert!(p.user_agent.os_version);
    assert_eq!(p.referrer.keep, ReferrerKeep::Origin);
    assert!(p.headers.allow.is_empty());
    assert!(p.query.allow.iter().any(|k| k == "utm_source"));
    assert!(p.validate().is_ok());
}

#[test]
fn presets_are_valid_and_overridable() {
    for (name, _) in PRESETS {
        Policy::preset(name).expect("every preset is valid");
    }
    let p =
        Policy::from_toml_str("preset = \"regional\"\n[network]\nipv6_prefix = 40").expect("valid");
    assert_eq!((p.network.ipv4_prefix, p.network.ipv6_prefix), (24, 40));
    let m = Policy::preset("minimal").expect("valid");
    assert!(!m.visitor.enabled && m.query.allow.is_empty());
    assert!(matches!(
        Policy::preset("lax"),
        Err(PolicyError::UnknownPreset { .. })
    ));
    // Preset names are names, not case-sensitive keys (`--preset Strict`).
    assert_eq!(Policy::preset("Strict").expect("valid"), Policy::strict());
}

#[test]
fn unsafe_settings_are_refused_by_name() {
    assert_eq!(
        refused_key("[network]\nipv4_prefix = 25"),
        "network.ipv4_prefix"
    );
    assert_eq!(
        refused_key("[network]\nipv6_prefix = 64"),
        "network.ipv6_prefix"
    );
    assert_eq!(
        refused_key("[headers]\nallow = [\"Cookie\"]"),
        "headers.allow"
    );
    assert_eq!(
        refused_key("[headers]\nallow = [\"AUTHORIZATION\"]"),
        "headers.allow"
    );
    assert_eq!(
        refused_key("[headers]\nallow = [\"X-Forwarded-For\"]"),
        "headers.allow"
    );
    assert_eq!(
        refused_key("[headers]\nallow = [\"bad name\"]"),
        "headers.allow"
    );
    assert_eq!(refused_key("[query]\nallow = [\"a=b\"]"), "query.allow");
    let msg = Policy::from_toml_str("[network]\nipv4_prefix = 32")
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("network.ipv4_prefix") && msg.contains("/24"),
        "{msg}"
    );
    assert!(Policy::from_toml_str("[headers]\nallow = [\"Accept-Language\"]").is_ok());
}

#[test]
fn unknown_keys_are_named() {
    let msg = Policy::from_toml_str("[network]\nipv4_prefx = 16")
        .expect_err("unknown key")
        .to_string();
    assert!(msg.contains("ipv4_prefx"), "{msg}");
    let msg = Policy::from_toml_str("[netwrk]\n")
        .expect_err("unknown")
        .to_string();
    assert!(msg.contains("netwrk"), "{msg}");
    let msg = Policy::from_toml_str("[time]\nprecision = \"week\"")
        .expect_err("bad variant")
        .to_string();
    assert!(msg.contains("week"), "{msg}");
}

#[test]
fn route_templates_are_checked() {
    let p = Policy::from_toml_str(
        "[[path.routes]]\ntemplate = \"/users/{id}/orders/{order}\"\n[[path.routes]]\ntemplate = \"/team/{name}\"",
    )
    .expect("valid");
    assert_eq!(p.path.routes.len(), 2);
    for bad in ["users/{id}", "/users/{}", "/a b", "/users/{id", "/x\\u0000"] {
        let text = format!("[[path.routes]]\ntemplate = \"{bad}\"");
        assert_eq!(refused_key(&text), "path.routes", "{bad}");
    }
}
