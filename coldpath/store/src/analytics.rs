//! The analytics read models: the facts the `analytics` consumer records from events (trades
//! with the market at their decision, which LPs each RFQ went to, every quote), applied
//! idempotently through `processed_events`, with shadow copies and checksums for
//! `orion rebuild-read-models`. Measures (slippage, hit ratios, VWAP) are derived from these
//! facts by the services when read.

use sqlx::any::Any;
use sqlx::{Row, Transaction};

use crate::read_models::{Blotters, Checksum};
use crate::{Store, StoreError};

/// One trade as analytics record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsTrade {
    /// Id.
    pub trade_id: String,
    /// Tenant.
    pub tenant: String,
    /// `RFQ` or `CLOB`.
    pub venue: String,
    /// The RFQ (empty for a CLOB trade).
    pub rfq_id: String,
    /// The LP (`CLOB` on the order book).
    pub lp_id: String,
    /// Who traded.
    pub requester: String,
    /// Instrument id.
    pub instrument: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal size.
    pub size: String,
    /// Decimal price.
    pub price: String,
    /// The market when the trade was recorded (decimals; empty when there was none).
    pub bid: String,
    /// Ask.
    pub ask: String,
    /// Mid.
    pub mid: String,
    /// When the RFQ was created or the order placed, ns since the epoch.
    pub requested_at: i64,
    /// Execution, ns since the epoch.
    pub executed_at: i64,
}

/// One quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsQuote {
    /// Id.
    pub quote_id: String,
    /// Its RFQ.
    pub rfq_id: String,
    /// Its LP.
    pub lp_id: String,
    /// Decimal price.
    pub price: String,
    /// Receipt, ns since the epoch.
    pub received_at: i64,
}

/// What one event changes in the analytics read models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnalyticsChange {
    /// An RFQ was created with this side by this requester.
    Rfq {
        /// The RFQ.
        rfq_id: String,
        /// `BUY` or `SELL`.
        side: String,
        /// Who asked.
        requester: String,
    },
    /// An RFQ went to these LPs.
    Sent {
        /// The RFQ.
        rfq_id: String,
        /// The LPs.
        lps: Vec<String>,
        /// When, ns since the epoch.
        at: i64,
    },
    /// A quote arrived.
    Quote(AnalyticsQuote),
    /// A trade was executed (boxed: far larger than the other changes).
    Trade(Box<AnalyticsTrade>),
    /// Nothing analytics keep.
    None,
}

/// An event as analytics apply it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsEvent {
    /// Event id (the idempotency key).
    pub event_id: String,
    /// Tenant.
    pub tenant: String,
    /// The change.
    pub change: AnalyticsChange,
}

/// A stored trade with its RFQ's facts, as the services derive measures from it.
pub type TradeRow = AnalyticsTrade;

/// A stored quote with the side of its RFQ and when the RFQ was sent to its LP (both
/// unknown until those events arrived).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRow {
    /// The quote.
    pub quote: AnalyticsQuote,
    /// Its RFQ's side, when known.
    pub side: Option<String>,
    /// When the RFQ was sent to the LP, ns, when known.
    pub sent_at: Option<i64>,
}

fn table(target: Blotters, name: &str) -> String {
    match target {
        Blotters::Live => format!("rm_analytics_{name}"),
        Blotters::Shadow => format!("shadow_rm_analytics_{name}"),
    }
}

const TABLES: [&str; 4] = ["trades", "rfqs", "rfq_lps", "quotes"];

impl Store {
    /// Applies one event to the live analytics; false when `consumer` had already applied it.
    pub async fn apply_analytics_event(
        &self,
        consumer: &str,
        event: &AnalyticsEvent,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let fresh = apply(&mut tx, Blotters::Live, consumer, event, now).await?;
        tx.commit().await?;
        Ok(fresh)
    }

    /// Applies `events` to `target` in one transaction; returns how many were new.
    pub async fn apply_analytics_events(
        &self,
        target: Blotters,
        consumer: &str,
        events: &[AnalyticsEvent],
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut fresh = 0;
        for event in events {
            fresh += usize::from(apply(&mut tx, target, consumer, event, now).await?);
        }
        tx.commit().await?;
        Ok(fresh)
    }

    /// Empties the shadow analytics and what `consumer` recorded as processed into them.
    pub async fn clear_shadow_analytics(&self, consumer: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let shadows = TABLES.map(|name| table(Blotters::Shadow, name));
        crate::shadow::clear(&mut tx, shadows, consumer).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the live analytics with the shadows and `live_consumer`'s processed events
    /// with `shadow_consumer`'s, in one transaction.
    pub async fn promote_shadow_analytics(
        &self,
        live_consumer: &str,
        shadow_consumer: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let pairs = TABLES.map(|name| (table(Blotters::Live, name), table(Blotters::Shadow, name)));
        crate::shadow::promote(&mut tx, pairs, live_consumer, shadow_consumer).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ids `consumer` applied and `target`'s checksums, read in one transaction.
    pub async fn analytics_snapshot(
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

    /// Rows and digests of `target`'s analytics models.
    pub async fn analytics_checksums(&self, target: Blotters) -> Result<Vec<Checksum>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let sums = checksums(&mut tx, target).await?;
        tx.commit().await?;
        Ok(sums)
    }

    /// `tenant`'s trades executed in `[from, to)` (ns), of `instrument` when given, oldest
    /// first; of `requester` only when given (a trader sees their own trades).
    pub async fn analytics_trades(
        &self,
        tenant: &str,
        range: (i64, i64),
        instrument: Option<&str>,
        requester: Option<&str>,
    ) -> Result<Vec<TradeRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT trade_id, tenant_id, venue, rfq_id, lp_id, requester, instrument_id, side, size, price, \
             bid, ask, mid, requested_at, executed_at FROM rm_analytics_trades \
             WHERE tenant_id = $1 AND executed_at >= $2 AND executed_at < $3 \
             AND ($4 = '' OR instrument_id = $4) AND ($5 = '' OR requester = $5) \
             ORDER BY executed_at, trade_id",
        )
        .bind(tenant)
        .bind(range.0)
        .bind(range.1)
        .bind(instrument.unwrap_or_default())
        .bind(requester.unwrap_or_default())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AnalyticsTrade {
                trade_id: r.get(0),
                tenant: r.get(1),
                venue: r.get(2),
                rfq_id: r.get(3),
                lp_id: r.get(4),
                requester: r.get(5),
                instrument: r.get(6),
                side: r.get(7),
                size: r.get(8),
                price: r.get(9),
                bid: r.get(10),
                ask: r.get(11),
                mid: r.get(12),
                requested_at: r.get(13),
                executed_at: r.get(14),
            })
            .collect())
    }

    /// `tenant`'s quotes (on `requester`'s RFQs when given) with their RFQ's side and send
    /// time, and per LP how many RFQs it was sent.
    pub async fn analytics_quotes(
        &self,
        tenant: &str,
        requester: Option<&str>,
    ) -> Result<(Vec<QuoteRow>, Vec<(String, i64)>), StoreError> {
        let requester = requester.unwrap_or_default();
        let rows = sqlx::query(
            "SELECT q.quote_id, q.rfq_id, q.lp_id, q.price, q.received_at, r.side, s.sent_at \
             FROM rm_analytics_quotes q \
             LEFT JOIN rm_analytics_rfqs r ON r.rfq_id = q.rfq_id \
             LEFT JOIN rm_analytics_rfq_lps s ON s.rfq_id = q.rfq_id AND s.lp_id = q.lp_id \
             WHERE q.tenant_id = $1 AND ($2 = '' OR r.requester = $2) ORDER BY q.rfq_id, q.quote_id",
        )
        .bind(tenant)
        .bind(requester)
        .fetch_all(&self.pool)
        .await?;
        let quotes = rows
            .iter()
            .map(|r| QuoteRow {
                quote: AnalyticsQuote {
                    quote_id: r.get(0),
                    rfq_id: r.get(1),
                    lp_id: r.get(2),
                    price: r.get(3),
                    received_at: r.get(4),
                },
                side: r.get(5),
                sent_at: r.get(6),
            })
            .collect();
        let sent: Vec<(String, i64)> = sqlx::query_as(
            "SELECT s.lp_id, COUNT(*) FROM rm_analytics_rfq_lps s \
             LEFT JOIN rm_analytics_rfqs r ON r.rfq_id = s.rfq_id \
             WHERE s.tenant_id = $1 AND ($2 = '' OR r.requester = $2) GROUP BY s.lp_id ORDER BY s.lp_id",
        )
        .bind(tenant)
        .bind(requester)
        .fetch_all(&self.pool)
        .await?;
        Ok((quotes, sent))
    }
}

/// Applies one event inside `tx`; false when `consumer` had already applied it.
async fn apply(
    tx: &mut Transaction<'static, Any>,
    target: Blotters,
    consumer: &str,
    event: &AnalyticsEvent,
    now: i64,
) -> Result<bool, StoreError> {
    let fresh = sqlx::query(
        "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event.event_id.as_str())
    .bind(event.tenant.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if fresh == 0 {
        return Ok(false);
    }
    let tenant = event.tenant.as_str();
    match &event.change {
        AnalyticsChange::Rfq {
            rfq_id,
            side,
            requester,
        } => {
            let sql = format!(
                "INSERT INTO {} (rfq_id, tenant_id, side, requester) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                table(target, "rfqs")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(rfq_id.as_str())
                .bind(tenant)
                .bind(side.as_str())
                .bind(requester.as_str())
                .execute(&mut **tx)
                .await?;
        }
        AnalyticsChange::Sent { rfq_id, lps, at } => {
            let sql = format!(
                "INSERT INTO {} (rfq_id, lp_id, tenant_id, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                table(target, "rfq_lps")
            );
            for lp in lps {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(rfq_id.as_str())
                    .bind(lp.as_str())
                    .bind(tenant)
                    .bind(*at)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        AnalyticsChange::Quote(q) => {
            let sql = format!(
                "INSERT INTO {} (quote_id, rfq_id, lp_id, tenant_id, price, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                table(target, "quotes")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(q.quote_id.as_str())
                .bind(q.rfq_id.as_str())
                .bind(q.lp_id.as_str())
                .bind(tenant)
                .bind(q.price.as_str())
                .bind(q.received_at)
                .execute(&mut **tx)
                .await?;
        }
        AnalyticsChange::Trade(t) => {
            let sql = format!(
                "INSERT INTO {} (trade_id, tenant_id, venue, rfq_id, lp_id, requester, instrument_id, side, size, price, \
                 bid, ask, mid, requested_at, executed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING",
                table(target, "trades")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(t.trade_id.as_str())
                .bind(tenant)
                .bind(t.venue.as_str())
                .bind(t.rfq_id.as_str())
                .bind(t.lp_id.as_str())
                .bind(t.requester.as_str())
                .bind(t.instrument.as_str())
                .bind(t.side.as_str())
                .bind(t.size.as_str())
                .bind(t.price.as_str())
                .bind(t.bid.as_str())
                .bind(t.ask.as_str())
                .bind(t.mid.as_str())
                .bind(t.requested_at)
                .bind(t.executed_at)
                .execute(&mut **tx)
                .await?;
        }
        AnalyticsChange::None => {}
    }
    Ok(true)
}

/// Every column of each analytics model as canonical text, by projection name.
fn canonical_sql(target: Blotters) -> [(&'static str, String); 4] {
    [
        (
            "analytics_trades",
            format!(
                "SELECT trade_id, tenant_id, venue, rfq_id, lp_id, requester, instrument_id, side, size, price, \
                 bid, ask, mid, CAST(requested_at AS TEXT), CAST(executed_at AS TEXT) FROM {}",
                table(target, "trades")
            ),
        ),
        (
            "analytics_quotes",
            format!(
                "SELECT quote_id, rfq_id, lp_id, tenant_id, price, CAST(received_at AS TEXT) FROM {}",
                table(target, "quotes")
            ),
        ),
        (
            "analytics_rfqs",
            format!(
                "SELECT rfq_id, tenant_id, side, requester FROM {}",
                table(target, "rfqs")
            ),
        ),
        (
            "analytics_rfq_lps",
            format!(
                "SELECT rfq_id, lp_id, tenant_id, CAST(sent_at AS TEXT) FROM {}",
                table(target, "rfq_lps")
            ),
        ),
    ]
}

async fn checksums(
    tx: &mut Transaction<'static, Any>,
    target: Blotters,
) -> Result<Vec<Checksum>, StoreError> {
    let mut out = Vec::new();
    for (projection, sql) in canonical_sql(target) {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut **tx)
            .await?;
        let texts: Vec<String> = rows
            .iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| row.get::<String, _>(i))
                    .collect::<Vec<_>>()
                    .join("\u{241f}")
            })
            .collect();
        out.push(crate::read_models::checksum(projection, &texts));
    }
    Ok(out)
}
