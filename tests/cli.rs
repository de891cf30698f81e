//! `anonlog anonymize` through the real binary.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{run_anonlog, text};

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");

fn anonymize(args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec!["anonymize"];
    all.extend_from_slice(args);
    run_anonlog(&all, stdin)
}

const COMBINED: &str = concat!(
    "198.51.100.23 - carol [24/Nov/2026:08:15:02 +0100] \"GET /users/48213?page=2&token=abc HTTP/1.1\" 200 5123 \"https://www.example.com/search?q=carol%40example.org\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36\"\n",
    "2001:db8:4a7f:12::8 - - [24/Nov/2026:08:15:09 +0000] \"POST /u/dave%40example.net/x HTTP/2.0\" 404 - \"-\" \"curl/8.5.0\"\n",
);

#[test]
fn combined_lines_are_anonymized() {
    let out = anonymize(&[], COMBINED.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("198.51.0.0 "), "{stdout}");
    assert!(lines[0].contains("[24/Nov/2026:07:15:02 +0000] \"GET /users/:num?page=2 HTTP/1.1\" 200 5123 \"https://www.example.com\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0\""), "{stdout}");
    assert!(lines[1].starts_with("2001:db8:: "), "{stdout}");
    assert!(
        lines[1].contains("\"POST /u/:email/x HTTP/2.0\" 404 - \"-\" \"curl/8.0\""),
        "{stdout}"
    );
    for secret in [
        "198.51.100.23",
        "carol",
        "48213",
        "token",
        "dave",
        "6367",
        "4a7f",
    ] {
        assert!(!stdout.contains(secret), "{secret} leaked: {stdout}");
    }
    assert!(out.stderr.is_empty());
}

#[test]
fn common_lines_stay_common() {
    let input =
        "192.0.2.10 - - [01/Jan/2026:00:00:00 +0000] \"GET /index.html HTTP/1.0\" 200 1043\n";
    let out = anonymize(&[], input.as_bytes());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.ends_with("- [01/Jan/2026:00:00:00 +0000] \"GET /index.html HTTP/1.0\" 200 1043\n"),
        "{stdout}"
    );
    assert!(stdout.starts_with("192.0.0.0 "));
    let json = anonymize(&["--output-format", "json"], input.as_bytes());
    assert!(
        text(&json.stdout)
            .starts_with("{\"time\":\"2026-01-01T00:00:00.000Z\",\"network\":\"192.0.0.0\"")
    );
}

#[test]
fn nginx_json_lines() {
    let input = r#"{"time_local":"24/Nov/2026:09:00:00 +0000","remote_addr":"10.0.0.5","remote_user":"carol","request":"GET /orders/550e8400-e29b-41d4-a716-446655440000?lang=en&email=c%40example.org HTTP/1.1","status":"200","body_bytes_sent":"612","request_time":"0.012","http_referer":"https://www.example.com/p?q=1","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0","http_x_forwarded_for":"192.0.2.99, 198.51.100.7","host":"shop.example.com"}"#;
    let out = anonymize(
        &["--trusted-proxy", "10.0.0.0/8"],
        format!("{input}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "\"time\":\"2026-11-24T09:00:00.000Z\"",
        "\"network\":\"198.51.0.0\"",
        "\"path\":\"/orders/:uuid\"",
        "\"query\":\"lang=en\"",
        "\"host\":\"shop.example.com\"",
        "\"status\":200",
        "\"bytes\":612",
        "\"referrer\":\"https://www.example.com\"",
        "\"browser\":\"Firefox\"",
        "\"duration_ms\":12.000",
    ] {
        assert!(stdout.contains(expected), "{expected} missing: {stdout}");
    }
    for secret in [
        "carol",
        "192.0.2.99",
        "198.51.100.7",
        "10.0.0.5",
        "c%40example",
    ] {
        assert!(!stdout.contains(secret), "{secret} leaked: {stdout}");
    }
    // Without a trusted proxy the forwarded value is ignored: the peer is the client.
    let out = anonymize(&[], format!("{input}\n").as_bytes());
    assert!(text(&out.stdout).contains("\"network\":\"10.0.0.0\""));
}

#[test]
fn caddy_json_lines() {
    let input = r#"{"level":"info","ts":1795510800.5241024,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"198.51.100.23","remote_port":"41342","client_ip":"198.51.100.23","proto":"HTTP/2.0","method":"GET","host":"www.example.com","uri":"/users/77/settings?page=3&sid=f00ba4","headers":{"User-Agent":["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"],"Cookie":["session=Zq7Secret"],"Referer":["https://news.example.org/a/b"]}},"bytes_read":0,"user_id":"carol","duration":0.000929675,"size":10900,"status":200,"resp_headers":{"Set-Cookie":["x=y"]}}"#;
    let out = anonymize(&["--format", "json"], format!("{input}\n").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for expected in [
        "\"time\":\"2026-11-24T09:00:00.524Z\"",
        "\"network\":\"198.51.0.0\"",
        "\"method\":\"GET\"",
        "\"path\":\"/users/:num/settings\"",
        "\"query\":\"page=3\"",
        "\"protocol\":\"HTTP/2.0\"",
        "\"status\":200",
        "\"bytes\":10900",
        "\"referrer\":\"https://news.example.org\"",
        "\"browser\":\"Safari\",\"browser_major\":17,\"os\":\"macOS\"",
        "\"duration_ms\":0.929",
    ] {
        assert!(stdout.contains(expected), "{expected} missing: {stdout}");
    }
    for secret in ["Zq7Secret", "carol", "f00ba4", "41342", "198.51.100.23"] {
        assert!(!stdout.contains(secret), "{secret} leaked: {stdout}");
    }
}

#[test]
fn bad_lines_are_counted_by_number_and_never_written() {
    let good =
        "192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 10 \"-\" \"curl/8.5.0\"";
    let lines = [
        good.to_owned(),
        good.to_owned(),
        good.to_owned(),
        "192.0.2.2 - - [24/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01SECRET1\" 400 0 \"-\" \"-\""
            .to_owned(),
        good.to_owned(),
        String::new(),
        "192.0.2.3 - - [31/Feb/2026:10:00:00 +0000] \"GET /SECRET2 HTTP/1.1\" 200 1 \"-\" \"-\""
            .to_owned(),
        "SECRET3 garbage line".to_owned(),
        "192.0.2.4 - - [24/Nov/2026:10:00:00 +0000] \"SECRET4\" 400 0 \"-\" \"-\"".to_owned(),
        good.to_owned(),
    ];
    let out = anonymize(&[], (lines.join("\n") + "\n").as_bytes());
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert_eq!(
        stderr.trim(),
        "anonlog: <stdin>: rejected 4 of 9 lines: 2 malformed request line (first at line 4), 1 invalid timestamp (line 7), 1 malformed line (line 8)"
    );
    for secret in ["SECRET", "192.0.2.2", "192.0.2.3", "192.0.2.4"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret}"
        );
    }
}

/// A canary in every field of every input format must not reach stdout or stderr.
#[test]
fn canary_in_every_field_of_every_format() {
    const C: &str = "Zq7CanaryXk";
    let clf = format!(
        "198.51.100.77 {C} {C} [24/Nov/2026:10:00:00 +0000] \"GET /{C}/a;jsessionid={C}?{C}={C}&page={C} HTTP/1.1\" 200 1 \"https://{C}:{C}@example.com/{C}?{C}\" \"Mozilla/5.0 {C} Firefox/125.0\" \"{C}\" {C}\n"
    );
    let common = format!(
        "198.51.100.77 {C} {C} [24/Nov/2026:10:00:00 +0000] \"GET /x/{C}?{C}={C} HTTP/1.1\" 200 1\n"
    );
    let json = format!(
        "{{\"time_local\":\"24/Nov/2026:10:00:00 +0000\",\"remote_addr\":\"198.51.100.77\",\"remote_user\":\"{C}\",\"request\":\"GET /{C}?{C}={C} HTTP/1.1\",\"status\":\"200\",\"body_bytes_sent\":\"1\",\"http_referer\":\"https://example.com/{C}\",\"http_user_agent\":\"{C}\",\"http_cookie\":\"{C}\",\"http_x_forwarded_for\":\"{C}\",\"host\":\"{C}.example.com\",\"{C}\":\"{C}\"}}\n"
    );
    let caddy = format!(
        "{{\"ts\":1795510800.0,\"request\":{{\"client_ip\":\"198.51.100.77\",\"remote_ip\":\"198.51.100.77\",\"remote_port\":\"{C}\",\"proto\":\"HTTP/1.1\",\"method\":\"GET\",\"host\":\"{C}\",\"uri\":\"/{C}?{C}={C}\",\"headers\":{{\"User-Agent\":[\"{C}\"],\"Authorization\":[\"{C}\"],\"Referer\":[\"https://example.com/{C}\"]}}}},\"user_id\":\"{C}\",\"status\":200,\"size\":1}}\n"
    );
    for (input, format) in [
        (clf, "combined"),
        (common, "common"),
        (json, "json"),
        (caddy, "json"),
    ] {
        for output in ["same", "json", "combined", "common"] {
            let out = anonymize(
                &["--format", format, "--output-format", output],
                input.as_bytes(),
            );
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(0), "{format}->{output}: {all}");
            assert_eq!(
                text(&out.stdout).lines().count(),
                1,
                "{format}->{output}: {all}"
            );
            assert!(
                !all.contains(C) && !all.contains("198.51.100.77"),
                "{format}->{output}: {all}"
            );
        }
    }
    // A rejected line's canary never reaches stderr either.
    let out = anonymize(
        &["--format", "json"],
        format!("{{\"request\":\"{C}\"\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains(C));
}

#[test]
fn empty_input_is_success() {
    let out = anonymize(&[], b"");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let out = anonymize(&[], b"\n\n  \n");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn unknown_policy_key_is_named() {
    let dir = std::env::temp_dir().join(format!("anonlog-cli-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, "[network]\nipv4_prefx = 16\n").expect("write");
    let out = anonymize(
        &["--policy", policy.to_str().expect("utf-8")],
        COMBINED.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("ipv4_prefx"), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .next()
            .map(|l| l.starts_with("anonlog: error:")),
        Some(true)
    );
    assert!(out.stdout.is_empty());
    std::fs::write(&policy, "[network]\nipv4_prefix = 32\n").expect("write");
    let out = anonymize(
        &["--policy", policy.to_str().expect("utf-8")],
        COMBINED.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("network.ipv4_prefix"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn usage_errors_exit_2() {
    let out = anonymize(&["--format", "xml"], b"");
    assert_eq!(out.status.code(), Some(2));
    let out = anonymize(&["/nonexistent/anonlog-input.log"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open /nonexistent/anonlog-input.log"));
}

#[test]
fn oversized_lines_are_rejected_not_buffered() {
    let good = "192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 10\n";
    let mut input = good.as_bytes().to_vec();
    input.extend_from_slice(b"192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET /");
    input.extend(std::iter::repeat_n(b'a', 10 << 20));
    input.extend_from_slice(b" HTTP/1.1\" 200 10\n");
    input.extend_from_slice(good.as_bytes());
    input.extend(std::iter::repeat_n(b'b', 3 << 20));
    let out = anonymize(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    assert_eq!(
        text(&out.stderr).trim(),
        "anonlog: <stdin>: rejected 2 of 4 lines: 2 oversized line (first at line 2)"
    );
}

#[test]
fn files_are_read_in_order_and_output_appends() {
    let dir = std::env::temp_dir().join(format!("anonlog-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let a = dir.join("a.log");
    let b = dir.join("b.log");
    std::fs::write(
        &a,
        "192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1\n",
    )
    .expect("a");
    std::fs::write(
        &b,
        "192.0.2.1 - - [24/Nov/2026:10:00:01 +0000] \"GET /b HTTP/1.1\" 200 1\nbroken\n",
    )
    .expect("b");
    let out_path = dir.join("out.log");
    for _ in 0..2 {
        let out = Command::new(BIN)
            .args(["anonymize", "-o"])
            .arg(&out_path)
            .arg(&a)
            .arg(&b)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("b.log: rejected 1 of 2 lines: 1 malformed line (line 2)")
        );
    }
    let written = std::fs::read_to_string(&out_path).expect("output");
    let paths: Vec<&str> = written
        .lines()
        .map(|l| l.split('"').nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        paths,
        [
            "GET /a HTTP/1.1",
            "GET /b HTTP/1.1",
            "GET /a HTTP/1.1",
            "GET /b HTTP/1.1"
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&out_path)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(
            mode & 0o007,
            0,
            "output must not be world-readable: {mode:o}"
        );
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// A live stream shows its records promptly while the input is idle, and SIGTERM ends the
/// run cleanly with everything read written.
#[test]
fn streams_flush_while_idle_and_stop_on_sigterm() {
    let mut child = Command::new(BIN)
        .arg("anonymize")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    for n in 0..3 {
        writeln!(
            stdin,
            "192.0.2.1 - - [24/Nov/2026:10:00:0{n} +0000] \"GET /p{n} HTTP/1.1\" 200 1"
        )
        .expect("write");
        stdin.flush().expect("flush");
        line.clear();
        let started = Instant::now();
        stdout.read_line(&mut line).expect("read");
        assert!(line.contains(&format!("\"GET /p{n} HTTP/1.1\"")), "{line}");
        // A generous bound: the promise is at most a second, not a benchmark.
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    // stdin stays open and idle; SIGTERM must still end the process.
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        assert!(Instant::now() < deadline, "anonlog did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest");
    assert!(rest.is_empty());
    drop(stdin);
}

#[test]
fn broken_pipe_is_success() {
    let line = "192.0.2.1 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8.5.0\"\n";
    let dir = std::env::temp_dir().join(format!("anonlog-cli-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let big = dir.join("big.log");
    std::fs::write(&big, line.repeat(200_000)).expect("write");
    let mut child = Command::new(BIN)
        .arg("anonymize")
        .arg(&big)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Regression: on several threads, a worker that reached a later day first destroyed the
/// key of a day whose records other workers still held, so those records lost their
/// pseudonym, differently on every run. Keys now follow the input's order.
#[test]
fn multi_day_input_gives_the_same_pseudonym_groups_on_any_thread_count() {
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "curl/8.5.0",
    ];
    let mut input = String::new();
    let lines = 12_000;
    for i in 0..lines {
        let day = 20 + i * 4 / lines;
        let client = format!("198.51.100.{}", i * 7919 % 61);
        let agent = agents[i % agents.len()];
        let pad = "x".repeat(i % 200);
        input.push_str(&format!(
            "{client} - - [{day}/Nov/2026:10:00:00 +0000] \"GET /articles/{pad} HTTP/1.1\" 200 512 \"-\" \"{agent}\"\n"
        ));
    }
    // A file, so that chunks are large and span several days each.
    let path = std::env::temp_dir().join(format!("anonlog-cli-days-{}.log", std::process::id()));
    std::fs::write(&path, &input).expect("write input");
    let file = path.to_str().expect("UTF-8 path");
    let groups = |threads: &str| -> Vec<usize> {
        let out = run_anonlog(&["anonymize", "--threads", threads, file], b"");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut first = std::collections::HashMap::new();
        text(&out.stdout)
            .lines()
            .enumerate()
            .map(|(n, line)| {
                let mut fields = line.split(' ');
                let visitor = fields.nth(1).expect("visitor column").to_owned();
                assert_ne!(
                    visitor,
                    "-",
                    "line {} lost its pseudonym on {threads} threads",
                    n + 1
                );
                let day = line[line.find('[').expect("time") + 1..][..11].to_owned();
                *first.entry((day, visitor)).or_insert(n)
            })
            .collect()
    };
    let one = groups("1");
    assert_eq!(one.len(), lines);
    for threads in ["2", "8"] {
        assert!(groups(threads) == one, "groups differ on {threads} threads");
    }
    std::fs::remove_file(&path).expect("remove input");
}

#[test]
fn routes_suggests_templates_that_anonymize_then_applies() {
    let mut log = String::new();
    for i in 0..40 {
        let name = format!(
            "member-{}",
            ["ada", "bo", "cy", "di", "ed"][i % 5].repeat(1 + i / 5)
        );
        log.push_str(&format!(
            "198.51.100.{i} - - [24/Nov/2026:10:00:00 +0000] \"GET /team/{name} HTTP/1.1\" 200 10 \"-\" \"-\"\n"
        ));
    }
    log.push_str("198.51.100.1 - - [24/Nov/2026:10:00:00 +0000] \"GET /about HTTP/1.1\" 200 10 \"-\" \"-\"\n");
    let out = run_anonlog(&["routes"], log.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let snippet = text(&out.stdout);
    assert!(snippet.contains("template = \"/team/{team}\""), "{snippet}");
    assert!(
        !snippet.contains("member") && !snippet.contains("about"),
        "{snippet}"
    );
    // The snippet is a policy file as it stands.
    let dir = std::env::temp_dir().join(format!("anonlog-cli-routes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, &snippet).expect("write policy");
    let policy = policy.to_str().expect("UTF-8 path");
    let anon = run_anonlog(&["anonymize", "--policy", policy], log.as_bytes());
    assert!(anon.status.success(), "{}", text(&anon.stderr));
    let output = text(&anon.stdout);
    let paths: Vec<&str> = output
        .lines()
        .map(|l| l.split('"').nth(1).expect("request"))
        .collect();
    assert_eq!(
        paths
            .iter()
            .filter(|p| **p == "GET /team/{team} HTTP/1.1")
            .count(),
        40
    );
    assert!(paths.contains(&"GET /about HTTP/1.1"));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn check_refuses_a_group_size_of_zero_and_serve_names_a_busy_address() {
    let out = run_anonlog(&["check", "--k", "0"], b"");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let busy = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = format!("udp://{}", busy.local_addr().expect("address"));
    let dir = std::env::temp_dir().join(format!("anonlog-cli-busy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("out.log");
    let out = run_anonlog(
        &[
            "serve",
            "--syslog",
            &addr,
            "-o",
            log.to_str().expect("UTF-8"),
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(&addr), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
