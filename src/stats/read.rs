//! Reading anonymized logs for statistics: anonlog's JSON lines and its CLF output (the
//! pseudonym in the ident column), as a job on the stream runner.
//!
//! Only anonymized records are read. A line that is not (a full client address, a user
//! name, a referrer with a path, an ident that is not a pseudonym) is rejected as
//! [`Reject::NotAnonymized`], like a line that does not parse; the recipe for a raw log is
//! `anonlog anonymize access.log | anonlog stats`. Text is taken in anonlog's escaped
//! form, so a key reads the same in a report as in the log.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use super::merge::merge_partials;
use super::{Aggregate, Facts};
use crate::anonymize::user_agent::classify_cached;
use crate::parse::Reject;
use crate::parse::clf::{MissingStatus, TimeCache, parse_clf};
use crate::parse::json::parse_rfc3339;
use crate::record::ClientAddr;
use crate::record::safe_text::{escape, is_safe};
use crate::stream::anonymize::InputSummary;
use crate::stream::runner::{self, Batch, Collect, Job, RunSettings};
use crate::stream::{Input, Outcome, Progress, StreamError};
use crate::time::Timestamp;

/// Text in anonlog's escaped form: borrowed when it already is, escaped anew otherwise
/// (CLF fields come decoded from the parser).
fn safe<'a>(raw: &Cow<'a, [u8]>) -> Cow<'a, str> {
    if let Cow::Borrowed(b) = *raw
        && let Ok(text) = std::str::from_utf8(b)
    {
        return safe_str(text);
    }
    escaped(raw)
}

/// [`safe`] for text that is UTF-8 already (JSON values).
fn safe_str(text: &str) -> Cow<'_, str> {
    if is_safe(text) {
        Cow::Borrowed(text)
    } else {
        escaped(text.as_bytes())
    }
}

fn escaped(raw: &[u8]) -> Cow<'static, str> {
    let mut out = String::new();
    escape(raw, usize::MAX, &mut out);
    Cow::Owned(out)
}

/// `-` and the empty field are absent.
fn present(text: &str) -> Option<&str> {
    (!text.is_empty() && text != "-").then_some(text)
}

/// A network as anonlog writes it: an address with no bits beyond /24 (IPv4) or /48
/// (IPv6), the widest any policy keeps; `-` or absent for unknown.
fn is_network(text: Option<&str>) -> bool {
    match text {
        None | Some("-") => true,
        Some(t) => match t.parse::<IpAddr>() {
            Ok(IpAddr::V4(v4)) => v4.octets()[3] == 0,
            Ok(IpAddr::V6(v6)) => v6.octets()[6..].iter().all(|&b| b == 0),
            Err(_) => false,
        },
    }
}

/// A visitor pseudonym: 16 lower-case hex digits; `-` or absent for none.
fn pseudonym(text: Option<&str>) -> Result<Option<u64>, Reject> {
    match text {
        None | Some("-") => Ok(None),
        Some(t)
            if t.len() == 16
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            u64::from_str_radix(t, 16)
                .map(Some)
                .map_err(|_| Reject::NotAnonymized)
        }
        Some(_) => Err(Reject::NotAnonymized),
    }
}

/// A referrer as anonlog writes it: an origin, nothing after the authority.
fn is_origin(referrer: Option<&str>) -> bool {
    referrer.is_none_or(|r| {
        r.split_once("://")
            .is_some_and(|(_, rest)| !rest.contains(['/', '?', '#']))
    })
}

/// Reads one anonymized line and hands its facts to `f`.
/// `None` for the layer's in-band reports of records dropped from a full queue (a JSON
/// `"event"` record, a `# anonlog` comment in CLF): they are anonlog output, not records.
fn read_line<R>(
    line: &[u8],
    times: &TimeCache,
    f: impl FnOnce(&Facts<'_>) -> R,
) -> Result<Option<R>, Reject> {
    let line = line.trim_ascii_start();
    if line.starts_with(b"# anonlog ") {
        Ok(None)
    } else if line.starts_with(b"{") {
        read_json(line, f)
    } else {
        read_clf(line, times, f).map(Some)
    }
}

fn read_clf<R>(
    line: &[u8],
    times: &TimeCache,
    f: impl FnOnce(&Facts<'_>) -> R,
) -> Result<R, Reject> {
    // anonlog writes `-` for a record without status.
    let clf = parse_clf(line, times, MissingStatus::Accept)?;
    let r = &clf.record;
    let network = match &r.client {
        ClientAddr::Text(host) => std::str::from_utf8(host).ok(),
        _ => None,
    };
    let ident = std::str::from_utf8(clf.ident).ok();
    if !is_network(network) || clf.user != b"-" {
        return Err(Reject::NotAnonymized);
    }
    let visitor = pseudonym(ident)?;
    let method = safe(&r.method);
    let target = safe(&r.target);
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (&*target, None),
    };
    let referrer = safe(&r.referrer);
    let referrer = present(&referrer);
    if !is_origin(referrer) {
        return Err(Reject::NotAnonymized);
    }
    let agent = &r.user_agent;
    let class = (!agent.is_empty() && **agent != *b"-").then(|| classify_cached(agent));
    Ok(f(&Facts {
        day: r.time.utc_day(),
        hour: r.time.civil().hour,
        visitor,
        method: present(&method),
        path,
        query,
        status: r.status,
        bytes: r.bytes,
        referrer,
        browser: class.map(|c| c.browser()),
        os: class.map(|c| c.os()),
        os_version: None,
        device: None,
        bot: class.is_some_and(|c| c.is_bot()),
    }))
}

/// The fields of anonlog's JSON lines that statistics read; others are ignored.
#[derive(Deserialize)]
struct JsonLine<'a> {
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow, default)]
    network: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    visitor: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    event: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    query: Option<Cow<'a, str>>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(borrow, default)]
    referrer: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    browser: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    os_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    device: Option<Cow<'a, str>>,
    #[serde(default)]
    bot: Option<bool>,
}

fn read_json<R>(line: &[u8], f: impl FnOnce(&Facts<'_>) -> R) -> Result<Option<R>, Reject> {
    let l: JsonLine<'_> = serde_json::from_slice(line).map_err(|_| Reject::InvalidJson)?;
    if l.event.is_some() {
        return Ok(None);
    }
    let path = l.path.as_ref().ok_or(Reject::InvalidJson)?;
    let time: Timestamp = parse_rfc3339(l.time.as_bytes()).ok_or(Reject::InvalidTimestamp)?;
    if !is_network(l.network.as_deref()) {
        return Err(Reject::NotAnonymized);
    }
    let visitor = pseudonym(l.visitor.as_deref())?;
    if l.status.is_some_and(|s| !(100..1000).contains(&s)) {
        return Err(Reject::InvalidStatus);
    }
    fn text<'t>(t: &'t Option<Cow<'_, str>>) -> Option<Cow<'t, str>> {
        t.as_deref().map(safe_str)
    }
    let (method, path, query) = (text(&l.method), safe_str(path), text(&l.query));
    let (referrer, browser, os) = (text(&l.referrer), text(&l.browser), text(&l.os));
    let (os_version, device) = (text(&l.os_version), text(&l.device));
    if !is_origin(referrer.as_deref()) {
        return Err(Reject::NotAnonymized);
    }
    Ok(Some(f(&Facts {
        day: time.utc_day(),
        hour: time.civil().hour,
        visitor,
        method: method.as_deref(),
        path: &path,
        query: query.as_deref(),
        status: l.status,
        bytes: l.bytes,
        referrer: referrer.as_deref(),
        browser: browser.as_deref(),
        os: os.as_deref(),
        os_version: os_version.as_deref(),
        device: device.as_deref(),
        bot: l.bot.unwrap_or(false),
    })))
}

/// Aggregates every chunk on the worker that reads it; each worker hands its aggregate
/// over when it ends.
struct StatsJob {
    finished: Arc<Mutex<Vec<Aggregate>>>,
}

/// A worker's aggregate, handed to the job when the worker ends.
struct Worker {
    aggregate: Aggregate,
    times: TimeCache,
    finished: Arc<Mutex<Vec<Aggregate>>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let aggregate = std::mem::take(&mut self.aggregate);
        let mut finished = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        finished.push(aggregate);
    }
}

/// What one chunk gives: lines read, records counted, rejects by line number.
struct Counted {
    lines: u64,
    records: u64,
    rejects: Vec<(Reject, u64)>,
}

impl Job for StatsJob {
    type Tag = ();
    type Worker = Worker;
    type Output = Counted;

    fn tag(&self, _: &mut Option<()>, _: &crate::stream::reader::Chunk) {}

    fn worker(&self) -> Worker {
        Worker {
            aggregate: Aggregate::default(),
            times: TimeCache::default(),
            finished: self.finished.clone(),
        }
    }

    fn process(&self, worker: &mut Worker, batch: &Batch<()>) -> Counted {
        let mut counted = Counted {
            lines: 0,
            records: 0,
            rejects: Vec::new(),
        };
        for &line_no in &batch.chunk.oversized {
            counted.lines += 1;
            counted.rejects.push((Reject::Oversized, line_no));
        }
        let aggregate = &mut worker.aggregate;
        for (line_no, line) in batch.chunk.lines() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            counted.lines += 1;
            match read_line(line, &worker.times, |facts| aggregate.add(facts)) {
                Ok(Some(())) => counted.records += 1,
                Ok(None) => {}
                Err(reason) => counted.rejects.push((reason, line_no)),
            }
        }
        counted
    }
}

/// Keeps the summaries of the inputs.
struct Summaries(Vec<InputSummary>);

impl Collect<Counted> for Summaries {
    fn collect(&mut self, input: usize, counted: Counted) -> std::io::Result<()> {
        let summary = &mut self.0[input];
        summary.lines += counted.lines;
        summary.written += counted.records;
        for (reason, line) in counted.rejects {
            summary.count_reject(reason, line);
        }
        Ok(())
    }
}

/// Aggregates `inputs` (as one input) on `settings.threads` workers. Returns the
/// aggregate, what happened to each input (`written` counts the records read) and how the
/// run ended.
pub fn aggregate(
    inputs: Vec<Input>,
    settings: &RunSettings,
    stop: &Arc<AtomicBool>,
) -> Result<(Aggregate, Vec<InputSummary>, Outcome), StreamError> {
    let mut summaries = Summaries(
        inputs
            .iter()
            .map(|i| InputSummary {
                name: i.name.clone(),
                ..InputSummary::default()
            })
            .collect(),
    );
    let job = Arc::new(StatsJob {
        finished: Arc::default(),
    });
    let progress = Arc::new(Progress::default());
    let outcome = runner::run(&job, inputs, &mut summaries, settings, stop, &progress)?;
    let parts = std::mem::take(&mut *job.finished.lock().unwrap_or_else(|e| e.into_inner()));
    Ok((merge_partials(parts), summaries.0, outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(line: &str) -> Result<String, Reject> {
        read_line(line.as_bytes(), &TimeCache::default(), |f| format!("{f:?}"))
            .map(|f| f.unwrap_or_default())
    }

    #[test]
    fn reads_anonlog_clf_and_json() {
        let clf = facts(
            r#"198.51.0.0 0475658934c740e5 - [24/Nov/2026:09:30:15 +0000] "GET /a\x1Bb?utm_source=x HTTP/1.1" 200 5123 "https://www.example.org" "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0""#,
        )
        .expect("anonymized CLF");
        for part in [
            "visitor: Some(321274588397256933)",
            "path: \"/a\\\\x1Bb\"",
            "browser: Some(\"Firefox\")",
            "os: Some(\"Linux\")",
            "hour: 9",
        ] {
            assert!(clf.contains(part), "{part} in {clf}");
        }
        let json = facts(
            r#"{"time":"2026-11-24T09:30:15.123Z","network":"2001:db8::","visitor":null,"method":"GET","path":"/","query":null,"status":404,"bytes":null,"referrer":null,"browser":"Googlebot","browser_major":2,"os":"Other","os_version":"14","device":"Phone","bot":true}"#,
        )
        .expect("anonymized JSON");
        for part in [
            "visitor: None",
            "os_version: Some(\"14\")",
            "bot: true",
            "status: Some(404)",
        ] {
            assert!(json.contains(part), "{part} in {json}");
        }
    }

    #[test]
    fn rejects_what_is_not_anonymized() {
        for line in [
            r#"198.51.100.23 - - [24/Nov/2026:09:30:15 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"198.51.0.0 - carol [24/Nov/2026:09:30:15 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"198.51.0.0 carol - [24/Nov/2026:09:30:15 +0000] "GET / HTTP/1.1" 200 1"#,
            r#"198.51.0.0 - - [24/Nov/2026:09:30:15 +0000] "GET / HTTP/1.1" 200 1 "https://www.example.org/search?q=carol" "-""#,
            r#"{"time":"2026-11-24T09:30:15Z","network":"203.0.113.9","path":"/"}"#,
            r#"{"time":"2026-11-24T09:30:15Z","visitor":"Carol","path":"/"}"#,
        ] {
            assert_eq!(facts(line), Err(Reject::NotAnonymized), "{line}");
        }
        assert_eq!(facts("{\"path\":\"/\"}"), Err(Reject::InvalidJson));
        // The layer's reports of dropped records are skipped, not rejected.
        assert_eq!(
            facts("{\"time\":\"2026-11-24T09:30:15Z\",\"event\":\"dropped\",\"dropped\":3}"),
            Ok(String::new())
        );
        assert_eq!(
            facts("# anonlog 2026-11-24T09:30:15.000Z dropped 3 records: queue full"),
            Ok(String::new())
        );
    }
}
