//! The blotter read models, projected from the event log, and each consumer's checkpoint.
//!
//! [`Store::apply_blotter_event`] records the event's id in `processed_events` and updates the
//! blotters in the same transaction — a redelivered event changes nothing. Events of one RFQ
//! travel on different topics, so they may arrive in any order: rows are upserted from
//! whichever event comes first, and a status only moves forward (`status_rank`).

use sqlx::Row;

use crate::{Store, StoreError};

/// What one event changes in the blotters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlotterChange {
    /// The RFQ reached `status` (`SENT`, `QUOTING`, `EXPIRED`, `CANCELLED`, `TRADED`); a quote
    /// adds one to its count and sets the last quoted price; a trade also lands in the trade
    /// blotter.
    Rfq {
        /// New status.
        status: &'static str,
        /// Quotes this event adds (0 or 1).
        quotes: i64,
        /// Quoted price, for a quote.
        last_quote: Option<String>,
        /// The trade, for a trade.
        trade: Option<TradeFacts>,
    },
    /// Nothing to project.
    None,
}

/// The trade blotter's facts of a trade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeFacts {
    /// Id.
    pub trade_id: String,
    /// Price.
    pub price: String,
    /// LP.
    pub lp_id: String,
    /// Execution time (RFC 3339).
    pub executed_at: String,
}

/// One event as the blotters see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlotterEvent {
    /// The event's id (deduplication key).
    pub event_id: String,
    /// Tenant.
    pub tenant: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Occurrence (RFC 3339).
    pub occurred_at: String,
    /// The RFQ.
    pub rfq_id: String,
    /// Instrument id, when the event carries it (else empty).
    pub instrument_id: String,
    /// Side, when carried.
    pub side: String,
    /// Size, when carried.
    pub size: String,
    /// Requester, when carried.
    pub requester: String,
    /// What changes.
    pub change: BlotterChange,
}

fn rank(status: &str) -> i64 {
    match status {
        "SENT" => 1,
        "QUOTING" => 2,
        _ => 3,
    }
}

impl Store {
    /// Applies one event for `consumer`; `Ok(false)` when it was already applied.
    pub async fn apply_blotter_event(
        &self,
        consumer: &str,
        e: &BlotterEvent,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(consumer)
        .bind(e.event_id.as_str())
        .bind(e.tenant.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let BlotterChange::Rfq {
            status,
            quotes,
            last_quote,
            trade,
        } = &e.change
        {
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
            .bind(e.rfq_id.as_str())
            .bind(e.tenant.as_str())
            .bind(e.instrument_id.as_str())
            .bind(e.side.as_str())
            .bind(e.size.as_str())
            .bind(e.requester.as_str())
            .bind(*status)
            .bind(rank(status))
            .bind(*quotes)
            .bind(last_quote.clone())
            .bind(trade.as_ref().map(|t| t.trade_id.clone()))
            .bind(e.correlation_id.as_str())
            .bind(e.occurred_at.as_str())
            .execute(&mut *tx)
            .await?;
            if let Some(t) = trade {
                sqlx::query(
                    "INSERT INTO rm_trade_blotter (trade_id, tenant_id, rfq_id, instrument_id, side, size, price, lp_id, requester, \
                     executed_at, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
                )
                .bind(t.trade_id.as_str())
                .bind(e.tenant.as_str())
                .bind(e.rfq_id.as_str())
                .bind(e.instrument_id.as_str())
                .bind(e.side.as_str())
                .bind(e.size.as_str())
                .bind(t.price.as_str())
                .bind(t.lp_id.as_str())
                .bind(e.requester.as_str())
                .bind(t.executed_at.as_str())
                .bind(e.correlation_id.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The outbox position `consumer` has applied up to (0 when it never ran).
    pub async fn consumer_position(&self, consumer: &str) -> Result<i64, StoreError> {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT position FROM consumer_offsets WHERE consumer = $1")
                .bind(consumer)
                .fetch_optional(&self.pool)
                .await?;
        Ok(position.unwrap_or(0))
    }

    /// Records that `consumer` has applied everything up to `position`.
    pub async fn save_consumer_position(
        &self,
        consumer: &str,
        position: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO consumer_offsets (consumer, position) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
        )
        .bind(consumer)
        .bind(position)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Outbox envelopes after `position`, in order: `(position, envelope)`.
    pub async fn outbox_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, envelope FROM outbox_events WHERE position > $1 ORDER BY position LIMIT $2",
        )
        .bind(position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
