//! The layer and its builder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipnet::IpNet;
use tower_layer::Layer;

use super::service::AnonLog;
use crate::anonymize::{Anonymizer, Clock, TrustedProxies};
use crate::policy::{Policy, PolicyError};
use crate::sink::{Destination, OnFull, SinkBuilder, SinkGuard, SinkSender, WriterSink};

/// What every request's service shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) anonymizer: Arc<Anonymizer>,
    pub(crate) proxies: TrustedProxies,
    pub(crate) sink: SinkSender,
}

/// Adds anonymized access logging to a service; see the [module docs](super).
#[derive(Clone, Debug)]
pub struct AnonLogLayer {
    shared: Arc<Shared>,
}

impl AnonLogLayer {
    /// A builder: policy, trusted proxies, sink and queue settings.
    pub fn builder() -> AnonLogLayerBuilder {
        AnonLogLayerBuilder::default()
    }

    /// A layer sending to an already started sink (see [`SinkBuilder`]). Whoever runs the
    /// sink should call [`Anonymizer::purge_expired_keys`] now and then (the builder's sink
    /// does it every second), so that an idle server holds no day key beyond its age.
    pub fn new(anonymizer: Arc<Anonymizer>, proxies: TrustedProxies, sink: SinkSender) -> Self {
        Self {
            shared: Arc::new(Shared {
                anonymizer,
                proxies,
                sink,
            }),
        }
    }

    /// The sink's sender, for reading its counters at runtime.
    pub fn sink(&self) -> &SinkSender {
        &self.shared.sink
    }

    /// The anonymizer.
    pub fn anonymizer(&self) -> &Anonymizer {
        &self.shared.anonymizer
    }
}

impl<S> Layer<S> for AnonLogLayer {
    type Service = AnonLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AnonLog::new(inner, self.shared.clone())
    }
}

/// Builds an [`AnonLogLayer`] and starts its sink.
#[derive(Default)]
pub struct AnonLogLayerBuilder {
    policy: Option<Policy>,
    policy_file: Option<PathBuf>,
    proxies: Vec<IpNet>,
    sink: Option<Box<dyn Destination>>,
    queue: SinkBuilder,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for AnonLogLayerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnonLogLayerBuilder")
            .field("policy", &self.policy)
            .field("policy_file", &self.policy_file)
            .field("proxies", &self.proxies)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// Why a layer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The policy is invalid or could not be loaded.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The sink's writer thread could not be started.
    #[error("cannot start the sink's writer thread")]
    Sink(#[source] std::io::Error),
}

impl AnonLogLayerBuilder {
    /// The policy (default: strict).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The clock that ages day keys (default: the system clock); for tests.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Loads the policy from a TOML file when the layer is built.
    pub fn policy_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.policy_file = Some(path.into());
        self
    }

    /// Networks whose `Forwarded`/`X-Forwarded-For` headers are believed (default none:
    /// the socket peer is the client).
    pub fn trusted_proxies(mut self, networks: impl IntoIterator<Item = IpNet>) -> Self {
        self.proxies.extend(networks);
        self
    }

    /// Where records go (default: JSON lines on standard output).
    pub fn sink(mut self, destination: impl Destination) -> Self {
        self.sink = Some(Box::new(destination));
        self
    }

    /// Most bytes of records queued for the writer (default 8 MiB).
    pub fn capacity_bytes(mut self, bytes: usize) -> Self {
        self.queue = self.queue.capacity_bytes(bytes);
        self
    }

    /// The full-queue policy (default [`OnFull::Drop`]).
    pub fn on_full(mut self, on_full: OnFull) -> Self {
        self.queue = self.queue.on_full(on_full);
        self
    }

    /// How long the guard waits for the writer at shutdown (default 5 s).
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.queue = self.queue.shutdown_deadline(deadline);
        self
    }

    /// Validates the policy, starts the sink's writer thread and returns the layer with the
    /// guard that flushes and stops the writer when dropped.
    pub fn build(self) -> Result<(AnonLogLayer, SinkGuard), BuildError> {
        let policy = match (self.policy_file, self.policy) {
            (Some(path), _) => Policy::load(path)?,
            (None, Some(policy)) => policy,
            (None, None) => Policy::strict(),
        };
        let anonymizer = match self.clock {
            Some(clock) => Anonymizer::builder(policy).clock(clock).build()?,
            None => Anonymizer::new(policy)?,
        };
        let anonymizer = Arc::new(anonymizer);
        let destination = PurgeKeys {
            inner: self.sink.unwrap_or_else(|| Box::new(WriterSink::stdout())),
            anonymizer: anonymizer.clone(),
            last: Instant::now(),
        };
        let (sender, guard) = self.queue.start(destination).map_err(BuildError::Sink)?;
        let layer = AnonLogLayer::new(anonymizer, TrustedProxies::new(self.proxies), sender);
        Ok((layer, guard))
    }
}

/// Lets the writer thread destroy expired day keys once a second, so that keys do not
/// outlive their age on a server that sits idle.
struct PurgeKeys<D> {
    inner: D,
    anonymizer: Arc<Anonymizer>,
    last: Instant,
}

impl<D: Destination> Destination for PurgeKeys<D> {
    fn write(&mut self, batch: &[crate::AnonRecord]) -> std::io::Result<()> {
        self.inner.write(batch)
    }

    fn write_dropped(&mut self, time: crate::Timestamp, count: u64) -> std::io::Result<()> {
        self.inner.write_dropped(time, count)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }

    fn close(&mut self) -> std::io::Result<()> {
        self.inner.close()
    }

    fn tick(&mut self) -> std::io::Result<()> {
        if self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            self.anonymizer.purge_expired_keys();
        }
        self.inner.tick()
    }
}
