//! The blotter read models, projected from the event log, and each consumer's checkpoint.
//!
//! [`Store::apply_blotter_event`] records the event's id in `processed_events` and updates the
//! blotters in the same transaction — a redelivered event changes nothing. Events of one RFQ
//! travel on different topics, so they may arrive in any order: rows are upserted from
//! whichever event comes first, and a status only moves forward (`status_rank`; a trade's
//! settlement by `settlement_rank`, which orders attempts).
//!
//! The same statements write the live tables or their shadows ([`Blotters`]), which is how
//! `orion rebuild-read-models` rebuilds beside a running platform; [`Store::blotter_checksums`]
//! digests either side the same way.

use sqlx::{Any, Row, Transaction};

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
    /// A trade's post-trade state moved: confirmed, or a settlement step of `attempt`.
    PostTrade {
        /// The trade.
        trade_id: String,
        /// `CONFIRMED` when the event confirms the trade.
        confirmation: Option<&'static str>,
        /// The settlement state the event reports (`SETTLING`, `SETTLED`, `FAILED`,
        /// `FAILED_FINAL`) and the attempt it belongs to.
        settlement: Option<(&'static str, i64)>,
    },
    /// Nothing to project.
    None,
}

/// Which copy of the blotters a write goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blotters {
    /// The tables the platform serves.
    Live,
    /// The rebuild's copies beside them.
    Shadow,
}

impl Blotters {
    fn rfq_table(self) -> &'static str {
        match self {
            Blotters::Live => "rm_rfq_blotter",
            Blotters::Shadow => "shadow_rm_rfq_blotter",
        }
    }

    fn trade_table(self) -> &'static str {
        match self {
            Blotters::Live => "rm_trade_blotter",
            Blotters::Shadow => "shadow_rm_trade_blotter",
        }
    }

    fn tables(self) -> [&'static str; 2] {
        [self.rfq_table(), self.trade_table()]
    }
}

/// Rows and an order-independent digest of one projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// Projection name.
    pub projection: &'static str,
    /// Rows.
    pub rows: u64,
    /// Sum (mod 2^64) of a SHA-256 prefix of each row's canonical text.
    pub digest: u64,
}

/// Orders settlement steps: attempts in order, a failure after its request, terminal last.
pub fn settlement_rank(state: &str, attempt: i64) -> i64 {
    match state {
        "SETTLING" => attempt * 10 + 1,
        "FAILED" => attempt * 10 + 2,
        "SETTLED" | "FAILED_FINAL" => i64::MAX / 2,
        _ => 0,
    }
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
    /// Applies one event for `consumer` to the live blotters; `Ok(false)` when it was already
    /// applied.
    pub async fn apply_blotter_event(
        &self,
        consumer: &str,
        e: &BlotterEvent,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let fresh = apply_blotter(&mut tx, Blotters::Live, consumer, e, now).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// Applies `events` in one transaction to `target`; returns how many were new.
    pub async fn apply_blotter_events(
        &self,
        target: Blotters,
        consumer: &str,
        events: &[BlotterEvent],
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut fresh = 0;
        for e in events {
            fresh += usize::from(apply_blotter(&mut tx, target, consumer, e, now).await?);
        }
        tx.commit().await?;
        Ok(fresh)
    }

    /// Empties the shadow blotters and what `consumer` recorded as processed into them.
    pub async fn clear_shadow_blotters(&self, consumer: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let shadows = Blotters::Shadow.tables().map(str::to_owned);
        crate::shadow::clear(&mut tx, shadows, consumer).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the live blotters with the shadows and the live consumer's processed events
    /// with the rebuild's, and sets the live consumer's position to `position` (where the
    /// rebuilt log ended), in one transaction.
    pub async fn promote_shadow_blotters(
        &self,
        live_consumer: &str,
        shadow_consumer: &str,
        position: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let pairs = Blotters::Live
            .tables()
            .into_iter()
            .zip(Blotters::Shadow.tables())
            .map(|(live, shadow)| (live.to_owned(), shadow.to_owned()));
        crate::shadow::promote(&mut tx, pairs, live_consumer, shadow_consumer).await?;
        sqlx::query(
            "INSERT INTO consumer_offsets (consumer, position) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
        )
        .bind(live_consumer)
        .bind(position)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ids of the events `consumer` has applied, and the checksums of `target`, read in
    /// one transaction (so they describe the same moment).
    pub async fn blotter_snapshot(
        &self,
        consumer: &str,
        target: Blotters,
    ) -> Result<(std::collections::HashSet<String>, Vec<Checksum>), StoreError> {
        let mut tx = self.pool.begin().await?;
        let ids = crate::shadow::processed_ids(&mut tx, consumer).await?;
        let sums = checksums(&mut tx, target).await?;
        tx.commit().await?;
        Ok((ids, sums))
    }

    /// Each projection's rows of `target` as canonical text, for showing what differs.
    pub async fn blotter_rows(
        &self,
        target: Blotters,
    ) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = canonical_rows(&mut tx, target).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Rows and digests of `target`'s projections.
    pub async fn blotter_checksums(&self, target: Blotters) -> Result<Vec<Checksum>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let sums = checksums(&mut tx, target).await?;
        tx.commit().await?;
        Ok(sums)
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

    /// Outbox rows after `position`, in order (published or not: the local bus is the outbox).
    pub async fn outbox_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<crate::outbox::OutboxRow>, StoreError> {
        let rows = sqlx::query(crate::outbox::select_outbox!(
            "WHERE position > $1 ORDER BY position LIMIT $2"
        ))
        .bind(position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(crate::outbox::outbox_row).collect())
    }
}

/// The canonical columns of each projection: everything a reader sees except what depends on
/// the order of arrival (`updated_at`).
fn canonical_sql(target: Blotters) -> [(&'static str, String); 2] {
    [
        (
            "rfq_blotter",
            format!(
                "SELECT rfq_id, tenant_id, instrument_id, side, size, requester, status, \
                 CAST(quote_count AS TEXT), COALESCE(last_quote, ''), COALESCE(trade_id, ''), correlation_id FROM {}",
                target.rfq_table()
            ),
        ),
        (
            "trade_blotter",
            format!(
                "SELECT trade_id, tenant_id, rfq_id, instrument_id, side, size, price, lp_id, requester, executed_at, \
                 correlation_id, confirmation_status, settlement_status, CAST(settlement_attempts AS TEXT) FROM {}",
                target.trade_table()
            ),
        ),
    ]
}

/// Each projection's rows as canonical text (columns joined by U+241F).
async fn canonical_rows(
    tx: &mut Transaction<'static, Any>,
    target: Blotters,
) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
    let mut out = Vec::new();
    for (projection, sql) in canonical_sql(target) {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut **tx)
            .await?;
        let texts = rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.get::<String, _>(i))
                    .collect::<Vec<_>>()
                    .join("\u{241f}")
            })
            .collect();
        out.push((projection, texts));
    }
    Ok(out)
}

/// Rows and an order-independent digest per projection: the sum of a SHA-256 prefix of each
/// row's canonical text.
async fn checksums(
    tx: &mut Transaction<'static, Any>,
    target: Blotters,
) -> Result<Vec<Checksum>, StoreError> {
    Ok(canonical_rows(tx, target)
        .await?
        .into_iter()
        .map(|(projection, rows)| checksum(projection, &rows))
        .collect())
}

/// The rows and order-independent digest of `rows` (canonical texts): the sum of a SHA-256
/// prefix of each.
pub(crate) fn checksum(projection: &'static str, rows: &[String]) -> Checksum {
    use sha2::{Digest, Sha256};
    let digest = rows.iter().fold(0u64, |sum, row| {
        let hash = Sha256::digest(row.as_bytes());
        sum.wrapping_add(u64::from_be_bytes(
            hash[..8].try_into().expect("8 bytes of a SHA-256"),
        ))
    });
    Checksum {
        projection,
        rows: rows.len() as u64,
        digest,
    }
}

/// Applies one event inside `tx`; false when `consumer` had already applied it.
async fn apply_blotter(
    tx: &mut Transaction<'static, Any>,
    target: Blotters,
    consumer: &str,
    e: &BlotterEvent,
    now: i64,
) -> Result<bool, StoreError> {
    let fresh = sqlx::query(
        "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(e.event_id.as_str())
    .bind(e.tenant.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if fresh == 0 {
        return Ok(false);
    }
    let (rfq_table, trade_table) = (target.rfq_table(), target.trade_table());
    match &e.change {
        BlotterChange::Rfq {
            status,
            quotes,
            last_quote,
            trade,
        } => {
            // An order-book trade has no RFQ: only its trade row.
            let rfq_sql = format!(
                "INSERT INTO {rfq_table} (rfq_id, tenant_id, instrument_id, side, size, requester, status, status_rank, \
                 quote_count, last_quote, trade_id, correlation_id, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (rfq_id) DO UPDATE SET \
                 instrument_id = CASE WHEN excluded.instrument_id <> '' THEN excluded.instrument_id ELSE {rfq_table}.instrument_id END, \
                 side = CASE WHEN excluded.side <> '' THEN excluded.side ELSE {rfq_table}.side END, \
                 size = CASE WHEN excluded.size <> '' THEN excluded.size ELSE {rfq_table}.size END, \
                 requester = CASE WHEN excluded.requester <> '' THEN excluded.requester ELSE {rfq_table}.requester END, \
                 status = CASE WHEN excluded.status_rank > {rfq_table}.status_rank THEN excluded.status ELSE {rfq_table}.status END, \
                 status_rank = CASE WHEN excluded.status_rank > {rfq_table}.status_rank THEN excluded.status_rank ELSE {rfq_table}.status_rank END, \
                 quote_count = {rfq_table}.quote_count + excluded.quote_count, \
                 last_quote = COALESCE(excluded.last_quote, {rfq_table}.last_quote), \
                 trade_id = COALESCE(excluded.trade_id, {rfq_table}.trade_id), \
                 correlation_id = CASE WHEN excluded.status_rank = 1 THEN excluded.correlation_id ELSE {rfq_table}.correlation_id END, \
                 updated_at = excluded.updated_at"
            );
            if !e.rfq_id.is_empty() {
                sqlx::query(sqlx::AssertSqlSafe(rfq_sql))
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
                    .execute(&mut **tx)
                    .await?;
            }
            if let Some(t) = trade {
                // Post-trade events of this trade may have come first: fill the row in.
                let sql = format!(
                    "INSERT INTO {trade_table} (trade_id, tenant_id, rfq_id, instrument_id, side, size, price, lp_id, requester, \
                     executed_at, correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (trade_id) DO UPDATE SET rfq_id = excluded.rfq_id, instrument_id = excluded.instrument_id, \
                     side = excluded.side, size = excluded.size, price = excluded.price, lp_id = excluded.lp_id, \
                     requester = excluded.requester, executed_at = excluded.executed_at, correlation_id = excluded.correlation_id"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
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
                    .execute(&mut **tx)
                    .await?;
            }
        }
        BlotterChange::PostTrade {
            trade_id,
            confirmation,
            settlement,
        } => {
            let (state, attempt) = settlement.unwrap_or(("PENDING", 0));
            let rank = if settlement.is_some() {
                settlement_rank(state, attempt)
            } else {
                0
            };
            let sql = format!(
                "INSERT INTO {trade_table} (trade_id, tenant_id, rfq_id, instrument_id, side, size, price, lp_id, requester, \
                 executed_at, correlation_id, confirmation_status, settlement_status, settlement_rank, settlement_attempts) \
                 VALUES ($1, $2, '', '', '', '', '', '', '', '', '', $3, $4, $5, $6) \
                 ON CONFLICT (trade_id) DO UPDATE SET \
                 confirmation_status = CASE WHEN excluded.confirmation_status = 'CONFIRMED' THEN 'CONFIRMED' ELSE {trade_table}.confirmation_status END, \
                 settlement_status = CASE WHEN excluded.settlement_rank > {trade_table}.settlement_rank THEN excluded.settlement_status ELSE {trade_table}.settlement_status END, \
                 settlement_attempts = CASE WHEN excluded.settlement_attempts > {trade_table}.settlement_attempts THEN excluded.settlement_attempts ELSE {trade_table}.settlement_attempts END, \
                 settlement_rank = CASE WHEN excluded.settlement_rank > {trade_table}.settlement_rank THEN excluded.settlement_rank ELSE {trade_table}.settlement_rank END"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(trade_id.as_str())
                .bind(e.tenant.as_str())
                .bind(confirmation.unwrap_or("PENDING"))
                .bind(state)
                .bind(rank)
                .bind(attempt)
                .execute(&mut **tx)
                .await?;
        }
        BlotterChange::None => {}
    }
    Ok(true)
}
