//! Syslog reception: RFC 3164 and RFC 5424 records over UDP and TCP (RFC 6587 framing),
//! reduced to their message, the access-log line a server sent.

use std::net::SocketAddr;
use std::str::FromStr;

/// Where to listen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// Datagrams, one record each.
    Udp(SocketAddr),
    /// A stream of records, octet-counted or newline-delimited.
    Tcp(SocketAddr),
}

impl FromStr for Listen {
    type Err = String;

    /// `udp://127.0.0.1:5514` or `tcp://[::1]:5514`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (scheme, addr) = s
            .split_once("://")
            .ok_or_else(|| format!("{s:?}: expected udp://ADDR:PORT or tcp://ADDR:PORT"))?;
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| format!("{s:?}: invalid address: {e}"))?;
        match scheme {
            "udp" => Ok(Self::Udp(addr)),
            "tcp" => Ok(Self::Tcp(addr)),
            _ => Err(format!("{s:?}: the scheme must be udp or tcp")),
        }
    }
}

/// The message of one syslog record, without its header; `None` when the record is not
/// syslog at all.
///
/// RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG`. RFC 3164, as nginx and
/// `logger` send it: `<PRI>Mmm dd hh:mm:ss [HOST] TAG[PID]: MSG`.
pub fn message(record: &[u8]) -> Option<&[u8]> {
    let record = record.strip_suffix(b"\n").unwrap_or(record);
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let rest = record.strip_prefix(b"<")?;
    let close = rest.iter().take(4).position(|&b| b == b'>')?;
    if close == 0 || !rest[..close].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = &rest[close + 1..];
    let message = match rest.strip_prefix(b"1 ") {
        Some(v5424) => rfc5424_message(v5424),
        None => rfc3164_message(rest),
    };
    // Relays such as rsyslog keep the space that followed the tag as part of the message.
    message.map(<[u8]>::trim_ascii_start)
}

fn split_token(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = memchr::memchr(b' ', s)?;
    Some((&s[..i], &s[i + 1..]))
}

fn rfc5424_message(s: &[u8]) -> Option<&[u8]> {
    // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
    let mut rest = s;
    for _ in 0..5 {
        rest = split_token(rest)?.1;
    }
    // STRUCTURED-DATA: "-" or one or more [..] elements (a `]` inside is escaped as `\]`).
    let rest = if let Some(after) = rest.strip_prefix(b"-") {
        after
    } else {
        let mut i = 0;
        while rest.get(i) == Some(&b'[') {
            let mut j = i + 1;
            loop {
                match rest.get(j)? {
                    b'\\' => j += 2,
                    b']' => break,
                    _ => j += 1,
                }
            }
            i = j + 1;
        }
        if i == 0 {
            return None;
        }
        &rest[i..]
    };
    let msg = rest.strip_prefix(b" ").unwrap_or(rest);
    Some(msg.strip_prefix("\u{feff}".as_bytes()).unwrap_or(msg))
}

fn rfc3164_message(s: &[u8]) -> Option<&[u8]> {
    // "Mmm dd hh:mm:ss " (the day may be space-padded).
    let rest = if s.len() > 16 && s[3] == b' ' && s[6] == b' ' && s[9] == b':' && s[12] == b':' {
        &s[16..]
    } else {
        s
    };
    // [HOST] TAG: — the tag is the first of the next two words that ends with ':'.
    let (first, after_first) = split_token(rest)?;
    if is_tag(first) {
        return Some(after_first);
    }
    let (second, after_second) = split_token(after_first)?;
    is_tag(second).then_some(after_second)
}

/// `nginx:` or `httpd[1234]:`.
fn is_tag(word: &[u8]) -> bool {
    let Some(name) = word.strip_suffix(b":") else {
        return false;
    };
    let name = match memchr::memchr(b'[', name) {
        Some(i) if name.ends_with(b"]") => &name[..i],
        Some(_) => return false,
        None => name,
    };
    !name.is_empty()
        && name.len() <= 48
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

/// Splits a TCP byte stream into records (RFC 6587): octet counting (`LEN SP RECORD`) or
/// newline-delimited, decided per record by its first byte.
#[derive(Debug, Default)]
pub struct TcpFramer {
    buf: Vec<u8>,
}

/// Longest record accepted from a stream; a longer one ends the connection.
pub const MAX_RECORD: usize = 64 << 10;

impl TcpFramer {
    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete record, `Ok(None)` when more bytes are needed, `Err(())` when the
    /// stream cannot be framed (an oversized record or a bad length).
    #[allow(clippy::result_unit_err)]
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>, ()> {
        let Some(&first) = self.buf.first() else {
            return Ok(None);
        };
        if first.is_ascii_digit() {
            let Some(space) = self.buf.iter().take(8).position(|&b| b == b' ') else {
                return if self.buf.len() >= 8 {
                    Err(())
                } else {
                    Ok(None)
                };
            };
            let len: usize = std::str::from_utf8(&self.buf[..space])
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or(())?;
            if len > MAX_RECORD {
                return Err(());
            }
            if self.buf.len() < space + 1 + len {
                return Ok(None);
            }
            let record = self.buf[space + 1..space + 1 + len].to_vec();
            self.buf.drain(..space + 1 + len);
            return Ok(Some(record));
        }
        match memchr::memchr2(b'\n', 0, &self.buf) {
            Some(end) => {
                let record = self.buf[..end].to_vec();
                self.buf.drain(..=end);
                Ok(Some(record))
            }
            None if self.buf.len() > MAX_RECORD => Err(()),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0""#;

    fn msg(record: &str) -> Option<String> {
        message(record.as_bytes()).map(|m| String::from_utf8_lossy(m).into_owned())
    }

    #[test]
    fn rfc3164_as_nginx_and_logger_send_it() {
        assert_eq!(
            msg(&format!("<190>Nov 24 10:00:00 web1 nginx: {LINE}")).as_deref(),
            Some(LINE)
        );
        assert_eq!(
            msg(&format!("<190>Nov  4 10:00:00 nginx: {LINE}")).as_deref(),
            Some(LINE)
        );
        assert_eq!(
            msg(&format!("<134>Nov 24 10:00:00 web1 httpd[4242]: {LINE}\n")).as_deref(),
            Some(LINE)
        );
        assert_eq!(
            msg(&format!("<13>web1 apache: {LINE}")).as_deref(),
            Some(LINE)
        );
    }

    #[test]
    fn rfc5424() {
        assert_eq!(
            msg(&format!(
                "<165>1 2026-11-24T10:00:00.003Z web1 nginx 42 ID47 - {LINE}"
            ))
            .as_deref(),
            Some(LINE)
        );
        assert_eq!(
            msg(&format!(
                "<165>1 2026-11-24T10:00:00Z web1 nginx - - [x@1 a=\"b\\]c\"][y@2] \u{feff}{LINE}"
            ))
            .as_deref(),
            Some(LINE)
        );
    }

    #[test]
    fn not_syslog() {
        for bad in [
            "",
            LINE,
            "<>x",
            "<1234567>x",
            "<13>no tag here at all",
            "<13>1 short",
        ] {
            assert_eq!(msg(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tcp_framing_both_ways() {
        let mut framer = TcpFramer::default();
        let a = format!("<13>Nov 24 10:00:00 h t: {LINE}");
        framer.push(format!("{} {a}", a.len()).as_bytes());
        framer.push(b"<13>Nov 24 10:00:00 h t: second\n<13>Nov 24 10:00:00 h t: thi");
        assert_eq!(framer.next_record(), Ok(Some(a.into_bytes())));
        assert_eq!(
            framer.next_record(),
            Ok(Some(b"<13>Nov 24 10:00:00 h t: second".to_vec()))
        );
        assert_eq!(framer.next_record(), Ok(None));
        framer.push(b"rd\n");
        assert_eq!(
            framer.next_record(),
            Ok(Some(b"<13>Nov 24 10:00:00 h t: third".to_vec()))
        );
        let mut bad = TcpFramer::default();
        bad.push(b"99999999 x");
        assert_eq!(bad.next_record(), Err(()));
    }

    #[test]
    fn listen_addresses() {
        assert_eq!(
            "udp://127.0.0.1:5514".parse(),
            Ok(Listen::Udp("127.0.0.1:5514".parse().expect("addr")))
        );
        assert_eq!(
            "tcp://[::1]:5514".parse(),
            Ok(Listen::Tcp("[::1]:5514".parse().expect("addr")))
        );
        assert!("http://127.0.0.1:1".parse::<Listen>().is_err());
        assert!("udp://localhost".parse::<Listen>().is_err());
    }
}

/// Counters of a running receiver.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    /// Syslog records received.
    pub received: std::sync::atomic::AtomicU64,
    /// Datagrams or stream records that were not syslog (never passed on).
    pub not_syslog: std::sync::atomic::AtomicU64,
    /// UDP records dropped because the queue to the anonymizer was full.
    pub dropped: std::sync::atomic::AtomicU64,
}

/// The received messages as one stream of lines, to feed the pipeline.
#[derive(Debug)]
pub struct SyslogInput {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
    pos: usize,
}

impl std::io::Read for SyslogInput {
    /// Waits for at least one message, then hands over as many whole ones as fit.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            match self.rx.recv() {
                Ok(line) => self.pending.extend_from_slice(&line),
                Err(_) => return Ok(0),
            }
            while self.pending.len() < buf.len() {
                match self.rx.try_recv() {
                    Ok(line) => self.pending.extend_from_slice(&line),
                    Err(_) => break,
                }
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Binds every address and starts receiving; messages queue up to `capacity` records.
///
/// UDP records that find the queue full are dropped and counted; TCP senders wait (the
/// stream's flow control slows them down).
pub fn listen(
    addresses: &[Listen],
    capacity: usize,
) -> std::io::Result<(SyslogInput, std::sync::Arc<ReceiverStats>, Vec<SocketAddr>)> {
    use std::sync::Arc;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(capacity.max(1));
    let stats = Arc::new(ReceiverStats::default());
    let mut bound = Vec::new();
    for address in addresses {
        match *address {
            Listen::Udp(addr) => {
                let socket = std::net::UdpSocket::bind(addr)?;
                bound.push(socket.local_addr()?);
                let (tx, stats) = (tx.clone(), stats.clone());
                std::thread::Builder::new()
                    .name("anonlog-udp".to_owned())
                    .spawn(move || receive_udp(&socket, &tx, &stats))?;
            }
            Listen::Tcp(addr) => {
                let listener = std::net::TcpListener::bind(addr)?;
                bound.push(listener.local_addr()?);
                let (tx, stats) = (tx.clone(), stats.clone());
                std::thread::Builder::new()
                    .name("anonlog-tcp".to_owned())
                    .spawn(move || accept_tcp(&listener, &tx, &stats))?;
            }
        }
    }
    let input = SyslogInput {
        rx,
        pending: Vec::new(),
        pos: 0,
    };
    Ok((input, stats, bound))
}

/// The message as one line to pass on, or `None` (counted) when it is not syslog or would
/// not be one line.
fn line_of(record: &[u8], stats: &ReceiverStats) -> Option<Vec<u8>> {
    use std::sync::atomic::Ordering;
    stats.received.fetch_add(1, Ordering::Relaxed);
    match message(record) {
        Some(msg) if !msg.contains(&b'\n') => {
            let mut line = Vec::with_capacity(msg.len() + 1);
            line.extend_from_slice(msg);
            line.push(b'\n');
            Some(line)
        }
        _ => {
            stats.not_syslog.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

fn receive_udp(
    socket: &std::net::UdpSocket,
    tx: &std::sync::mpsc::SyncSender<Vec<u8>>,
    stats: &ReceiverStats,
) {
    let mut buf = vec![0u8; 65_536];
    while let Ok((n, _)) = socket.recv_from(&mut buf) {
        if let Some(line) = line_of(&buf[..n], stats) {
            match tx.try_send(line) {
                Ok(()) => {}
                Err(std::sync::mpsc::TrySendError::Full(_)) => {
                    stats
                        .dropped
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return,
            }
        }
    }
}

fn accept_tcp(
    listener: &std::net::TcpListener,
    tx: &std::sync::mpsc::SyncSender<Vec<u8>>,
    stats: &std::sync::Arc<ReceiverStats>,
) {
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let (tx, stats) = (tx.clone(), stats.clone());
        let _ = std::thread::Builder::new()
            .name("anonlog-tcp-conn".to_owned())
            .spawn(move || receive_tcp(stream, &tx, &stats));
    }
}

fn receive_tcp(
    mut stream: std::net::TcpStream,
    tx: &std::sync::mpsc::SyncSender<Vec<u8>>,
    stats: &ReceiverStats,
) {
    use std::io::Read as _;
    let mut framer = TcpFramer::default();
    let mut buf = vec![0u8; 65_536];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        framer.push(&buf[..n]);
        loop {
            match framer.next_record() {
                Ok(Some(record)) => {
                    if let Some(line) = line_of(&record, stats)
                        && tx.send(line).is_err()
                    {
                        return;
                    }
                }
                Ok(None) => break,
                // Unframeable: count it and close the connection.
                Err(()) => {
                    stats
                        .not_syslog
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}
