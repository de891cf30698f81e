//! The response future: records the head and hands the record on to the body.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use http_body::Body;
use pin_project_lite::pin_project;

use super::body::ResponseBody;
use super::pending::Pending;
use crate::record::Outcome;

pin_project! {
    /// The future of [`AnonLog`](super::AnonLog): the inner future, plus the pending record,
    /// which is sent as aborted if this future is dropped before it completes.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, pending: Pending) -> Self {
        Self {
            inner,
            pending: Some(pending),
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut pending = this.pending.take();
        Poll::Ready(match result {
            Ok(response) => {
                if let Some(pending) = pending.as_mut() {
                    pending.head(response.status().as_u16());
                }
                let (parts, body) = response.into_parts();
                // An empty body may never be polled at all.
                if body.is_end_stream()
                    && let Some(mut pending) = pending.take()
                {
                    pending.finish(Outcome::Completed);
                }
                Ok(Response::from_parts(
                    parts,
                    ResponseBody::new(body, pending),
                ))
            }
            Err(error) => {
                if let Some(mut pending) = pending {
                    pending.finish(Outcome::Error);
                }
                Err(error)
            }
        })
    }
}
