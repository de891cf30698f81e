//! The Tower layer: one anonymized access record per request, for any service of
//! `http::Request`s (Hyper 1.x, axum 0.8, `ServiceBuilder`).
//!
//! ```no_run
//! use anonlog::layer::AnonLogLayer;
//! use anonlog::sink::FileSink;
//! use anonlog::Policy;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (layer, _guard) = AnonLogLayer::builder()
//!     .policy(Policy::strict())
//!     .trusted_proxies(["10.0.0.0/8".parse()?])
//!     .sink(FileSink::daily("logs/access"))
//!     .build()?;
//! let app: axum::Router = axum::Router::new()
//!     .route("/users/{id}", axum::routing::get(|| async { "hello" }))
//!     .layer(layer);
//! # Ok(()) }
//! ```
//!
//! The request side is anonymized when the request arrives, so no raw value outlives the
//! call; the response side (status, bytes, timings, outcome) is added when the response
//! body ends, fails, or is dropped. Exactly one record is sent per request, also for
//! streaming bodies, errors, cancelled requests and clients that go away.

mod body;
mod capture;
mod future;
mod log_layer;
mod pending;
mod service;

pub use body::ResponseBody;
pub use capture::capture_request;
pub use future::ResponseFuture;
pub use log_layer::{AnonLogLayer, AnonLogLayerBuilder, BuildError};
pub use service::{AnonLog, PeerAddr};
