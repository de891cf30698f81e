//! `anonlog check`: auditing a log for residual personal data and re-identification risk.
//!
//! An [`Auditor`] reads any access log (raw, anonlog's own output in any format, or
//! another tool's) with the engine's own parts: lines are split into fields by the parsers
//! of [`parse`](crate::parse), values are judged by the anonymizer's detectors, referrers,
//! hosts and user agents by its reductions and its encoder, addresses by the policy's
//! prefixes. So the audit and the anonymizer agree on what is personal: what anonlog
//! writes under a policy raises no finding under that policy, and every finding is
//! something the anonymizer would change. A line no parser accepts is scanned as free text
//! for strong identifiers (addresses, e-mail addresses, JWTs, keys, UUIDs) and control
//! characters.
//!
//! Findings carry line numbers and at most a masked hint, never the data found.
//!
//! Work is split into batches of whole lines: [`Auditor::scan`] each batch (on any thread,
//! in any order) and [`Auditor::finish`] the partial results.
//!
//! ```
//! use anonlog::audit::Auditor;
//! let auditor = Auditor::new(None, 5, None);
//! let log = b"192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET /u/carol@example.org HTTP/1.1\" 200 1\n";
//! let report = auditor.finish([auditor.scan(log, 1)]);
//! assert_eq!(report.total_findings(), 2);
//! assert!(!report.to_string().contains("192.0.2.1"));
//! ```

mod findings;
mod report;
mod risk;

pub use findings::FindingKind;
pub use report::{FindingStat, Report};
pub use risk::Risk;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::parse::{InputFormat, LineParser, looks_like_json};
use crate::policy::Policy;
use crate::stream::reader::Chunk;
use crate::stream::runner::{self, Batch, Collect, Job, RunSettings};
use crate::stream::{Input, Progress, StreamError};
use findings::{Judge, Tally};
use risk::Groups;

/// Scans lines against the privacy model and a policy.
#[derive(Debug)]
pub struct Auditor {
    /// The policy given, or the strict default: the limits the anonymizer applies.
    policy: Policy,
    /// Whether a policy was given (its query allowlist is enforced only then).
    explicit: bool,
    k: u64,
    format: Option<InputFormat>,
}

/// What one batch of lines contributes to a [`Report`].
#[derive(Debug, Default)]
pub struct Partial {
    lines: u64,
    findings: Tally,
    groups: Groups,
}

impl Auditor {
    /// An auditor with group size `k` (at least 1).
    ///
    /// Addresses are judged by the policy's prefixes, [`Policy::strict`]'s when `policy` is
    /// `None`, and always by the absolute limits /24 and /48; query keys off the allowlist
    /// are findings only when a policy is given. `format` forces a line format; `None`
    /// reads a line as JSON when it starts with `{`, as combined or common log format
    /// otherwise.
    pub fn new(policy: Option<Policy>, k: u64, format: Option<InputFormat>) -> Self {
        Self {
            explicit: policy.is_some(),
            policy: policy.unwrap_or_else(Policy::strict),
            k: k.max(1),
            format,
        }
    }

    /// Scans a batch of whole `\n`-separated lines whose first line has number
    /// `first_line`. Blank lines are not counted.
    pub fn scan(&self, batch: &[u8], first_line: u64) -> Partial {
        let clf = LineParser::for_audit(InputFormat::Combined, &self.policy);
        let json = LineParser::for_audit(InputFormat::Json, &self.policy);
        let mut partial = Partial::default();
        for (line_no, line) in (first_line..).zip(batch.split(|&b| b == b'\n')) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            partial.lines += 1;
            let is_json = match self.format {
                Some(format) => format == InputFormat::Json,
                None => looks_like_json(line),
            };
            let parser = if is_json { &json } else { &clf };
            let mut judge = Judge {
                policy: &self.policy,
                explicit: self.explicit,
                line_no,
                out: &mut partial.findings,
            };
            let control_seen = judge.controls(line);
            match parser.parse_for_audit(line) {
                Ok(fields) => {
                    judge.line(&fields, control_seen);
                    partial.groups.add(&fields);
                }
                Err(_) => judge.text(line),
            }
        }
        partial
    }

    /// Accounts for line `line_no`, which was too long to read: it counts as a line and as
    /// an [`UnscannedLine`](FindingKind::UnscannedLine) finding, since an audit that did
    /// not look at a line cannot call it clean.
    pub fn oversized_line(&self, line_no: u64) -> Partial {
        let mut partial = Partial {
            lines: 1,
            ..Partial::default()
        };
        partial
            .findings
            .note(FindingKind::UnscannedLine, line_no, String::new);
        partial
    }

    /// Merges partial results, in any order, into a report.
    pub fn finish(&self, partials: impl IntoIterator<Item = Partial>) -> Report {
        let mut lines = 0;
        let mut findings = Tally::default();
        let mut groups = Groups::default();
        for partial in partials {
            lines += partial.lines;
            findings.merge(partial.findings);
            groups.merge(partial.groups);
        }
        Report {
            lines,
            findings: findings.0,
            risk: groups.risk(self.k),
        }
    }
}

/// Audits one input on all cores with the stream engine's reader: lines over
/// `settings.max_line` are not read whole and are reported as unscanned; `stop` ends the
/// audit early (the report then covers what was read).
pub fn run(
    auditor: Arc<Auditor>,
    input: Input,
    settings: &RunSettings,
    stop: &Arc<AtomicBool>,
) -> Result<Report, StreamError> {
    let job = Arc::new(AuditJob(auditor));
    let mut partials = Partials(Vec::new());
    let progress = Arc::new(Progress::default());
    runner::run(&job, vec![input], &mut partials, settings, stop, &progress)?;
    Ok(job.0.finish(partials.0))
}

/// The audit as a job of the stream runner: each chunk scanned on a worker.
struct AuditJob(Arc<Auditor>);

impl Job for AuditJob {
    type Tag = ();
    type Worker = ();
    type Output = Vec<Partial>;

    fn tag(&self, _: &mut Option<()>, _: &Chunk) {}

    fn worker(&self) {}

    fn process(&self, (): &mut (), batch: &Batch<()>) -> Vec<Partial> {
        let chunk = &batch.chunk;
        let mut out = vec![self.0.scan(&chunk.data, chunk.first_line)];
        out.extend(chunk.oversized.iter().map(|&n| self.0.oversized_line(n)));
        out
    }
}

/// Partial results as they come.
struct Partials(Vec<Partial>);

impl Collect<Vec<Partial>> for Partials {
    fn collect(&mut self, _: usize, partials: Vec<Partial>) -> std::io::Result<()> {
        self.0.extend(partials);
        Ok(())
    }
}

#[cfg(test)]
mod props;
#[cfg(test)]
mod tests;
