//! Time for everything outside the hot path. The hot path never reads a clock: the bridge
//! stamps events with [`unix_nanos`] when it publishes them. The cold path reads time only
//! through a [`Clock`] it is given, so its tests can hold time still or move it
//! ([`ManualClock`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch, from the system clock.
pub fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 text (UTC, nanoseconds) of a time in nanoseconds since the Unix epoch.
pub fn rfc3339(unix_nanos: u64) -> String {
    humantime::format_rfc3339_nanos(UNIX_EPOCH + Duration::from_nanos(unix_nanos)).to_string()
}

/// A source of wall-clock time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Nanoseconds since the Unix epoch.
    fn now_nanos(&self) -> u64;

    /// Whole seconds since the Unix epoch.
    fn now_secs(&self) -> u64 {
        self.now_nanos() / 1_000_000_000
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_nanos(&self) -> u64 {
        unix_nanos()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    /// A clock standing at `unix_nanos`.
    pub fn at(unix_nanos: u64) -> Self {
        Self {
            now: AtomicU64::new(unix_nanos),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.now.fetch_add(by, Ordering::AcqRel);
    }
}

impl Clock for ManualClock {
    fn now_nanos(&self) -> u64 {
        self.now.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(1_000_000_000);
        assert_eq!(clock.now_secs(), 1);
        clock.advance(Duration::from_secs(2));
        assert_eq!(clock.now_nanos(), 3_000_000_000);
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
    }
}
