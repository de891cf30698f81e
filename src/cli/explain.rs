//! `anonlog explain`: the enforced policy as a privacy-notice section.

use std::process::ExitCode;

use super::args::ExplainArgs;
use anonlog::Policy;
use anonlog::stats::Rules;

pub(super) fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let policy = Policy::try_from(&args.policy)?;
    let rules = Rules::try_from(&args.release)?;
    let mut text = anonlog::explain::render(&policy, args.format.into());
    if !rules.is_exact() {
        text.push('\n');
        text.push_str(&anonlog::explain::statistics_section(
            &rules.describe(),
            args.format.into(),
        ));
    }
    super::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
