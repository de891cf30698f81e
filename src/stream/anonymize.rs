//! The job of `anonlog anonymize` and `anonlog serve`: parse, anonymize and encode each
//! chunk on a worker, write in input order, and report rejected lines by number and reason.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::day_order::DayOrder;
use super::reader::Chunk;
use super::runner::{self, Batch, BufferPool, Collect, Job, RunSettings};
use super::{CHUNK_BYTES, Input, Outcome, Progress, StreamError};
use crate::anonymize::Anonymizer;
use crate::anonymize::TrustedProxies;
use crate::format::OutputFormat;
use crate::parse::{InputFormat, LineParser, Reject};
use crate::record::{AnonRecord, RawRecord};

/// Lines examined to detect an input's format before falling back to combined.
const DETECT_LINES: usize = 100;

/// How the input format is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputChoice {
    /// Always this format.
    Fixed(InputFormat),
    /// Detected per input from its first lines, then kept for the whole input.
    PerInput,
    /// Detected for every line on its own (a receiver of many senders: no sender decides
    /// how another's lines are read). With [`OutputChoice::Same`] each record keeps its
    /// own line's format.
    PerLine,
}

/// How the output format is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputChoice {
    /// The format of each input.
    Same,
    /// Always this format.
    Fixed(OutputFormat),
}

/// What an anonymizing run does.
#[derive(Debug, Clone)]
pub struct Config {
    /// The anonymizer, shared by all workers.
    pub anonymizer: Arc<Anonymizer>,
    /// Proxies whose `X-Forwarded-For` values are believed (JSON input).
    pub proxies: TrustedProxies,
    /// The input format, or how it is detected.
    pub input: InputChoice,
    /// The output format.
    pub output: OutputChoice,
    /// Worker threads.
    pub threads: usize,
    /// Longest accepted line in bytes.
    pub max_line: usize,
}

/// The rejected lines of one reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectCount {
    /// How many lines.
    pub count: u64,
    /// The first line number (1-based).
    pub first_line: u64,
}

/// What happened to one input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputSummary {
    /// The input's name.
    pub name: String,
    /// The format it was read as (`None` if it had no lines or was detected per line).
    pub format: Option<InputFormat>,
    /// Non-blank lines read.
    pub lines: u64,
    /// Records written.
    pub written: u64,
    /// Rejected lines by reason.
    pub rejected: BTreeMap<Reject, RejectCount>,
}

impl InputSummary {
    /// Rejected lines of all reasons.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().map(|r| r.count).sum()
    }

    /// Counts a rejected line.
    pub fn count_reject(&mut self, reason: Reject, line: u64) {
        let entry = self.rejected.entry(reason).or_insert(RejectCount {
            count: 0,
            first_line: line,
        });
        entry.count += 1;
        entry.first_line = entry.first_line.min(line);
    }
}

/// `rejected 3 of 10000 lines: 2 malformed request line (first at line 12), 1 invalid
/// timestamp (line 977)`: reasons and line numbers, never line content.
impl fmt::Display for InputSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rejected {} of {} lines",
            self.rejected_total(),
            self.lines
        )?;
        let mut reasons: Vec<_> = self.rejected.iter().collect();
        reasons.sort_by(|a, b| {
            b.1.count
                .cmp(&a.1.count)
                .then(a.1.first_line.cmp(&b.1.first_line))
        });
        for (i, (reason, r)) in reasons.into_iter().enumerate() {
            let sep = if i == 0 { ": " } else { ", " };
            if r.count == 1 {
                write!(f, "{sep}1 {reason} (line {})", r.first_line)?;
            } else {
                write!(
                    f,
                    "{sep}{} {reason} (first at line {})",
                    r.count, r.first_line
                )?;
            }
        }
        Ok(())
    }
}

/// Anonymizes `inputs` as `config` says and writes them to `output` in input order;
/// returns what happened to each input.
pub fn run(
    config: &Config,
    inputs: Vec<Input>,
    output: &mut dyn Write,
    stop: &Arc<AtomicBool>,
    progress: &Arc<Progress>,
) -> Result<(Vec<InputSummary>, Outcome), StreamError> {
    let summaries = inputs
        .iter()
        .map(|i| InputSummary {
            name: i.name.clone(),
            ..InputSummary::default()
        })
        .collect();
    let job = Arc::new(AnonymizeJob {
        day_order: config
            .anonymizer
            .has_day_keys()
            .then(|| Arc::new(DayOrder::default())),
        config: config.clone(),
        buffers: BufferPool::default(),
    });
    let mut writer = Writer {
        job: job.clone(),
        output,
        progress,
        summaries,
    };
    let settings = RunSettings {
        threads: config.threads,
        max_line: config.max_line,
        chunk_bytes: CHUNK_BYTES,
    };
    let outcome = runner::run(&job, inputs, &mut writer, &settings, stop, progress)?;
    Ok((writer.summaries, outcome))
}

struct AnonymizeJob {
    config: Config,
    /// Present when records get visitor pseudonyms.
    day_order: Option<Arc<DayOrder>>,
    /// Output buffers handed back by the writer.
    buffers: BufferPool,
}

/// A worker's parsers (one per format met) and its record buffer.
struct Worker {
    parsers: Vec<LineParser>,
    record: AnonRecord,
    /// Passes chunks on in input order; released if this worker panics.
    day_order: Option<Arc<DayOrder>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(order) = &self.day_order
            && std::thread::panicking()
        {
            order.close();
        }
    }
}

/// What one chunk gives.
struct Done {
    format: Option<InputFormat>,
    out: Vec<u8>,
    lines: u64,
    written: u64,
    rejects: Vec<(Reject, u64)>,
    /// The newest UTC day of the input up to the end of this chunk.
    newest_day: Option<i64>,
}

impl Job for AnonymizeJob {
    /// The input's format, or `None` to detect it line by line.
    type Tag = Option<InputFormat>;
    type Worker = Worker;
    type Output = Done;

    /// The format given, or the first line that parses decides; lines before it are
    /// rejected by the parser like any malformed line. Input with no such line is read as
    /// combined.
    fn tag(&self, state: &mut Option<Option<InputFormat>>, chunk: &Chunk) -> Option<InputFormat> {
        match self.config.input {
            InputChoice::Fixed(format) => return Some(format),
            InputChoice::PerLine => return None,
            InputChoice::PerInput => {}
        }
        if state.is_none() {
            let detected = chunk
                .lines()
                .map(|(_, line)| line)
                .filter(|line| !line.trim_ascii().is_empty())
                .take(DETECT_LINES)
                .find_map(InputFormat::detect);
            let has_lines = !chunk.data.trim_ascii().is_empty();
            *state = detected
                .or(has_lines.then_some(InputFormat::Combined))
                .map(Some);
        }
        state.flatten().or(Some(InputFormat::Combined))
    }

    fn worker(&self) -> Worker {
        Worker {
            parsers: Vec::new(),
            record: AnonRecord::empty(),
            day_order: self.day_order.clone(),
        }
    }

    fn process(&self, worker: &mut Worker, batch: &Batch<Option<InputFormat>>) -> Done {
        let config = &self.config;
        let mut done = Done {
            format: batch.tag,
            out: self.buffers.take(),
            lines: 0,
            written: 0,
            rejects: Vec::new(),
            newest_day: None,
        };
        for &line_no in &batch.chunk.oversized {
            done.lines += 1;
            done.rejects.push((Reject::Oversized, line_no));
        }
        let lines: Vec<(u64, &[u8], InputFormat)> = batch
            .chunk
            .lines()
            .filter(|(_, line)| !line.trim_ascii().is_empty())
            .map(|(line_no, line)| {
                let format = batch
                    .tag
                    .or_else(|| InputFormat::detect(line))
                    .unwrap_or(InputFormat::Combined);
                (line_no, line, format)
            })
            .collect();
        for &(_, _, format) in &lines {
            if !worker.parsers.iter().any(|p| p.format() == format) {
                let policy = config.anonymizer.policy();
                let parser = LineParser::new(format, policy, config.proxies.clone());
                worker.parsers.push(parser);
            }
        }
        let parsers = &worker.parsers;
        let parsed: Vec<(u64, InputFormat, Result<RawRecord<'_>, Reject>)> = lines
            .into_iter()
            .map(|(line_no, line, format)| {
                let parser = parsers.iter().find(|p| p.format() == format);
                let parsed = parser.map_or(Err(Reject::Malformed), |p| p.parse(line));
                (line_no, format, parsed)
            })
            .collect();
        let mut newest = None;
        if let Some(order) = &worker.day_order {
            let days = parsed.iter().filter_map(|(_, _, r)| r.as_ref().ok());
            let last = days.map(|raw| raw.time().utc_day()).max();
            // Closed: the run failed or ended early, and nothing more is written.
            let Some(before) = order.pass(batch.seq, last) else {
                return done;
            };
            newest = before;
            done.newest_day = before.max(last);
        }
        for (line_no, format, parsed) in parsed {
            done.lines += 1;
            match parsed {
                Ok(raw) => {
                    let output = match config.output {
                        OutputChoice::Same => format.same_output(),
                        OutputChoice::Fixed(f) => f,
                    };
                    newest = newest.max(Some(raw.time().utc_day()));
                    let newest = newest.unwrap_or(i64::MIN);
                    config
                        .anonymizer
                        .apply_in_order(&raw, newest, &mut worker.record);
                    output.encode(&worker.record, &mut done.out);
                    done.written += 1;
                }
                Err(reason) => done.rejects.push((reason, line_no)),
            }
        }
        done
    }

    fn cancel(&self) {
        if let Some(order) = &self.day_order {
            order.close();
        }
    }
}

/// Writes results in input order and keeps the summaries and the day keys up to date.
struct Writer<'a> {
    job: Arc<AnonymizeJob>,
    output: &'a mut dyn Write,
    progress: &'a Progress,
    summaries: Vec<InputSummary>,
}

impl Collect<Done> for Writer<'_> {
    fn collect(&mut self, input: usize, done: Done) -> io::Result<()> {
        self.output.write_all(&done.out)?;
        self.job.buffers.give(done.out);
        let anonymizer = &self.job.config.anonymizer;
        if let Some(day) = done.newest_day {
            // Every record up to this day's predecessor is written: older keys can go.
            anonymizer.advance_days(day);
        }
        let progress = self.progress;
        progress.lines.fetch_add(done.lines, Ordering::Relaxed);
        progress
            .rejected
            .fetch_add(done.rejects.len() as u64, Ordering::Relaxed);
        let summary = &mut self.summaries[input];
        summary.format = done.format.or(summary.format);
        summary.lines += done.lines;
        summary.written += done.written;
        for (reason, line) in done.rejects {
            summary.count_reject(reason, line);
        }
        Ok(())
    }

    fn pause(&mut self) -> io::Result<()> {
        self.output.flush()
    }

    /// An idle stream may wait for days: day keys must not outlive their age meanwhile.
    fn tick(&mut self) {
        self.job.config.anonymizer.purge_expired_keys();
    }
}
