//! Timestamps: UTC milliseconds since the Unix epoch, calendar conversion and coarsening.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// English month abbreviations as used by the common log format.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A point in time: milliseconds since 1970-01-01T00:00:00Z.
///
/// Access records carry their time in UTC; the offset a server wrote is applied when a log
/// line is parsed, so every output is comparable.
///
/// ```
/// use anonlog::Timestamp;
/// let t = Timestamp::from_utc(2026, 11, 24, 4, 5, 6, 789).unwrap();
/// assert_eq!(t.to_string(), "2026-11-24T04:05:06.789Z");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Timestamp(i64);

/// The calendar fields of a [`Timestamp`] in UTC.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Civil {
    pub(crate) year: i64,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
    pub(crate) milli: u16,
}

impl Timestamp {
    /// The timestamp `ms` milliseconds after the Unix epoch (negative is before it).
    pub const fn from_unix_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Converts a [`SystemTime`], saturating far outside the representable range.
    pub fn from_system_time(time: SystemTime) -> Self {
        let ms = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_millis())
                .map(|ms| -ms)
                .unwrap_or(i64::MIN),
        };
        Self(ms)
    }

    /// The current time from the system clock.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// Builds a timestamp from UTC calendar fields; `None` when a field is out of range.
    pub fn from_utc(
        year: i64,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        milli: u16,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || milli > 999
            || !(-100_000..=100_000).contains(&year)
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        // A leap second is folded into the next second, as most servers do.
        let ms = days * MS_PER_DAY
            + i64::from(hour) * MS_PER_HOUR
            + i64::from(minute) * MS_PER_MINUTE
            + i64::from(second) * MS_PER_SECOND
            + i64::from(milli);
        Some(Self(ms))
    }

    /// Days since the Unix epoch of the UTC calendar day this timestamp falls on.
    pub const fn utc_day(self) -> i64 {
        self.0.div_euclid(MS_PER_DAY)
    }

    /// Truncates the timestamp to the given precision.
    pub const fn coarsen(self, precision: TimePrecision) -> Self {
        let unit = match precision {
            TimePrecision::Millisecond => 1,
            TimePrecision::Second => MS_PER_SECOND,
            TimePrecision::Minute => MS_PER_MINUTE,
            TimePrecision::Hour => MS_PER_HOUR,
            TimePrecision::Day => MS_PER_DAY,
        };
        Self(self.0 - self.0.rem_euclid(unit))
    }

    /// The time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }

    pub(crate) fn civil(self) -> Civil {
        let days = self.0.div_euclid(MS_PER_DAY);
        let in_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // Every value below is bounded by the modulo above, so the narrowing casts are exact.
        #[allow(clippy::cast_possible_truncation)]
        Civil {
            year,
            month,
            day,
            hour: (in_day / MS_PER_HOUR) as u8,
            minute: (in_day % MS_PER_HOUR / MS_PER_MINUTE) as u8,
            second: (in_day % MS_PER_MINUTE / MS_PER_SECOND) as u8,
            milli: (in_day % MS_PER_SECOND) as u16,
        }
    }

    /// The UTC date as `YYYY-MM-DD`, used to derive day keys.
    pub(crate) fn utc_date_label(self) -> String {
        let c = self.civil();
        format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-24T04:05:06.789Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.civil();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
        )
    }
}

/// How precisely timestamps are kept.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimePrecision {
    /// Milliseconds, as captured.
    #[default]
    Millisecond,
    /// Whole seconds.
    Second,
    /// Whole minutes.
    Minute,
    /// Whole hours.
    Hour,
    /// Whole UTC days.
    Day,
}

impl TimePrecision {
    /// The name used in policy files.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Millisecond => "millisecond",
            Self::Second => "second",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

pub(crate) const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

pub(crate) const fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
const fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day number (inverse of [`days_from_civil`]).
#[allow(clippy::cast_possible_truncation)]
const fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(
            Timestamp::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        let t = Timestamp::from_utc(2000, 2, 29, 23, 59, 59, 999).expect("valid date");
        assert_eq!(t.to_string(), "2000-02-29T23:59:59.999Z");
        assert_eq!(t.unix_millis(), 951_868_799_999);
        assert_eq!(
            Timestamp::from_unix_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn invalid_fields_are_refused() {
        assert!(Timestamp::from_utc(2026, 2, 29, 0, 0, 0, 0).is_none());
        assert!(Timestamp::from_utc(2026, 13, 1, 0, 0, 0, 0).is_none());
        assert!(Timestamp::from_utc(2026, 4, 31, 0, 0, 0, 0).is_none());
        assert!(Timestamp::from_utc(2026, 4, 1, 24, 0, 0, 0).is_none());
    }

    #[test]
    fn coarsening() {
        let t = Timestamp::from_utc(2026, 11, 24, 4, 5, 6, 789).expect("valid date");
        assert_eq!(
            t.coarsen(TimePrecision::Second).to_string(),
            "2026-11-24T04:05:06.000Z"
        );
        assert_eq!(
            t.coarsen(TimePrecision::Minute).to_string(),
            "2026-11-24T04:05:00.000Z"
        );
        assert_eq!(
            t.coarsen(TimePrecision::Hour).to_string(),
            "2026-11-24T04:00:00.000Z"
        );
        assert_eq!(
            t.coarsen(TimePrecision::Day).to_string(),
            "2026-11-24T00:00:00.000Z"
        );
        assert_eq!(t.utc_date_label(), "2026-11-24");
    }

    proptest! {
        #[test]
        fn civil_round_trips(ms in -10_000_000_000_000i64..10_000_000_000_000) {
            let t = Timestamp::from_unix_millis(ms);
            let c = t.civil();
            let back = Timestamp::from_utc(c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli);
            prop_assert_eq!(back, Some(t));
        }
    }
}
