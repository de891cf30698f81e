//! The platform part of a user agent: OS family, OS version and device class.

use std::sync::LazyLock;

use memchr::memmem;

use super::{Rule, first_match, rule};
use crate::record::{Device, OsVersion};

/// Operating systems; Android before Linux, iOS devices before macOS.
const SYSTEMS: &[Rule] = &[
    rule("Windows", "Windows"),
    rule("Android", "Android"),
    rule("iPad", "iOS"),
    rule("iPhone", "iOS"),
    rule("iPod", "iOS"),
    rule("CrOS", "ChromeOS"),
    rule("Mac OS X", "macOS"),
    rule("Macintosh", "macOS"),
    rule("iOS", "iOS"),
    rule("FreeBSD", "FreeBSD"),
    rule("OpenBSD", "OpenBSD"),
    rule("NetBSD", "NetBSD"),
    rule("Linux", "Linux"),
];

/// Windows NT versions kept (the others are too rare to keep).
const WINDOWS_NT: &[(u16, u16)] = &[
    (10, 0),
    (6, 3),
    (6, 2),
    (6, 1),
    (6, 0),
    (5, 2),
    (5, 1),
    (5, 0),
    (4, 0),
];

/// OS major numbers above this are not kept (no released system has them).
const MAX_OS_MAJOR: u16 = 40;

/// Tokens after which each family writes its version; the first one followed by a number
/// counts.
const VERSION_TOKENS: &[(&str, &str)] = &[
    ("Windows", "Windows NT "),
    ("Android", "Android "),
    ("Android", "Android/"),
    ("Android", "Android"),
    ("iOS", " OS "),
    ("iOS", "iOS "),
    ("iOS", "iOS/"),
    ("iOS", "iOS; "),
    ("iOS", "CPU "),
    ("iOS", "CPU iPhone "),
    ("iOS", " OS  "),
    ("macOS", "OS X "),
    ("macOS", "OS X/"),
    ("macOS", "OS X Version "),
];

/// Apple's HTTP library names the kernel (`CFNetwork/978.0.7 Darwin/18.5.0`); the kernel
/// tells the system and its version.
const DARWIN: &str = "Darwin/";

/// Markers of a Mac in a `Darwin/` user agent (otherwise it is an iPhone or iPad).
const MAC_MARKERS: [&str; 3] = ["x86_64", "i386", "Mac"];

struct Finders {
    systems: Vec<memmem::Finder<'static>>,
    versions: Vec<memmem::Finder<'static>>,
    darwin: memmem::Finder<'static>,
    mac: [memmem::Finder<'static>; 3],
    mobile: [memmem::Finder<'static>; 4],
    tablet: [memmem::Finder<'static>; 4],
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| Finders {
    systems: SYSTEMS
        .iter()
        .map(|r| memmem::Finder::new(r.token.as_bytes()))
        .collect(),
    versions: VERSION_TOKENS
        .iter()
        .map(|(_, t)| memmem::Finder::new(t.as_bytes()))
        .collect(),
    darwin: memmem::Finder::new(DARWIN.as_bytes()),
    mac: MAC_MARKERS.map(|t| memmem::Finder::new(t.as_bytes())),
    mobile: ["Mobile", "iPhone", "iPod", "Opera Mini"].map(|t| memmem::Finder::new(t.as_bytes())),
    tablet: ["iPad", "Tablet", "Kindle", "Silk/"].map(|t| memmem::Finder::new(t.as_bytes())),
});

/// The platform of a person's browser (automated clients get their kind as device).
pub(super) struct Platform {
    pub(super) os: &'static str,
    pub(super) version: Option<OsVersion>,
    pub(super) device: Device,
}

/// OS family, version and device class of `ua`.
pub(super) fn platform(ua: &[u8]) -> Platform {
    let finders = &*FINDERS;
    let darwin = finders
        .darwin
        .find(ua)
        .map(|at| numbers(&ua[at + DARWIN.len()..]).0);
    let os = match first_match(ua, SYSTEMS, &finders.systems) {
        Some((rule, _)) => rule.family,
        None if darwin.is_some() && finders.mac.iter().any(|f| f.find(ua).is_some()) => "macOS",
        None if darwin.is_some() => "iOS",
        None => "Other",
    };
    Platform {
        os,
        version: os_version(ua, os).or_else(|| darwin_version(os, darwin.flatten()?)),
        device: device(ua, os),
    }
}

/// The system version a Darwin kernel major stands for.
fn darwin_version(os: &str, kernel: u16) -> Option<OsVersion> {
    let (major, minor) = match (os, kernel) {
        ("iOS", 10) => (4, None),
        ("iOS", 11 | 12) => (5, None),
        ("iOS", 13) => (6, None),
        ("iOS", 14) => (7, None),
        ("iOS", 15..=40) => (kernel - 6, None),
        ("macOS", 5..=19) => (10, Some(kernel - 4)),
        ("macOS", 20..=40) => (kernel - 9, None),
        _ => return None,
    };
    Some(OsVersion { major, minor })
}

/// The kept OS version of a user agent of family `os`.
fn os_version(ua: &[u8], os: &str) -> Option<OsVersion> {
    let finders = &*FINDERS;
    let (major, minor) = VERSION_TOKENS
        .iter()
        .zip(&finders.versions)
        .filter(|((family, _), _)| *family == os)
        .filter_map(|((_, token), finder)| finder.find(ua).map(|at| at + token.len()))
        .map(|at| numbers(&ua[at..]))
        .find(|(major, _)| major.is_some())?;
    let major = major.filter(|&m| m <= MAX_OS_MAJOR)?;
    let minor = match os {
        "Windows" => {
            let minor = minor?;
            return WINDOWS_NT.contains(&(major, minor)).then_some(OsVersion {
                major,
                minor: Some(minor),
            });
        }
        "macOS" if major == 10 => Some(minor.filter(|&m| m <= MAX_OS_MAJOR)?),
        _ => None,
    };
    Some(OsVersion { major, minor })
}

/// The leading `major[._]minor` numbers of `text` (each at most three digits).
fn numbers(text: &[u8]) -> (Option<u16>, Option<u16>) {
    let number = |text: &[u8]| -> (Option<u16>, usize) {
        let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 3 {
            return (None, digits);
        }
        let value = text[..digits]
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
        (Some(value), digits)
    };
    let (major, len) = number(text);
    if major.is_none() {
        return (None, None);
    }
    let minor = match text.get(len) {
        Some(b'.' | b'_') => number(&text[len + 1..]).0,
        _ => None,
    };
    (major, minor)
}

/// Device class of a browser on `os`.
fn device(ua: &[u8], os: &str) -> Device {
    let finders = &*FINDERS;
    if finders.tablet.iter().any(|f| f.find(ua).is_some()) {
        return Device::Tablet;
    }
    if finders.mobile.iter().any(|f| f.find(ua).is_some()) {
        return Device::Mobile;
    }
    match os {
        // Android browsers on phones say `Mobile`; tablets do not.
        "Android" => Device::Tablet,
        "iOS" => Device::Mobile,
        "Windows" | "macOS" | "ChromeOS" | "Linux" | "FreeBSD" | "OpenBSD" | "NetBSD" => {
            Device::Desktop
        }
        _ => Device::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_by_family() {
        for (ua, os, version, device) in [
            (
                "Mozilla/5.0 (Windows NT 6.1; WOW64)",
                "Windows",
                Some("6.1"),
                Device::Desktop,
            ),
            (
                "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1)",
                "Windows",
                Some("5.1"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Windows NT 6.3; Win64; x64)",
                "Windows",
                Some("6.3"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Windows NT 7.7)",
                "Windows",
                None,
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5)",
                "macOS",
                Some("10.9"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0)",
                "macOS",
                Some("10.15"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4)",
                "macOS",
                Some("14"),
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 6_1_3 like Mac OS X)",
                "iOS",
                Some("6"),
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X)",
                "iOS",
                Some("16"),
                Device::Tablet,
            ),
            (
                "Mozilla/5.0 (Linux; Android 4.4.2; GT-I9505) Mobile Safari",
                "Android",
                Some("4"),
                Device::Mobile,
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36",
                "Android",
                Some("13"),
                Device::Tablet,
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64)",
                "Linux",
                None,
                Device::Desktop,
            ),
            (
                "Mozilla/5.0 (Android 4.4; Mobile; rv:41.0) Gecko/41.0 Firefox/41.0",
                "Android",
                Some("4"),
                Device::Mobile,
            ),
            ("curl/8.5.0", "Other", None, Device::Unknown),
        ] {
            let p = platform(ua.as_bytes());
            assert_eq!(
                (p.os, p.version.map(|v| v.to_string()), p.device),
                (os, version.map(str::to_owned), device),
                "{ua}"
            );
        }
    }
}
