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
use std::sync::LazyLock;

use memchr::memmem;

use super::cache::{Cache, cached};
use crate::record::{AgentForm, Device, GENERIC_NAME, UserAgentClass};

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

/// Links to a page about the client, as crawlers write them (and as GoAccess looks for
/// them).
const ROBOT_PAGE_MARKERS: &[&str] = &["; +http", "; http", " (+http", " (http", ";++http"];

/// Searchers for every rule, built once.
struct Finders {
    robot_page: Vec<memmem::Finder<'static>>,
    mozilla: memmem::Finder<'static>,
    browsers: Vec<memmem::Finder<'static>>,
    safari: memmem::Finder<'static>,
    version: memmem::Finder<'static>,
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| Finders {
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
    // An unknown WebKit browser that declares Safari compatibility, as analyzers count it.
    rule("Safari/", "Safari"),
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
    match names::product(ua) {
        names::Found::Product(product, end) => {
            return automated(product.name, version_after(ua, end), product.kind);
        }
        names::Found::Marker => return automated(GENERIC_NAME, None, Device::Bot),
        names::Found::Nothing => {}
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
        // Its number is the WebKit build, not a Safari version.
        Some((rule, _)) if rule.token == "Safari/" => (rule.family, None),
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

thread_local! {
    /// Classifications by a seeded hash of the whole user agent (`cache.rs`); the raw
    /// strings are not kept. One cache per thread: classification does not depend on the
    /// policy, and threads never wait for each other.
    static CLASSES: Cache<UserAgentClass> = RefCell::new(HashMap::default());
}

/// Classifies a raw user agent through this thread's bounded cache.
pub(crate) fn classify_cached(raw: &[u8]) -> UserAgentClass {
    cached(&CLASSES, CACHE_ENTRIES, raw, classify_user_agent)
}

#[cfg(test)]
pub(crate) mod tests;
