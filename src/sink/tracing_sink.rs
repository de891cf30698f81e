//! Records as `tracing` events, for services that already ship their tracing output.

use std::io;

use super::destination::Destination;
use crate::record::{AnonRecord, SafeText};
use crate::time::Timestamp;

/// Emits each record as an `INFO` event with target `anonlog::access` and one field per
/// record field. Only anonymized values reach the subscriber.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl Destination for TracingSink {
    fn write(&mut self, batch: &[AnonRecord]) -> io::Result<()> {
        for r in batch {
            let text = |t: Option<&SafeText>| t.map_or("", SafeText::as_str).to_owned();
            tracing::info!(
                target: "anonlog::access",
                time = %r.time(),
                network = r.network().map(|n| n.to_string()),
                visitor = r.visitor().map(|v| v.to_string()),
                method = r.method(),
                path = r.path().as_str(),
                query = text(r.query()),
                protocol = r.protocol(),
                host = text(r.host()),
                status = r.status(),
                bytes = r.bytes(),
                referrer = text(r.referrer()),
                browser = r.user_agent().map(|u| u.browser()),
                os = r.user_agent().map(|u| u.os()),
                os_version = r.user_agent().and_then(|u| u.os_version_name()).map(|v| v.to_string()),
                device = r.user_agent().map(|u| u.device().as_str()),
                bot = r.user_agent().map(|u| u.is_bot()),
                agent_kind = r.user_agent().map(|u| u.kind().as_str()),
                agent_name = r.user_agent().and_then(|u| u.agent_name()),
                duration_us = r.duration().map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX)),
                outcome = r.outcome().map(|o| o.as_str()),
                "access"
            );
        }
        Ok(())
    }

    fn write_dropped(&mut self, time: Timestamp, count: u64) -> io::Result<()> {
        tracing::warn!(target: "anonlog::access", time = %time, dropped = count, "dropped records: queue full");
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
