//! Statistics over anonymized records: exact from the daily pseudonyms, safe to publish
//! when asked.
//!
//! The pipeline is the same for the command line and for a live server:
//!
//! - [`Facts`]: what statistics read of one anonymized record (from a log line in
//!   [`read`], from an [`AnonRecord`] in [`live`]);
//! - [`aggregate`]: per day, every row of every [`Table`] with the visitors (pseudonyms)
//!   that reached it: exact, mergeable across inputs and servers ([`merge`]);
//! - [`release`]: the numbers that are published: exact for the owner, or with a minimum
//!   number of visitors per row, contribution bounds and differential-privacy noise
//!   ([`noise`]);
//! - [`render`]: the report as text, JSON, CSV or one self-contained HTML page.
//!
//! `docs/stats.md` defines each number and says what the release rules protect against.

pub mod aggregate;
#[cfg(feature = "layer")]
pub mod live;
pub mod merge;
pub mod noise;
#[cfg(feature = "cli")]
pub mod read;
pub mod release;
pub mod render;

use serde::{Deserialize, Serialize};

use crate::record::{AnonRecord, SafeText, UserAgentClass, VisitorId};

pub use aggregate::Aggregate;
pub use release::{Report, Rules};

/// A table of the report: one row per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// `people` or `bots`, over all requests.
    Clients,
    /// Templated paths of page views.
    Pages,
    /// Referrer origins of page views.
    Referrers,
    /// `utm_source / utm_medium / utm_campaign` of page views that carry one.
    Campaigns,
    /// Browser families of people's requests.
    Browsers,
    /// Operating systems of people's requests, with the version where the record has it.
    Os,
    /// Device classes of people's requests, where the records have them.
    Devices,
    /// `2xx`, `3xx`, … over all requests.
    StatusClasses,
    /// Status codes over all requests.
    StatusCodes,
    /// Request methods over all requests.
    Methods,
    /// Hour of day (UTC, `00`–`23`) of all requests.
    Hours,
    /// Paths answered with 404: for the site's owner only, never in a safe release.
    NotFound,
}

impl Table {
    /// Every table, in report order.
    pub const ALL: [Self; 12] = [
        Self::Clients,
        Self::Pages,
        Self::Referrers,
        Self::Campaigns,
        Self::Browsers,
        Self::Os,
        Self::Devices,
        Self::StatusClasses,
        Self::StatusCodes,
        Self::Methods,
        Self::Hours,
        Self::NotFound,
    ];

    /// The machine-readable name (JSON, CSV).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Clients => "clients",
            Self::Pages => "pages",
            Self::Referrers => "referrers",
            Self::Campaigns => "campaigns",
            Self::Browsers => "browsers",
            Self::Os => "os",
            Self::Devices => "devices",
            Self::StatusClasses => "status_classes",
            Self::StatusCodes => "status_codes",
            Self::Methods => "methods",
            Self::Hours => "hours",
            Self::NotFound => "not_found",
        }
    }

    /// The heading for people.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Clients => "People and bots",
            Self::Pages => "Pages",
            Self::Referrers => "Referrers",
            Self::Campaigns => "Campaigns",
            Self::Browsers => "Browsers",
            Self::Os => "Operating systems",
            Self::Devices => "Devices",
            Self::StatusClasses => "Status classes",
            Self::StatusCodes => "Status codes",
            Self::Methods => "Methods",
            Self::Hours => "Hours of day (UTC)",
            Self::NotFound => "Not found (owner only)",
        }
    }

    /// The keys every release shows, whatever the data: a fixed public domain. Tables
    /// without one take their keys from the data, so a safe release selects them privately.
    pub const fn fixed_keys(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Clients => Some(&["people", "bots"]),
            Self::StatusClasses => Some(&["1xx", "2xx", "3xx", "4xx", "5xx"]),
            Self::Methods => Some(&[
                "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
                "OTHER",
            ]),
            Self::Hours => Some(&HOURS),
            _ => None,
        }
    }

    /// Whether the table is for the site's owner only (never in a safe release).
    pub const fn owner_only(self) -> bool {
        matches!(self, Self::NotFound)
    }

    /// Whether its rows count page views rather than requests.
    pub const fn counts_page_views(self) -> bool {
        matches!(self, Self::Pages | Self::Referrers | Self::Campaigns)
    }
}

/// The hours of the day as keys.
const HOURS: [&str; 24] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
    "16", "17", "18", "19", "20", "21", "22", "23",
];

/// File extensions of assets: requests for them are never page views.
const ASSET_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "bmp",
    "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "ogg", "wav", "txt", "xml", "json",
    "wasm", "zip", "gz",
];

/// What statistics read of one anonymized record. Text is in anonlog's escaped form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    /// Hour of day, UTC.
    pub hour: u8,
    /// The daily visitor pseudonym.
    pub visitor: Option<u64>,
    /// The request method.
    pub method: Option<&'a str>,
    /// The templated path.
    pub path: &'a str,
    /// The allow-listed query, without `?`.
    pub query: Option<&'a str>,
    /// The response status.
    pub status: Option<u16>,
    /// Response body bytes.
    pub bytes: Option<u64>,
    /// The referrer origin.
    pub referrer: Option<&'a str>,
    /// Browser family.
    pub browser: Option<&'a str>,
    /// Operating system family.
    pub os: Option<&'a str>,
    /// Operating system version, where the record has one.
    pub os_version: Option<&'a str>,
    /// Device class, where the record has one.
    pub device: Option<&'a str>,
    /// Whether the client is a crawler, monitor or tool.
    pub bot: bool,
}

impl<'a> From<&'a AnonRecord> for Facts<'a> {
    fn from(r: &'a AnonRecord) -> Self {
        let time = r.time();
        let agent = r.user_agent();
        Self {
            day: time.utc_day(),
            hour: time.civil().hour,
            visitor: r.visitor().map(VisitorId::as_u64),
            method: r.method(),
            path: r.path().as_str(),
            query: r.query().map(SafeText::as_str),
            status: r.status(),
            bytes: r.bytes(),
            referrer: r.referrer().map(SafeText::as_str),
            browser: agent.map(UserAgentClass::browser),
            os: agent.map(UserAgentClass::os),
            os_version: None,
            device: None,
            bot: agent.is_some_and(UserAgentClass::is_bot),
        }
    }
}

impl Facts<'_> {
    /// A page view: a `GET` answered with 2xx or 304, for a path that is not an asset
    /// (by its extension), by a client that is not a bot.
    pub fn is_page_view(&self) -> bool {
        let ok = self
            .status
            .is_some_and(|s| (200..300).contains(&s) || s == 304);
        let last = self.path.rsplit('/').next().unwrap_or_default();
        let asset = last
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ASSET_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(ext)));
        ok && !self.bot && !asset && self.method == Some("GET")
    }

    /// The campaign (`source / medium / campaign`) of the `utm_*` query parameters, if any.
    pub fn campaign(&self) -> Option<String> {
        let query = self.query?;
        let value = |name: &str| {
            query.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.eq_ignore_ascii_case(name).then_some(v)
            })
        };
        let parts = [
            value("utm_source"),
            value("utm_medium"),
            value("utm_campaign"),
        ];
        parts.iter().any(Option::is_some).then(|| {
            parts
                .iter()
                .map(|p| p.unwrap_or("-"))
                .collect::<Vec<_>>()
                .join(" / ")
        })
    }

    /// The hour as a key.
    pub(crate) fn hour_key(&self) -> &'static str {
        HOURS[usize::from(self.hour % 24)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_views_follow_the_documented_rule() {
        let view = Facts {
            method: Some("GET"),
            path: "/blog/post",
            status: Some(200),
            ..Facts::default()
        };
        assert!(view.is_page_view());
        for not in [
            Facts {
                path: "/static/app.js",
                ..view.clone()
            },
            Facts {
                path: "/favicon.ICO",
                ..view.clone()
            },
            Facts {
                status: Some(404),
                ..view.clone()
            },
            Facts {
                method: Some("POST"),
                ..view.clone()
            },
            Facts {
                bot: true,
                ..view.clone()
            },
        ] {
            assert!(!not.is_page_view(), "{not:?}");
        }
        assert!(
            Facts {
                status: Some(304),
                path: "/v1.2/",
                ..view
            }
            .is_page_view()
        );
    }

    #[test]
    fn campaigns_from_utm_parameters() {
        let f = |query| Facts {
            query,
            ..Facts::default()
        };
        assert_eq!(
            f(Some("utm_source=news&page=2&utm_campaign=fall")).campaign(),
            Some("news / - / fall".to_owned())
        );
        assert_eq!(f(Some("page=2")).campaign(), None);
        assert_eq!(f(None).campaign(), None);
    }
}
