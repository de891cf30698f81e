//! The result of an audit: findings by kind and re-identification risk, as a table for
//! people and as JSON.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::findings::FindingKind;
use super::risk::Risk;

/// The lines of one finding kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingStat {
    /// How many occurrences.
    pub count: u64,
    /// The first line numbers (1-based) with one.
    pub first_lines: Vec<u64>,
    /// A masked hint of the first occurrence (`ca…@…org`), never the value.
    pub hint: String,
}

/// The result of an audit.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Non-blank lines read, scanned or not.
    pub lines: u64,
    /// Findings by kind.
    pub findings: BTreeMap<FindingKind, FindingStat>,
    /// Re-identification risk.
    pub risk: Risk,
}

impl Report {
    /// Occurrences of all kinds (unscanned lines included).
    pub fn total_findings(&self) -> u64 {
        self.findings.values().map(|f| f.count).sum()
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|(kind, stat)| {
                serde_json::json!({
                    "kind": kind.name(),
                    "description": kind.describe(),
                    "count": stat.count,
                    "first_lines": stat.first_lines,
                    "hint": stat.hint,
                })
            })
            .collect();
        serde_json::json!({
            "lines": self.lines,
            "findings": findings,
            "risk": {
                "k": self.risk.k,
                "records": self.risk.records,
                "records_in_small_groups": self.risk.records_in_small_groups,
                "percent": self.risk.percent(),
                "visitors": self.risk.visitors,
                "visitors_unique_in_network": self.risk.visitors_unique_in_network,
            },
        })
    }
}

impl fmt::Display for Report {
    /// A readable table: kind, count, first lines, masked hint; then the risk figures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} lines, {} findings",
            self.lines,
            self.total_findings()
        )?;
        if !self.findings.is_empty() {
            writeln!(f)?;
            writeln!(
                f,
                "{:<30} {:>8}  {:<22} hint",
                "finding", "count", "first lines"
            )?;
            for (kind, stat) in &self.findings {
                let lines: Vec<String> = stat.first_lines.iter().map(u64::to_string).collect();
                writeln!(
                    f,
                    "{:<30} {:>8}  {:<22} {}",
                    kind.describe(),
                    stat.count,
                    lines.join(", "),
                    stat.hint
                )?;
            }
        }
        let r = &self.risk;
        writeln!(f)?;
        writeln!(
            f,
            "re-identification risk (k = {}): {} of {} records ({:.1} %) in a group of fewer than {} records sharing day, network and reduced user agent",
            r.k,
            r.records_in_small_groups,
            r.records,
            r.percent(),
            r.k
        )?;
        write!(
            f,
            "visitor pseudonyms unique within their network and day: {} of {}",
            r.visitors_unique_in_network, r.visitors
        )
    }
}
