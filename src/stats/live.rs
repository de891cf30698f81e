//! Live statistics from the layer: a [`Destination`] that counts every record it passes on,
//! and a handler serving the report as JSON or HTML.
//!
//! ```no_run
//! use anonlog::layer::AnonLogLayer;
//! use anonlog::sink::WriterSink;
//! use anonlog::stats::live::LiveStats;
//! use anonlog::stats::render::ReportFormat;
//! use anonlog::stats::Rules;
//!
//! let live = LiveStats::new(Rules { min_visitors: Some(10), ..Rules::default() });
//! let (layer, guard) = AnonLogLayer::builder()
//!     .sink(live.destination(WriterSink::stdout()))
//!     .build()?;
//! // Mount behind the application's own authentication, e.g. with axum:
//! // .route("/admin/stats", get(move || async move { live.response(ReportFormat::Html) }))
//! let _ = live.response(ReportFormat::Json);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Memory is bounded: only today and yesterday (UTC) are kept, with at most
//! [`Limits::visitors`] pseudonyms and [`Limits::keys`] rows per table per day (beyond them,
//! visitors count as records without pseudonym and keys in `(other)`).

use std::io;
use std::sync::{Arc, Mutex};

use super::aggregate::{Aggregate, Limits};
use super::noise::OsRandom;
use super::release::{Report, release};
use super::render::{ReportFormat, render};
use super::{Facts, Rules};
use crate::record::AnonRecord;
use crate::sink::Destination;
use crate::time::Timestamp;

/// Today's (and yesterday's) statistics, shared by the writer thread and the handler.
#[derive(Clone, Debug)]
pub struct LiveStats {
    aggregate: Arc<Mutex<Aggregate>>,
    rules: Rules,
    limits: Limits,
}

impl LiveStats {
    /// Statistics released under `rules` (exact when they set neither K nor ε: then serve
    /// them to the site's owner only).
    pub fn new(rules: Rules) -> Self {
        Self {
            aggregate: Arc::default(),
            rules,
            limits: Limits {
                visitors: 1_000_000,
                keys: 10_000,
            },
        }
    }

    /// Replaces the memory bounds (default: a million pseudonyms and 10,000 rows per table
    /// per day).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// A destination that counts each record and passes it on to `inner`.
    pub fn destination<D: Destination>(&self, inner: D) -> LiveDestination<D> {
        LiveDestination {
            stats: self.clone(),
            inner,
        }
    }

    /// The report now.
    pub fn report(&self) -> Report {
        let aggregate = self.aggregate.lock().unwrap_or_else(|e| e.into_inner());
        release(&aggregate, &self.rules, &mut OsRandom::default())
    }

    /// The report as an HTTP response in `format`, with its content type. Mount it behind
    /// the application's own authentication.
    pub fn response(&self, format: ReportFormat) -> http::Response<String> {
        let content_type = match format {
            ReportFormat::Json => "application/json",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Text => "text/plain; charset=utf-8",
        };
        let mut response = http::Response::new(render(&self.report(), format));
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        headers.insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        response
    }

    fn count(&self, batch: &[AnonRecord]) {
        let mut aggregate = self.aggregate.lock().unwrap_or_else(|e| e.into_inner());
        for record in batch {
            let facts = Facts::from(record);
            aggregate.add_bounded(&facts, &self.limits);
        }
        // Keep today and yesterday of the newest record.
        if let Some(&newest) = aggregate.days.keys().next_back() {
            aggregate.days.retain(|&day, _| day >= newest - 1);
        }
    }
}

/// A [`Destination`] that counts records for [`LiveStats`] and passes them on.
#[derive(Debug)]
pub struct LiveDestination<D> {
    stats: LiveStats,
    inner: D,
}

impl<D: Destination> Destination for LiveDestination<D> {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        self.stats.count(batch);
        self.inner.write(batch)
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        self.inner.write_dropped(time, count)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn tick(&mut self) -> io::Result<()> {
        self.inner.tick()
    }

    fn close(&mut self) -> io::Result<()> {
        self.inner.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::WriterSink;
    use crate::{Anonymizer, OutputFormat, Policy, RawRecord};

    #[test]
    fn counts_what_it_passes_on_and_serves_json_and_html() {
        let anonymizer = Anonymizer::new(Policy::strict()).expect("policy");
        let live = LiveStats::new(Rules::default());
        let mut dest = live.destination(WriterSink::new(Vec::new(), OutputFormat::Json));
        let now = Timestamp::now();
        let records: Vec<AnonRecord> = ["198.51.100.7", "198.51.100.8", "198.51.100.7"]
            .into_iter()
            .map(|ip| {
                let raw = RawRecord::builder(now)
                    .client_text(ip)
                    .method("GET")
                    .target("/")
                    .status(200)
                    .bytes(10)
                    .build();
                anonymizer.apply(&raw)
            })
            .collect();
        dest.write(&records).expect("write");
        let report = live.report();
        assert_eq!(report.totals.requests, Some(3));
        assert_eq!(report.totals.visitors, Some(2));
        assert_eq!(report.totals.page_views, Some(3));
        let json = live.response(ReportFormat::Json);
        assert_eq!(
            json.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        assert!(json.body().contains("\"requests\": 3"));
        assert!(live.response(ReportFormat::Html).body().contains("<svg"));
    }

    #[test]
    fn memory_is_bounded() {
        let live = LiveStats::new(Rules::default()).limits(Limits {
            visitors: 2,
            keys: 1,
        });
        let mut agg = live.aggregate.lock().expect("lock");
        for v in 0..5u64 {
            let path = format!("/{v}");
            let facts = Facts {
                visitor: Some(v),
                path: &path,
                status: Some(404),
                ..Facts::default()
            };
            agg.add_bounded(&facts, &live.limits);
        }
        let day = &agg.days[&0];
        assert_eq!(day.visitors.len(), 2);
        assert_eq!(day.anonymous.requests, 3);
        assert_eq!(day.rows_of(crate::stats::Table::NotFound).count(), 2);
    }
}
