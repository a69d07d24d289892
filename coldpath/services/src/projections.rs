//! Read models: the RFQ and trade blotters, projected from the event stream by one consumer
//! whose code is the same on Kafka and on the local bus.
//!
//! [`BlotterProjection::apply`] takes an envelope, records its `eventId` in `processed_events`
//! and updates the blotters in the same transaction — a redelivered event changes nothing.
//! Events of one RFQ travel on different topics (lifecycle, quotes, trades), so they may arrive
//! in any order: rows are upserted from whichever event comes first, and a status only moves
//! forward (`status_rank`).
//!
//! Sources: [`run_local`] tails the outbox table by position (the embedded local bus is the
//! outbox itself; its checkpoint lives in `consumer_offsets`); [`run_kafka`] is a consumer group
//! on Orion's topics that commits an offset only after the event is applied.

use std::time::Duration;

use orion_store::read_models::{BlotterChange, BlotterEvent, TradeFacts};
use orion_store::{Store, StoreError};
use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use serde_json::Value;
use tokio::sync::watch;

/// This consumer's name in `processed_events`, `consumer_offsets` and its Kafka group.
pub const CONSUMER: &str = "blotters";

/// What an envelope changes in the blotters (unknown event types change nothing).
pub fn blotter_event(envelope: &Value) -> BlotterEvent {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let p = &envelope["payload"];
    let event_type = envelope["eventType"].as_str().unwrap_or_default();
    let rfq = |status, quotes, last_quote, trade| BlotterChange::Rfq {
        status,
        quotes,
        last_quote,
        trade,
    };
    let change = match event_type {
        "RFQCreated" => rfq("SENT", 0, None, None),
        "QuoteReceived" => rfq("QUOTING", 1, Some(text(&p["price"])), None),
        "RFQExpired" => rfq("EXPIRED", 0, None, None),
        "RFQCancelled" => rfq("CANCELLED", 0, None, None),
        "TradeExecuted" => rfq(
            "TRADED",
            0,
            None,
            Some(TradeFacts {
                trade_id: text(&p["tradeId"]),
                price: text(&p["price"]),
                lp_id: text(&p["lpId"]),
                executed_at: text(&p["executedAt"]),
            }),
        ),
        _ => BlotterChange::None,
    };
    BlotterEvent {
        event_id: text(&envelope["eventId"]),
        tenant: text(&envelope["tenantId"]),
        correlation_id: text(&envelope["correlationId"]),
        occurred_at: text(&envelope["occurredAt"]),
        rfq_id: text(&p["rfqId"]),
        instrument_id: text(&p["instrumentId"]),
        side: text(&p["side"]),
        size: text(&p["size"]),
        requester: text(&p["requester"]),
        change,
    }
}

/// Applies envelopes to the blotters.
#[derive(Clone)]
pub struct BlotterProjection {
    store: Store,
}

impl BlotterProjection {
    /// A projection writing to `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Applies one envelope; `Ok(false)` when it was already applied.
    pub async fn apply(&self, envelope: &Value) -> Result<bool, StoreError> {
        let applied = self
            .store
            .apply_blotter_event(
                CONSUMER,
                &blotter_event(envelope),
                orion_bridge::clock::unix_nanos() as i64,
            )
            .await?;
        if applied {
            metrics::counter!("orion_projection_events_total", "consumer" => CONSUMER).increment(1);
        }
        Ok(applied)
    }
}

/// Tails the outbox (the local bus) from this consumer's checkpoint until `shutdown`.
pub async fn run_local(projection: BlotterProjection, mut shutdown: watch::Receiver<bool>) {
    let store = projection.store.clone();
    let mut position = store.consumer_position(CONSUMER).await.unwrap_or(0);
    loop {
        let rows = match store.outbox_after(position, 500).await {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(cause = %err, "projection could not read the outbox; retrying");
                Vec::new()
            }
        };
        for (at, envelope) in &rows {
            let envelope: Value = serde_json::from_str(envelope).unwrap_or(Value::Null);
            let mut backoff = Duration::from_millis(50);
            while let Err(err) = projection.apply(&envelope).await {
                tracing::warn!(cause = %err, "projection failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            position = *at;
        }
        if !rows.is_empty() {
            let _ = store.save_consumer_position(CONSUMER, position).await;
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Consumes Orion's topics as the `blotters` group until `shutdown`; commits after applying.
pub async fn run_kafka(
    projection: BlotterProjection,
    brokers: String,
    env: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let consumer: StreamConsumer = match ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", format!("{env}.{CONSUMER}"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        // A member that died without leaving (kill -9) holds its partitions until this expires.
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "1500")
        .create()
    {
        Ok(c) => c,
        Err(err) => {
            tracing::error!(cause = %err, "projection consumer could not start");
            return;
        }
    };
    let topics: Vec<String> = crate::relay::STREAMS
        .iter()
        .map(|s| format!("{env}.{s}.v1"))
        .collect();
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    if let Err(err) = consumer.subscribe(&topics) {
        tracing::error!(cause = %err, "projection consumer could not subscribe");
        return;
    }
    loop {
        let message = tokio::select! {
            m = consumer.recv() => m,
            _ = shutdown.changed() => return,
        };
        let message = match message {
            Ok(m) => m,
            Err(err) => {
                tracing::warn!(cause = %err, "projection consumer error");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let envelope: Value = message
            .payload()
            .and_then(|p| serde_json::from_slice(p).ok())
            .unwrap_or(Value::Null);
        let mut backoff = Duration::from_millis(50);
        while let Err(err) = projection.apply(&envelope).await {
            tracing::warn!(cause = %err, "projection failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        let _ = consumer.commit_message(&message, CommitMode::Async);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope(id: &str, event_type: &str, payload: Value) -> Value {
        json!({
            "eventId": id, "eventType": event_type, "eventVersion": 1, "occurredAt": format!("2026-11-21T08:00:0{}Z", id.len() % 10),
            "producer": "test", "tenantId": "acme", "correlationId": "c-1", "causationId": "c-1",
            "entity": {"entityType": "RFQ", "entityId": "7", "sequence": 1}, "payload": payload,
        })
    }

    async fn store(name: &str) -> (Store, std::path::PathBuf) {
        let dir =
            std::env::temp_dir().join(format!("orion-projection-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        (
            Store::connect(&format!("sqlite://{}/p.db", dir.display()))
                .await
                .unwrap(),
            dir,
        )
    }

    #[tokio::test]
    async fn redelivery_changes_nothing_and_order_does_not_matter() {
        let (store, dir) = store("order").await;
        let projection = BlotterProjection::new(store.clone());
        let created = envelope(
            "e-1",
            "RFQCreated",
            json!({"rfqId": "7", "instrumentId": "EUR/USD", "side": "BUY", "size": "100.00", "requester": "trader@acme"}),
        );
        let quote = envelope(
            "e-2",
            "QuoteReceived",
            json!({"rfqId": "7", "quoteId": "1", "lpId": "lp-alpha", "price": "1.08", "validUntil": "2026-11-21T08:00:01Z"}),
        );
        let trade = envelope(
            "e-3",
            "TradeExecuted",
            json!({"tradeId": "9", "rfqId": "7", "quoteId": "1", "lpId": "lp-alpha", "price": "1.08",
            "executedAt": "2026-11-21T08:00:02Z", "instrumentId": "EUR/USD", "side": "BUY", "size": "100.00", "requester": "trader@acme"}),
        );
        // Trade first, then the quote, then the creation, then everything again.
        for e in [&trade, &quote, &created] {
            assert!(projection.apply(e).await.unwrap());
        }
        for e in [&created, &quote, &trade] {
            assert!(
                !projection.apply(e).await.unwrap(),
                "redelivered events are skipped"
            );
        }
        let blotter = store.rfq_blotter("acme", "", "").await.unwrap();
        assert_eq!(blotter.len(), 1);
        let row = &blotter[0];
        assert_eq!(
            (
                row.status.as_str(),
                row.quote_count,
                row.instrument_id.as_str(),
                row.trade_id.as_deref()
            ),
            ("TRADED", 1, "EUR/USD", Some("9"))
        );
        assert_eq!(store.trade_blotter("acme").await.unwrap().len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
