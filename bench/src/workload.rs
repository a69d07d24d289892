//! Deterministic tick streams: `n` instruments, a repeating pseudo-random sequence of raw ticks.

use orion_hotpath::{AssetClass, InstrumentSpec, InstrumentTable, RawTick, SourceId};

/// `n` FX-like instruments `I0…I{n-1}` at scale 5, tick 1.
pub fn instruments(n: usize) -> InstrumentTable {
    InstrumentTable::new(
        (0..n)
            .map(|i| InstrumentSpec {
                symbol: format!("I{i}"),
                asset_class: AssetClass::Fx,
                price_scale: 5,
                tick_size: 1,
                size_scale: 2,
            })
            .collect(),
    )
    .expect("generated specs are valid")
}

/// `len` raw ticks spread pseudo-randomly (xorshift, fixed seed) over `instruments`.
pub fn ticks(instruments: usize, len: usize) -> Vec<RawTick> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bid = 100_000 + (state % 500) as i64;
            RawTick {
                instrument: (state % instruments as u64) as u32,
                source: SourceId::Harness,
                bid,
                ask: bid + 2,
                source_ts: 1 + i as u64,
                receive_ts: 1 + i as u64,
            }
        })
        .collect()
}
