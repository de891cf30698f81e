//! GoAccess reports the same traffic over anonymized output as over the raw log.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
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

/// Writes `log` to a fresh folder named after `test` and anonymizes it with the default
/// policy (combined in, combined out); returns the folder, the raw and the anonymized file.
fn anonymize(test: &str, log: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("anonlog-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let raw = dir.join("raw.log");
    let anon = dir.join("anon.log");
    std::fs::write(&raw, log).expect("write raw");
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
    (dir, raw, anon)
}

#[test]
#[ignore = "needs goaccess"]
fn goaccess_sees_the_same_traffic() {
    let (dir, raw, anon) = anonymize("goaccess", &raw_log());
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

/// What GoAccess reports of one user agent that anonlog keeps: the browser panel's
/// category, the name of a crawler or feed reader (without its version), the OS panel's
/// family, and the OS version where anonlog keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Facts {
    category: String,
    name: String,
    os: String,
    os_version: String,
}

/// GoAccess's facts about a report of a one-line log.
fn facts(report: &Value) -> Facts {
    let first = |panel: &str| -> (String, String) {
        let row = &report[panel]["data"][0];
        (
            row["data"].as_str().unwrap_or_default().to_owned(),
            row["items"][0]["data"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let (category, item) = first("browsers");
    let (os, os_item) = first("os");
    let name = if category == "Crawlers" || category == "Feeds" {
        item.split('/').next().unwrap_or_default().to_owned()
    } else {
        String::new()
    };
    Facts {
        category,
        name,
        os,
        os_version: os_version(&os_item).unwrap_or_default(),
    }
}

/// `Windows NT 6.1`, `OS X 10.9`, `iOS 17`, `Android 4` from a GoAccess OS item; `None`
/// for items that carry no version anonlog keeps.
fn os_version(item: &str) -> Option<String> {
    let item = item.replace('_', ".");
    let (family, rest) = [
        ("Windows NT", "Windows NT"),
        ("OS X", "OS X"),
        ("iPhone", "iOS"),
        ("iPad", "iOS"),
        ("iPod", "iOS"),
        ("Android", "Android"),
    ]
    .into_iter()
    .find_map(|(prefix, family)| item.strip_prefix(prefix).map(|rest| (family, rest)))?;
    let numbers: Vec<u32> = rest
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .find(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        .map(|s| s.split('.').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_default();
    Some(match (family, numbers.as_slice()) {
        (_, []) => family.to_owned(),
        ("OS X", [10, minor, ..]) => format!("OS X 10.{minor}"),
        ("Windows NT", [major, minor, ..]) => format!("Windows NT {major}.{minor}"),
        (_, [major, ..]) => format!("{family} {major}"),
    })
}

/// GoAccess's facts for each user agent, each run alone (GoAccess spends most of a run
/// waiting, so many run at once).
fn facts_of_each(dir: &Path, agents: &[&str]) -> Vec<Facts> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(vec![Facts::default(); agents.len()]);
    std::thread::scope(|scope| {
        for worker in 0..32 {
            let (next, results) = (&next, &results);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(ua) = agents.get(i) else { break };
                    let log = dir.join(format!("one-{worker}.log"));
                    std::fs::write(
                        &log,
                        format!(
                            "203.0.113.7 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"{ua}\"\n"
                        ),
                    )
                    .expect("write log");
                    let report = common::goaccess(&log, &dir.join(format!("one-{worker}.json")));
                    results.lock().expect("results")[i] = facts(&report);
                }
            });
        }
    });
    results.into_inner().expect("results")
}

/// Whether `name` is a product name on anonlog's list (ignoring case).
fn is_listed(name: &str) -> bool {
    anonlog::anonymize::classify_user_agent(name.as_bytes())
        .agent_name()
        .is_some_and(|listed| listed.eq_ignore_ascii_case(name))
}

/// User agents of the corpus GoAccess may classify differently after anonymization,
/// besides crawlers whose names anonlog does not keep; the kinds are listed in
/// `docs/privacy-model.md` ("What analyzers see").
const CORPUS_TOLERANCE: usize = 400;

#[test]
#[ignore = "needs goaccess and ../shared/data"]
fn goaccess_classifies_real_user_agents_the_same() {
    let corpus = common::shared_data::corpus();
    assert!(corpus.len() >= 2000, "only {} user agents", corpus.len());
    let log: String = corpus
        .iter()
        .map(|ua| {
            format!(
                "203.0.113.7 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"{ua}\"\n"
            )
        })
        .collect();
    let (dir, _, anon) = anonymize("goaccess-corpus", &log);
    let anon = std::fs::read_to_string(&anon).expect("anonymized log");
    let synthetic: Vec<&str> = anon
        .lines()
        .map(|line| {
            let line = line.strip_suffix('"').expect("quoted user agent");
            &line[line.rfind('"').expect("quoted user agent") + 1..]
        })
        .collect();
    assert_eq!(synthetic.len(), corpus.len());
    let mut distinct: Vec<&str> = synthetic.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let raw: Vec<&str> = corpus.iter().map(String::as_str).collect();
    let raw_facts = facts_of_each(&dir, &raw);
    let distinct_facts = facts_of_each(&dir, &distinct);
    let mut kinds: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    let (mut differing, mut unlisted_names) = (0, 0);
    for (i, before) in raw_facts.iter().enumerate() {
        let at = distinct.binary_search(&synthetic[i]).expect("distinct");
        let after = &distinct_facts[at];
        if before == after {
            continue;
        }
        differing += 1;
        let kind = if before.category != after.category {
            format!("category {} -> {}", before.category, after.category)
        } else if before.name != after.name && !is_listed(&before.name) {
            // GoAccess names the client by the word before its link, which is often not a
            // product name (`(Nutch`, `UW`, `1.0`); anonlog keeps listed names only.
            unlisted_names += 1;
            format!("{} name not on anonlog's list", before.category)
        } else if before.name != after.name {
            format!("{} name", before.category)
        } else if before.os != after.os {
            format!("os {} -> {}", before.os, after.os)
        } else {
            format!("os version {} -> {}", before.os_version, after.os_version)
        };
        if std::env::var_os("ANONLOG_GOACCESS_DETAILS").is_some() {
            eprintln!(
                "{kind}\t{}\t{}\t{before:?}\t{after:?}",
                raw[i], synthetic[i]
            );
        }
        let entry = kinds.entry(kind).or_insert((0, raw[i]));
        entry.0 += 1;
    }
    for (kind, (count, example)) in &kinds {
        eprintln!("{count:5}  {kind}   e.g. {example}");
    }
    eprintln!(
        "{} user agents ({} distinct synthetic), {differing} classified differently by \
         GoAccess, {unlisted_names} of them crawlers whose names anonlog does not keep",
        corpus.len(),
        distinct.len()
    );
    assert!(
        differing - unlisted_names <= CORPUS_TOLERANCE,
        "{differing} differences, {unlisted_names} of them unlisted names"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
