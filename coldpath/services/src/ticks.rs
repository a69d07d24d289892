//! `marketdata.ticks`: every normalized tick on Kafka as `MarketTickReceived`, keyed by
//! instrument — not the coalesced stream, and not through the database.
//!
//! The bridge copies each tick its sources put into the input ring onto a bounded queue (the
//! [tick tap](orion_bridge::tap)); this publisher drains it on a thread of its own, normalizes
//! each tick with the hot path's own [`NormalizeStage`] (so flags, mid and spread are the
//! pipeline's), renders the envelope and hands it to a non-blocking Kafka producer. Neither
//! side ever waits: a full tap or a full producer queue drops the tick and counts it
//! (`orion_md_ticks_dropped_total{reason}`), so a slow or absent broker costs ticks on this
//! topic, never latency on the hot path.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use orion_bridge::clock::rfc3339;
use orion_bridge::tap::TickTap;
use orion_hotpath::{InstrumentTable, NormalizeStage, PipelineCounters, Price, RawTick, Tick};
use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use serde_json::json;

/// The stream ticks go to.
pub const STREAM: &str = "marketdata.ticks";

/// Renders one normalized tick as a `MarketTickReceived` envelope.
pub fn envelope(instruments: &InstrumentTable, tick: &Tick, seq: u64) -> Option<(String, String)> {
    let spec = instruments.spec(tick.instrument)?;
    let scale = spec.price_scale;
    let (bid, ask) = (Price::new(tick.bid, scale), Price::new(tick.ask, scale));
    let event_id = uuid::Uuid::new_v4().to_string();
    let envelope = json!({
        "eventId": event_id, "eventType": "MarketTickReceived", "eventVersion": 1,
        "occurredAt": rfc3339(tick.receive_ts), "producer": "orion-bridge", "tenantId": "*",
        "correlationId": event_id, "causationId": event_id,
        "entity": {"entityType": "Instrument", "entityId": spec.symbol, "sequence": seq},
        "payload": {
            "instrumentId": spec.symbol, "bid": bid.to_string(), "ask": ask.to_string(),
            "mid": Price::mid(bid, ask).map(|m| m.to_string()).unwrap_or_default(),
            "seq": seq, "sourceTs": rfc3339(tick.source_ts), "receivedAt": rfc3339(tick.receive_ts),
            "flags": tick.flags.names().collect::<Vec<_>>(),
        },
    });
    Some((event_id, envelope.to_string()))
}

/// Starts the publisher thread; it ends when `stop` is set or the tap's senders are gone.
pub fn spawn(
    rx: Receiver<RawTick>,
    tap: Arc<TickTap>,
    instruments: Arc<InstrumentTable>,
    brokers: &str,
    env: &str,
    late_after_ns: u64,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, KafkaError> {
    let producer: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("acks", "1")
        .set("linger.ms", "20")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "200000")
        .set("message.timeout.ms", "10000")
        .create()?;
    let topic = format!("{env}.{STREAM}.v1");
    Ok(std::thread::Builder::new()
        .name("orion-tick-publisher".into())
        .spawn(move || {
            let mut stage = NormalizeStage::new(&instruments, late_after_ns, Arc::default());
            let mut rebuilt = Instant::now();
            let mut seqs = vec![0u64; instruments.len()];
            while !stop.load(Ordering::Relaxed) {
                let raw = match rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(raw) => raw,
                    Err(RecvTimeoutError::Timeout) => {
                        metrics::counter!("orion_md_ticks_dropped_total", "reason" => "tap_full")
                            .absolute(tap.dropped.get());
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                };
                // Instruments defined at runtime bring their tick sizes: refresh now and then.
                if rebuilt.elapsed() > Duration::from_secs(1) {
                    stage = NormalizeStage::new(&instruments, late_after_ns, Arc::<PipelineCounters>::default());
                    rebuilt = Instant::now();
                }
                let Some(tick) = stage.handle_tick(&raw) else {
                    continue;
                };
                let Some(seq) = seqs.get_mut(tick.instrument.index()).map(|s| {
                    *s += 1;
                    *s
                }) else {
                    continue;
                };
                let Some((event_id, payload)) = envelope(&instruments, &tick, seq) else {
                    continue;
                };
                let key = instruments
                    .spec(tick.instrument)
                    .map(|s| s.symbol.clone())
                    .unwrap_or_default();
                let headers = OwnedHeaders::new()
                    .insert(Header { key: "correlationId", value: Some(event_id.as_str()) })
                    .insert(Header { key: "tenantId", value: Some("*") })
                    .insert(Header { key: "eventType", value: Some("MarketTickReceived") });
                let record = BaseRecord::to(&topic)
                    .key(&key)
                    .payload(&payload)
                    .headers(headers);
                match producer.send(record) {
                    Ok(()) => metrics::counter!("orion_md_ticks_published_total").increment(1),
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        metrics::counter!("orion_md_ticks_dropped_total", "reason" => "producer_queue_full")
                            .increment(1);
                    }
                    Err((err, _)) => {
                        tracing::warn!(cause = %err, "tick not published");
                        metrics::counter!("orion_md_ticks_dropped_total", "reason" => "producer_error")
                            .increment(1);
                    }
                }
            }
            let _ = producer.flush(Duration::from_secs(2));
        })
        .expect("spawn tick publisher"))
}
