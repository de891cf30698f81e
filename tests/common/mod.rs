//! Helpers shared by the layer and sink tests.
#![allow(dead_code, unreachable_pub)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anonlog::sink::Destination;
use anonlog::{AnonRecord, OutputFormat, Timestamp};

/// Collects JSON lines in memory; can be stalled to simulate a slow disk.
#[derive(Clone, Default)]
pub struct Memory {
    pub lines: Arc<Mutex<Vec<String>>>,
    pub stall: Arc<Mutex<Option<Duration>>>,
}

impl Memory {
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().expect("lines").clone()
    }

    /// Waits until at least `n` lines arrived (the writer thread is asynchronous).
    pub fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..500 {
            let lines = self.lines();
            if lines.len() >= n {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.lines()
    }
}

impl Destination for Memory {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        let stall = *self.stall.lock().expect("stall");
        if let Some(d) = stall {
            std::thread::sleep(d);
        }
        let mut out = Vec::new();
        for r in batch {
            OutputFormat::Json.encode(r, &mut out);
        }
        let text = String::from_utf8(out).expect("utf-8");
        self.lines
            .lock()
            .expect("lines")
            .extend(text.lines().map(str::to_owned));
        Ok(())
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        self.lines.lock().expect("lines").push(format!(
            "{{\"time\":\"{time}\",\"event\":\"dropped\",\"dropped\":{count}}}"
        ));
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
