//! Delivery of anonymized records: a queue bounded in bytes, a writer thread, and
//! destinations (a file with rotation and retention, standard output, `tracing` events).
//!
//! Requests hand [`AnonRecord`]s to a [`SinkSender`]; the writer thread encodes and writes
//! them, so a request never waits for I/O. When the queue is full the [`OnFull`] policy
//! decides: [`OnFull::Drop`] counts the record as dropped and the writer reports the count
//! in-band, as a record of its own; [`OnFull::Block`] makes the request wait for room,
//! without stalling the other tasks of a multi-threaded Tokio runtime. Counters of accepted,
//! written, dropped and failed records are readable at any time ([`SinkSender::stats`]). A
//! [`SinkGuard`] flushes and joins the writer on shutdown, within a deadline, and reports
//! what it could not write.

mod destination;
mod file;
mod queue;
mod tracing_sink;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

pub use destination::{Destination, WriterSink};
pub use file::FileSink;
pub use tracing_sink::TracingSink;

use crate::record::AnonRecord;
use queue::Queue;

/// What happens to a record when the queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnFull {
    /// Count the record as dropped; the writer reports drops in-band as a record.
    #[default]
    Drop,
    /// Wait for room. On a multi-threaded Tokio runtime the waiting worker hands its other
    /// tasks to the rest of the runtime first.
    Block,
}

/// The writer's counters (the queue counts accepted and dropped records itself).
#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    failed: AtomicU64,
    io_errors: AtomicU64,
}

/// A snapshot of a sink's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// Records taken into the queue.
    pub accepted: u64,
    /// Records written to the destination.
    pub written: u64,
    /// Records dropped because the queue was full (or the sink was shut down).
    pub dropped: u64,
    /// Records lost to write errors.
    pub failed: u64,
    /// Write errors (each may have lost a batch of records).
    pub io_errors: u64,
    /// Bytes of records waiting in the queue now.
    pub queued_bytes: u64,
}

/// What a sink could and could not deliver, reported at shutdown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// The counters when the writer stopped.
    pub stats: SinkStats,
    /// Records still queued when the deadline passed (never written).
    pub unwritten: u64,
}

impl ShutdownReport {
    /// Whether every accepted record was written and none was dropped.
    pub fn is_complete(&self) -> bool {
        self.unwritten == 0 && self.stats.dropped == 0 && self.stats.failed == 0
    }
}

/// Configures and starts a sink.
#[derive(Debug)]
pub struct SinkBuilder {
    capacity_bytes: usize,
    on_full: OnFull,
    shutdown_deadline: Duration,
}

impl Default for SinkBuilder {
    fn default() -> Self {
        Self {
            capacity_bytes: 8 << 20,
            on_full: OnFull::Drop,
            shutdown_deadline: Duration::from_secs(5),
        }
    }
}

impl SinkBuilder {
    /// Most bytes of records queued (default 8 MiB).
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.capacity_bytes = bytes.max(1);
        self
    }

    /// The full-queue policy (default [`OnFull::Drop`]).
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.on_full = on_full;
        self
    }

    /// How long the guard waits for the writer at shutdown (default 5 s).
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = deadline;
        self
    }

    /// Starts the writer thread for `destination`.
    pub fn start(self, destination: impl Destination) -> std::io::Result<(SinkSender, SinkGuard)> {
        let queue = Arc::new(Queue::new(self.capacity_bytes));
        let counters = Arc::new(Counters::default());
        let (done_tx, done_rx) = mpsc::channel();
        let thread = {
            let (queue, counters) = (queue.clone(), counters.clone());
            std::thread::Builder::new()
                .name("anonlog-sink".to_owned())
                .spawn(move || {
                    queue::run_writer(&queue, &counters, destination);
                    let _ = done_tx.send(());
                })?
        };
        let sender = SinkSender {
            queue: queue.clone(),
            counters: counters.clone(),
            on_full: self.on_full,
        };
        let guard = SinkGuard {
            queue,
            counters,
            thread: Some(thread),
            done: done_rx,
            deadline: self.shutdown_deadline,
        };
        Ok((sender, guard))
    }
}

/// Hands records to a sink's writer thread. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SinkSender {
    queue: Arc<Queue>,
    counters: Arc<Counters>,
    on_full: OnFull,
}

impl SinkSender {
    /// Queues a record; never performs I/O. With [`OnFull::Drop`] it never waits.
    pub fn send(&self, record: AnonRecord) {
        self.queue.push(record, self.on_full);
    }

    /// The sink's counters now.
    pub fn stats(&self) -> SinkStats {
        stats(&self.counters, &self.queue)
    }

    /// A record to fill with [`Anonymizer::apply_into`](crate::Anonymizer::apply_into):
    /// a written one for reuse, or a new one.
    pub(crate) fn spare_record(&self) -> AnonRecord {
        self.queue.spare()
    }
}

fn stats(counters: &Counters, queue: &Queue) -> SinkStats {
    let (accepted, dropped, queued_bytes) = queue.counts();
    SinkStats {
        accepted,
        written: counters.written.load(Ordering::Relaxed),
        dropped,
        failed: counters.failed.load(Ordering::Relaxed),
        io_errors: counters.io_errors.load(Ordering::Relaxed),
        queued_bytes: queued_bytes as u64,
    }
}

/// Flushes and joins the writer thread when dropped or shut down.
#[derive(Debug)]
pub struct SinkGuard {
    queue: Arc<Queue>,
    counters: Arc<Counters>,
    thread: Option<JoinHandle<()>>,
    done: mpsc::Receiver<()>,
    deadline: Duration,
}

impl SinkGuard {
    /// Stops accepting records, lets the writer write what is queued, and waits for it up
    /// to the deadline. Records sent afterwards are counted as dropped.
    pub fn shutdown(mut self) -> ShutdownReport {
        self.stop()
    }

    /// The sink's counters now.
    pub fn stats(&self) -> SinkStats {
        stats(&self.counters, &self.queue)
    }

    fn stop(&mut self) -> ShutdownReport {
        let Some(thread) = self.thread.take() else {
            return ShutdownReport {
                stats: self.stats(),
                unwritten: 0,
            };
        };
        self.queue.close();
        match self.done.recv_timeout(self.deadline) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = thread.join();
                ShutdownReport {
                    stats: self.stats(),
                    unwritten: 0,
                }
            }
            // The writer is stuck (a stalled disk); it is left behind, and what it still
            // holds is reported as unwritten.
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let stats = self.stats();
                ShutdownReport {
                    stats,
                    unwritten: stats.accepted.saturating_sub(stats.written + stats.failed),
                }
            }
        }
    }
}

impl Drop for SinkGuard {
    fn drop(&mut self) {
        if self.thread.is_none() {
            return;
        }
        let report = self.stop();
        if !report.is_complete() {
            tracing::error!(
                unwritten = report.unwritten,
                dropped = report.stats.dropped,
                failed = report.stats.failed,
                "anonlog sink shut down without writing every record"
            );
        }
    }
}
