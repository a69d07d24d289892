//! Outbound drains: hot path → cold path, batched, never blocking the hot path.
//!
//! [`MarketDrain`] takes the snapshot table's dirty set and reads each changed instrument's
//! latest value through its seqlock: when the cold path drains slowly it simply sees fewer,
//! later values, and the sequence numbers it jumped over are counted as skipped. The writer
//! never waits for it. [`OutputDrain`] polls the output ring with a budget per call, so one
//! busy ring cannot starve the caller's other work.

use std::sync::Arc;

use orion_hotpath::pipeline::OutputPoller;
use orion_hotpath::{OutputPayload, Polling, Snapshot, SnapshotTable};

use crate::stats::SharedCounter;

/// Drains changed latest values from the snapshot table.
pub struct MarketDrain {
    table: Arc<SnapshotTable>,
    delivered: Vec<u64>,
    skipped: Arc<SharedCounter>,
}

impl MarketDrain {
    /// A drain over `table`; conflated updates are added to `skipped`.
    pub fn new(table: Arc<SnapshotTable>, skipped: Arc<SharedCounter>) -> Self {
        let delivered = vec![0; table.len()];
        Self {
            table,
            delivered,
            skipped,
        }
    }

    /// Hands every instrument changed since the last call to `visit`, latest value only.
    pub fn drain(&mut self, mut visit: impl FnMut(&Snapshot)) -> usize {
        let mut changed = 0;
        let (delivered, skipped) = (&mut self.delivered, &self.skipped);
        self.table.drain_dirty(|snapshot| {
            let last = &mut delivered[snapshot.instrument.index()];
            if snapshot.seq <= *last {
                return;
            }
            if *last != 0 && snapshot.seq > *last + 1 {
                skipped.add(snapshot.seq - *last - 1);
            }
            *last = snapshot.seq;
            changed += 1;
            visit(&snapshot);
        });
        changed
    }
}

/// Drains the output ring with a per-call budget.
pub struct OutputDrain {
    poller: OutputPoller,
    closed: bool,
}

impl OutputDrain {
    /// A drain over the pipeline's output poller.
    pub fn new(poller: OutputPoller) -> Self {
        Self {
            poller,
            closed: false,
        }
    }

    /// Hands up to `budget` output events to `visit`; returns how many.
    pub fn drain(&mut self, budget: u64, mut visit: impl FnMut(OutputPayload)) -> u64 {
        if self.closed {
            return 0;
        }
        match self.poller.take(budget) {
            Ok(mut events) => {
                let mut n = 0;
                for event in &mut events {
                    visit(event.payload);
                    n += 1;
                }
                n
            }
            Err(Polling::NoEvents) => 0,
            Err(Polling::Shutdown) => {
                self.closed = true;
                0
            }
        }
    }

    /// True once the pipeline has shut down and everything was drained.
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
