//! The layer and its builder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use tower_layer::Layer;

use super::service::AnonLog;
use crate::anonymize::Anonymizer;
use crate::client_ip::TrustedProxies;
use crate::policy::{Policy, PolicyError};
use crate::sink::{Destination, OnFull, SinkBuilder, SinkGuard, SinkSender, WriterSink};

/// What every request's service shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) anonymizer: Anonymizer,
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

    /// A layer sending to an already started sink (see [`SinkBuilder`]).
    pub fn new(anonymizer: Anonymizer, proxies: TrustedProxies, sink: SinkSender) -> Self {
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

    /// The anonymizer; long-running services with idle periods may call
    /// [`Anonymizer::purge_expired_keys`] on it periodically.
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
        let anonymizer = Anonymizer::new(policy)?;
        let destination = self.sink.unwrap_or_else(|| Box::new(WriterSink::stdout()));
        let (sender, guard) = self.queue.start(destination).map_err(BuildError::Sink)?;
        let layer = AnonLogLayer::new(anonymizer, TrustedProxies::new(self.proxies), sender);
        Ok((layer, guard))
    }
}
