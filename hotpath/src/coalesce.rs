//! The coalesce stage: latest value per instrument, stale detection, publication to readers.
//!
//! Ticks update a private per-instrument state array and a private dirty set; at the end of
//! each ring batch [`CoalesceStage::flush`] writes only the dirty instruments into the shared
//! [`SnapshotTable`] — so a burst of ticks for one instrument costs one seqlock write. Every
//! applied tick increments that instrument's sequence number. Timer events carry the
//! publisher's clock: an instrument with data whose last receive time is older than the stale
//! threshold is flagged stale once (its sequence advances, `MarketDataStaleDetected` is emitted),
//! and its next tick clears the flag (`MarketDataRecovered`).

use std::sync::Arc;

use crate::counters::PipelineCounters;
use crate::event::{OutputPayload, QualityFlags, SourceId, Tick};
use crate::instrument::InstrumentId;
use crate::snapshot::{Snapshot, SnapshotTable};

/// A hook called for every applied tick on the stage's thread: the seam benchmarks use to
/// timestamp "coalesce applied". The default, `()`, does nothing and compiles away.
pub trait TickObserver: Send + 'static {
    /// Called after `tick` became the latest value of its instrument.
    #[inline]
    fn on_applied(&mut self, _tick: &Tick) {}
}

impl TickObserver for () {}

/// The coalesce stage. Owned by one thread; the single writer of its [`SnapshotTable`].
#[derive(Debug)]
pub struct CoalesceStage<O = ()> {
    latest: Box<[Snapshot]>,
    dirty_bits: Box<[u64]>,
    /// Ids in `dirty_bits`, in first-touched order. Capacity is the instrument count and an id
    /// is pushed at most once per flush, so it never reallocates.
    dirty_list: Vec<u32>,
    table: Arc<SnapshotTable>,
    stale_after_ns: u64,
    counters: Arc<PipelineCounters>,
    observer: O,
}

impl<O: TickObserver> CoalesceStage<O> {
    /// A stage writing into `table` (one slot per instrument); instruments silent for longer
    /// than `stale_after_ns` are flagged stale on the next timer event.
    pub fn new(
        table: Arc<SnapshotTable>,
        stale_after_ns: u64,
        counters: Arc<PipelineCounters>,
        observer: O,
    ) -> Self {
        let len = table.len();
        Self {
            latest: (0..len)
                .map(|i| Snapshot {
                    instrument: InstrumentId::from_index(i as u32),
                    seq: 0,
                    bid: 0,
                    ask: 0,
                    source_ts: 0,
                    receive_ts: 0,
                    flags: QualityFlags::empty(),
                    source: SourceId::Harness,
                    applied: 0,
                })
                .collect(),
            dirty_bits: vec![0; len.div_ceil(64)].into_boxed_slice(),
            dirty_list: Vec::with_capacity(len),
            table,
            stale_after_ns,
            counters,
            observer,
        }
    }

    /// Makes `tick` the latest value of its instrument.
    #[inline]
    pub fn handle_tick(&mut self, tick: &Tick, emit: &mut impl FnMut(OutputPayload)) {
        let index = tick.instrument.index();
        let Some(state) = self.latest.get_mut(index) else {
            return;
        };
        if state.flags.contains(QualityFlags::STALE) {
            emit(OutputPayload::MarketDataRecovered {
                instrument: tick.instrument,
                at: tick.receive_ts,
            });
        }
        state.seq += 1;
        state.applied += 1;
        state.bid = tick.bid;
        state.ask = tick.ask;
        state.source_ts = tick.source_ts;
        state.receive_ts = tick.receive_ts;
        state.flags = tick.flags;
        state.source = tick.source;
        self.counters.ticks_out.incr();
        self.observer.on_applied(tick);
        self.mark(index);
    }

    /// Time passed: flags instruments that went quiet.
    pub fn handle_timer(&mut self, now: u64, emit: &mut impl FnMut(OutputPayload)) {
        self.counters.timers.incr();
        for index in 0..self.latest.len() {
            let state = &mut self.latest[index];
            if state.seq == 0
                || state.flags.contains(QualityFlags::STALE)
                || now.saturating_sub(state.receive_ts) <= self.stale_after_ns
            {
                continue;
            }
            state.flags.set(QualityFlags::STALE, true);
            state.seq += 1;
            self.counters.stale_detected.incr();
            emit(OutputPayload::MarketDataStaleDetected {
                instrument: state.instrument,
                last_update_ts: state.receive_ts,
                detected_at: now,
            });
            self.mark(index);
        }
    }

    /// Publishes every instrument changed since the last flush to the snapshot table. Call at
    /// the end of each ring batch.
    #[inline]
    pub fn flush(&mut self) {
        for &id in &self.dirty_list {
            let index = id as usize;
            self.table.write(&self.latest[index]);
            self.table.mark_dirty(index / 64, 1 << (index % 64));
            self.dirty_bits[index / 64] = 0;
        }
        self.dirty_list.clear();
    }

    /// The observer, e.g. to read what a benchmark recorded.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    #[inline]
    fn mark(&mut self, index: usize) {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if self.dirty_bits[word] & bit == 0 {
            self.dirty_bits[word] |= bit;
            self.dirty_list.push(index as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(instrument: u32, bid: i64, receive_ts: u64) -> Tick {
        Tick {
            instrument: InstrumentId::from_index(instrument),
            source: SourceId::Simulator,
            flags: QualityFlags::empty(),
            bid,
            ask: bid + 2,
            mid_x2: 2 * bid + 2,
            spread: 2,
            source_ts: receive_ts,
            receive_ts,
        }
    }

    fn stage() -> (CoalesceStage, Arc<SnapshotTable>, Arc<PipelineCounters>) {
        let table = Arc::new(SnapshotTable::new(100));
        let counters = Arc::new(PipelineCounters::default());
        let stage = CoalesceStage::new(Arc::clone(&table), 1_000, Arc::clone(&counters), ());
        (stage, table, counters)
    }

    #[test]
    fn keeps_latest_and_publishes_on_flush() {
        let (mut stage, table, counters) = stage();
        let mut outputs = Vec::new();
        let mut emit = |o| outputs.push(o);
        stage.handle_tick(&tick(7, 100, 10), &mut emit);
        stage.handle_tick(&tick(7, 105, 11), &mut emit);
        assert_eq!(
            table.read(InstrumentId::from_index(7)),
            None,
            "nothing visible before flush"
        );
        stage.flush();
        let snap = table.read(InstrumentId::from_index(7)).unwrap();
        assert_eq!((snap.bid, snap.seq, snap.applied), (105, 2, 2));
        let mut drained = Vec::new();
        table.drain_dirty(|s| drained.push(s.instrument.raw()));
        assert_eq!(drained, [7]);
        assert_eq!(counters.ticks_out.get(), 2);
        assert!(outputs.is_empty());
    }

    #[test]
    fn flags_stale_once_and_recovers() {
        let (mut stage, table, counters) = stage();
        let mut outputs = Vec::new();
        stage.handle_tick(&tick(3, 100, 1_000), &mut |o| outputs.push(o));
        stage.handle_timer(1_500, &mut |o| outputs.push(o));
        assert!(outputs.is_empty(), "not stale within the threshold");
        stage.handle_timer(2_001, &mut |o| outputs.push(o));
        stage.handle_timer(9_000, &mut |o| outputs.push(o));
        stage.flush();
        assert_eq!(
            outputs,
            [OutputPayload::MarketDataStaleDetected {
                instrument: InstrumentId::from_index(3),
                last_update_ts: 1_000,
                detected_at: 2_001,
            }]
        );
        let snap = table.read(InstrumentId::from_index(3)).unwrap();
        assert!(snap.is_stale());
        assert_eq!(snap.seq, 2);
        assert_eq!(counters.stale_detected.get(), 1);

        outputs.clear();
        stage.handle_tick(&tick(3, 101, 9_100), &mut |o| outputs.push(o));
        stage.flush();
        assert!(matches!(
            outputs[..],
            [OutputPayload::MarketDataRecovered { at: 9_100, .. }]
        ));
        assert!(!table.read(InstrumentId::from_index(3)).unwrap().is_stale());
    }

    #[test]
    fn instruments_without_data_never_go_stale() {
        let (mut stage, _, counters) = stage();
        stage.handle_timer(u64::MAX, &mut |_| panic!("no output expected"));
        assert_eq!(counters.stale_detected.get(), 0);
    }
}
