//! Aligned tables for a terminal.

use std::fmt::Write as _;

use super::{TOP_ROWS, shown, total_rows};
use crate::stats::Report;

/// Appends rows as aligned columns: the first left-aligned, the others right-aligned.
fn table(out: &mut String, head: [&str; 3], rows: &[[String; 3]]) {
    let mut width = head.map(str::len);
    for row in rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: [&str; 3]| {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:>w1$}  {:>w2$}",
            cells[0],
            cells[1],
            cells[2],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        );
    };
    line(out, head);
    for row in rows {
        line(out, [&row[0], &row[1], &row[2]]);
    }
}

pub(super) fn render(report: &Report) -> String {
    let r = &report.release;
    let mut out = String::new();
    let period = match (&r.first_day, &r.last_day) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no records".to_owned(),
    };
    let _ = writeln!(out, "anonlog stats: {period}");
    let _ = writeln!(out, "release: {}\n", r.description);
    for (label, n) in total_rows(&report.totals) {
        let _ = writeln!(out, "  {label:<11} {:>12}", shown(n));
    }
    let _ = writeln!(out, "\nDays");
    let days: Vec<[String; 3]> = report
        .days
        .iter()
        .map(|d| {
            [
                d.date.clone(),
                shown(d.counts.visitors),
                shown(d.counts.requests),
            ]
        })
        .collect();
    table(&mut out, ["date", "visitors", "requests"], &days);
    for (t, rows) in &report.tables {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}", t.title());
        let count = if t.counts_page_views() {
            "page views"
        } else {
            "requests"
        };
        let shown_rows: Vec<[String; 3]> = rows
            .iter()
            .take(TOP_ROWS)
            .map(|row| {
                [
                    row.key.clone(),
                    row.visitors.to_string(),
                    row.requests.to_string(),
                ]
            })
            .collect();
        table(&mut out, [t.name(), "visitors", count], &shown_rows);
        if rows.len() > TOP_ROWS {
            let _ = writeln!(
                out,
                "  … {} more rows (see --format json)",
                rows.len() - TOP_ROWS
            );
        }
    }
    out
}
