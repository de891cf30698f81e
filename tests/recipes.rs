//! Deployment recipes with the real servers: requests with planted identifiers through the
//! server, into anonlog, one anonymized record per request and none of the identifiers.

mod common;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");
const SECRET: &str = "Zq7Secret";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anonlog-recipe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Sends one request with identifiers in path, query, cookie, referrer and user agent.
fn request(port: u16, n: usize) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET /users/{n}/u/carol.smith@example.org?token={SECRET}{n}&page=2 HTTP/1.1\r\n\
         Host: www.example.com\r\nCookie: session={SECRET}\r\n\
         Referer: https://www.example.com/search?q={SECRET}\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0 {SECRET}\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("receive");
    response
}

/// Starts `anonlog serve` on a UDP port; returns the child, its port and the stats file.
fn serve(dir: &Path, output: &Path) -> (Child, String, PathBuf) {
    let stats = dir.join("stats.json");
    let args: Vec<&OsStr> = [
        "--syslog",
        "udp://127.0.0.1:0",
        "--stats-interval",
        "1",
        "-o",
    ]
    .into_iter()
    .map(OsStr::new)
    .chain([
        output.as_os_str(),
        OsStr::new("--stats-json"),
        stats.as_os_str(),
    ])
    .collect();
    let (child, mut addrs) = common::start_serve(&args, 1);
    (child, addrs.remove(0), stats)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// The anonymized lines must be one per request, without any planted identifier.
fn assert_clean(output: &Path, requests: usize, status: u16) {
    let text = std::fs::read_to_string(output).expect("output");
    assert_eq!(text.lines().count(), requests, "{text}");
    for l in text.lines() {
        assert!(l.starts_with("127.0.0.0 "), "{l}");
        let request = format!("\"GET /users/:num/u/:email?page=2 HTTP/1.1\" {status}");
        assert!(l.contains(&request), "{l}");
        assert!(
            l.ends_with(
                "\"https://www.example.com\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\""
            ),
            "{l}"
        );
    }
    for secret in [SECRET, "carol", "127.0.0.1"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

/// Starts nginx with its access log going to `syslog` (`host:port`); returns it and its port.
fn start_nginx(dir: &Path, syslog: &str) -> (Child, u16) {
    let port = free_port();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
             events {{}}\nhttp {{\n  access_log syslog:server={syslog} combined;\n\
             client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
             server {{ listen 127.0.0.1:{port}; location / {{ return 200 \"ok\\n\"; }} }}\n}}\n",
            d = dir.display()
        ),
    )
    .expect("nginx.conf");
    let nginx = Command::new("nginx")
        .args(["-p"])
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(dir.join("error.log"))
        .spawn()
        .expect("start nginx (apt-get install nginx)");
    wait_for("nginx", || TcpStream::connect(("127.0.0.1", port)).is_ok());
    (nginx, port)
}

#[test]
#[ignore = "needs nginx"]
fn nginx_access_log_over_syslog_to_anonlog_serve() {
    let dir = temp_dir("nginx");
    let output = dir.join("access.anon.log");
    let (mut anonlog, syslog, stats) = serve(&dir, &output);
    let (mut nginx, port) = start_nginx(&dir, &syslog);
    let requests = 25;
    for n in 0..requests {
        assert!(request(port, n).starts_with("HTTP/1.1 200"));
    }
    wait_for("the records", || {
        std::fs::read_to_string(&stats)
            .is_ok_and(|s| s.contains(&format!("\"written\":{requests}")))
    });
    stop(&mut nginx);
    stop(&mut anonlog);
    assert_clean(&output, requests, 200);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
#[ignore = "needs apache2"]
fn apache_piped_custom_log_through_anonlog_anonymize() {
    let dir = temp_dir("apache");
    let output = dir.join("access.anon.log");
    std::fs::create_dir_all(dir.join("htdocs")).expect("htdocs");
    let port = free_port();
    let conf = dir.join("httpd.conf");
    std::fs::write(
        &conf,
        format!(
            "ServerRoot {d}\nServerName localhost\nListen 127.0.0.1:{port}\n\
             LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\n\
             LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\n\
             User nobody\nGroup nogroup\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\n\
             DocumentRoot {d}/htdocs\n\
             LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O \\\"%{{Referer}}i\\\" \\\"%{{User-Agent}}i\\\"\" combined\n\
             CustomLog \"|{bin} anonymize -o {out}\" combined\n",
            d = dir.display(),
            bin = BIN,
            out = output.display()
        ),
    )
    .expect("httpd.conf");
    let mut apache = Command::new("apache2")
        .args(["-DFOREGROUND", "-f"])
        .arg(&conf)
        .spawn()
        .expect("start apache2 (apt-get install apache2)");
    wait_for("apache", || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let requests = 25;
    for n in 0..requests {
        assert!(request(port, n).starts_with("HTTP/1.1 404"));
    }
    // The piped logger streams: records show up while Apache keeps running.
    wait_for("the records", || {
        std::fs::read_to_string(&output).is_ok_and(|t| t.lines().count() >= requests)
    });
    stop(&mut apache);
    assert_clean(&output, requests, 404);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Many machines fan in through rsyslog: a relay receives syslog (as the web servers' local
/// rsyslog would forward it) and forwards everything to `anonlog serve` over TCP with
/// octet-counted framing.
#[test]
#[ignore = "needs rsyslog"]
fn rsyslog_forwarding_fans_in_to_anonlog_serve() {
    let dir = temp_dir("rsyslog");
    let output = dir.join("access.anon.log");
    let stats = dir.join("stats.json");
    let args: Vec<&OsStr> = [
        "--syslog",
        "tcp://127.0.0.1:0",
        "--stats-interval",
        "1",
        "-o",
    ]
    .into_iter()
    .map(OsStr::new)
    .chain([
        output.as_os_str(),
        OsStr::new("--stats-json"),
        stats.as_os_str(),
    ])
    .collect();
    let (mut anonlog, addrs) = common::start_serve(&args, 1);
    let target = addrs[0].clone();
    let (host, port) = target.rsplit_once(':').expect("host:port");
    let relay_port = free_port();
    let conf = dir.join("rsyslog.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{d}\")\n\
             module(load=\"imudp\")\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{relay_port}\")\n\
             action(type=\"omfwd\" target=\"{host}\" port=\"{port}\" protocol=\"tcp\"\n\
                    TCP_Framing=\"octet-counted\" template=\"RSYSLOG_SyslogProtocol23Format\")\n",
            d = dir.display()
        ),
    )
    .expect("rsyslog.conf");
    let mut rsyslog = Command::new("rsyslogd")
        .args(["-n", "-f"])
        .arg(&conf)
        .arg("-i")
        .arg(dir.join("rsyslogd.pid"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start rsyslogd (apt-get install rsyslog)");
    // nginx sends its access log to the relay, as each web server's rsyslog would forward.
    let (mut nginx, web) = start_nginx(&dir, &format!("127.0.0.1:{relay_port}"));
    // rsyslog needs a moment to open its input: send until the first record comes through.
    wait_for("rsyslog to forward", || {
        assert!(request(web, 0).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(200));
        std::fs::read_to_string(&output).is_ok_and(|t| !t.is_empty())
    });
    let requests = 30;
    for n in 0..requests {
        assert!(request(web, n).starts_with("HTTP/1.1 200"));
    }
    let mut expected = 0;
    wait_for("the records", || {
        std::fs::read_to_string(&stats).is_ok_and(|t| {
            let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
            let (received, written) = (v["received"].as_u64(), v["written"].as_u64());
            expected = usize::try_from(written.unwrap_or(0)).unwrap_or(0);
            written.is_some() && received == written && expected > requests
        })
    });
    std::thread::sleep(Duration::from_millis(500));
    stop(&mut nginx);
    stop(&mut rsyslog);
    stop(&mut anonlog);
    // One record per request (the warm-up ones included), none of the identifiers.
    let records = std::fs::read_to_string(&output)
        .expect("output")
        .lines()
        .count();
    assert!(
        records >= expected,
        "{records} records, {expected} expected"
    );
    assert_clean(&output, records, 200);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
