//! The one line reader: cuts any byte stream into numbered chunks of whole lines, with a
//! bound on the length of a line.
//!
//! Each read fills a buffer of up to `chunk_bytes`; the data up to its last line break
//! becomes a [`Chunk`], the rest waits for the next read. A chunk is handed over as soon as
//! a read returns, so a live stream (a pipe, a syslog receiver) is processed as it comes.
//! A line longer than the limit is skipped while it is read, whatever its length, and
//! reported by its line number: memory stays bounded by the chunk size plus the limit.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whole lines of one input, with the number of the first one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    /// The line number (1-based) of the first line in `data`.
    pub first_line: u64,
    /// Whole lines, each ending in `\n`. An oversized line inside is left as an empty
    /// line, so that the numbers of the lines after it stay right.
    pub data: Vec<u8>,
    /// The numbers of the oversized lines skipped since the previous chunk, ascending.
    pub oversized: Vec<u64>,
}

impl Chunk {
    /// The lines of `data` with their numbers, without line breaks or a trailing `\r`.
    pub fn lines(&self) -> impl Iterator<Item = (u64, &[u8])> {
        let data = self.data.strip_suffix(b"\n").unwrap_or(&self.data);
        let lines = (!self.data.is_empty())
            .then(|| data.split(|&b| b == b'\n'))
            .into_iter()
            .flatten();
        (self.first_line..).zip(lines.map(|l| l.strip_suffix(b"\r").unwrap_or(l)))
    }
}

/// Reads one input as [`Chunk`]s.
#[derive(Debug)]
pub struct LineReader<R> {
    reader: R,
    max_line: usize,
    /// The number of the first line not yet handed out.
    line: u64,
    /// An incomplete last line, kept for the next read.
    carry: Vec<u8>,
    /// Set while discarding an oversized line: its line number.
    skipping: Option<u64>,
    /// Oversized lines not yet handed out.
    oversized: Vec<u64>,
    /// Where the bytes of an oversized line are read.
    scratch: Vec<u8>,
    eof: bool,
    bytes_read: u64,
}

impl<R: Read> LineReader<R> {
    /// A reader of lines of at most `max_line` bytes (without the line break).
    pub fn new(reader: R, max_line: usize) -> Self {
        Self {
            reader,
            max_line,
            line: 1,
            carry: Vec::new(),
            skipping: None,
            oversized: Vec::new(),
            scratch: Vec::new(),
            eof: false,
            bytes_read: 0,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next chunk, read into `buf` (cleared first) with reads of up to `chunk_bytes`;
    /// `None` at the end of the input, or when `stop` is raised while a read is interrupted
    /// by a signal. A last line without a line break is a line.
    pub fn next_chunk(
        &mut self,
        mut buf: Vec<u8>,
        chunk_bytes: usize,
        stop: &AtomicBool,
    ) -> io::Result<Option<Chunk>> {
        loop {
            if self.eof {
                return Ok(None);
            }
            buf.clear();
            buf.append(&mut self.carry);
            let read = if self.skipping.is_some() {
                // Bytes of an oversized line are read into a buffer made once, not into a
                // chunk buffer grown and zeroed again for every read of a long line.
                self.scratch.resize(chunk_bytes.max(1), 0);
                let read = read_some(&mut self.reader, &mut self.scratch, stop)?;
                if let Some(n) = read {
                    buf.extend_from_slice(&self.scratch[..n]);
                }
                read
            } else {
                let start = buf.len();
                buf.resize(start + chunk_bytes.max(1), 0);
                let read = read_some(&mut self.reader, &mut buf[start..], stop)?;
                buf.truncate(start + read.unwrap_or(0));
                read
            };
            let Some(n) = read else {
                self.eof = true;
                return Ok(None);
            };
            self.bytes_read += n as u64;
            if n == 0 {
                self.eof = true;
                if let Some(line_no) = self.skipping.take() {
                    self.oversized.push(line_no);
                    self.line += 1;
                }
                if !buf.is_empty() {
                    buf.push(b'\n');
                }
                return Ok(match self.cut(buf) {
                    Some(chunk) => Some(chunk),
                    None if self.oversized.is_empty() => None,
                    None => Some(self.chunk(Vec::new(), 0)),
                });
            }
            if let Some(chunk) = self.cut(buf) {
                return Ok(Some(chunk));
            }
            buf = Vec::new();
        }
    }

    /// Splits freshly read data at its last line break into a chunk and a carry.
    fn cut(&mut self, mut buf: Vec<u8>) -> Option<Chunk> {
        if let Some(line_no) = self.skipping {
            let i = memchr::memchr(b'\n', &buf)?;
            self.oversized.push(line_no);
            self.skipping = None;
            self.line += 1;
            buf.drain(..=i);
        }
        let Some(last) = memchr::memrchr(b'\n', &buf) else {
            if buf.len() > self.max_line {
                self.skipping = Some(self.line);
            } else {
                self.carry = buf;
            }
            return None;
        };
        self.carry = buf.split_off(last + 1);
        let lines = memchr::memchr_iter(b'\n', &buf).count() as u64;
        if self.carry.len() > self.max_line {
            self.carry.clear();
            self.skipping = Some(self.line + lines);
        }
        // Oversized lines within the chunk itself (only when the line limit is below the
        // chunk size) are blanked out, keeping the line numbers of the others.
        let mut dropped = Vec::new();
        let mut start = 0;
        for (line, end) in (self.line..).zip(memchr::memchr_iter(b'\n', &buf)) {
            if end - start > self.max_line {
                dropped.push(line);
            }
            start = end + 1;
        }
        let data = if dropped.is_empty() {
            buf
        } else {
            let mut kept = Vec::with_capacity(buf.len());
            for l in buf.split_inclusive(|&b| b == b'\n') {
                if l.len() > self.max_line + 1 {
                    kept.push(b'\n');
                } else {
                    kept.extend_from_slice(l);
                }
            }
            kept
        };
        let mut chunk = self.chunk(data, lines);
        chunk.oversized.extend(dropped);
        Some(chunk)
    }

    fn chunk(&mut self, data: Vec<u8>, lines: u64) -> Chunk {
        let chunk = Chunk {
            first_line: self.line,
            data,
            oversized: std::mem::take(&mut self.oversized),
        };
        self.line += lines;
        chunk
    }
}

/// One read, retried when a signal interrupts it; `None` when `stop` was raised meanwhile.
fn read_some(
    reader: &mut impl Read,
    buf: &mut [u8],
    stop: &AtomicBool,
) -> io::Result<Option<usize>> {
    loop {
        match reader.read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hands out its data in reads of the given sizes, in turn.
    struct Chopped {
        data: Vec<u8>,
        pos: usize,
        sizes: Vec<usize>,
        next: usize,
    }

    impl Read for Chopped {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.next % self.sizes.len()].max(1);
            self.next += 1;
            let n = size.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    /// Every line with its number, and the oversized line numbers, as the reader reports them.
    fn read_all(
        data: &[u8],
        sizes: Vec<usize>,
        chunk_bytes: usize,
        max_line: usize,
    ) -> (Vec<(u64, Vec<u8>)>, Vec<u64>) {
        let reader = Chopped {
            data: data.to_vec(),
            pos: 0,
            sizes,
            next: 0,
        };
        let mut lines = LineReader::new(reader, max_line);
        let stop = AtomicBool::new(false);
        let (mut kept, mut oversized) = (Vec::new(), Vec::new());
        while let Some(chunk) = lines
            .next_chunk(Vec::new(), chunk_bytes, &stop)
            .expect("reads from memory")
        {
            assert!(chunk.data.is_empty() || chunk.data.ends_with(b"\n"));
            oversized.extend(&chunk.oversized);
            for (no, line) in chunk.lines() {
                if !chunk.oversized.contains(&no) {
                    kept.push((no, line.to_vec()));
                }
            }
        }
        assert_eq!(lines.bytes_read(), data.len() as u64);
        (kept, oversized)
    }

    /// What a plain split says: lines up to `max_line` kept with their numbers.
    fn expected(data: &[u8], max_line: usize) -> (Vec<(u64, Vec<u8>)>, Vec<u64>) {
        let (mut kept, mut oversized) = (Vec::new(), Vec::new());
        if data.is_empty() {
            return (kept, oversized);
        }
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        for (no, line) in (1..).zip(data.split(|&b| b == b'\n')) {
            if line.len() > max_line {
                oversized.push(no);
            } else {
                kept.push((no, line.strip_suffix(b"\r").unwrap_or(line).to_vec()));
            }
        }
        (kept, oversized)
    }

    #[test]
    fn numbers_lines_and_keeps_a_last_line_without_break() {
        let (kept, oversized) = read_all(b"a\nbb\r\n\nccc", vec![2], 4, 10);
        let lines: Vec<(u64, &[u8])> = kept.iter().map(|(n, l)| (*n, l.as_slice())).collect();
        assert_eq!(
            lines,
            vec![(1, &b"a"[..]), (2, b"bb"), (3, b""), (4, b"ccc")]
        );
        assert!(oversized.is_empty());
    }

    #[test]
    fn skips_oversized_lines_by_number() {
        let data = b"ok\nxxxxxxxxxxxxxxxxxxxx\nfine\nyyyyyyyyyyyy";
        let (kept, oversized) = read_all(data, vec![3, 7], 8, 5);
        assert_eq!(oversized, vec![2, 4]);
        assert_eq!(kept, vec![(1, b"ok".to_vec()), (3, b"fine".to_vec())]);
    }

    #[test]
    fn empty_input_gives_no_chunk() {
        assert_eq!(read_all(b"", vec![5], 8, 5), (vec![], vec![]));
    }

    #[test]
    fn stop_during_an_interrupted_read_ends_the_input() {
        struct Interrupted;
        impl Read for Interrupted {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::ErrorKind::Interrupted.into())
            }
        }
        let mut lines = LineReader::new(Interrupted, 10);
        let chunk = lines.next_chunk(Vec::new(), 8, &AtomicBool::new(true));
        assert_eq!(chunk.expect("no error"), None);
    }

    proptest! {
        /// Whatever the read sizes, chunk size and line limit, every line comes out once,
        /// in order, with its number; every oversized line is reported by number.
        #[test]
        fn any_chunk_boundaries_keep_lines_and_numbers(
            lines in prop::collection::vec(
                prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'\r', b' ']), 0..40),
                0..30,
            ),
            trailing_break in any::<bool>(),
            sizes in prop::collection::vec(1usize..50, 1..8),
            chunk_bytes in 1usize..64,
            max_line in 0usize..30,
        ) {
            let mut data = lines.join(&b'\n');
            if trailing_break && !data.is_empty() {
                data.push(b'\n');
            }
            prop_assert_eq!(
                read_all(&data, sizes, chunk_bytes, max_line),
                expected(&data, max_line)
            );
        }
    }
}
