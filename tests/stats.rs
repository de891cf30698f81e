//! `anonlog stats` over anonlog's own output: the same requests and bandwidth as GoAccess
//! over the raw log, visitors exactly from the pseudonyms, exact merges, safe releases, and
//! an HTML report a real browser renders.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.5.0",
];

const TARGETS: &[&str] = &[
    "/",
    "/blog/top-10-tips-for-2024/",
    "/products?page=2&utm_source=newsletter&utm_campaign=fall",
    "/static/app.css",
    "/users/48213/orders",
    "/favicon.ico",
    "/about",
    "/missing-page",
];

const STATUSES: &[u16] = &[200, 200, 200, 304, 301, 404, 500, 200];

const REFERRERS: &[&str] = &[
    "-",
    "https://www.example.com/search?q=shoes",
    "https://news.example.org/item?id=7",
];

/// A small deterministic generator (a linear congruential one), so the log is the same on
/// every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).expect("fits") % n
    }
}

/// A combined log over three days: a pool of addresses (documentation ranges only) that
/// come back with one or two user agents, so visitors make several requests a day.
/// Also returns the distinct (address, user agent) pairs of each day.
fn raw_log() -> (String, BTreeMap<String, usize>) {
    let mut rng = Lcg(15);
    let mut log = String::new();
    let mut visitors: BTreeMap<String, HashSet<(String, String)>> = BTreeMap::new();
    for day in 0..3 {
        for i in 0..1500 {
            let n = rng.below(400);
            let ip = match n % 4 {
                0 => format!("198.51.100.{}", n / 4 + 1),
                1 => format!("203.0.113.{}", n / 4 + 1),
                2 => format!("192.0.2.{}", n / 4 + 1),
                _ => format!("2001:db8:{:x}::{:x}", n % 7, n),
            };
            let agent = AGENTS[(n + rng.below(2)) % AGENTS.len()];
            let second = i * 57 % 86_400;
            let date = 24 + day;
            log.push_str(&format!(
                "{ip} - - [{date}/Nov/2026:{:02}:{:02}:{:02} +0000] \"{} {} HTTP/1.1\" {} {} \"{}\" \"{agent}\"\n",
                second / 3600,
                second / 60 % 60,
                second % 60,
                if rng.below(10) == 0 { "POST" } else { "GET" },
                TARGETS[rng.below(TARGETS.len())],
                STATUSES[rng.below(STATUSES.len())],
                rng.below(50_000),
                REFERRERS[rng.below(REFERRERS.len())],
            ));
            visitors
                .entry(format!("2026-11-{date}"))
                .or_default()
                .insert((ip, agent.to_owned()));
        }
    }
    let per_day = visitors.into_iter().map(|(d, s)| (d, s.len())).collect();
    (log, per_day)
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anonlog-stats-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Runs anonlog; asserts exit status 0.
fn anonlog(args: &[&str]) -> String {
    let out = common::run_anonlog(args, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The raw log, anonymized as CLF and as JSON, in `dir`.
fn anonymized(dir: &Path) -> (PathBuf, PathBuf, BTreeMap<String, usize>, PathBuf) {
    let (log, visitors) = raw_log();
    let raw = dir.join("raw.log");
    std::fs::write(&raw, log).expect("write");
    let (clf, json) = (dir.join("anon.log"), dir.join("anon.json"));
    anonlog(&["anonymize", "-o", path(&clf), path(&raw)]);
    anonlog(&[
        "anonymize",
        "--output-format",
        "json",
        "-o",
        path(&json),
        path(&raw),
    ]);
    (clf, json, visitors, raw)
}

fn report(args: &[&str]) -> Value {
    let mut all = vec!["stats", "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&anonlog(&all)).expect("JSON report")
}

#[test]
fn visitors_are_exact_from_pseudonyms_in_clf_and_json() {
    let dir = scratch("exact");
    let (clf, json, visitors, raw) = anonymized(&dir);
    let raw_text = std::fs::read_to_string(&raw).expect("raw");
    let bytes: u64 = raw_text
        .lines()
        .map(|l| {
            let after = l.split("\" ").nth(1).expect("status and bytes");
            after
                .split(' ')
                .nth(1)
                .expect("bytes")
                .parse::<u64>()
                .expect("number")
        })
        .sum();
    let from_clf = report(&[path(&clf)]);
    let from_json = report(&[path(&json)]);
    for r in [&from_clf, &from_json] {
        assert_eq!(r["totals"]["requests"], 4500);
        assert_eq!(r["totals"]["bytes"], bytes);
        let days: BTreeMap<String, usize> = r["days"]
            .as_array()
            .expect("days")
            .iter()
            .map(|d| {
                let n = d["visitors"].as_u64().expect("visitors");
                (
                    d["date"].as_str().expect("date").to_owned(),
                    usize::try_from(n).expect("fits"),
                )
            })
            .collect();
        assert_eq!(days, visitors);
        assert_eq!(
            r["totals"]["visitors"].as_u64(),
            Some(visitors.values().sum::<usize>() as u64)
        );
    }
    assert_eq!(from_clf["tables"]["pages"], from_json["tables"]["pages"]);
    assert_eq!(
        from_clf["tables"]["browsers"],
        from_json["tables"]["browsers"]
    );
    // A raw log is refused, line by line.
    let out = Command::new(BIN)
        .args(["stats", "--format", "json", path(&raw)])
        .output()
        .expect("anonlog runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("4500 not anonymized"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn the_shipped_sample_reads_the_same_in_both_formats() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/access.log");
    let dir = scratch("sample");
    let (clf, json) = (dir.join("a.log"), dir.join("a.json"));
    anonlog(&["anonymize", "-o", path(&clf), sample]);
    anonlog(&[
        "anonymize",
        "--output-format",
        "json",
        "-o",
        path(&json),
        sample,
    ]);
    let (a, b) = (report(&[path(&clf)]), report(&[path(&json)]));
    assert_eq!(a["totals"]["requests"], 12);
    assert_eq!(a["totals"], b["totals"]);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn merged_partials_equal_the_report_of_all_records() {
    let dir = scratch("merge");
    let (clf, json, ..) = anonymized(&dir);
    let text = std::fs::read_to_string(&clf).expect("log");
    let (mut a, mut b) = (String::new(), String::new());
    for (i, line) in text.lines().enumerate() {
        let half = if i % 3 == 0 { &mut a } else { &mut b };
        half.push_str(line);
        half.push('\n');
    }
    let (pa, pb) = (dir.join("a.log"), dir.join("b.log"));
    std::fs::write(&pa, a).expect("write");
    std::fs::write(&pb, b).expect("write");
    let (sa, sb) = (dir.join("a.partial"), dir.join("b.partial"));
    anonlog(&["stats", "--partial", "-o", path(&sa), path(&pa)]);
    anonlog(&["stats", "--partial", "-o", path(&sb), path(&pb)]);
    let merged: Value = serde_json::from_str(&anonlog(&[
        "stats",
        "merge",
        "--format",
        "json",
        path(&sa),
        path(&sb),
    ]))
    .expect("JSON");
    assert_eq!(merged, report(&[path(&clf)]));
    // Several files as one input give the same report too, CLF and JSON mixed.
    assert_eq!(report(&[path(&pa), path(&pb)]), merged);
    assert_eq!(report(&[path(&json)])["totals"], merged["totals"]);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_safe_release_has_no_row_under_k_and_states_its_rules() {
    let dir = scratch("release");
    let (clf, ..) = anonymized(&dir);
    for args in [
        vec!["--min-visitors", "25", path(&clf)],
        vec!["--min-visitors", "25", "--epsilon", "1", path(&clf)],
    ] {
        let r = report(&args);
        assert_eq!(r["release"]["min_visitors"], 25);
        assert_eq!(r["release"]["exact"], false);
        assert!(r["tables"].get("not_found").is_none(), "owner-only table");
        for (name, rows) in r["tables"].as_object().expect("tables") {
            for row in rows.as_array().expect("rows") {
                assert!(row["visitors"].as_u64() >= Some(25), "{name}: {row}");
                let cap = 20 * row["visitors"].as_u64().expect("n");
                if r["release"]["epsilon"].is_null() {
                    assert!(row["requests"].as_u64() <= Some(cap), "{name}: {row}");
                }
            }
        }
    }
    let explained = anonlog(&["explain", "--min-visitors", "25", "--epsilon", "0.5"]);
    assert!(
        explained.contains("fewer than 25 distinct visitors"),
        "{explained}"
    );
    assert!(explained.contains("ε = 0.5"), "{explained}");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn gzip_input_and_every_format() {
    use std::io::Write as _;
    let dir = scratch("formats");
    let (clf, ..) = anonymized(&dir);
    let gz = dir.join("anon.log.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(&clf).expect("read"))
        .expect("gzip");
    enc.finish().expect("gzip");
    assert_eq!(report(&[path(&gz)]), report(&[path(&clf)]));
    let csv = anonlog(&["stats", "--format", "csv", path(&clf)]);
    assert!(csv.starts_with("section,key,visitors,requests,page_views,bytes\ntotals,,"));
    let text = anonlog(&["stats", "--format", "text", path(&clf)]);
    assert!(text.contains("Pages") && text.contains("visitors"));
    let html = anonlog(&["stats", "--format", "html", path(&clf)]);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("src="));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
#[ignore = "needs goaccess"]
fn requests_and_bandwidth_match_goaccess_over_the_raw_log() {
    let dir = scratch("goaccess");
    let (clf, json, _, raw) = anonymized(&dir);
    let before = common::goaccess(&raw, &dir.join("raw.json"));
    for anon in [&clf, &json] {
        let r = report(&[path(anon)]);
        assert_eq!(r["totals"]["requests"], before["general"]["total_requests"]);
        assert_eq!(r["totals"]["bytes"], before["general"]["bandwidth"]);
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
#[ignore = "needs chromium"]
fn the_html_report_renders_in_chromium() {
    let dir = scratch("chromium");
    let (clf, ..) = anonymized(&dir);
    let html = dir.join("report.html");
    anonlog(&["stats", "-o", path(&html), path(&clf)]);
    let visitors = report(&[path(&clf)])["totals"]["visitors"].to_string();
    let shot = dir.join("report.png");
    let profile = dir.join("profile");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1000,1400",
        ])
        .arg(format!("--user-data-dir={}", path(&profile)))
        .arg(format!("--screenshot={}", path(&shot)))
        .arg("--dump-dom")
        .arg(format!("file://{}", path(&html)))
        .output()
        .expect("chromium runs (apt-get install chromium)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains(&format!("id=\"total-visitors\">{visitors}<")),
        "visitor total {visitors} in the rendered page"
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    if let Ok(keep) = std::env::var("ANONLOG_SCREENSHOT") {
        std::fs::copy(&shot, keep).expect("copy the screenshot");
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn invalid_release_rules_are_usage_errors() {
    for args in [
        &["stats", "--epsilon", "1e-1", "-"][..],
        &["stats", "--epsilon", "0", "-"],
        &["stats", "--min-visitors", "0", "-"],
        &["stats", "--partial", "--min-visitors", "5", "-"],
    ] {
        let out = common::run_anonlog(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
