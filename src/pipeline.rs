//! The streaming engine of `anonlog anonymize`: read, parse, anonymize and encode on all
//! cores, write in input order.
//!
//! The reader cuts input into batches of whole lines (at most [`BATCH_BYTES`] plus one line)
//! and deals them round-robin to the workers; the writer collects results in the same
//! round-robin order, so output order is input order. Queues hold at most two batches per
//! worker, so memory stays bounded whatever the input size. A line longer than the line
//! limit is skipped while it is read and counted as oversized.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread;
use std::time::Duration;

use crate::anonymize::{Anonymizer, TrustedProxies};
use crate::format::OutputFormat;
use crate::parse::{InputFormat, LineParser, Reject};
use crate::record::AnonRecord;

/// Bytes read per batch.
pub const BATCH_BYTES: usize = 1 << 20;
/// Default longest accepted line.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;
/// Lines examined to detect an input's format before falling back to combined.
const DETECT_LINES: usize = 100;

/// One input to process.
pub struct Input {
    /// The name used in reports (a path, or `<stdin>`).
    pub name: String,
    /// The bytes.
    pub reader: Box<dyn Read + Send>,
    /// Its size, when known, for progress reports.
    pub len: Option<u64>,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// How the output format is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputChoice {
    /// The format of each input.
    Same,
    /// Always this format.
    Fixed(OutputFormat),
}

/// What the pipeline does.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// The anonymizer, shared by all workers.
    pub anonymizer: Arc<Anonymizer>,
    /// Proxies whose `X-Forwarded-For` values are believed (JSON input).
    pub proxies: TrustedProxies,
    /// The input format, or `None` to detect it per input.
    pub input_format: Option<InputFormat>,
    /// The output format.
    pub output: OutputChoice,
    /// Worker threads.
    pub threads: usize,
    /// Longest accepted line in bytes.
    pub max_line: usize,
}

/// Progress counters, readable while the pipeline runs.
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes read.
    pub bytes_read: AtomicU64,
    /// Lines processed (written or rejected).
    pub lines: AtomicU64,
    /// Lines rejected.
    pub rejected: AtomicU64,
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
    /// The format it was read as (`None` if it had no lines).
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

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// All input was read.
    Finished,
    /// The stop flag was raised (a signal); everything read before was written.
    Stopped,
    /// The output was closed by its reader (a broken pipe).
    OutputClosed,
}

/// A failure that ends the run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// An input could not be read.
    #[error("cannot read {name}")]
    Read {
        /// The input's name.
        name: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The output could not be written.
    #[error("cannot write the output")]
    Write(#[source] io::Error),
    /// A thread could not be started or failed.
    #[error("internal thread failure")]
    Thread {
        /// What happened.
        #[source]
        source: io::Error,
    },
}

/// Batch and output buffers handed back for reuse, so that steady-state reading neither
/// allocates nor faults in fresh pages.
#[derive(Default)]
struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// Most buffers kept; the queues never hold more than a few per worker.
    const MAX: usize = 16;

    fn take(&self) -> Vec<u8> {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pool.pop().unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < Self::MAX {
            pool.push(buf);
        }
    }
}

struct Batch {
    input: usize,
    first_line: u64,
    data: Vec<u8>,
    /// Line numbers of oversized lines the reader skipped.
    oversized: Vec<u64>,
    format: InputFormat,
}

struct BatchResult {
    input: usize,
    format: InputFormat,
    out: Vec<u8>,
    lines: u64,
    written: u64,
    rejects: Vec<(Reject, u64)>,
}

/// Runs the pipeline over `inputs`, writing to `output`; returns per-input summaries.
///
/// `stop` is checked between reads; once raised, the run ends after writing what was read.
/// Threads blocked in a read of an idle pipe are then left behind; they end with the
/// process.
pub fn run(
    config: &PipelineConfig,
    inputs: Vec<Input>,
    output: &mut dyn Write,
    stop: &Arc<AtomicBool>,
    progress: &Arc<Progress>,
) -> Result<(Vec<InputSummary>, Outcome), PipelineError> {
    let threads = config.threads.max(1);
    let mut summaries: Vec<InputSummary> = inputs
        .iter()
        .map(|i| InputSummary {
            name: i.name.clone(),
            ..InputSummary::default()
        })
        .collect();
    let mut to_workers = Vec::with_capacity(threads);
    let mut from_workers = Vec::with_capacity(threads);
    let pool = Arc::new(BufferPool::default());
    let mut handles = Vec::with_capacity(threads + 1);
    for _ in 0..threads {
        let (batch_tx, batch_rx) = sync_channel::<Batch>(4);
        let (result_tx, result_rx) = sync_channel::<BatchResult>(4);
        let (config, pool) = (config.clone(), pool.clone());
        handles.push(spawn("anonlog-worker", move || {
            work(&config, &batch_rx, &result_tx, &pool);
            Ok(())
        })?);
        to_workers.push(batch_tx);
        from_workers.push(result_rx);
    }
    let reader = {
        let (config, stop, progress) = (config.clone(), stop.clone(), progress.clone());
        let pool = pool.clone();
        spawn("anonlog-reader", move || {
            read_all(&config, inputs, &to_workers, &stop, &progress, &pool)
        })?
    };
    let outcome = write_all(
        &from_workers,
        output,
        stop,
        progress,
        &mut summaries,
        &pool,
        &config.anonymizer,
    )?;
    if let Outcome::Finished = outcome {
        let read = reader.join().unwrap_or_else(|_| Err(panicked("reader")));
        read?;
        for handle in handles {
            handle.join().unwrap_or_else(|_| Err(panicked("worker")))?;
        }
    }
    Ok((summaries, outcome))
}

fn spawn(
    name: &str,
    f: impl FnOnce() -> Result<(), PipelineError> + Send + 'static,
) -> Result<thread::JoinHandle<Result<(), PipelineError>>, PipelineError> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .map_err(|source| PipelineError::Thread { source })
}

fn panicked(what: &str) -> PipelineError {
    PipelineError::Thread {
        source: io::Error::other(format!("the {what} thread panicked")),
    }
}

/// Parses, anonymizes and encodes batches until the reader hangs up.
fn work(
    config: &PipelineConfig,
    batches: &Receiver<Batch>,
    results: &SyncSender<BatchResult>,
    pool: &BufferPool,
) {
    let mut parsers: Vec<LineParser> = Vec::new();
    while let Ok(batch) = batches.recv() {
        let index = match parsers.iter().position(|p| p.format() == batch.format) {
            Some(i) => i,
            None => {
                parsers.push(LineParser::new(
                    batch.format,
                    config.anonymizer.policy(),
                    config.proxies.clone(),
                ));
                parsers.len() - 1
            }
        };
        let output = match config.output {
            OutputChoice::Same => batch.format.same_output(),
            OutputChoice::Fixed(f) => f,
        };
        let mut out = pool.take();
        let data = process(
            &config.anonymizer,
            &parsers[index],
            output,
            &batch,
            &mut out,
        );
        pool.give(batch.data);
        if results.send(BatchResult { out, ..data }).is_err() {
            return;
        }
    }
}

/// Parses, anonymizes and encodes a batch's lines into `out`; the result's own `out` is
/// left empty for the caller to fill in.
fn process(
    anonymizer: &Anonymizer,
    parser: &LineParser,
    output: OutputFormat,
    batch: &Batch,
    out: &mut Vec<u8>,
) -> BatchResult {
    let mut result = BatchResult {
        input: batch.input,
        format: batch.format,
        out: Vec::new(),
        lines: 0,
        written: 0,
        rejects: Vec::new(),
    };
    let mut record = AnonRecord::empty();
    for &line_no in &batch.oversized {
        result.lines += 1;
        result.rejects.push((Reject::Oversized, line_no));
    }
    for (this, line) in (batch.first_line..).zip(batch.data.split(|&b| b == b'\n')) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.trim_ascii().is_empty() {
            continue;
        }
        result.lines += 1;
        match parser.parse(line) {
            Ok(raw) => {
                anonymizer.apply_into(&raw, &mut record);
                output.encode(&record, out);
                result.written += 1;
            }
            Err(reason) => result.rejects.push((reason, this)),
        }
    }
    result
}

/// Reads every input in turn and deals its batches to the workers.
fn read_all(
    config: &PipelineConfig,
    inputs: Vec<Input>,
    workers: &[SyncSender<Batch>],
    stop: &AtomicBool,
    progress: &Progress,
    pool: &BufferPool,
) -> Result<(), PipelineError> {
    let mut next = 0usize;
    let mut send = |batch: Batch| -> bool {
        let ok = workers[next % workers.len()].send(batch).is_ok();
        next += 1;
        ok
    };
    for (index, mut input) in inputs.into_iter().enumerate() {
        let mut state = ReadState {
            input: index,
            line: 1,
            carry: Vec::new(),
            skipping: None,
            oversized: Vec::new(),
            format: config.input_format,
            max_line: config.max_line,
        };
        let mut eof = false;
        while !eof && !stop.load(Ordering::Relaxed) {
            let mut buf = pool.take();
            buf.extend_from_slice(&state.carry);
            state.carry.clear();
            let start = buf.len();
            buf.resize(start + BATCH_BYTES, 0);
            let n = loop {
                match input.reader.read(&mut buf[start..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        if stop.load(Ordering::Relaxed) {
                            return Ok(());
                        }
                    }
                    Err(source) => {
                        return Err(PipelineError::Read {
                            name: input.name.clone(),
                            source,
                        });
                    }
                }
            };
            buf.truncate(start + n);
            progress.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
            if n == 0 {
                eof = true;
                if let Some(line_no) = state.skipping.take() {
                    state.oversized.push(line_no);
                    state.line += 1;
                }
                if !buf.is_empty() {
                    // The last line had no line break.
                    buf.push(b'\n');
                }
            }
            if let Some(batch) = state.cut(buf)
                && !send(batch)
            {
                return Ok(());
            }
        }
        if !state.oversized.is_empty() {
            let batch = state.batch(Vec::new(), 0);
            if !send(batch) {
                return Ok(());
            }
        }
    }
    Ok(())
}

struct ReadState {
    input: usize,
    /// Line number of the first line not yet sent.
    line: u64,
    /// An incomplete last line, kept for the next read.
    carry: Vec<u8>,
    /// Set while discarding an oversized line: its line number.
    skipping: Option<u64>,
    oversized: Vec<u64>,
    format: Option<InputFormat>,
    max_line: usize,
}

impl ReadState {
    /// Splits freshly read data at its last line break into a batch and a carry.
    fn cut(&mut self, mut buf: Vec<u8>) -> Option<Batch> {
        if let Some(line_no) = self.skipping {
            match memchr::memchr(b'\n', &buf) {
                None => return None,
                Some(i) => {
                    self.oversized.push(line_no);
                    self.skipping = None;
                    self.line += 1;
                    buf.drain(..=i);
                }
            }
        }
        let Some(last) = memchr::memrchr(b'\n', &buf) else {
            if buf.len() > self.max_line {
                self.skipping = Some(self.line);
            } else {
                self.carry = buf;
            }
            return None;
        };
        self.carry = buf.split_off(last + 1);
        if self.carry.len() > self.max_line {
            self.carry.clear();
            // The carry's line number is known once this batch's lines are counted.
            let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
            self.skipping = Some(self.line + lines);
        }
        // Oversized lines within the batch itself (only when the line limit is below the
        // batch size) are blanked out, keeping the line numbers of the others.
        let mut line = self.line;
        let mut dropped = Vec::new();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf) {
            if end - start > self.max_line {
                dropped.push(line);
            }
            start = end + 1;
            line += 1;
        }
        let data = if dropped.is_empty() {
            buf
        } else {
            let mut kept = Vec::with_capacity(buf.len());
            for l in buf.split_inclusive(|&b| b == b'\n') {
                if l.len() > self.max_line + 1 {
                    kept.push(b'\n');
                } else {
                    kept.extend_from_slice(l);
                }
            }
            kept
        };
        if self.format.is_none() {
            // The first line that parses decides; lines before it are rejected by the
            // parser like any malformed line. Input with no such line is read as combined.
            let has_lines = data
                .split(|&b| b == b'\n')
                .any(|l| !l.trim_ascii().is_empty());
            self.format = detect(&data).or(has_lines.then_some(InputFormat::Combined));
        }
        let lines = line - self.line;
        let mut batch = self.batch(data, lines);
        batch.oversized.extend(dropped);
        Some(batch)
    }

    fn batch(&mut self, data: Vec<u8>, lines: u64) -> Batch {
        let batch = Batch {
            input: self.input,
            first_line: self.line,
            data,
            oversized: std::mem::take(&mut self.oversized),
            format: self.format.unwrap_or(InputFormat::Combined),
        };
        self.line += lines;
        batch
    }
}

/// The format of the first line that reveals one.
fn detect(data: &[u8]) -> Option<InputFormat> {
    data.split(|&b| b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
        .take(DETECT_LINES)
        .find_map(InputFormat::detect)
}

/// Writes results in round-robin order; flushes whenever no result is waiting, so a
/// stream from a live server shows up promptly.
fn write_all(
    workers: &[Receiver<BatchResult>],
    output: &mut dyn Write,
    stop: &AtomicBool,
    progress: &Progress,
    summaries: &mut [InputSummary],
    pool: &BufferPool,
    anonymizer: &Anonymizer,
) -> Result<Outcome, PipelineError> {
    let mut next = 0usize;
    let mut dirty = false;
    loop {
        let worker = &workers[next % workers.len()];
        let result = match worker.try_recv() {
            Ok(result) => result,
            Err(_) => {
                if dirty {
                    if let Err(e) = output.flush() {
                        return write_failed(e);
                    }
                    dirty = false;
                }
                match worker.recv_timeout(Duration::from_millis(100)) {
                    Ok(result) => result,
                    Err(RecvTimeoutError::Timeout) => {
                        // An idle stream may wait for days: day keys must not outlive
                        // their age meanwhile.
                        anonymizer.purge_expired_keys();
                        // Workers finish a batch in milliseconds; after a stop, a silent
                        // worker means the reader is blocked on input that is not coming.
                        if stop.load(Ordering::Relaxed) {
                            return Ok(Outcome::Stopped);
                        }
                        continue;
                    }
                    // Every worker hung up: the reader is done.
                    Err(RecvTimeoutError::Disconnected) => {
                        if let Err(e) = output.flush() {
                            return write_failed(e);
                        }
                        return Ok(if stop.load(Ordering::Relaxed) {
                            Outcome::Stopped
                        } else {
                            Outcome::Finished
                        });
                    }
                }
            }
        };
        next += 1;
        if let Err(e) = output.write_all(&result.out) {
            return write_failed(e);
        }
        pool.give(result.out);
        dirty = true;
        progress.lines.fetch_add(result.lines, Ordering::Relaxed);
        progress
            .rejected
            .fetch_add(result.rejects.len() as u64, Ordering::Relaxed);
        let summary = &mut summaries[result.input];
        summary.format = Some(result.format);
        summary.lines += result.lines;
        summary.written += result.written;
        for (reason, line) in result.rejects {
            let entry = summary.rejected.entry(reason).or_insert(RejectCount {
                count: 0,
                first_line: line,
            });
            entry.count += 1;
            entry.first_line = entry.first_line.min(line);
        }
    }
}

fn write_failed(e: io::Error) -> Result<Outcome, PipelineError> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(Outcome::OutputClosed)
    } else {
        Err(PipelineError::Write(e))
    }
}
