//! Market samples: every instrument's mid and spread once a second, persisted with a bounded
//! retention — the spread history the workstation charts (which survives restarts) and the
//! mids basket indices are computed from.
//!
//! A task reads the snapshot table once a second (the latest tick of each instrument that is
//! not stale; instruments defined at runtime included) and writes one row per instrument and
//! second; once a minute it forgets what is older than the retention. It is the cold path's:
//! the pipeline never waits for it.

use std::sync::Arc;
use std::time::Duration;

use orion_hotpath::{InstrumentTable, Price, QualityFlags, SnapshotTable};
use orion_store::Store;
use orion_store::market_samples::MarketSample;
use tokio::sync::watch;

/// How long samples are kept by default.
pub const RETENTION: Duration = Duration::from_secs(24 * 3_600);

/// The samples of every instrument with a fresh value at unix second `t`.
pub fn sample(
    instruments: &InstrumentTable,
    snapshots: &SnapshotTable,
    t: i64,
) -> Vec<MarketSample> {
    instruments
        .iter()
        .filter_map(|(id, spec)| {
            let s = snapshots.read(id)?;
            if s.flags.contains(QualityFlags::STALE) {
                return None;
            }
            let scale = spec.price_scale;
            let mid = Price::mid(Price::new(s.bid, scale), Price::new(s.ask, scale))?;
            Some(MarketSample {
                instrument: spec.symbol.clone(),
                t,
                mid: mid.to_string(),
                spread: Price::new(s.ask - s.bid, scale).to_string(),
            })
        })
        .collect()
}

/// Samples once a second into `store` until `shutdown` turns true, keeping `retention`.
pub async fn run(
    store: Store,
    instruments: Arc<InstrumentTable>,
    snapshots: Arc<SnapshotTable>,
    retention: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut ticks = 0u64;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        let now = (orion_bridge::clock::unix_nanos() / 1_000_000_000) as i64;
        let samples = sample(&instruments, &snapshots, now);
        if let Err(err) = store.record_samples(&samples).await {
            tracing::warn!(cause = %err, "could not record market samples");
        }
        ticks += 1;
        if ticks % 60 == 0 {
            if let Err(err) = store.prune_samples(now - retention.as_secs() as i64).await {
                tracing::warn!(cause = %err, "could not prune market samples");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_hotpath::{AssetClass, InstrumentId, InstrumentSpec, Snapshot, SourceId};

    #[test]
    fn samples_the_fresh_instruments_with_exact_mids() {
        let spec = |symbol: &str, price_scale| InstrumentSpec {
            symbol: symbol.into(),
            asset_class: AssetClass::Fx,
            price_scale,
            tick_size: 1,
            size_scale: 2,
        };
        let instruments = InstrumentTable::new(vec![
            spec("EUR/USD", 5),
            spec("GBP/USD", 5),
            spec("USD/JPY", 3),
        ])
        .unwrap();
        let snapshots = SnapshotTable::new(3);
        let tick = |index, bid, ask, flags| Snapshot {
            instrument: InstrumentId::from_index(index),
            seq: 1,
            bid,
            ask,
            source_ts: 0,
            receive_ts: 0,
            flags,
            source: SourceId::Simulator,
            applied: 1,
        };
        snapshots.mirror(&tick(0, 108_420, 108_425, QualityFlags::empty()));
        snapshots.mirror(&tick(1, 126_000, 126_010, QualityFlags::STALE));
        let samples = sample(&instruments, &snapshots, 1_700_000_000);
        assert_eq!(
            samples,
            vec![MarketSample {
                instrument: "EUR/USD".into(),
                t: 1_700_000_000,
                mid: "1.084225".into(),
                spread: "0.00005".into(),
            }],
            "stale GBP/USD and unpriced USD/JPY are not sampled"
        );
    }
}
