//! Logs, traces and metrics: JSON log lines and OTLP traces through `tracing`, Prometheus
//! metrics through `metrics`.
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

/// A metric's type, for its `# TYPE`/`# HELP` lines.
enum Kind {
    Counter,
    Gauge,
    Histogram,
}
use Kind::{Counter, Gauge, Histogram};

/// Every metric Orion records, with its help text (`# HELP`, which `promtool check metrics`
/// requires). A metric recorded without a row here fails the observability test's lint.
const METRICS: &[(Kind, &str, &str)] = &[
    (
        Counter,
        "orion_bff_forward_failures_total",
        "Commands a BFF replica could not forward to the core, by gRPC code.",
    ),
    (
        Counter,
        "orion_book_recovery_mismatches_total",
        "Order books rebuilt at start that differ from the stored ones.",
    ),
    (
        Counter,
        "orion_consumer_dead_lettered_total",
        "Events a consumer gave up on and dead-lettered, by consumer.",
    ),
    (
        Counter,
        "orion_consumer_processed_total",
        "Events a consumer applied, by consumer.",
    ),
    (
        Counter,
        "orion_consumer_retries_total",
        "Deliveries a consumer retried after a failure, by consumer.",
    ),
    (
        Counter,
        "orion_feed_packets_malformed_total",
        "UDP feed packets dropped as malformed, by reason.",
    ),
    (
        Counter,
        "orion_feed_packets_total",
        "UDP feed packets received.",
    ),
    (
        Counter,
        "orion_feed_sequence_gaps_total",
        "Gaps in the UDP feed's sequence numbers.",
    ),
    (
        Counter,
        "orion_feed_ticks_total",
        "Ticks decoded from the UDP feed.",
    ),
    (
        Counter,
        "orion_group_commit_batches_total",
        "Group commits written to the store.",
    ),
    (
        Counter,
        "orion_group_commit_events_total",
        "Engine outputs written by group commits.",
    ),
    (
        Counter,
        "orion_group_commit_failures_total",
        "Group commits that failed (the store was down).",
    ),
    (
        Counter,
        "orion_http_requests_total",
        "HTTP requests answered, by route template, method and status.",
    ),
    (
        Counter,
        "orion_journal_missing_rows_total",
        "Decisions naming an id the store does not know (not written), by what.",
    ),
    (
        Counter,
        "orion_journal_unattributed_total",
        "Decisions with no waiting request to attribute them to.",
    ),
    (
        Counter,
        "orion_lp_bot_quotes_total",
        "Quotes sent by the built-in LP bots.",
    ),
    (
        Counter,
        "orion_lp_gateway_missed_rfqs_total",
        "Committed RFQ decisions the LP gateway missed because it lagged behind.",
    ),
    (
        Counter,
        "orion_lp_quotes_received_total",
        "Quotes received from LPs over QUIC, by whether they were accepted.",
    ),
    (
        Counter,
        "orion_lp_streams_timed_out_total",
        "LP QUIC streams closed for inactivity.",
    ),
    (
        Counter,
        "orion_md_drain_skipped_total",
        "Market-data updates conflated away by the drain before reaching the cold path.",
    ),
    (
        Counter,
        "orion_md_ticks_dropped_total",
        "Ticks not published to Kafka, by reason.",
    ),
    (
        Counter,
        "orion_md_ticks_published_total",
        "Ticks published to the Kafka market-data topic.",
    ),
    (
        Counter,
        "orion_outbox_published_total",
        "Outbox rows published to the bus.",
    ),
    (
        Counter,
        "orion_outbox_relay_failures_total",
        "Outbox relay steps that failed (and were retried).",
    ),
    (
        Counter,
        "orion_output_events_dropped_total",
        "Hot-path output events dropped because the output ring was full.",
    ),
    (
        Counter,
        "orion_projection_events_total",
        "Events applied to the read-model projections, by consumer.",
    ),
    (
        Counter,
        "orion_quotes_discarded_total",
        "LP quotes the journal discarded, by reason.",
    ),
    (
        Counter,
        "orion_ring_full_total",
        "Publish attempts that found the input ring full, by source.",
    ),
    (
        Counter,
        "orion_ring_published_total",
        "Events published into the input ring, by source.",
    ),
    (
        Counter,
        "orion_settlement_steps_total",
        "Settlement steps run.",
    ),
    (
        Counter,
        "orion_stale_detected_total",
        "Times an instrument turned stale.",
    ),
    (
        Counter,
        "orion_ticks_crossed_total",
        "Ticks with bid above ask (tagged).",
    ),
    (
        Counter,
        "orion_ticks_dropped_total",
        "Ticks dropped, by reason.",
    ),
    (
        Counter,
        "orion_ticks_in_total",
        "Ticks entering the pipeline.",
    ),
    (
        Counter,
        "orion_ticks_late_total",
        "Ticks older than the latest for their instrument (tagged).",
    ),
    (
        Counter,
        "orion_ticks_malformed_total",
        "Ticks rejected as malformed.",
    ),
    (
        Counter,
        "orion_ticks_off_tick_total",
        "Ticks off the instrument's tick size (tagged).",
    ),
    (
        Counter,
        "orion_ticks_out_total",
        "Ticks leaving the pipeline into the snapshot table.",
    ),
    (
        Counter,
        "orion_ws_bad_frames_total",
        "WebSocket client frames refused as malformed.",
    ),
    (
        Counter,
        "orion_ws_frames_sent_total",
        "WebSocket frames sent to clients.",
    ),
    (
        Counter,
        "orion_ws_notifications_skipped_total",
        "Notifications a slow WebSocket client skipped.",
    ),
    (
        Counter,
        "orion_ws_updates_skipped_total",
        "Updates a slow WebSocket client skipped (it resynchronises).",
    ),
    (
        Counter,
        "orion_ws_window_skips_total",
        "Coalescing windows a slow WebSocket client skipped.",
    ),
    (
        Gauge,
        "orion_consumer_lag",
        "Events a consumer has yet to apply, by consumer.",
    ),
    (
        Gauge,
        "orion_dlq_messages",
        "Dead letters waiting, by consumer.",
    ),
    (Gauge, "orion_lp_connections", "LP QUIC connections open."),
    (
        Gauge,
        "orion_outbox_backlog",
        "Committed outbox rows not yet published to the bus.",
    ),
    (Gauge, "orion_ring_capacity", "Slots of the ring, by ring."),
    (
        Gauge,
        "orion_ring_occupancy",
        "Slots of the ring published but not yet consumed, by ring.",
    ),
    (
        Gauge,
        "orion_stale_instruments",
        "Instruments currently flagged stale.",
    ),
    (
        Gauge,
        "orion_store_up",
        "1 while the store answers, 0 while it is down.",
    ),
    (Gauge, "orion_ws_sessions", "WebSocket sessions open."),
    (
        Histogram,
        "orion_command_duration_seconds",
        "Time from a command's arrival at the service to its durable decision, by command and outcome.",
    ),
    (
        Histogram,
        "orion_group_commit_batch_size",
        "Engine outputs per group commit.",
    ),
    (
        Histogram,
        "orion_http_request_duration_seconds",
        "HTTP request duration, by route template, method and status.",
    ),
    (
        Histogram,
        "orion_md_fanout_latency_seconds",
        "Tick receipt to WebSocket frame built.",
    ),
    (
        Histogram,
        "orion_ws_delivery_latency_seconds",
        "Tick receipt to WebSocket frame sent to a client.",
    ),
];

/// Registers the help text of every metric.
fn describe() {
    for (kind, name, help) in METRICS {
        match kind {
            Counter => metrics::describe_counter!(*name, *help),
            Gauge => metrics::describe_gauge!(*name, *help),
            Histogram => metrics::describe_histogram!(*name, *help),
        }
    }
}

/// Keeps the trace pipeline alive; dropping it exports what is still buffered.
pub struct Telemetry {
    tracer: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take() {
            if let Err(err) = tracer.shutdown_with_timeout(Duration::from_secs(5)) {
                eprintln!("orion: traces not flushed: {err}");
            }
        }
    }
}

/// Installs logging and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, tracing.
///
/// Logs are JSON lines on stderr (filter from `RUST_LOG`, default `info`): the event's fields
/// and the fields of every span it happened in (`tenantId`, `correlationId`, `entityId` where
/// the request, decision or consumed event knows them) at the top level, plus the trace and
/// span ids when traced. stdout is kept for what the user asked to see (the banner, replay
/// summaries).
///
/// Traces go over OTLP/gRPC to `OTEL_EXPORTER_OTLP_ENDPOINT` (the standard variable; also
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_BSP_*`, `OTEL_RESOURCE_ATTRIBUTES`), batched by a
/// Tokio task, as `service.name` = `service` unless `OTEL_SERVICE_NAME` says otherwise. Must be
/// called inside the Tokio runtime.
pub fn init(service: &'static str) -> Telemetry {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let mut json = json_subscriber::JsonLayer::stderr();
    json.with_timer("timestamp", tracing_subscriber::fmt::time::SystemTime)
        .with_level("level")
        .with_target("target")
        .with_flattened_event()
        .with_top_level_flattened_span_list()
        .with_opentelemetry_ids(true);
    let (tracer, otel_layer) = match tracer(service) {
        Ok(Some(provider)) => {
            use opentelemetry::trace::TracerProvider as _;
            // Orion's own spans, whatever the log filter: quieting the logs must not cut a
            // trace in two.
            let spans = tracing_subscriber::filter::Targets::new().with_targets(
                TRACED_CRATES
                    .iter()
                    .map(|target| (*target, tracing::Level::INFO)),
            );
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("orion"))
                .with_filter(spans);
            (Some(provider), Some(layer))
        }
        Ok(None) => (None, None),
        Err(err) => {
            eprintln!("orion: traces disabled: {err}");
            (None, None)
        }
    };
    let _ = tracing_subscriber::registry()
        .with(json.with_filter(filter))
        .with(otel_layer)
        .try_init();
    Telemetry { tracer }
}

/// The crates whose spans are exported.
const TRACED_CRATES: &[&str] = &[
    "orion_bff",
    "orion_grpc",
    "orion_journal",
    "orion_services",
    "orion_node",
];

/// The OTLP trace pipeline, when an endpoint is configured.
fn tracer(
    service: &'static str,
) -> Result<
    Option<opentelemetry_sdk::trace::SdkTracerProvider>,
    opentelemetry_otlp::ExporterBuildError,
> {
    let configured = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    if !configured("OTEL_EXPORTER_OTLP_ENDPOINT")
        && !configured("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    {
        return Ok(None);
    }
    use opentelemetry_otlp::WithExportConfig as _;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_timeout(Duration::from_secs(5))
        .build()?;
    let batches =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let mut resource = opentelemetry_sdk::Resource::builder();
    if !configured("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name(service);
    }
    Ok(Some(
        opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_span_processor(batches)
            .with_resource(resource.build())
            .build(),
    ))
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("latency_seconds".into()), LATENCY_BUCKETS)
                .expect("static buckets are valid")
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .expect("static buckets are valid")
                .install_recorder()
                .expect("no other metrics recorder is installed");
            describe();
            handle
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
