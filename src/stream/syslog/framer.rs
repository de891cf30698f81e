//! RFC 6587 framing of a TCP byte stream into syslog records.

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

    /// At a clean end of the stream: the bytes after the last whole record, as a last
    /// record (a sender may omit the final line break), or `None` if only blanks are left.
    pub fn finish(self) -> Option<Vec<u8>> {
        (!self.buf.trim_ascii().is_empty()).then_some(self.buf)
    }

    /// Whether part of a record is waiting for more bytes.
    pub fn has_partial(&self) -> bool {
        !self.buf.trim_ascii().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8.5.0""#;

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
    fn a_last_record_without_a_line_break_is_kept_at_the_end() {
        let mut framer = TcpFramer::default();
        framer.push(b"<13>Nov 24 10:00:00 h t: one\n<13>Nov 24 10:00:00 h t: two");
        assert_eq!(
            framer.next_record(),
            Ok(Some(b"<13>Nov 24 10:00:00 h t: one".to_vec()))
        );
        assert_eq!(framer.next_record(), Ok(None));
        assert!(framer.has_partial());
        assert_eq!(
            framer.finish(),
            Some(b"<13>Nov 24 10:00:00 h t: two".to_vec())
        );
        let mut blank = TcpFramer::default();
        blank.push(b"\r\n ");
        assert_eq!(blank.finish(), None);
    }
}
