//! The byte-bounded queue between requests and the writer thread.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::destination::Destination;
use super::{Counters, OnFull};
use crate::record::AnonRecord;
use crate::time::Timestamp;

/// The writer wakes at least this often for housekeeping (rotation, reopening).
const TICK: Duration = Duration::from_millis(500);

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
    /// Drops not yet reported in-band.
    dropped: u64,
    closed: bool,
}

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

    pub(super) fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Queues a record; returns whether it was accepted (else it was dropped).
    pub(super) fn push(&self, record: AnonRecord, on_full: OnFull) -> bool {
        let size = record.approx_size();
        let mut state = self.lock();
        loop {
            if state.closed {
                state.dropped += 1;
                return false;
            }
            // A record larger than the whole queue still goes in when the queue is empty.
            if state.bytes + size <= self.capacity || state.records.is_empty() {
                break;
            }
            match on_full {
                OnFull::Drop => {
                    state.dropped += 1;
                    self.not_empty.notify_one();
                    return false;
                }
                OnFull::Block => state = self.wait_for_room(state),
            }
        }
        state.bytes += size;
        state.records.push_back(record);
        drop(state);
        self.not_empty.notify_one();
        true
    }

    /// Waits until the writer frees room. A worker of a multi-threaded Tokio runtime first
    /// hands its other tasks to the runtime, so only this request waits.
    fn wait_for_room<'a>(&'a self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        let on_tokio_worker = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if on_tokio_worker {
            drop(state);
            tokio::task::block_in_place(|| {
                let state = self.lock();
                drop(
                    self.not_full
                        .wait_timeout(state, TICK)
                        .unwrap_or_else(|e| e.into_inner()),
                );
            });
            self.lock()
        } else {
            self.not_full
                .wait_timeout(state, TICK)
                .unwrap_or_else(|e| e.into_inner())
                .0
        }
    }

    /// Refuses further records and wakes the writer to drain the queue.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

/// The writer thread: takes everything queued, reports drops, writes, flushes when idle.
pub(super) fn run_writer(queue: &Queue, counters: &Counters, mut destination: impl Destination) {
    let mut batch: Vec<AnonRecord> = Vec::new();
    loop {
        let (dropped, closed) = {
            let mut state = queue.lock();
            if state.records.is_empty() && state.dropped == 0 && !state.closed {
                state = queue
                    .not_empty
                    .wait_timeout(state, TICK)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            batch.extend(state.records.drain(..));
            state.bytes = 0;
            let dropped = std::mem::take(&mut state.dropped);
            (dropped, state.closed)
        };
        queue.not_full.notify_all();
        if let Err(_e) = destination.tick() {
            counters.io_errors.fetch_add(1, Ordering::Relaxed);
        }
        if dropped > 0
            && destination
                .write_dropped(Timestamp::now(), dropped)
                .is_err()
        {
            counters.io_errors.fetch_add(1, Ordering::Relaxed);
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            match destination.write(&batch) {
                Ok(()) => counters.written.fetch_add(n, Ordering::Relaxed),
                Err(_) => {
                    counters.io_errors.fetch_add(1, Ordering::Relaxed);
                    counters.failed.fetch_add(n, Ordering::Relaxed)
                }
            };
            batch.clear();
        }
        // Flush whenever the queue has run dry, so idle periods never hold records back.
        if queue.lock().records.is_empty() && destination.flush().is_err() {
            counters.io_errors.fetch_add(1, Ordering::Relaxed);
        }
        if closed && queue.lock().records.is_empty() {
            let _ = destination.flush();
            return;
        }
    }
}
