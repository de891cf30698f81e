//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

pub mod shared_data;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anonlog::sink::Destination;
use anonlog::{AnonRecord, OutputFormat, Timestamp};

/// Collects JSON lines in memory; can be stalled to simulate a slow disk.
#[derive(Clone, Default)]
pub struct Memory {
    pub lines: Arc<Mutex<Vec<String>>>,
    pub stall: Arc<Mutex<Option<Duration>>>,
}

impl Memory {
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Waits until at least `n` lines arrived (the writer thread is asynchronous).
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..500 {
            let lines = self.lines();
            if lines.len() >= n {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.lines()
    }
}

impl Destination for Memory {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        let stall = *self.stall.lock().expect("stall");
        if let Some(d) = stall {
            std::thread::sleep(d);
        }
        let mut out = Vec::new();
        for r in batch {
            OutputFormat::Json.encode(r, &mut out);
        }
        let text = String::from_utf8(out).expect("utf-8");
        self.lines
            .lock()
            .expect("lines")
            .extend(text.lines().map(str::to_owned));
        Ok(())
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        self.lines.lock().expect("lines").push(format!(
            "{{\"time\":\"{time}\",\"event\":\"dropped\",\"dropped\":{count}}}"
        ));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Starts `anonlog serve` with `args`; returns it and the addresses it listens on (in the
/// order of the `--syslog` arguments). Its later statistics lines are read and discarded,
/// as a service manager would.
pub fn start_serve(
    args: &[&std::ffi::OsStr],
    listeners: usize,
) -> (std::process::Child, Vec<String>) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anonlog"))
        .arg("serve")
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start anonlog serve");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut addrs = Vec::new();
    for _ in 0..listeners {
        let mut line = String::new();
        stderr.read_line(&mut line).expect("listening line");
        addrs.push(
            line.trim()
                .trim_start_matches("anonlog: listening on ")
                .to_owned(),
        );
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, addrs)
}

/// Runs the `anonlog` binary with `args`, feeding `stdin`, and collects its output.
pub fn run_anonlog(args: &[&str], stdin: &[u8]) -> std::process::Output {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_anonlog"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start anonlog");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("anonlog runs");
    feeder.join().expect("feeder");
    out
}

/// Output bytes as text (anonlog writes UTF-8 only).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// A fresh empty directory for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("anonlog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// The highest resident memory of process `pid` so far, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sends SIGTERM to `child` and waits for it to end; returns its exit code.
pub fn terminate(child: &mut std::process::Child) -> Option<i32> {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    child.wait().expect("wait").code()
}

/// The statistics `serve` wrote to `path` (`Null` while there are none).
pub fn serve_stats(path: &std::path::Path) -> serde_json::Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Waits up to `secs` seconds until the statistics at `path` satisfy `done`.
pub fn wait_for_stats(
    path: &std::path::Path,
    secs: u64,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let stats = serve_stats(path);
        if done(&stats) {
            return stats;
        }
        assert!(std::time::Instant::now() < deadline, "stats: {stats}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts `received = written + rejected + not_syslog + dropped` in final statistics.
pub fn assert_all_accounted(stats: &serde_json::Value) {
    let n = |key: &str| {
        stats[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {stats}"))
    };
    assert_eq!(
        n("received"),
        n("written") + n("rejected") + n("not_syslog") + n("dropped"),
        "{stats}"
    );
    assert_eq!(n("in_flight"), 0, "{stats}");
}

/// GoAccess's JSON report of a combined log (GoAccess must be installed).
pub fn goaccess(log: &std::path::Path, report: &std::path::Path) -> serde_json::Value {
    let out = std::process::Command::new("goaccess")
        .arg(log)
        .args([
            "--no-global-config",
            "--log-format=COMBINED",
            "--json-pretty-print",
            "-o",
        ])
        .arg(report)
        .output()
        .expect("goaccess runs (apt-get install goaccess)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&std::fs::read(report).expect("report")).expect("report is JSON")
}
