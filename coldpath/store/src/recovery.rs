//! What the engine is rebuilt from on start: limits, kill switches, the id sequences, and the
//! open RFQs with their live quotes.

use sqlx::Row;

use crate::{Store, StoreError};

/// A user's stored limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLimits {
    /// Tenant.
    pub tenant: String,
    /// User.
    pub user: String,
    /// Per-RFQ notional.
    pub max_notional: i64,
    /// RFQs per second.
    pub max_rfqs_per_sec: i64,
}

/// A kill switch's stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KillSwitchRow {
    /// `global` or `tenant:<id>`.
    pub scope: String,
    /// Tenant (`*` for global).
    pub tenant: String,
    /// On or off.
    pub enabled: bool,
    /// Last change, ns since the epoch.
    pub changed_at: u64,
    /// Who changed it.
    pub changed_by: String,
}

/// The highest ids written, so new ones continue after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LastIds {
    /// Highest RFQ id.
    pub rfq: u64,
    /// Highest quote id.
    pub quote: u64,
    /// Highest trade id.
    pub trade: u64,
    /// Highest outbox position.
    pub outbox_position: i64,
}

/// An open RFQ's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRfqRow {
    /// Id.
    pub rfq_id: u64,
    /// Tenant.
    pub tenant: String,
    /// Requester.
    pub user: String,
    /// Instrument id.
    pub instrument: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Size units.
    pub size_units: i64,
    /// Expiry, ns.
    pub expires_at: u64,
    /// Notional.
    pub notional: i64,
    /// LPs asked (bit set).
    pub lps: u64,
    /// Smallest size a quote may cover.
    pub min_size: i64,
    /// Partial fills allowed.
    pub partial_allowed: bool,
}

/// A live quote's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveQuoteRow {
    /// Id.
    pub quote_id: u64,
    /// LP's engine index.
    pub lp_index: u8,
    /// LP's own quote id.
    pub lp_quote_id: u64,
    /// Price units.
    pub price_units: i64,
    /// Size units.
    pub size_units: i64,
    /// Validity, ns.
    pub valid_until: u64,
    /// Receipt, ns.
    pub received_at: u64,
}

impl Store {
    /// Every user's stored limits.
    pub async fn user_limits(&self) -> Result<Vec<UserLimits>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, user_id, max_notional, max_rfqs_per_sec FROM risk_limits",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| UserLimits {
                tenant: r.get(0),
                user: r.get(1),
                max_notional: r.get(2),
                max_rfqs_per_sec: r.get(3),
            })
            .collect())
    }

    /// Every tenant's stored open-notional limit: `(tenant, limit)`.
    pub async fn tenant_limits(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT tenant_id, max_open_notional FROM tenant_limits")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Every kill switch's stored state.
    pub async fn kill_switches(&self) -> Result<Vec<KillSwitchRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT scope, tenant_id, enabled, changed_at, changed_by FROM kill_switches",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| KillSwitchRow {
                scope: r.get(0),
                tenant: r.get(1),
                enabled: r.get::<i64, _>(2) != 0,
                changed_at: r.get::<i64, _>(3) as u64,
                changed_by: r.get(4),
            })
            .collect())
    }

    /// The highest ids written so far.
    pub async fn last_ids(&self) -> Result<LastIds, StoreError> {
        let (rfq, quote, trade, outbox_position): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(rfq_id), 0) FROM rfqs), (SELECT COALESCE(MAX(quote_id), 0) FROM quotes), \
             (SELECT COALESCE(MAX(trade_id), 0) FROM trades), (SELECT COALESCE(MAX(position), 0) FROM outbox_events)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(LastIds {
            rfq: rfq as u64,
            quote: quote as u64,
            trade: trade as u64,
            outbox_position,
        })
    }

    /// RFQs still `SENT` or `QUOTING`, oldest first.
    pub async fn open_rfqs(&self) -> Result<Vec<OpenRfqRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT rfq_id, tenant_id, user_id, instrument_id, side, size_units, expires_at, notional, lps, min_size, \
             partial_allowed FROM rfqs WHERE status IN ('SENT', 'QUOTING') ORDER BY rfq_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| OpenRfqRow {
                rfq_id: r.get::<i64, _>(0) as u64,
                tenant: r.get(1),
                user: r.get(2),
                instrument: r.get(3),
                side: r.get(4),
                size_units: r.get(5),
                expires_at: r.get::<i64, _>(6) as u64,
                notional: r.get(7),
                lps: r.get::<i64, _>(8) as u64,
                min_size: r.get(9),
                partial_allowed: r.get::<i64, _>(10) != 0,
            })
            .collect())
    }

    /// An RFQ's live quotes (at most `limit`), oldest first.
    pub async fn live_quotes(
        &self,
        rfq_id: u64,
        limit: i64,
    ) -> Result<Vec<LiveQuoteRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT quote_id, lp_index, lp_quote_id, price_units, size_units, valid_until, received_at FROM quotes \
             WHERE rfq_id = $1 AND status = 'LIVE' ORDER BY quote_id LIMIT $2",
        )
        .bind(rfq_id as i64)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|q| LiveQuoteRow {
                quote_id: q.get::<i64, _>(0) as u64,
                lp_index: q.get::<i64, _>(1) as u8,
                lp_quote_id: q.get::<String, _>(2).parse().unwrap_or(0),
                price_units: q.get(3),
                size_units: q.get(4),
                valid_until: q.get::<i64, _>(5) as u64,
                received_at: q.get::<i64, _>(6) as u64,
            })
            .collect())
    }
}
