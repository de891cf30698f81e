//! Command-line arguments as clap parses them; [`super::config`] turns them into the
//! engine's validated configuration.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;

use anonlog::stream::DEFAULT_MAX_LINE;

/// Anonymized access logs: enforce a privacy policy on every record.
#[derive(Debug, Parser)]
#[command(name = "anonlog", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Anonymize access-log files or a stream (nginx, Apache, Caddy, JSON lines).
    ///
    /// Reads the files in order, or standard input when none is given (or `-`), and writes
    /// anonymized records to standard output or, appending, to `-o FILE`. Lines that cannot
    /// be parsed are never written: they are counted and reported on standard error by
    /// line number. Exit status: 0 all lines written, 1 some lines rejected, 2 error; a
    /// reader that closes the output pipe early (`| head`) ends the run with 0.
    Anonymize(AnonymizeArgs),

    /// Receive access-log lines over syslog (UDP, TCP), anonymize them, append to a file.
    ///
    /// For nginx `access_log syslog:server=…`, rsyslog/syslog-ng forwarding and Apache with
    /// `logger`. Writes the input's own format by default. SIGTERM/SIGINT stop receiving
    /// and write out what was received; SIGHUP reopens the output (logrotate). Exit
    /// status: 0, 1 if records were lost to write errors, 2 error.
    Serve(ServeArgs),

    /// Audit a log for residual personal data and re-identification risk.
    ///
    /// Exit status: 0 clean, 1 findings (or risk above --max-risk), 2 error. Findings are
    /// reported by kind, count and line numbers, with at most a masked hint.
    Check(CheckArgs),

    /// Suggest route templates (`[[path.routes]]`) from a log.
    ///
    /// Finds the path positions where many distinct values follow one prefix
    /// (`/team/{team}`) and prints them as a policy snippet to review. Values themselves
    /// are never printed.
    Routes(RoutesArgs),

    /// Statistics from anonymized logs: visitors, page views, pages, referrers, browsers, …
    ///
    /// Reads anonlog's own output (JSON lines, or CLF with the pseudonym in the ident
    /// column) from files (gzip-compressed when named `.gz`) or standard input, all as one
    /// input; never raw logs: `anonlog anonymize access.log | anonlog stats`. Without release
    /// rules the numbers are exact and for the site's owner; --min-visitors and --epsilon
    /// make them safe to publish (docs/stats.md). Exit status: 0 every line read, 1 some
    /// lines rejected, 2 error.
    Stats(StatsArgs),

    /// Print the enforced policy as a privacy-notice section a site can publish.
    ///
    /// The text is generated from the same policy value the anonymizer runs.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where to listen: udp://ADDR:PORT or tcp://ADDR:PORT (repeatable).
    #[arg(long = "syslog", value_name = "URL", required = true)]
    pub(crate) listen: Vec<anonlog::stream::syslog::Listen>,

    /// The file to append to (created with mode 0640).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// Format of the received lines; `auto` detects it for every record on its own, so no
    /// sender decides how another's records are read.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub(crate) format: FormatArg,

    /// Output format; `same` keeps each received record's format.
    #[arg(long, value_enum, default_value_t = OutputArg::Same)]
    pub(crate) output_format: OutputArg,

    #[command(flatten)]
    pub(crate) policy: PolicyArgs,

    #[command(flatten)]
    pub(crate) file: LogFileArgs,

    /// Bytes of received lines queued for the anonymizer; UDP records beyond it are
    /// dropped and counted, TCP senders wait.
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20)]
    pub(crate) queue_bytes: usize,

    /// TCP connections served at once per listener; more wait until one ends.
    #[arg(long, value_name = "N", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub(crate) max_connections: u32,

    /// Seconds a TCP connection may go without completing a record before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) idle_timeout: u64,

    /// Seconds allowed after SIGTERM/SIGINT to write what was received; what is still
    /// queued then is dropped and counted.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub(crate) shutdown_deadline: u64,

    /// Exit at the first failed write (exit status 2) instead of counting the batch as
    /// dropped and retrying with back-off.
    #[arg(long)]
    pub(crate) fail_fast: bool,

    /// Seconds between statistics lines on standard error (0: only at exit).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) stats_interval: u64,

    /// Also write the statistics as JSON to FILE (replaced each interval and at exit; never
    /// through a symbolic link, never the output file).
    #[arg(long, value_name = "FILE")]
    pub(crate) stats_json: Option<PathBuf>,
}

/// Which policy to enforce.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// Policy file (TOML); see docs/configuration.md. Default: the strict preset.
    #[arg(long = "policy", value_name = "FILE", conflicts_with = "preset")]
    pub(crate) file: Option<PathBuf>,

    /// Named policy preset: strict, regional or minimal.
    #[arg(long, value_name = "NAME")]
    pub(crate) preset: Option<String>,
}

/// How `-o FILE` is written: durability, and built-in rotation and retention (rename and
/// reopen, never copy). SIGHUP reopens it (for logrotate).
#[derive(Debug, Args)]
pub(crate) struct LogFileArgs {
    /// When `-o FILE` is forced to stable storage: never, at most once a second
    /// (`interval`), or after every batch; unless never, once more at a clean end.
    #[arg(long, value_enum, default_value_t = FsyncArg::Interval)]
    pub(crate) fsync: FsyncArg,

    /// Rotate `-o FILE` at each UTC midnight (to FILE's stem.YYYY-MM-DD.ext).
    #[arg(long)]
    pub(crate) rotate_daily: bool,

    /// Rotate `-o FILE` when it reaches BYTES.
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_bytes: Option<u64>,

    /// Keep at most N rotated files.
    #[arg(long, value_name = "N")]
    pub(crate) keep: Option<usize>,

    /// Delete rotated files older than DAYS.
    #[arg(long, value_name = "DAYS")]
    pub(crate) max_age_days: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Line layout; `auto` detects JSON or CLF per line.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub(crate) format: FormatArg,

    /// Also check conformance to this policy (prefix lengths, allowed query keys).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,

    /// Group size below which records count as at risk of re-identification (at least 1).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) k: u64,

    /// Fail (exit 1) when more than PERCENT of the records are at risk.
    #[arg(long, value_name = "PERCENT")]
    pub(crate) max_risk: Option<f64>,

    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,

    /// Files to check (`-` or none: standard input).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RoutesArgs {
    /// Distinct values a position needs to become a variable.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) min_distinct: u64,

    #[command(flatten)]
    pub(crate) policy: PolicyArgs,

    /// Log files (`-` or none: standard input).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,

    /// The rules statistics are published under, to describe them too (when K or ε is given).
    #[command(flatten)]
    pub(crate) release: ReleaseArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = NoticeArg::Markdown)]
    pub(crate) format: NoticeArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoticeArg {
    Markdown,
    Text,
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct AnonymizeArgs {
    /// Input format; `auto` detects it per input from its first lines.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    pub(crate) format: FormatArg,

    /// Output format; `same` keeps each input's format so analyzers keep working.
    #[arg(long, value_enum, default_value_t = OutputArg::Same)]
    pub(crate) output_format: OutputArg,

    #[command(flatten)]
    pub(crate) policy: PolicyArgs,

    /// Write to FILE (appending; created with mode 0640) instead of standard output. A
    /// symbolic link, a hard link or an input file is refused.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    /// A proxy network whose X-Forwarded-For values are believed (JSON input; repeatable).
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub(crate) trusted_proxies: Vec<IpNet>,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) threads: Option<u16>,

    /// Longest accepted line in bytes; longer lines are rejected as oversized.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE)]
    pub(crate) max_line_bytes: usize,

    /// Never show a progress bar (it is shown only for files on a terminal).
    #[arg(long)]
    pub(crate) no_progress: bool,

    #[command(flatten)]
    pub(crate) file: LogFileArgs,

    /// Input files (`-` is standard input).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    Auto,
    Combined,
    Common,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FsyncArg {
    Never,
    Interval,
    Batch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    Same,
    Json,
    Combined,
    Common,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct StatsArgs {
    #[command(subcommand)]
    pub(crate) command: Option<StatsCommand>,

    #[command(flatten)]
    pub(crate) report: ReportArgs,

    /// Write an exact partial aggregate (JSON, hashed visitor ids) for `anonlog stats
    /// merge` instead of a report. It is as sensitive as the log: never publish it.
    #[arg(long, conflicts_with_all = ["format", "min_visitors", "epsilon"])]
    pub(crate) partial: bool,

    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) threads: Option<u16>,

    /// Anonymized logs (`-` or none: standard input; `.gz` files are decompressed).
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatsCommand {
    /// Combine partial aggregates (`anonlog stats --partial`) into one report, exactly as
    /// if all their records had been one input.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    #[command(flatten)]
    pub(crate) report: ReportArgs,

    /// Write the merged partial aggregate instead of a report.
    #[arg(long, conflicts_with_all = ["format", "min_visitors", "epsilon"])]
    pub(crate) partial: bool,

    /// Partial aggregates (`.gz` files are decompressed).
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,
}

/// How a report is written, and under which release rules.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Report format. Default: from the extension of -o FILE (.json, .csv, .html), else
    /// text on a terminal and JSON otherwise.
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormatArg>,

    /// Write to FILE (replaced) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) release: ReleaseArgs,
}

/// The rules of a safe release (docs/stats.md).
#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    /// Publish only rows with at least K distinct visitors; the rest are folded into an
    /// `(other)` row, published only if it reaches K itself.
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_visitors: Option<u64>,

    /// Add discrete Laplace noise for ε-differential privacy per visitor-day, with a total
    /// budget of E (a decimal such as 1 or 0.5) for the whole report.
    #[arg(long, value_name = "E")]
    pub(crate) epsilon: Option<String>,

    /// δ for the private selection of rows of open-ended tables (with --epsilon).
    #[arg(long, value_name = "D", default_value_t = 1e-6)]
    pub(crate) delta: f64,

    /// Most requests (page views) of one visitor per day counted in any row (with
    /// --min-visitors or --epsilon).
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_per_visitor: u64,

    /// Most rows of one table one visitor per day counts in (with --epsilon).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) max_rows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormatArg {
    Text,
    Json,
    Csv,
    Html,
}
