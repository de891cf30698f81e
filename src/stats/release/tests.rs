//! Tests of the release rules: property tests over random aggregates, and the noise scale.

use super::*;
use crate::stats::Facts;
use crate::stats::noise::tests::Seeded;
use proptest::prelude::*;

const PATHS: [&str; 6] = ["/", "/a", "/b", "/c", "/d", "/e"];

/// An aggregate of records: (day, visitor, path index, repeats).
fn aggregate(records: &[(i64, u64, usize, u8)]) -> Aggregate {
    let mut agg = Aggregate::default();
    for &(day, visitor, path, repeats) in records {
        let f = Facts {
            day,
            hour: u8::try_from(visitor % 24).expect("hour"),
            visitor: Some(visitor),
            method: Some("GET"),
            path: PATHS[path % PATHS.len()],
            status: Some(200),
            bytes: Some(10),
            browser: Some(["Firefox", "Chrome", "Lynx"][path % 3]),
            ..Facts::default()
        };
        for _ in 0..=repeats {
            agg.add(&f);
        }
    }
    agg
}

fn records() -> impl Strategy<Value = Vec<(i64, u64, usize, u8)>> {
    prop::collection::vec((0i64..3, 0u64..40, 0usize..6, 0u8..30), 0..120)
}

proptest! {
    /// No published row, and no published day, has fewer than K visitors; every
    /// visitor-day's requests count at most `max_per_visitor` times per row.
    #[test]
    fn no_row_under_k_and_caps_hold(records in records(), k in 1u64..8, cap in 1u64..5, noise in any::<bool>()) {
        let rules = Rules {
            min_visitors: Some(k),
            epsilon: noise.then_some(Fraction { num: 1, den: 1 }),
            max_per_visitor: cap,
            ..Rules::default()
        };
        let report = release(&aggregate(&records), &rules, &mut Seeded(k));
        for (table, rows) in &report.tables {
            prop_assert!(!table.owner_only());
            for row in rows {
                prop_assert!(row.visitors >= k, "{table:?} {row:?}");
                if !noise {
                    prop_assert!(row.requests <= row.visitors * cap, "{table:?} {row:?}");
                }
            }
        }
        for day in &report.days {
            if let Some(v) = day.counts.visitors {
                prop_assert!(v >= k);
                if !noise {
                    prop_assert!(day.counts.requests.unwrap_or(0) <= v * cap);
                }
            }
        }
    }

    /// Merged aggregates of any split of the records give the report of all of them.
    #[test]
    fn merge_equals_the_whole(records in records(), split in prop::collection::vec(any::<bool>(), 120)) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for (r, left) in records.iter().zip(&split) {
            if *left { a.push(*r) } else { b.push(*r) }
        }
        let mut merged = aggregate(&a).hash_ids();
        merged.merge(aggregate(&b).hash_ids());
        let whole = aggregate(&records);
        let rules = Rules { min_visitors: Some(2), ..Rules::default() };
        prop_assert_eq!(
            release(&merged, &rules, &mut Seeded(1)),
            release(&whole, &rules, &mut Seeded(1))
        );
    }
}

#[test]
fn exact_reports_keep_everything_and_other_collects_the_rest() {
    let agg = aggregate(&[(0, 1, 0, 0), (0, 2, 0, 0), (0, 3, 1, 4), (1, 1, 0, 0)]);
    let exact = release(&agg, &Rules::default(), &mut Seeded(0));
    assert_eq!(exact.totals.requests, Some(8));
    assert_eq!(exact.totals.visitors, Some(4));
    assert_eq!(exact.tables[&Table::Pages].len(), 2);
    let safe = Rules {
        min_visitors: Some(2),
        max_per_visitor: 3,
        ..Rules::default()
    };
    let report = release(&agg, &safe, &mut Seeded(0));
    let pages = &report.tables[&Table::Pages];
    assert_eq!(pages[0].key, "/");
    assert_eq!((pages[0].visitors, pages[0].requests), (3, 3));
    // "/a" had one visitor: folded into (other), itself under K, so not shown.
    assert_eq!(pages.len(), 1);
    assert_eq!(report.days[0].counts.requests, Some(2 + 3));
    assert_eq!(report.days[1].counts.visitors, None);
}

/// The noise on a day's visitor count has the documented scale: with `parts` parts of
/// ε and three counts per day, `3 · parts / ε`.
#[test]
fn noise_scale_is_as_documented() {
    let agg = aggregate(&[(0, 1, 0, 0)]);
    let rules = Rules {
        epsilon: Some(Fraction { num: 5, den: 1 }),
        ..Rules::default()
    };
    let parts = rules.tables().count() as u64 + 1;
    let scale = 3.0 * parts as f64 / 5.0;
    let mut rng = Seeded(42);
    let n = 20_000;
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    for _ in 0..n {
        // Unclamped: compare around a count far from zero.
        let mut many = agg.clone();
        many.days
            .get_mut(&0)
            .expect("day")
            .visitors
            .extend((100..200).map(|v| (v, Default::default())));
        let v = release_days(
            &many,
            &rules,
            Some(&Budget {
                epsilon: Fraction { num: 5, den: 1 },
                parts,
            }),
            &mut |value, s| {
                u64::try_from(
                    i64::try_from(value).expect("fits")
                        + s.map_or(0, |s| discrete_laplace(&mut rng, s)),
                )
                .unwrap_or(0)
            },
        )[0]
        .counts
        .visitors
        .expect("visitors") as f64;
        sum += v;
        sum_sq += v * v;
    }
    let mean = sum / f64::from(n);
    let variance = sum_sq / f64::from(n) - mean * mean;
    let q = (-1.0 / scale).exp();
    let expected = 2.0 * q / (1.0 - q).powi(2);
    assert!((mean - 101.0).abs() < 0.3, "mean {mean}");
    assert!(
        (variance / expected - 1.0).abs() < 0.06,
        "variance {variance} vs {expected}"
    );
}
