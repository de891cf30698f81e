//! `anonlog stats`: statistics from anonymized logs, and `anonlog stats merge` of partial
//! aggregates.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use flate2::read::MultiGzDecoder;

use super::args::{MergeArgs, ReportArgs, StatsArgs, StatsCommand};
use anonlog::stats::merge::{merge_partials, read_partial, write_partial};
use anonlog::stats::noise::OsRandom;
use anonlog::stats::read::aggregate;
use anonlog::stats::release::release;
use anonlog::stats::render::{ReportFormat, render};
use anonlog::stats::{Aggregate, Rules};
use anonlog::stream::runner::RunSettings;
use anonlog::stream::{CHUNK_BYTES, DEFAULT_MAX_LINE, Input};

pub(super) fn run(args: &StatsArgs) -> anyhow::Result<ExitCode> {
    if let Some(StatsCommand::Merge(merge)) = &args.command {
        return run_merge(merge);
    }
    let inputs = super::open_inputs(&args.files)?
        .into_iter()
        .map(decompressed)
        .collect();
    let settings = RunSettings {
        threads: args.threads.map_or_else(super::all_cores, usize::from),
        max_line: DEFAULT_MAX_LINE,
        chunk_bytes: CHUNK_BYTES,
    };
    let stop = super::install_stop_signals()?;
    let (aggregate, summaries, _) = aggregate(inputs, &settings, &stop)?;
    let mut rejected = false;
    for summary in &summaries {
        if summary.rejected_total() > 0 {
            rejected = true;
            super::warn(&format!("{}: {summary}", summary.name));
        }
    }
    finish(aggregate, args.partial, &args.report)?;
    Ok(if rejected {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_merge(args: &MergeArgs) -> anyhow::Result<ExitCode> {
    let mut parts = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let mut text = Vec::new();
        open(path)?
            .read_to_end(&mut text)
            .with_context(|| format!("cannot read {}", path.display()))?;
        parts.push(read_partial(&text).with_context(|| format!("{}", path.display()))?);
    }
    finish(merge_partials(parts), args.partial, &args.report)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the partial aggregate, or the report under the release rules.
fn finish(aggregate: Aggregate, partial: bool, args: &ReportArgs) -> anyhow::Result<()> {
    let text = if partial {
        write_partial(aggregate)
    } else {
        let rules = Rules::try_from(&args.release)?;
        let report = release(&aggregate, &rules, &mut OsRandom::default());
        render(&report, format(args))
    };
    match &args.output {
        Some(path) => {
            fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => super::print(&text)?,
    }
    Ok(())
}

/// The format asked for, else the one the output file's extension names, else text on a
/// terminal and JSON otherwise.
fn format(args: &ReportArgs) -> ReportFormat {
    if let Some(format) = args.format {
        return format.into();
    }
    let extension = args
        .output
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str());
    match extension {
        Some("json") => ReportFormat::Json,
        Some("csv") => ReportFormat::Csv,
        Some("html" | "htm") => ReportFormat::Html,
        Some(_) => ReportFormat::Text,
        None if io::stdout().is_terminal() => ReportFormat::Text,
        None => ReportFormat::Json,
    }
}

/// Whether a file is gzip-compressed, by its name.
fn is_gzip(name: &str) -> bool {
    name.ends_with(".gz")
}

/// An input, decompressed when its name ends in `.gz`.
fn decompressed(input: Input) -> Input {
    if !is_gzip(&input.name) {
        return input;
    }
    Input {
        reader: Box::new(MultiGzDecoder::new(input.reader)),
        len: None,
        ..input
    }
}

/// A partial aggregate file, decompressed when its name ends in `.gz`.
fn open(path: &PathBuf) -> anyhow::Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(if is_gzip(&path.to_string_lossy()) {
        Box::new(MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    })
}
