//! `anonlog anonymize`: files or a stream in, anonymized records out.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use super::args::AnonymizeArgs;
use super::config::open_log_file;
use super::progress;
use anonlog::logfile::FileId;
use anonlog::stream::anonymize::{self, Config};
use anonlog::stream::{Outcome, Progress, StreamError};

pub(super) fn run(args: &AnonymizeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::try_from(args)?;
    let inputs = super::open_inputs(&args.files)?;
    let show_progress = !args.no_progress
        && io::stderr().is_terminal()
        && !inputs.is_empty()
        && inputs.iter().all(|i| i.len.is_some());
    let total_bytes = inputs.iter().filter_map(|i| i.len).sum();
    let stop = super::install_stop_signals()?;
    // Before the output is opened: opening cuts a torn last line.
    let output_id = match &args.output {
        Some(path) => FileId::of_path(path),
        None => fd_id(&io::stdout()),
    };
    refuse_own_output(&args.files, output_id.context("cannot examine the output")?)?;
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
    let result = anonymize::run(&config, inputs, output, &stop, &counters);
    drop(bar);
    if let (Some(file), Some(path)) = (&mut file, &args.output) {
        file.close().map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot sync {} to disk", path.display()))
        })?;
    }
    let (summaries, outcome) = match (result, &args.output) {
        (Ok(done), _) => done,
        (Err(e @ StreamError::Write(_)), Some(path)) => {
            return Err(anyhow::Error::new(e).context(format!("{}", path.display())));
        }
        (Err(e), _) => return Err(e.into()),
    };
    let mut rejected = false;
    for summary in &summaries {
        if summary.rejected_total() > 0 {
            rejected = true;
            super::warn(&format!("{}: {summary}", summary.name));
        }
    }
    Ok(match outcome {
        Outcome::OutputClosed => ExitCode::SUCCESS,
        _ if rejected => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

/// Reading the file being written would read the output back and grow without end: an
/// input that is the output (same device and inode, also through links) is refused.
fn refuse_own_output(files: &[PathBuf], output: Option<FileId>) -> anyhow::Result<()> {
    let Some(output) = output else {
        return Ok(());
    };
    let stdin = [PathBuf::from("-")];
    let files = if files.is_empty() { &stdin[..] } else { files };
    for path in files {
        let id = if path == Path::new("-") {
            fd_id(&io::stdin())
        } else {
            FileId::of_path(path)
        };
        if id.with_context(|| format!("cannot examine {}", path.display()))? == Some(output) {
            anyhow::bail!(
                "{} is both an input and the output; refusing to read what is being written",
                path.display()
            );
        }
    }
    Ok(())
}

/// The identity of standard input or output, if it is a regular file.
fn fd_id(stream: &impl AsFd) -> io::Result<Option<FileId>> {
    FileId::of(&File::from(stream.as_fd().try_clone_to_owned()?))
}
