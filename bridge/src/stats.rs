//! Counters of the bridge's producers and drains, exported by the cold path as metrics.

use std::sync::atomic::{AtomicU64, Ordering};

/// A relaxed, shared counter (several producers may add).
#[derive(Debug, Default)]
pub struct SharedCounter(AtomicU64);

impl SharedCounter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn incr(&self) {
        self.add(1);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What one source did with its ticks.
#[derive(Debug, Default)]
pub struct SourceCounters {
    /// Ticks that entered the input ring.
    pub published: SharedCounter,
    /// Ticks dropped because the input ring had no room (never blocks).
    pub ring_full: SharedCounter,
}

/// What the UDP feed handler saw.
#[derive(Debug, Default)]
pub struct FeedCounters {
    /// Datagrams received.
    pub packets: SharedCounter,
    /// Datagrams refused: shorter than a header or than their tick count says.
    pub truncated: SharedCounter,
    /// Datagrams refused: wrong magic.
    pub bad_magic: SharedCounter,
    /// Datagrams refused: unsupported protocol version.
    pub bad_version: SharedCounter,
    /// Datagrams refused: tick count zero, too large, or trailing bytes.
    pub bad_length: SharedCounter,
    /// Packets missing according to the sender's sequence numbers.
    pub sequence_gaps: SharedCounter,
    /// Ticks decoded and handed to the ring.
    pub ticks: SharedCounter,
}

impl FeedCounters {
    /// All refused datagrams.
    pub fn malformed(&self) -> u64 {
        self.truncated.get() + self.bad_magic.get() + self.bad_version.get() + self.bad_length.get()
    }
}
