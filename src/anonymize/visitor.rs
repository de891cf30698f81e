//! Visitor pseudonyms: keyed, per UTC day, with keys that live at most 48 hours.
//!
//! A pseudonym is the first 64 bits of HMAC-SHA256 over the length-prefixed full client
//! address, raw user agent and host, keyed with the key of the record's UTC day. The same
//! visitor gets the same pseudonym all day (so daily unique visitors can be counted) and an
//! unrelated one the next day. Keys are 32 random bytes kept only in memory, at most two at
//! a time (the newest day seen and the one before), each destroyed (zeroized) 48 hours after
//! it was made at the latest. Once a day's key is gone, that day can get no pseudonyms again.
//!
//! For several instances that must agree, day keys can instead be derived with HKDF-SHA256
//! from a shared secret and the date. That is pseudonymization, not anonymization: whoever
//! holds the secret can recompute every pseudonym.

use std::fmt;
use std::io::Read as _;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use std::time::{Duration, SystemTime};

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::policy::PolicyError;
use crate::record::VisitorId;
use crate::time::Timestamp;

/// Longest a day key is kept in memory.
pub const MAX_KEY_AGE: Duration = Duration::from_secs(48 * 3600);

/// Fewest secret bytes accepted for derived day keys (128 bits).
pub const MIN_SECRET_BYTES: usize = 16;

/// Most bytes of a secret file; a longer file is refused unread (it is no key file).
pub const MAX_SECRET_BYTES: usize = 4096;

const HKDF_SALT: &[u8] = b"anonlog visitor day key v1";

/// A source of the current time, replaceable in tests.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Where day keys come from.
pub enum VisitorKeySource {
    /// Fresh random bytes for every UTC day (the default; anonymizing once keys are gone).
    Random,
    /// HKDF-SHA256 of a shared secret and the UTC date (pseudonymizing while the secret exists).
    Secret(Zeroizing<Vec<u8>>),
}

impl VisitorKeySource {
    /// Uses `secret` to derive day keys; refuses secrets shorter than [`MIN_SECRET_BYTES`].
    pub fn from_secret(secret: Vec<u8>) -> Result<Self, WeakSecret> {
        let secret = Zeroizing::new(secret);
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret {
                bits: secret.len() * 8,
            });
        }
        Ok(Self::Secret(secret))
    }

    /// Reads the secret from a file made for the purpose, refusing anything else: a file
    /// that group or others may read or write (its mode must be like 0600 or 0400), one that
    /// is not a regular file (links to one are followed; a pipe or a device is refused
    /// unread), and one with fewer than [`MIN_SECRET_BYTES`] or more than
    /// [`MAX_SECRET_BYTES`] bytes. At most `MAX_SECRET_BYTES + 1` bytes are ever read.
    pub fn from_secret_file(path: &Path) -> Result<Self, PolicyError> {
        let read_error = |source| PolicyError::SecretRead {
            path: path.to_owned(),
            source,
        };
        let refuse = |reason: String| PolicyError::Refused {
            key: "visitor.secret_file",
            reason,
        };
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            // A FIFO must not block the start waiting for a writer.
            options.custom_flags(libc::O_NONBLOCK);
        }
        let file = options.open(path).map_err(read_error)?;
        let meta = file.metadata().map_err(read_error)?;
        if !meta.is_file() {
            return Err(refuse(
                "names something that is not a regular file".to_owned(),
            ));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o066 != 0 {
                return Err(refuse(format!(
                    "names a file that group or others may read or write (mode {mode:04o}); allow only its owner (chmod 600)"
                )));
            }
        }
        let mut secret = Zeroizing::new(Vec::with_capacity(MAX_SECRET_BYTES + 1));
        let limit = MAX_SECRET_BYTES as u64 + 1;
        file.take(limit)
            .read_to_end(&mut secret)
            .map_err(read_error)?;
        if secret.len() > MAX_SECRET_BYTES {
            return Err(refuse(format!(
                "names a file longer than {MAX_SECRET_BYTES} bytes; a secret file holds only the secret"
            )));
        }
        Self::from_secret(std::mem::take(&mut *secret))
            .map_err(|e| refuse(format!("names a file too short to use: {e}")))
    }
}

impl fmt::Debug for VisitorKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("Random"),
            Self::Secret(_) => f.write_str("Secret(<redacted>)"),
        }
    }
}

/// A secret too short to derive day keys from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the visitor secret has {bits} bits; at least {} are required", MIN_SECRET_BYTES * 8)]
pub struct WeakSecret {
    /// Bits the secret had.
    pub bits: usize,
}

/// One day's prepared HMAC state. The `hmac` crate zeroizes it when dropped.
struct DayKey {
    day: i64,
    mac: Hmac<Sha256>,
    created: SystemTime,
}

/// An immutable snapshot of the keys; replaced whole when a key is made or destroyed, so
/// that readers never wait. A key is zeroized when the last snapshot holding it is gone.
#[derive(Default, Clone)]
struct Slots {
    keys: Vec<Arc<DayKey>>,
    /// Newest record day seen.
    newest: Option<i64>,
    /// Days before this one have had their key destroyed and get no pseudonym.
    floor: Option<i64>,
}

/// The day keys of one anonymizer.
pub(crate) struct DayKeys {
    source: VisitorKeySource,
    clock: Arc<dyn Clock>,
    slots: ArcSwap<Slots>,
    /// Serializes replacements of `slots`.
    writer: Mutex<()>,
}

impl fmt::Debug for DayKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DayKeys")
            .field("source", &self.source)
            .field("keys", &"<redacted>")
            .finish()
    }
}

impl DayKeys {
    pub(crate) fn new(source: VisitorKeySource, clock: Arc<dyn Clock>) -> Self {
        Self {
            source,
            clock,
            slots: ArcSwap::from_pointee(Slots::default()),
            writer: Mutex::new(()),
        }
    }

    /// The pseudonym of (`ip`, `user_agent`, `host`) on the UTC day of `time`, or `None` when
    /// that day's key was already destroyed.
    ///
    /// `in_order` is `None` for live records: the newest day seen so far then advances
    /// with each record. A stream read in order instead gives the newest day of the input
    /// up to this record, and moves the keys on with [`advance`](Self::advance) once the
    /// records before are done, so that the result does not depend on which thread reaches
    /// a day first.
    pub(crate) fn pseudonym(
        &self,
        time: Timestamp,
        in_order: Option<i64>,
        ip: IpAddr,
        user_agent: &[u8],
        host: &[u8],
    ) -> Option<VisitorId> {
        let day = time.utc_day();
        if let Some(newest) = in_order
            && day < newest - 1
        {
            // The key of this day is destroyed, or about to be once the writer catches up.
            return match self.source {
                VisitorKeySource::Random => None,
                VisitorKeySource::Secret(_) => {
                    Some(mac_pseudonym(self.make_mac(day), ip, user_agent, host))
                }
            };
        }
        let now = self.clock.now();
        {
            let slots = self.slots.load();
            if let Some(key) = slots.keys.iter().find(|k| k.day == day)
                && !is_expired(key, now)
            {
                return Some(mac_pseudonym(key.mac.clone(), ip, user_agent, host));
            }
        }
        let advance = in_order.is_none();
        let mac = self.update(|keys, slots| keys.key_for(slots, day, now, advance))?;
        Some(mac_pseudonym(mac, ip, user_agent, host))
    }

    /// Input read in order is done up to `day`: destroys the keys of the days before the
    /// previous one.
    #[cfg(feature = "cli")]
    pub(crate) fn advance(&self, day: i64) {
        let slots = self.slots.load();
        if slots.newest >= Some(day) && slots.keys.iter().all(|k| k.day >= day - 1) {
            return;
        }
        drop(slots);
        self.update(|keys, slots| keys.advance_to(slots, day));
    }

    /// Replaces the snapshot with a changed copy, one writer at a time.
    fn update<T>(&self, change: impl FnOnce(&Self, &mut Slots) -> T) -> T {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut slots = Slots::clone(&self.slots.load());
        let result = change(self, &mut slots);
        self.slots.store(Arc::new(slots));
        result
    }

    /// How many day keys are in memory now.
    pub(crate) fn held(&self) -> usize {
        self.slots.load().keys.len()
    }

    /// Destroys keys older than [`MAX_KEY_AGE`]; long-running writers call this periodically
    /// so that keys do not outlive their age on an idle server.
    pub(crate) fn purge_expired(&self) {
        let now = self.clock.now();
        if self.slots.load().keys.iter().any(|k| is_expired(k, now)) {
            self.update(|keys, slots| keys.evict(slots, |k| is_expired(k, now)));
        }
    }

    fn evict(&self, slots: &mut Slots, mut doomed: impl FnMut(&DayKey) -> bool) {
        let mut floor = slots.floor;
        slots.keys.retain(|k| {
            let keep = !doomed(k);
            if !keep && matches!(self.source, VisitorKeySource::Random) {
                floor = Some(floor.map_or(k.day + 1, |f| f.max(k.day + 1)));
            }
            keep
        });
        slots.floor = floor;
    }

    /// Moves the newest day on to `day` (if later) and destroys the keys of the days before
    /// the previous one.
    fn advance_to(&self, slots: &mut Slots, day: i64) {
        let newest = slots.newest.map_or(day, |n| n.max(day));
        slots.newest = Some(newest);
        self.evict(slots, |k| k.day < newest - 1);
    }

    /// Finds or makes the key for `day` under the write lock; `advance` moves the newest
    /// day on to `day` first.
    fn key_for(
        &self,
        slots: &mut Slots,
        day: i64,
        now: SystemTime,
        advance: bool,
    ) -> Option<Hmac<Sha256>> {
        self.evict(slots, |k| is_expired(k, now));
        if advance {
            self.advance_to(slots, day);
        }
        let newest = slots.newest.map_or(day, |n| n.max(day));
        if let Some(key) = slots.keys.iter().find(|k| k.day == day) {
            return Some(key.mac.clone());
        }
        let derivable = matches!(self.source, VisitorKeySource::Secret(_));
        if !derivable && (day < newest - 1 || slots.floor.is_some_and(|f| day < f)) {
            return None;
        }
        if day < newest - 1 {
            // A derived key can be recomputed for an old record without being kept.
            return Some(self.make_mac(day));
        }
        let mac = self.make_mac(day);
        slots.keys.push(Arc::new(DayKey {
            day,
            mac: mac.clone(),
            created: now,
        }));
        Some(mac)
    }

    fn make_mac(&self, day: i64) -> Hmac<Sha256> {
        let mut key = Zeroizing::new([0u8; 32]);
        match &self.source {
            VisitorKeySource::Random => {
                // Without an entropy source no key can be made safely; the OS has one on
                // every supported platform, so failing here is a broken system.
                if let Err(e) = getrandom::fill(key.as_mut()) {
                    panic!("the operating system's random number generator failed: {e}");
                }
            }
            VisitorKeySource::Secret(secret) => {
                let label = Timestamp::from_unix_millis(day * 86_400_000).utc_date_label();
                let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
                // 32 bytes is far below HKDF-SHA256's 8160-byte limit.
                if hk.expand(label.as_bytes(), key.as_mut()).is_err() {
                    unreachable!("32-byte HKDF output is always valid");
                }
            }
        }
        <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }
}

fn is_expired(key: &DayKey, now: SystemTime) -> bool {
    now.duration_since(key.created)
        .is_ok_and(|age| age >= MAX_KEY_AGE)
}

/// HMAC over length-prefixed fields, so that no two distinct tuples share an input.
fn mac_pseudonym(mut mac: Hmac<Sha256>, ip: IpAddr, user_agent: &[u8], host: &[u8]) -> VisitorId {
    let ip = ip.to_canonical();
    let octets_v4;
    let octets_v6;
    let ip_bytes: &[u8] = match ip {
        IpAddr::V4(v4) => {
            octets_v4 = v4.octets();
            &octets_v4
        }
        IpAddr::V6(v6) => {
            octets_v6 = v6.octets();
            &octets_v6
        }
    };
    for field in [ip_bytes, user_agent, host] {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        mac.update(&len.to_be_bytes());
        mac.update(field);
    }
    let tag = mac.finalize().into_bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&tag[..8]);
    VisitorId(u64::from_be_bytes(first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Mutex;

    #[derive(Debug)]
    struct FakeClock(Mutex<SystemTime>);

    impl FakeClock {
        fn advance(&self, by: Duration) {
            let mut t = self.0.lock().expect("clock lock");
            *t += by;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().expect("clock lock")
        }
    }

    const DAY_MS: i64 = 86_400_000;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("valid ip")
    }

    fn keys(source: VisitorKeySource) -> (DayKeys, Arc<FakeClock>) {
        let clock = Arc::new(FakeClock(Mutex::new(SystemTime::UNIX_EPOCH)));
        (DayKeys::new(source, clock.clone()), clock)
    }

    fn day(n: i64) -> Timestamp {
        Timestamp::from_unix_millis(20_000 * DAY_MS + n * DAY_MS + 3_600_000)
    }

    #[test]
    fn same_visitor_same_day_is_stable() {
        let (k, _) = keys(VisitorKeySource::Random);
        let a = k.pseudonym(day(0), None, ip("198.51.100.23"), b"UA", b"example.com");
        let b = k.pseudonym(
            day(0),
            None,
            ip("::ffff:198.51.100.23"),
            b"UA",
            b"example.com",
        );
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(a.map(|v| v.to_string().len()), Some(16));
    }

    #[test]
    fn length_prefixes_separate_fields() {
        let (k, _) = keys(VisitorKeySource::Random);
        let a = k.pseudonym(day(0), None, ip("192.0.2.1"), b"ab", b"c");
        let b = k.pseudonym(day(0), None, ip("192.0.2.1"), b"a", b"bc");
        assert_ne!(a, b);
    }

    #[test]
    fn keys_live_for_two_days_then_are_gone_for_good() {
        let (k, _) = keys(VisitorKeySource::Random);
        let v = ip("192.0.2.1");
        let d0 = k.pseudonym(day(0), None, v, b"UA", b"h");
        assert!(k.pseudonym(day(1), None, v, b"UA", b"h").is_some());
        // Day 0 is still the previous day.
        assert_eq!(k.pseudonym(day(0), None, v, b"UA", b"h"), d0);
        assert!(k.pseudonym(day(2), None, v, b"UA", b"h").is_some());
        // Day 0's key is destroyed now; it must not come back as a new key.
        assert_eq!(k.pseudonym(day(0), None, v, b"UA", b"h"), None);
        assert_eq!(k.slots.load().keys.len(), 2);
    }

    #[test]
    fn keys_expire_after_48_hours_of_wall_time() {
        let (k, clock) = keys(VisitorKeySource::Random);
        let v = ip("192.0.2.1");
        assert!(k.pseudonym(day(0), None, v, b"UA", b"h").is_some());
        clock.advance(MAX_KEY_AGE - Duration::from_secs(1));
        k.purge_expired();
        assert_eq!(k.slots.load().keys.len(), 1);
        clock.advance(Duration::from_secs(1));
        k.purge_expired();
        assert!(k.slots.load().keys.is_empty());
        assert_eq!(k.pseudonym(day(0), None, v, b"UA", b"h"), None);
    }

    #[test]
    fn derived_keys_agree_across_instances_and_differ_by_day() {
        let secret = b"0123456789abcdef0123456789abcdef".to_vec();
        let (a, _) = keys(VisitorKeySource::from_secret(secret.clone()).expect("strong"));
        let (b, _) = keys(VisitorKeySource::from_secret(secret).expect("strong"));
        let v = ip("2001:db8::5");
        assert_eq!(
            a.pseudonym(day(0), None, v, b"UA", b"h"),
            b.pseudonym(day(0), None, v, b"UA", b"h")
        );
        assert_ne!(
            a.pseudonym(day(0), None, v, b"UA", b"h"),
            a.pseudonym(day(1), None, v, b"UA", b"h")
        );
        // Old days can be recomputed from the secret.
        a.pseudonym(day(5), None, v, b"UA", b"h");
        assert_eq!(
            a.pseudonym(day(0), None, v, b"UA", b"h"),
            b.pseudonym(day(0), None, v, b"UA", b"h")
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        let err = VisitorKeySource::from_secret(b"short".to_vec()).expect_err("weak");
        assert_eq!(err.bits, 40);
        assert!(err.to_string().contains("at least 128"));
    }

    #[test]
    fn debug_never_shows_keys() {
        let source =
            VisitorKeySource::from_secret(b"SECRET-CANARY-0123456789".to_vec()).expect("strong");
        let (k, _) = keys(source);
        k.pseudonym(day(0), None, ip("192.0.2.1"), b"UA", b"h");
        let debug = format!("{k:?}");
        assert!(!debug.contains("SECRET-CANARY"));
        assert!(debug.contains("redacted"));
    }

    proptest! {
        #[test]
        fn distinct_tuples_get_distinct_pseudonyms(
            a in (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40), proptest::collection::vec(any::<u8>(), 0..10)),
            b in (any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40), proptest::collection::vec(any::<u8>(), 0..10)),
        ) {
            prop_assume!(a != b);
            let (k, _) = keys(VisitorKeySource::Random);
            let pa = k.pseudonym(day(0), None, IpAddr::from(a.0.to_be_bytes()), &a.1, &a.2);
            let pb = k.pseudonym(day(0), None, IpAddr::from(b.0.to_be_bytes()), &b.1, &b.2);
            prop_assert_ne!(pa, pb);
        }

        #[test]
        fn same_tuple_differs_across_days(ip_bits: u128, ua in proptest::collection::vec(any::<u8>(), 0..40)) {
            let (k, _) = keys(VisitorKeySource::Random);
            let v = IpAddr::from(ip_bits.to_be_bytes());
            let p0 = k.pseudonym(day(0), None, v, &ua, b"example.com");
            let p1 = k.pseudonym(day(1), None, v, &ua, b"example.com");
            prop_assert!(p0.is_some() && p1.is_some());
            prop_assert_ne!(p0, p1);
        }
    }
}
