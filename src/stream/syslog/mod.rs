//! Syslog reception: RFC 3164 and RFC 5424 records over UDP and TCP (RFC 6587 framing),
//! reduced to their message, the access-log line a server sent.
//!
//! - [`listen`] binds the sockets and starts the receiver threads within
//!   [`Limits`]: a queue bounded in bytes, a cap on TCP connections, an idle timeout;
//! - the [`Queue`] counts every record once, as received and then as not syslog or
//!   dropped, or passes it on to the pipeline through the [`SyslogInput`];
//! - [`TcpFramer`] cuts a TCP stream into records.

mod framer;
mod queue;
mod receive;

use std::net::SocketAddr;
use std::str::FromStr;

pub use framer::{MAX_RECORD, TcpFramer};
pub use queue::{Queue, ReceiverCounts, SyslogInput};
pub use receive::{Limits, Receiver, listen};

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

    /// `udp://127.0.0.1:5514`, `tcp://[::1]:5514` or `udp://localhost:5514` (a name is
    /// resolved once, to its first address).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (scheme, addr) = s
            .split_once("://")
            .ok_or_else(|| format!("{s:?}: expected udp://ADDR:PORT or tcp://ADDR:PORT"))?;
        let addr: SocketAddr = match addr.parse() {
            Ok(addr) => addr,
            Err(e) => std::net::ToSocketAddrs::to_socket_addrs(addr)
                .ok()
                .and_then(|mut all| all.next())
                .ok_or_else(|| format!("{s:?}: invalid address: {e}"))?,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_may_name_a_host() {
        let udp: Listen = "udp://localhost:5514".parse().expect("resolves");
        assert!(matches!(udp, Listen::Udp(a) if a.ip().is_loopback() && a.port() == 5514));
        assert!("tcp://[::1]:1".parse::<Listen>().is_ok());
        assert!("tcp://localhost".parse::<Listen>().is_err());
        assert!("ftp://127.0.0.1:1".parse::<Listen>().is_err());
    }

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
