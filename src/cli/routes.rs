//! `anonlog routes`: route templates suggested from a log.

use std::process::ExitCode;

use anyhow::Context as _;

use super::args::RoutesArgs;
use anonlog::Policy;
use anonlog::routes;

pub(super) fn run(args: &RoutesArgs) -> anyhow::Result<ExitCode> {
    let policy = Policy::try_from(&args.policy)?;
    let settings = super::reading();
    let stop = super::install_stop_signals()?;
    let inputs = super::open_inputs(&args.files)?;
    let counts =
        routes::count_paths(policy, inputs, &settings, &stop).context("cannot read the log")?;
    let suggestions = counts.suggest(args.min_distinct);
    super::print(&routes::render(
        &suggestions,
        counts.lines(),
        args.min_distinct,
    ))?;
    Ok(ExitCode::SUCCESS)
}
