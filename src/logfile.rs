//! Opening log files for appending, repairing a torn last line left by a crash.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

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
