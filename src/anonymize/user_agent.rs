//! User agents: reduced to browser family and major version, OS family and a bot flag
//! ([`UserAgentClass`]).
//!
//! The raw string is never written. In JSON the reduction is written as separate fields;
//! in CLF as a short synthetic user agent that carries exactly the reduced facts (see
//! `format/synthetic_agent.rs`).
//!
//! Classification looks for a few dozen tokens in the first [`MAX_SCANNED`] bytes. Results
//! are cached by a keyed hash of the whole string, so a repeated user agent costs a hash
//! and a lookup.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;

use memchr::memmem;

use crate::record::UserAgentClass;

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

/// Crawlers, monitors and tools, by a token in their user agent (case-sensitive).
const BOTS: &[Rule] = &[
    rule("Googlebot", "Googlebot"),
    rule("bingbot", "bingbot"),
    rule("YandexBot", "YandexBot"),
    rule("Baiduspider", "Baiduspider"),
    rule("DuckDuckBot", "DuckDuckBot"),
    rule("Applebot", "Applebot"),
    rule("facebookexternalhit", "facebookexternalhit"),
    rule("Twitterbot", "Twitterbot"),
    rule("LinkedInBot", "LinkedInBot"),
    rule("Slackbot", "Slackbot"),
    rule("AhrefsBot", "AhrefsBot"),
    rule("SemrushBot", "SemrushBot"),
    rule("MJ12bot", "MJ12bot"),
    rule("PetalBot", "PetalBot"),
    rule("GPTBot", "GPTBot"),
    rule("ClaudeBot", "ClaudeBot"),
    rule("HeadlessChrome", "HeadlessChrome"),
    rule("curl/", "curl"),
    rule("Wget/", "Wget"),
    rule("python-requests/", "python-requests"),
    rule("Python-urllib/", "Python-urllib"),
    rule("aiohttp/", "aiohttp"),
    rule("Go-http-client/", "Go-http-client"),
    rule("okhttp/", "okhttp"),
    rule("Java/", "Java"),
    rule("libwww-perl/", "libwww-perl"),
];

/// Generic markers of automated clients (matched ignoring ASCII case).
const BOT_MARKERS: &[&str] = &["bot", "crawl", "spider", "slurp", "monitor", "scan"];

/// Searchers for every rule, built once.
struct Finders {
    bots: Vec<memmem::Finder<'static>>,
    markers: Vec<memmem::Finder<'static>>,
    browsers: Vec<memmem::Finder<'static>>,
    systems: Vec<memmem::Finder<'static>>,
    safari: memmem::Finder<'static>,
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| {
    let build = |rules: &'static [Rule]| -> Vec<memmem::Finder<'static>> {
        rules
            .iter()
            .map(|r| memmem::Finder::new(r.token.as_bytes()))
            .collect()
    };
    Finders {
        bots: build(BOTS),
        markers: BOT_MARKERS
            .iter()
            .map(|m| memmem::Finder::new(m.as_bytes()))
            .collect(),
        browsers: build(BROWSERS),
        systems: build(SYSTEMS),
        safari: memmem::Finder::new(b"Safari/"),
    }
});

/// Browsers; more specific tokens come first (Edge and Opera also say `Chrome/`).
const BROWSERS: &[Rule] = &[
    rule("Edg/", "Edge"),
    rule("EdgA/", "Edge"),
    rule("EdgiOS/", "Edge"),
    rule("Edge/", "Edge"),
    rule("OPR/", "Opera"),
    rule("Opera/", "Opera"),
    rule("SamsungBrowser/", "Samsung Internet"),
    rule("YaBrowser/", "Yandex Browser"),
    rule("Vivaldi/", "Vivaldi"),
    rule("FxiOS/", "Firefox"),
    rule("CriOS/", "Chrome"),
    rule("Firefox/", "Firefox"),
    rule("Chromium/", "Chromium"),
    rule("Chrome/", "Chrome"),
    rule("MSIE ", "Internet Explorer"),
    rule("Trident/", "Internet Explorer"),
    rule("Version/", "Safari"),
];

/// Operating systems; Android before Linux, iOS devices before macOS.
const SYSTEMS: &[Rule] = &[
    rule("Windows", "Windows"),
    rule("Android", "Android"),
    rule("iPhone", "iOS"),
    rule("iPad", "iOS"),
    rule("iPod", "iOS"),
    rule("CrOS", "ChromeOS"),
    rule("Mac OS X", "macOS"),
    rule("Macintosh", "macOS"),
    rule("FreeBSD", "FreeBSD"),
    rule("OpenBSD", "OpenBSD"),
    rule("Linux", "Linux"),
];

/// Classifies a raw user agent (uncached).
pub fn classify_user_agent(raw: &[u8]) -> UserAgentClass {
    let ua = &raw[..raw.len().min(MAX_SCANNED)];
    let finders = &*FINDERS;
    let os = first_match(ua, SYSTEMS, &finders.systems).map_or("Other", |(rule, _)| rule.family);
    if let Some((rule, at)) = first_match(ua, BOTS, &finders.bots) {
        return UserAgentClass {
            browser: rule.family,
            major: version_after(ua, at + rule.token.len()),
            os,
            bot: true,
        };
    }
    let mut lower = [0u8; MAX_SCANNED];
    let lower = &mut lower[..ua.len()];
    lower.copy_from_slice(ua);
    lower.make_ascii_lowercase();
    let bot = finders.markers.iter().any(|m| m.find(lower).is_some());
    let (browser, major) = match first_match(ua, BROWSERS, &finders.browsers) {
        Some((rule, at)) if rule.token == "Version/" => {
            if finders.safari.find(ua).is_some() {
                (rule.family, version_after(ua, at + rule.token.len()))
            } else {
                ("Other", None)
            }
        }
        Some((rule, at)) if rule.token == "Trident/" => {
            // Trident 7 is IE 11, Trident 6 IE 10, and so on.
            (
                rule.family,
                version_after(ua, at + rule.token.len()).map(|v| v + 4),
            )
        }
        Some((rule, at)) => (rule.family, version_after(ua, at + rule.token.len())),
        None => ("Other", None),
    };
    if bot {
        return UserAgentClass {
            browser: if browser == "Other" { "Bot" } else { browser },
            major,
            os,
            bot,
        };
    }
    UserAgentClass {
        browser,
        major,
        os,
        bot,
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

/// Every browser and bot family the classifier names.
pub(crate) fn families() -> impl Iterator<Item = &'static str> {
    BROWSERS.iter().chain(BOTS).map(|rule| rule.family)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every class the classifier can produce, with a few majors each: bot families as
    /// bots, browser families as browsers and as bots, `Other` and `Bot`.
    pub(crate) fn every_class() -> Vec<UserAgentClass> {
        let mut families: Vec<(&'static str, bool)> = vec![("Other", false), ("Bot", true)];
        families.extend(BOTS.iter().map(|r| (r.family, true)));
        for rule in BROWSERS {
            families.extend([(rule.family, false), (rule.family, true)]);
        }
        let systems: Vec<&'static str> =
            SYSTEMS.iter().map(|r| r.family).chain(["Other"]).collect();
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
