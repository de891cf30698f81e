//! The JSON report (`docs/stats.md` documents the schema).

use crate::stats::Report;

pub(super) fn render(report: &Report) -> String {
    // A report has only strings, numbers, nulls and string-keyed maps: it always serializes.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}
