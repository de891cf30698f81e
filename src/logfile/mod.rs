//! Log files: opening for appending (never through a link, repairing a torn last line left
//! by a crash or a failed write), rotation, retention and the fsync policy.

mod open;

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::time::Timestamp;
pub use open::{FileId, open_append, replace_file};

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

/// An append-only log file: whole batches of lines, rotation by size and UTC day,
/// retention, an fsync policy, a torn last line repaired on open, and reopening on SIGHUP
/// for logrotate.
///
/// Rotation renames the active file to a name with its date (`access.2026-11-24.log`, or
/// with the time for size rotation: `access.2026-11-24T10-30-05.log`) and opens a new one;
/// it never copies or truncates. Files are created readable by owner and group only (0640,
/// directories 0750).
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    daily: bool,
    max_bytes: Option<u64>,
    keep: Option<usize>,
    max_age: Option<Duration>,
    file_mode: u32,
    reopen: Option<Arc<AtomicBool>>,
    file: Option<File>,
    sync: SyncTimer,
    size: u64,
    /// UTC day the open file's records belong to.
    day: i64,
    /// A failed write left a fragment that could not be cut off yet.
    torn: bool,
}

impl LogFile {
    /// Appends to `path`, without rotation; reopens on SIGHUP.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            daily: false,
            max_bytes: None,
            keep: None,
            max_age: None,
            file_mode: 0o640,
            reopen: None,
            file: None,
            sync: SyncTimer::new(Fsync::default()),
            size: 0,
            day: 0,
            torn: false,
        }
        .reopen_on_sighup(true)
    }

    /// Rotates at each UTC midnight (or not).
    pub fn daily(mut self, daily: bool) -> Self {
        self.daily = daily;
        self
    }

    /// Rotates when the file reaches `bytes`.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes.max(1));
        self
    }

    /// Keeps at most `count` rotated files, deleting the oldest.
    pub fn keep(mut self, count: usize) -> Self {
        self.keep = Some(count);
        self
    }

    /// Deletes rotated files older than `age`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// When written lines are forced to stable storage (default: at most once a second).
    pub fn fsync(mut self, policy: Fsync) -> Self {
        self.sync = SyncTimer::new(policy);
        self
    }

    /// Permission bits of created files (default 0640).
    pub fn mode(mut self, mode: u32) -> Self {
        self.file_mode = mode;
        self
    }

    /// Whether SIGHUP makes the sink reopen its path (default on, Unix only). Enabling it
    /// installs a SIGHUP handler, which replaces SIGHUP's default action of ending the
    /// process.
    pub fn reopen_on_sighup(mut self, enabled: bool) -> Self {
        self.reopen = None;
        #[cfg(unix)]
        if enabled {
            let flag = Arc::new(AtomicBool::new(false));
            if signal_hook::flag::register(signal_hook::consts::SIGHUP, flag.clone()).is_ok() {
                self.reopen = Some(flag);
            }
        }
        #[cfg(not(unix))]
        let _ = enabled;
        self
    }

    /// The active file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens (or creates) the file now instead of at the first write, to report a bad path
    /// early.
    pub fn open_now(&mut self) -> io::Result<()> {
        self.open().map(|_| ())
    }

    fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_dir_all(dir)?;
            }
            let file = open_append(&self.path, self.file_mode)?;
            self.torn = false;
            let meta = file.metadata()?;
            self.size = meta.len();
            // An existing file holds the records of the day it was last written.
            self.day = if self.size > 0 {
                Timestamp::from_system_time(meta.modified().unwrap_or_else(|_| SystemTime::now()))
                    .utc_day()
            } else {
                Timestamp::now().utc_day()
            };
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("log file not open"))
    }

    fn due_for_rotation(&self, now: Timestamp) -> bool {
        self.file.is_some()
            && self.size > 0
            && ((self.daily && now.utc_day() != self.day)
                || self.max_bytes.is_some_and(|max| self.size >= max))
    }

    fn rotate(&mut self, now: Timestamp) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()?;
            self.sync.settle(&file)?;
        }
        let label = if self.daily && now.utc_day() != self.day {
            Timestamp::from_unix_millis(self.day * 86_400_000).utc_date_label()
        } else {
            let c = now.to_string();
            // 2026-11-24T10:30:05.123Z -> 2026-11-24T10-30-05
            c[..19].replace(':', "-")
        };
        let target = self.rotated_name(&label);
        fs::rename(&self.path, &target)?;
        self.open()?;
        self.prune()
    }

    /// `dir/stem.LABEL.ext`, with `.1`, `.2`, … before the extension if taken.
    fn rotated_name(&self, label: &str) -> PathBuf {
        let (stem, ext) = self.stem_and_ext();
        let dir = self.path.parent().unwrap_or_else(|| Path::new(""));
        let mut n = 0;
        loop {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!(".{n:03}")
            };
            let candidate = dir.join(format!("{stem}.{label}{suffix}{ext}"));
            if !candidate.exists() {
                return candidate;
            }
            n += 1;
        }
    }

    fn stem_and_ext(&self) -> (String, String) {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match name.rfind('.') {
            Some(i) if i > 0 => (name[..i].to_owned(), name[i..].to_owned()),
            _ => (name, String::new()),
        }
    }

    /// Deletes rotated files beyond the count and age limits.
    fn prune(&self) -> io::Result<()> {
        if self.keep.is_none() && self.max_age.is_none() {
            return Ok(());
        }
        let (stem, ext) = self.stem_and_ext();
        let prefix = format!("{stem}.");
        let dir = match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.to_owned(),
            None => PathBuf::from("."),
        };
        let mut rotated: Vec<(PathBuf, SystemTime)> = fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let middle = name
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(ext.as_str()));
                // Rotated names carry a date: stem.YYYY-MM-DD….ext
                middle.is_some_and(|m| {
                    m.len() >= 10
                        && m.as_bytes()[4] == b'-'
                        && m.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                })
            })
            .filter_map(|e| Some((e.path(), e.metadata().ok()?.modified().ok()?)))
            .collect();
        // Newest first: the labels sort chronologically.
        rotated.sort_by(|a, b| b.0.cmp(&a.0));
        let now = SystemTime::now();
        for (i, (path, modified)) in rotated.iter().enumerate() {
            let too_many = self.keep.is_some_and(|keep| i >= keep);
            let too_old = self
                .max_age
                .is_some_and(|age| now.duration_since(*modified).is_ok_and(|d| d > age));
            if too_many || too_old {
                fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// Appends one batch of whole lines with one write (`O_APPEND` keeps concurrent
    /// writers' lines apart), rotating first when due and syncing as the policy says.
    ///
    /// A write that fails part way (a full disk) is cut back before anything else is
    /// appended: with no other writer on the file, nothing of the failed batch stays;
    /// otherwise the file is cut after its last whole line.
    pub fn append(&mut self, lines: &[u8]) -> io::Result<()> {
        self.reopen_if_signalled()?;
        let now = Timestamp::now();
        self.open()?;
        if self.due_for_rotation(now) {
            self.rotate(now)?;
        }
        let torn = std::mem::take(&mut self.torn);
        let file = self.open()?;
        let appended = if torn {
            open::repair_torn_tail(file).map_err(|e| (e, true))
        } else {
            Ok(())
        }
        .and_then(|()| open::append_batch(file, lines));
        if let Err((error, torn)) = appended {
            self.torn = torn;
            return Err(error);
        }
        if let Some(file) = &self.file {
            self.sync.written(file)?;
        }
        self.size += lines.len() as u64;
        Ok(())
    }

    /// Flushes the open file.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }

    /// Flushes and forces to stable storage what the fsync policy still owes.
    pub fn close(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => {
                file.flush()?;
                self.sync.settle(file)
            }
            None => Ok(()),
        }
    }

    /// Housekeeping: reopening after SIGHUP, the interval sync, rotation when due.
    pub fn tick(&mut self) -> io::Result<()> {
        self.reopen_if_signalled()?;
        if let Some(file) = &self.file {
            self.sync.written_idle(file)?;
        }
        let now = Timestamp::now();
        if self.due_for_rotation(now) {
            self.rotate(now)?;
        }
        Ok(())
    }

    fn reopen_if_signalled(&mut self) -> io::Result<()> {
        if self
            .reopen
            .as_ref()
            .is_some_and(|flag| flag.swap(false, Ordering::Relaxed))
        {
            // The file was renamed away (logrotate); the next write creates it anew.
            if let Some(file) = self.file.take() {
                self.sync.settle(&file)?;
            }
        }
        Ok(())
    }
}

/// One batch of whole lines per `write_all`; for the command-line tool's pipeline.
impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.append(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.append(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        LogFile::flush(self)
    }
}

#[cfg(unix)]
fn create_dir_all(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir_all(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}
