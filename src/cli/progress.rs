//! A progress line on standard error (lines, MB/s, ETA), for file input on a terminal.

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anonlog::stream::Progress;

/// Redraws the progress line until dropped; then clears it.
pub(crate) struct Bar {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Bar {
    pub(crate) fn start(progress: Arc<Progress>, total_bytes: u64) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let done = done.clone();
            std::thread::Builder::new()
                .name("anonlog-progress".to_owned())
                .spawn(move || draw(&progress, total_bytes, &done))
                .ok()
        };
        Self { done, thread }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn draw(progress: &Progress, total: u64, done: &AtomicBool) {
    let start = Instant::now();
    let mut stderr = std::io::stderr();
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(250));
        let read = progress.bytes_read.load(Ordering::Relaxed);
        let lines = progress.lines.load(Ordering::Relaxed);
        let secs = start.elapsed().as_secs_f64().max(1e-3);
        let rate = read as f64 / secs;
        let eta = if rate > 0.0 {
            format!("{:.0}s", total.saturating_sub(read) as f64 / rate)
        } else {
            "-".to_owned()
        };
        let percent = if total > 0 {
            read as f64 * 100.0 / total as f64
        } else {
            100.0
        };
        let _ = write!(
            stderr,
            "\r\x1b[K{lines} lines  {:.1} MB/s  {percent:.0}%  ETA {eta}",
            rate / 1e6
        );
        let _ = stderr.flush();
    }
    let _ = write!(stderr, "\r\x1b[K");
}
