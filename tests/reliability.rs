//! What anonlog promises when disks fail, processes are signalled, files are rotated under
//! it, and queues overflow. Each test here backs a row of `docs/reliability.md`.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anonlog::sink::{FileSink, OnFull, SinkBuilder};
use anonlog::{Anonymizer, Policy, RawRecord, Timestamp};
use common::Memory;

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");

/// A line marked with `n`, spelled in letters so that no identifier rule touches it.
fn line(n: usize) -> String {
    format!(
        "198.51.100.{} - - [24/Nov/2026:10:00:00 +0000] \"GET /items?lang={} HTTP/1.1\" 200 512 \"-\" \"curl/8.5.0\"\n",
        n % 250 + 1,
        letters(n)
    )
}

fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + u8::try_from(n % 26).expect("digit")));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

fn number(letters: &str) -> usize {
    letters
        .bytes()
        .rev()
        .fold(0, |acc, b| acc * 26 + usize::from(b - b'a'))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anonlog-rel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// The markers of the whole lines in `files`; panics on a torn line.
fn pages(files: &[&Path]) -> Vec<usize> {
    let mut pages = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for l in text.lines() {
            assert_eq!(l.matches('"').count(), 6, "not a whole record: {l}");
            let marker = l.split("lang=").nth(1).and_then(|r| r.split(' ').next());
            pages.push(number(marker.unwrap_or_else(|| panic!("{l}"))));
        }
    }
    pages
}

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[cfg(target_os = "linux")]
#[test]
fn cli_write_errors_exit_2_and_claim_nothing() {
    let out = Command::new(BIN)
        .args(["anonymize", "-o", "/dev/full", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(line(1).repeat(1000).as_bytes())?;
            drop(stdin);
            child.wait_with_output()
        })
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot write") && stderr.contains("/dev/full"),
        "{stderr}"
    );
}

#[test]
fn cli_sigterm_during_heavy_writing_keeps_a_whole_prefix() {
    let dir = temp_dir("sigterm");
    let input = dir.join("in.log");
    let output = dir.join("out.log");
    let text: String = (0..400_000).map(line).collect();
    std::fs::write(&input, text).expect("input");
    let child = Command::new(BIN)
        .args(["anonymize", "--no-progress", "-o"])
        .arg(&output)
        .arg(&input)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    // Signal once writing is under way.
    for _ in 0..1000 {
        if std::fs::metadata(&output).is_ok_and(|m| m.len() > 0) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    kill(child.id(), "-TERM");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages = pages(&[&output]);
    assert!(!pages.is_empty());
    // Everything written is the input's beginning, in order, without gaps.
    assert!(
        pages.iter().enumerate().all(|(i, &p)| i == p),
        "not a prefix"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn cli_logrotate_rename_and_sighup_lose_and_duplicate_nothing() {
    let dir = temp_dir("sighup");
    let output = dir.join("out.log");
    let mut child = Command::new(BIN)
        .args(["anonymize", "-o"])
        .arg(&output)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut rotated = Vec::new();
    for round in 0..5 {
        for n in round * 2000..(round + 1) * 2000 {
            stdin.write_all(line(n).as_bytes()).expect("write");
        }
        stdin.flush().expect("flush");
        // Wait until this round is on disk, then rotate as logrotate does.
        // (Counting line breaks: the file may end in a line still being written.)
        for _ in 0..500 {
            let text = std::fs::read(&output).unwrap_or_default();
            if text.iter().filter(|&&b| b == b'\n').count() == 2000 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let target = dir.join(format!("out.log.{round}"));
        std::fs::rename(&output, &target).expect("rename");
        kill(child.id(), "-HUP");
        rotated.push(target);
        std::thread::sleep(Duration::from_millis(50));
    }
    for n in 10_000..10_500 {
        stdin.write_all(line(n).as_bytes()).expect("write");
    }
    drop(stdin);
    assert!(child.wait().expect("wait").success());
    let mut files: Vec<&Path> = rotated.iter().map(PathBuf::as_path).collect();
    files.push(&output);
    let all = pages(&files);
    let unique: BTreeSet<usize> = all.iter().copied().collect();
    assert_eq!(all.len(), 10_500, "no loss, no duplicates");
    assert_eq!(unique.len(), 10_500);
    for file in &rotated {
        assert_eq!(
            pages(&[file]).len(),
            2000,
            "{} holds one round",
            file.display()
        );
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn concurrent_processes_appending_never_interleave_within_a_line() {
    let dir = temp_dir("append");
    let output = dir.join("shared.log");
    let children: Vec<_> = (0..4)
        .map(|p| {
            let input = dir.join(format!("in-{p}.log"));
            let text: String = (p * 100_000..(p + 1) * 100_000).map(line).collect();
            std::fs::write(&input, text).expect("input");
            Command::new(BIN)
                .args(["anonymize", "--no-progress", "-o"])
                .arg(&output)
                .arg(&input)
                .spawn()
                .expect("start")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("wait").success());
    }
    let all = pages(&[&output]);
    let unique: BTreeSet<usize> = all.iter().copied().collect();
    assert_eq!(all.len(), 400_000);
    assert_eq!(unique.len(), 400_000);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn overflowing_queue_stays_within_its_byte_bound() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let memory = Memory::default();
    *memory.stall.lock().expect("stall") = Some(Duration::from_millis(50));
    let capacity = 64 << 10;
    let (sender, guard) = SinkBuilder::default()
        .capacity_bytes(capacity)
        .on_full(OnFull::Drop)
        .start(memory.clone())
        .expect("sink");
    // A hostile request: 1 MiB user agent and referrer, a 10 MB target. What reaches the
    // queue is capped, so the byte bound holds whatever the input.
    let huge = "A".repeat(1 << 20);
    let raw = RawRecord::builder(Timestamp::now())
        .client_text("192.0.2.1")
        .target(format!(
            "{}?lang={}",
            "/x".repeat(5 << 20),
            "a".repeat(1 << 20)
        ))
        .user_agent(huge.as_str())
        .referrer(format!("https://example.com/{huge}"))
        .build();
    let record = anonymizer.apply(&raw);
    let mut peak = 0;
    let produced = 5000;
    for _ in 0..produced {
        sender.send(record.clone());
        peak = peak.max(sender.stats().queued_bytes);
    }
    *memory.stall.lock().expect("stall") = None;
    let report = guard.shutdown();
    assert!(
        peak <= capacity as u64,
        "queue held {peak} bytes, bound {capacity}"
    );
    assert!(report.stats.dropped > 0);
    assert_eq!(report.stats.written + report.stats.dropped, produced);
}

fn mount_tmpfs(dir: &Path, options: &str) -> bool {
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success())
}

fn umount(dir: &Path) {
    let _ = Command::new("umount").arg(dir).status();
}

#[test]
#[ignore = "needs root to mount a small tmpfs"]
fn full_and_read_only_filesystems_are_errors_not_successes() {
    let dir = temp_dir("fs");
    let full = dir.join("full");
    let ro = dir.join("ro");
    std::fs::create_dir_all(&full).expect("dir");
    std::fs::create_dir_all(&ro).expect("dir");
    assert!(mount_tmpfs(&full, "size=64k"), "mount tmpfs");
    assert!(mount_tmpfs(&ro, "ro,size=64k"), "mount read-only tmpfs");
    let input = dir.join("in.log");
    std::fs::write(&input, (0..20_000).map(line).collect::<String>()).expect("input");

    // The command-line tool: exit status 2 and a clear message, on both.
    for (target, message) in [
        (full.join("out.log"), "cannot write"),
        (ro.join("out.log"), "cannot open"),
    ] {
        let out = Command::new(BIN)
            .args(["anonymize", "--no-progress", "-o"])
            .arg(&target)
            .arg(&input)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
    }

    // The layer's file sink: counted failures, never counted as written.
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let (sender, guard) = SinkBuilder::default()
        .on_full(OnFull::Block)
        .start(FileSink::new(full.join("sink.log")).reopen_on_sighup(false))
        .expect("sink");
    let sent = 5000;
    for n in 0..sent {
        let raw = RawRecord::builder(Timestamp::now())
            .client_text("192.0.2.1")
            .target(format!("/items?page={n}"))
            .build();
        sender.send(anonymizer.apply(&raw));
    }
    let report = guard.shutdown();
    umount(&full);
    umount(&ro);
    assert!(report.stats.io_errors > 0, "{report:?}");
    assert!(report.stats.failed > 0);
    assert_eq!(report.stats.written + report.stats.failed, sent);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// The example server under SIGKILL while it writes: whatever is on disk is whole lines
/// (a torn last line is cut by the next start).
#[test]
fn sigkilled_server_leaves_only_whole_lines() {
    let bin = PathBuf::from(BIN)
        .parent()
        .expect("dir")
        .join("examples")
        .join("axum_server");
    let dir = temp_dir("server-kill");
    let log = dir.join("access.log");
    let rounds: u64 = std::env::var("SERVER_KILL_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        let mut child = Command::new(&bin)
            .args(["--addr", "127.0.0.1:0", "--log"])
            .arg(&log)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start");
        let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        stderr.read_line(&mut first).expect("listening line");
        let addr = first
            .trim()
            .trim_start_matches("listening on http://")
            .to_owned();
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let addr = addr.clone();
                std::thread::spawn(move || {
                    for n in 0..200 {
                        let Ok(mut s) = std::net::TcpStream::connect(&addr) else { return };
                        let _ = write!(s, "GET /search?page={n} HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n");
                        let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + (round * 7) % 150));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        for c in clients {
            let _ = c.join();
        }
    }
    // A clean start and stop repairs the tail; then every line must be a JSON record.
    let mut child = Command::new(&bin)
        .args(["--addr", "127.0.0.1:0", "--log"])
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    stderr.read_line(&mut first).expect("listening line");
    let addr = first
        .trim()
        .trim_start_matches("listening on http://")
        .to_owned();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    std::io::Read::read_to_end(&mut s, &mut Vec::new()).expect("response");
    kill(child.id(), "-TERM");
    assert!(child.wait().expect("wait").success());
    let text = std::fs::read_to_string(&log).expect("log");
    let mut records = 0;
    for l in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|_| panic!("a broken line survived: {l}"));
        assert!(v["time"].is_string());
        records += 1;
    }
    assert!(records > 100, "too few records to mean anything: {records}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
