//! Table tests of the user-agent reduction, by kind.

use super::*;

/// Realistic user agents with the family, major, OS, OS version and device they must
/// reduce to.
pub(crate) const CASES: &[Case] = &[
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        Some(124),
        "Windows",
        Some("10.0"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Chrome",
        Some(124),
        "Android",
        Some("14"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Safari",
        Some(17),
        "iOS",
        Some("17"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
        "Safari",
        Some(17),
        "macOS",
        Some("10.15"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        Some(125),
        "Linux",
        None,
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        Some(125),
        "Windows",
        Some("10.0"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        "Edge",
        Some(124),
        "Windows",
        Some("10.0"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
        "Opera",
        Some(109),
        "Windows",
        Some("10.0"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        Some(24),
        "Android",
        Some("14"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
        "Firefox",
        Some(125),
        "iOS",
        Some("17"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Chrome",
        Some(124),
        "iOS",
        Some("17"),
        Device::Tablet,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        Some(124),
        "ChromeOS",
        None,
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer",
        Some(11),
        "Windows",
        Some("10.0"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        Some(2),
        "Other",
        None,
        Device::Bot,
    ),
    (
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "bingbot",
        Some(2),
        "Other",
        None,
        Device::Bot,
    ),
    ("curl/8.5.0", "curl", Some(8), "Other", None, Device::Tool),
    (
        "python-requests/2.31.0",
        "python-requests",
        Some(2),
        "Other",
        None,
        Device::Tool,
    ),
    (
        "Mozilla/5.0 (compatible; ExampleCrawler/1.0)",
        "Bot",
        None,
        "Other",
        None,
        Device::Bot,
    ),
    ("", "Other", None, "Other", None, Device::Unknown),
    // Kinds the issue measured: Windows XP and 7, OS X 10.9, an old iPhone, Android 4.4.
    (
        "Mozilla/5.0 (Windows NT 5.1; rv:52.0) Gecko/20100101 Firefox/52.0",
        "Firefox",
        Some(52),
        "Windows",
        Some("5.1"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36",
        "Chrome",
        Some(49),
        "Windows",
        Some("6.1"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Windows NT 6.3; Trident/7.0; rv:11.0) like Gecko",
        "Internet Explorer",
        Some(11),
        "Windows",
        Some("6.3"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.78.2 (KHTML, like Gecko) Version/7.0.6 Safari/537.78.2",
        "Safari",
        Some(7),
        "macOS",
        Some("10.9"),
        Device::Desktop,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 6_1_4 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 Mobile/10B350 Safari/8536.25",
        "Safari",
        Some(6),
        "iOS",
        Some("6"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (Linux; Android 4.4.2; GT-I9505 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.114 Mobile Safari/537.36",
        "Chrome",
        Some(34),
        "Android",
        Some("4"),
        Device::Mobile,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        Some(124),
        "Android",
        Some("13"),
        Device::Tablet,
    ),
    // A WebKit browser not on the list that declares Safari: counted as Safari, no version.
    (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) Otter/0.9.03 Safari/538.1",
        "Safari",
        None,
        "Linux",
        None,
        Device::Desktop,
    ),
    // Crawlers: one dressed as Firefox announcing a robot page, an image crawler, a
    // smartphone crawler that keeps its platform.
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:10.0) Gecko/20100101 Firefox/10.0 (+http://crawler.example.com/robot.html)",
        "Bot",
        None,
        "Linux",
        None,
        Device::Bot,
    ),
    (
        "Googlebot-Image/1.0",
        "Googlebot-Image",
        Some(1),
        "Other",
        None,
        Device::Bot,
    ),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Googlebot",
        Some(2),
        "Android",
        Some("6"),
        Device::Bot,
    ),
    // Feed readers: subscriber counts and feed ids are dropped with the rest.
    (
        "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 4 subscribers; feed-id=1234567890123456789)",
        "Feedfetcher-Google",
        None,
        "Other",
        None,
        Device::Feed,
    ),
    (
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 12 subscribers; like FeedFetcher-Google)",
        "Feedly",
        Some(1),
        "Other",
        None,
        Device::Feed,
    ),
    (
        "Feedbin feed-id:4242 - 3 subscribers",
        "Feedbin",
        None,
        "Other",
        None,
        Device::Feed,
    ),
    (
        "NewsBlur Feed Fetcher - 7 subscribers - https://www.example.com/site/4242/example (Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.84 Safari/537.36)",
        "NewsBlur",
        None,
        "macOS",
        Some("10.13"),
        Device::Feed,
    ),
    (
        "UniversalFeedParser/5.2.1 +https://code.example.org/feedparser/",
        "UniversalFeedParser",
        Some(5),
        "Other",
        None,
        Device::Feed,
    ),
    (
        "FeedBurner/1.0 (http://www.FeedBurner.com)",
        "FeedBurner",
        Some(1),
        "Other",
        None,
        Device::Feed,
    ),
    // Tools: configuration management, package managers, HTTP libraries.
    (
        "Chef Client/18.2.7 (ruby-3.1.2-p20; ohai-18.1.4; x86_64-linux; +https://chef.io)",
        "Chef Client",
        Some(18),
        "Other",
        None,
        Device::Tool,
    ),
    (
        "Debian APT-HTTP/1.3 (2.6.1)",
        "APT-HTTP",
        Some(1),
        "Other",
        None,
        Device::Tool,
    ),
    (
        "Go-http-client/1.1",
        "Go-http-client",
        Some(1),
        "Other",
        None,
        Device::Tool,
    ),
    ("Wget/1.21.4", "Wget", Some(1), "Other", None, Device::Tool),
    (
        "Java/1.8.0_392",
        "Java",
        Some(1),
        "Other",
        None,
        Device::Tool,
    ),
];

/// A user agent and what it must reduce to: browser, major, OS, OS version, device.
pub(crate) type Case = (
    &'static str,
    &'static str,
    Option<u16>,
    &'static str,
    Option<&'static str>,
    Device,
);

#[test]
fn realistic_user_agents_are_reduced() {
    for &(ua, browser, major, os, os_version, device) in CASES {
        let class = classify_user_agent(ua.as_bytes());
        assert_eq!(
            (
                class.browser(),
                class.major(),
                class.os(),
                class.os_version().map(|v| v.to_string()),
                class.device(),
                class.is_bot(),
            ),
            (
                browser,
                major,
                os,
                os_version.map(str::to_owned),
                device,
                matches!(device, Device::Bot | Device::Feed | Device::Tool),
            ),
            "{ua}"
        );
    }
}

#[test]
fn product_names_come_from_the_list() {
    for &(ua, ..) in CASES {
        let class = classify_user_agent(ua.as_bytes());
        if let Some(name) = class.agent_name() {
            assert!(names::is_listed(name), "{name}");
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
    assert!(CLASSES.with_borrow(HashMap::len) <= CACHE_ENTRIES);
}
