//! Latency measurement: an hdrhistogram observer on the coalesce stage's thread.
//!
//! Publishers stamp `receive_ts` with the *intended* send time on a shared monotonic clock
//! ([`Clock`]); the observer records `now − receive_ts` when the coalesce stage applies the
//! tick. Stamping the intended time, not the actual one, keeps queueing delay in the figures
//! when the publisher falls behind (no coordinated omission). The observer hands its histogram
//! back through a channel when the stage thread ends.

use std::time::Instant;

use crossbeam_channel::Sender;
use hdrhistogram::Histogram;
use orion_hotpath::{Tick, TickObserver};

/// A monotonic nanosecond clock shared by publisher and observer.
#[derive(Debug, Clone, Copy)]
pub struct Clock(Instant);

impl Clock {
    /// A clock starting now.
    pub fn start() -> Self {
        Clock(Instant::now())
    }

    /// Nanoseconds since the clock started (never 0, so it is a valid source timestamp).
    #[inline]
    pub fn now(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64 + 1
    }
}

/// Records publish → applied latency into a histogram (1 ns … 10 s, 3 significant digits).
pub struct LatencyObserver {
    clock: Clock,
    /// Ticks stamped before this (warm-up: first lap of the rings, page faults) are not recorded.
    record_from: u64,
    histogram: Histogram<u64>,
    done: Sender<Histogram<u64>>,
}

impl LatencyObserver {
    /// An observer on `clock` recording ticks stamped at or after `record_from`, returning its
    /// histogram through `done` when dropped.
    pub fn new(clock: Clock, record_from: u64, done: Sender<Histogram<u64>>) -> Self {
        Self {
            clock,
            record_from,
            histogram: Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("valid bounds"),
            done,
        }
    }
}

impl TickObserver for LatencyObserver {
    #[inline]
    fn on_applied(&mut self, tick: &Tick) {
        if tick.receive_ts < self.record_from {
            return;
        }
        let latency = self.clock.now().saturating_sub(tick.receive_ts).max(1);
        self.histogram.saturating_record(latency);
    }
}

impl Drop for LatencyObserver {
    fn drop(&mut self) {
        let _ = self.done.send(std::mem::replace(
            &mut self.histogram,
            Histogram::new(1).expect("valid"),
        ));
    }
}

/// `p50 / p99 / p99.9 / max` in microseconds, for tables.
pub fn summary_us(h: &Histogram<u64>) -> [f64; 4] {
    [
        h.value_at_quantile(0.50) as f64 / 1_000.0,
        h.value_at_quantile(0.99) as f64 / 1_000.0,
        h.value_at_quantile(0.999) as f64 / 1_000.0,
        h.max() as f64 / 1_000.0,
    ]
}

/// The classic `.hgrm` percentile distribution (values in microseconds).
pub fn hgrm(h: &Histogram<u64>) -> String {
    use std::fmt::Write;
    let mut out = String::from("       Value     Percentile TotalCount 1/(1-Percentile)\n\n");
    let mut total = 0u64;
    for v in h.iter_quantiles(2) {
        total += v.count_since_last_iteration();
        let q = v.quantile_iterated_to();
        let inverse = if q < 1.0 {
            format!("{:.2}", 1.0 / (1.0 - q))
        } else {
            "inf".into()
        };
        let _ = writeln!(
            out,
            "{:12.3} {:14.12} {:10} {:>14}",
            v.value_iterated_to() as f64 / 1_000.0,
            q,
            total,
            inverse
        );
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]\n#[Max     = {:12.3}, Total count    = {:12}]",
        h.mean() / 1_000.0,
        h.stdev() / 1_000.0,
        h.max() as f64 / 1_000.0,
        h.len()
    );
    out
}
