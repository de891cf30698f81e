//! A request's record between its arrival and the end of its response.

use std::time::{Duration, Instant};

use crate::record::{AnonRecord, Outcome};
use std::sync::Arc;

use super::log_layer::Shared;

/// Holds the anonymized request side until the response is over; sends the record exactly
/// once: when finished, or when dropped unfinished (then as aborted).
#[derive(Debug)]
pub(crate) struct Pending {
    record: Option<AnonRecord>,
    shared: Arc<Shared>,
    start: Instant,
    status: Option<u16>,
    time_to_head: Option<Duration>,
    bytes: u64,
}

impl Pending {
    pub(crate) fn new(record: AnonRecord, shared: Arc<Shared>, start: Instant) -> Self {
        Self {
            record: Some(record),
            shared,
            start,
            status: None,
            time_to_head: None,
            bytes: 0,
        }
    }

    pub(crate) fn head(&mut self, status: u16) {
        self.status = Some(status);
        self.time_to_head = Some(self.start.elapsed());
    }

    pub(crate) fn add_bytes(&mut self, n: usize) {
        self.bytes = self.bytes.saturating_add(n as u64);
    }

    /// Sends the record with `outcome`; later calls and the drop do nothing.
    pub(crate) fn finish(&mut self, outcome: Outcome) {
        if let Some(mut record) = self.record.take() {
            record.set_response(
                self.status,
                self.bytes,
                self.time_to_head,
                self.start.elapsed(),
                outcome,
            );
            self.shared.sink.send(record);
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.finish(Outcome::Aborted);
    }
}
