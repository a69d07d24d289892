//! The web workstation's reads and its one write: saved preferences, analytics samples and the
//! risk panel's state.

use sqlx::Row;

use crate::recovery::{KillSwitchRow, UserLimits};
use crate::{Store, StoreError};

impl Store {
    /// A user's saved preferences document (JSON text).
    pub async fn preferences(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT prefs FROM user_preferences WHERE tenant_id = $1 AND user_id = $2",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(p,)| p))
    }

    /// Replaces a user's preferences document.
    pub async fn save_preferences(
        &self,
        tenant: &str,
        user: &str,
        prefs: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO user_preferences (tenant_id, user_id, prefs, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (tenant_id, user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at",
        )
        .bind(tenant)
        .bind(user)
        .bind(prefs)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's latest `limit` quotes: `(lp, ns from the RFQ's creation to the quote)`.
    pub async fn quote_response_times(
        &self,
        tenant: &str,
        limit: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT q.lp_id, q.received_at - r.created_at FROM quotes q JOIN rfqs r ON r.rfq_id = q.rfq_id \
             WHERE q.tenant_id = $1 ORDER BY q.received_at DESC LIMIT $2",
        )
        .bind(tenant)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The tenant's trades since `since` (ns): `(executed_at, instrument, notional)`.
    pub async fn trades_since(
        &self,
        tenant: &str,
        since: i64,
    ) -> Result<Vec<(u64, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.executed_at, t.instrument_id, r.notional FROM trades t JOIN rfqs r ON r.rfq_id = t.rfq_id \
             WHERE t.tenant_id = $1 AND t.executed_at >= $2",
        )
        .bind(tenant)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<i64, _>(0) as u64, r.get(1), r.get(2)))
            .collect())
    }

    /// The tenant's kill switch and the global one, where they were ever set.
    pub async fn kill_switch_state(&self, tenant: &str) -> Result<Vec<KillSwitchRow>, StoreError> {
        Ok(self
            .kill_switches()
            .await?
            .into_iter()
            .filter(|k| k.scope == "global" || k.scope == format!("tenant:{tenant}"))
            .collect())
    }

    /// The tenant's open-notional limit, where one was set.
    pub async fn tenant_limit(&self, tenant: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT max_open_notional FROM tenant_limits WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(l,)| l))
    }

    /// The stored limits of the tenant's users.
    pub async fn tenant_user_limits(&self, tenant: &str) -> Result<Vec<UserLimits>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, user_id, max_notional, max_rfqs_per_sec FROM risk_limits WHERE tenant_id = $1",
        )
        .bind(tenant)
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
}
