//! The receivers: one thread per UDP socket, and per TCP listener an accepting thread with
//! one thread per connection, at most [`Limits::max_connections`] of them.

use std::io::{self, Read as _};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::framer::TcpFramer;
use super::queue::{OnFull, Queue, SyslogInput};
use super::{Listen, MAX_RECORD};

/// Longest wait of an accept loop after an error (too many open files, say).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// How often a waiting connection looks whether the receiver closed.
const CLOSE_POLL: Duration = Duration::from_millis(200);
/// Stack of a connection thread (its buffers are on the heap).
const CONNECTION_STACK: usize = 256 << 10;

/// The bounds of a receiver (`anonlog serve`'s defaults: 64 MiB, 256 connections, 120 s).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of received lines queued for the pipeline; datagrams beyond are dropped and
    /// counted, stream senders wait.
    pub queue_bytes: usize,
    /// TCP connections served at once per listener; further ones wait in the listen
    /// backlog until one ends.
    pub max_connections: usize,
    /// A TCP connection that completes no record for this long is closed (an idle or a
    /// trickling sender).
    pub idle_timeout: Duration,
}

/// A running receiver.
#[derive(Debug)]
pub struct Receiver {
    /// The received lines, for the pipeline.
    pub input: SyslogInput,
    /// The queue: counts, and closing at shutdown.
    pub queue: Arc<Queue>,
    /// The bound addresses, in the order given.
    pub bound: Vec<SocketAddr>,
}

/// Binds every address and starts receiving within `limits`.
pub fn listen(addresses: &[Listen], limits: Limits) -> io::Result<Receiver> {
    let queue = Arc::new(Queue::new(limits.queue_bytes.max(2 * MAX_RECORD)));
    let mut bound = Vec::new();
    for address in addresses {
        let queue = queue.clone();
        match *address {
            Listen::Udp(addr) => {
                let socket = UdpSocket::bind(addr).map_err(|e| bind_error(&e, "udp", addr))?;
                bound.push(socket.local_addr()?);
                thread::Builder::new()
                    .name("anonlog-udp".to_owned())
                    .spawn(move || receive_udp(&socket, &queue))?;
            }
            Listen::Tcp(addr) => {
                let listener = TcpListener::bind(addr).map_err(|e| bind_error(&e, "tcp", addr))?;
                bound.push(listener.local_addr()?);
                thread::Builder::new()
                    .name("anonlog-tcp".to_owned())
                    .spawn(move || accept_tcp(&listener, &queue, limits))?;
            }
        }
    }
    let input = SyslogInput::new(queue.clone());
    Ok(Receiver {
        input,
        queue,
        bound,
    })
}

fn receive_udp(socket: &UdpSocket, queue: &Queue) {
    let mut buf = vec![0u8; 65_536];
    let mut backoff = Backoff::default();
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, _)) => {
                backoff.reset();
                if !queue.offer(&buf[..n], OnFull::Drop) {
                    return;
                }
            }
            Err(_) if queue.is_closed() => return,
            Err(_) => backoff.wait(),
        }
    }
}

/// Connection slots of one listener.
#[derive(Debug, Default)]
struct Slots {
    used: Mutex<usize>,
    freed: Condvar,
}

/// A taken slot, given back when the connection's thread ends.
struct Slot(Arc<Slots>);

impl Drop for Slot {
    fn drop(&mut self) {
        let mut used = self.0.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

impl Slots {
    /// Waits for a free slot and takes it.
    fn take(self: &Arc<Self>, max: usize) -> Slot {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used >= max.max(1) {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += 1;
        Slot(self.clone())
    }
}

fn accept_tcp(listener: &TcpListener, queue: &Arc<Queue>, limits: Limits) {
    let slots = Arc::new(Slots::default());
    let mut backoff = Backoff::default();
    loop {
        let slot = slots.take(limits.max_connections);
        if queue.is_closed() {
            return;
        }
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // Out of descriptors or memory: wait instead of spinning, then try again.
            Err(_) => {
                backoff.wait();
                continue;
            }
        };
        backoff.reset();
        let queue = queue.clone();
        // A connection that cannot get a thread is closed (its slot given back) when
        // the closure is dropped.
        let _ = thread::Builder::new()
            .name("anonlog-tcp-conn".to_owned())
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                let _slot = slot;
                receive_tcp(stream, &queue, limits.idle_timeout);
            });
    }
}

fn receive_tcp(mut stream: TcpStream, queue: &Queue, idle_timeout: Duration) {
    let mut framer = TcpFramer::default();
    let mut buf = vec![0u8; 65_536];
    let mut last_record = Instant::now();
    loop {
        let left = idle_timeout.saturating_sub(last_record.elapsed());
        if left.is_zero() || queue.is_closed() {
            break;
        }
        if stream.set_read_timeout(Some(left.min(CLOSE_POLL))).is_err() {
            break;
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => {
                if let Some(last) = framer.finish() {
                    queue.offer(&last, OnFull::Wait);
                }
                return;
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_record() {
                Ok(Some(record)) => {
                    last_record = Instant::now();
                    if !queue.offer(&record, OnFull::Wait) {
                        return;
                    }
                }
                Ok(None) => break,
                // Unframeable: count it and close the connection.
                Err(()) => {
                    queue.cut_off();
                    return;
                }
            }
        }
    }
    // Closed for idleness, an error or shutdown: a record begun and not finished is
    // counted, not passed on.
    if framer.has_partial() {
        queue.cut_off();
    }
}

/// Exponential back-off between 10 ms and [`MAX_ACCEPT_BACKOFF`].
#[derive(Debug)]
struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Self(Duration::from_millis(10))
    }
}

impl Backoff {
    fn wait(&mut self) {
        thread::sleep(self.0);
        self.0 = (self.0 * 2).min(MAX_ACCEPT_BACKOFF);
    }

    fn reset(&mut self) {
        *self = Self::default();
    }
}

/// A bind error that names the address, which the system's message does not.
fn bind_error(e: &std::io::Error, scheme: &str, addr: std::net::SocketAddr) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{scheme}://{addr}: {e}"))
}
