//! Real-world user agents from the shared public data sets in `../shared/data/` (uap-core's
//! test cases and the crawler-user-agents examples). Tests that use them are marked
//! `#[ignore = "needs ../shared/data"]`; they fail with a clear message when it is missing.

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The shared data folder, relative to the crate root.
pub fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    assert!(
        dir.join("uap-core/tests/test_ua.yaml").is_file(),
        "the shared data sets are missing: expected uap-core and crawler-user-agents under {}",
        dir.display()
    );
    dir
}

/// One test case of a uap-core test file: the user agent and its expected family and major.
#[derive(Clone, Debug)]
pub struct UapCase {
    pub user_agent: String,
    pub family: String,
    pub major: Option<String>,
}

/// The cases of `uap-core/tests/<file>` (`test_ua.yaml`, `test_os.yaml`, …).
pub fn uap_cases(file: &str) -> Vec<UapCase> {
    let path = data_dir().join("uap-core/tests").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases: Vec<UapCase> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(value) = line.strip_prefix("- user_agent_string:") {
            cases.push(UapCase {
                user_agent: yaml_scalar(value).unwrap_or_default(),
                family: String::new(),
                major: None,
            });
        } else if let Some(case) = cases.last_mut() {
            if let Some(value) = line.strip_prefix("family:") {
                case.family = yaml_scalar(value).unwrap_or_default();
            } else if let Some(value) = line.strip_prefix("major:") {
                case.major = yaml_scalar(value).filter(|m| !m.is_empty());
            }
        }
    }
    assert!(cases.len() > 100, "{}: too few cases", path.display());
    cases
}

/// A YAML flow scalar as uap-core writes them: `'single'` (with `''`), `"double"` (with
/// backslash escapes) or plain; `None` when empty.
fn yaml_scalar(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return Some(inner.replace("''", "'"));
    }
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        return Some(out);
    }
    Some(value.to_owned())
}

/// The example user agents of `crawler-user-agents.json`.
pub fn crawler_examples() -> Vec<String> {
    let path = data_dir().join("crawler-user-agents/crawler-user-agents.json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let list: serde_json::Value = serde_json::from_slice(&text).expect("crawler list is JSON");
    list.as_array()
        .expect("crawler list is an array")
        .iter()
        .flat_map(|entry| entry["instances"].as_array().into_iter().flatten())
        .filter_map(|ua| ua.as_str().map(str::to_owned))
        .collect()
}

/// Distinct real-world user agents that a combined log line can carry (printable ASCII,
/// no `"`, no `\`), from uap-core's browser and OS tests and the crawler examples.
pub fn corpus() -> Vec<String> {
    let mut seen = BTreeSet::new();
    uap_cases("test_ua.yaml")
        .into_iter()
        .chain(uap_cases("test_os.yaml"))
        .map(|c| c.user_agent)
        .chain(crawler_examples())
        .filter(|ua| {
            !ua.is_empty()
                && ua.len() <= 400
                && ua
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
        })
        .filter(|ua| seen.insert(ua.clone()))
        .collect()
}
