//! The outbox relay: publishes committed outbox rows to the bus in position order and marks
//! them published only after the bus acknowledged them.
//!
//! Two buses, one relay: Kafka (rdkafka, idempotent producer, `acks=all`, key and headers per
//! `docs/api.md`) when `ORION_KAFKA_BROKERS` is set, else the embedded local bus, a broadcast of
//! the same envelopes inside the process. A crash between the broker's ack and the mark
//! republishes the batch on restart — at least once, never lost; consumers deduplicate by
//! `eventId`. Running two relays at once duplicates, never drops.
//!
//! With Kafka the relay pipelines: it reads and hands the broker the next batch while up to
//! [`RelayTuning::pipeline`] earlier batches are still being acknowledged, and marks each batch published (one
//! range update) once all of it is acknowledged, oldest first. The producer batches per partition
//! (`linger.ms`, `batch.size`) with up to five requests in flight, which idempotence keeps in
//! order.
//!
//! A row caused by a traced request (its `traceparent` column is set) is published inside a
//! `relay.publish` producer span in that request's trace, which lasts until the broker
//! acknowledges the row; the span's own context goes out as the `traceparent` header, so each
//! consumer's span is its child.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use tokio::sync::{broadcast, watch};

use orion_journal::trace;
use orion_store::outbox::OutboxRow;
use orion_store::{Store, StoreError};

/// How the relay batches, pipelines and configures its producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayTuning {
    /// Rows read per batch.
    pub batch: i64,
    /// Batches handed to the broker and not yet acknowledged, at most.
    pub pipeline: usize,
    /// Producer settings beyond `bootstrap.servers`, idempotence and `acks=all`.
    pub producer: &'static [(&'static str, &'static str)],
}

impl RelayTuning {
    /// What the relay runs with.
    pub const TUNED: RelayTuning = RelayTuning {
        batch: 8_192,
        pipeline: 3,
        producer: &[
            ("message.timeout.ms", "30000"),
            // Up to five requests in flight per connection; idempotence keeps them in order.
            ("max.in.flight.requests.per.connection", "5"),
            ("linger.ms", "5"),
            ("batch.num.messages", "10000"),
            ("batch.size", "1000000"),
            ("queue.buffering.max.messages", "500000"),
            ("queue.buffering.max.kbytes", "1048576"),
        ],
    };

    /// The settings before tuning, kept as the benchmark's comparison run.
    pub const BASELINE: RelayTuning = RelayTuning {
        batch: 4_096,
        pipeline: 1,
        producer: &[("message.timeout.ms", "30000"), ("linger.ms", "2")],
    };
}

/// The streams Orion publishes (`docs/api.md`, "Events"), created at start with 3 partitions.
pub const STREAMS: &[&str] = &[
    "marketdata.ticks",
    "marketdata.status",
    "rfq.lifecycle",
    "rfq.quotes",
    "oms.orders",
    "execution.trades",
    "posttrade.settlement",
    "risk.alerts",
    "admin.changes",
];

/// One published envelope on the local bus.
#[derive(Debug, Clone)]
pub struct BusMessage {
    /// Topic.
    pub topic: String,
    /// Message key.
    pub key: String,
    /// The JSON envelope.
    pub envelope: Arc<str>,
}

/// Where the relay publishes.
pub enum Bus {
    /// A Kafka-protocol broker.
    Kafka(FutureProducer),
    /// The in-process bus.
    Local(broadcast::Sender<BusMessage>),
}

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// The broker refused or timed out.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl Bus {
    /// An idempotent, `acks=all` producer for `brokers`, with Orion's topics created.
    pub async fn kafka(brokers: &str, env: &str) -> Result<Self, RelayError> {
        Self::kafka_tuned(brokers, env, &RelayTuning::TUNED).await
    }

    /// [`Bus::kafka`] with the producer settings of `tuning`.
    pub async fn kafka_tuned(
        brokers: &str,
        env: &str,
        tuning: &RelayTuning,
    ) -> Result<Self, RelayError> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all");
        for (key, value) in tuning.producer {
            config.set(*key, *value);
        }
        let admin: AdminClient<DefaultClientContext> = config.create()?;
        let names: Vec<String> = STREAMS.iter().map(|s| format!("{env}.{s}.v1")).collect();
        let topics: Vec<NewTopic> = names
            .iter()
            .map(|n| NewTopic::new(n, 3, TopicReplication::Fixed(1)))
            .collect();
        for result in admin.create_topics(&topics, &AdminOptions::new()).await? {
            if let Err((topic, code)) = result {
                if code != rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists {
                    tracing::warn!(topic, code = ?code, "topic creation failed");
                }
            }
        }
        Ok(Bus::Kafka(config.create()?))
    }

    /// The in-process bus.
    pub fn local(capacity: usize) -> Self {
        Bus::Local(broadcast::channel(capacity).0)
    }

    /// Hands `rows` to the bus; the returned batch completes when the bus has all of them.
    /// The spans of traced rows end when the batch is dropped.
    async fn enqueue(&self, rows: &[OutboxRow]) -> Result<Enqueued, RelayError> {
        let mut spans = Vec::new();
        match self {
            Bus::Local(tx) => {
                for row in rows {
                    spans.extend(publish_span(row));
                    let _ = tx.send(BusMessage {
                        topic: row.topic.clone(),
                        key: row.key.clone(),
                        envelope: Arc::from(row.envelope.as_str()),
                    });
                }
                Ok(Enqueued {
                    deliveries: Vec::new(),
                    spans,
                })
            }
            Bus::Kafka(producer) => {
                let mut deliveries = Vec::with_capacity(rows.len());
                for row in rows {
                    let span = publish_span(row);
                    let traceparent = span.as_ref().map(trace::traceparent_of);
                    spans.extend(span);
                    let mut headers = OwnedHeaders::new()
                        .insert(Header {
                            key: "correlationId",
                            value: Some(row.correlation_id.as_str()),
                        })
                        .insert(Header {
                            key: "tenantId",
                            value: Some(row.tenant.as_str()),
                        })
                        .insert(Header {
                            key: "eventType",
                            value: Some(row.event_type.as_str()),
                        });
                    if let Some(traceparent) = traceparent.as_deref().filter(|t| !t.is_empty()) {
                        headers = headers.insert(Header {
                            key: trace::TRACEPARENT,
                            value: Some(traceparent),
                        });
                    }
                    let mut record = FutureRecord::to(&row.topic)
                        .key(&row.key)
                        .payload(&row.envelope)
                        .headers(headers);
                    loop {
                        match producer.send_result(record) {
                            Ok(delivery) => {
                                deliveries.push(delivery);
                                break;
                            }
                            Err((
                                rdkafka::error::KafkaError::MessageProduction(
                                    rdkafka::types::RDKafkaErrorCode::QueueFull,
                                ),
                                r,
                            )) => {
                                record = r;
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                            Err((err, _)) => return Err(err.into()),
                        }
                    }
                }
                Ok(Enqueued { deliveries, spans })
            }
        }
    }
}

/// A `relay.publish` producer span in the trace of the request that caused `row`, when it was
/// traced.
fn publish_span(row: &OutboxRow) -> Option<tracing::Span> {
    if row.trace_parent.is_empty() {
        return None;
    }
    let span = tracing::info_span!(
        parent: None,
        "relay.publish",
        otel.name = %format_args!("{} publish", row.topic),
        otel.kind = "producer",
        messaging.destination.name = %row.topic,
        eventType = %row.event_type,
        tenantId = %row.tenant,
        correlationId = %row.correlation_id,
        entityId = %row.key,
    );
    trace::follow(&span, &row.trace_parent);
    Some(span)
}

/// What [`Bus::enqueue`] handed over: the broker's acknowledgements to wait for, and the spans
/// of the traced rows.
struct Enqueued {
    deliveries: Vec<DeliveryFuture>,
    spans: Vec<tracing::Span>,
}

/// Rows handed to the bus and not yet marked published.
struct InFlight {
    first: i64,
    last: i64,
    rows: u64,
    deliveries: Vec<DeliveryFuture>,
    /// Spans of traced rows, ended once the batch is acknowledged.
    spans: Vec<tracing::Span>,
}

impl InFlight {
    async fn acknowledged(self) -> Result<Self, RelayError> {
        let mut batch = self;
        for delivery in std::mem::take(&mut batch.deliveries) {
            match delivery.await {
                Ok(Ok(_)) => {}
                Ok(Err((err, _))) => return Err(err.into()),
                Err(_) => return Err(rdkafka::error::KafkaError::Canceled.into()),
            }
        }
        Ok(batch)
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows handed to the bus.
    pub enqueued: u64,
    /// Rows marked published.
    pub published: u64,
}

/// The relay's state: the batches in flight and how far it has read.
pub struct Relay {
    store: Store,
    bus: Bus,
    tuning: RelayTuning,
    in_flight: VecDeque<InFlight>,
    cursor: Option<i64>,
}

impl Relay {
    /// A relay from `store` to `bus`.
    pub fn new(store: Store, bus: Bus) -> Self {
        Self::tuned(store, bus, RelayTuning::TUNED)
    }

    /// A relay batching and pipelining per `tuning`.
    pub fn tuned(store: Store, bus: Bus, tuning: RelayTuning) -> Self {
        Self {
            store,
            bus,
            tuning,
            in_flight: VecDeque::new(),
            cursor: None,
        }
    }

    /// Reads the next rows and hands them to the bus; when the pipeline is full or nothing new
    /// came, waits for the oldest batch in flight and marks it published.
    pub async fn step(&mut self) -> Result<Progress, RelayError> {
        let mut rows = match self.cursor {
            None => self.store.unpublished(self.tuning.batch).await?,
            Some(after) => {
                self.store
                    .unpublished_after(after, self.tuning.batch)
                    .await?
            }
        };
        for row in rows.iter_mut().filter(|r| r.correlation_id.is_empty()) {
            // Written before the column existed: read it from the envelope.
            row.correlation_id = serde_json::from_str::<serde_json::Value>(&row.envelope)
                .ok()
                .and_then(|v| v["correlationId"].as_str().map(str::to_owned))
                .unwrap_or_default();
        }
        let mut progress = Progress::default();
        if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
            let Enqueued { deliveries, spans } = self.bus.enqueue(&rows).await?;
            self.cursor = Some(last.position);
            progress.enqueued = rows.len() as u64;
            self.in_flight.push_back(InFlight {
                first: first.position,
                last: last.position,
                rows: rows.len() as u64,
                deliveries,
                spans,
            });
        }
        let drain = progress.enqueued == 0 || self.in_flight.len() >= self.tuning.pipeline;
        if drain {
            if let Some(batch) = self.in_flight.pop_front() {
                let batch = batch.acknowledged().await?;
                self.store
                    .mark_published(
                        batch.first,
                        batch.last,
                        orion_bridge::clock::unix_nanos() as i64,
                    )
                    .await?;
                progress.published = batch.rows;
                // Published: the rows' producer spans end here.
                drop(batch.spans);
            }
        }
        Ok(progress)
    }

    /// Forgets what is in flight and reads again from the oldest unpublished row (after a
    /// failure: what was sent may be sent again — at least once).
    pub fn reset(&mut self) {
        self.in_flight.clear();
        self.cursor = None;
    }

    /// Steps until everything written so far is published; returns how many rows.
    pub async fn drain(&mut self) -> Result<u64, RelayError> {
        let mut published = 0;
        loop {
            let p = self.step().await?;
            published += p.published;
            if p == Progress::default() {
                return Ok(published);
            }
        }
    }
}

/// Relays until `shutdown` turns true; returns how many rows it published. Once a second it
/// publishes the backlog (committed rows not yet on the bus) as `orion_outbox_backlog`.
pub async fn run(store: Store, bus: Bus, mut shutdown: watch::Receiver<bool>) -> u64 {
    let mut relay = Relay::new(store.clone(), bus);
    let mut published = 0u64;
    let mut backoff = Duration::from_millis(50);
    tokio::spawn(publish_backlog(store, shutdown.clone()));
    loop {
        match relay.step().await {
            Ok(p) if p == Progress::default() => {
                backoff = Duration::from_millis(50);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = shutdown.changed() => return published,
                }
            }
            Ok(p) => {
                backoff = Duration::from_millis(50);
                published += p.published;
                metrics::counter!("orion_outbox_published_total").increment(p.published);
            }
            Err(err) => {
                tracing::warn!(cause = %err, "outbox relay failed; retrying");
                metrics::counter!("orion_outbox_relay_failures_total").increment(1);
                relay.reset();
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => return published,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
        if *shutdown.borrow() {
            return published;
        }
    }
}

/// Sets `orion_outbox_backlog` once a second until `shutdown` (apart from the relay's loop, so
/// the figure keeps moving while a delivery to a broker that is down hangs).
async fn publish_backlog(store: Store, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Ok(backlog) = store.backlog().await {
            metrics::gauge!("orion_outbox_backlog").set(backlog as f64);
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Publishes everything written so far with `tuning`; returns how many rows.
pub async fn relay_all(store: &Store, bus: Bus, tuning: RelayTuning) -> Result<u64, RelayError> {
    Relay::tuned(store.clone(), bus, tuning).drain().await
}
