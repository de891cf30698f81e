//! Exact aggregates: per UTC day, each visitor's totals and, for every row of every table,
//! the visitors that reached it with their counts.
//!
//! Keeping the visitors per row (not just a count) is what makes the numbers exact and
//! mergeable: two aggregates of the same day, from two inputs or two servers, combine by
//! set union ([`Aggregate::merge`]), so a visitor seen by both counts once.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::release::OTHER;
use super::{Facts, Table};

/// Bounds on an aggregate's memory, per day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most distinct pseudonyms kept.
    pub visitors: usize,
    /// Most rows per table.
    pub keys: usize,
}

impl Limits {
    /// No bound: the command line's exact aggregates.
    pub const NONE: Self = Self {
        visitors: usize::MAX,
        keys: usize::MAX,
    };
}

/// A visitor-day's (or the anonymous records') totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Requests.
    pub requests: u64,
    /// Page views ([`Facts::is_page_view`]).
    pub views: u64,
    /// Response body bytes.
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, other: &Self) {
        self.requests += other.requests;
        self.views += other.views;
        self.bytes += other.bytes;
    }
}

/// One row of a table on one day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Requests (page views for page tables) per visitor pseudonym.
    pub visitors: HashMap<u64, u64>,
    /// Requests of records without a pseudonym.
    pub anonymous: u64,
}

/// One UTC day.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    /// Totals per visitor pseudonym.
    pub visitors: HashMap<u64, Tally>,
    /// Totals of records without a pseudonym (unknown address, or pseudonyms off).
    pub anonymous: Tally,
    /// The rows of each table.
    pub tables: BTreeMap<Table, HashMap<Box<str>, Row>>,
}

impl Day {
    /// Counts a request in a row; a table that has `max_keys` rows already counts a new
    /// key in [`OTHER`] instead.
    fn count(&mut self, table: Table, key: &str, visitor: Option<u64>, max_keys: usize) {
        let rows = self.tables.entry(table).or_default();
        let key = if rows.len() < max_keys || rows.contains_key(key) {
            key
        } else {
            OTHER
        };
        let row = match rows.get_mut(key) {
            Some(row) => row,
            None => rows.entry(key.into()).or_default(),
        };
        match visitor {
            Some(v) => *row.visitors.entry(v).or_default() += 1,
            None => row.anonymous += 1,
        }
    }

    fn merge(&mut self, other: Self) {
        for (v, tally) in other.visitors {
            self.visitors.entry(v).or_default().add(&tally);
        }
        self.anonymous.add(&other.anonymous);
        for (table, rows) in other.tables {
            let mine = self.tables.entry(table).or_default();
            for (key, row) in rows {
                let into = mine.entry(key).or_default();
                into.anonymous += row.anonymous;
                for (v, n) in row.visitors {
                    *into.visitors.entry(v).or_default() += n;
                }
            }
        }
    }

    /// The same day with every pseudonym replaced by `hash(day, pseudonym)`.
    fn rekey(self, day: i64) -> Self {
        let id = |v: u64| hash_id(day, v);
        Self {
            visitors: self.visitors.into_iter().map(|(v, t)| (id(v), t)).collect(),
            anonymous: self.anonymous,
            tables: self
                .tables
                .into_iter()
                .map(|(table, rows)| {
                    let rows = rows
                        .into_iter()
                        .map(|(key, row)| {
                            let visitors = row.visitors.into_iter().map(|(v, n)| (id(v), n));
                            let row = Row {
                                visitors: visitors.collect(),
                                anonymous: row.anonymous,
                            };
                            (key, row)
                        })
                        .collect();
                    (table, rows)
                })
                .collect(),
        }
    }
}

/// Exact statistics of any number of records, by UTC day (days since the Unix epoch).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The days with records.
    pub days: BTreeMap<i64, Day>,
    /// Whether pseudonyms were replaced by hashed ids ([`Aggregate::hash_ids`]).
    pub hashed_ids: bool,
}

impl Aggregate {
    /// Counts one record.
    pub fn add(&mut self, f: &Facts<'_>) {
        self.add_bounded(f, &Limits::NONE);
    }

    /// Counts one record within `limits`: a visitor beyond the day's limit counts as a
    /// record without pseudonym, a key beyond a table's limit in its [`OTHER`] row.
    pub fn add_bounded(&mut self, f: &Facts<'_>, limits: &Limits) {
        let day = self.days.entry(f.day).or_default();
        let view = f.is_page_view();
        let known = |v: &u64| day.visitors.len() < limits.visitors || day.visitors.contains_key(v);
        let v = f.visitor.filter(known);
        let tally = match v {
            Some(v) => day.visitors.entry(v).or_default(),
            None => &mut day.anonymous,
        };
        tally.requests += 1;
        tally.bytes += f.bytes.unwrap_or(0);
        tally.views += u64::from(view);
        let mut count = |table, key: &str| day.count(table, key, v, limits.keys);
        count(Table::Clients, if f.bot { "bots" } else { "people" });
        count(Table::Hours, f.hour_key());
        count(Table::Methods, f.method.unwrap_or("OTHER"));
        if let Some(status) = f.status {
            // Status codes are three digits (the readers accept nothing else).
            let digits =
                [status / 100, status / 10, status].map(|d| b"0123456789"[usize::from(d % 10)]);
            count(
                Table::StatusCodes,
                std::str::from_utf8(&digits).unwrap_or("-"),
            );
            let class =
                ["1xx", "2xx", "3xx", "4xx", "5xx"].get(usize::from(status / 100).wrapping_sub(1));
            count(Table::StatusClasses, class.copied().unwrap_or("-"));
            if status == 404 {
                count(Table::NotFound, f.path);
            }
        }
        if !f.bot {
            if let Some(browser) = f.browser {
                count(Table::Browsers, browser);
            }
            if let Some(os) = f.os {
                match f.os_version {
                    Some(version) => count(Table::Os, &format!("{os} {version}")),
                    None => count(Table::Os, os),
                }
            }
            if let Some(device) = f.device {
                count(Table::Devices, device);
            }
        }
        if view {
            count(Table::Pages, f.path);
            if let Some(referrer) = f.referrer {
                count(Table::Referrers, referrer);
            }
            if let Some(campaign) = f.campaign() {
                count(Table::Campaigns, &campaign);
            }
        }
    }

    /// Adds `other` (of other records: another input, another server) to `self`. Visitors
    /// of the same day count once: the result equals the aggregate of all the records.
    pub fn merge(&mut self, other: Self) {
        self.hashed_ids |= other.hashed_ids;
        for (day, d) in other.days {
            self.days.entry(day).or_default().merge(d);
        }
    }

    /// Replaces every pseudonym by a hash of the day and the pseudonym, as partial
    /// aggregates are written: the same pseudonym on the same day gets the same id on every
    /// server, so merging stays exact, but the ids are not the pseudonyms of the log.
    pub fn hash_ids(self) -> Self {
        if self.hashed_ids {
            return self;
        }
        Self {
            days: self
                .days
                .into_iter()
                .map(|(day, d)| (day, d.rekey(day)))
                .collect(),
            hashed_ids: true,
        }
    }
}

/// The id of a pseudonym in a partial aggregate: SHA-256 of a label, the day and the
/// pseudonym, first 64 bits.
fn hash_id(day: i64, visitor: u64) -> u64 {
    let digest = Sha256::new()
        .chain_update(b"anonlog stats partial id\0")
        .chain_update(day.to_be_bytes())
        .chain_update(visitor.to_be_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A page view on `day` by `visitor` of `path`.
    pub(crate) fn view(day: i64, visitor: Option<u64>, path: &str) -> Facts<'_> {
        Facts {
            day,
            hour: 9,
            visitor,
            method: Some("GET"),
            path,
            status: Some(200),
            bytes: Some(100),
            browser: Some("Firefox"),
            os: Some("Linux"),
            ..Facts::default()
        }
    }

    #[test]
    fn a_visitor_counts_once_per_row_and_day() {
        let mut agg = Aggregate::default();
        for f in [
            view(1, Some(7), "/"),
            view(1, Some(7), "/"),
            view(2, Some(7), "/"),
        ] {
            agg.add(&f);
        }
        let row = &agg.days[&1].tables[&Table::Pages]["/"];
        assert_eq!((row.visitors.len(), row.visitors[&7]), (1, 2));
        assert_eq!(agg.days[&1].visitors[&7].views, 2);
        assert_eq!(agg.days.len(), 2);
    }

    #[test]
    fn merge_is_union_and_hashing_keeps_it_exact() {
        let (mut a, mut b, mut all) = (
            Aggregate::default(),
            Aggregate::default(),
            Aggregate::default(),
        );
        let records = [
            view(1, Some(1), "/a"),
            view(1, Some(2), "/a"),
            view(1, Some(1), "/b"),
            view(1, None, "/b"),
        ];
        for (i, f) in records.iter().enumerate() {
            if i % 2 == 0 { &mut a } else { &mut b }.add(f);
            all.add(f);
        }
        let mut hashed = a.clone().hash_ids();
        hashed.merge(b.clone().hash_ids());
        a.merge(b);
        assert_eq!(a, all);
        assert_eq!(hashed, all.clone().hash_ids());
        assert_ne!(hashed, all);
    }
}
