//! `TracingSink`: each record becomes one event with anonymized fields only.

use std::io::Write;
use std::sync::{Arc, Mutex};

use anonlog::sink::{SinkBuilder, TracingSink};
use anonlog::{Anonymizer, Policy, RawRecord, Timestamp};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn records_become_events() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .init();
    let anonymizer = Anonymizer::new(Policy::strict()).expect("valid");
    let (sender, guard) = SinkBuilder::default().start(TracingSink).expect("sink");
    let raw = RawRecord::builder(Timestamp::now())
        .client_text("198.51.100.23")
        .method("GET")
        .target("/users/42?token=Zq7CanaryXk")
        .protocol("HTTP/1.1")
        .status(200)
        .build();
    sender.send(anonymizer.apply(&raw));
    assert!(guard.shutdown().is_complete());
    let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON event"))
        .collect();
    assert_eq!(events.len(), 1, "{text}");
    let event = &events[0];
    assert_eq!(event["target"], "anonlog::access");
    assert_eq!(event["fields"]["path"], "/users/:num");
    assert_eq!(event["fields"]["network"], "198.51.0.0");
    assert_eq!(event["fields"]["status"], 200);
    assert!(!text.contains("Zq7CanaryXk") && !text.contains("198.51.100.23"));
}
