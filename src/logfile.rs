//! Log files: opening for appending (repairing a torn last line left by a crash) and the
//! fsync policy.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// When written records are forced to stable storage with `fsync`.
///
/// Without it, records written before a power loss or kernel crash may be lost even though
/// the write succeeded (a killed process loses nothing the kernel has). Forcing costs a
/// disk round trip each time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fsync {
    /// Never; the kernel writes back on its own schedule (usually within 30 s).
    Never,
    /// At most once per interval, after a write (the default: once a second).
    Interval(Duration),
    /// After every batch written (slowest, loses at most the batch being written).
    EveryBatch,
}

impl Default for Fsync {
    fn default() -> Self {
        Self::Interval(Duration::from_secs(1))
    }
}

/// Applies an [`Fsync`] policy to one file.
#[derive(Debug)]
pub(crate) struct SyncTimer {
    policy: Fsync,
    last: Instant,
    dirty: bool,
}

impl SyncTimer {
    pub(crate) fn new(policy: Fsync) -> Self {
        Self {
            policy,
            last: Instant::now(),
            dirty: false,
        }
    }

    /// Call after each batch written to `file`.
    pub(crate) fn written(&mut self, file: &File) -> io::Result<()> {
        self.dirty = true;
        match self.policy {
            Fsync::Never => Ok(()),
            Fsync::EveryBatch => self.sync(file),
            Fsync::Interval(every) if self.last.elapsed() >= every => self.sync(file),
            Fsync::Interval(_) => Ok(()),
        }
    }

    /// Call while idle: syncs what an interval policy owes once the interval has passed.
    pub(crate) fn written_idle(&mut self, file: &File) -> io::Result<()> {
        match self.policy {
            Fsync::Interval(every) if self.dirty && self.last.elapsed() >= every => self.sync(file),
            _ => Ok(()),
        }
    }

    /// Call before closing: syncs what the policy still owes.
    pub(crate) fn settle(&mut self, file: &File) -> io::Result<()> {
        match self.policy {
            Fsync::Never => Ok(()),
            _ if self.dirty => self.sync(file),
            _ => Ok(()),
        }
    }

    fn sync(&mut self, file: &File) -> io::Result<()> {
        self.last = Instant::now();
        self.dirty = false;
        // Pipes and terminals have no stable storage to force (and refuse fsync).
        if file.metadata()?.is_file() {
            file.sync_data()
        } else {
            Ok(())
        }
    }
}

/// A file written in whole batches under an [`Fsync`] policy, reopened on request (SIGHUP
/// for logrotate), for the command-line tool.
#[derive(Debug)]
pub struct SyncedFile {
    path: PathBuf,
    mode: u32,
    file: File,
    timer: SyncTimer,
    reopen: Option<Arc<AtomicBool>>,
}

impl SyncedFile {
    /// Opens `path` with [`open_append`] under `policy`.
    pub fn open(path: &Path, mode: u32, policy: Fsync) -> io::Result<Self> {
        Ok(Self {
            path: path.to_owned(),
            mode,
            file: open_append(path, mode)?,
            timer: SyncTimer::new(policy),
            reopen: None,
        })
    }

    /// Reopens the path before the next batch whenever `flag` is raised (and lowers it).
    pub fn reopen_when(mut self, flag: Arc<AtomicBool>) -> Self {
        self.reopen = Some(flag);
        self
    }

    /// Forces what the policy still owes to stable storage (call before exiting).
    pub fn settle(&mut self) -> io::Result<()> {
        self.timer.settle(&self.file)
    }
}

impl Write for SyncedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    /// One batch of whole lines: written, then synced as the policy says.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self
            .reopen
            .as_ref()
            .is_some_and(|f| f.swap(false, Ordering::Relaxed))
        {
            // The old file was renamed away: settle it, then continue in a new one.
            self.timer.settle(&self.file)?;
            self.file = open_append(&self.path, self.mode)?;
        }
        self.file.write_all(buf)?;
        self.timer.written(&self.file)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Opens `path` for appending whole lines (`O_APPEND`), creating it with permission bits
/// `mode` (Unix) if it does not exist.
///
/// A process killed in the middle of a write can leave a last line without its line break.
/// Appending after it would glue the next record to a fragment, so the fragment is cut off
/// first: the file is truncated after its last complete line. What is cut was never a whole
/// record.
pub fn open_append(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    repair_torn_tail(&mut file)?;
    Ok(file)
}

/// Truncates a regular file after its last line break, if it does not end with one.
fn repair_torn_tail(file: &mut File) -> io::Result<()> {
    let meta = file.metadata()?;
    let len = meta.len();
    if !meta.is_file() || len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    // Search backwards for the last complete line.
    const STEP: u64 = 64 << 10;
    let mut end = len;
    let mut buf = vec![0u8; usize::try_from(STEP).unwrap_or(65_536)];
    let keep = loop {
        let start = end.saturating_sub(STEP);
        let chunk = &mut buf[..usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            break start + i as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    file.set_len(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_lines_are_cut_whole_lines_kept() {
        let dir = std::env::temp_dir().join(format!("anonlog-logfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("a.log");
        for (before, after) in [
            ("one\ntwo\nthr", "one\ntwo\n"),
            ("one\ntwo\n", "one\ntwo\n"),
            ("torn", ""),
            ("", ""),
        ] {
            std::fs::write(&path, before).expect("write");
            let mut file = open_append(&path, 0o640).expect("open");
            std::io::Write::write_all(&mut file, b"next\n").expect("append");
            drop(file);
            let text = std::fs::read_to_string(&path).expect("read");
            assert_eq!(text, format!("{after}next\n"), "{before:?}");
        }
        let long = format!("{}\n{}", "x".repeat(200_000), "y".repeat(100_000));
        std::fs::write(&path, &long).expect("write");
        drop(open_append(&path, 0o640).expect("open"));
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 200_001);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
