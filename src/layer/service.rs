//! The service: captures and anonymizes each request, wraps its response.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use super::capture::capture;
use super::future::ResponseFuture;
use super::log_layer::Shared;
use super::pending::Pending;
use crate::time::Timestamp;

/// The peer address of a connection, for services that are not axum: insert it into each
/// request's extensions (axum's `ConnectInfo<SocketAddr>` is read as well).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// Middleware that sends one anonymized access record per request; see
/// [`AnonLogLayer`](super::AnonLogLayer).
#[derive(Clone, Debug)]
pub struct AnonLog<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> AnonLog<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

fn peer<B>(request: &Request<B>) -> Option<std::net::IpAddr> {
    let extensions = request.extensions();
    #[cfg(feature = "axum")]
    if let Some(info) = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>() {
        return Some(info.0.ip());
    }
    extensions.get::<PeerAddr>().map(|p| p.0.ip())
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AnonLog<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body,
{
    type Response = Response<super::ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let start = Instant::now();
        let shared = &self.shared;
        #[cfg(feature = "axum")]
        let route = request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(axum::extract::MatchedPath::as_str);
        #[cfg(not(feature = "axum"))]
        let route = None;
        let raw = capture(
            &request,
            peer(&request),
            &shared.proxies,
            &shared.anonymizer,
            Timestamp::now(),
            route,
        );
        // Anonymized now: no raw value of the request outlives this call.
        let mut record = shared.sink.spare_record();
        shared.anonymizer.apply_into(&raw, &mut record);
        drop(raw);
        let pending = Pending::new(record, shared.clone(), start);
        ResponseFuture::new(self.inner.call(request), pending)
    }
}
