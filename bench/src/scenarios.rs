//! In-process scenarios over the [`crate::harness`] pipelines: sustained throughput and latency at a
//! fixed offered rate, every variant in the same run.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::harness::{self, Placement, Variant, wait_applied};
use crate::latency::{Clock, LatencyObserver};
use crate::workload::{instruments, ticks};

/// Offered load before recording starts: the rings' first lap, page faults, frequency ramp.
pub const WARMUP: Duration = Duration::from_millis(100);

/// Throughput of one variant: median and spread over rounds.
#[derive(Debug, Clone)]
pub struct ThroughputResult {
    /// Variant and publication mode.
    pub name: String,
    /// Million ticks per second, per round, sorted.
    pub rounds_mps: Vec<f64>,
}

impl ThroughputResult {
    /// Median of the rounds.
    pub fn median(&self) -> f64 {
        self.rounds_mps[self.rounds_mps.len() / 2]
    }
}

/// Publishes `per_round` ticks as fast as the pipeline takes them, `rounds` times, per variant
/// (one by one, and in batches of `batch` where the transport has batches).
pub fn throughput(per_round: usize, rounds: usize, batch: usize) -> Vec<ThroughputResult> {
    throughput_only(per_round, rounds, batch, None)
}

/// [`throughput`] restricted to the variants whose name contains `only` (for profiling one).
pub fn throughput_only(
    per_round: usize,
    rounds: usize,
    batch: usize,
    only: Option<&str>,
) -> Vec<ThroughputResult> {
    let table = instruments(25);
    let raw = ticks(25, 1 << 14);
    let cores = crate::machine::cores();
    let mut results = Vec::new();
    let mut modes: Vec<(Variant, usize)> = Variant::ALL.iter().map(|v| (*v, 1)).collect();
    modes.push((Variant::DisruptorFused, batch));
    modes.push((Variant::DisruptorSplit, batch));
    modes.retain(|(variant, _)| only.is_none_or(|o| variant.name().contains(o)));
    for (variant, batch) in modes {
        let mut pipeline =
            harness::start(variant, &table, (), Placement::for_machine(variant, cores));
        let mut published = 0u64;
        let mut rounds_mps = Vec::new();
        for _ in 0..rounds {
            let start = Instant::now();
            let mut i = 0usize;
            let mut left = per_round;
            while left > 0 {
                let n = batch.min(left).min(raw.len() - i);
                if batch == 1 {
                    pipeline.publish(&raw[i]);
                } else {
                    pipeline.publish_batch(&raw[i..i + n]);
                }
                left -= n;
                i = (i + n) % raw.len();
            }
            published += per_round as u64;
            wait_applied(pipeline.as_ref(), published);
            rounds_mps.push(per_round as f64 / start.elapsed().as_secs_f64() / 1e6);
        }
        pipeline.shutdown();
        rounds_mps.sort_by(f64::total_cmp);
        let mode = if batch == 1 {
            "one-by-one".into()
        } else {
            format!("batch-{batch}")
        };
        results.push(ThroughputResult {
            name: format!("{}/{mode}", variant.name()),
            rounds_mps,
        });
    }
    results
}

/// Latency of one variant at a fixed offered rate, over several trials.
pub struct LatencyResult {
    /// Variant and publication mode.
    pub name: String,
    /// Every trial merged: publish (intended time) → coalesce applied, nanoseconds.
    pub histogram: Histogram<u64>,
    /// Each trial's histogram, in run order.
    pub trials: Vec<Histogram<u64>>,
}

impl LatencyResult {
    /// The median over trials of the value at quantile `q`, in nanoseconds: one host preemption
    /// inflates one trial's tail, not the figure.
    pub fn median_trial(&self, q: f64) -> u64 {
        let mut values: Vec<u64> = self.trials.iter().map(|h| h.value_at_quantile(q)).collect();
        values.sort_unstable();
        values[values.len() / 2]
    }
}

/// Offers `rate` ticks/s to every variant, one by one and in batches of `batch` (a batch is
/// stamped with its intended send time and published at once, like a feed packet), in
/// `trials` rounds of `duration` each. Rounds interleave the variants, so a noisy stretch of
/// the machine hits them alike.
pub fn latency(rate: u64, duration: Duration, batch: usize, trials: usize) -> Vec<LatencyResult> {
    let table = instruments(25);
    let raw = ticks(25, 1 << 14);
    let cores = crate::machine::cores();
    let mut modes: Vec<(Variant, usize)> = Variant::ALL.iter().map(|v| (*v, 1)).collect();
    modes.push((Variant::DisruptorFused, batch));
    modes.push((Variant::DisruptorSplit, batch));
    let mut results: Vec<LatencyResult> = modes
        .iter()
        .map(|(variant, batch)| {
            let mode = if *batch == 1 {
                "one-by-one".into()
            } else {
                format!("batch-{batch}")
            };
            LatencyResult {
                name: format!("{}/{mode}", variant.name()),
                histogram: Histogram::new_with_bounds(1, 10_000_000_000, 3).expect("valid bounds"),
                trials: Vec::new(),
            }
        })
        .collect();
    for _ in 0..trials {
        for (result, &(variant, batch)) in results.iter_mut().zip(&modes) {
            let trial = latency_trial(variant, batch, rate, duration, &table, &raw, cores);
            result.histogram.add(&trial).expect("same bounds");
            result.trials.push(trial);
        }
    }
    results
}

fn latency_trial(
    variant: Variant,
    batch: usize,
    rate: u64,
    duration: Duration,
    table: &orion_hotpath::InstrumentTable,
    raw: &[orion_hotpath::RawTick],
    cores: usize,
) -> Histogram<u64> {
    let clock = Clock::start();
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let period_ns = 1e9 / rate as f64;
    let warmup = (rate as f64 * WARMUP.as_secs_f64()) as u64;
    let total = warmup + (rate as f64 * duration.as_secs_f64()) as u64;
    // Ticks intended before the warm-up ends are not recorded.
    let record_from = clock.now() + WARMUP.as_nanos() as u64 + 1_000_000;
    let observer = LatencyObserver::new(clock, record_from, done_tx);
    let mut pipeline = harness::start(
        variant,
        table,
        observer,
        Placement::for_machine(variant, cores),
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // The publisher gets the first core to itself; pipelines were built unpinned.
            core_affinity::set_for_current(core_affinity::CoreId { id: 0 });
            let mut scratch = vec![raw[0]; batch];
            let mut sent = 0u64;
            let start = clock.now();
            while sent < total {
                let intended = start + (sent as f64 * period_ns) as u64;
                while clock.now() < intended {
                    std::hint::spin_loop();
                }
                let n = (batch as u64).min(total - sent) as usize;
                for (k, slot) in scratch[..n].iter_mut().enumerate() {
                    *slot = raw[(sent as usize + k) % raw.len()];
                    slot.receive_ts = intended;
                    slot.source_ts = intended;
                }
                if n == 1 {
                    pipeline.publish(&scratch[0]);
                } else {
                    pipeline.publish_batch(&scratch[..n]);
                }
                sent += n as u64;
            }
            wait_applied(pipeline.as_ref(), total);
        });
    });
    pipeline.shutdown();
    done_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("observer returns its histogram")
}
