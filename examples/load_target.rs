//! A hello-world axum server for load tests, with three logging modes:
//!
//! - `none`: no access log;
//! - `anonlog`: anonymized JSON lines through the layer, written to `--log`;
//! - `trace`: the usual alternative, tower-http's `TraceLayer` with a JSON
//!   tracing-subscriber writing to `--log` through tracing-appender's non-blocking writer.
//!
//! ```text
//! cargo run --release --example load_target -- --addr 127.0.0.1:8080 --mode anonlog \
//!     --log /tmp/access.log [--capacity-bytes N] [--on-full drop|block]
//! ```
//!
//! In `anonlog` mode the sink's shutdown report is printed on standard error as one JSON
//! line when SIGTERM or SIGINT stop the server.

use std::net::SocketAddr;

use anonlog::layer::AnonLogLayer;
use anonlog::sink::{FileSink, OnFull};
use axum::Router;
use axum::routing::get;

#[derive(Debug)]
struct Args {
    addr: SocketAddr,
    mode: String,
    log: std::path::PathBuf,
    capacity: usize,
    on_full: OnFull,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
        mode: "none".to_owned(),
        log: std::env::temp_dir().join("anonlog-load-target.log"),
        capacity: 8 << 20,
        on_full: OnFull::Drop,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => args.addr = value.parse().map_err(|e| format!("--addr: {e}"))?,
            "--mode" => args.mode = value,
            "--log" => args.log = value.into(),
            "--capacity-bytes" => {
                args.capacity = value
                    .parse()
                    .map_err(|e| format!("--capacity-bytes: {e}"))?;
            }
            "--on-full" => {
                args.on_full = match value.as_str() {
                    "drop" => OnFull::Drop,
                    "block" => OnFull::Block,
                    other => return Err(format!("--on-full: {other}; expected drop or block")),
                }
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let app = Router::new().route("/", get(|| async { "Hello, world!" }));
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    eprintln!(
        "listening on http://{} ({})",
        listener.local_addr()?,
        args.mode
    );
    match args.mode.as_str() {
        "none" => serve(listener, app).await,
        "anonlog" => {
            let (layer, guard) = AnonLogLayer::builder()
                .sink(FileSink::new(&args.log))
                .capacity_bytes(args.capacity)
                .on_full(args.on_full)
                .build()?;
            serve(listener, app.layer(layer)).await?;
            let report = guard.shutdown();
            let s = report.stats;
            // One JSON line on standard error, for scripts/soak.sh.
            eprintln!(
                "{{\"accepted\":{},\"written\":{},\"dropped\":{},\"failed\":{},\"io_errors\":{},\"unwritten\":{}}}",
                s.accepted, s.written, s.dropped, s.failed, s.io_errors, report.unwritten
            );
            Ok(())
        }
        "trace" => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&args.log)?;
            let (writer, _guard) = tracing_appender::non_blocking(file);
            tracing_subscriber::fmt()
                .json()
                .with_writer(writer)
                .with_max_level(tracing::Level::DEBUG)
                .init();
            serve(
                listener,
                app.layer(tower_http::trace::TraceLayer::new_for_http()),
            )
            .await
        }
        other => Err(format!("unknown mode {other}; expected none, anonlog or trace").into()),
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
) -> Result<(), Box<dyn std::error::Error>> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    })
    .await?;
    Ok(())
}
