//! The streaming engine: one bounded line reader, one order-preserving parallel runner,
//! and the jobs and inputs that run on them.
//!
//! - [`reader`]: cuts any byte stream into numbered chunks of whole lines, skipping and
//!   reporting lines over the limit.
//! - [`runner`]: deals chunks to workers on all cores and collects results in input order.
//! - [`anonymize`]: the job of `anonlog anonymize` and `anonlog serve`: parse, anonymize,
//!   encode; reject reports by line number.
//! - [`syslog`]: syslog reception (UDP, TCP) as one more input.
//!
//! `anonlog check` runs its audit as another job on the same runner.

pub mod anonymize;
mod day_order;
pub mod reader;
pub mod runner;
pub mod syslog;

use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::AtomicU64;

/// Bytes read per chunk.
pub const CHUNK_BYTES: usize = 1 << 20;
/// Default longest accepted line.
pub const DEFAULT_MAX_LINE: usize = 1 << 20;

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

/// Progress counters, readable while a run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes read.
    pub bytes_read: AtomicU64,
    /// Lines processed (written or rejected).
    pub lines: AtomicU64,
    /// Lines rejected.
    pub rejected: AtomicU64,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All input was read.
    Finished,
    /// The stop flag was raised (a signal); everything read before was handled.
    Stopped,
    /// The output was closed by its reader (a broken pipe).
    OutputClosed,
}

/// A failure that ends a run.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
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
