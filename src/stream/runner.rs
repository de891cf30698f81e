//! The one order-preserving parallel runner, generic over the job done per chunk.
//!
//! A reader thread cuts every input in turn into [`Chunk`]s with the [`LineReader`] and
//! deals them round-robin to the workers; the calling thread collects the results in the
//! same round-robin order, so results arrive in input order whatever the scheduling.
//! Queues hold at most a few chunks per worker, so memory stays bounded whatever the input.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread;
use std::time::Duration;

use super::reader::{Chunk, LineReader};
use super::{Input, Outcome, Progress, StreamError};

/// Chunks and results queued per worker.
const QUEUE: usize = 4;
/// How often a waiting collector is given a [`Collect::tick`].
const TICK: Duration = Duration::from_millis(100);

/// A chunk of one input as a worker gets it.
#[derive(Debug)]
pub struct Batch<T> {
    /// Position of the chunk among all chunks of the run (0-based), in input order.
    pub seq: u64,
    /// Index of the input it comes from.
    pub input: usize,
    /// What the reader thread decided about the chunk ([`Job::tag`]).
    pub tag: T,
    /// The lines.
    pub chunk: Chunk,
}

/// The work done on each chunk.
pub trait Job: Send + Sync + 'static {
    /// What the reader thread attaches to each chunk, in input order (e.g. its format).
    type Tag: Copy + Send + 'static;
    /// Per-worker state (parsers and their caches).
    type Worker;
    /// What one chunk gives.
    type Output: Send + 'static;

    /// On the reader thread, in input order: the tag of `chunk`. `state` starts as `None` for
    /// each input and is kept between its chunks.
    fn tag(&self, state: &mut Option<Self::Tag>, chunk: &Chunk) -> Self::Tag;

    /// A worker's state, made on the worker's thread.
    fn worker(&self) -> Self::Worker;

    /// Processes one chunk.
    fn process(&self, worker: &mut Self::Worker, batch: &Batch<Self::Tag>) -> Self::Output;

    /// The run ends before every chunk was processed (the output failed or closed, or a
    /// stop): release any worker waiting for another.
    fn cancel(&self) {}
}

/// Receives the outputs of a [`Job`], in input order, on the calling thread.
pub trait Collect<O> {
    /// The output of the next chunk of input `input`. An error ends the run (a broken pipe
    /// as [`Outcome::OutputClosed`]).
    fn collect(&mut self, input: usize, output: O) -> io::Result<()>;

    /// No output is waiting: a moment to flush what was collected.
    fn pause(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called every 100 ms or so while no output arrives.
    fn tick(&mut self) {}
}

/// Buffers handed back for reuse, so that steady-state reading neither allocates nor
/// faults in fresh pages.
#[derive(Debug, Default)]
pub struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// Most buffers kept; the queues never hold more than a few per worker.
    const MAX: usize = 16;

    /// A buffer, empty.
    pub fn take(&self) -> Vec<u8> {
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        pool.pop().unwrap_or_default()
    }

    /// Keeps `buf` for a later [`take`](Self::take).
    pub fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        let mut pool = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < Self::MAX {
            pool.push(buf);
        }
    }
}

/// How a run reads.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Worker threads (at least one is used).
    pub threads: usize,
    /// Longest accepted line in bytes; longer lines are skipped and reported.
    pub max_line: usize,
    /// Bytes read per chunk.
    pub chunk_bytes: usize,
}

/// Runs `job` over `inputs` on `settings.threads` workers and hands the outputs to
/// `collect` in input order.
///
/// `stop` is checked between reads; once raised, the run ends after collecting what was
/// read. Threads blocked in a read of an idle pipe are then left behind; they end with the
/// process.
pub fn run<J: Job>(
    job: &Arc<J>,
    inputs: Vec<Input>,
    collect: &mut impl Collect<J::Output>,
    settings: &RunSettings,
    stop: &Arc<AtomicBool>,
    progress: &Arc<Progress>,
) -> Result<Outcome, StreamError> {
    let threads = settings.threads.max(1);
    let pool = Arc::new(BufferPool::default());
    let mut to_workers = Vec::with_capacity(threads);
    let mut from_workers = Vec::with_capacity(threads);
    let mut handles = Vec::with_capacity(threads);
    for _ in 0..threads {
        let (batch_tx, batch_rx) = sync_channel::<Batch<J::Tag>>(QUEUE);
        let (result_tx, result_rx) = sync_channel::<(usize, J::Output)>(QUEUE);
        let (job, pool) = (job.clone(), pool.clone());
        handles.push(spawn("anonlog-worker", move || {
            let mut worker = job.worker();
            while let Ok(batch) = batch_rx.recv() {
                let output = job.process(&mut worker, &batch);
                pool.give(batch.chunk.data);
                if result_tx.send((batch.input, output)).is_err() {
                    break;
                }
            }
            Ok(())
        })?);
        to_workers.push(batch_tx);
        from_workers.push(result_rx);
    }
    let reader = {
        let (job, stop, progress) = (job.clone(), stop.clone(), progress.clone());
        let settings = settings.clone();
        spawn("anonlog-reader", move || {
            read_all(
                &*job,
                inputs,
                &to_workers,
                &settings,
                &stop,
                &progress,
                &pool,
            )
        })?
    };
    let outcome = collect_all(&from_workers, collect, stop);
    if !matches!(outcome, Ok(Outcome::Finished)) {
        job.cancel();
    }
    let outcome = outcome?;
    if let Outcome::Finished = outcome {
        reader.join().unwrap_or_else(|_| Err(panicked("reader")))?;
        for handle in handles {
            handle.join().unwrap_or_else(|_| Err(panicked("worker")))?;
        }
    }
    Ok(outcome)
}

fn spawn(
    name: &str,
    f: impl FnOnce() -> Result<(), StreamError> + Send + 'static,
) -> Result<thread::JoinHandle<Result<(), StreamError>>, StreamError> {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .map_err(|source| StreamError::Thread { source })
}

fn panicked(what: &str) -> StreamError {
    StreamError::Thread {
        source: io::Error::other(format!("the {what} thread panicked")),
    }
}

/// Reads every input in turn and deals its chunks to the workers.
fn read_all<J: Job>(
    job: &J,
    inputs: Vec<Input>,
    workers: &[SyncSender<Batch<J::Tag>>],
    settings: &RunSettings,
    stop: &AtomicBool,
    progress: &Progress,
    pool: &BufferPool,
) -> Result<(), StreamError> {
    let mut seq = 0u64;
    let mut worker = 0usize;
    for (index, input) in inputs.into_iter().enumerate() {
        let Input { name, reader, .. } = input;
        let mut lines = LineReader::new(reader, settings.max_line);
        let mut state = None;
        let mut counted = 0;
        while !stop.load(Ordering::Relaxed) {
            let next = lines.next_chunk(pool.take(), settings.chunk_bytes, stop);
            progress
                .bytes_read
                .fetch_add(lines.bytes_read() - counted, Ordering::Relaxed);
            counted = lines.bytes_read();
            let chunk = match next {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(source) => return Err(StreamError::Read { name, source }),
            };
            let batch = Batch {
                seq,
                input: index,
                tag: job.tag(&mut state, &chunk),
                chunk,
            };
            seq += 1;
            let to = &workers[worker % workers.len()];
            worker += 1;
            if to.send(batch).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Collects results in round-robin order; pauses the collector whenever no result is
/// waiting, so that a stream from a live server shows up promptly.
fn collect_all<O>(
    workers: &[Receiver<(usize, O)>],
    collect: &mut impl Collect<O>,
    stop: &AtomicBool,
) -> Result<Outcome, StreamError> {
    let mut next = 0usize;
    let mut paused = true;
    loop {
        let worker = &workers[next % workers.len()];
        let (input, output) = match worker.try_recv() {
            Ok(result) => result,
            Err(_) => {
                if !paused {
                    if let Err(e) = collect.pause() {
                        return write_failed(e);
                    }
                    paused = true;
                }
                match worker.recv_timeout(TICK) {
                    Ok(result) => result,
                    Err(RecvTimeoutError::Timeout) => {
                        collect.tick();
                        // Workers finish a chunk in milliseconds; after a stop, a silent
                        // worker means the reader is blocked on input that is not coming.
                        if stop.load(Ordering::Relaxed) {
                            return Ok(Outcome::Stopped);
                        }
                        continue;
                    }
                    // Every worker hung up: the reader is done.
                    Err(RecvTimeoutError::Disconnected) => {
                        if let Err(e) = collect.pause() {
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
        paused = false;
        if let Err(e) = collect.collect(input, output) {
            return write_failed(e);
        }
    }
}

/// A broken pipe ends the run quietly; any other write error fails it.
fn write_failed(e: io::Error) -> Result<Outcome, StreamError> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(Outcome::OutputClosed)
    } else {
        Err(StreamError::Write(e))
    }
}
