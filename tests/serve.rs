//! `anonlog serve`: syslog over UDP and TCP in, anonymized lines out.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

fn line(n: usize) -> String {
    format!(
        "198.51.100.{} - carol [24/Nov/2026:10:00:00 +0000] \"GET /users/{n}?token=Zq7Secret{n} HTTP/1.1\" 200 512 \"https://www.example.com/search?q=carol\" \"curl/8.5.0\"",
        n % 250 + 1
    )
}

#[test]
fn syslog_over_udp_and_tcp_is_anonymized_counted_and_flushed_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("anonlog-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let out = dir.join("access.log");
    let stats = dir.join("stats.json");
    let args: Vec<&OsStr> = [
        "--syslog",
        "udp://127.0.0.1:0",
        "--syslog",
        "tcp://127.0.0.1:0",
        "--stats-interval",
        "1",
        "-o",
    ]
    .into_iter()
    .map(OsStr::new)
    .chain([
        out.as_os_str(),
        OsStr::new("--stats-json"),
        stats.as_os_str(),
    ])
    .collect();
    let (mut child, addrs) = common::start_serve(&args, 2);
    let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
    for n in 0..50 {
        udp.send_to(
            format!("<190>Nov 24 10:00:00 web1 nginx: {}", line(n)).as_bytes(),
            &addrs[0],
        )
        .expect("send");
        std::thread::sleep(Duration::from_millis(1));
    }
    for junk in ["hello", "<13>no tag at all here", "GET / HTTP/1.1"] {
        udp.send_to(junk.as_bytes(), &addrs[0]).expect("send");
    }
    let mut tcp = TcpStream::connect(&addrs[1]).expect("tcp");
    for n in 50..100 {
        let record = format!("<165>1 2026-11-24T10:00:00Z web1 apache - - - {}", line(n));
        write!(tcp, "{} {record}", record.len()).expect("octet-counted");
    }
    for n in 100..150 {
        writeln!(tcp, "<190>Nov 24 10:00:00 web2 nginx: {}", line(n)).expect("newline-framed");
    }
    tcp.flush().expect("flush");
    drop(tcp);
    // Wait for the statistics to show everything arrived, then stop.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(&stats).unwrap_or_default();
        if text.contains("\"received\":153") && text.contains("\"written\":150") {
            break;
        }
        assert!(Instant::now() < deadline, "stats: {text}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(child.wait().expect("wait").success());
    let text = std::fs::read_to_string(&out).expect("output");
    assert_eq!(text.lines().count(), 150);
    for l in text.lines() {
        assert!(l.starts_with("198.51.0.0 "), "{l}");
        assert!(
            l.contains(
                "\"GET /users/:num HTTP/1.1\" 200 512 \"https://www.example.com\" \"curl/8.0\""
            ),
            "{l}"
        );
    }
    for secret in ["carol", "Zq7Secret", "198.51.100", "web1", "nginx"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    let final_stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).expect("stats")).expect("JSON");
    assert_eq!(final_stats["received"], 153);
    assert_eq!(final_stats["not_syslog"], 3);
    assert_eq!(final_stats["written"], 150);
    assert_eq!(final_stats["rejected"], 0);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Two receivers that share a secret file give the same visitor the same pseudonym, and
/// neither writes the secret (nor anything derived that is not a pseudonym).
#[test]
fn fleet_instances_agree_on_pseudonyms_through_a_shared_secret() {
    let dir = std::env::temp_dir().join(format!("anonlog-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let secret = dir.join("visitor.key");
    std::fs::write(&secret, b"fleet-secret-Zq7-0123456789abcdef").expect("secret");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("owner only");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[visitor]\nsecret_file = {:?}\n",
            secret.display().to_string()
        ),
    )
    .expect("policy");
    let mut pseudonyms = Vec::new();
    for instance in 0..2 {
        let out = dir.join(format!("out-{instance}.log"));
        let args: Vec<&OsStr> = ["--syslog", "udp://127.0.0.1:0", "--stats-interval", "0"]
            .into_iter()
            .map(OsStr::new)
            .chain([
                OsStr::new("--policy"),
                policy.as_os_str(),
                OsStr::new("-o"),
                out.as_os_str(),
            ])
            .collect();
        let (mut child, addrs) = common::start_serve(&args, 1);
        let addr = &addrs[0];
        let udp = UdpSocket::bind("127.0.0.1:0").expect("udp");
        udp.send_to(
            format!("<190>Nov 24 10:00:00 web{instance} nginx: {}", line(7)).as_bytes(),
            addr,
        )
        .expect("send");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .count()
            < 1
        {
            assert!(Instant::now() < deadline, "no record");
            std::thread::sleep(Duration::from_millis(50));
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(child.wait().expect("wait").success());
        let text = std::fs::read_to_string(&out).expect("output");
        assert!(!text.contains("fleet-secret"), "the secret was written");
        pseudonyms.push(text.split(' ').nth(1).expect("ident column").to_owned());
    }
    assert_eq!(pseudonyms[0].len(), 16);
    assert_eq!(pseudonyms[0], pseudonyms[1], "instances must agree");
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
