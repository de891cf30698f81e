//! The Tower layer: exactly one anonymized record per request, whatever happens to it.

mod common;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use anonlog::layer::{AnonLogLayer, PeerAddr};
use anonlog::sink::SinkGuard;
use bytes::Bytes;
use common::Memory;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use tower::{ServiceBuilder, ServiceExt, service_fn};

fn layer(proxies: &[&str]) -> (AnonLogLayer, SinkGuard, Memory) {
    let memory = Memory::default();
    let (layer, guard) = AnonLogLayer::builder()
        .trusted_proxies(proxies.iter().map(|p| p.parse().expect("cidr")))
        .sink(memory.clone())
        .build()
        .expect("layer");
    (layer, guard, memory)
}

fn request(uri: &str) -> Request<Full<Bytes>> {
    let mut request = Request::get(uri)
        .header("host", "www.example.com")
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        )
        .body(Full::new(Bytes::new()))
        .expect("request");
    request
        .extensions_mut()
        .insert(PeerAddr("198.51.100.23:40000".parse().expect("addr")));
    request
}

fn records(guard: SinkGuard, memory: &Memory) -> Vec<serde_json::Value> {
    let report = guard.shutdown();
    assert_eq!(report.unwritten, 0);
    memory
        .lines()
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// A body of scripted frames; `exact` makes it report its end right after the last data
/// frame, as a body with a known length does.
struct Scripted {
    frames: VecDeque<Result<Frame<Bytes>, std::io::Error>>,
    exact: bool,
}

impl Scripted {
    fn new(frames: Vec<Result<Frame<Bytes>, std::io::Error>>, exact: bool) -> Self {
        Self {
            frames: frames.into(),
            exact,
        }
    }
}

impl Body for Scripted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(self.frames.pop_front())
    }

    fn is_end_stream(&self) -> bool {
        self.exact && self.frames.is_empty()
    }
}

fn data(s: &'static str) -> Result<Frame<Bytes>, std::io::Error> {
    Ok(Frame::data(Bytes::from_static(s.as_bytes())))
}

#[tokio::test]
async fn full_body_gives_one_completed_record() {
    let (layer, guard, memory) = layer(&[]);
    let service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello world"))))
        },
    ));
    let response = service
        .oneshot(request("/users/42?page=2&token=abc"))
        .await
        .expect("response");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(&body[..], b"hello world");
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 1);
    let r = &lines[0];
    assert_eq!(r["network"], "198.51.0.0");
    assert_eq!(r["path"], "/users/:num");
    assert_eq!(r["query"], "page=2");
    assert_eq!(r["host"], "www.example.com");
    assert_eq!(r["status"], 200);
    assert_eq!(r["bytes"], 11);
    assert_eq!(r["browser"], "Firefox");
    assert_eq!(r["outcome"], "completed");
    assert!(r["duration_ms"].as_f64().is_some() && r["time_to_head_ms"].as_f64().is_some());
    assert!(r["visitor"].is_string());
}

#[tokio::test]
async fn streaming_body_with_trailers() {
    let (layer, guard, memory) = layer(&[]);
    let service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            let mut trailers = HeaderMap::new();
            trailers.insert("x-checksum", "abc".parse().expect("value"));
            let body = Scripted::new(
                vec![
                    data("ab"),
                    data("cde"),
                    data("f"),
                    Ok(Frame::trailers(trailers)),
                ],
                false,
            );
            Ok::<_, Infallible>(Response::new(body))
        },
    ));
    let response = service.oneshot(request("/stream")).await.expect("response");
    let collected = response.into_body().collect().await.expect("body");
    assert!(collected.trailers().is_some());
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["bytes"], 6);
    assert_eq!(lines[0]["outcome"], "completed");
}

#[tokio::test]
async fn exact_length_body_ends_without_a_final_poll() {
    let (layer, guard, memory) = layer(&[]);
    let service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Scripted::new(vec![data("12345")], true)))
        },
    ));
    let response = service.oneshot(request("/exact")).await.expect("response");
    let mut body = response.into_body();
    // Poll the one data frame, then keep the body alive without polling again.
    let frame = body.frame().await.expect("frame").expect("ok");
    assert_eq!(frame.data_ref().map(|d| d.len()), Some(5));
    let lines = memory.wait_for(1);
    assert_eq!(lines.len(), 1);
    drop(body);
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 1, "exactly one record: {lines:?}");
    assert_eq!(lines[0]["outcome"], "completed");
    assert_eq!(lines[0]["bytes"], 5);
}

#[tokio::test]
async fn body_error_and_service_error() {
    let (layer, guard, memory) = layer(&[]);
    let failing_body = ServiceBuilder::new()
        .layer(layer.clone())
        .service(service_fn(|_req: Request<Full<Bytes>>| async {
            let body = Scripted::new(vec![data("ab"), Err(std::io::Error::other("disk"))], false);
            Ok::<_, Infallible>(Response::new(body))
        }));
    let response = failing_body.oneshot(request("/a")).await.expect("response");
    assert!(response.into_body().collect().await.is_err());

    let failing_service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Err::<Response<Full<Bytes>>, _>(std::io::Error::other("backend down"))
        },
    ));
    assert!(failing_service.oneshot(request("/b")).await.is_err());
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "error");
    assert_eq!(lines[0]["bytes"], 2);
    assert_eq!(lines[1]["outcome"], "error");
    assert_eq!(lines[1]["status"], serde_json::Value::Null);
}

#[tokio::test]
async fn cancelled_requests_and_dropped_bodies_are_aborted() {
    let (layer, guard, memory) = layer(&[]);
    let slow = ServiceBuilder::new()
        .layer(layer.clone())
        .service(service_fn(|_req: Request<Full<Bytes>>| async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        }));
    let cancelled = tokio::time::timeout(
        std::time::Duration::from_millis(20),
        slow.oneshot(request("/slow")),
    )
    .await;
    assert!(cancelled.is_err());

    let streaming = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Scripted::new(
                vec![data("abc"), data("def")],
                false,
            )))
        },
    ));
    let response = streaming.oneshot(request("/gone")).await.expect("response");
    let mut body = response.into_body();
    body.frame().await.expect("frame").expect("ok");
    drop(body);
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["outcome"], "aborted");
    assert_eq!(lines[0]["status"], serde_json::Value::Null);
    assert_eq!(lines[1]["outcome"], "aborted");
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(lines[1]["bytes"], 3);
}

#[tokio::test]
async fn panics_caught_inside_are_recorded() {
    let (layer, guard, memory) = layer(&[]);
    let service = ServiceBuilder::new()
        .layer(layer)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .service(service_fn(|_req: Request<Full<Bytes>>| async {
            if true {
                panic!("handler bug");
            }
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        }));
    let response = service.oneshot(request("/boom")).await.expect("response");
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    response.into_body().collect().await.expect("body");
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], 500);
    assert_eq!(lines[0]["outcome"], "completed");
}

#[tokio::test]
async fn canaries_in_headers_query_path_and_referrer_never_reach_the_log() {
    const C: &str = "Zq7CanaryXk";
    let (layer, guard, memory) = layer(&[]);
    let service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
        },
    ));
    let mut req = Request::get(format!(
        "/u/{C}/x;jsessionid={C}?{C}={C}&token={C}&page={C}"
    ))
    .header("cookie", format!("session={C}"))
    .header("authorization", format!("Bearer {C}"))
    .header("x-api-key", C)
    .header("x-custom", C)
    .header("referer", format!("https://www.example.com/{C}?q={C}"))
    .header("user-agent", format!("Mozilla/5.0 {C}"))
    .header("host", format!("{C}.example.com"))
    .header("x-forwarded-for", "192.0.2.1")
    .body(Full::new(Bytes::new()))
    .expect("request");
    req.extensions_mut()
        .insert(PeerAddr("198.51.100.23:1".parse().expect("addr")));
    service
        .oneshot(req)
        .await
        .expect("response")
        .into_body()
        .collect()
        .await
        .expect("body");
    let report = guard.shutdown();
    let text = memory.lines().join("\n");
    assert_eq!(memory.lines().len(), 1);
    assert!(report.is_complete());
    assert!(!text.contains(C), "{text}");
    assert!(
        !text.contains("198.51.100.23") && !text.contains("192.0.2.1"),
        "{text}"
    );
}

#[tokio::test]
async fn forwarded_for_only_from_trusted_proxies() {
    let (layer, guard, memory) = layer(&["10.0.0.0/8"]);
    let service = ServiceBuilder::new().layer(layer).service(service_fn(
        |_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        },
    ));
    // Untrusted peer: a forged left-most entry is ignored, the peer is the client.
    let mut forged = request("/");
    forged
        .headers_mut()
        .insert("x-forwarded-for", "203.0.113.9".parse().expect("value"));
    service.clone().oneshot(forged).await.expect("response");
    // Trusted chain: client, then two trusted hops; the forged first entry is skipped.
    let mut chained = request("/");
    chained
        .extensions_mut()
        .insert(PeerAddr("10.0.0.1:80".parse().expect("addr")));
    chained.headers_mut().append(
        "x-forwarded-for",
        "192.0.2.66, 203.0.113.9".parse().expect("v"),
    );
    chained
        .headers_mut()
        .append("x-forwarded-for", "10.0.0.7".parse().expect("value"));
    service.oneshot(chained).await.expect("response");
    let lines = records(guard, &memory);
    assert_eq!(lines[0]["network"], "198.51.0.0");
    assert_eq!(lines[1]["network"], "203.0.0.0");
}

#[tokio::test]
async fn axum_router_uses_route_templates_and_connect_info() {
    use axum::Router;
    use axum::routing::get;
    let (layer, guard, memory) = layer(&[]);
    let app: Router = Router::new()
        .route("/users/{id}", get(|| async { "user" }))
        .layer(layer);
    fn assert_bounds<T: Clone + Send + Sync + 'static>(_: &T) {}
    assert_bounds(&app);
    let mut req = Request::get("/users/carol-smith")
        .body(axum::body::Body::empty())
        .expect("request");
    req.extensions_mut().insert(axum::extract::ConnectInfo(
        "2001:db8:abcd::1:5000"
            .parse::<std::net::SocketAddr>()
            .unwrap_or_else(|_| "[2001:db8:abcd::1]:5000".parse().expect("addr")),
    ));
    let response = app.oneshot(req).await.expect("response");
    response.into_body().collect().await.expect("body");
    let lines = records(guard, &memory);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "/users/{id}");
    assert_eq!(lines[0]["network"], "2001:db8::");
}

#[tokio::test]
async fn idle_servers_destroy_day_keys_after_48_hours() {
    use std::sync::Mutex;
    use std::time::{Duration, SystemTime};

    #[derive(Debug)]
    struct Fake(Mutex<SystemTime>);
    impl anonlog::anonymize::Clock for Fake {
        fn now(&self) -> SystemTime {
            *self.0.lock().expect("clock")
        }
    }
    let clock = std::sync::Arc::new(Fake(Mutex::new(SystemTime::now())));
    let memory = Memory::default();
    let (layer, guard) = AnonLogLayer::builder()
        .clock(clock.clone())
        .sink(memory.clone())
        .build()
        .expect("layer");
    let service = ServiceBuilder::new()
        .layer(layer.clone())
        .service(service_fn(|_req: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        }));
    service.oneshot(request("/")).await.expect("response");
    assert_eq!(layer.anonymizer().day_keys_in_memory(), 1);
    // No request arrives for two days: the writer's housekeeping destroys the key.
    *clock.0.lock().expect("clock") += Duration::from_secs(48 * 3600);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while layer.anonymizer().day_keys_in_memory() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the key outlived its age"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(guard);
}
