//! The `anonlog` command-line tool: parses the arguments and hands them to [`cli::run`].

mod cli;

use std::io::{self, Write as _};
use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            // A closed standard error must not turn a failure into a panic.
            let _ = writeln!(
                io::stderr(),
                "anonlog: error: {}",
                cli::printable(&format!("{e:#}"))
            );
            ExitCode::from(2)
        }
    }
}
