//! Killing the command-line tool mid-write never leaves a broken line behind for good: the
//! next run cuts a torn last line before it appends.

use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");

#[test]
fn sigkill_during_writes_leaves_only_whole_lines() {
    let dir = std::env::temp_dir().join(format!("anonlog-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let input = dir.join("in.log");
    let output = dir.join("out.log");
    let line = "198.51.100.23 - - [24/Nov/2026:10:00:00 +0000] \"GET /users/42?page=2 HTTP/1.1\" 200 512 \"https://www.example.com/a\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"\n";
    std::fs::write(&input, line.repeat(300_000)).expect("input");
    let mut killed = 0;
    let rounds: u64 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    for round in 0..rounds {
        let mut child = Command::new(BIN)
            .args(["anonymize", "--no-progress", "-o"])
            .arg(&output)
            .arg(&input)
            .stderr(Stdio::null())
            .spawn()
            .expect("start");
        // Spread the kills over the run: early, mid-batch, late.
        std::thread::sleep(Duration::from_millis(5 + (round * 37) % 200));
        if child.try_wait().expect("wait").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reap");
    }
    assert!(
        killed >= rounds / 2,
        "too few runs were killed mid-way: {killed}"
    );
    // A last, complete run repairs any torn tail before it appends.
    let status = Command::new(BIN)
        .args(["anonymize", "--no-progress", "-o"])
        .arg(&output)
        .arg(&input)
        .status()
        .expect("run");
    assert!(status.success());
    let text = std::fs::read_to_string(&output).expect("output");
    let mut lines = 0;
    for (n, l) in text.lines().enumerate() {
        lines += 1;
        assert_eq!(
            l.matches('"').count(),
            6,
            "line {} is not a whole record: {l}",
            n + 1
        );
        assert!(
            l.starts_with("198.51.0.0 ") && l.ends_with("Firefox/125.0\""),
            "line {}: {l}",
            n + 1
        );
    }
    assert!(text.ends_with('\n'));
    assert!(lines >= 300_000);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
