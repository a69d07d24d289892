//! Shared fixtures for the hot-path integration tests.
#![allow(dead_code)]

use orion_hotpath::{AssetClass, InstrumentSpec, InstrumentTable, RawTick, SourceId};

pub fn instruments(n: usize) -> InstrumentTable {
    InstrumentTable::new(
        (0..n)
            .map(|i| InstrumentSpec {
                symbol: format!("INS{i}"),
                asset_class: AssetClass::Fx,
                price_scale: 5,
                tick_size: 1,
                size_scale: 0,
            })
            .collect(),
    )
    .unwrap()
}

pub fn raw(instrument: u32, bid: i64, ts: u64) -> RawTick {
    RawTick {
        instrument,
        source: SourceId::Harness,
        bid,
        ask: bid + 2,
        source_ts: ts,
        receive_ts: ts,
    }
}

/// Spins until `done` holds, for at most ~10 s.
pub fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000_000 {
        if done() {
            return;
        }
        std::thread::yield_now();
    }
    panic!("condition not reached");
}
