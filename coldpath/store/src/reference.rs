//! Reference data — tenants, users, roles, entitlements, instruments and LPs with the engine
//! indexes the directory gave them — written on start, idempotently.

use super::{Store, StoreError};

/// A user to seed.
#[derive(Debug, Clone)]
pub struct SeedUser {
    /// Tenant.
    pub tenant: String,
    /// Login name.
    pub user: String,
    /// Engine index.
    pub index: i64,
    /// Roles.
    pub roles: Vec<String>,
    /// Entitled asset classes.
    pub asset_classes: Vec<String>,
    /// Argon2 PHC string of the password.
    pub password_hash: String,
}

/// An instrument to seed.
#[derive(Debug, Clone)]
pub struct SeedInstrument {
    /// Instrument id.
    pub instrument_id: String,
    /// Engine index.
    pub index: i64,
    /// Asset class.
    pub asset_class: String,
    /// Decimal places of prices.
    pub price_scale: i64,
    /// Decimal places of sizes.
    pub size_scale: i64,
    /// Tick size (decimal).
    pub tick_size: String,
    /// Reference price (decimal).
    pub reference_price: String,
}

/// Reference data written on first start.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    /// Tenants with their engine index.
    pub tenants: Vec<(String, i64)>,
    /// Users.
    pub users: Vec<SeedUser>,
    /// Instruments.
    pub instruments: Vec<SeedInstrument>,
    /// LPs with their engine index and per-second RFQ throttle.
    pub lps: Vec<(String, i64, i64)>,
}

/// Writes the reference rows of `seed` that are missing.
pub async fn seed(store: &Store, seed: &Seed) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    for (tenant, index) in &seed.tenants {
        sqlx::query(
            "INSERT INTO tenants (tenant_id, tenant_index) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(tenant.as_str())
        .bind(*index)
        .execute(&mut *tx)
        .await?;
    }
    for user in &seed.users {
        sqlx::query(
            "INSERT INTO users (tenant_id, user_id, user_index, password_hash) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(user.tenant.as_str())
        .bind(user.user.as_str())
        .bind(user.index)
        .bind(user.password_hash.as_str())
        .execute(&mut *tx)
        .await?;
        for role in &user.roles {
            sqlx::query("INSERT INTO roles (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(user.tenant.as_str())
                .bind(user.user.as_str())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        for class in &user.asset_classes {
            sqlx::query(
                "INSERT INTO entitlements (tenant_id, user_id, asset_class) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user.tenant.as_str())
            .bind(user.user.as_str())
            .bind(class.as_str())
            .execute(&mut *tx)
            .await?;
        }
    }
    for i in &seed.instruments {
        sqlx::query(
            "INSERT INTO instruments (instrument_id, instrument_index, asset_class, price_scale, size_scale, tick_size, \
             symbol, reference_price) VALUES ($1, $2, $3, $4, $5, $6, $1, $7) ON CONFLICT DO NOTHING",
        )
        .bind(i.instrument_id.as_str())
        .bind(i.index)
        .bind(i.asset_class.as_str())
        .bind(i.price_scale)
        .bind(i.size_scale)
        .bind(i.tick_size.as_str())
        .bind(i.reference_price.as_str())
        .execute(&mut *tx)
        .await?;
    }
    for (lp, index, throttle) in &seed.lps {
        sqlx::query(
            "INSERT INTO liquidity_providers (lp_id, lp_index, max_rfqs_per_sec) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(lp.as_str())
        .bind(*index)
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

    #[tokio::test]
    async fn migrates_and_seeds_sqlite_twice() {
        let dir = std::env::temp_dir().join(format!("orion-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/orion.db", dir.display());
        let data = Seed {
            tenants: vec![("acme".into(), 0)],
            users: vec![SeedUser {
                tenant: "acme".into(),
                user: "trader@acme".into(),
                index: 0,
                roles: vec!["ROLE_TRADER".into()],
                asset_classes: vec!["fx".into()],
                password_hash: "x".into(),
            }],
            instruments: vec![],
            lps: vec![("lp-alpha".into(), 0, 100)],
        };
        for _ in 0..2 {
            let store = Store::connect(&url).await.unwrap();
            seed(&store, &data).await.unwrap();
            let (users,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(users, 1);
            assert!(store.ping().await);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
