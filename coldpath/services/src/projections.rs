//! Read models: the RFQ and trade blotters (with each trade's confirmation and settlement
//! status), projected from the event log by the `blotters` consumer in the
//! [consumer runner](crate::consumer), the same code on Kafka and on the local bus.
//!
//! [`BlotterProjection`] takes a validated envelope, records its `eventId` in
//! `processed_events` and updates the blotters in the same transaction — a redelivered event
//! changes nothing. Events of one RFQ travel on different topics (lifecycle, quotes, trades,
//! settlement), so they may arrive in any order: rows are upserted from whichever event comes
//! first, and a status only moves forward (`status_rank`, `settlement_rank`).

use orion_store::Store;
use orion_store::read_models::{BlotterChange, BlotterEvent, TradeFacts};
use serde_json::Value;

use crate::consumer::{ApplyError, Event, Handler};

/// This consumer's name in `processed_events`, `consumer_offsets` and its Kafka group.
pub const CONSUMER: &str = "blotters";

/// The streams the blotters are projected from.
pub const STREAMS: &[&str] = &[
    "rfq.lifecycle",
    "rfq.quotes",
    "execution.trades",
    "posttrade.settlement",
];

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
    let attempt = p["attempt"].as_i64().unwrap_or(0);
    let post_trade = |confirmation, settlement| BlotterChange::PostTrade {
        trade_id: text(&p["tradeId"]),
        confirmation,
        settlement,
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
        "TradeConfirmed" => post_trade(Some("CONFIRMED"), None),
        "SettlementRequested" => post_trade(None, Some(("SETTLING", attempt))),
        "SettlementCompleted" => post_trade(None, Some(("SETTLED", attempt))),
        "SettlementFailed" if p["final"].as_bool() == Some(true) => {
            post_trade(None, Some(("FAILED_FINAL", attempt)))
        }
        "SettlementFailed" => post_trade(None, Some(("FAILED", attempt))),
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

/// Applies envelopes to the live blotters.
#[derive(Clone)]
pub struct BlotterProjection {
    store: Store,
}

impl BlotterProjection {
    /// A projection writing to `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Applies one envelope; `Ok(false)` when it was already applied or changes nothing.
    pub async fn apply_envelope(&self, envelope: &Value) -> Result<bool, ApplyError> {
        let event = blotter_event(envelope);
        if event.change == BlotterChange::None {
            return Ok(false);
        }
        let applied = self
            .store
            .apply_blotter_event(CONSUMER, &event, orion_bridge::clock::unix_nanos() as i64)
            .await?;
        if applied {
            metrics::counter!("orion_projection_events_total", "consumer" => CONSUMER).increment(1);
        }
        Ok(applied)
    }
}

impl Handler for BlotterProjection {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    fn streams(&self) -> &'static [&'static str] {
        STREAMS
    }

    async fn apply(&self, event: &Event) -> Result<bool, ApplyError> {
        self.apply_envelope(&event.envelope).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_store::rfqs::{PageRequest, TradeFilter};
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
        let mut trade = envelope(
            "e-3",
            "TradeExecuted",
            json!({"tradeId": "9", "rfqId": "7", "quoteId": "1", "lpId": "lp-alpha", "price": "1.08",
            "executedAt": "2026-11-21T08:00:02Z", "instrumentId": "EUR/USD", "side": "BUY", "size": "100.00", "requester": "trader@acme"}),
        );
        // The acceptance is a request of its own: its correlation id differs from the creation's.
        trade["correlationId"] = json!("c-accept");
        // Trade first, then the quote, then the creation, then everything again.
        for e in [&trade, &quote, &created] {
            assert!(projection.apply_envelope(e).await.unwrap());
        }
        for e in [&created, &quote, &trade] {
            assert!(
                !projection.apply_envelope(e).await.unwrap(),
                "redelivered events are skipped"
            );
        }
        let blotter = store
            .rfq_blotter("acme", "", "", &PageRequest::first(100))
            .await
            .unwrap();
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
        assert_eq!(
            row.correlation_id, "c-1",
            "the RFQ keeps its creating request's id"
        );
        assert_eq!(
            store
                .trade_blotter("acme", &TradeFilter::default(), &PageRequest::first(100))
                .await
                .unwrap()
                .len(),
            1
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn settlement_steps_only_move_forward_whatever_the_order_of_arrival() {
        let (store, dir) = store("settlement").await;
        let projection = BlotterProjection::new(store.clone());
        let step = |id: &str, event_type: &str, payload: Value| envelope(id, event_type, payload);
        let trade = step(
            "t-1",
            "TradeExecuted",
            json!({"tradeId": "9", "rfqId": "7", "quoteId": "1", "lpId": "lp-alpha", "price": "1.08",
            "executedAt": "2026-11-21T08:00:02Z", "instrumentId": "EUR/USD", "side": "BUY", "size": "100.00", "requester": "trader@acme"}),
        );
        let confirmed = step("t-2", "TradeConfirmed", json!({"tradeId": "9"}));
        let requested = |n: i64| {
            step(
                &format!("r-{n}"),
                "SettlementRequested",
                json!({"tradeId": "9", "attempt": n}),
            )
        };
        let failed = step(
            "f-1",
            "SettlementFailed",
            json!({"tradeId": "9", "attempt": 1, "final": false}),
        );
        let settled = step(
            "s-2",
            "SettlementCompleted",
            json!({"tradeId": "9", "attempt": 2}),
        );
        // The terminal step first, the trade itself last.
        for e in [
            &settled,
            &requested(2),
            &failed,
            &confirmed,
            &requested(1),
            &trade,
        ] {
            assert!(projection.apply_envelope(e).await.unwrap());
        }
        let rows = store
            .trade_blotter("acme", &TradeFilter::default(), &PageRequest::first(100))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(
            (
                row.price.as_str(),
                row.confirmation_status.as_str(),
                row.settlement_status.as_str(),
                row.settlement_attempts
            ),
            ("1.08", "CONFIRMED", "SETTLED", 2)
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
