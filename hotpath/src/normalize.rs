//! The normalize stage: raw source ticks in, canonical [`Tick`]s out.
//!
//! Validates the instrument index and prices, derives mid and spread exactly, and tags quality
//! problems instead of failing: crossed (bid above ask), off the tick grid, and late (source
//! timestamp behind the receive timestamp by more than the configured threshold). Malformed
//! input — an unknown instrument, a non-positive price, a zero source timestamp — is dropped and
//! counted. Nothing here panics, allocates or reads a clock.

use std::sync::Arc;

use crate::counters::PipelineCounters;
use crate::event::{QualityFlags, RawTick, Tick};
use crate::instrument::{InstrumentId, InstrumentTable};
use crate::rfq::{Command, EngineCommand};

/// Per-instrument facts the stage needs, packed for the cache.
#[derive(Debug, Clone, Copy)]
struct NormalizeSpec {
    tick_size: i64,
}

/// The normalize stage. Owned by one thread.
#[derive(Debug)]
pub struct NormalizeStage {
    specs: Box<[NormalizeSpec]>,
    late_after_ns: u64,
    counters: Arc<PipelineCounters>,
}

impl NormalizeStage {
    /// A stage for the instruments of `table`; ticks whose source timestamp trails their
    /// receive timestamp by more than `late_after_ns` are tagged late.
    pub fn new(
        table: &InstrumentTable,
        late_after_ns: u64,
        counters: Arc<PipelineCounters>,
    ) -> Self {
        Self {
            // Every slot, vacant ones included (tick size 1 until defined).
            specs: (0..table.len() as u32)
                .map(|i| NormalizeSpec {
                    tick_size: table
                        .spec(InstrumentId::from_index(i))
                        .map_or(1, |spec| spec.tick_size),
                })
                .collect(),
            late_after_ns,
            counters,
        }
    }

    /// Applies a command meant for this stage: an instrument defined at runtime brings its tick
    /// size. Other commands pass by.
    #[inline]
    pub fn handle_command(&mut self, command: &EngineCommand) {
        if let Command::DefineInstrument {
            instrument,
            tick_size,
            ..
        } = command.command
        {
            if let Some(spec) = self.specs.get_mut(instrument.index()) {
                spec.tick_size = tick_size;
            }
        }
    }

    /// Normalizes one raw tick; `None` when it was malformed (and counted).
    #[inline]
    pub fn handle_tick(&mut self, raw: &RawTick) -> Option<Tick> {
        self.counters.ticks_in.incr();
        let Some(spec) = self.specs.get(raw.instrument as usize) else {
            self.counters.malformed.incr();
            return None;
        };
        if raw.bid <= 0 || raw.ask <= 0 || raw.source_ts == 0 {
            self.counters.malformed.incr();
            return None;
        }
        let (Some(mid_x2), Some(spread)) =
            (raw.bid.checked_add(raw.ask), raw.ask.checked_sub(raw.bid))
        else {
            self.counters.malformed.incr();
            return None;
        };
        let mut flags = QualityFlags::empty();
        if raw.bid > raw.ask {
            flags.set(QualityFlags::CROSSED, true);
            self.counters.crossed.incr();
        }
        if spec.tick_size > 1 && (raw.bid % spec.tick_size != 0 || raw.ask % spec.tick_size != 0) {
            flags.set(QualityFlags::OFF_TICK, true);
            self.counters.off_tick.incr();
        }
        if raw.receive_ts.saturating_sub(raw.source_ts) > self.late_after_ns {
            flags.set(QualityFlags::LATE, true);
            self.counters.late.incr();
        }
        Some(Tick {
            instrument: InstrumentId::from_index(raw.instrument),
            source: raw.source,
            flags,
            bid: raw.bid,
            ask: raw.ask,
            mid_x2,
            spread,
            source_ts: raw.source_ts,
            receive_ts: raw.receive_ts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceId;
    use crate::instrument::{AssetClass, InstrumentSpec};

    fn stage() -> (NormalizeStage, Arc<PipelineCounters>) {
        let spec = |symbol: &str, tick_size| InstrumentSpec {
            symbol: symbol.into(),
            asset_class: AssetClass::Rates,
            price_scale: 4,
            tick_size,
            size_scale: 0,
        };
        let table = InstrumentTable::new(vec![spec("A", 1), spec("B", 25)]).unwrap();
        let counters = Arc::new(PipelineCounters::default());
        (
            NormalizeStage::new(&table, 1_000, Arc::clone(&counters)),
            counters,
        )
    }

    fn raw(instrument: u32, bid: i64, ask: i64) -> RawTick {
        RawTick {
            instrument,
            source: SourceId::Harness,
            bid,
            ask,
            source_ts: 10_000,
            receive_ts: 10_500,
        }
    }

    #[test]
    fn derives_mid_and_spread() {
        let (mut stage, counters) = stage();
        let tick = stage.handle_tick(&raw(0, 100, 103)).unwrap();
        assert_eq!(
            (tick.mid_x2, tick.spread, tick.flags),
            (203, 3, QualityFlags::empty())
        );
        assert_eq!(counters.ticks_in.get(), 1);
    }

    #[test]
    fn drops_and_counts_malformed() {
        let (mut stage, counters) = stage();
        assert_eq!(stage.handle_tick(&raw(9, 100, 101)), None);
        assert_eq!(stage.handle_tick(&raw(0, 0, 101)), None);
        assert_eq!(stage.handle_tick(&raw(0, 100, -1)), None);
        assert_eq!(stage.handle_tick(&raw(0, i64::MAX, i64::MAX)), None);
        assert_eq!(
            stage.handle_tick(&RawTick {
                source_ts: 0,
                ..raw(0, 1, 2)
            }),
            None
        );
        assert_eq!(counters.malformed.get(), 5);
        assert_eq!(counters.dropped(), 5);
    }

    #[test]
    fn tags_quality_problems() {
        let (mut stage, counters) = stage();
        let crossed = stage.handle_tick(&raw(0, 105, 100)).unwrap();
        assert!(crossed.flags.contains(QualityFlags::CROSSED));
        let off_tick = stage.handle_tick(&raw(1, 100, 130)).unwrap();
        assert!(off_tick.flags.contains(QualityFlags::OFF_TICK));
        assert!(
            !stage
                .handle_tick(&raw(1, 100, 125))
                .unwrap()
                .flags
                .contains(QualityFlags::OFF_TICK)
        );
        let late = stage
            .handle_tick(&RawTick {
                receive_ts: 12_000,
                ..raw(0, 1, 2)
            })
            .unwrap();
        assert!(late.flags.contains(QualityFlags::LATE));
        assert_eq!(
            (
                counters.crossed.get(),
                counters.off_tick.get(),
                counters.late.get()
            ),
            (1, 1, 1)
        );
    }
}

#[cfg(test)]
mod property_tests {
    use super::*;
    use crate::event::SourceId;
    use crate::instrument::{AssetClass, InstrumentSpec};
    use proptest::prelude::*;

    proptest! {
        /// Any raw tick either normalizes with bid/ask intact and mid/spread exact, or is counted
        /// as malformed; nothing panics.
        #[test]
        fn prop_every_tick_is_normalized_or_counted(
            instrument in prop_oneof![Just(0u32), Just(1), Just(u32::MAX), any::<u32>()],
            bid in prop_oneof![Just(0i64), Just(1), Just(i64::MAX), Just(i64::MIN), any::<i64>()],
            ask in prop_oneof![Just(0i64), Just(1), Just(i64::MAX), Just(i64::MIN), any::<i64>()],
            source_ts in any::<u64>(),
            receive_ts in any::<u64>(),
        ) {
            let table = InstrumentTable::new(vec![InstrumentSpec {
                symbol: "A".into(),
                asset_class: AssetClass::Fx,
                price_scale: 5,
                tick_size: 5,
                size_scale: 0,
            }]).unwrap();
            let counters = Arc::new(PipelineCounters::default());
            let mut stage = NormalizeStage::new(&table, 1_000_000, Arc::clone(&counters));
            let raw = RawTick { instrument, source: SourceId::UdpFeed, bid, ask, source_ts, receive_ts };
            match stage.handle_tick(&raw) {
                Some(tick) => {
                    prop_assert_eq!((tick.bid, tick.ask), (bid, ask));
                    prop_assert_eq!(tick.mid_x2 as i128, bid as i128 + ask as i128);
                    prop_assert_eq!(tick.spread as i128, ask as i128 - bid as i128);
                    prop_assert_eq!(counters.malformed.get(), 0);
                }
                None => prop_assert_eq!(counters.malformed.get(), 1),
            }
        }
    }
}
