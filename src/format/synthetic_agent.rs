//! The synthetic user agent written to CLF's user-agent column.
//!
//! CLF has one user-agent column, which analyzers such as GoAccess and AWStats parse. The
//! reduced user agent ([`UserAgentClass`]) is written there as a short synthetic user agent
//! that carries exactly the reduced facts and that those analyzers classify as the same
//! browser and OS family.

use super::push_decimal;
#[cfg(feature = "cli")]
use crate::anonymize::user_agent::classify_user_agent;
use crate::record::{AgentForm, AgentKind, Device, UserAgentClass};

#[cfg(feature = "cli")]
/// Whether `agent` is the synthetic user agent that [`UserAgentClass::write_synthetic`]
/// writes for some class: anonlog's reduced form, as its CLF output holds it. Every
/// synthetic user agent classifies as the class it was written for, so the class to try is
/// the one `agent` itself classifies as.
pub(crate) fn is_synthetic(agent: &[u8]) -> bool {
    let mut written = Vec::with_capacity(agent.len());
    classify_user_agent(agent).write_synthetic(&mut written);
    written == agent
}

impl UserAgentClass {
    /// Appends the synthetic user agent written to CLF's user-agent column.
    ///
    /// Each template carries only the reduced facts, in the tokens GoAccess and AWStats
    /// look for, so both report the same browser family or crawler, feed reader or tool
    /// name, the same OS family and OS version as for the raw string.
    pub(crate) fn write_synthetic(&self, out: &mut Vec<u8>) {
        if let Some((browser, major)) = self.imitates {
            // The browser it presents itself as, then its own name.
            Self {
                browser,
                major,
                imitates: None,
                ..*self
            }
            .write_template(self.browser_template_for(browser, major), out);
            out.push(b' ');
            self.write_template("\u{3}\u{4}", out);
            return;
        }
        self.write_template(self.synthetic_template(), out);
    }

    /// Appends `template` with its markers filled in.
    fn write_template(&self, template: &str, out: &mut Vec<u8>) {
        for &b in template.as_bytes() {
            match b {
                OS => self.write_platform(out),
                VERSION | SLASHED_VERSION => {
                    if let Some(major) = self.major() {
                        if b == SLASHED_VERSION {
                            out.push(b'/');
                        }
                        push_decimal(out, u64::from(major));
                        out.extend_from_slice(b".0");
                    }
                }
                NAME => out.extend_from_slice(self.browser().as_bytes()),
                b => out.push(b),
            }
        }
    }

    /// The template of the synthetic user agent, with [`OS`], [`VERSION`],
    /// [`SLASHED_VERSION`] and [`NAME`] standing for the platform, the version and the
    /// family or product name.
    ///
    /// Automated clients and unknown browsers keep their outward form ([`AgentForm`]): a
    /// link to a robot page after the name is what analyzers take for the mark of a
    /// crawler, and a `Mozilla/5.0` prefix is what makes them count an unknown client as a
    /// browser of another family rather than as unknown.
    fn synthetic_template(&self) -> &'static str {
        let known_os = self.os() != "Other";
        match (self.kind(), self.form, known_os) {
            (AgentKind::Browser, ..) => {}
            (_, AgentForm::RobotPage, false) => return "\u{3}\u{4} (+http://bot.invalid/)",
            (_, AgentForm::RobotPage, true) => {
                return "Mozilla/5.0 (\u{1}; \u{3}\u{4}; +http://bot.invalid/)";
            }
            (_, AgentForm::Mozilla, _) => return "Mozilla/5.0 (\u{1}) \u{3}\u{4}",
            (_, AgentForm::Plain, false) => return "\u{3}\u{4}",
            (_, AgentForm::Plain, true) => return "\u{3}\u{4} (\u{1})",
        }
        self.browser_template_for(self.browser(), self.major())
    }

    /// The template of a browser of `family` and `major` on this class's platform.
    fn browser_template_for(&self, family: &str, major: Option<u16>) -> &'static str {
        match (family, self.os() == "iOS") {
            ("Chrome", true) => "Mozilla/5.0 (\u{1}) CriOS/\u{2} Safari/604.1",
            ("Chrome", _) => "Mozilla/5.0 (\u{1}) Chrome/\u{2}",
            ("Chromium", _) => "Mozilla/5.0 (\u{1}) Chromium/\u{2} Chrome/\u{2}",
            ("Edge", true) => "Mozilla/5.0 (\u{1}) EdgiOS/\u{2} Safari/604.1",
            ("Edge", _) => "Mozilla/5.0 (\u{1}) Chrome/\u{2} Edg/\u{2}",
            ("Opera", _) => "Mozilla/5.0 (\u{1}) OPR/\u{2}",
            ("Samsung Internet", _) => "Mozilla/5.0 (\u{1}) SamsungBrowser/\u{2} Chrome/0.0",
            ("Yandex Browser", _) => "Mozilla/5.0 (\u{1}) YaBrowser/\u{2} Chrome/0.0",
            ("Vivaldi", _) => "Mozilla/5.0 (\u{1}) Chrome/0.0 Vivaldi/\u{2}",
            ("Brave", _) => "Mozilla/5.0 (\u{1}) Chrome/0.0 Brave/\u{2}",
            ("UC Browser", _) => "Mozilla/5.0 (\u{1}) UCBrowser/\u{2}",
            ("SeaMonkey", _) => "Mozilla/5.0 (\u{1}) SeaMonkey/\u{2}",
            ("Pale Moon", _) => "Mozilla/5.0 (\u{1}) PaleMoon/\u{2}",
            (
                "Waterfox" | "Iceweasel" | "Konqueror" | "Midori" | "Epiphany" | "Lynx" | "w3m",
                _,
            ) => "Mozilla/5.0 (\u{1}) \u{3}/\u{2}",
            ("Firefox", true) => "Mozilla/5.0 (\u{1}) FxiOS/\u{2} Safari/605.1.15",
            ("Firefox", _) => "Mozilla/5.0 (\u{1}) Firefox/\u{2}",
            ("Safari", true) => "Mozilla/5.0 (\u{1}) Version/\u{2} Mobile/15E148 Safari/604.1",
            ("Safari", _) => "Mozilla/5.0 (\u{1}) Version/\u{2} Safari/605.1.15",
            ("Internet Explorer", _) if major.is_some_and(|m| m >= 11) => {
                "Mozilla/5.0 (\u{1}; Trident/7.0; rv:\u{2}) like Gecko"
            }
            ("Internet Explorer", _) => "Mozilla/5.0 (compatible; MSIE \u{2}; \u{1})",
            _ if self.form == AgentForm::Plain => "\u{1}",
            _ => "Mozilla/5.0 (\u{1})",
        }
    }

    /// Appends the platform: OS token with its version, and a device marker where the OS
    /// token alone does not tell the device. None of the tokens contains a word that
    /// GoAccess or AWStats take for a crawler (`bot`, `link`, `feed`, `Google`, …).
    fn write_platform(&self, out: &mut Vec<u8>) {
        let version = self.os_version();
        let number = |out: &mut Vec<u8>, n: u16| push_decimal(out, u64::from(n));
        match self.os() {
            "Windows" => {
                out.extend_from_slice(b"Windows NT");
                if let Some(v) = version {
                    out.push(b' ');
                    number(out, v.major());
                    out.push(b'.');
                    number(out, v.minor().unwrap_or(0));
                }
                out.extend_from_slice(b"; Win64; x64");
            }
            "macOS" => {
                out.extend_from_slice(b"Macintosh; Intel Mac OS X");
                if let Some(v) = version {
                    out.push(b' ');
                    number(out, v.major());
                    out.push(b'_');
                    number(out, v.minor().unwrap_or(0));
                }
            }
            "iOS" => {
                out.extend_from_slice(if self.device() == Device::Tablet {
                    b"iPad; CPU OS".as_slice()
                } else {
                    b"iPhone; CPU iPhone OS".as_slice()
                });
                if let Some(v) = version {
                    out.push(b' ');
                    number(out, v.major());
                    out.extend_from_slice(b"_0");
                }
                out.extend_from_slice(b" like Mac OS X");
            }
            "Android" => {
                out.extend_from_slice(b"Linux; Android");
                if let Some(v) = version {
                    out.push(b' ');
                    number(out, v.major());
                }
            }
            os => out.extend_from_slice(
                match os {
                    "ChromeOS" => "X11; CrOS x86_64",
                    "Linux" => "X11; Linux x86_64",
                    "FreeBSD" => "X11; FreeBSD amd64",
                    "OpenBSD" => "X11; OpenBSD amd64",
                    "NetBSD" => "X11; NetBSD amd64",
                    _ => "compatible",
                }
                .as_bytes(),
            ),
        }
        match (self.device(), self.os()) {
            (Device::Mobile, "iOS") | (Device::Tablet, "iOS" | "Android") => {}
            (Device::Mobile, _) => out.extend_from_slice(b"; Mobile"),
            (Device::Tablet, _) => out.extend_from_slice(b"; Tablet"),
            _ => {}
        }
    }
}

/// Marks the platform in a synthetic template.
const OS: u8 = 1;
/// Marks the `major.0` version in a synthetic template (nothing when unknown).
const VERSION: u8 = 2;
/// Marks the family or product name in a synthetic template.
const NAME: u8 = 3;
/// Marks `/major.0` in a synthetic template (nothing when the version is unknown).
const SLASHED_VERSION: u8 = 4;

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_user_agents_are_recognised() {
        use crate::anonymize::user_agent::tests::CASES;
        for (raw, ..) in CASES {
            let mut out = Vec::new();
            crate::anonymize::classify_user_agent(raw.as_bytes()).write_synthetic(&mut out);
            assert!(
                super::is_synthetic(&out),
                "{}",
                String::from_utf8_lossy(&out)
            );
        }
        // A raw user agent is reduced exactly when it is its own reduced form (a bare
        // `Googlebot-Image/1.0` carries nothing more than its class).
        for (raw, ..) in CASES {
            let mut reduced = Vec::new();
            crate::anonymize::classify_user_agent(raw.as_bytes()).write_synthetic(&mut reduced);
            assert_eq!(
                super::is_synthetic(raw.as_bytes()),
                reduced == raw.as_bytes(),
                "{raw}"
            );
        }
        for raw in ["Firefox/3.0x", "Firefox/03.0", "Nobody/1.0", "-", ""] {
            assert!(!super::is_synthetic(raw.as_bytes()), "{raw}");
        }
    }

    use crate::anonymize::classify_user_agent;
    use crate::anonymize::user_agent::tests::CASES;
    use crate::record::safe_text::is_safe;
    use crate::record::{AgentForm, Device, OsVersion, UserAgentClass};

    #[test]
    fn synthetic_user_agents_reclassify_to_the_same_class() {
        for &(ua, ..) in CASES {
            let class = classify_user_agent(ua.as_bytes());
            let mut synthetic = Vec::new();
            class.write_synthetic(&mut synthetic);
            let again = classify_user_agent(&synthetic);
            let shown = String::from_utf8_lossy(&synthetic);
            assert!(is_safe(&shown), "{shown}");
            assert_eq!(again, class, "{shown}");
        }
    }

    #[test]
    fn synthetic_user_agents_by_class() {
        let v = |major, minor| Some(OsVersion { major, minor });
        for (browser, major, os, os_version, device, form, synthetic) in [
            (
                "Chrome",
                Some(124),
                "Windows",
                v(10, Some(0)),
                Device::Desktop,
                AgentForm::Mozilla,
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0",
            ),
            (
                "Chrome",
                Some(109),
                "Windows",
                v(5, Some(1)),
                Device::Desktop,
                AgentForm::Mozilla,
                "Mozilla/5.0 (Windows NT 5.1; Win64; x64) Chrome/109.0",
            ),
            (
                "Safari",
                Some(17),
                "iOS",
                v(17, None),
                Device::Mobile,
                AgentForm::Mozilla,
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1",
            ),
            (
                "Safari",
                Some(7),
                "macOS",
                v(10, Some(9)),
                Device::Desktop,
                AgentForm::Mozilla,
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9) Version/7.0 Safari/605.1.15",
            ),
            (
                "Chrome",
                Some(34),
                "Android",
                v(4, None),
                Device::Mobile,
                AgentForm::Mozilla,
                "Mozilla/5.0 (Linux; Android 4; Mobile) Chrome/34.0",
            ),
            (
                "Internet Explorer",
                Some(11),
                "Windows",
                v(10, Some(0)),
                Device::Desktop,
                AgentForm::Mozilla,
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Trident/7.0; rv:11.0) like Gecko",
            ),
            (
                "Internet Explorer",
                Some(9),
                "Windows",
                v(10, Some(0)),
                Device::Desktop,
                AgentForm::Mozilla,
                "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 10.0; Win64; x64)",
            ),
            (
                "Googlebot",
                Some(2),
                "Other",
                None,
                Device::Bot,
                AgentForm::RobotPage,
                "Googlebot/2.0 (+http://bot.invalid/)",
            ),
            (
                "Googlebot",
                Some(2),
                "Android",
                v(6, None),
                Device::Bot,
                AgentForm::RobotPage,
                "Mozilla/5.0 (Linux; Android 6; Googlebot/2.0; +http://bot.invalid/)",
            ),
            (
                "Bot",
                None,
                "Other",
                None,
                Device::Bot,
                AgentForm::RobotPage,
                "Bot (+http://bot.invalid/)",
            ),
            (
                "Feedbin",
                None,
                "Other",
                None,
                Device::Feed,
                AgentForm::Plain,
                "Feedbin",
            ),
            (
                "curl",
                Some(8),
                "Other",
                None,
                Device::Tool,
                AgentForm::Plain,
                "curl/8.0",
            ),
            (
                "Other",
                None,
                "Other",
                None,
                Device::Unknown,
                AgentForm::Mozilla,
                "Mozilla/5.0 (compatible)",
            ),
            (
                "Other",
                None,
                "Other",
                None,
                Device::Unknown,
                AgentForm::Plain,
                "compatible",
            ),
            (
                "Bot",
                None,
                "Linux",
                None,
                Device::Bot,
                AgentForm::Mozilla,
                "Mozilla/5.0 (X11; Linux x86_64) Bot",
            ),
        ] {
            let class = UserAgentClass {
                browser,
                major,
                os,
                os_version,
                device,
                form,
                imitates: None,
            };
            let mut out = Vec::new();
            class.write_synthetic(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), synthetic);
            assert_eq!(classify_user_agent(&out), class, "{synthetic}");
        }
    }

    #[test]
    fn synthetic_user_agents_of_real_ones() {
        for (raw, synthetic) in [
            (
                "Mozilla/5.0 (Linux; Android 6.0; Nexus 5 Build/MRA58N) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/51.0.4022.1033 Mobile Safari/537.36; Bytespider",
                "Mozilla/5.0 (Linux; Android 6) Chrome/51.0 Bytespider",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:10.0) Gecko/20100101 Firefox/10.0 (+http://crawler.example.com/robot.html)",
                "Mozilla/5.0 (X11; Linux x86_64; Bot; +http://bot.invalid/)",
            ),
            ("Feedbin feed-id:4242 - 3 subscribers", "Feedbin"),
            (
                "Luminary/70 CFNetwork/978.0.7 Darwin/18.5.0",
                "CFNetwork/978.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X)",
            ),
            (
                "Mozilla/5.0 (Windows NT 5.1; rv:52.0) Gecko/20100101 Firefox/52.0",
                "Mozilla/5.0 (Windows NT 5.1; Win64; x64) Firefox/52.0",
            ),
        ] {
            let mut out = Vec::new();
            classify_user_agent(raw.as_bytes()).write_synthetic(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), synthetic, "{raw}");
        }
    }
}
