//! Reference data: the demo tenants, users, roles, entitlements, instruments and LPs, written
//! on start (idempotently) so every row the engine indexes by position also exists in the store.

use orion_hotpath::InstrumentTable;

use super::{Store, StoreError};
use crate::identity::DEMO_USERS;

/// Tenants in index order.
pub const TENANTS: &[&str] = &["acme", "globex", "orion"];

/// The LP bots in index order, with their per-second RFQ throttle.
pub const LPS: &[(&str, i64)] = &[("lp-alpha", 5_000), ("lp-beta", 5_000), ("lp-gamma", 5_000)];

/// Writes reference rows that are missing.
pub async fn seed(store: &Store, instruments: &InstrumentTable) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    for (index, tenant) in TENANTS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO tenants (tenant_id, tenant_index) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(*tenant)
        .bind(index as i64)
        .execute(&mut *tx)
        .await?;
    }
    for (index, user) in DEMO_USERS.iter().enumerate() {
        sqlx::query("INSERT INTO users (tenant_id, user_id, user_index) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user.tenant)
            .bind(user.username)
            .bind(index as i64)
            .execute(&mut *tx)
            .await?;
        for role in user.roles {
            sqlx::query("INSERT INTO roles (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(user.tenant)
                .bind(user.username)
                .bind(*role)
                .execute(&mut *tx)
                .await?;
        }
        for class in user.entitlements {
            sqlx::query(
                "INSERT INTO entitlements (tenant_id, user_id, asset_class) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user.tenant)
            .bind(user.username)
            .bind(class.as_str())
            .execute(&mut *tx)
            .await?;
        }
    }
    for (id, spec) in instruments.iter() {
        sqlx::query(
            "INSERT INTO instruments (instrument_id, instrument_index, asset_class, price_scale, size_scale, tick_size) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(spec.symbol.as_str())
        .bind(i64::from(id.raw()))
        .bind(spec.asset_class.as_str())
        .bind(i64::from(spec.price_scale))
        .bind(i64::from(spec.size_scale))
        .bind(spec.tick_size_decimal())
        .execute(&mut *tx)
        .await?;
    }
    for (index, (lp, throttle)) in LPS.iter().enumerate() {
        sqlx::query(
            "INSERT INTO liquidity_providers (lp_id, lp_index, max_rfqs_per_sec) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(*lp)
        .bind(index as i64)
        .bind(*throttle)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_bridge::catalog::{default_catalog, instrument_table};

    #[tokio::test]
    async fn migrates_and_seeds_sqlite_twice() {
        let dir = std::env::temp_dir().join(format!("orion-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/orion.db", dir.display());
        let table = instrument_table(&default_catalog());
        for _ in 0..2 {
            let store = Store::connect(&url).await.unwrap();
            seed(&store, &table).await.unwrap();
            let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(users, DEMO_USERS.len() as i64);
            assert!(store.ping().await);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
