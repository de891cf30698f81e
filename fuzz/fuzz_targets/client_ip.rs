//! Forwarding-header resolution: never panics, and a result is either the peer or an
//! address that appears in the headers.
#![no_main]

use std::net::IpAddr;

use anonlog::anonymize::{TrustedProxies, parse_client_ip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (peer_bits, rest) = data.split_at(data.len().min(4));
    let mut peer = [10u8, 0, 0, 1];
    peer[..peer_bits.len()].copy_from_slice(peer_bits);
    let peer = IpAddr::from(peer);
    let (forwarded, xff): (Vec<&[u8]>, Vec<&[u8]>) = {
        let mut parts = rest.split(|&b| b == 0xff);
        let f = parts.next().unwrap_or_default();
        (if f.is_empty() { vec![] } else { vec![f] }, parts.collect())
    };
    let trusted = TrustedProxies::new(["10.0.0.0/8".parse().expect("net")]);
    if let Some(client) = trusted.resolve(peer, forwarded.iter().copied(), xff.iter().copied()) {
        let mentioned = rest
            .split(|&b| matches!(b, b',' | b';' | b'=' | 0xff))
            .filter_map(|part| parse_client_ip(part.trim_ascii()))
            .any(|ip| ip == client);
        assert!(client == peer || mentioned);
    }
});
