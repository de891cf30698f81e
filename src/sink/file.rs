//! A log file: appended whole lines, rotation by size and UTC day, retention, and reopening
//! on SIGHUP for logrotate.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use super::destination::{Destination, encode_batch, encode_dropped};
use crate::format::OutputFormat;
use crate::logfile::{Fsync, SyncTimer};
use crate::record::AnonRecord;
use crate::time::Timestamp;

/// Appends records to a file, rotating and pruning it as configured.
///
/// Rotation renames the active file to a name with its date (`access.2026-11-24.log`, or
/// with the time for size rotation: `access.2026-11-24T10-30-05.log`) and opens a new one;
/// it never copies or truncates. With [`reopen_on_sighup`](Self::reopen_on_sighup) (the
/// default) a SIGHUP makes the sink reopen the path, so external tools such as logrotate can
/// rename the file and signal the process. Files are created readable by owner and group
/// only (0640, directories 0750).
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
    path: PathBuf,
    format: OutputFormat,
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
    buf: Vec<u8>,
}

impl FileSink {
    /// Appends JSON lines to `path`, without rotation.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            format: OutputFormat::Json,
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
            buf: Vec::new(),
        }
        .reopen_on_sighup(true)
    }

    /// Appends JSON lines to `{base}.log`, rotated at each UTC midnight.
    pub fn daily(base: impl AsRef<Path>) -> Self {
        let mut path = base.as_ref().as_os_str().to_owned();
        path.push(".log");
        let mut sink = Self::new(path);
        sink.daily = true;
        sink
    }

    /// The output format (default JSON lines).
    pub fn format(mut self, format: OutputFormat) -> Self {
        self.format = format;
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

    /// When records are forced to stable storage (default: at most once a second).
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

    fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_dir_all(dir)?;
            }
            let file = crate::logfile::open_append(&self.path, self.file_mode)?;
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

    fn append(&mut self) -> io::Result<()> {
        let now = Timestamp::now();
        self.open()?;
        if self.due_for_rotation(now) {
            self.rotate(now)?;
        }
        let len = self.buf.len() as u64;
        // One write of whole lines: O_APPEND keeps concurrent writers' lines apart.
        let buf = std::mem::take(&mut self.buf);
        let result = self.open().and_then(|file| file.write_all(&buf));
        self.buf = buf;
        result?;
        if let Some(file) = &self.file {
            self.sync.written(file)?;
        }
        self.size += len;
        Ok(())
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

impl Destination for FileSink {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        encode_batch(self.format, batch, &mut self.buf);
        self.append()
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        encode_dropped(self.format, time, count, &mut self.buf);
        self.append()
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }

    fn close(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => {
                file.flush()?;
                self.sync.settle(file)
            }
            None => Ok(()),
        }
    }

    fn tick(&mut self) -> io::Result<()> {
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
        if let Some(file) = &self.file {
            self.sync.written_idle(file)?;
        }
        let now = Timestamp::now();
        if self.due_for_rotation(now) {
            self.rotate(now)?;
        }
        Ok(())
    }
}
