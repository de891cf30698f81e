//! The queue between the receivers and the pipeline, bounded in bytes, and the one place
//! where received records are counted: every record counted as received is, in the end,
//! written, rejected, not syslog or dropped, and which of them is counted here or by the
//! pipeline.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::message;

/// Bytes a queued record costs besides its text (its buffer and the queue's slot).
const RECORD_OVERHEAD: usize = 64;

/// What a receiver does when the queue is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OnFull {
    /// Drop the record and count it (datagrams: the sender cannot be slowed down).
    Drop,
    /// Wait for room (streams: TCP flow control then slows the sender down).
    Wait,
}

/// What the receivers counted, at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiverCounts {
    /// Syslog records received (read from a socket while the receiver was open).
    pub received: u64,
    /// Records that were not syslog, carried no message, or were cut off (never passed on).
    pub not_syslog: u64,
    /// Records dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Records dropped at shutdown: still queued when the drain deadline passed, or read
    /// by a stream receiver while the queue closed.
    pub dropped_shutdown: u64,
    /// Records passed on and not yet taken by the pipeline.
    pub queued: u64,
}

/// The queue of received lines, bounded in bytes. Shared by the receivers (which offer)
/// and the [`SyslogInput`] (which takes).
#[derive(Debug)]
pub struct Queue {
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    lines: VecDeque<Vec<u8>>,
    bytes: usize,
    counts: ReceiverCounts,
    /// Stream receivers waiting for room with a record counted as received.
    waiting: u64,
    closed: bool,
}

impl Queue {
    /// A queue holding at most `capacity` bytes (and always at least one record).
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

    /// The counts so far.
    pub fn counts(&self) -> ReceiverCounts {
        let state = self.lock();
        ReceiverCounts {
            queued: state.lines.len() as u64,
            ..state.counts
        }
    }

    /// Counts one received record and passes its message on as a line, or counts why not.
    /// Returns `false` once the queue is closed: the record was not received.
    pub(super) fn offer(&self, record: &[u8], on_full: OnFull) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        state.counts.received += 1;
        let Some(line) = line_of(record) else {
            state.counts.not_syslog += 1;
            return true;
        };
        let cost = line.len() + RECORD_OVERHEAD;
        while state.bytes + cost > self.capacity && !state.lines.is_empty() {
            if on_full == OnFull::Drop {
                state.counts.dropped_queue_full += 1;
                return true;
            }
            state.waiting += 1;
            state = self.not_full.wait(state).unwrap_or_else(|e| e.into_inner());
            state.waiting -= 1;
            if state.closed {
                // Counted as dropped by `close`.
                return false;
            }
        }
        state.bytes += cost;
        state.lines.push_back(line);
        self.not_empty.notify_one();
        true
    }

    /// Counts a record cut off by the end of its connection (received, not syslog).
    pub(super) fn cut_off(&self) {
        let mut state = self.lock();
        if !state.closed {
            state.counts.received += 1;
            state.counts.not_syslog += 1;
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub(super) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Stops receiving: from now on nothing more is counted as received; the
    /// [`SyslogInput`] ends once the queue is empty. Records that stream receivers had read
    /// but could not queue yet are counted as dropped.
    pub fn close(&self) {
        let mut state = self.lock();
        if !state.closed {
            state.closed = true;
            state.counts.dropped_shutdown += state.waiting;
        }
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }

    /// Closes and empties the queue, counting what it held as dropped (the drain deadline
    /// passed).
    pub fn abandon(&self) {
        self.close();
        let mut state = self.lock();
        state.counts.dropped_shutdown += state.lines.len() as u64;
        state.lines.clear();
        state.bytes = 0;
    }
}

/// The message of `record` as one line to pass on, or `None` when it is not syslog, has no
/// message, or would not be one line.
fn line_of(record: &[u8]) -> Option<Vec<u8>> {
    let msg = message(record)?;
    if msg.contains(&b'\n') || msg.trim_ascii().is_empty() {
        return None;
    }
    let mut line = Vec::with_capacity(msg.len() + 1);
    line.extend_from_slice(msg);
    line.push(b'\n');
    Some(line)
}

/// The received messages as one stream of lines, to feed the pipeline; it ends when the
/// queue is closed and empty.
#[derive(Debug)]
pub struct SyslogInput {
    queue: Arc<Queue>,
    pending: Vec<u8>,
    pos: usize,
}

impl SyslogInput {
    pub(super) fn new(queue: Arc<Queue>) -> Self {
        Self {
            queue,
            pending: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for SyslogInput {
    /// Waits for at least one message, then hands over as many whole ones as fit.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            let queue = &*self.queue;
            let mut state = queue.lock();
            while state.lines.is_empty() {
                if state.closed {
                    return Ok(0);
                }
                state = queue
                    .not_empty
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
            }
            while let Some(line) = state.lines.front() {
                if !self.pending.is_empty() && self.pending.len() + line.len() > buf.len() {
                    break;
                }
                let line = state.lines.pop_front().unwrap_or_default();
                state.bytes -= line.len() + RECORD_OVERHEAD;
                self.pending.extend_from_slice(&line);
            }
            queue.not_full.notify_all();
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &[u8] = b"<13>Nov 24 10:00:00 h t: 192.0.2.1 - - x";

    #[test]
    fn bounded_in_bytes_and_every_record_counted_once() {
        let queue = Arc::new(Queue::new(3 * (RECORD.len() + RECORD_OVERHEAD)));
        for _ in 0..10 {
            assert!(queue.offer(RECORD, OnFull::Drop));
        }
        assert!(queue.offer(b"not syslog", OnFull::Drop));
        assert!(queue.offer(b"<13>Nov 24 10:00:00 h t:  ", OnFull::Drop));
        let counts = queue.counts();
        assert_eq!(counts.received, 12);
        assert_eq!(counts.not_syslog, 2);
        assert_eq!(counts.queued, 3);
        assert_eq!(counts.dropped_queue_full, 7);
        let mut input = SyslogInput::new(queue.clone());
        let mut buf = vec![0u8; 1 << 16];
        let n = input.read(&mut buf).expect("read");
        assert_eq!(buf[..n].iter().filter(|&&b| b == b'\n').count(), 3);
        queue.offer(RECORD, OnFull::Wait);
        queue.abandon();
        assert!(!queue.offer(RECORD, OnFull::Drop), "closed");
        assert_eq!(input.read(&mut buf).expect("end"), 0);
        let counts = queue.counts();
        assert_eq!((counts.received, counts.dropped_shutdown), (13, 1));
    }

    #[test]
    fn a_waiting_stream_record_is_counted_as_dropped_at_close() {
        let queue = Arc::new(Queue::new(1));
        assert!(queue.offer(RECORD, OnFull::Wait));
        let waiter = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.offer(RECORD, OnFull::Wait))
        };
        while queue.lock().waiting == 0 {
            std::thread::yield_now();
        }
        queue.close();
        assert!(!waiter.join().expect("waiter"));
        let counts = queue.counts();
        assert_eq!(
            (counts.received, counts.dropped_shutdown, counts.queued),
            (2, 1, 1)
        );
    }
}
