//! The user-agent reduction against maintained public data: uap-core's expectations for
//! browser and OS, and the fixed point the audit relies on (a synthetic user agent
//! classifies back to its own class), over every real user agent in the shared data sets.

mod common;

use anonlog::anonymize::classify_user_agent;
use anonlog::record::{AgentKind, UserAgentClass};
use anonlog::{Anonymizer, OutputFormat, Policy, RawRecord, Timestamp};
use common::shared_data::{UapCase, corpus, uap_cases};

/// Share of cases that must agree with uap-core (browser family and major; OS family and
/// version).
const MIN_AGREEMENT: f64 = 0.75;

/// anonlog's name for a uap-core browser family, or `None` for families it does not keep.
fn browser_family(uap: &str) -> Option<&'static str> {
    Some(match uap {
        "Chrome" | "Chrome Mobile" | "Chrome Mobile iOS" | "Chrome Mobile WebView" => "Chrome",
        "Chromium" => "Chromium",
        "Firefox" | "Firefox Mobile" | "Firefox iOS" | "Firefox Beta" | "Firefox Alpha" => {
            "Firefox"
        }
        "Safari" | "Mobile Safari" => "Safari",
        "Edge" | "Edge Mobile" => "Edge",
        "Opera" | "Opera Mobile" | "Opera Mini" | "Opera Coast" => "Opera",
        "IE" | "IE Mobile" => "Internet Explorer",
        "Samsung Internet" => "Samsung Internet",
        "Yandex Browser" => "Yandex Browser",
        "Vivaldi" => "Vivaldi",
        "Brave" => "Brave",
        "UC Browser" => "UC Browser",
        "SeaMonkey" => "SeaMonkey",
        "Pale Moon" => "Pale Moon",
        "Waterfox" => "Waterfox",
        "Iceweasel" => "Iceweasel",
        "Konqueror" => "Konqueror",
        "Midori" => "Midori",
        "Epiphany" => "Epiphany",
        "Lynx" => "Lynx",
        "w3m" => "w3m",
        _ => return None,
    })
}

/// anonlog's name for a uap-core OS family, or `None` for families it does not keep.
fn os_family(uap: &str) -> Option<&'static str> {
    Some(match uap {
        "Windows" => "Windows",
        "Mac OS X" => "macOS",
        "iOS" => "iOS",
        "Android" => "Android",
        "Chrome OS" => "ChromeOS",
        "Linux" | "Ubuntu" | "Debian" | "Fedora" | "Gentoo" | "Mandriva" | "Red Hat" | "SUSE"
        | "Slackware" | "Mint" | "Kubuntu" | "CentOS" => "Linux",
        "FreeBSD" => "FreeBSD",
        "OpenBSD" => "OpenBSD",
        "NetBSD" => "NetBSD",
        _ => return None,
    })
}

/// Whether anonlog's browser reduction agrees with a `test_ua.yaml` case whose family
/// anonlog keeps (family and major); `None` for other families (brands anonlog reports
/// under the engine they declare, apps, crawlers, libraries).
fn browser_agrees(case: &UapCase, class: &UserAgentClass) -> Option<bool> {
    let family = browser_family(&case.family)?;
    Some(
        class.kind() == AgentKind::Browser
            && class.browser() == family
            && case
                .major
                .as_deref()
                .is_none_or(|m| class.major().map(|v| v.to_string()).as_deref() == Some(m)),
    )
}

/// Whether anonlog's OS reduction agrees with a `test_os.yaml` case whose family anonlog
/// keeps: family, and the version where both keep one (uap-core names Windows by release,
/// as anonlog does); `None` for other families.
fn os_agrees(case: &UapCase, class: &UserAgentClass) -> Option<bool> {
    let family = os_family(&case.family)?;
    if class.os() != family {
        return Some(false);
    }
    let ours = class.os_version_name().map(|v| v.to_string());
    Some(match (family, case.major.as_deref(), ours.as_deref()) {
        (_, None, _) | ("Linux" | "ChromeOS" | "FreeBSD" | "OpenBSD" | "NetBSD", ..) => true,
        ("macOS", Some("10"), Some(ours)) => ours.starts_with("10."),
        (_, Some(m), Some(ours)) => ours == m || ours.starts_with(&format!("{m}.")),
        (_, Some(_), None) => false,
    })
}

/// Agreement over the cases of `file` whose family anonlog keeps, printing the
/// disagreements by uap-core family.
fn agreement(
    file: &str,
    agrees: impl Fn(&UapCase, &UserAgentClass) -> Option<bool>,
) -> (usize, usize) {
    let cases = uap_cases(file);
    let mut by_family = std::collections::BTreeMap::<String, (usize, String)>::new();
    let (mut agreeing, mut compared) = (0, 0);
    for case in &cases {
        let class = classify_user_agent(case.user_agent.as_bytes());
        let Some(agrees) = agrees(case, &class) else {
            continue;
        };
        compared += 1;
        if agrees {
            agreeing += 1;
        } else {
            if std::env::var_os("ANONLOG_UA_DETAILS").is_some() {
                eprintln!(
                    "{file}\t{}\t{:?}\t{}\t{class:?}",
                    case.family, case.major, case.user_agent
                );
            }
            let entry = by_family
                .entry(case.family.clone())
                .or_insert((0, format!("{} -> {class:?}", case.user_agent)));
            entry.0 += 1;
        }
    }
    for (family, (n, example)) in &by_family {
        eprintln!("{file}: {n:4} {family}   e.g. {example}");
    }
    eprintln!(
        "{file}: {agreeing} of {compared} agree ({} cases name families anonlog does not keep)",
        cases.len() - compared
    );
    (agreeing, compared)
}

#[test]
#[ignore = "needs ../shared/data"]
fn browsers_agree_with_uap_core() {
    let (agreeing, total) = agreement("test_ua.yaml", browser_agrees);
    assert!(
        agreeing as f64 >= MIN_AGREEMENT * total as f64,
        "{agreeing} of {total}"
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn operating_systems_agree_with_uap_core() {
    let (agreeing, total) = agreement("test_os.yaml", os_agrees);
    assert!(
        agreeing as f64 >= MIN_AGREEMENT * total as f64,
        "{agreeing} of {total}"
    );
}

/// The synthetic user agent anonlog writes for `ua` (combined output, default policy).
fn synthetic(anonymizer: &Anonymizer, ua: &str) -> (UserAgentClass, String) {
    let t = Timestamp::from_utc(2026, 11, 24, 9, 30, 15, 0).expect("valid");
    let anon = anonymizer.apply(&RawRecord::builder(t).user_agent(ua).build());
    let mut line = Vec::new();
    OutputFormat::Combined.encode(&anon, &mut line);
    let line = String::from_utf8(line).expect("utf-8");
    let line = line.trim_end().strip_suffix('"').expect("quoted agent");
    let agent = line[line.rfind('"').expect("quoted agent") + 1..].to_owned();
    (*anon.user_agent().expect("reduced"), agent)
}

#[test]
#[ignore = "needs ../shared/data"]
fn synthetic_user_agents_classify_back_to_their_class() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let corpus = corpus();
    assert!(corpus.len() >= 2000, "only {} user agents", corpus.len());
    for ua in &corpus {
        let (class, agent) = synthetic(&anonymizer, ua);
        assert!(
            agent
                .bytes()
                .all(|b| (0x20..0x7f).contains(&b) && b != b'"'),
            "{agent}"
        );
        let (again, agent_again) = synthetic(&anonymizer, &agent);
        assert_eq!((again, &agent_again), (class, &agent), "{ua}");
    }
}
