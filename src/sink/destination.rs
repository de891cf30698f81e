//! Where the writer thread puts records.

use std::fmt;
use std::io::{self, Write};

use crate::format::OutputFormat;
use crate::record::AnonRecord;
use crate::time::Timestamp;

/// A place records are written to, used only by the writer thread.
pub trait Destination: Send + 'static {
    /// Writes a batch of records, in order, as whole lines.
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()>;

    /// Reports, as a record of its own, that `count` records were dropped because the
    /// queue was full.
    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()>;

    /// Flushes buffered output.
    fn flush(&mut self) -> io::Result<()>;

    /// Housekeeping, called many times a second: rotation, reopening, periodic sync.
    fn tick(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Called once when the sink shuts down: flush and make durable what the destination's
    /// policy promises. Flushes by default.
    fn close(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// Encodes a batch into `buf` (cleared first).
pub(super) fn encode_batch(format: OutputFormat, batch: &[AnonRecord], buf: &mut Vec<u8>) {
    buf.clear();
    for record in batch {
        format.encode(record, buf);
    }
}

/// The in-band drop report: a JSON record with `"event":"dropped"`, or a `#` comment line
/// in CLF (analyzers skip or count it as invalid; it never looks like a request).
pub(super) fn encode_dropped(format: OutputFormat, time: Timestamp, count: u64, buf: &mut Vec<u8>) {
    buf.clear();
    let line = match format {
        OutputFormat::Json => {
            format!("{{\"time\":\"{time}\",\"event\":\"dropped\",\"dropped\":{count}}}\n")
        }
        OutputFormat::Combined | OutputFormat::Common => {
            format!("# anonlog {time} dropped {count} records: queue full\n")
        }
    };
    buf.extend_from_slice(line.as_bytes());
}

/// Writes lines to any [`Write`]r, such as standard output.
pub struct WriterSink<W> {
    writer: W,
    format: OutputFormat,
    buf: Vec<u8>,
}

impl<W> fmt::Debug for WriterSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriterSink")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Send + 'static> WriterSink<W> {
    /// Writes `format` lines to `writer`.
    pub fn new(writer: W, format: OutputFormat) -> Self {
        Self {
            writer,
            format,
            buf: Vec::new(),
        }
    }
}

impl WriterSink<io::Stdout> {
    /// JSON lines on standard output.
    pub fn stdout() -> Self {
        Self::new(io::stdout(), OutputFormat::Json)
    }
}

impl<W: Write + Send + 'static> Destination for WriterSink<W> {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        encode_batch(self.format, batch, &mut self.buf);
        self.writer.write_all(&self.buf)
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        encode_dropped(self.format, time, count, &mut self.buf);
        self.writer.write_all(&self.buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Destination for Box<dyn Destination> {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        (**self).write(batch)
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        (**self).write_dropped(time, count)
    }

    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }

    fn tick(&mut self) -> io::Result<()> {
        (**self).tick()
    }

    fn close(&mut self) -> io::Result<()> {
        (**self).close()
    }
}
