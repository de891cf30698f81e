//! Per-thread caches of judgements, keyed by a seeded hash of the raw value: the same
//! user agents, path segments and host labels come back on almost every line, and judging
//! them once per thread is what keeps the rules cheap. The raw values are not kept.
//!
//! The key hash is fast, not cryptographic: a collision, which an outsider cannot aim for
//! without the per-process seed, would only give one value another's judgement (about one
//! lookup in 10^15 with a full cache).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;
use std::thread::LocalKey;

/// A bounded map from seeded hashes to judgements, one per thread.
pub(crate) type Cache<V> = RefCell<HashMap<u64, V, IdentityHasher>>;

/// The per-process seed of the key hash.
static SEED: LazyLock<u64> =
    LazyLock::new(|| RandomState::new().hash_one(0x0061_6e6f_6e6c_6f67_u64));

/// The judgement of `raw` from `cache`, computed by `judge` on a miss. A full cache (more
/// than `capacity` entries) is emptied, which bounds memory whatever the input.
pub(crate) fn cached<V: Copy + 'static>(
    cache: &'static LocalKey<Cache<V>>,
    capacity: usize,
    raw: &[u8],
    judge: impl FnOnce(&[u8]) -> V,
) -> V {
    let hash = seeded_hash(*SEED, raw);
    if let Some(v) = cache.with_borrow(|c| c.get(&hash).copied()) {
        return v;
    }
    let v = judge(raw);
    cache.with_borrow_mut(|c| {
        if c.len() >= capacity {
            c.clear();
        }
        c.insert(hash, v);
    });
    v
}

/// A seeded multiply-rotate hash over 8-byte words.
fn seeded_hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^ (h >> 31)
}

/// The keys are already random hashes; hashing them again is wasted time.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdentityHasher;

impl BuildHasher for IdentityHasher {
    type Hasher = IdentityHash;
    fn build_hasher(&self) -> IdentityHash {
        IdentityHash(0)
    }
}

/// The hasher of [`IdentityHasher`]: passes a `u64` key through.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct IdentityHash(u64);

impl std::hash::Hasher for IdentityHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static TEST: Cache<usize> = RefCell::new(HashMap::default());
    }

    #[test]
    fn judges_once_and_stays_bounded() {
        let mut calls = 0;
        for _ in 0..3 {
            let v = cached(&TEST, 4, b"users", |raw| {
                calls += 1;
                raw.len()
            });
            assert_eq!(v, 5);
        }
        assert_eq!(calls, 1);
        for i in 0..100u32 {
            cached(&TEST, 4, &i.to_le_bytes(), |_| 0);
        }
        assert!(TEST.with_borrow(HashMap::len) <= 4);
    }
}
