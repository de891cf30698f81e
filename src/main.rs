//! The `anonlog` command-line tool.

mod cli;
mod progress;

use std::fs::{File, OpenOptions};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;
use clap::Parser as _;

use anonlog::client_ip::TrustedProxies;
use anonlog::explain::NoticeFormat;
use anonlog::parse::InputFormat;
use anonlog::pipeline::{self, Input, OutputChoice, PipelineConfig, Progress};
use anonlog::{Anonymizer, OutputFormat, Policy};
use cli::{AnonymizeArgs, Cli, Command, ExplainArgs, FormatArg, NoticeArg, OutputArg};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("anonlog: error: {}", printable(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Anonymize(args) => anonymize(&args),
        Command::Explain(args) => explain(&args),
    }
}

fn load_policy(file: Option<&Path>, preset: Option<&str>) -> anyhow::Result<Policy> {
    Ok(match (file, preset) {
        (Some(path), _) => Policy::load(path)?,
        (None, Some(name)) => Policy::preset(name)?,
        (None, None) => Policy::strict(),
    })
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let policy = load_policy(args.policy.as_deref(), args.preset.as_deref())?;
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
    let policy = load_policy(args.policy.as_deref(), args.preset.as_deref())?;
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
        input_format: match args.format {
            FormatArg::Auto => None,
            FormatArg::Combined => Some(InputFormat::Combined),
            FormatArg::Common => Some(InputFormat::Common),
            FormatArg::Json => Some(InputFormat::Json),
        },
        output: match args.output_format {
            OutputArg::Same => OutputChoice::Same,
            OutputArg::Json => OutputChoice::Fixed(OutputFormat::Json),
            OutputArg::Combined => OutputChoice::Fixed(OutputFormat::Combined),
            OutputArg::Common => OutputChoice::Fixed(OutputFormat::Common),
        },
        threads,
        max_line: args.max_line_bytes,
    };

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal ends the process at once.
        signal_hook::flag::register_conditional_shutdown(signal, 1, stop.clone())
            .context("cannot install signal handlers")?;
        signal_hook::flag::register(signal, stop.clone())
            .context("cannot install signal handlers")?;
    }

    let mut output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(open_output(path)?),
        None => Box::new(io::stdout().lock()),
    };
    let counters = Arc::new(Progress::default());
    let bar = show_progress.then(|| progress::Bar::start(counters.clone(), total_bytes));
    let result = pipeline::run(&config, inputs, &mut output, &stop, &counters);
    drop(bar);
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
            eprintln!("anonlog: {}: {summary}", printable(&summary.name));
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

/// Opens the output for appending whole batches of lines, readable by owner and group only.
fn open_output(path: &Path) -> anyhow::Result<File> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o640);
    }
    options
        .open(path)
        .with_context(|| format!("cannot open {} for writing", path.display()))
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
