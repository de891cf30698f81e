//! `anonlog serve`: syslog in, anonymized records appended to a file, with statistics.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use anyhow::Context as _;

use super::args::ServeArgs;
use super::config::open_log_file;
use anonlog::stream::anonymize::{self, Config};
use anonlog::stream::syslog::{self, ReceiverStats};
use anonlog::stream::{Input, Progress};

pub(super) fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::try_from(args)?;
    let (input, received, bound) =
        syslog::listen(&args.listen, args.queue).context("cannot listen for syslog")?;
    for addr in &bound {
        super::warn(&format!("listening on {addr}"));
    }
    let stop = super::install_stop_signals()?;
    let mut file = open_log_file(&args.output, &args.file)?;
    let progress = Arc::new(Progress::default());
    let stats = ServeStats {
        received,
        progress: progress.clone(),
        json: args.stats_json.clone(),
    };
    let reporter = (args.stats_interval > 0).then(|| {
        let stats = stats.clone();
        let every = Duration::from_secs(args.stats_interval);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(every);
                stats.report();
            }
        })
    });
    let inputs = vec![Input {
        name: "syslog".to_owned(),
        reader: Box::new(input),
        len: None,
    }];
    let result = anonymize::run(&config, inputs, &mut file, &stop, &progress);
    file.close()
        .with_context(|| format!("cannot sync {} to disk", args.output.display()))?;
    drop(reporter);
    stats.report();
    result.with_context(|| format!("{}", args.output.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// Live counters of `serve`, printed as one line and optionally written as JSON.
#[derive(Clone)]
struct ServeStats {
    received: Arc<ReceiverStats>,
    progress: Arc<Progress>,
    json: Option<PathBuf>,
}

impl ServeStats {
    fn report(&self) {
        let received = self.received.received.load(Relaxed);
        let not_syslog = self.received.not_syslog.load(Relaxed);
        let dropped = self.received.dropped.load(Relaxed);
        let lines = self.progress.lines.load(Relaxed);
        let rejected = self.progress.rejected.load(Relaxed);
        let written = lines.saturating_sub(rejected);
        super::warn(&format!(
            "received {received}, written {written}, rejected {rejected}, not syslog {not_syslog}, dropped {dropped}"
        ));
        if let Some(path) = &self.json {
            let text = format!(
                "{{\"received\":{received},\"written\":{written},\"rejected\":{rejected},\"not_syslog\":{not_syslog},\"dropped\":{dropped}}}\n"
            );
            // Written aside and renamed, so readers never see half a file.
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .is_err()
            {
                super::warn(&format!("cannot write {}", path.display()));
            }
        }
    }
}
