//! Sinks: byte-bounded queue policies, counters, shutdown reports, files and rotation.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anonlog::sink::{FileSink, OnFull, SinkBuilder};
use anonlog::{AnonRecord, Anonymizer, Policy, RawRecord, Timestamp};
use common::Memory;

fn record(anonymizer: &Anonymizer, n: usize) -> AnonRecord {
    let raw = RawRecord::builder(Timestamp::now())
        .client_text("192.0.2.7")
        .method("GET")
        .target(format!("/items?page={n}"))
        .protocol("HTTP/1.1")
        .status(200)
        .build();
    anonymizer.apply(&raw)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anonlog-sink-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every `page=N` value in the JSON lines of `files`.
fn pages(files: &[PathBuf]) -> Vec<u64> {
    let mut pages = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).expect("read");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
            if let Some(q) = v["query"].as_str() {
                pages.push(q.trim_start_matches("page=").parse().expect("page"));
            }
        }
    }
    pages
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn drop_policy_counts_and_reports_every_drop() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let memory = Memory::default();
    *memory.stall.lock().expect("stall") = Some(Duration::from_millis(20));
    let (sender, guard) = SinkBuilder::default()
        .capacity_bytes(8 << 10)
        .on_full(OnFull::Drop)
        .start(memory.clone())
        .expect("sink");
    let produced = 2000;
    for n in 0..produced {
        sender.send(record(&anonymizer, n));
    }
    *memory.stall.lock().expect("stall") = None;
    let report = guard.shutdown();
    let stats = report.stats;
    assert!(
        stats.dropped > 0,
        "the stalled writer must have caused drops: {stats:?}"
    );
    assert_eq!(stats.written + stats.dropped, produced as u64, "{stats:?}");
    assert_eq!(stats.accepted, stats.written);
    let lines = memory.lines();
    let reported: u64 = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "dropped")
        .map(|v| v["dropped"].as_u64().expect("count"))
        .sum();
    assert_eq!(
        reported, stats.dropped,
        "in-band drop records carry the exact count"
    );
    assert_eq!(
        lines.len() as u64 - lines.iter().filter(|l| l.contains("\"event\"")).count() as u64,
        stats.written
    );
}

#[test]
fn block_policy_loses_nothing() {
    let anonymizer = Arc::new(Anonymizer::new(Policy::strict()).expect("valid"));
    let memory = Memory::default();
    *memory.stall.lock().expect("stall") = Some(Duration::from_millis(5));
    let (sender, guard) = SinkBuilder::default()
        .capacity_bytes(4 << 10)
        .on_full(OnFull::Block)
        .start(memory.clone())
        .expect("sink");
    // From the workers of a multi-threaded runtime, as a server would.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let tasks: Vec<_> = (0..4)
            .map(|t| {
                let (sender, anonymizer) = (sender.clone(), anonymizer.clone());
                tokio::spawn(async move {
                    for n in 0..250 {
                        sender.send(record(&anonymizer, t * 1000 + n));
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("task");
        }
    });
    let report = guard.shutdown();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.stats.written, 1000);
    assert_eq!(memory.lines().len(), 1000);
}

#[test]
fn shutdown_deadline_reports_unwritten_records() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let memory = Memory::default();
    *memory.stall.lock().expect("stall") = Some(Duration::from_secs(2));
    let (sender, guard) = SinkBuilder::default()
        .shutdown_deadline(Duration::from_millis(100))
        .start(memory)
        .expect("sink");
    for n in 0..10 {
        sender.send(record(&anonymizer, n));
    }
    let report = guard.shutdown();
    assert!(report.unwritten > 0, "{report:?}");
    assert!(!report.is_complete());
    // Sending after shutdown is counted, not lost silently.
    sender.send(record(&anonymizer, 99));
    assert!(sender.stats().dropped >= 1);
}

#[test]
fn size_rotation_under_concurrent_writers_loses_and_duplicates_nothing() {
    let dir = temp_dir("rotate");
    let anonymizer = Arc::new(Anonymizer::new(Policy::strict()).expect("valid"));
    let sink = FileSink::new(dir.join("access.log")).max_bytes(16 << 10);
    let (sender, guard) = SinkBuilder::default()
        .on_full(OnFull::Block)
        .capacity_bytes(64 << 10)
        .start(sink)
        .expect("sink");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (sender, anonymizer) = (sender.clone(), anonymizer.clone());
            std::thread::spawn(move || {
                for n in 0..2500 {
                    sender.send(record(&anonymizer, t * 10_000 + n));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread");
    }
    assert!(guard.shutdown().is_complete());
    let files = files_in(&dir);
    assert!(files.len() > 10, "expected many rotations: {files:?}");
    let pages = pages(&files);
    let unique: BTreeSet<u64> = pages.iter().copied().collect();
    assert_eq!(pages.len(), 10_000, "no record lost or duplicated");
    assert_eq!(unique.len(), 10_000);
    #[cfg(unix)]
    for file in &files {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{}", file.display());
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn retention_keeps_the_newest_files() {
    let dir = temp_dir("retention");
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let sink = FileSink::new(dir.join("access.log"))
        .max_bytes(2 << 10)
        .keep(3);
    let (sender, guard) = SinkBuilder::default()
        .on_full(OnFull::Block)
        .start(sink)
        .expect("sink");
    for n in 0..500 {
        sender.send(record(&anonymizer, n));
        if n % 50 == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(guard.shutdown().is_complete());
    let files = files_in(&dir);
    // The active file plus at most three rotated ones.
    assert!(files.len() <= 4, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("access.log")));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[cfg(unix)]
#[test]
fn sighup_reopens_after_an_external_rename() {
    let dir = temp_dir("sighup");
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let path = dir.join("access.log");
    let (sender, guard) = SinkBuilder::default()
        .start(FileSink::new(&path))
        .expect("sink");
    let send_and_wait = |range: std::ops::Range<usize>| {
        for n in range.clone() {
            sender.send(record(&anonymizer, n));
        }
        for _ in 0..500 {
            if sender.stats().written >= range.end as u64 {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("records not written");
    };
    send_and_wait(0..100);
    // logrotate: rename, then signal.
    std::fs::rename(&path, dir.join("access.log.1")).expect("rename");
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(700));
    send_and_wait(100..200);
    assert!(guard.shutdown().is_complete());
    let old = pages(&[dir.join("access.log.1")]);
    let new = pages(std::slice::from_ref(&path));
    assert_eq!(old.len() + new.len(), 200);
    assert!(!new.is_empty(), "the sink reopened the path");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[cfg(target_os = "linux")]
#[test]
fn write_errors_are_counted_never_claimed_as_written() {
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let (sender, guard) = SinkBuilder::default()
        .start(FileSink::new("/dev/full").reopen_on_sighup(false))
        .expect("sink");
    for n in 0..50 {
        sender.send(record(&anonymizer, n));
    }
    let report = guard.shutdown();
    assert_eq!(report.stats.written, 0, "{report:?}");
    assert_eq!(report.stats.failed, 50);
    assert!(report.stats.io_errors > 0);
    assert!(!report.is_complete());
}
