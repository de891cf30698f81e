//! The `anonlog` command-line tool.

mod cli;
mod progress;

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use clap::Parser as _;

use anonlog::audit::{Auditor, Report};
use anonlog::client_ip::TrustedProxies;
use anonlog::explain::NoticeFormat;
use anonlog::logfile::{Fsync, LogFile};
use anonlog::parse::InputFormat;
use anonlog::pipeline::{self, Input, OutputChoice, PipelineConfig, Progress};
use anonlog::{Anonymizer, OutputFormat, Policy};
use cli::{
    AnonymizeArgs, CheckArgs, Cli, Command, ExplainArgs, FormatArg, FsyncArg, LogFileArgs,
    NoticeArg, OutputArg, PolicyArgs, ServeArgs,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "anonlog: error: {}",
                printable(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Anonymize(args) => anonymize(&args),
        Command::Explain(args) => explain(&args),
        Command::Check(args) => check(&args),
        Command::Serve(args) => serve(&args),
    }
}

fn load_policy(args: &PolicyArgs) -> anyhow::Result<Policy> {
    Ok(match (args.file.as_deref(), args.preset.as_deref()) {
        (Some(path), _) => Policy::load(path)?,
        (None, Some(name)) => Policy::preset(name)?,
        (None, None) => Policy::strict(),
    })
}

fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(&args.policy)?;
    let anonymizer = Arc::new(Anonymizer::new(policy)?);
    let (input, received, bound) =
        anonlog::syslog::listen(&args.listen, args.queue).context("cannot listen for syslog")?;
    for addr in &bound {
        let _ = writeln!(io::stderr(), "anonlog: listening on {addr}");
    }
    let config = PipelineConfig {
        anonymizer,
        proxies: TrustedProxies::default(),
        input_format: input_format(args.format),
        output: output_choice(args.output_format),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        max_line: pipeline::DEFAULT_MAX_LINE,
    };
    let stop = install_stop_signals()?;
    let mut file = open_log_file(&args.output, &args.file)?;
    let progress = Arc::new(Progress::default());
    let stats = ServeStats {
        received,
        progress: progress.clone(),
        json: args.stats_json.clone(),
    };
    let reporter = (args.stats_interval > 0).then(|| {
        let stats = stats.clone();
        let every = std::time::Duration::from_secs(args.stats_interval);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(every);
                stats.report();
            }
        })
    });
    let inputs = vec![Input {
        name: "syslog".to_owned(),
        reader: Box::new(input),
        len: None,
    }];
    let result = pipeline::run(&config, inputs, &mut file, &stop, &progress);
    file.close()
        .with_context(|| format!("cannot sync {} to disk", args.output.display()))?;
    drop(reporter);
    stats.report();
    result.with_context(|| format!("{}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

fn input_format(arg: FormatArg) -> Option<InputFormat> {
    match arg {
        FormatArg::Auto => None,
        FormatArg::Combined => Some(InputFormat::Combined),
        FormatArg::Common => Some(InputFormat::Common),
        FormatArg::Json => Some(InputFormat::Json),
    }
}

fn output_choice(arg: OutputArg) -> OutputChoice {
    match arg {
        OutputArg::Same => OutputChoice::Same,
        OutputArg::Json => OutputChoice::Fixed(OutputFormat::Json),
        OutputArg::Combined => OutputChoice::Fixed(OutputFormat::Combined),
        OutputArg::Common => OutputChoice::Fixed(OutputFormat::Common),
    }
}

/// SIGINT and SIGTERM raise the returned flag; a second one ends the process at once.
fn install_stop_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone())
            .context("cannot install signal handlers")?;
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install signal handlers")?;
    }
    Ok(stop)
}

/// Opens an output file for appending, synced, rotated and pruned as `file_args` say, and
/// reopened on SIGHUP.
fn open_log_file(path: &Path, file_args: &LogFileArgs) -> anyhow::Result<LogFile> {
    let policy = match file_args.fsync {
        FsyncArg::Never => Fsync::Never,
        FsyncArg::Interval => Fsync::default(),
        FsyncArg::Batch => Fsync::EveryBatch,
    };
    let mut file = LogFile::new(path)
        .fsync(policy)
        .daily(file_args.rotate_daily);
    if let Some(bytes) = file_args.max_bytes {
        file = file.max_bytes(bytes);
    }
    if let Some(keep) = file_args.keep {
        file = file.keep(keep);
    }
    if let Some(days) = file_args.max_age_days {
        file = file.max_age(std::time::Duration::from_secs(days.saturating_mul(86_400)));
    }
    file.open_now()
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    Ok(file)
}

/// Live counters of `serve`, printed as one line and optionally written as JSON.
#[derive(Clone)]
struct ServeStats {
    received: Arc<anonlog::syslog::ReceiverStats>,
    progress: Arc<Progress>,
    json: Option<std::path::PathBuf>,
}

impl ServeStats {
    fn report(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let received = self.received.received.load(Relaxed);
        let not_syslog = self.received.not_syslog.load(Relaxed);
        let dropped = self.received.dropped.load(Relaxed);
        let lines = self.progress.lines.load(Relaxed);
        let rejected = self.progress.rejected.load(Relaxed);
        let written = lines.saturating_sub(rejected);
        // A closed standard error must not stop the statistics file or the service.
        let _ = writeln!(
            io::stderr(),
            "anonlog: received {received}, written {written}, rejected {rejected}, not syslog {not_syslog}, dropped {dropped}"
        );
        if let Some(path) = &self.json {
            let text = format!(
                "{{\"received\":{received},\"written\":{written},\"rejected\":{rejected},\"not_syslog\":{not_syslog},\"dropped\":{dropped}}}\n"
            );
            // Written aside and renamed, so readers never see half a file.
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .is_err()
            {
                let _ = writeln!(
                    io::stderr(),
                    "anonlog: cannot write {}",
                    printable(&path.display().to_string())
                );
            }
        }
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let policy = args.policy.as_deref().map(Policy::load).transpose()?;
    let checker = Auditor::new(policy, args.k, input_format(args.format));
    let inputs = open_inputs(&args.files)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut failed = false;
    let mut reports = Vec::new();
    for input in inputs {
        let name = input.name.clone();
        let report =
            check_input(&checker, input, threads).with_context(|| format!("cannot read {name}"))?;
        let risky = args.max_risk.is_some_and(|max| report.risk.percent() > max);
        failed |= report.total_findings() > 0 || risky;
        reports.push((name, report));
    }
    let mut stdout = io::stdout().lock();
    let text = if args.json {
        let all: Vec<serde_json::Value> = reports
            .iter()
            .map(|(name, r)| {
                let mut v = r.to_json();
                v["input"] = serde_json::Value::String(name.clone());
                v
            })
            .collect();
        format!("{}\n", serde_json::Value::Array(all))
    } else {
        reports
            .iter()
            .map(|(name, r)| format!("{}: {r}\n", printable(name)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match stdout.write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Scans one input in chunks of whole lines on all cores.
fn check_input(checker: &Auditor, mut input: Input, threads: usize) -> io::Result<Report> {
    const CHUNK: usize = 4 << 20;
    let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<u8>, u64)>(threads);
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut partials = Vec::new();
                    loop {
                        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((chunk, first_line)) = next else { break };
                        partials.push(checker.scan(&chunk, first_line));
                    }
                    partials
                })
            })
            .collect();
        let mut carry: Vec<u8> = Vec::new();
        let mut line = 1u64;
        let mut buf = vec![0u8; CHUNK];
        let result = loop {
            let n = match input.reader.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            };
            carry.extend_from_slice(&buf[..n]);
            let cut = if n == 0 {
                carry.len()
            } else {
                match memchr::memrchr(b'\n', &carry) {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            let rest = carry.split_off(cut);
            let chunk = std::mem::replace(&mut carry, rest);
            let lines = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            if tx.send((chunk, line)).is_err() {
                break Ok(());
            }
            line += lines;
            if n == 0 {
                break Ok(());
            }
        };
        drop(tx);
        let partials: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        result.map(|()| checker.finish(partials))
    })
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(&args.policy)?;
    let format = match args.format {
        NoticeArg::Markdown => NoticeFormat::Markdown,
        NoticeArg::Text => NoticeFormat::Text,
        NoticeArg::Html => NoticeFormat::Html,
    };
    let mut stdout = io::stdout().lock();
    match stdout.write_all(anonlog::explain::render(&policy, format).as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn anonymize(args: &AnonymizeArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(&args.policy)?;
    let anonymizer = Arc::new(Anonymizer::new(policy)?);
    let inputs = open_inputs(&args.files)?;
    let show_progress = !args.no_progress
        && io::stderr().is_terminal()
        && !inputs.is_empty()
        && inputs.iter().all(|i| i.len.is_some());
    let total_bytes = inputs.iter().filter_map(|i| i.len).sum();
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let config = PipelineConfig {
        anonymizer,
        proxies: TrustedProxies::new(args.trusted_proxies.iter().copied()),
        input_format: input_format(args.format),
        output: output_choice(args.output_format),
        threads,
        max_line: args.max_line_bytes,
    };
    let stop = install_stop_signals()?;
    let mut file = match &args.output {
        Some(path) => Some(open_log_file(path, &args.file)?),
        None => None,
    };
    let mut stdout;
    let output: &mut dyn Write = match &mut file {
        Some(file) => file,
        None => {
            stdout = io::stdout().lock();
            &mut stdout
        }
    };
    let counters = Arc::new(Progress::default());
    let bar = show_progress.then(|| progress::Bar::start(counters.clone(), total_bytes));
    let result = pipeline::run(&config, inputs, output, &stop, &counters);
    drop(bar);
    if let (Some(file), Some(path)) = (&mut file, &args.output) {
        file.close()
            .with_context(|| format!("cannot sync {} to disk", path.display()))?;
    }
    let (summaries, outcome) = match (result, &args.output) {
        (Ok(done), _) => done,
        (Err(e @ pipeline::PipelineError::Write(_)), Some(path)) => {
            return Err(anyhow::Error::new(e).context(format!("{}", path.display())));
        }
        (Err(e), _) => return Err(e.into()),
    };
    let mut rejected = false;
    for summary in &summaries {
        if summary.rejected_total() > 0 {
            rejected = true;
            let _ = writeln!(
                io::stderr(),
                "anonlog: {}: {summary}",
                printable(&summary.name)
            );
        }
    }
    Ok(match outcome {
        pipeline::Outcome::OutputClosed => ExitCode::SUCCESS,
        _ if rejected => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn open_inputs(files: &[std::path::PathBuf]) -> anyhow::Result<Vec<Input>> {
    let stdin = || Input {
        name: "<stdin>".to_owned(),
        reader: Box::new(io::stdin()),
        len: None,
    };
    if files.is_empty() {
        return Ok(vec![stdin()]);
    }
    files
        .iter()
        .map(|path| {
            if path == Path::new("-") {
                return Ok(stdin());
            }
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let meta = file.metadata().ok();
            Ok(Input {
                name: path.display().to_string(),
                len: meta.filter(|m| m.is_file()).map(|m| m.len()),
                reader: Box::new(file),
            })
        })
        .collect()
}

/// Replaces control characters so that a message cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}
