//! From arguments to the engine's validated configuration.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::args::{
    AnonymizeArgs, FormatArg, FsyncArg, LogFileArgs, NoticeArg, OutputArg, PolicyArgs, ReleaseArgs,
    ReportFormatArg, ServeArgs,
};
use anonlog::anonymize::TrustedProxies;
use anonlog::explain::NoticeFormat;
use anonlog::logfile::{Fsync, LogFile};
use anonlog::parse::InputFormat;
use anonlog::stats::Rules;
use anonlog::stats::noise::parse_decimal;
use anonlog::stats::render::ReportFormat;
use anonlog::stream::DEFAULT_MAX_LINE;
use anonlog::stream::anonymize::{Config, InputChoice, OutputChoice};
use anonlog::stream::syslog::Limits;
use anonlog::{Anonymizer, OutputFormat, Policy};

impl TryFrom<&PolicyArgs> for Policy {
    type Error = anyhow::Error;

    /// The policy file, else the preset, else the strict preset.
    fn try_from(args: &PolicyArgs) -> anyhow::Result<Self> {
        Ok(match (args.file.as_deref(), args.preset.as_deref()) {
            (Some(path), _) => Policy::load(path)?,
            (None, Some(name)) => Policy::preset(name)?,
            (None, None) => Policy::strict(),
        })
    }
}

impl FormatArg {
    /// The format named, or `None` for `auto`.
    pub(super) fn fixed(self) -> Option<InputFormat> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Combined => Some(InputFormat::Combined),
            FormatArg::Common => Some(InputFormat::Common),
            FormatArg::Json => Some(InputFormat::Json),
        }
    }

    /// The format named, or `auto` as the command detects it.
    fn choice(self, auto: InputChoice) -> InputChoice {
        self.fixed().map_or(auto, InputChoice::Fixed)
    }
}

impl From<&ServeArgs> for Limits {
    fn from(args: &ServeArgs) -> Self {
        Limits {
            queue_bytes: args.queue_bytes,
            max_connections: args.max_connections as usize,
            idle_timeout: Duration::from_secs(args.idle_timeout),
        }
    }
}

impl From<OutputArg> for OutputChoice {
    fn from(arg: OutputArg) -> Self {
        match arg {
            OutputArg::Same => OutputChoice::Same,
            OutputArg::Json => OutputChoice::Fixed(OutputFormat::Json),
            OutputArg::Combined => OutputChoice::Fixed(OutputFormat::Combined),
            OutputArg::Common => OutputChoice::Fixed(OutputFormat::Common),
        }
    }
}

impl From<NoticeArg> for NoticeFormat {
    fn from(arg: NoticeArg) -> Self {
        match arg {
            NoticeArg::Markdown => NoticeFormat::Markdown,
            NoticeArg::Text => NoticeFormat::Text,
            NoticeArg::Html => NoticeFormat::Html,
        }
    }
}

impl From<ReportFormatArg> for ReportFormat {
    fn from(arg: ReportFormatArg) -> Self {
        match arg {
            ReportFormatArg::Text => ReportFormat::Text,
            ReportFormatArg::Json => ReportFormat::Json,
            ReportFormatArg::Csv => ReportFormat::Csv,
            ReportFormatArg::Html => ReportFormat::Html,
        }
    }
}

impl TryFrom<&ReleaseArgs> for Rules {
    type Error = anyhow::Error;

    fn try_from(args: &ReleaseArgs) -> anyhow::Result<Self> {
        let epsilon = match &args.epsilon {
            Some(text) => Some(parse_decimal(text).ok_or_else(|| {
                anyhow::anyhow!(
                    "--epsilon must be a positive decimal with at most 9 decimal places"
                )
            })?),
            None => None,
        };
        if !(args.delta > 0.0 && args.delta < 1.0) {
            anyhow::bail!("--delta must be between 0 and 1");
        }
        Ok(Rules {
            min_visitors: args.min_visitors,
            epsilon,
            delta: args.delta,
            max_per_visitor: args.max_per_visitor,
            max_rows: args.max_rows,
        })
    }
}

impl From<FsyncArg> for Fsync {
    fn from(arg: FsyncArg) -> Self {
        match arg {
            FsyncArg::Never => Fsync::Never,
            FsyncArg::Interval => Fsync::default(),
            FsyncArg::Batch => Fsync::EveryBatch,
        }
    }
}

impl TryFrom<&AnonymizeArgs> for Config {
    type Error = anyhow::Error;

    fn try_from(args: &AnonymizeArgs) -> anyhow::Result<Self> {
        let policy = Policy::try_from(&args.policy)?;
        Ok(Config {
            anonymizer: Arc::new(Anonymizer::new(policy)?),
            proxies: TrustedProxies::new(args.trusted_proxies.iter().copied()),
            input: args.format.choice(InputChoice::PerInput),
            output: args.output_format.into(),
            threads: args.threads.map_or_else(super::all_cores, usize::from),
            max_line: args.max_line_bytes,
        })
    }
}

impl TryFrom<&ServeArgs> for Config {
    type Error = anyhow::Error;

    /// Received lines come from the relays themselves: no proxy is trusted.
    fn try_from(args: &ServeArgs) -> anyhow::Result<Self> {
        let policy = Policy::try_from(&args.policy)?;
        Ok(Config {
            anonymizer: Arc::new(Anonymizer::new(policy)?),
            proxies: TrustedProxies::default(),
            input: args.format.choice(InputChoice::PerLine),
            output: args.output_format.into(),
            threads: super::all_cores(),
            max_line: DEFAULT_MAX_LINE,
        })
    }
}

/// Opens an output file for appending, synced, rotated and pruned as `args` say, and
/// reopened on SIGHUP.
pub(super) fn open_log_file(path: &Path, args: &LogFileArgs) -> anyhow::Result<LogFile> {
    let mut file = LogFile::new(path)
        .fsync(args.fsync.into())
        .daily(args.rotate_daily);
    if let Some(bytes) = args.max_bytes {
        file = file.max_bytes(bytes);
    }
    if let Some(keep) = args.keep {
        file = file.keep(keep);
    }
    if let Some(days) = args.max_age_days {
        file = file.max_age(Duration::from_secs(days.saturating_mul(86_400)));
    }
    file.open_now()
        .with_context(|| format!("cannot open {} for writing", path.display()))?;
    Ok(file)
}
