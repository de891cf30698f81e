//! `anonlog check`: audits logs for residual personal data and re-identification risk.

use std::process::ExitCode;

use anyhow::Context as _;

use std::sync::Arc;

use super::args::CheckArgs;
use anonlog::Policy;
use anonlog::audit::{self, Auditor};
use anonlog::stream::runner::RunSettings;
use anonlog::stream::{CHUNK_BYTES, DEFAULT_MAX_LINE};

pub(super) fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let auditor = Arc::new(Auditor::new(policy, args.k, args.format.into()));
    let settings = RunSettings {
        threads: super::all_cores(),
        max_line: DEFAULT_MAX_LINE,
        chunk_bytes: CHUNK_BYTES,
    };
    let stop = super::install_stop_signals()?;
    let mut failed = false;
    let mut reports = Vec::new();
    for input in super::open_inputs(&args.files)? {
        let name = input.name.clone();
        let report = audit::run(auditor.clone(), input, &settings, &stop)
            .with_context(|| format!("cannot check {name}"))?;
        let risky = args.max_risk.is_some_and(|max| report.risk.percent() > max);
        failed |= report.total_findings() > 0 || risky;
        reports.push((name, report));
    }
    let text = if args.json {
        let all: Vec<serde_json::Value> = reports
            .iter()
            .map(|(name, r)| {
                let mut v = r.to_json();
                v["input"] = serde_json::Value::String(name.clone());
                v
            })
            .collect();
        format!("{}\n", serde_json::Value::Array(all))
    } else {
        reports
            .iter()
            .map(|(name, r)| format!("{}: {r}\n", super::printable(name)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    super::print(&text)?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
