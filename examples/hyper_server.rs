//! A plain Hyper 1.x server with anonymized access logging (no framework).
//!
//! ```text
//! cargo run --example hyper_server -- [ADDR]        (default 127.0.0.1:3001)
//! ```
//!
//! JSON lines go to standard output; the peer address reaches the layer as a
//! [`PeerAddr`] request extension.

use std::convert::Infallible;
use std::net::SocketAddr;

use anonlog::layer::{AnonLogLayer, PeerAddr};
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tower::{ServiceBuilder, service_fn};

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = format!("hello from {}\n", request.uri().path().len());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3001".to_owned())
        .parse()?;
    let (layer, _guard) = AnonLogLayer::builder().build()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, peer) = listener.accept().await?;
        let service = ServiceBuilder::new()
            // Hyper does not know the peer; hand it to the layer as an extension.
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(PeerAddr(peer));
                request
            })
            .layer(layer.clone())
            .service(service_fn(hello));
        tokio::spawn(async move {
            let io = TokioIo::new(stream);
            if let Err(e) = http1::Builder::new()
                .serve_connection(io, TowerToHyperService::new(service))
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
