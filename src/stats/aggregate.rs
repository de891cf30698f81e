//! Exact aggregates: per UTC day, each visitor's totals and the rows of every table it
//! reached, with its counts in each.
//!
//! Keeping the visitors of each row (not just a count) is what makes the numbers exact and
//! mergeable: two aggregates of the same day, from two inputs or two servers, combine by
//! set union ([`Aggregate::merge`]), so a visitor seen by both counts once.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::release::OTHER;
use super::{Facts, Table};

/// Hashes visitor ids, which are uniformly random already (HMAC or SHA-256 output): one
/// multiplication spreads them over a table's buckets, no keyed hash is needed.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// A map keyed by visitor id.
pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

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

/// A visitor-day: its totals and the rows it reached, by row number, with its requests
/// (page views for page tables) in each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    /// Totals.
    pub tally: Tally,
    /// (row number, requests); a visitor-day reaches a few rows, so a list is fastest.
    pub rows: Vec<(u32, u64)>,
}

impl Visitor {
    fn bump(&mut self, row: u32, n: u64) {
        match self.rows.iter_mut().find(|(r, _)| *r == row) {
            Some((_, count)) => *count += n,
            None => self.rows.push((row, n)),
        }
    }
}

/// One UTC day.
///
/// Rows are numbered as they first appear ([`Day::keys`]); each visitor-day keeps the rows
/// it reached. Counting a record touches one visitor entry, not one set per row, which keeps
/// the aggregation fast when most visitors are new.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Day {
    /// The rows' (table, key), by row number.
    pub keys: Vec<(Table, Box<str>)>,
    /// Row numbers by table and key; rebuilt from `keys` when read.
    #[serde(skip)]
    index: BTreeMap<Table, HashMap<Box<str>, u32>>,
    /// Visitor-days by pseudonym.
    pub visitors: IdMap<Visitor>,
    /// Totals of records without a pseudonym (unknown address, or pseudonyms off).
    pub anonymous: Tally,
    /// Requests of records without a pseudonym, by row number.
    pub anonymous_rows: Vec<u64>,
}

/// Exact rows, for comparisons: (table, key) to (requests per visitor, anonymous requests).
type Canonical<'a> = BTreeMap<(Table, &'a str), (BTreeMap<u64, u64>, u64)>;

impl PartialEq for Day {
    /// Days are equal when they hold the same counts, whatever the order rows appeared in.
    fn eq(&self, other: &Self) -> bool {
        let tallies = |d: &Self| -> BTreeMap<u64, Tally> {
            d.visitors.iter().map(|(&v, x)| (v, x.tally)).collect()
        };
        self.anonymous == other.anonymous
            && tallies(self) == tallies(other)
            && self.canonical() == other.canonical()
    }
}

impl Eq for Day {}

impl Day {
    fn canonical(&self) -> Canonical<'_> {
        let mut rows: Canonical<'_> = BTreeMap::new();
        let key = |id: u32| {
            let (table, key) = &self.keys[id as usize];
            (*table, &**key)
        };
        for (&v, visitor) in &self.visitors {
            for &(id, n) in &visitor.rows {
                rows.entry(key(id)).or_default().0.insert(v, n);
            }
        }
        for (id, &n) in self.anonymous_rows.iter().enumerate() {
            if n > 0 {
                rows.entry(key(u32::try_from(id).unwrap_or(u32::MAX)))
                    .or_default()
                    .1 = n;
            }
        }
        rows
    }

    /// Rebuilds the row index from `keys` (after reading a partial aggregate).
    fn reindex(&mut self) {
        self.index.clear();
        for (id, (table, key)) in self.keys.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            self.index
                .entry(*table)
                .or_default()
                .insert(key.clone(), id);
        }
    }

    /// The number of the row (table, key); a table that has `max_keys` rows already counts
    /// a new key in [`OTHER`] instead.
    fn row(&mut self, table: Table, key: &str, max_keys: usize) -> u32 {
        let index = self.index.entry(table).or_default();
        if let Some(&id) = index.get(key) {
            return id;
        }
        let key = if index.len() < max_keys { key } else { OTHER };
        if let Some(&id) = index.get(key) {
            return id;
        }
        let id = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
        index.insert(key.into(), id);
        self.keys.push((table, key.into()));
        id
    }

    /// The rows of `table` with their number.
    pub fn rows_of(&self, table: Table) -> impl Iterator<Item = (u32, &str)> {
        self.index
            .get(&table)
            .into_iter()
            .flatten()
            .map(|(key, &id)| (id, &**key))
    }

    /// Per row number: (visitors, requests), anonymous records included.
    pub fn row_sums(&self) -> Vec<(u64, u64)> {
        let mut sums = vec![(0, 0); self.keys.len()];
        for visitor in self.visitors.values() {
            for &(id, n) in &visitor.rows {
                let sum = &mut sums[id as usize];
                sum.0 += 1;
                sum.1 += n;
            }
        }
        for (sum, &n) in sums.iter_mut().zip(&self.anonymous_rows) {
            sum.1 += n;
        }
        sums
    }

    fn merge(&mut self, other: Self) {
        let ids: Vec<u32> = other
            .keys
            .iter()
            .map(|(table, key)| self.row(*table, key, usize::MAX))
            .collect();
        for (v, visitor) in other.visitors {
            let mine = self.visitors.entry(v).or_default();
            mine.tally.add(&visitor.tally);
            for (id, n) in visitor.rows {
                mine.bump(ids[id as usize], n);
            }
        }
        self.anonymous.add(&other.anonymous);
        for (id, n) in other.anonymous_rows.into_iter().enumerate() {
            let id = ids[id] as usize;
            if self.anonymous_rows.len() <= id {
                self.anonymous_rows.resize(id + 1, 0);
            }
            self.anonymous_rows[id] += n;
        }
    }

    /// The same day with every pseudonym replaced by `hash(day, pseudonym)`.
    fn rekey(mut self, day: i64) -> Self {
        self.visitors = self
            .visitors
            .into_iter()
            .map(|(v, visitor)| (hash_id(day, v), visitor))
            .collect();
        self
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
        let mut rows = [0u32; Table::ALL.len()];
        let mut n = 0;
        let mut count = |table, key: &str| {
            rows[n] = day.row(table, key, limits.keys);
            n += 1;
        };
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
            let classes = [
                "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "7xx", "8xx", "9xx",
            ];
            let class = classes.get(usize::from(status / 100).wrapping_sub(1));
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
        let rows = &rows[..n];
        let known = |v: &u64| day.visitors.len() < limits.visitors || day.visitors.contains_key(v);
        let tally = match f.visitor.filter(known) {
            Some(v) => {
                let visitor = day.visitors.entry(v).or_default();
                for &row in rows {
                    visitor.bump(row, 1);
                }
                &mut visitor.tally
            }
            None => {
                let len = day.keys.len();
                day.anonymous_rows.resize(len, 0);
                for &row in rows {
                    day.anonymous_rows[row as usize] += 1;
                }
                &mut day.anonymous
            }
        };
        tally.requests += 1;
        tally.bytes += f.bytes.unwrap_or(0);
        tally.views += u64::from(view);
    }

    /// Adds `other` (of other records: another input, another server) to `self`. Visitors
    /// of the same day count once: the result equals the aggregate of all the records.
    pub fn merge(&mut self, other: Self) {
        self.hashed_ids |= other.hashed_ids;
        for (day, d) in other.days {
            match self.days.entry(day) {
                std::collections::btree_map::Entry::Occupied(mut mine) => mine.get_mut().merge(d),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(d);
                }
            }
        }
    }

    /// Rebuilds the row indexes after the aggregate was read from a partial.
    pub(crate) fn reindex(&mut self) {
        for day in self.days.values_mut() {
            day.reindex();
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
        let day = &agg.days[&1];
        let (id, _) = day
            .rows_of(Table::Pages)
            .find(|(_, k)| *k == "/")
            .expect("row");
        assert_eq!(day.row_sums()[id as usize], (1, 2));
        assert_eq!(day.visitors[&7].tally.views, 2);
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
