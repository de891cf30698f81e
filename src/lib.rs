#![doc = include_str!("../README.md")]

pub mod anonymize;
#[cfg(feature = "cli")]
pub mod audit;
pub mod explain;
pub mod format;
#[cfg(feature = "layer")]
pub mod layer;
pub mod logfile;
#[cfg(feature = "cli")]
pub mod parse;
pub mod policy;
pub mod record;
#[cfg(feature = "cli")]
pub mod routes;
#[cfg(feature = "layer")]
pub mod sink;
#[cfg(any(feature = "cli", feature = "layer"))]
pub mod stats;
#[cfg(feature = "cli")]
pub mod stream;
pub mod time;

pub use anonymize::Anonymizer;
pub use format::OutputFormat;
pub use policy::{Policy, PolicyError};
pub use record::{AnonRecord, Outcome, RawRecord};
pub use time::{TimePrecision, Timestamp};
