//! User agents: reduced to browser family and major version, OS family and version, device
//! class, and for crawlers, feed readers and tools their kind and public product name
//! ([`UserAgentClass`]).
//!
//! The raw string is never written. In JSON the reduction is written as separate fields;
//! in CLF as a short synthetic user agent that carries exactly the reduced facts (see
//! `format/synthetic_agent.rs`).
//!
//! Classification looks at the first [`MAX_SCANNED`] bytes: one automaton over the
//! allow-listed product names (`names.rs`), generic robot markers, a few dozen browser
//! tokens, and the platform (`platform.rs`). Results are cached by a keyed hash of the
//! whole string, so a repeated user agent costs a hash and a lookup.

mod names;
mod platform;

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;

use memchr::memmem;

use crate::record::{AgentForm, Device, UserAgentClass};

/// Bytes of a user agent examined; tokens after them are not looked for.
pub const MAX_SCANNED: usize = 512;

/// A token and the family it reveals; checked in order, first match wins.
struct Rule {
    token: &'static str,
    family: &'static str,
}

const fn rule(token: &'static str, family: &'static str) -> Rule {
    Rule { token, family }
}

/// Generic markers of automated clients (matched ignoring ASCII case).
const BOT_MARKERS: &[&str] = &[
    "bot", "crawl", "spider", "slurp", "monitor", "scan", "fetch", "+http", "(http", "; http", "@",
];

/// Links to a page about the client, as crawlers write them (and as GoAccess looks for
/// them).
const ROBOT_PAGE_MARKERS: &[&str] = &["; +http", "; http", " (+http", " (http", ";++http"];

/// Searchers for every rule, built once.
struct Finders {
    markers: Vec<memmem::Finder<'static>>,
    robot_page: Vec<memmem::Finder<'static>>,
    mozilla: memmem::Finder<'static>,
    browsers: Vec<memmem::Finder<'static>>,
    safari: memmem::Finder<'static>,
    version: memmem::Finder<'static>,
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| Finders {
    markers: BOT_MARKERS
        .iter()
        .map(|m| memmem::Finder::new(m.as_bytes()))
        .collect(),
    robot_page: ROBOT_PAGE_MARKERS
        .iter()
        .map(|m| memmem::Finder::new(m.as_bytes()))
        .collect(),
    mozilla: memmem::Finder::new(b"Mozilla"),
    browsers: BROWSERS
        .iter()
        .map(|r| memmem::Finder::new(r.token.as_bytes()))
        .collect(),
    safari: memmem::Finder::new(b"Safari"),
    version: memmem::Finder::new(b"Version/"),
});

/// Browsers; more specific tokens come first (Edge and Opera also say `Chrome/`).
const BROWSERS: &[Rule] = &[
    rule("Edg/", "Edge"),
    rule("EdgA/", "Edge"),
    rule("EdgiOS/", "Edge"),
    rule("Edge/", "Edge"),
    rule("OPR/", "Opera"),
    rule("Opera Mini/", "Opera"),
    rule("Opera/", "Opera"),
    rule("SamsungBrowser/", "Samsung Internet"),
    rule("YaBrowser/", "Yandex Browser"),
    rule("Vivaldi/", "Vivaldi"),
    rule("Brave/", "Brave"),
    rule("UCBrowser/", "UC Browser"),
    rule("UCWEB", "UC Browser"),
    rule("SeaMonkey/", "SeaMonkey"),
    rule("PaleMoon/", "Pale Moon"),
    rule("Waterfox/", "Waterfox"),
    rule("Iceweasel/", "Iceweasel"),
    rule("Konqueror/", "Konqueror"),
    rule("Midori/", "Midori"),
    rule("Epiphany/", "Epiphany"),
    rule("Lynx/", "Lynx"),
    rule("w3m/", "w3m"),
    rule("Coast/", "Opera"),
    rule("MSIE ", "Internet Explorer"),
    rule("Trident/", "Internet Explorer"),
    rule("FxiOS/", "Firefox"),
    rule("CriOS/", "Chrome"),
    rule("Firefox/", "Firefox"),
    rule("Chromium/", "Chromium"),
    rule("Chrome/", "Chrome"),
    rule("Version/", "Safari"),
];

/// Classifies a raw user agent (uncached).
pub fn classify_user_agent(raw: &[u8]) -> UserAgentClass {
    let ua = &raw[..raw.len().min(MAX_SCANNED)];
    let finders = &*FINDERS;
    let platform = platform::platform(ua);
    let form = if finders.robot_page.iter().any(|f| f.find(ua).is_some()) {
        AgentForm::RobotPage
    } else if finders.mozilla.find(ua).is_some() {
        AgentForm::Mozilla
    } else {
        AgentForm::Plain
    };
    let (browser, browser_major) = browser(ua);
    let automated = |name, major, device| UserAgentClass {
        browser: name,
        major,
        os: platform.os,
        os_version: platform.version,
        device,
        form,
        // Analyzers count a client in Mozilla form by the browser it names.
        imitates: (form == AgentForm::Mozilla && browser != "Other")
            .then_some((browser, browser_major)),
    };
    if let Some((product, end)) = names::product(ua) {
        return automated(product.name, version_after(ua, end), product.kind);
    }
    let mut lower = [0u8; MAX_SCANNED];
    let lower = &mut lower[..ua.len()];
    lower.copy_from_slice(ua);
    lower.make_ascii_lowercase();
    if finders.markers.iter().any(|m| m.find(lower).is_some()) {
        return automated("Bot", None, Device::Bot);
    }
    UserAgentClass {
        browser,
        major: browser_major,
        os: platform.os,
        os_version: platform.version,
        device: platform.device,
        // Only an unknown browser's form tells analyzers something.
        form: if browser == "Other" {
            form
        } else {
            AgentForm::Mozilla
        },
        imitates: None,
    }
}

/// The browser family and major version `ua` names, or `Other`.
fn browser(ua: &[u8]) -> (&'static str, Option<u16>) {
    let finders = &*FINDERS;
    match first_match(ua, BROWSERS, &finders.browsers) {
        Some((rule, at)) if rule.token == "Version/" => {
            if finders.safari.find(ua).is_some() {
                (rule.family, version_after(ua, at + rule.token.len()))
            } else {
                ("Other", None)
            }
        }
        // Opera 10 and later kept `Opera/9.80` and give their version after `Version/`.
        Some((rule, at)) if rule.token == "Opera/" => (
            rule.family,
            finders
                .version
                .find(ua)
                .and_then(|v| version_after(ua, v + "Version/".len()))
                .or_else(|| version_after(ua, at + rule.token.len())),
        ),
        Some((rule, at)) if rule.token == "Trident/" => {
            // Trident 7 is IE 11, Trident 6 IE 10, and so on.
            (
                rule.family,
                version_after(ua, at + rule.token.len()).map(|v| v + 4),
            )
        }
        Some((rule, at)) => (rule.family, version_after(ua, at + rule.token.len())),
        None => ("Other", None),
    }
}

fn first_match(
    ua: &[u8],
    rules: &'static [Rule],
    finders: &[memmem::Finder<'static>],
) -> Option<(&'static Rule, usize)> {
    rules
        .iter()
        .zip(finders)
        .find_map(|(rule, finder)| finder.find(ua).map(|at| (rule, at)))
}

/// The leading decimal number at `at` (after one optional `/`), at most four digits.
fn version_after(ua: &[u8], mut at: usize) -> Option<u16> {
    if ua.get(at) == Some(&b'/') {
        at += 1;
    }
    let digits = ua
        .get(at..)?
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 || digits > 4 {
        return None;
    }
    std::str::from_utf8(&ua[at..at + digits]).ok()?.parse().ok()
}

/// Entries of each thread's cache; a full cache is emptied and refilled.
const CACHE_ENTRIES: usize = 4096;

/// Seed of the cache keys, random per process.
static SEED: LazyLock<u64> =
    LazyLock::new(|| RandomState::new().hash_one(0x0061_6e6f_6e6c_6f67_u64));

thread_local! {
    /// Classifications by a seeded 64-bit hash of the whole user agent; the raw strings are
    /// not kept. One cache per thread: classification does not depend on the policy, and
    /// threads never wait for each other.
    static CACHE: RefCell<HashMap<u64, UserAgentClass, IdentityHasher>> =
        RefCell::new(HashMap::default());
}

/// Classifies a raw user agent through this thread's bounded cache.
///
/// The key hash is fast, not cryptographic: a collision, which an outsider cannot aim for
/// without the seed, would only give one user agent another's classification.
pub(crate) fn classify_cached(raw: &[u8]) -> UserAgentClass {
    let hash = seeded_hash(*SEED, raw);
    CACHE.with_borrow_mut(|cache| {
        if let Some(class) = cache.get(&hash) {
            return *class;
        }
        let class = classify_user_agent(raw);
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(hash, class);
        class
    })
}

/// A seeded multiply-rotate hash over 8-byte words.
fn seeded_hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^ (h >> 31)
}

/// The keys are already random hashes; hashing them again is wasted time.
#[derive(Clone, Copy, Default, Debug)]
struct IdentityHasher;

impl BuildHasher for IdentityHasher {
    type Hasher = IdentityHash;
    fn build_hasher(&self) -> IdentityHash {
        IdentityHash(0)
    }
}

#[derive(Debug)]
struct IdentityHash(u64);

impl std::hash::Hasher for IdentityHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
pub(crate) mod tests {
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
        assert!(CACHE.with_borrow(HashMap::len) <= CACHE_ENTRIES);
    }
}
