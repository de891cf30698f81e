//! User agents: reduced to browser family and major version, OS family and a bot flag.
//!
//! The raw string is never written. In JSON the reduction is written as separate fields;
//! in CLF, which has one user-agent column that analyzers such as GoAccess and AWStats
//! parse, it is written as a short synthetic user agent that carries exactly the reduced
//! facts and that those analyzers classify as the same browser and OS family.
//!
//! Classification looks for a few dozen tokens in the first [`MAX_SCANNED`] bytes. Results
//! are cached by a keyed hash of the whole string, so a repeated user agent costs a hash
//! and a lookup.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;

use memchr::memmem;

/// Bytes of a user agent examined; tokens after them are not looked for.
pub const MAX_SCANNED: usize = 512;

/// What is kept of a user agent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UserAgentClass {
    browser: &'static str,
    major: Option<u16>,
    os: &'static str,
    bot: bool,
}

impl UserAgentClass {
    /// Browser family (`Chrome`, `Firefox`, `Safari`, …), crawler or tool name
    /// (`Googlebot`, `curl`), or `Other`.
    pub fn browser(&self) -> &'static str {
        self.browser
    }

    /// Major version of the browser or tool.
    pub fn major(&self) -> Option<u16> {
        self.major
    }

    /// Operating system family (`Windows`, `macOS`, `iOS`, `Android`, `Linux`, …) or `Other`.
    pub fn os(&self) -> &'static str {
        self.os
    }

    /// Whether the client is a crawler, monitor or scripted tool.
    pub fn is_bot(&self) -> bool {
        self.bot
    }

    /// Appends the synthetic user agent written to CLF's user-agent column.
    ///
    /// Each template carries only the reduced facts, in the tokens GoAccess and AWStats
    /// look for, so both report the same browser and OS family as for the raw string.
    pub(crate) fn write_synthetic(&self, out: &mut Vec<u8>) {
        for &b in self.synthetic_template().as_bytes() {
            match b {
                OS => out.extend_from_slice(os_token(self.os).as_bytes()),
                VERSION => {
                    if let Some(major) = self.major {
                        crate::format::push_decimal(out, u64::from(major));
                        out.extend_from_slice(b".0");
                    }
                }
                NAME => out.extend_from_slice(self.browser.as_bytes()),
                b => out.push(b),
            }
        }
    }

    /// The template of the synthetic user agent, with [`OS`], [`VERSION`] and [`NAME`]
    /// standing for the platform token, the version and the family name.
    fn synthetic_template(&self) -> &'static str {
        match (self.browser, self.bot, self.os == "iOS") {
            ("Bot", true, _) => "Bot/\u{2} (+http://bot.invalid/)",
            (_, true, _) => "\u{3}/\u{2}",
            ("Chrome", _, true) => "Mozilla/5.0 (\u{1}) CriOS/\u{2} Safari/604.1",
            ("Chrome", ..) => "Mozilla/5.0 (\u{1}) Chrome/\u{2}",
            ("Chromium", ..) => "Mozilla/5.0 (\u{1}) Chromium/\u{2} Chrome/\u{2}",
            ("Edge", _, true) => "Mozilla/5.0 (\u{1}) EdgiOS/\u{2} Safari/604.1",
            ("Edge", ..) => "Mozilla/5.0 (\u{1}) Chrome/\u{2} Edg/\u{2}",
            ("Opera", ..) => "Mozilla/5.0 (\u{1}) OPR/\u{2}",
            ("Samsung Internet", ..) => {
                "Mozilla/5.0 (\u{1}) SamsungBrowser/\u{2} Chrome/0.0 Mobile"
            }
            ("Yandex Browser", ..) => "Mozilla/5.0 (\u{1}) YaBrowser/\u{2} Chrome/0.0",
            ("Vivaldi", ..) => "Mozilla/5.0 (\u{1}) Chrome/0.0 Vivaldi/\u{2}",
            ("Firefox", _, true) => "Mozilla/5.0 (\u{1}) FxiOS/\u{2} Safari/605.1.15",
            ("Firefox", ..) => "Mozilla/5.0 (\u{1}) Firefox/\u{2}",
            ("Safari", _, true) => "Mozilla/5.0 (\u{1}) Version/\u{2} Mobile/15E148 Safari/604.1",
            ("Safari", ..) => "Mozilla/5.0 (\u{1}) Version/\u{2} Safari/605.1.15",
            ("Internet Explorer", ..) if self.major.is_some_and(|m| m >= 11) => {
                "Mozilla/5.0 (\u{1}; Trident/7.0; rv:\u{2}) like Gecko"
            }
            ("Internet Explorer", ..) => "Mozilla/5.0 (compatible; MSIE \u{2}; \u{1})",
            _ => "Mozilla/5.0 (\u{1})",
        }
    }
}

/// Whether `agent` is the synthetic user agent that [`UserAgentClass::write_synthetic`]
/// writes for some class: anonlog's reduced form, as its CLF output holds it.
///
/// The class is the one `agent` itself classifies as; a bot's `Name/major.0` form may name
/// a browser family that no longer reads as a bot, so that form is tried for every family.
pub(crate) fn is_synthetic(agent: &[u8]) -> bool {
    let written_for = |class: UserAgentClass| {
        let mut out = Vec::with_capacity(agent.len());
        class.write_synthetic(&mut out);
        out == agent
    };
    if written_for(classify_user_agent(agent)) {
        return true;
    }
    let Some(slash) = memchr::memrchr(b'/', agent) else {
        return false;
    };
    let (name, version) = (&agent[..slash], &agent[slash + 1..]);
    let major = match version {
        b"" => None,
        v => match v
            .strip_suffix(b".0")
            .and_then(|d| std::str::from_utf8(d).ok()?.parse().ok())
        {
            Some(major) => Some(major),
            None => return false,
        },
    };
    BROWSERS
        .iter()
        .chain(BOTS)
        .find(|rule| rule.family.as_bytes() == name)
        .is_some_and(|rule| {
            written_for(UserAgentClass {
                browser: rule.family,
                major,
                os: "Other",
                bot: true,
            })
        })
}

/// Marks the platform token in a synthetic template.
const OS: u8 = 1;
/// Marks the `major.0` version in a synthetic template (nothing when unknown).
const VERSION: u8 = 2;
/// Marks the family name in a synthetic template.
const NAME: u8 = 3;

/// The platform token analyzers recognise for an OS family. None of them contains a word
/// that GoAccess or AWStats take for a crawler (`bot`, `link`, `feed`, `Google`, …).
fn os_token(os: &str) -> &'static str {
    match os {
        "Windows" => "Windows NT 10.0; Win64; x64",
        "macOS" => "Macintosh; Intel Mac OS X 10_15_7",
        "iOS" => "iPhone; CPU iPhone OS 17_0 like Mac OS X",
        "Android" => "Linux; Android 10; K",
        "ChromeOS" => "X11; CrOS x86_64",
        "Linux" => "X11; Linux x86_64",
        "FreeBSD" => "X11; FreeBSD amd64",
        "OpenBSD" => "X11; OpenBSD amd64",
        _ => "compatible",
    }
}

/// A token and the family it reveals; checked in order, first match wins.
struct Rule {
    token: &'static str,
    family: &'static str,
}

/// Crawlers, monitors and tools, by a token in their user agent (case-sensitive).
const BOTS: &[Rule] = &[
    Rule {
        token: "Googlebot",
        family: "Googlebot",
    },
    Rule {
        token: "bingbot",
        family: "bingbot",
    },
    Rule {
        token: "YandexBot",
        family: "YandexBot",
    },
    Rule {
        token: "Baiduspider",
        family: "Baiduspider",
    },
    Rule {
        token: "DuckDuckBot",
        family: "DuckDuckBot",
    },
    Rule {
        token: "Applebot",
        family: "Applebot",
    },
    Rule {
        token: "facebookexternalhit",
        family: "facebookexternalhit",
    },
    Rule {
        token: "Twitterbot",
        family: "Twitterbot",
    },
    Rule {
        token: "LinkedInBot",
        family: "LinkedInBot",
    },
    Rule {
        token: "Slackbot",
        family: "Slackbot",
    },
    Rule {
        token: "AhrefsBot",
        family: "AhrefsBot",
    },
    Rule {
        token: "SemrushBot",
        family: "SemrushBot",
    },
    Rule {
        token: "MJ12bot",
        family: "MJ12bot",
    },
    Rule {
        token: "PetalBot",
        family: "PetalBot",
    },
    Rule {
        token: "GPTBot",
        family: "GPTBot",
    },
    Rule {
        token: "ClaudeBot",
        family: "ClaudeBot",
    },
    Rule {
        token: "HeadlessChrome",
        family: "HeadlessChrome",
    },
    Rule {
        token: "curl/",
        family: "curl",
    },
    Rule {
        token: "Wget/",
        family: "Wget",
    },
    Rule {
        token: "python-requests/",
        family: "python-requests",
    },
    Rule {
        token: "Python-urllib/",
        family: "Python-urllib",
    },
    Rule {
        token: "aiohttp/",
        family: "aiohttp",
    },
    Rule {
        token: "Go-http-client/",
        family: "Go-http-client",
    },
    Rule {
        token: "okhttp/",
        family: "okhttp",
    },
    Rule {
        token: "Java/",
        family: "Java",
    },
    Rule {
        token: "libwww-perl/",
        family: "libwww-perl",
    },
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
    Rule {
        token: "Edg/",
        family: "Edge",
    },
    Rule {
        token: "EdgA/",
        family: "Edge",
    },
    Rule {
        token: "EdgiOS/",
        family: "Edge",
    },
    Rule {
        token: "Edge/",
        family: "Edge",
    },
    Rule {
        token: "OPR/",
        family: "Opera",
    },
    Rule {
        token: "Opera/",
        family: "Opera",
    },
    Rule {
        token: "SamsungBrowser/",
        family: "Samsung Internet",
    },
    Rule {
        token: "YaBrowser/",
        family: "Yandex Browser",
    },
    Rule {
        token: "Vivaldi/",
        family: "Vivaldi",
    },
    Rule {
        token: "FxiOS/",
        family: "Firefox",
    },
    Rule {
        token: "CriOS/",
        family: "Chrome",
    },
    Rule {
        token: "Firefox/",
        family: "Firefox",
    },
    Rule {
        token: "Chromium/",
        family: "Chromium",
    },
    Rule {
        token: "Chrome/",
        family: "Chrome",
    },
    Rule {
        token: "MSIE ",
        family: "Internet Explorer",
    },
    Rule {
        token: "Trident/",
        family: "Internet Explorer",
    },
    Rule {
        token: "Version/",
        family: "Safari",
    },
];

/// Operating systems; Android before Linux, iOS devices before macOS.
const SYSTEMS: &[Rule] = &[
    Rule {
        token: "Windows",
        family: "Windows",
    },
    Rule {
        token: "Android",
        family: "Android",
    },
    Rule {
        token: "iPhone",
        family: "iOS",
    },
    Rule {
        token: "iPad",
        family: "iOS",
    },
    Rule {
        token: "iPod",
        family: "iOS",
    },
    Rule {
        token: "CrOS",
        family: "ChromeOS",
    },
    Rule {
        token: "Mac OS X",
        family: "macOS",
    },
    Rule {
        token: "Macintosh",
        family: "macOS",
    },
    Rule {
        token: "FreeBSD",
        family: "FreeBSD",
    },
    Rule {
        token: "OpenBSD",
        family: "OpenBSD",
    },
    Rule {
        token: "Linux",
        family: "Linux",
    },
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

#[cfg(test)]
#[path = "user_agent_tests.rs"]
pub(crate) mod tests;
