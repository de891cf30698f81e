//! Baseline for the throughput benchmark: copies lines from a file to stdout with the same
//! I/O pattern as `anonlog anonymize` (1 MiB reads, lines split with memchr, one write per
//! batch), doing nothing else.
//!
//! `cargo run --release --example line_copy -- FILE > /dev/null`

use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let path = std::env::args_os().nth(1).expect("usage: line_copy FILE");
    let mut input = std::fs::File::open(path)?;
    let mut stdout = std::io::stdout().lock();
    let mut buf = vec![0u8; 1 << 20];
    let mut carry = Vec::new();
    let mut out = Vec::with_capacity(1 << 20);
    let mut lines = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        carry.extend_from_slice(&buf[..n]);
        let Some(last) = memchr::memrchr(b'\n', &carry) else {
            continue;
        };
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &carry[..=last]) {
            out.extend_from_slice(&carry[start..=end]);
            start = end + 1;
            lines += 1;
        }
        stdout.write_all(&out)?;
        out.clear();
        carry.drain(..=last);
    }
    stdout.write_all(&carry)?;
    eprintln!("{lines} lines");
    Ok(())
}
