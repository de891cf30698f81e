#![doc = include_str!("../README.md")]

pub mod anonymize;
#[cfg(feature = "cli")]
pub mod audit;
pub mod client_ip;
pub mod explain;
pub mod format;
#[cfg(feature = "layer")]
pub mod layer;
pub mod logfile;
#[cfg(feature = "cli")]
pub mod parse;
#[cfg(feature = "cli")]
pub mod pipeline;
pub mod policy;
pub mod record;
#[cfg(feature = "layer")]
pub mod sink;
#[cfg(feature = "cli")]
pub mod syslog;
pub mod time;

pub use anonymize::Anonymizer;
pub use format::OutputFormat;
pub use policy::{Policy, PolicyError};
pub use record::{AnonRecord, Outcome, RawRecord};
pub use time::{TimePrecision, Timestamp};
