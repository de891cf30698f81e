//! `anonlog anonymize`: files or a stream in, anonymized records out.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use super::args::AnonymizeArgs;
use super::config::open_log_file;
use super::progress;
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
