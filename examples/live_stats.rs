//! Live statistics from the layer, served by the application behind its own authentication.
//!
//! ```text
//! STATS_TOKEN=secret cargo run --example live_stats -- [--addr 127.0.0.1:3000]
//! curl -H 'Authorization: Bearer secret' http://127.0.0.1:3000/admin/stats.json
//! ```
//!
//! Every request is anonymized by the layer and written as a JSON line to standard output;
//! the same records are counted in memory (today and yesterday only). `/admin/stats` (HTML)
//! and `/admin/stats.json` serve the exact report to whoever has the token; `/stats` serves
//! a release with at least 10 visitors per row that may be shown publicly.

use std::net::SocketAddr;

use anonlog::layer::AnonLogLayer;
use anonlog::sink::WriterSink;
use anonlog::stats::Rules;
use anonlog::stats::live::LiveStats;
use anonlog::stats::render::ReportFormat;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The owner's report, only with `Authorization: Bearer $STATS_TOKEN`.
fn owner_only(headers: &HeaderMap, live: &LiveStats, format: ReportFormat) -> Response {
    let token = std::env::var("STATS_TOKEN").unwrap_or_default();
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token.is_empty() || given != Some(token.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    live.response(format).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 3000));
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value.parse()?,
            _ => return Err(format!("unknown argument {flag}").into()),
        }
    }
    let exact = LiveStats::new(Rules::default());
    let public = Rules {
        min_visitors: Some(10),
        ..Rules::default()
    };
    let published = LiveStats::new(public);
    // Both counters see every record; the log itself goes to standard output.
    let sink = published.destination(exact.destination(WriterSink::stdout()));
    let (layer, guard) = AnonLogLayer::builder().sink(sink).build()?;
    let (html, json) = (exact.clone(), exact);
    let app = Router::new()
        .route("/", get(|| async { "welcome\n" }))
        .route(
            "/admin/stats",
            get(move |h: HeaderMap| async move { owner_only(&h, &html, ReportFormat::Html) }),
        )
        .route(
            "/admin/stats.json",
            get(move |h: HeaderMap| async move { owner_only(&h, &json, ReportFormat::Json) }),
        )
        .route(
            "/stats",
            get(move || async move { published.response(ReportFormat::Html) }),
        )
        .layer(layer);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    let report = guard.shutdown();
    if !report.is_complete() {
        eprintln!("log incomplete: {report:?}");
    }
    Ok(())
}
