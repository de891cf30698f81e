//! Capture of HTTP requests into raw records, for services built on the `http` crate.

mod capture;

pub use capture::capture_request;
