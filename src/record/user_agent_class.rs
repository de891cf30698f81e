//! [`UserAgentClass`]: the reduced user agent as a value.

use std::fmt;

/// What is kept of a user agent.
///
/// Made by the user-agent rule (`anonymize/user_agent/`); JSON writes its fields, CLF a
/// synthetic user agent built from them (`format/synthetic_agent.rs`). Every text it holds
/// comes from a fixed list compiled into anonlog, never from the user agent itself.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UserAgentClass {
    pub(crate) browser: &'static str,
    pub(crate) major: Option<u16>,
    pub(crate) os: &'static str,
    pub(crate) os_version: Option<OsVersion>,
    pub(crate) device: Device,
    pub(crate) form: AgentForm,
    /// For a crawler, feed reader or tool in Mozilla form: the browser family and major
    /// it presents itself as (`Mozilla/5.0 … Chrome/51.0 … Bytespider`), which analyzers
    /// count it under.
    pub(crate) imitates: Option<(&'static str, Option<u16>)>,
}

impl UserAgentClass {
    /// Browser family (`Chrome`, `Firefox`, `Safari`, …); for crawlers, feed readers and
    /// tools their public product name (`Googlebot`, `Feedly`, `curl`) or, when it is not
    /// on anonlog's list, `Bot`; `Other` for an unknown browser.
    pub fn browser(&self) -> &'static str {
        self.browser
    }

    /// Major version of the browser or product.
    pub fn major(&self) -> Option<u16> {
        self.major
    }

    /// Operating system family (`Windows`, `macOS`, `iOS`, `Android`, `Linux`, …) or `Other`.
    pub fn os(&self) -> &'static str {
        self.os
    }

    /// Operating system version: the major version, or major and minor where the major
    /// alone is ambiguous (Windows NT `6.1` is Windows 7, OS X `10.9`). `None` when unknown
    /// or when the policy drops it (`user_agent.os_version = false`).
    pub fn os_version(&self) -> Option<OsVersion> {
        self.os_version
    }

    /// Device class: desktop, mobile, tablet, or the kind of automated client.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Whether a person's browser, a crawler, a feed reader or a tool sent the request.
    pub fn kind(&self) -> AgentKind {
        match self.device {
            Device::Bot => AgentKind::Bot,
            Device::Feed => AgentKind::Feed,
            Device::Tool => AgentKind::Tool,
            Device::Desktop | Device::Mobile | Device::Tablet | Device::Unknown => {
                AgentKind::Browser
            }
        }
    }

    /// The public product name of a crawler, feed reader or tool, when it is on anonlog's
    /// fixed list; `None` for browsers and for automated clients not on the list.
    pub fn agent_name(&self) -> Option<&'static str> {
        match self.kind() {
            AgentKind::Browser => None,
            _ if self.browser == GENERIC_NAME => None,
            _ => Some(self.browser),
        }
    }

    /// Whether the client is a crawler, monitor, feed reader or scripted tool.
    pub fn is_bot(&self) -> bool {
        self.kind() != AgentKind::Browser
    }

    /// The same class without its OS version.
    pub(crate) fn without_os_version(self) -> Self {
        Self {
            os_version: None,
            ..self
        }
    }
}

/// The outward form of a user agent that analyzers key on when they meet a name they do
/// not know: whether it links to a page about the client (`+http://…`, the mark of a
/// crawler) and whether it calls itself Mozilla-compatible. Two bits about the software,
/// kept so that GoAccess and AWStats count an unknown client the same way in the raw and
/// the reduced log. Browsers of a known family are always [`AgentForm::Mozilla`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) enum AgentForm {
    /// `Name/1.0`.
    Plain,
    /// `Mozilla/5.0 (…) Name/1.0`.
    Mozilla,
    /// A link to a robot page after the name.
    RobotPage,
}

/// The name given to automated clients that are not on anonlog's list.
pub(crate) const GENERIC_NAME: &str = "Bot";

/// An operating system version as kept: a major and, where it matters, a minor number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct OsVersion {
    pub(crate) major: u16,
    pub(crate) minor: Option<u16>,
}

impl OsVersion {
    /// The major number (Windows: of the NT version, `6` for Windows 7).
    pub fn major(&self) -> u16 {
        self.major
    }

    /// The minor number, kept only where the major alone is ambiguous (Windows NT, OS X 10).
    pub fn minor(&self) -> Option<u16> {
        self.minor
    }
}

/// `10.9`, `6.1`, `17`.
impl fmt::Display for OsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            Some(minor) => write!(f, "{}.{minor}", self.major),
            None => write!(f, "{}", self.major),
        }
    }
}

/// Device class of a user agent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Device {
    /// A desktop or laptop computer.
    Desktop,
    /// A phone or other small handheld.
    Mobile,
    /// A tablet.
    Tablet,
    /// A crawler, monitor or other robot.
    Bot,
    /// A feed reader or aggregator.
    Feed,
    /// A command-line tool, HTTP library or configuration-management client.
    Tool,
    /// Not known.
    Unknown,
}

impl Device {
    /// `desktop`, `mobile`, `tablet`, `bot`, `feed`, `tool` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
            Self::Feed => "feed",
            Self::Tool => "tool",
            Self::Unknown => "unknown",
        }
    }
}

/// Who sent a request: a person's browser or one of three kinds of automated client.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum AgentKind {
    /// A browser (or an unidentified client).
    Browser,
    /// A crawler, monitor or other robot.
    Bot,
    /// A feed reader or aggregator.
    Feed,
    /// A command-line tool, HTTP library or configuration-management client.
    Tool,
}

impl AgentKind {
    /// `browser`, `bot`, `feed` or `tool`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Bot => "bot",
            Self::Feed => "feed",
            Self::Tool => "tool",
        }
    }
}

impl UserAgentClass {
    /// The OS version as people name it: Windows by its release (`XP`, `7`, `8.1`, `10`),
    /// other systems by their number (`10.9`, `17`, `14`).
    pub fn os_version_name(&self) -> Option<OsVersionName> {
        self.os_version.map(|version| OsVersionName {
            windows: self.os == "Windows",
            version,
        })
    }
}

/// An OS version as people name it; see [`UserAgentClass::os_version_name`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OsVersionName {
    windows: bool,
    version: OsVersion,
}

impl fmt::Display for OsVersionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let release = match (self.windows, self.version.major, self.version.minor) {
            (false, ..) => None,
            (true, 10, _) => Some("10"),
            (true, 6, Some(3)) => Some("8.1"),
            (true, 6, Some(2)) => Some("8"),
            (true, 6, Some(1)) => Some("7"),
            (true, 6, Some(0)) => Some("Vista"),
            (true, 5, Some(1 | 2)) => Some("XP"),
            (true, 5, Some(0)) => Some("2000"),
            (true, ..) => None,
        };
        match release {
            Some(name) => f.write_str(name),
            None if self.windows => write!(f, "NT {}", self.version),
            None => self.version.fmt(f),
        }
    }
}
