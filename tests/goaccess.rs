//! GoAccess reports the same traffic over anonymized output as over the raw log.

mod common;

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0",
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (X11; FreeBSD amd64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "Wget/1.21.4",
    "python-requests/2.31.0",
];

const TARGETS: &[&str] = &[
    "/",
    "/users/48213/orders/550e8400-e29b-41d4-a716-446655440000",
    "/search?q=carol%40example.org&page=2",
    "/static/app.3f2a9c1b4d5e6f70.js",
    "/u/carol.smith@example.org",
    "/api/items?api_key=sk_live_51HxYzAbCdEfGhIjKlMnOpQr",
];

const STATUSES: &[u16] = &[200, 200, 200, 304, 301, 404, 500, 200, 403, 206];

fn raw_log() -> String {
    let mut log = String::new();
    for i in 0..600usize {
        let ip = if i % 6 == 0 {
            format!("2001:db8:{:x}::{:x}", i % 17, i)
        } else {
            format!("198.51.{}.{}", i % 100, i % 250 + 1)
        };
        let second = i % 60;
        let minute = i / 60;
        log.push_str(&format!(
            "{ip} - - [24/Nov/2026:10:{minute:02}:{second:02} +0000] \"{} {} HTTP/1.1\" {} {} \"https://www.example.com/p/{i}?ref=x\" \"{}\"\n",
            if i % 9 == 0 { "POST" } else { "GET" },
            TARGETS[i % TARGETS.len()],
            STATUSES[i % STATUSES.len()],
            100 + i * 7,
            AGENTS[(i * 7) % AGENTS.len()],
        ));
    }
    log
}

/// `name -> hits` of a panel's rows (`browsers` and `os` families), or of the items
/// within them (`status_codes`: single codes).
fn panel(report: &Value, name: &str, items: bool) -> Vec<(String, u64)> {
    let rows = report[name]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("panel {name} in report"));
    let entries: Vec<&Value> = if items {
        rows.iter()
            .flat_map(|row| row["items"].as_array().into_iter().flatten())
            .collect()
    } else {
        rows.iter().collect()
    };
    let mut out: Vec<(String, u64)> = entries
        .iter()
        .map(|row| {
            (
                row["data"].as_str().unwrap_or_default().to_owned(),
                row["hits"]["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
#[ignore = "needs goaccess"]
fn goaccess_sees_the_same_traffic() {
    let dir = std::env::temp_dir().join(format!("anonlog-goaccess-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let raw = dir.join("raw.log");
    let anon = dir.join("anon.log");
    std::fs::write(&raw, raw_log()).expect("write raw");
    let out = Command::new(BIN)
        .args(["anonymize", "-o"])
        .arg(&anon)
        .arg(&raw)
        .output()
        .expect("anonlog");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let before = common::goaccess(&raw, &dir.join("raw.json"));
    let after = common::goaccess(&anon, &dir.join("anon.json"));
    for key in [
        "total_requests",
        "valid_requests",
        "failed_requests",
        "bandwidth",
    ] {
        assert_eq!(
            before["general"][key], after["general"][key],
            "general.{key}"
        );
    }
    assert_eq!(after["general"]["valid_requests"].as_u64(), Some(600));
    for (name, items) in [("status_codes", true), ("browsers", false), ("os", false)] {
        let rows = panel(&before, name, items);
        assert!(
            rows.len() >= 5,
            "{name} has too few rows to compare: {rows:?}"
        );
        assert_eq!(rows, panel(&after, name, items), "panel {name}");
    }
    // Distinct hosts shrink to networks; the anonymized log must not list raw addresses.
    let hosts = panel(&after, "hosts", false);
    assert!(
        hosts
            .iter()
            .all(|(h, _)| h.ends_with(".0.0") || h.ends_with("::")),
        "{hosts:?}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
