//! Re-identification risk: how many records share their quasi-identifiers (day, network,
//! and everything a reduced user agent keeps: browser family and major, OS family and
//! version, device class) with fewer than `k` others, and how many visitor pseudonyms are
//! alone in their network on their day.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::anonymize::parse_client_ip;
use crate::anonymize::user_agent::classify_cached;
use crate::format::read_visitor;
use crate::parse::AuditLine;
use crate::record::ClientAddr;

/// Re-identification risk from the quasi-identifiers left in the records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Risk {
    /// The group size below which a record counts as at risk.
    pub k: u64,
    /// Records with a day and a known network.
    pub records: u64,
    /// Records in a (day, network, browser, OS) group smaller than `k`.
    pub records_in_small_groups: u64,
    /// Distinct (day, network, visitor pseudonym) triples.
    pub visitors: u64,
    /// Visitor pseudonyms that are the only one in their network on their day.
    pub visitors_unique_in_network: u64,
}

impl Risk {
    /// Share of records in small groups, in percent.
    pub fn percent(&self) -> f64 {
        if self.records == 0 {
            0.0
        } else {
            self.records_in_small_groups as f64 * 100.0 / self.records as f64
        }
    }
}

/// UTC day (days since the epoch) and network of a record.
type Place = (i64, String);

/// Group sizes of some records; merges exactly, in any order. Its `Debug` shows sizes
/// only: the keys hold networks as the log wrote them.
#[derive(Default)]
pub(crate) struct Groups {
    /// Records per (day, network, browser/OS).
    records: HashMap<(Place, String), u64>,
    /// Visitor pseudonyms per (day, network).
    visitors: HashMap<Place, HashSet<u64>>,
}

impl fmt::Debug for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Groups")
            .field("records", &self.records.len())
            .field("visitor_places", &self.visitors.len())
            .finish()
    }
}

impl Groups {
    /// Counts the record of a line, if it has one with a known network.
    pub(crate) fn add(&mut self, line: &AuditLine<'_>) {
        let Some(record) = &line.record else {
            return;
        };
        let network = match &record.client {
            ClientAddr::Unknown => return,
            ClientAddr::Ip(ip) => ip.to_canonical().to_string(),
            ClientAddr::Text(text) => match parse_client_ip(text) {
                Some(ip) => ip.to_string(),
                None if text.is_empty() || **text == *b"-" => return,
                None => String::from_utf8_lossy(text).into_owned(),
            },
        };
        let agent = &record.user_agent;
        let agent = if !agent.is_empty() && **agent != *b"-" {
            let class = classify_cached(agent);
            format!("{}/{}", class.browser(), class.os())
        } else {
            // anonlog's JSON output: the reduced user agent's own fields.
            let field = |key: &str| {
                line.unread
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| String::from_utf8_lossy(v))
            };
            match (field("browser"), field("os")) {
                (Some(browser), Some(os)) => format!("{browser}/{os}"),
                _ => String::new(),
            }
        };
        let place = (record.time.utc_day(), network);
        if let Some(visitor) = line.ident.as_deref().and_then(read_visitor) {
            self.visitors
                .entry(place.clone())
                .or_default()
                .insert(visitor);
        }
        *self.records.entry((place, agent)).or_default() += 1;
    }

    /// Adds the groups of other records.
    pub(crate) fn merge(&mut self, other: Self) {
        for (key, n) in other.records {
            *self.records.entry(key).or_default() += n;
        }
        for (key, set) in other.visitors {
            self.visitors.entry(key).or_default().extend(set);
        }
    }

    /// The risk figures for group size `k`.
    pub(crate) fn risk(&self, k: u64) -> Risk {
        Risk {
            k,
            records: self.records.values().sum(),
            records_in_small_groups: self.records.values().filter(|&&n| n < k).sum(),
            visitors: self.visitors.values().map(|s| s.len() as u64).sum(),
            visitors_unique_in_network: self.visitors.values().filter(|s| s.len() == 1).count()
                as u64,
        }
    }
}
