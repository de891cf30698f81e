//! One CSV table: totals, days and every table's rows, each line naming its section.

use std::fmt::Write as _;

use crate::stats::Report;
use crate::stats::release::Counts;

/// A field, quoted when it holds a comma (escaped keys hold no quote or line break).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn counts_line(out: &mut String, section: &str, key: &str, c: &Counts) {
    let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    let _ = writeln!(
        out,
        "{section},{},{},{},{},{}",
        field(key),
        n(c.visitors),
        n(c.requests),
        n(c.page_views),
        n(c.bytes)
    );
}

pub(super) fn render(report: &Report) -> String {
    let mut out = String::from("section,key,visitors,requests,page_views,bytes\n");
    counts_line(&mut out, "totals", "", &report.totals);
    for day in &report.days {
        counts_line(&mut out, "days", &day.date, &day.counts);
    }
    for (table, rows) in &report.tables {
        for row in rows {
            let _ = writeln!(
                out,
                "{},{},{},{},,",
                table.name(),
                field(&row.key),
                row.visitors,
                row.requests
            );
        }
    }
    out
}
