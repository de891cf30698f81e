#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod anonymize;
pub mod format;
pub mod policy;
pub mod record;
pub mod time;

pub use anonymize::Anonymizer;
pub use format::OutputFormat;
pub use policy::{Policy, PolicyError};
pub use record::{AnonRecord, Outcome, RawRecord};
pub use time::{TimePrecision, Timestamp};
