//! Pipeline counters, readable from any thread without locks.
//!
//! Each counter has exactly one writer (the stage that owns it), so an increment is a relaxed
//! load and store of its own cache line, not a locked read-modify-write: on x86 that is two
//! plain `mov`s. Readers (the bridge's metrics export) see a monotonically increasing value.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

/// A monotonically increasing count with a single writer.
#[derive(Debug, Default)]
pub struct Counter(CachePadded<AtomicU64>);

impl Counter {
    /// Adds `n`. Only the counter's owning stage calls this (single writer).
    #[inline]
    pub fn add(&self, n: u64) {
        let value = self.0.load(Ordering::Relaxed);
        self.0.store(value.wrapping_add(n), Ordering::Relaxed);
    }

    /// Adds one. Only the counter's owning stage calls this (single writer).
    #[inline]
    pub fn incr(&self) {
        self.add(1);
    }

    /// Raises the value to `value` (a position, e.g. a ring sequence). Single writer.
    #[inline]
    pub fn set(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the hot path has seen, by outcome. Every field has one writing stage (in brackets).
#[derive(Debug, Default)]
pub struct PipelineCounters {
    /// Input-ring events consumed: the next sequence the first stage will read (first stage).
    /// Published minus this is the ring's occupancy.
    pub input_consumed: Counter,
    /// Ticks read from the input ring (normalize).
    pub ticks_in: Counter,
    /// Ticks applied to the latest-value table (coalesce).
    pub ticks_out: Counter,
    /// Ticks dropped because they were malformed: unknown instrument, non-positive price, zero
    /// timestamp (normalize).
    pub malformed: Counter,
    /// Ticks tagged late (normalize).
    pub late: Counter,
    /// Ticks tagged crossed (normalize).
    pub crossed: Counter,
    /// Ticks tagged off the tick grid (normalize).
    pub off_tick: Counter,
    /// Stale transitions detected (coalesce).
    pub stale_detected: Counter,
    /// Output events that could not be published because the output ring was full (coalesce).
    pub outputs_dropped: Counter,
    /// Engine commands processed (coalesce stage, where the engine runs).
    pub commands: Counter,
    /// Engine commands that arrived at a pipeline started without an engine (coalesce stage).
    pub commands_ignored: Counter,
    /// Timer events processed (coalesce).
    pub timers: Counter,
}

impl PipelineCounters {
    /// Ticks dropped by the pipeline for any reason.
    pub fn dropped(&self) -> u64 {
        self.malformed.get()
    }
}
