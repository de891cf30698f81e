//! The byte-bounded queue between requests and the writer thread.
//!
//! A request only takes a lock and pushes: the writer is not woken for every record but
//! drains the queue every [`BATCH_INTERVAL`], or at once when the queue is half full, so a
//! busy server pays no system call per request.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::destination::Destination;
use super::{Counters, OnFull};
use crate::record::AnonRecord;
use crate::time::Timestamp;

/// How long records may wait in the queue before the writer takes them.
const BATCH_INTERVAL: Duration = Duration::from_millis(10);
/// How long a blocked request waits before it checks the queue again.
const BLOCK_RECHECK: Duration = Duration::from_millis(100);

#[derive(Debug)]
pub(super) struct Queue {
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    records: VecDeque<AnonRecord>,
    bytes: usize,
    /// Records taken in since the start.
    accepted: u64,
    /// Records dropped since the start.
    dropped: u64,
    /// Drops not yet reported in-band.
    unreported: u64,
    /// Requests waiting for room ([`OnFull::Block`]).
    blocked: usize,
    /// Whether the writer sleeps and wants to be woken early.
    writer_asleep: bool,
    closed: bool,
    /// Written records, kept for reuse so that a busy server allocates no record memory
    /// per request (and never frees on one thread what another allocated).
    spare: Vec<AnonRecord>,
}

/// Most written records kept for reuse.
const MAX_SPARE: usize = 4096;

impl Queue {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Accepted and dropped records so far, and the bytes queued now.
    pub(super) fn counts(&self) -> (u64, u64, usize) {
        let state = self.lock();
        (state.accepted, state.dropped, state.bytes)
    }

    /// A written record for reuse (its fields are all overwritten by the anonymizer), or a
    /// new empty one.
    pub(super) fn spare(&self) -> AnonRecord {
        self.lock().spare.pop().unwrap_or_else(AnonRecord::empty)
    }

    /// Queues a record, or counts it as dropped.
    pub(super) fn push(&self, record: AnonRecord, on_full: OnFull) {
        let size = record.approx_size();
        let mut state = self.lock();
        loop {
            if state.closed {
                state.dropped += 1;
                state.unreported += 1;
                return;
            }
            // A record larger than the whole queue still goes in when the queue is empty.
            if state.bytes + size <= self.capacity || state.records.is_empty() {
                break;
            }
            match on_full {
                OnFull::Drop => {
                    state.dropped += 1;
                    state.unreported += 1;
                    self.wake_writer(&mut state);
                    return;
                }
                OnFull::Block => {
                    self.wake_writer(&mut state);
                    state = self.wait_for_room(state);
                }
            }
        }
        state.bytes += size;
        state.accepted += 1;
        state.records.push_back(record);
        if state.bytes >= self.capacity / 2 {
            self.wake_writer(&mut state);
        }
    }

    fn wake_writer(&self, state: &mut State) {
        if state.writer_asleep {
            state.writer_asleep = false;
            self.not_empty.notify_one();
        }
    }

    /// Waits until the writer frees room. A worker of a multi-threaded Tokio runtime first
    /// hands its other tasks to the runtime, so only this request waits.
    fn wait_for_room<'a>(&'a self, mut state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        let on_tokio_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        state.blocked += 1;
        let mut state = if on_tokio_worker {
            drop(state);
            tokio::task::block_in_place(|| {
                let state = self.lock();
                drop(
                    self.not_full
                        .wait_timeout(state, BLOCK_RECHECK)
                        .unwrap_or_else(|e| e.into_inner()),
                );
            });
            self.lock()
        } else {
            self.not_full
                .wait_timeout(state, BLOCK_RECHECK)
                .unwrap_or_else(|e| e.into_inner())
                .0
        };
        state.blocked -= 1;
        state
    }

    /// Refuses further records and wakes the writer to drain the queue.
    pub(super) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.writer_asleep = false;
        drop(state);
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

/// The writer thread: takes everything queued, reports drops, writes, flushes when idle.
pub(super) fn run_writer(queue: &Queue, counters: &Counters, mut destination: impl Destination) {
    let mut batch: Vec<AnonRecord> = Vec::new();
    loop {
        let (unreported, closed) = {
            let mut state = queue.lock();
            if !state.closed && state.bytes < queue.capacity / 2 {
                state.writer_asleep = true;
                state = queue
                    .not_empty
                    .wait_timeout(state, BATCH_INTERVAL)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                state.writer_asleep = false;
            }
            batch.extend(state.records.drain(..));
            state.bytes = 0;
            if state.blocked > 0 {
                queue.not_full.notify_all();
            }
            (std::mem::take(&mut state.unreported), state.closed)
        };
        let error = |counters: &Counters| counters.io_errors.fetch_add(1, Ordering::Relaxed);
        if destination.tick().is_err() {
            error(counters);
        }
        if unreported > 0
            && destination
                .write_dropped(Timestamp::now(), unreported)
                .is_err()
        {
            error(counters);
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            if destination.write(&batch).is_ok() {
                counters.written.fetch_add(n, Ordering::Relaxed);
            } else {
                error(counters);
                counters.failed.fetch_add(n, Ordering::Relaxed);
            }
            let mut state = queue.lock();
            let room = MAX_SPARE.saturating_sub(state.spare.len());
            state.spare.extend(batch.drain(..).take(room));
            drop(state);
            batch.clear();
            // Flushed after every batch: records never wait longer than a batch interval.
            if destination.flush().is_err() {
                error(counters);
            }
        }
        if closed && queue.lock().records.is_empty() {
            if destination.close().is_err() {
                error(counters);
            }
            return;
        }
    }
}
