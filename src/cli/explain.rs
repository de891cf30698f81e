//! `anonlog explain`: the enforced policy as a privacy-notice section.

use std::process::ExitCode;

use super::args::ExplainArgs;
use anonlog::Policy;

pub(super) fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let policy = Policy::try_from(&args.policy)?;
    super::print(&anonlog::explain::render(&policy, args.format.into()))?;
    Ok(ExitCode::SUCCESS)
}
