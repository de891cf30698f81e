//! Files and secrets under misuse (issue #16): links planted where the output goes, an
//! output that is also an input, secret files anyone may read, a key file passed as a
//! policy, and an endless line on a pipe.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anonlog");
const LINE: &str =
    "198.51.100.7 - - [24/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8.5.0\"\n";
const PRECIOUS: &str = "root:x:0:0:precious\nno line break at the end";

fn anonlog(args: &[&OsStr], stdin: Stdio) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .stdin(stdin)
        .output()
        .expect("run anonlog")
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Regression (#16, 1): `-o` and `--stats-json` followed a symbolic link planted by
/// whoever can write the log directory, cut the target to its last line break and appended
/// to it or replaced it. Now the link is refused (`-o`) or replaced (`--stats-json`), and the
/// target is never touched.
#[test]
fn symlinked_output_and_stats_leave_the_target_unchanged() {
    let dir = common::temp_dir("misuse-symlink");
    let target = dir.join("passwd");
    std::fs::write(&target, PRECIOUS).expect("target");
    let link = dir.join("access.log");
    symlink(&target, &link).expect("symlink");
    let input = dir.join("in.log");
    std::fs::write(&input, LINE).expect("input");

    let out = anonlog(
        &["anonymize", "-o"]
            .map(OsStr::new)
            .into_iter()
            .chain([link.as_os_str(), input.as_os_str()])
            .collect::<Vec<_>>(),
        Stdio::null(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));

    let serve_args = |output: &Path, stats: &Path| -> Vec<std::ffi::OsString> {
        [
            "serve",
            "--syslog",
            "udp://127.0.0.1:0",
            "--stats-interval",
            "0",
            "-o",
        ]
        .map(Into::into)
        .into_iter()
        .chain([output.into(), "--stats-json".into(), stats.into()])
        .collect()
    };
    let out = Command::new(BIN)
        .args(serve_args(&link, &dir.join("stats.json")))
        .output()
        .expect("serve");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let stats_link = dir.join("stats.json");
    symlink(&target, &stats_link).expect("symlink");
    let args = serve_args(&dir.join("real.log"), &stats_link);
    let args: Vec<&OsStr> = args[1..].iter().map(|a| a.as_os_str()).collect();
    let (mut child, _) = common::start_serve(&args, 1);
    assert_eq!(common::terminate(&mut child), Some(0));
    assert!(
        !std::fs::symlink_metadata(&stats_link)
            .expect("stats")
            .is_symlink()
    );
    assert_eq!(common::serve_stats(&stats_link)["received"], 0);
    assert_eq!(std::fs::read_to_string(&target).expect("target"), PRECIOUS);
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Regression (#16, 1): `--stats-json` equal to `-o` replaced the log with the statistics.
#[test]
fn stats_json_naming_the_output_is_refused() {
    let dir = common::temp_dir("misuse-stats-output");
    let log = dir.join("access.log");
    std::fs::write(&log, LINE).expect("log");
    let alias = dir.join("alias.json");
    symlink(&log, &alias).expect("symlink");
    for stats in [&log, &alias] {
        let out = Command::new(BIN)
            .args(["serve", "--syslog", "udp://127.0.0.1:0", "-o"])
            .arg(&log)
            .arg("--stats-json")
            .arg(stats)
            .output()
            .expect("serve");
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is the output file"),
            "{}",
            stderr(&out)
        );
        assert_eq!(std::fs::read_to_string(&log).expect("log"), LINE);
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Regression (#16, 9): `anonymize -o X X` read its own output and grew without end.
#[test]
fn an_output_that_is_also_an_input_is_refused() {
    let dir = common::temp_dir("misuse-own-output");
    let log = dir.join("access.log");
    std::fs::write(&log, LINE.repeat(3)).expect("log");
    let alias = dir.join("alias.log");
    symlink(&log, &alias).expect("symlink");
    for input in [&log, &alias] {
        let out = anonlog(
            &[
                OsStr::new("anonymize"),
                OsStr::new("-o"),
                log.as_os_str(),
                input.as_os_str(),
            ],
            Stdio::null(),
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("both an input and the output"));
    }
    let stdin = std::fs::File::open(&log).expect("open");
    let out = anonlog(
        &[OsStr::new("anonymize"), OsStr::new("-o"), log.as_os_str()],
        Stdio::from(stdin),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&log).expect("log"), LINE.repeat(3));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Regression (#16, 8): a secret file anyone could read was accepted, and
/// `secret_file = "/dev/zero"` was read until memory ran out.
#[test]
fn secret_files_others_may_read_or_that_are_no_files_are_refused() {
    let dir = common::temp_dir("misuse-secret");
    let secret = dir.join("visitor.key");
    std::fs::write(&secret, "0123456789abcdef0123456789abcdef").expect("secret");
    let policy = dir.join("policy.toml");
    let run = |secret: &Path| {
        std::fs::write(
            &policy,
            format!(
                "[visitor]\nsecret_file = {:?}\n",
                secret.display().to_string()
            ),
        )
        .expect("policy");
        let started = Instant::now();
        let out = anonlog(
            &[
                OsStr::new("anonymize"),
                OsStr::new("--policy"),
                policy.as_os_str(),
            ],
            Stdio::null(),
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        out
    };
    for mode in [0o644, 0o640, 0o602] {
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let out = run(&secret);
        assert_eq!(out.status.code(), Some(2), "{mode:o}: {}", stderr(&out));
        assert!(stderr(&out).contains("group or others"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("0123456789abcdef"));
    }
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    assert_eq!(run(&secret).status.code(), Some(0));
    for device in ["/dev/zero", "/dev/urandom"] {
        let out = run(Path::new(device));
        assert_eq!(out.status.code(), Some(2), "{device}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
    }
    let long = dir.join("long.key");
    std::fs::write(&long, vec![b'k'; 1 << 20]).expect("long");
    std::fs::set_permissions(&long, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let out = run(&long);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("longer than"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Regression (#16, 8): passing the key file as `--policy` printed its bytes inside the
/// TOML error.
#[test]
fn a_key_file_passed_as_policy_is_not_echoed() {
    let dir = common::temp_dir("misuse-key-as-policy");
    let key = dir.join("visitor.key");
    for content in [
        "Zq7kEyC4n4ry0123456789abcdef\n",
        "kEyC4n4ry = \"Zq7s3cr3tV4lu3\"\n",
        "[network]\nipv4_prefix = \"Zq7s3cr3tV4lu3\"\n",
    ] {
        std::fs::write(&key, content).expect("key");
        let out = anonlog(
            &[
                OsStr::new("explain"),
                OsStr::new("--policy"),
                key.as_os_str(),
            ],
            Stdio::null(),
        );
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(err.contains("invalid policy"), "{err}");
        for secret in ["Zq7kEyC4n4ry", "Zq7s3cr3tV4lu3"] {
            assert!(!err.contains(secret), "{err}");
        }
    }
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// #16, 7: `check` reads through the bounded line reader: 300 MB without a line break on a
/// pipe, from a generator process, is skipped as one oversized line in bounded memory.
#[test]
fn check_never_holds_an_endless_line_whole() {
    let mut generator = Command::new("sh")
        .args(["-c", "head -c 300000000 /dev/zero | tr '\\0' a"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("generator");
    let mut check = Command::new(BIN)
        .arg("check")
        .stdin(generator.stdout.take().expect("pipe"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("check");
    let deadline = Instant::now() + Duration::from_secs(25);
    let mut peak = 0;
    while check.try_wait().expect("wait").is_none() {
        peak = peak.max(common::peak_rss_kib(check.id()).unwrap_or(0));
        if Instant::now() > deadline {
            let _ = check.kill();
            panic!("check did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    generator.wait().expect("generator");
    assert!(peak > 0 && peak < 128 * 1024, "peak RSS {peak} KiB");
    eprintln!("check, 300 MB without a line break: peak RSS {peak} KiB");
    let _ = std::io::stderr().flush();
}
