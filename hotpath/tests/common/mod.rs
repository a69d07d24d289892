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

/// xorshift64*: a seeded, reproducible stream for the simulations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}
