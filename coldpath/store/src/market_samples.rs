//! Market samples (one mid and spread per instrument per second, bounded retention) and the
//! tenants' basket definitions computed from them.

use sqlx::Row;

use crate::{Store, StoreError};

/// One instrument's market in one second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketSample {
    /// Instrument id.
    pub instrument: String,
    /// Unix seconds.
    pub t: i64,
    /// Mid (decimal).
    pub mid: String,
    /// Ask minus bid (decimal).
    pub spread: String,
}

/// A basket as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasketRecord {
    /// Id, chosen by the tenant.
    pub basket_id: String,
    /// Name.
    pub name: String,
    /// The index's value at definition (decimal).
    pub base: String,
    /// `[{instrumentId, weight}]` as JSON.
    pub components: String,
    /// Definition (or last redefinition), ns since the epoch.
    pub defined_at: i64,
}

impl Store {
    /// Records `samples` (a second already sampled keeps its first sample).
    pub async fn record_samples(&self, samples: &[MarketSample]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for s in samples {
            sqlx::query(
                "INSERT INTO market_samples (instrument_id, t, mid, spread) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(s.instrument.as_str())
            .bind(s.t)
            .bind(s.mid.as_str())
            .bind(s.spread.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets samples older than `before` (unix seconds); returns how many.
    pub async fn prune_samples(&self, before: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query("DELETE FROM market_samples WHERE t < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// `instrument`'s samples from `since` (unix seconds), oldest first.
    pub async fn samples(
        &self,
        instrument: &str,
        since: i64,
    ) -> Result<Vec<MarketSample>, StoreError> {
        let rows = sqlx::query(
            "SELECT instrument_id, t, mid, spread FROM market_samples \
             WHERE instrument_id = $1 AND t >= $2 ORDER BY t",
        )
        .bind(instrument)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| MarketSample {
                instrument: r.get(0),
                t: r.get(1),
                mid: r.get(2),
                spread: r.get(3),
            })
            .collect())
    }

    /// Defines or redefines `tenant`'s basket.
    pub async fn save_basket(&self, tenant: &str, b: &BasketRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO analytics_baskets (tenant_id, basket_id, name, base, components, defined_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, basket_id) DO UPDATE SET \
             name = excluded.name, base = excluded.base, components = excluded.components, \
             defined_at = excluded.defined_at",
        )
        .bind(tenant)
        .bind(b.basket_id.as_str())
        .bind(b.name.as_str())
        .bind(b.base.as_str())
        .bind(b.components.as_str())
        .bind(b.defined_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// `tenant`'s baskets, by id.
    pub async fn baskets(&self, tenant: &str) -> Result<Vec<BasketRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT basket_id, name, base, components, defined_at FROM analytics_baskets \
             WHERE tenant_id = $1 ORDER BY basket_id",
        )
        .bind(tenant)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| BasketRecord {
                basket_id: r.get(0),
                name: r.get(1),
                base: r.get(2),
                components: r.get(3),
                defined_at: r.get(4),
            })
            .collect())
    }
}
