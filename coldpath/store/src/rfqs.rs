//! RFQs, quotes, trades and stored idempotent answers, as the services and the journal read
//! them. Every read is scoped to a tenant where a client asked for it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// An RFQ's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfqRecord {
    /// Id.
    pub rfq_id: u64,
    /// Status (`SENT`, `QUOTING`, `TRADED`, …).
    pub status: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Instrument id.
    pub instrument_id: String,
    /// Decimal size.
    pub size: String,
    /// Expiry, ns since the epoch.
    pub expires_at: u64,
    /// Creation, ns since the epoch.
    pub created_at: u64,
    /// Requester.
    pub user_id: String,
    /// The trade, once traded.
    pub trade_id: Option<u64>,
    /// Creating request's correlation id.
    pub correlation_id: String,
    /// Mid at creation.
    pub mid: Option<String>,
    /// Smallest size a quote may cover (size units; 0 = the whole size).
    pub min_size: i64,
    /// Partial fills allowed.
    pub partial_allowed: bool,
}

/// A quote's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRecord {
    /// Id.
    pub quote_id: u64,
    /// LP.
    pub lp_id: String,
    /// Decimal price.
    pub price: String,
    /// Price units.
    pub price_units: i64,
    /// Size units the LP stands behind.
    pub size_units: i64,
    /// Validity, ns since the epoch.
    pub valid_until: u64,
    /// Receipt, ns since the epoch.
    pub received_at: u64,
    /// `LIVE`, `ACCEPTED`, `REJECTED`.
    pub status: String,
}

/// A trade's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeRecord {
    /// Id.
    pub trade_id: u64,
    /// RFQ.
    pub rfq_id: u64,
    /// Accepted quote.
    pub quote_id: u64,
    /// Requester.
    pub user_id: String,
    /// LP.
    pub lp_id: String,
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal price.
    pub price: String,
    /// Decimal size.
    pub size: String,
    /// Execution, ns since the epoch.
    pub executed_at: u64,
    /// Accepting request's correlation id.
    pub correlation_id: String,
    /// `PENDING` or `CONFIRMED`.
    pub confirmation_status: String,
    /// Settlement state.
    pub settlement_status: String,
    /// Filled less than the RFQ asked.
    pub partial: bool,
}

/// The immutable facts of an RFQ the journal writes into its later rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfqFacts {
    /// Tenant.
    pub tenant: String,
    /// Creating request's correlation id.
    pub correlation_id: String,
    /// Instrument id.
    pub instrument: String,
    /// Requester.
    pub user: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal size.
    pub size: String,
    /// Size units.
    pub size_units: i64,
    /// Creation, ns since the epoch.
    pub created_at: i64,
}

/// A row of the RFQ blotter read model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfqBlotterRow {
    /// Id.
    pub rfq_id: String,
    /// Latest status.
    pub status: String,
    /// Instrument id.
    pub instrument_id: String,
    /// Side.
    pub side: String,
    /// Size.
    pub size: String,
    /// Requester.
    pub requester: String,
    /// Quotes received.
    pub quote_count: i64,
    /// Last quoted price.
    pub last_quote: Option<String>,
    /// The trade.
    pub trade_id: Option<String>,
    /// Correlation id.
    pub correlation_id: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Where a page starts: after the row with this sort key and numeric id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Sort key of the last row of the previous page (execution time; empty for RFQs).
    pub key: String,
    /// Its numeric id.
    pub id: i64,
}

/// One page of a blotter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Rows at most.
    pub limit: i64,
    /// Start after this row; `None` = from the newest.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The first `limit` rows.
    pub fn first(limit: i64) -> Self {
        Self { limit, after: None }
    }
}

/// Which trades a blotter page holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeFilter {
    /// Instrument id; empty = any.
    pub instrument: String,
    /// Executed at or after (RFC 3339, nanoseconds); empty = open.
    pub from: String,
    /// Executed before; empty = open.
    pub to: String,
}

/// A row of the trade blotter read model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeBlotterRow {
    /// Id.
    pub trade_id: String,
    /// RFQ.
    pub rfq_id: String,
    /// Instrument id.
    pub instrument_id: String,
    /// Side.
    pub side: String,
    /// Size.
    pub size: String,
    /// Price.
    pub price: String,
    /// LP.
    pub lp_id: String,
    /// Requester.
    pub requester: String,
    /// Execution (RFC 3339).
    pub executed_at: String,
    /// Correlation id.
    pub correlation_id: String,
    /// `PENDING` or `CONFIRMED`.
    pub confirmation_status: String,
    /// Settlement state as the event log last reported it.
    pub settlement_status: String,
    /// Settlement attempts started.
    pub settlement_attempts: i64,
}

const TRADE_COLUMNS: &str = "trade_id, rfq_id, quote_id, user_id, lp_id, instrument_id, side, price, size, executed_at, \
     correlation_id, confirmation_status, settlement_status, partial";

pub(crate) fn trade_record(r: &AnyRow) -> TradeRecord {
    TradeRecord {
        trade_id: r.get::<i64, _>(0) as u64,
        rfq_id: r.get::<i64, _>(1) as u64,
        quote_id: r.get::<i64, _>(2) as u64,
        user_id: r.get(3),
        lp_id: r.get(4),
        instrument_id: r.get(5),
        side: r.get(6),
        price: r.get(7),
        size: r.get(8),
        executed_at: r.get::<i64, _>(9) as u64,
        correlation_id: r.get(10),
        confirmation_status: r.get(11),
        settlement_status: r.get(12),
        partial: r.get::<i64, _>(13) != 0,
    }
}

impl Store {
    /// The instrument of `rfq_id` when it is an RFQ of `tenant`.
    pub async fn rfq_instrument(
        &self,
        tenant: &str,
        rfq_id: u64,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT instrument_id FROM rfqs WHERE rfq_id = $1 AND tenant_id = $2")
                .bind(rfq_id as i64)
                .bind(tenant)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(i,)| i))
    }

    /// One RFQ of `tenant`.
    pub async fn rfq(&self, tenant: &str, rfq_id: u64) -> Result<Option<RfqRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT rfq_id, status, side, instrument_id, size, expires_at, created_at, user_id, trade_id, correlation_id, mid, \
             min_size, partial_allowed FROM rfqs WHERE rfq_id = $1 AND tenant_id = $2",
        )
        .bind(rfq_id as i64)
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| RfqRecord {
            rfq_id: r.get::<i64, _>(0) as u64,
            status: r.get(1),
            side: r.get(2),
            instrument_id: r.get(3),
            size: r.get(4),
            expires_at: r.get::<i64, _>(5) as u64,
            created_at: r.get::<i64, _>(6) as u64,
            user_id: r.get(7),
            trade_id: r.get::<Option<i64>, _>(8).map(|t| t as u64),
            correlation_id: r.get(9),
            mid: r.get(10),
            min_size: r.get(11),
            partial_allowed: r.get::<i64, _>(12) != 0,
        }))
    }

    /// The quotes of an RFQ.
    pub async fn quotes(&self, rfq_id: u64) -> Result<Vec<QuoteRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT quote_id, lp_id, price, price_units, valid_until, received_at, status, size_units FROM quotes WHERE rfq_id = $1",
        )
        .bind(rfq_id as i64)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|q| QuoteRecord {
                quote_id: q.get::<i64, _>(0) as u64,
                lp_id: q.get(1),
                price: q.get(2),
                price_units: q.get(3),
                valid_until: q.get::<i64, _>(4) as u64,
                received_at: q.get::<i64, _>(5) as u64,
                status: q.get(6),
                size_units: q.get(7),
            })
            .collect())
    }

    /// One trade of `tenant`.
    pub async fn trade(
        &self,
        tenant: &str,
        trade_id: u64,
    ) -> Result<Option<TradeRecord>, StoreError> {
        let sql =
            format!("SELECT {TRADE_COLUMNS} FROM trades WHERE trade_id = $1 AND tenant_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(trade_id as i64)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(trade_record))
    }

    /// The facts of an RFQ written by an earlier batch.
    pub async fn rfq_facts(&self, rfq_id: u64) -> Result<Option<RfqFacts>, StoreError> {
        type Facts = (String, String, String, String, String, String, i64, i64);
        let row: Option<Facts> = sqlx::query_as(
            "SELECT tenant_id, correlation_id, instrument_id, user_id, side, size, size_units, created_at FROM rfqs WHERE rfq_id = $1",
        )
        .bind(rfq_id as i64)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(tenant, correlation_id, instrument, user, side, size, size_units, created_at)| {
                RfqFacts {
                    tenant,
                    correlation_id,
                    instrument,
                    user,
                    side,
                    size,
                    size_units,
                    created_at,
                }
            },
        ))
    }

    /// The stored answer (JSON) of an idempotent request.
    pub async fn idempotent_answer(
        &self,
        tenant: &str,
        user: &str,
        operation: &str,
        key: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT response FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND operation = $3 AND idem_key = $4",
        )
        .bind(tenant)
        .bind(user)
        .bind(operation)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(answer,)| answer))
    }

    /// A page of the tenant's RFQ blotter, newest first (by RFQ id), optionally filtered
    /// (empty = any); `after` is the last RFQ id of the previous page.
    pub async fn rfq_blotter(
        &self,
        tenant: &str,
        status: &str,
        instrument: &str,
        page: &PageRequest,
    ) -> Result<Vec<RfqBlotterRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT rfq_id, status, instrument_id, side, size, requester, quote_count, last_quote, trade_id, correlation_id, updated_at \
             FROM rm_rfq_blotter WHERE tenant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR instrument_id = $3) \
             AND ($4 = 0 OR CAST(rfq_id AS BIGINT) < $4) \
             ORDER BY CAST(rfq_id AS BIGINT) DESC LIMIT $5",
        )
        .bind(tenant)
        .bind(status)
        .bind(instrument)
        .bind(page.after.as_ref().map_or(0, |c| c.id))
        .bind(page.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RfqBlotterRow {
                rfq_id: r.get(0),
                status: r.get(1),
                instrument_id: r.get(2),
                side: r.get(3),
                size: r.get(4),
                requester: r.get(5),
                quote_count: r.get(6),
                last_quote: r.get(7),
                trade_id: r.get(8),
                correlation_id: r.get(9),
                updated_at: r.get(10),
            })
            .collect())
    }

    /// A page of the tenant's trade blotter, newest first (execution time, then trade id),
    /// filtered by instrument and an execution-time range `[from, to)` (RFC 3339 with
    /// nanoseconds, as stored; empty = open); `after` is the last row of the previous page.
    pub async fn trade_blotter(
        &self,
        tenant: &str,
        filter: &TradeFilter,
        page: &PageRequest,
    ) -> Result<Vec<TradeBlotterRow>, StoreError> {
        let (after_at, after_id) = page
            .after
            .as_ref()
            .map_or((String::new(), 0), |c| (c.key.clone(), c.id));
        let rows = sqlx::query(
            "SELECT trade_id, rfq_id, instrument_id, side, size, price, lp_id, requester, executed_at, correlation_id, \
             confirmation_status, settlement_status, settlement_attempts \
             FROM rm_trade_blotter WHERE tenant_id = $1 AND executed_at <> '' \
             AND ($2 = '' OR instrument_id = $2) AND ($3 = '' OR executed_at >= $3) AND ($4 = '' OR executed_at < $4) \
             AND ($5 = '' OR executed_at < $5 OR (executed_at = $5 AND CAST(trade_id AS BIGINT) < $6)) \
             ORDER BY executed_at DESC, CAST(trade_id AS BIGINT) DESC LIMIT $7",
        )
        .bind(tenant)
        .bind(filter.instrument.as_str())
        .bind(filter.from.as_str())
        .bind(filter.to.as_str())
        .bind(after_at)
        .bind(after_id)
        .bind(page.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| TradeBlotterRow {
                trade_id: r.get(0),
                rfq_id: r.get(1),
                instrument_id: r.get(2),
                side: r.get(3),
                size: r.get(4),
                price: r.get(5),
                lp_id: r.get(6),
                requester: r.get(7),
                executed_at: r.get(8),
                correlation_id: r.get(9),
                confirmation_status: r.get(10),
                settlement_status: r.get(11),
                settlement_attempts: r.get(12),
            })
            .collect())
    }
}
