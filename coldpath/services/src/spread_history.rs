//! Spread over time per instrument, for the workstation's analytics panel.
//!
//! A task samples every instrument's latest value from the snapshot table once a second and
//! keeps the last [`POINTS`] samples per instrument in memory: bounded, lock held only to push
//! or copy. History starts when the process starts; it is a view for traders, not a record
//! (ticks themselves are the record).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orion_hotpath::{InstrumentId, SnapshotTable};
use tokio::sync::watch;

/// Samples kept per instrument (15 minutes at one per second).
pub const POINTS: usize = 900;

/// One sample: when, and the spread in the instrument's price units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadPoint {
    /// Unix milliseconds.
    pub at_ms: u64,
    /// Ask minus bid, price units.
    pub spread: i64,
}

/// The last [`POINTS`] spread samples of every instrument.
pub struct SpreadHistory {
    series: Vec<Mutex<VecDeque<SpreadPoint>>>,
}

impl SpreadHistory {
    /// Empty history for `instruments` instruments.
    pub fn new(instruments: usize) -> Self {
        Self {
            series: (0..instruments)
                .map(|_| Mutex::new(VecDeque::with_capacity(POINTS)))
                .collect(),
        }
    }

    /// Records one sample of every instrument that has a value and is not stale.
    pub fn sample(&self, snapshots: &SnapshotTable, at_ms: u64) {
        for (index, series) in self.series.iter().enumerate() {
            let Some(s) = snapshots.read(InstrumentId::from_index(index as u32)) else {
                continue;
            };
            if s.flags.contains(orion_hotpath::QualityFlags::STALE) {
                continue;
            }
            push(
                series,
                SpreadPoint {
                    at_ms,
                    spread: s.ask - s.bid,
                },
            );
        }
    }

    /// Records one sample of one instrument.
    pub fn record(&self, instrument: InstrumentId, point: SpreadPoint) {
        if let Some(series) = self.series.get(instrument.index()) {
            push(series, point);
        }
    }

    /// The samples of `instrument`, oldest first.
    pub fn points(&self, instrument: InstrumentId) -> Vec<SpreadPoint> {
        self.series
            .get(instrument.index())
            .map(|s| {
                s.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn push(series: &Mutex<VecDeque<SpreadPoint>>, point: SpreadPoint) {
    let mut series = series.lock().unwrap_or_else(|p| p.into_inner());
    if series.len() == POINTS {
        series.pop_front();
    }
    series.push_back(point);
}

/// Samples once a second until `shutdown` turns true.
pub async fn run(
    history: Arc<SpreadHistory>,
    snapshots: Arc<SnapshotTable>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = every.tick() => history.sample(&snapshots, orion_bridge::clock::unix_nanos() / 1_000_000),
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_points_per_instrument() {
        let history = SpreadHistory::new(2);
        history.sample(&SnapshotTable::new(2), 1);
        assert!(
            history.points(InstrumentId::from_index(0)).is_empty(),
            "no value yet"
        );
        for i in 0..(POINTS as u64 + 10) {
            history.record(
                InstrumentId::from_index(0),
                SpreadPoint {
                    at_ms: i,
                    spread: 2 + (i % 3) as i64,
                },
            );
        }
        let points = history.points(InstrumentId::from_index(0));
        assert_eq!(points.len(), POINTS);
        assert_eq!(points.first().unwrap().at_ms, 10);
        assert_eq!(
            points.last().unwrap().spread,
            2 + ((POINTS as u64 + 9) % 3) as i64
        );
        assert!(history.points(InstrumentId::from_index(1)).is_empty());
        assert!(
            history.points(InstrumentId::from_index(7)).is_empty(),
            "unknown instrument"
        );
    }
}
