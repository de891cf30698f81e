//! Per-request cost of the layer around a no-op service, beside the bare service.
//!
//! `cargo bench --bench layer`; records go through the real queue to a writer thread that
//! encodes JSON into `io::sink()`.

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use anonlog::OutputFormat;
use anonlog::layer::{AnonLogLayer, PeerAddr};
use anonlog::sink::WriterSink;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use tower::{Layer, Service, service_fn};

fn request() -> Request<Full<Bytes>> {
    let mut request = Request::get("/users/48213/orders?page=2&session=af83c1")
        .header("host", "www.example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        )
        .header("referer", "https://www.example.org/search?q=shoes")
        .body(Full::new(Bytes::new()))
        .expect("request");
    request
        .extensions_mut()
        .insert(PeerAddr("198.51.100.23:40000".parse().expect("addr")));
    request
}

/// Drives a request through `service` to the end of its response body.
fn exchange<S, B>(service: &mut S)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>, Error = Infallible>,
    B: Body<Data = Bytes>,
{
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(service.call(request()));
    let Poll::Ready(Ok(response)) = future.as_mut().poll(&mut cx) else {
        panic!("the no-op service answers at once");
    };
    let mut body = pin!(response.into_body());
    while let Poll::Ready(Some(frame)) = body.as_mut().poll_frame(&mut cx) {
        black_box(frame.ok());
    }
}

fn bench(c: &mut Criterion) {
    let noop = service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
            b"Hello, world!",
        ))))
    });
    let (layer, guard) = AnonLogLayer::builder()
        .sink(WriterSink::new(std::io::sink(), OutputFormat::Json))
        .build()
        .expect("layer");
    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Elements(1));
    let mut bare = noop;
    group.bench_function("no-op service", |b| b.iter(|| exchange(&mut bare)));
    let mut logged = layer.layer(noop);
    group.bench_function("no-op service + anonlog layer", |b| {
        b.iter(|| exchange(&mut logged));
    });
    group.finish();
    let report = guard.shutdown();
    eprintln!("sink: {report:?}");
}

criterion_group!(benches, bench);
criterion_main!(benches);
