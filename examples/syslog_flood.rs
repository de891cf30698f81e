//! Sends N syslog records carrying combined-format access-log lines, as fast as it can, for
//! the `anonlog serve` benchmark (`benches/serve.sh`).
//!
//! ```text
//! cargo run --release --example syslog_flood -- udp|tcp ADDR N
//! ```

use std::io::Write;
use std::net::{TcpStream, UdpSocket};

fn record(n: usize) -> String {
    let line = format!(
        "198.51.{}.{} - - [24/Nov/2026:10:00:00 +0000] \"GET /users/{n}/orders?page=2 HTTP/1.1\" 200 5123 \"https://www.example.com/a?b=c\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\"",
        n / 250 % 250,
        n % 250 + 1
    );
    format!("<190>Nov 24 10:00:00 web{} nginx: {line}", n % 8)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (transport, addr) = (args[1].as_str(), args[2].as_str());
    let n: usize = args[3].parse().expect("N");
    match transport {
        "udp" => {
            let socket = UdpSocket::bind("127.0.0.1:0")?;
            for i in 0..n {
                socket.send_to(record(i).as_bytes(), addr)?;
            }
        }
        _ => {
            let mut stream = std::io::BufWriter::with_capacity(1 << 20, TcpStream::connect(addr)?);
            for i in 0..n {
                let r = record(i);
                write!(stream, "{} {r}", r.len())?;
            }
            stream.flush()?;
        }
    }
    Ok(())
}
