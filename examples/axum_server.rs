//! A small axum application with anonymized access logging.
//!
//! ```text
//! cargo run --example axum_server -- [--addr 127.0.0.1:3000] [--log PATH] [--trusted-proxy CIDR]...
//! ```
//!
//! The log (standard output by default) holds exactly one JSON line per request and
//! nothing else; the listening address goes to standard error. SIGTERM or SIGINT stop the
//! server gracefully and flush the log.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use anonlog::layer::AnonLogLayer;
use anonlog::sink::{FileSink, WriterSink};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::routing::get;
use bytes::Bytes;
use http_body::Frame;

#[derive(Debug)]
struct Args {
    addr: SocketAddr,
    log: Option<std::path::PathBuf>,
    trusted: Vec<ipnet::IpNet>,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
        log: None,
        trusted: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--log" => args.log = Some(value()?.into()),
            "--trusted-proxy" => args.trusted.push(
                value()?
                    .parse()
                    .map_err(|e| format!("--trusted-proxy: {e}"))?,
            ),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Five chunks without a known length: a streaming response.
struct Countdown(u8);

impl http_body::Body for Countdown {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.0 == 0 {
            return Poll::Ready(None);
        }
        self.0 -= 1;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(format!(
            "chunk {}\n",
            self.0
        ))))))
    }
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "welcome\n" }))
        .route(
            "/users/{id}",
            get(|Path(id): Path<String>| async move { format!("user {}\n", id.len()) }),
        )
        .route("/orders/{uuid}", get(|| async { "order\n" }))
        .route(
            "/search",
            get(|Query(q): Query<Vec<(String, String)>>| async move {
                format!("{} parameters\n", q.len())
            }),
        )
        .route(
            "/static/{*path}",
            get(|| async { "body { color: black }\n" }),
        )
        .route("/stream", get(|| async { Body::new(Countdown(5)) }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let builder = AnonLogLayer::builder().trusted_proxies(args.trusted);
    let builder = match &args.log {
        Some(path) => builder.sink(FileSink::new(path)),
        None => builder.sink(WriterSink::stdout()),
    };
    let (layer, guard) = builder.build()?;
    report_losses(layer.sink().clone());
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app()
            .layer(layer)
            .into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let report = guard.shutdown();
    if !report.is_complete() {
        eprintln!("log incomplete: {report:?}");
        std::process::exit(1);
    }
    Ok(())
}

/// Records lost to write errors (a full disk) or dropped by a full queue are reported
/// every 10 seconds while they happen, not only at shutdown.
fn report_losses(sink: anonlog::sink::SinkSender) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(10));
        let mut last = sink.stats();
        loop {
            every.tick().await;
            let now = sink.stats();
            if now.failed > last.failed || now.dropped > last.dropped {
                eprintln!(
                    "access log: {} records lost to {} write errors, {} dropped by a full queue, so far",
                    now.failed, now.io_errors, now.dropped
                );
            }
            last = now;
        }
    });
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
