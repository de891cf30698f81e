//! [`UserAgentClass`]: the reduced user agent as a value.

/// What is kept of a user agent.
///
/// Made by the user-agent rule (`anonymize/user_agent.rs`); JSON writes its fields, CLF a
/// synthetic user agent built from them (`format/synthetic_agent.rs`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct UserAgentClass {
    pub(crate) browser: &'static str,
    pub(crate) major: Option<u16>,
    pub(crate) os: &'static str,
    pub(crate) bot: bool,
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
}
