//! Logs and metrics: JSON log lines through `tracing`, Prometheus metrics through `metrics`.
//!
//! Hot-path and bridge counters are plain atomics (no per-event metric calls on the hot path);
//! [`export_counters`] copies them into the Prometheus registry once a second.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{counter, gauge};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use orion_hotpath::{PipelineCounters, QualityFlags, SnapshotTable};

use crate::platform::BridgeStats;

/// Latency histogram buckets, seconds: 100 µs … 5 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5,
    1.0, 2.5, 5.0,
];

/// Installs the JSON log subscriber on stderr (filter from `RUST_LOG`, default `info`); stdout
/// is kept for what the user asked to see (the banner, replay summaries).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("latency_seconds".into()), LATENCY_BUCKETS)
                .expect("static buckets are valid")
                .install_recorder()
                .expect("no other metrics recorder is installed")
        })
        .clone()
}

/// Copies the hot-path and bridge counters into metrics every second until the task is dropped.
pub async fn export_counters(
    counters: Arc<PipelineCounters>,
    stats: Arc<BridgeStats>,
    snapshots: Arc<SnapshotTable>,
    ring_size: usize,
    handle: PrometheusHandle,
) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    let mut ticks = 0u64;
    loop {
        every.tick().await;
        export_once(&counters, &stats, &snapshots, ring_size);
        ticks += 1;
        if ticks % 5 == 0 {
            handle.run_upkeep();
        }
    }
}

/// One copy of every counter into the registry.
pub fn export_once(
    counters: &PipelineCounters,
    stats: &BridgeStats,
    snapshots: &SnapshotTable,
    ring_size: usize,
) {
    counter!("orion_ticks_in_total").absolute(counters.ticks_in.get());
    counter!("orion_ticks_out_total").absolute(counters.ticks_out.get());
    counter!("orion_ticks_malformed_total").absolute(counters.malformed.get());
    counter!("orion_ticks_late_total").absolute(counters.late.get());
    counter!("orion_ticks_crossed_total").absolute(counters.crossed.get());
    counter!("orion_ticks_off_tick_total").absolute(counters.off_tick.get());
    counter!("orion_ticks_dropped_total", "reason" => "malformed").absolute(counters.dropped());
    counter!("orion_ticks_dropped_total", "reason" => "ring_full").absolute(stats.ring_full());
    counter!("orion_stale_detected_total").absolute(counters.stale_detected.get());
    counter!("orion_output_events_dropped_total").absolute(counters.outputs_dropped.get());
    for (source, c) in [
        ("simulator", &stats.simulator),
        ("udp", &stats.feed_source),
        ("replay", &stats.replay),
        ("timer", &stats.timer),
    ] {
        counter!("orion_ring_published_total", "source" => source).absolute(c.published.get());
        counter!("orion_ring_full_total", "source" => source).absolute(c.ring_full.get());
    }
    let feed = &stats.feed;
    counter!("orion_feed_packets_total").absolute(feed.packets.get());
    for (reason, c) in [
        ("truncated", &feed.truncated),
        ("bad_magic", &feed.bad_magic),
        ("bad_version", &feed.bad_version),
        ("bad_length", &feed.bad_length),
    ] {
        counter!("orion_feed_packets_malformed_total", "reason" => reason).absolute(c.get());
    }
    counter!("orion_feed_sequence_gaps_total").absolute(feed.sequence_gaps.get());
    counter!("orion_feed_ticks_total").absolute(feed.ticks.get());
    counter!("orion_md_drain_skipped_total").absolute(stats.drain_skipped.get());
    let occupancy = stats
        .published()
        .saturating_sub(counters.input_consumed.get());
    gauge!("orion_ring_occupancy", "ring" => "input").set(occupancy as f64);
    gauge!("orion_ring_capacity", "ring" => "input").set(ring_size as f64);
    let stale = (0..snapshots.len() as u32)
        .filter_map(|i| snapshots.read(orion_hotpath::InstrumentId::from_index(i)))
        .filter(|s| s.flags.contains(QualityFlags::STALE))
        .count();
    gauge!("orion_stale_instruments").set(stale as f64);
}
