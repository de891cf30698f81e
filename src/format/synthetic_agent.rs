//! The synthetic user agent written to CLF's user-agent column.
//!
//! CLF has one user-agent column, which analyzers such as GoAccess and AWStats parse. The
//! reduced user agent ([`UserAgentClass`]) is written there as a short synthetic user agent
//! that carries exactly the reduced facts and that those analyzers classify as the same
//! browser and OS family.

use super::push_decimal;
use crate::anonymize::user_agent::{classify_user_agent, families};
use crate::record::UserAgentClass;

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
    families()
        .find(|family| family.as_bytes() == name)
        .is_some_and(|browser| {
            written_for(UserAgentClass {
                browser,
                major,
                os: "Other",
                bot: true,
            })
        })
}

impl UserAgentClass {
    /// Appends the synthetic user agent written to CLF's user-agent column.
    ///
    /// Each template carries only the reduced facts, in the tokens GoAccess and AWStats
    /// look for, so both report the same browser and OS family as for the raw string.
    pub(crate) fn write_synthetic(&self, out: &mut Vec<u8>) {
        for &b in self.synthetic_template().as_bytes() {
            match b {
                OS => out.extend_from_slice(os_token(self.os()).as_bytes()),
                VERSION => {
                    if let Some(major) = self.major() {
                        push_decimal(out, u64::from(major));
                        out.extend_from_slice(b".0");
                    }
                }
                NAME => out.extend_from_slice(self.browser().as_bytes()),
                b => out.push(b),
            }
        }
    }

    /// The template of the synthetic user agent, with [`OS`], [`VERSION`] and [`NAME`]
    /// standing for the platform token, the version and the family name.
    fn synthetic_template(&self) -> &'static str {
        match (self.browser(), self.is_bot(), self.os() == "iOS") {
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
            ("Internet Explorer", ..) if self.major().is_some_and(|m| m >= 11) => {
                "Mozilla/5.0 (\u{1}; Trident/7.0; rv:\u{2}) like Gecko"
            }
            ("Internet Explorer", ..) => "Mozilla/5.0 (compatible; MSIE \u{2}; \u{1})",
            _ => "Mozilla/5.0 (\u{1})",
        }
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_user_agents_are_recognised() {
        use crate::anonymize::user_agent::tests::{CASES, every_class};
        for class in every_class() {
            let mut out = Vec::new();
            class.write_synthetic(&mut out);
            assert!(
                super::is_synthetic(&out),
                "{}",
                String::from_utf8_lossy(&out)
            );
        }
        for (raw, ..) in CASES {
            assert!(!super::is_synthetic(raw.as_bytes()), "{raw}");
        }
        for raw in ["Firefox/3.0x", "Firefox/03.0", "Nobody/1.0", "-", ""] {
            assert!(!super::is_synthetic(raw.as_bytes()), "{raw}");
        }
    }

    use crate::anonymize::classify_user_agent;
    use crate::anonymize::user_agent::tests::CASES;
    use crate::record::UserAgentClass;
    use crate::record::safe_text::is_safe;

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
    fn synthetic_user_agents_by_class() {
        for (browser, major, os, bot, synthetic) in [
            (
                "Chrome",
                Some(124),
                "Windows",
                false,
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0",
            ),
            (
                "Safari",
                Some(17),
                "iOS",
                false,
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1",
            ),
            (
                "Internet Explorer",
                Some(11),
                "Windows",
                false,
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
            ),
            (
                "Internet Explorer",
                Some(9),
                "Windows",
                false,
                "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 10.0; Win64; x64)",
            ),
            ("Googlebot", Some(2), "Other", true, "Googlebot/2.0"),
            ("Bot", None, "Other", true, "Bot/ (+http://bot.invalid/)"),
            ("Other", None, "Other", false, "Mozilla/5.0 (compatible)"),
        ] {
            let class = UserAgentClass {
                browser,
                major,
                os,
                bot,
            };
            let mut out = Vec::new();
            class.write_synthetic(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), synthetic);
        }
    }
}
