//! Tests of user-agent classification and the synthetic user agents.

use super::*;
use crate::anonymize::text::is_safe;

/// Every class the classifier can produce, with a few majors each: bot families as
/// bots, browser families as browsers and as bots, `Other` and `Bot`.
pub(crate) fn every_class() -> Vec<UserAgentClass> {
    let mut families: Vec<(&'static str, bool)> = vec![("Other", false), ("Bot", true)];
    families.extend(BOTS.iter().map(|r| (r.family, true)));
    for rule in BROWSERS {
        families.extend([(rule.family, false), (rule.family, true)]);
    }
    let systems = SYSTEMS.iter().map(|r| r.family).chain(["Other"]);
    let systems: Vec<&'static str> = systems.collect();
    let mut classes = Vec::new();
    for (browser, bot) in families {
        // Internet Explorer's versions end at 11 (Trident 7); `Other` and `Bot` have none.
        let majors: &[Option<u16>] = match browser {
            "Internet Explorer" => &[None, Some(6), Some(11)],
            "Other" | "Bot" => &[None],
            _ => &[None, Some(3), Some(124)],
        };
        for &major in majors {
            for &os in &systems {
                classes.push(UserAgentClass {
                    browser,
                    major,
                    os,
                    bot,
                });
            }
        }
    }
    classes
}

#[test]
fn synthetic_user_agents_are_recognised() {
    for class in every_class() {
        let mut out = Vec::new();
        class.write_synthetic(&mut out);
        assert!(is_synthetic(&out), "{}", String::from_utf8_lossy(&out));
    }
    for (raw, ..) in CASES {
        assert!(!is_synthetic(raw.as_bytes()), "{raw}");
    }
    for raw in ["Firefox/3.0x", "Firefox/03.0", "Nobody/1.0", "-", ""] {
        assert!(!is_synthetic(raw.as_bytes()), "{raw}");
    }
}

/// Realistic user agents with the family, major and OS they must reduce to.
pub(crate) const CASES: &[(&str, &str, Option<u16>, &str, bool)] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        Some(124),
        "Windows",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Chrome",
        Some(124),
        "Android",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Safari",
        Some(17),
        "iOS",
        false,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Safari",
        Some(17),
        "macOS",
        false,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        Some(125),
        "Linux",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        Some(125),
        "Windows",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        "Edge",
        Some(124),
        "Windows",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
        "Opera",
        Some(109),
        "Windows",
        false,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        Some(24),
        "Android",
        false,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
        "Firefox",
        Some(125),
        "iOS",
        false,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Chrome",
        Some(124),
        "iOS",
        false,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        Some(124),
        "ChromeOS",
        false,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer",
        Some(11),
        "Windows",
        false,
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        Some(2),
        "Other",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "bingbot",
        Some(2),
        "Other",
        true,
    ),
    ("curl/8.5.0", "curl", Some(8), "Other", true),
    (
        "python-requests/2.31.0",
        "python-requests",
        Some(2),
        "Other",
        true,
    ),
    (
        "Mozilla/5.0 (compatible; ExampleCrawler/1.0)",
        "Bot",
        None,
        "Other",
        true,
    ),
    ("", "Other", None, "Other", false),
];

#[test]
fn realistic_user_agents_are_reduced() {
    for &(ua, browser, major, os, bot) in CASES {
        let class = classify_user_agent(ua.as_bytes());
        assert_eq!(
            (class.browser(), class.major(), class.os(), class.is_bot()),
            (browser, major, os, bot),
            "{ua}"
        );
    }
}

#[test]
fn synthetic_user_agents_reclassify_to_the_same_class() {
    for &(ua, ..) in CASES {
        let class = classify_user_agent(ua.as_bytes());
        let mut synthetic = Vec::new();
        class.write_synthetic(&mut synthetic);
        let again = classify_user_agent(&synthetic);
        let shown = String::from_utf8_lossy(&synthetic);
        assert!(is_safe(&shown), "{shown}");
        if class.is_bot() {
            // Crawlers are reported without an OS by the analyzers.
            assert_eq!(
                (again.browser(), again.major(), again.is_bot()),
                (class.browser(), class.major(), true),
                "{shown}"
            );
        } else {
            assert_eq!(again, class, "{shown}");
        }
    }
}

#[test]
fn cache_returns_the_same_class() {
    for &(ua, ..) in CASES {
        let first = classify_cached(ua.as_bytes());
        assert_eq!(classify_cached(ua.as_bytes()), first);
        assert_eq!(first, classify_user_agent(ua.as_bytes()));
    }
}

#[test]
fn cache_stays_bounded() {
    for i in 0..(CACHE_ENTRIES * 3) {
        classify_cached(format!("agent-{i}").as_bytes());
    }
    assert!(CACHE.with_borrow(HashMap::len) <= CACHE_ENTRIES);
}
