//! A log file destination: records encoded as lines into a [`LogFile`].

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::destination::{Destination, encode_batch, encode_dropped};
use crate::format::OutputFormat;
use crate::logfile::{Fsync, LogFile};
use crate::record::AnonRecord;
use crate::time::Timestamp;

/// Appends records to a file, rotating and pruning it as configured (see [`LogFile`]).
///
/// With [`reopen_on_sighup`](Self::reopen_on_sighup) (the default) a SIGHUP makes the sink
/// reopen the path, so external tools such as logrotate can rename the file and signal the
/// process.
///
/// ```no_run
/// use anonlog::sink::FileSink;
/// use std::time::Duration;
/// let sink = FileSink::daily("/var/log/myapp/access")
///     .max_bytes(512 << 20)
///     .keep(30)
///     .max_age(Duration::from_secs(30 * 86_400));
/// ```
#[derive(Debug)]
pub struct FileSink {
    file: LogFile,
    format: OutputFormat,
    buf: Vec<u8>,
}

impl FileSink {
    /// Appends JSON lines to `path`, without rotation.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            file: LogFile::new(path),
            format: OutputFormat::Json,
            buf: Vec::new(),
        }
    }

    /// Appends JSON lines to `{base}.log`, rotated at each UTC midnight.
    pub fn daily(base: impl AsRef<Path>) -> Self {
        let mut path = base.as_ref().as_os_str().to_owned();
        path.push(".log");
        let mut sink = Self::new(path);
        sink.file = sink.file.daily(true);
        sink
    }

    /// The output format (default JSON lines).
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.format = format;
        self
    }

    /// Rotates when the file reaches `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.file = self.file.max_bytes(bytes);
        self
    }

    /// Keeps at most `count` rotated files, deleting the oldest.
    pub fn keep(mut self, count: usize) -> Self {
        self.file = self.file.keep(count);
        self
    }

    /// Deletes rotated files older than `age`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.file = self.file.max_age(age);
        self
    }

    /// When records are forced to stable storage (default: at most once a second).
    pub fn fsync(mut self, policy: Fsync) -> Self {
        self.file = self.file.fsync(policy);
        self
    }

    /// Permission bits of created files (default 0640).
    pub fn mode(mut self, mode: u32) -> Self {
        self.file = self.file.mode(mode);
        self
    }

    /// Whether SIGHUP makes the sink reopen its path (default on, Unix only). Enabling it
    /// installs a SIGHUP handler, which replaces SIGHUP's default action of ending the
    /// process.
    pub fn reopen_on_sighup(mut self, enabled: bool) -> Self {
        self.file = self.file.reopen_on_sighup(enabled);
        self
    }

    /// The active file's path.
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

impl Destination for FileSink {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        encode_batch(self.format, batch, &mut self.buf);
        self.file.append(&self.buf)
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        encode_dropped(self.format, time, count, &mut self.buf);
        self.file.append(&self.buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn close(&mut self) -> io::Result<()> {
        self.file.close()
    }

    fn tick(&mut self) -> io::Result<()> {
        self.file.tick()
    }
}
