//! `anonlog serve`: syslog in, anonymized records appended to a file, with statistics.
//!
//! Every received record ends up counted once: `received = written + rejected + not_syslog
//! + dropped`. SIGTERM/SIGINT close the receivers, then the queue is written out within
//! `--shutdown-deadline`; what is left then is dropped and counted. A failed write drops
//! its batch (counted), is reported and retried with back-off, unless `--fail-fast`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::args::ServeArgs;
use super::config::open_log_file;
use anonlog::logfile::{FileId, LogFile, replace_file};
use anonlog::stream::anonymize::{self, Config};
use anonlog::stream::syslog::{self, Limits, Queue};
use anonlog::stream::{Input, Progress};

/// After the drain deadline, how long the pipeline may take to finish what it holds.
const STOP_GRACE: Duration = Duration::from_secs(1);
/// Longest back-off between attempts to write to a failing file.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub(super) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::try_from(args)?;
    let receiver =
        syslog::listen(&args.listen, Limits::from(args)).context("cannot listen for syslog")?;
    // Signals first: whoever reads the announcement may send SIGTERM at once.
    let term = super::install_stop_signals()?;
    for addr in &receiver.bound {
        super::warn(&format!("listening on {addr}"));
    }
    let file = open_log_file(&args.output, &args.file)?;
    if let Some(json) = &args.stats_json {
        refuse_same_file(json, &args.output)?;
    }
    let stats = Arc::new(ServeStats {
        queue: receiver.queue.clone(),
        progress: Arc::new(Progress::default()),
        write_failed: AtomicU64::new(0),
        json: args.stats_json.clone(),
    });
    if args.stats_interval > 0 {
        let (stats, every) = (stats.clone(), Duration::from_secs(args.stats_interval));
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(every);
                stats.report(false);
            }
        });
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let (queue, stop) = (receiver.queue.clone(), stop.clone());
        let deadline = Duration::from_secs(args.shutdown_deadline);
        std::thread::spawn(move || shut_down_on(&term, &queue, deadline, &stop));
    }
    let mut output = Output {
        file,
        stats: stats.clone(),
        fail_fast: args.fail_fast,
        stop: stop.clone(),
        backoff: Backoff::default(),
        failures: 0,
    };
    let inputs = vec![Input {
        name: "syslog".to_owned(),
        reader: Box::new(receiver.input),
        len: None,
    }];
    let result = anonymize::run(&config, inputs, &mut output, &stop, &stats.progress);
    // Ended by an error: receive nothing more, so that the final counts are final.
    receiver.queue.close();
    let closed = output.file.close();
    let tally = stats.report(true);
    result.with_context(|| format!("{}", args.output.display()))?;
    closed.with_context(|| format!("cannot sync {} to disk", args.output.display()))?;
    Ok(if tally.write_error > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The statistics file must not be the output file (or a link to it): replacing it would
/// replace the log.
fn refuse_same_file(json: &Path, output: &Path) -> anyhow::Result<()> {
    let id =
        |p: &Path| FileId::of_path(p).with_context(|| format!("cannot examine {}", p.display()));
    if id(json)?.is_some() && id(json)? == id(output)? {
        anyhow::bail!(
            "--stats-json {} is the output file; refusing to replace the log",
            json.display()
        );
    }
    Ok(())
}

/// Waits for SIGTERM/SIGINT, then stops receiving, gives the queue `deadline` to be
/// written, drops and counts what is left, and after a grace period stops the pipeline.
fn shut_down_on(term: &AtomicBool, queue: &Queue, deadline: Duration, stop: &AtomicBool) {
    while !term.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    queue.close();
    std::thread::sleep(deadline);
    queue.abandon();
    std::thread::sleep(STOP_GRACE);
    stop.store(true, Relaxed);
}

/// The log file, as the pipeline writes it: a failed batch is counted as dropped, reported,
/// and the next write waits for a growing back-off (unless `fail_fast`).
struct Output {
    file: LogFile,
    stats: Arc<ServeStats>,
    fail_fast: bool,
    stop: Arc<AtomicBool>,
    backoff: Backoff,
    /// Failed batches in a row.
    failures: u64,
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let error = match self.file.append(buf) {
            Ok(()) => {
                if self.failures > 0 {
                    super::warn(&format!(
                        "{}: writing again after {} failed batches",
                        self.file.path().display(),
                        self.failures
                    ));
                }
                self.failures = 0;
                self.backoff = Backoff::default();
                return Ok(());
            }
            Err(e) if self.fail_fast => return Err(e),
            Err(e) => e,
        };
        // Every record is one line; nothing of the failed batch stays in the file.
        let records = memchr::memchr_iter(b'\n', buf).count() as u64;
        self.stats.write_failed.fetch_add(records, Relaxed);
        self.failures += 1;
        let wait = self.backoff.next();
        super::warn(&format!(
            "cannot write {}: {error}; {records} records dropped, next attempt in {} ms",
            self.file.path().display(),
            wait.as_millis()
        ));
        let until = Instant::now() + wait;
        while Instant::now() < until && !self.stop.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Doubling waits from 100 ms up to [`MAX_BACKOFF`].
#[derive(Debug)]
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(Duration::from_millis(100))
    }
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let now = self.0;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
        now
    }
}

/// Live counters of `serve`, printed as one line and optionally written as JSON.
struct ServeStats {
    queue: Arc<Queue>,
    progress: Arc<Progress>,
    /// Records of batches that could not be written.
    write_failed: AtomicU64,
    json: Option<PathBuf>,
}

/// The counters at one moment; `received = written + rejected + not_syslog + dropped +
/// in_flight`, and `in_flight` is 0 at exit.
struct Tally {
    received: u64,
    written: u64,
    rejected: u64,
    not_syslog: u64,
    queue_full: u64,
    write_error: u64,
    shutdown: u64,
    in_flight: u64,
}

impl ServeStats {
    /// The counters; `at_exit` (everything has stopped) counts what was received and never
    /// written as dropped at shutdown.
    fn tally(&self, at_exit: bool) -> Tally {
        let counts = self.queue.counts();
        let lines = self.progress.lines.load(Relaxed);
        let rejected = self.progress.rejected.load(Relaxed);
        let write_error = self.write_failed.load(Relaxed);
        let accounted =
            counts.not_syslog + counts.dropped_queue_full + counts.dropped_shutdown + lines;
        let pending = counts.received.saturating_sub(accounted);
        let (unwritten, in_flight) = if at_exit { (pending, 0) } else { (0, pending) };
        Tally {
            received: counts.received,
            written: lines.saturating_sub(rejected + write_error),
            rejected,
            not_syslog: counts.not_syslog,
            queue_full: counts.dropped_queue_full,
            write_error,
            shutdown: counts.dropped_shutdown + unwritten,
            in_flight,
        }
    }

    fn report(&self, at_exit: bool) -> Tally {
        let t = self.tally(at_exit);
        let dropped = t.queue_full + t.write_error + t.shutdown;
        super::warn(&format!(
            "received {}, written {}, rejected {}, not syslog {}, dropped {dropped} (queue full {}, write errors {}, shutdown {}), in flight {}",
            t.received,
            t.written,
            t.rejected,
            t.not_syslog,
            t.queue_full,
            t.write_error,
            t.shutdown,
            t.in_flight
        ));
        if let Some(path) = &self.json {
            let text = format!(
                "{{\"received\":{},\"written\":{},\"rejected\":{},\"not_syslog\":{},\"dropped\":{dropped},\"in_flight\":{},\"dropped_by_reason\":{{\"queue_full\":{},\"write_error\":{},\"shutdown\":{}}}}}\n",
                t.received,
                t.written,
                t.rejected,
                t.not_syslog,
                t.in_flight,
                t.queue_full,
                t.write_error,
                t.shutdown
            );
            if let Err(e) = replace_file(path, text.as_bytes(), 0o640) {
                super::warn(&format!("cannot write {}: {e}", path.display()));
            }
        }
        t
    }
}
