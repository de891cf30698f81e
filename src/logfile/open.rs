//! Opening and replacing files safely in directories other users may write to: never
//! through a symbolic link, never into anything but a regular file, a pipe or a character
//! device, and never leaving a torn line behind.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Opens `path` for appending whole lines (`O_APPEND`), creating it with permission bits
/// `mode` (Unix) if it does not exist.
///
/// Refused, so that whoever can write the directory cannot redirect or corrupt the
/// output: a symbolic link as the last component (`O_NOFOLLOW`: the link's target is
/// never opened, truncated or appended to), a regular file with more than one name (a hard
/// link to another file), and anything but a regular file, a FIFO or a character device
/// (such as `/dev/null`).
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
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(explain_symlink)?;
    check_kind(&file.metadata()?)?;
    repair_torn_tail(&mut file)?;
    Ok(file)
}

/// A regular file's identity (device and inode): equal for two paths that name the same
/// file, through symbolic or hard links. Pipes and terminals have none (one terminal is
/// both input and output of an interactive run, rightly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    device: u64,
    inode: u64,
}

impl FileId {
    /// The identity of an open file, if it is a regular file.
    pub fn of(file: &File) -> io::Result<Option<Self>> {
        file.metadata().map(|m| Self::regular(&m))
    }

    /// The identity of the file `path` names, following symbolic links; `None` if it does
    /// not exist or is not a regular file.
    pub fn of_path(path: &Path) -> io::Result<Option<Self>> {
        match fs::metadata(path) {
            Ok(meta) => Ok(Self::regular(&meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn regular(meta: &Metadata) -> Option<Self> {
        meta.is_file().then(|| Self::from_metadata(meta))
    }

    #[cfg(unix)]
    fn from_metadata(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            device: meta.dev(),
            inode: meta.ino(),
        }
    }

    #[cfg(not(unix))]
    fn from_metadata(_meta: &Metadata) -> Self {
        Self {
            device: 0,
            inode: 0,
        }
    }
}

/// Replaces `path` with `contents` at once: readers see the old file or the new one, never
/// a part. The contents go to a new private file in the same directory (created
/// exclusively, permission bits `mode`), which is then renamed over `path`; a symbolic
/// link at `path` is replaced, never followed.
pub fn replace_file(path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = match options.open(&tmp) {
        // Left by an earlier run with this process id, or planted: remove the name (never
        // what a link points to) and create it anew.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            fs::remove_file(&tmp)?;
            options.open(&tmp)?
        }
        other => other?,
    };
    let written = file
        .write_all(contents)
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Appends one batch of whole lines to `file` (opened by [`open_append`]).
///
/// If the write fails part way, what it left is cut off again, so the next batch never
/// lands on a fragment: back to the length before the batch when nothing else was appended
/// meanwhile (no record of the failed batch stays), else after the last line break. Returns
/// the write's error, and whether that repair failed too (then [`repair_torn_tail`] must run
/// before the next append).
pub(crate) fn append_batch(file: &mut File, lines: &[u8]) -> Result<(), (io::Error, bool)> {
    let before = file.metadata().map_err(|e| (e, false))?;
    let mut accepted = 0u64;
    let mut rest = lines;
    let error = loop {
        if rest.is_empty() {
            return Ok(());
        }
        match file.write(rest) {
            Ok(0) => break io::Error::from(io::ErrorKind::WriteZero),
            Ok(n) => {
                accepted += n as u64;
                rest = &rest[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break e,
        }
    };
    if accepted == 0 || !before.is_file() {
        return Err((error, false));
    }
    let repaired = match file.metadata() {
        Ok(now) if now.len() == before.len() + accepted => file.set_len(before.len()),
        Ok(_) => repair_torn_tail(file),
        Err(e) => Err(e),
    };
    Err((error, repaired.is_err()))
}

/// Truncates a regular file after its last line break, if it does not end with one.
pub(crate) fn repair_torn_tail(file: &mut File) -> io::Result<()> {
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

/// A refused symbolic link says so (the system's message is "too many levels of symbolic
/// links").
fn explain_symlink(e: io::Error) -> io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a symbolic link (refused: links are never followed)",
        );
    }
    e
}

/// Regular files with one name, FIFOs and character devices pass.
fn check_kind(meta: &Metadata) -> io::Result<()> {
    let refuse = |why| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
    if meta.is_file() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            if meta.nlink() > 1 {
                return refuse("has several names (a hard link; refused)");
            }
        }
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let kind = meta.file_type();
        if kind.is_fifo() || kind.is_char_device() {
            return Ok(());
        }
    }
    refuse("is not a regular file, a pipe or a character device")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("anonlog-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("dir");
        dir
    }

    #[test]
    fn torn_last_lines_are_cut_whole_lines_kept() {
        let dir = temp_dir("logfile");
        let path = dir.join("a.log");
        for (before, after) in [
            ("one\ntwo\nthr", "one\ntwo\n"),
            ("one\ntwo\n", "one\ntwo\n"),
            ("torn", ""),
            ("", ""),
        ] {
            fs::write(&path, before).expect("write");
            let mut file = open_append(&path, 0o640).expect("open");
            file.write_all(b"next\n").expect("append");
            drop(file);
            let text = fs::read_to_string(&path).expect("read");
            assert_eq!(text, format!("{after}next\n"), "{before:?}");
        }
        let long = format!("{}\n{}", "x".repeat(200_000), "y".repeat(100_000));
        fs::write(&path, &long).expect("write");
        drop(open_append(&path, 0o640).expect("open"));
        assert_eq!(fs::metadata(&path).expect("meta").len(), 200_001);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[cfg(unix)]
    #[test]
    fn links_and_odd_files_are_refused_and_left_alone() {
        let dir = temp_dir("links");
        let target = dir.join("target");
        fs::write(&target, "precious\nno newline").expect("target");
        let link = dir.join("link.log");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = open_append(&link, 0o640).expect_err("symlink refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let hard = dir.join("hard.log");
        fs::hard_link(&target, &hard).expect("hard link");
        let err = open_append(&hard, 0o640).expect_err("hard link refused");
        assert!(err.to_string().contains("several names"), "{err}");
        assert!(open_append(&dir, 0o640).is_err(), "a directory");
        assert_eq!(
            fs::read_to_string(&target).expect("target"),
            "precious\nno newline"
        );
        // Replacing through a link replaces the link, never the target.
        replace_file(&link, b"{}\n", 0o640).expect("replace");
        assert_eq!(fs::read_to_string(&link).expect("new"), "{}\n");
        assert!(!fs::symlink_metadata(&link).expect("meta").is_symlink());
        assert_eq!(
            fs::read_to_string(&target).expect("target"),
            "precious\nno newline"
        );
        assert_eq!(FileId::of_path(&hard).ok(), FileId::of_path(&target).ok());
        assert_ne!(FileId::of_path(&link).ok(), FileId::of_path(&target).ok());
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
