//! From exact aggregates to the numbers that are published, under the release rules.
//!
//! Without rules, the report is exact and for the site's owner. With `min_visitors` (K)
//! or `epsilon` (ε) it is a *safe release*:
//!
//! - only records with a pseudonym count (others cannot be bounded);
//! - a visitor-day counts once per row, and at most `max_per_visitor` of its requests
//!   (page views in page tables, and in the daily page views) count anywhere;
//! - with ε, a visitor-day counts in at most `max_rows` rows per table (its rows with the
//!   most requests), every published count gets discrete Laplace noise, the rows of
//!   tables without a fixed key set are selected by a noisy threshold, and bandwidth is
//!   not published (it has no bound);
//! - every row with fewer than K (noisy) visitors is left out and folded into an
//!   `(other)` row, which is published only if it reaches K itself;
//! - owner-only tables (not-found paths) are left out.
//!
//! The budget: ε is split evenly over the daily series and the published tables; within
//! each, evenly over its kinds of count. `docs/stats.md` has the derivation.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::Table;
use super::aggregate::{Aggregate, Day};
use super::noise::{Fraction, RandomBits, discrete_laplace};
use crate::time::Timestamp;

/// The key of the row that collects suppressed rows.
pub const OTHER: &str = "(other)";

/// The rules of a release.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rules {
    /// Fewest distinct visitors (visitor-days) a published row has.
    pub min_visitors: Option<u64>,
    /// The privacy budget ε for the whole report, as an exact fraction.
    pub epsilon: Option<Fraction>,
    /// δ for the private selection of rows (with ε).
    pub delta: f64,
    /// Most requests (page views) of one visitor-day counted in any row or day.
    pub max_per_visitor: u64,
    /// Most rows of one table a visitor-day counts in (with ε).
    pub max_rows: u64,
}

impl Default for Rules {
    /// Exact: no rule; the bounds take effect once K or ε is given.
    fn default() -> Self {
        Self {
            min_visitors: None,
            epsilon: None,
            delta: 1e-6,
            max_per_visitor: 20,
            max_rows: 5,
        }
    }
}

impl Rules {
    /// Whether the release is exact (no K, no ε): for the owner only.
    pub fn is_exact(&self) -> bool {
        self.min_visitors.is_none() && self.epsilon.is_none()
    }

    /// The tables a release under these rules publishes.
    pub fn tables(&self) -> impl Iterator<Item = Table> + '_ {
        Table::ALL
            .into_iter()
            .filter(|t| self.is_exact() || !t.owner_only())
    }

    /// The rules in a sentence, for reports and `anonlog explain`.
    pub fn describe(&self) -> String {
        if self.is_exact() {
            return "exact counts for the site's owner; not for publication".to_owned();
        }
        let mut parts = vec![
            "only records with a daily pseudonym count".to_owned(),
            format!(
                "at most {} requests of one visitor per day count in any row",
                self.max_per_visitor
            ),
        ];
        if let Some(k) = self.min_visitors {
            parts.push(format!(
                "rows with fewer than {k} distinct visitors are folded into {OTHER}"
            ));
        }
        if let Some(e) = self.epsilon {
            parts.push(format!(
                "discrete Laplace noise with a total budget of ε = {} per report \
                 (δ = {:e} for the selection of rows), at most {} rows per table per \
                 visitor and day",
                e.as_f64(),
                self.delta,
                self.max_rows
            ));
        }
        parts.join("; ")
    }
}

/// Counts of a day or of the whole period; `None` where suppressed or not published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requests.
    pub requests: Option<u64>,
    /// Distinct visitors: daily pseudonyms (for the period, the sum over its days).
    pub visitors: Option<u64>,
    /// Page views.
    pub page_views: Option<u64>,
    /// Response body bytes.
    pub bytes: Option<u64>,
}

/// The counts of one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayCounts {
    /// The UTC date, `YYYY-MM-DD`.
    pub date: String,
    /// Its counts.
    #[serde(flatten)]
    pub counts: Counts,
}

/// One published row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    /// The key (a path, an origin, a browser, …) in anonlog's escaped form.
    pub key: String,
    /// Distinct visitors: visitor-days that reached the row.
    pub visitors: u64,
    /// Requests (page views in page tables).
    pub requests: u64,
}

/// How the report was made, as published with it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Release {
    /// No rule: exact counts for the owner.
    pub exact: bool,
    /// The rules in words.
    pub description: String,
    /// K.
    pub min_visitors: Option<u64>,
    /// ε.
    pub epsilon: Option<f64>,
    /// δ (with ε).
    pub delta: Option<f64>,
    /// The contribution cap per visitor-day (safe releases).
    pub max_per_visitor: Option<u64>,
    /// Rows per table per visitor-day (with ε).
    pub max_rows: Option<u64>,
    /// The first day of the period.
    pub first_day: Option<String>,
    /// The last day of the period.
    pub last_day: Option<String>,
    /// Tables for the owner only, present in exact reports.
    pub owner_only: Vec<Table>,
}

/// A report: what renderers show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The schema's name and version.
    pub schema: &'static str,
    /// How it was made.
    pub release: Release,
    /// The whole period: the sums of the published days.
    pub totals: Counts,
    /// Per day, in order.
    pub days: Vec<DayCounts>,
    /// Per table, rows by visitors, then requests, descending.
    pub tables: BTreeMap<Table, Vec<RowCounts>>,
}

/// The name and version of the JSON schema (`docs/stats.md`).
pub const SCHEMA: &str = "anonlog-stats/1";

/// The date of a day number.
pub(crate) fn date(day: i64) -> String {
    Timestamp::from_unix_millis(day * 86_400_000).utc_date_label()
}

/// Noise scales and thresholds of an ε release.
struct Budget {
    /// ε as a fraction.
    epsilon: Fraction,
    /// Parts ε is split into (daily series plus tables).
    parts: u64,
}

impl Budget {
    /// The scale for a count with sensitivity `sensitivity` getting `1 / (parts · kinds)`
    /// of ε: sensitivity · parts · kinds / ε.
    fn scale(&self, sensitivity: u64, kinds: u64) -> Fraction {
        Fraction {
            num: sensitivity
                .saturating_mul(self.parts)
                .saturating_mul(kinds)
                .saturating_mul(self.epsilon.den),
            den: self.epsilon.num,
        }
    }
}

/// Makes the report of `agg` under `rules`, drawing noise from `rng`.
pub fn release(agg: &Aggregate, rules: &Rules, rng: &mut impl RandomBits) -> Report {
    let tables: Vec<Table> = rules.tables().collect();
    let budget = rules.epsilon.map(|epsilon| Budget {
        epsilon,
        parts: tables.len() as u64 + 1,
    });
    let mut noisy = |value: u64, scale: Option<Fraction>| match scale {
        Some(s) => {
            u64::try_from(i64::try_from(value).unwrap_or(i64::MAX) + discrete_laplace(rng, s))
                .unwrap_or(0)
        }
        None => value,
    };
    let days = release_days(agg, rules, budget.as_ref(), &mut noisy);
    let mut totals = Counts::default();
    for d in &days {
        let add = |sum: &mut Option<u64>, v: Option<u64>| {
            if let Some(v) = v {
                *sum = Some(sum.unwrap_or(0) + v);
            }
        };
        add(&mut totals.requests, d.counts.requests);
        add(&mut totals.visitors, d.counts.visitors);
        add(&mut totals.page_views, d.counts.page_views);
        add(&mut totals.bytes, d.counts.bytes);
    }
    let open_tables = tables.iter().filter(|t| t.fixed_keys().is_none()).count();
    let mut exact_rows = if rules.is_exact() {
        exact_sums(agg)
    } else {
        BTreeMap::new()
    };
    let tables = tables
        .into_iter()
        .map(|t| {
            let rows = match exact_rows.remove(&t) {
                Some(sums) => sort_rows(
                    sums.into_iter()
                        .map(|(key, (visitors, requests))| RowCounts {
                            key: key.to_owned(),
                            visitors,
                            requests,
                        })
                        .collect(),
                ),
                None if rules.is_exact() => Vec::new(),
                None => sort_rows(release_bounded(
                    agg,
                    t,
                    rules,
                    budget.as_ref(),
                    open_tables,
                    &mut noisy,
                )),
            };
            (t, rows)
        })
        .collect();
    let exact = rules.is_exact();
    Report {
        schema: SCHEMA,
        release: Release {
            exact,
            description: rules.describe(),
            min_visitors: rules.min_visitors,
            epsilon: rules.epsilon.map(Fraction::as_f64),
            delta: rules.epsilon.map(|_| rules.delta),
            max_per_visitor: (!exact).then_some(rules.max_per_visitor),
            max_rows: rules.epsilon.map(|_| rules.max_rows),
            first_day: days.first().map(|d| d.date.clone()),
            last_day: days.last().map(|d| d.date.clone()),
            owner_only: Table::ALL
                .into_iter()
                .filter(|t| exact && t.owner_only())
                .collect(),
        },
        totals,
        days,
        tables,
    }
}

/// The daily series. With ε, every day of the period is published, also days without
/// records, so that the set of days says nothing.
fn release_days(
    agg: &Aggregate,
    rules: &Rules,
    budget: Option<&Budget>,
    noisy: &mut impl FnMut(u64, Option<Fraction>) -> u64,
) -> Vec<DayCounts> {
    let (Some(&first), Some(&last)) = (agg.days.keys().next(), agg.days.keys().next_back()) else {
        return Vec::new();
    };
    let empty = Day::default();
    let numbers: Vec<i64> = match budget {
        Some(_) => (first..=last).collect(),
        None => agg.days.keys().copied().collect(),
    };
    let cap = rules.max_per_visitor;
    numbers
        .into_iter()
        .map(|n| {
            let day = agg.days.get(&n).unwrap_or(&empty);
            let counts = if rules.is_exact() {
                let tallies = day.visitors.values().map(|v| &v.tally);
                let all = tallies.chain([&day.anonymous]);
                let (mut requests, mut views, mut bytes) = (0, 0, 0);
                for t in all {
                    requests += t.requests;
                    views += t.views;
                    bytes += t.bytes;
                }
                Counts {
                    requests: Some(requests),
                    visitors: Some(day.visitors.len() as u64),
                    page_views: Some(views),
                    bytes: Some(bytes),
                }
            } else {
                let visitors = day.visitors.values().map(|v| &v.tally);
                let requests = visitors.clone().map(|t| t.requests.min(cap)).sum();
                let views = visitors.clone().map(|t| t.views.min(cap)).sum();
                let bytes = visitors.map(|t| t.bytes).sum();
                let scale = |sensitivity| budget.map(|b| b.scale(sensitivity, 3));
                let visitors = noisy(day.visitors.len() as u64, scale(1));
                let published = rules.min_visitors.is_none_or(|k| visitors >= k);
                Counts {
                    requests: published.then(|| noisy(requests, scale(cap))),
                    visitors: published.then_some(visitors),
                    page_views: published.then(|| noisy(views, scale(cap))),
                    bytes: (published && budget.is_none()).then_some(bytes),
                }
            };
            DayCounts {
                date: date(n),
                counts,
            }
        })
        .collect()
}

/// Exact (visitors, requests) of every row of every table, summed over the days.
fn exact_sums(agg: &Aggregate) -> BTreeMap<Table, HashMap<&str, (u64, u64)>> {
    let mut tables: BTreeMap<Table, HashMap<&str, (u64, u64)>> = BTreeMap::new();
    for day in agg.days.values() {
        for ((table, key), (visitors, requests)) in day.keys.iter().zip(day.row_sums()) {
            let sum = tables.entry(*table).or_default().entry(key).or_default();
            sum.0 += visitors;
            sum.1 += requests;
        }
    }
    tables
}

/// Rows by visitors, then requests, descending, then key; `(other)` last.
fn sort_rows(mut rows: Vec<RowCounts>) -> Vec<RowCounts> {
    rows.sort_by(|a, b| (b.visitors, b.requests, &a.key).cmp(&(a.visitors, a.requests, &b.key)));
    if let Some(i) = rows.iter().position(|r| r.key == OTHER) {
        let other = rows.remove(i);
        rows.push(other);
    }
    rows
}

/// The rows of a safe release: bounded contributions, noise, thresholds, `(other)`.
fn release_bounded(
    agg: &Aggregate,
    table: Table,
    rules: &Rules,
    budget: Option<&Budget>,
    open_tables: usize,
    noisy: &mut impl FnMut(u64, Option<Fraction>) -> u64,
) -> Vec<RowCounts> {
    let cap = rules.max_per_visitor;
    let max_rows = match budget {
        Some(_) => usize::try_from(rules.max_rows).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    // Each visitor-day's rows (with ε: its `max_rows` rows with the most requests), as
    // (visitor-day number, key, capped requests), grouped by visitor-day.
    let mut contributions: Vec<(usize, &str, u64)> = Vec::new();
    let mut visitor_days = 0;
    let mut mine: Vec<(&str, u64)> = Vec::new();
    for day in agg.days.values() {
        let in_table: Vec<bool> = day.keys.iter().map(|(t, _)| *t == table).collect();
        for visitor in day.visitors.values() {
            mine.clear();
            mine.extend(
                visitor
                    .rows
                    .iter()
                    .filter(|(id, _)| in_table[*id as usize])
                    .map(|&(id, n)| (&*day.keys[id as usize].1, n.min(cap))),
            );
            if mine.is_empty() {
                continue;
            }
            mine.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let rows = mine.iter().take(max_rows);
            contributions.extend(rows.map(|&(key, n)| (visitor_days, key, n)));
            visitor_days += 1;
        }
    }
    let mut sums: HashMap<&str, (u64, u64)> = HashMap::new();
    for &(_, key, n) in &contributions {
        let sum = sums.entry(key).or_default();
        sum.0 += 1;
        sum.1 += n;
    }
    // A visitor-day is in at most max_rows rows plus (other).
    let rows_per_visitor = rules.max_rows.saturating_add(1);
    let scale_visitors = budget.map(|b| b.scale(rows_per_visitor, 2));
    let scale_requests = budget.map(|b| b.scale(rows_per_visitor.saturating_mul(cap), 2));
    let threshold = match (budget, table.fixed_keys()) {
        (Some(_), None) => {
            let b = scale_visitors.map_or(0.0, Fraction::as_f64);
            let delta = rules.delta / open_tables.max(1) as f64;
            let tail = (b * (rules.max_rows as f64 / delta).ln()).ceil();
            // Finite and non-negative for any valid rules.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let tail = tail.max(0.0) as u64;
            1 + tail
        }
        _ => 0,
    };
    let min = threshold.max(rules.min_visitors.unwrap_or(0));
    let keys: Vec<&str> = match (budget, table.fixed_keys()) {
        (Some(_), Some(fixed)) => fixed.to_vec(),
        _ => sums.keys().copied().collect(),
    };
    let mut published = Vec::new();
    let mut shown: HashSet<&str> = HashSet::new();
    for key in keys {
        let (visitors, requests) = sums.get(key).copied().unwrap_or_default();
        let visitors = noisy(visitors, scale_visitors);
        if visitors >= min {
            shown.insert(key);
            published.push(RowCounts {
                key: key.to_owned(),
                visitors,
                requests: noisy(requests, scale_requests),
            });
        }
    }
    // (other): the visitor-days and requests of every row not shown.
    let (mut visitors, mut requests) = (0, 0);
    for group in contributions.chunk_by(|a, b| a.0 == b.0) {
        let mut hidden = group
            .iter()
            .filter(|(_, key, _)| !shown.contains(key))
            .peekable();
        if hidden.peek().is_some() {
            visitors += 1;
            // (other) is a row too: at most `cap` requests of the visitor-day count in it.
            requests += hidden.map(|(.., n)| n).sum::<u64>().min(cap);
        }
    }
    if budget.is_some() || visitors > 0 {
        let visitors = noisy(visitors, scale_visitors);
        if rules.min_visitors.is_none_or(|k| visitors >= k) && (budget.is_some() || visitors > 0) {
            published.push(RowCounts {
                key: OTHER.to_owned(),
                visitors,
                requests: noisy(requests, scale_requests),
            });
        }
    }
    published
}

#[cfg(test)]
mod tests;
