//! The outbox relay: publishes committed outbox rows to the bus in position order and marks
//! them published only after the bus acknowledged them.
//!
//! Two buses, one relay: Kafka (rdkafka, idempotent producer, `acks=all`, key and headers per
//! `docs/api.md`) when `ORION_KAFKA_BROKERS` is set, else the embedded local bus, a broadcast of
//! the same envelopes inside the process. A crash between the broker's ack and the mark
//! republishes the batch on restart — at least once, never lost; consumers deduplicate by
//! `eventId`. Running two relays at once duplicates, never drops.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::{broadcast, watch};

use orion_store::outbox::OutboxRow;
use orion_store::{Store, StoreError};

/// Rows relayed per round.
pub const RELAY_BATCH: i64 = 4_096;

/// The streams Orion publishes (`docs/api.md`, "Events"), created at start with 3 partitions.
pub const STREAMS: &[&str] = &[
    "marketdata.ticks",
    "marketdata.status",
    "rfq.lifecycle",
    "rfq.quotes",
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
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("message.timeout.ms", "30000")
            .set("linger.ms", "2");
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

    async fn publish(&self, rows: &[OutboxRow]) -> Result<(), RelayError> {
        match self {
            Bus::Local(tx) => {
                for row in rows {
                    let _ = tx.send(BusMessage {
                        topic: row.topic.clone(),
                        key: row.key.clone(),
                        envelope: Arc::from(row.envelope.as_str()),
                    });
                }
                Ok(())
            }
            Bus::Kafka(producer) => {
                let mut deliveries = Vec::with_capacity(rows.len());
                for row in rows {
                    let headers = OwnedHeaders::new()
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
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                            Err((err, _)) => return Err(err.into()),
                        }
                    }
                }
                for delivery in deliveries {
                    match delivery.await {
                        Ok(Ok(_)) => {}
                        Ok(Err((err, _))) => return Err(err.into()),
                        Err(_) => return Err(rdkafka::error::KafkaError::Canceled.into()),
                    }
                }
                Ok(())
            }
        }
    }
}

/// Relays until `shutdown` turns true; returns how many rows it published.
pub async fn run(store: Store, bus: Bus, mut shutdown: watch::Receiver<bool>) -> u64 {
    let mut published = 0u64;
    let mut backoff = Duration::from_millis(50);
    loop {
        match relay_once(&store, &bus).await {
            Ok(0) => {
                backoff = Duration::from_millis(50);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                    _ = shutdown.changed() => return published,
                }
            }
            Ok(n) => {
                backoff = Duration::from_millis(50);
                published += n;
                metrics::counter!("orion_outbox_published_total").increment(n);
            }
            Err(err) => {
                tracing::warn!(cause = %err, "outbox relay failed; retrying");
                metrics::counter!("orion_outbox_relay_failures_total").increment(1);
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

/// Publishes one batch of unpublished rows; returns how many.
pub async fn relay_once(store: &Store, bus: &Bus) -> Result<u64, RelayError> {
    let mut rows = store.unpublished(RELAY_BATCH).await?;
    for row in rows.iter_mut().filter(|r| r.correlation_id.is_empty()) {
        // Written before the column existed: read it from the envelope.
        row.correlation_id = serde_json::from_str::<serde_json::Value>(&row.envelope)
            .ok()
            .and_then(|v| v["correlationId"].as_str().map(str::to_owned))
            .unwrap_or_default();
    }
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(0);
    };
    bus.publish(&rows).await?;
    store
        .mark_published(
            first.position,
            last.position,
            orion_bridge::clock::unix_nanos() as i64,
        )
        .await?;
    Ok(rows.len() as u64)
}
