//! The response body wrapper: counts bytes and ends the record with the body.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Buf;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::pending::Pending;
use crate::record::Outcome;

pin_project! {
    /// A response body that counts the bytes sent and completes the access record when the
    /// body ends (last frame, trailers, or an exact length reached), fails, or is dropped.
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        pending: Option<Pending>,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, pending: Option<Pending>) -> Self {
        Self { inner, pending }
    }
}

impl<B: std::fmt::Debug> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.inner.as_mut().poll_frame(cx));
        if let Some(pending) = this.pending.as_mut() {
            match &frame {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        pending.add_bytes(data.remaining());
                    }
                    // A client may never poll again once the exact length was sent.
                    if frame.is_trailers() || this.inner.is_end_stream() {
                        pending.finish(Outcome::Completed);
                    }
                }
                Some(Err(_)) => pending.finish(Outcome::Error),
                None => pending.finish(Outcome::Completed),
            }
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
