//! The command-line tool: [`args`] as clap parses them, [`config`] turning them into the
//! engine's validated configuration, and one module per command.

mod anonymize;
pub(crate) mod args;
mod check;
mod config;
mod explain;
mod progress;
mod routes;
mod serve;
mod stats;

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;

use anonlog::stream::runner::RunSettings;
use anonlog::stream::{CHUNK_BYTES, DEFAULT_MAX_LINE, Input};
use args::{Cli, Command};

/// Runs one command; the exit code says how it went, an error that it could not run.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    keep_keys_out_of_dumps()?;
    match cli.command {
        Command::Anonymize(args) => anonymize::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Routes(args) => routes::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Stats(args) => stats::run(&args),
    }
}

/// Day keys and a visitor secret live in this process's memory for the whole run: no core
/// file may be written (`RLIMIT_CORE` 0) and, on Linux, the process is not dumpable
/// (`PR_SET_DUMPABLE` 0: no core dump through a pipe handler either, and other processes
/// of the same user cannot attach a debugger or read its memory).
fn keep_keys_out_of_dumps() -> anyhow::Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = Rlimit {
        current: Some(0),
        maximum: getrlimit(Resource::Core).maximum,
    };
    setrlimit(Resource::Core, limit).context("cannot disable core dumps")?;
    #[cfg(target_os = "linux")]
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        .context("cannot make the process undumpable")?;
    Ok(())
}

/// Replaces control characters so that a message cannot drive the terminal.
pub(crate) fn printable(text: &str) -> String {
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

/// Writes `text` to standard output; a reader that went away (a broken pipe) is not an
/// error.
fn print(text: &str) -> io::Result<()> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// Writes a line to standard error; a closed standard error must not stop the work.
fn warn(text: &str) {
    let _ = writeln!(io::stderr(), "anonlog: {}", printable(text));
}

/// The inputs named on the command line, in order; none or `-` is standard input.
fn open_inputs(files: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
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

/// One worker per core.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// How the commands that only read (`check`, `routes`) read: on every core, with the
/// default line limit.
fn reading() -> RunSettings {
    RunSettings {
        threads: all_cores(),
        max_line: DEFAULT_MAX_LINE,
        chunk_bytes: CHUNK_BYTES,
    }
}
