//! Reports as text, JSON, CSV or one self-contained HTML page.
//!
//! Keys are in anonlog's escaped form (no control characters, quotes or backslashes but
//! visible `\xHH`); each renderer escapes what its format needs on top (HTML entities, CSV
//! quoting).

mod csv;
mod html;
mod json;
mod text;

use super::Report;
use super::release::Counts;

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// Aligned tables for a terminal.
    Text,
    /// The JSON schema of `docs/stats.md`.
    Json,
    /// One CSV table: `section,key,visitors,requests,page_views,bytes`.
    Csv,
    /// One self-contained HTML page with inline SVG charts.
    Html,
}

/// Rows shown per table in text and HTML (JSON and CSV have them all).
pub const TOP_ROWS: usize = 20;

/// Renders `report`.
pub fn render(report: &Report, format: ReportFormat) -> String {
    match format {
        ReportFormat::Text => text::render(report),
        ReportFormat::Json => json::render(report),
        ReportFormat::Csv => csv::render(report),
        ReportFormat::Html => html::render(report),
    }
}

/// A count as shown to people: `-` when suppressed.
fn shown(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// The labelled totals, in display order.
fn total_rows(c: &Counts) -> [(&'static str, Option<u64>); 4] {
    [
        ("visitors", c.visitors),
        ("requests", c.requests),
        ("page views", c.page_views),
        ("bytes", c.bytes),
    ]
}
