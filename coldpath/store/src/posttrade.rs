//! Post-trade reads: stored confirmations, the settlement sagas' state (what is due, what is
//! unsettled) and users' notifications. Their writes go through the journal's batches
//! ([`crate::batch::PostTradeWrite`]), so the events they emit are ordered with every other.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::rfqs::TradeRecord;
use crate::{Store, StoreError};

/// One trade's settlement saga.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRecord {
    /// The trade.
    pub trade_id: u64,
    /// Tenant.
    pub tenant: String,
    /// The trade's owner.
    pub owner: String,
    /// `PENDING`, `SETTLING`, `SETTLED`, `FAILED`, `RETRYING`, `FAILED_FINAL`.
    pub state: String,
    /// Attempts started.
    pub attempt: i64,
    /// When the saga's next step is due, ns since the epoch.
    pub next_attempt_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

/// A notification addressed to one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Id.
    pub notification_id: String,
    /// Tenant.
    pub tenant: String,
    /// Recipient.
    pub user: String,
    /// What happened (an event type).
    pub event: String,
    /// `INFO`, `WARNING`, `CRITICAL`.
    pub severity: String,
    /// The entity it is about.
    pub entity_id: String,
    /// Human text.
    pub message: String,
    /// ns since the epoch.
    pub created_at: i64,
}

const SETTLEMENT_COLUMNS: &str =
    "trade_id, tenant_id, owner, state, attempt, next_attempt_at, updated_at";

fn settlement(r: &AnyRow, at: usize) -> SettlementRecord {
    SettlementRecord {
        trade_id: r.get::<i64, _>(at) as u64,
        tenant: r.get(at + 1),
        owner: r.get(at + 2),
        state: r.get(at + 3),
        attempt: r.get(at + 4),
        next_attempt_at: r.get(at + 5),
        updated_at: r.get(at + 6),
    }
}

impl Store {
    /// The stored confirmation document of a trade of `tenant`.
    pub async fn confirmation(
        &self,
        tenant: &str,
        trade_id: u64,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT document FROM trade_confirmations WHERE trade_id = $1 AND tenant_id = $2",
        )
        .bind(trade_id as i64)
        .bind(tenant)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// True when the trade has its confirmation.
    pub async fn is_confirmed(&self, trade_id: u64) -> Result<bool, StoreError> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM trade_confirmations WHERE trade_id = $1")
                .bind(trade_id as i64)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// A trade's saga (any tenant when `tenant` is `None`).
    pub async fn settlement(
        &self,
        tenant: Option<&str>,
        trade_id: u64,
    ) -> Result<Option<SettlementRecord>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SETTLEMENT_COLUMNS} FROM settlement_status WHERE trade_id = $1 AND ($2 = '' OR tenant_id = $2)"
        )))
        .bind(trade_id as i64)
        .bind(tenant.unwrap_or(""))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| settlement(&r, 0)))
    }

    /// Sagas not in a terminal state whose next step is due at `now`, the most overdue first.
    pub async fn due_settlements(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<SettlementRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SETTLEMENT_COLUMNS} FROM settlement_status \
             WHERE next_attempt_at <= $1 AND state NOT IN ('SETTLED', 'FAILED_FINAL') \
             ORDER BY next_attempt_at, trade_id LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| settlement(r, 0)).collect())
    }

    /// The tenant's trades that are not `SETTLED`, oldest first, with their sagas (none yet
    /// for a trade not confirmed).
    pub async fn unsettled(
        &self,
        tenant: &str,
    ) -> Result<Vec<(TradeRecord, Option<SettlementRecord>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.trade_id, t.rfq_id, t.quote_id, t.user_id, t.lp_id, t.instrument_id, t.side, t.price, t.size, \
             t.executed_at, t.correlation_id, t.confirmation_status, t.settlement_status, t.partial, \
             s.trade_id, s.tenant_id, s.owner, s.state, s.attempt, s.next_attempt_at, s.updated_at \
             FROM trades t LEFT JOIN settlement_status s ON s.trade_id = t.trade_id \
             WHERE t.tenant_id = $1 AND t.settlement_status <> 'SETTLED' ORDER BY t.executed_at, t.trade_id",
        )
            .bind(tenant)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let saga = r.get::<Option<i64>, _>(14).map(|_| settlement(r, 14));
                (crate::rfqs::trade_record(r), saga)
            })
            .collect())
    }

    /// The user's latest notifications, newest first.
    pub async fn notifications(
        &self,
        tenant: &str,
        user: &str,
        limit: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT notification_id, tenant_id, user_id, event, severity, entity_id, message, created_at FROM notifications \
             WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC LIMIT $3",
        )
        .bind(tenant)
        .bind(user)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| NotificationRecord {
                notification_id: r.get(0),
                tenant: r.get(1),
                user: r.get(2),
                event: r.get(3),
                severity: r.get(4),
                entity_id: r.get(5),
                message: r.get(6),
                created_at: r.get(7),
            })
            .collect())
    }

    /// Stores notifications and records that `consumer` applied `event_id`, in one
    /// transaction; false (and nothing stored) when it already had.
    pub async fn insert_notifications(
        &self,
        consumer: &str,
        event_id: &str,
        notes: &[NotificationRecord],
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let tenant = notes.first().map(|n| n.tenant.as_str()).unwrap_or("");
        let at = notes.first().map(|n| n.created_at).unwrap_or(0);
        let fresh = sqlx::query(
            "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(consumer)
        .bind(event_id)
        .bind(tenant)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(false);
        }
        for n in notes {
            sqlx::query(
                "INSERT INTO notifications (notification_id, tenant_id, user_id, event, severity, entity_id, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(n.notification_id.as_str())
            .bind(n.tenant.as_str())
            .bind(n.user.as_str())
            .bind(n.event.as_str())
            .bind(n.severity.as_str())
            .bind(n.entity_id.as_str())
            .bind(n.message.as_str())
            .bind(n.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
