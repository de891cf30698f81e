//! Partial aggregates: the exact aggregate written as JSON, to be combined later.
//!
//! `anonlog stats --partial` writes one; `anonlog stats merge` reads any number and makes
//! one report, the same as the report of all their records in one input. Pseudonyms are
//! written as hashed ids ([`Aggregate::hash_ids`]). Visitors seen by two servers count
//! once only when both servers give them the same pseudonym, which needs day keys derived
//! from a shared secret (`visitor.secret_file`); with random day keys each server's
//! pseudonyms differ and the merged visitor counts are sums.
//!
//! A partial aggregate holds a set of ids per row: it is as sensitive as the anonymized log
//! it comes from, for the owner only, never for publication.

use serde::{Deserialize, Serialize};

use super::Aggregate;

/// The name and version of the partial format.
pub const PARTIAL_SCHEMA: &str = "anonlog-stats-partial/1";

/// A partial aggregate as written.
#[derive(Serialize, Deserialize)]
struct Partial {
    schema: String,
    aggregate: Aggregate,
}

/// A partial file that cannot be read. Carries no content of the file.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// Not JSON, or not the partial format.
    #[error("not an anonlog partial aggregate ({PARTIAL_SCHEMA})")]
    Format,
    /// Another version of the format.
    #[error("unsupported partial aggregate version; expected {PARTIAL_SCHEMA}")]
    Version,
}

/// Writes `aggregate` as a partial, with hashed ids.
pub fn write_partial(aggregate: Aggregate) -> String {
    let partial = Partial {
        schema: PARTIAL_SCHEMA.to_owned(),
        aggregate: aggregate.hash_ids(),
    };
    let mut text = serde_json::to_string(&partial).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a partial written by [`write_partial`].
pub fn read_partial(text: &[u8]) -> Result<Aggregate, PartialError> {
    #[derive(Deserialize)]
    struct Head {
        schema: String,
    }
    let head: Head = serde_json::from_slice(text).map_err(|_| PartialError::Format)?;
    if head.schema != PARTIAL_SCHEMA {
        return Err(PartialError::Version);
    }
    let partial: Partial = serde_json::from_slice(text).map_err(|_| PartialError::Format)?;
    let mut aggregate = partial.aggregate;
    aggregate.hashed_ids = true;
    aggregate.reindex();
    Ok(aggregate)
}

/// Merges partial aggregates into one.
pub fn merge_partials(parts: impl IntoIterator<Item = Aggregate>) -> Aggregate {
    let mut parts = parts.into_iter();
    let mut all = parts.next().unwrap_or_default();
    for part in parts {
        all.merge(part);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregate::tests::view;

    #[test]
    fn partials_round_trip_with_hashed_ids() {
        let mut agg = Aggregate::default();
        agg.add(&view(20_000, Some(0x1234), "/"));
        agg.add(&view(20_000, None, "/x"));
        let text = write_partial(agg.clone());
        assert!(!text.contains(&0x1234u64.to_string()));
        assert_eq!(read_partial(text.as_bytes()).ok(), Some(agg.hash_ids()));
        assert!(matches!(read_partial(b"{}"), Err(PartialError::Format)));
        assert!(matches!(
            read_partial(br#"{"schema":"anonlog-stats-partial/9"}"#),
            Err(PartialError::Version)
        ));
    }
}
