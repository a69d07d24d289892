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

use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use serde_json::Value;
use sqlx::Row;
use tokio::sync::watch;

use crate::store::Store;

/// This consumer's name in `processed_events`, `consumer_offsets` and its Kafka group.
pub const CONSUMER: &str = "blotters";

fn rank(status: &str) -> i64 {
    match status {
        "SENT" => 1,
        "QUOTING" => 2,
        _ => 3,
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
    pub async fn apply(&self, envelope: &Value) -> Result<bool, sqlx::Error> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let (event_id, event_type, tenant) = (
            text(&envelope["eventId"]),
            text(&envelope["eventType"]),
            text(&envelope["tenantId"]),
        );
        let (p, correlation, at) = (
            &envelope["payload"],
            text(&envelope["correlationId"]),
            text(&envelope["occurredAt"]),
        );
        let mut tx = self.store.pool().begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(CONSUMER)
        .bind(event_id.as_str())
        .bind(tenant.as_str())
        .bind(orion_bridge::clock::unix_nanos() as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let upsert = |status: &'static str,
                      quotes: i64,
                      last_quote: Option<String>,
                      trade_id: Option<String>| {
            sqlx::query(
                "INSERT INTO rm_rfq_blotter (rfq_id, tenant_id, instrument_id, side, size, requester, status, status_rank, \
                 quote_count, last_quote, trade_id, correlation_id, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (rfq_id) DO UPDATE SET \
                 instrument_id = CASE WHEN excluded.instrument_id <> '' THEN excluded.instrument_id ELSE rm_rfq_blotter.instrument_id END, \
                 side = CASE WHEN excluded.side <> '' THEN excluded.side ELSE rm_rfq_blotter.side END, \
                 size = CASE WHEN excluded.size <> '' THEN excluded.size ELSE rm_rfq_blotter.size END, \
                 requester = CASE WHEN excluded.requester <> '' THEN excluded.requester ELSE rm_rfq_blotter.requester END, \
                 status = CASE WHEN excluded.status_rank > rm_rfq_blotter.status_rank THEN excluded.status ELSE rm_rfq_blotter.status END, \
                 status_rank = CASE WHEN excluded.status_rank > rm_rfq_blotter.status_rank THEN excluded.status_rank ELSE rm_rfq_blotter.status_rank END, \
                 quote_count = rm_rfq_blotter.quote_count + excluded.quote_count, \
                 last_quote = COALESCE(excluded.last_quote, rm_rfq_blotter.last_quote), \
                 trade_id = COALESCE(excluded.trade_id, rm_rfq_blotter.trade_id), \
                 updated_at = excluded.updated_at",
            )
            .bind(text(&p["rfqId"]))
            .bind(tenant.clone())
            .bind(text(&p["instrumentId"]))
            .bind(text(&p["side"]))
            .bind(text(&p["size"]))
            .bind(text(&p["requester"]))
            .bind(status)
            .bind(rank(status))
            .bind(quotes)
            .bind(last_quote)
            .bind(trade_id)
            .bind(correlation.clone())
            .bind(at.clone())
        };
        match event_type.as_str() {
            "RFQCreated" => {
                upsert("SENT", 0, None, None).execute(&mut *tx).await?;
            }
            "QuoteReceived" => {
                upsert("QUOTING", 1, Some(text(&p["price"])), None)
                    .execute(&mut *tx)
                    .await?;
            }
            "RFQExpired" | "RFQCancelled" => {
                let status = if event_type == "RFQExpired" {
                    "EXPIRED"
                } else {
                    "CANCELLED"
                };
                upsert(status, 0, None, None).execute(&mut *tx).await?;
            }
            "TradeExecuted" => {
                upsert("TRADED", 0, None, Some(text(&p["tradeId"])))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO rm_trade_blotter (trade_id, tenant_id, rfq_id, instrument_id, side, size, price, lp_id, requester, \
                     executed_at, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
                )
                .bind(text(&p["tradeId"]))
                .bind(tenant.as_str())
                .bind(text(&p["rfqId"]))
                .bind(text(&p["instrumentId"]))
                .bind(text(&p["side"]))
                .bind(text(&p["size"]))
                .bind(text(&p["price"]))
                .bind(text(&p["lpId"]))
                .bind(text(&p["requester"]))
                .bind(text(&p["executedAt"]))
                .bind(correlation.as_str())
                .execute(&mut *tx)
                .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        metrics::counter!("orion_projection_events_total", "consumer" => CONSUMER).increment(1);
        Ok(true)
    }
}

/// Tails the outbox (the local bus) from this consumer's checkpoint until `shutdown`.
pub async fn run_local(projection: BlotterProjection, mut shutdown: watch::Receiver<bool>) {
    let store = projection.store.clone();
    let mut position: i64 =
        sqlx::query_scalar("SELECT position FROM consumer_offsets WHERE consumer = $1")
            .bind(CONSUMER)
            .fetch_optional(store.pool())
            .await
            .ok()
            .flatten()
            .unwrap_or(0);
    loop {
        let rows = sqlx::query("SELECT position, envelope FROM outbox_events WHERE position > $1 ORDER BY position LIMIT 500")
            .bind(position)
            .fetch_all(store.pool())
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(cause = %err, "projection could not read the outbox; retrying");
                Vec::new()
            }
        };
        for row in &rows {
            let envelope: Value =
                serde_json::from_str(&row.get::<String, _>(1)).unwrap_or(Value::Null);
            let mut backoff = Duration::from_millis(50);
            while let Err(err) = projection.apply(&envelope).await {
                tracing::warn!(cause = %err, "projection failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
            position = row.get(0);
        }
        if !rows.is_empty() {
            let _ = sqlx::query(
                "INSERT INTO consumer_offsets (consumer, position) VALUES ($1, $2) \
                 ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
            )
            .bind(CONSUMER)
            .bind(position)
            .execute(store.pool())
            .await;
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
        let (status, quotes, instrument, trade_id): (String, i64, String, Option<String>) =
            sqlx::query_as("SELECT status, quote_count, instrument_id, trade_id FROM rm_rfq_blotter WHERE rfq_id = '7'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(
            (
                status.as_str(),
                quotes,
                instrument.as_str(),
                trade_id.as_deref()
            ),
            ("TRADED", 1, "EUR/USD", Some("9"))
        );
        let (trades,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rm_trade_blotter")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(trades, 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
