//! The directory's rows — tenants, users with their roles and entitlements, LPs, instruments,
//! venues, per-tenant feature flags — read whole at start; changes to them are written by the
//! journal's batch ([`crate::batch::DirectoryWrite`]) so they are ordered with every other
//! committed decision. Also the audit trail's reads and the identity provider's own audit
//! rows, and the refresh tokens revoked by a logout.

use sqlx::Row;

use crate::{Store, StoreError};

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// Id, e.g. `acme`.
    pub tenant_id: String,
    /// Engine index.
    pub index: i64,
}

/// A user with roles and entitlements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Tenant.
    pub tenant: String,
    /// Login name, e.g. `trader@acme`.
    pub user: String,
    /// Engine index.
    pub index: i64,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// May log in.
    pub enabled: bool,
    /// Roles.
    pub roles: Vec<String>,
    /// Entitled asset classes (`fx`, `rates`, `credit`).
    pub asset_classes: Vec<String>,
    /// Entitled instruments within those classes; empty = all of them.
    pub instruments: Vec<String>,
    /// Creation, ns since the epoch.
    pub created_at: i64,
}

/// A liquidity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpRecord {
    /// Id, e.g. `lp-alpha`.
    pub lp_id: String,
    /// Engine index.
    pub index: i64,
    /// Receives RFQs.
    pub enabled: bool,
    /// Asset classes it quotes.
    pub asset_classes: Vec<String>,
    /// RFQs per second it accepts.
    pub max_quotes_per_sec: i64,
    /// Spread it quotes at, when configured.
    pub spread_bps: Option<i64>,
}

/// An instrument's reference data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentRecord {
    /// Id, e.g. `EUR/SEK`.
    pub instrument_id: String,
    /// Engine index (its slot).
    pub index: i64,
    /// `fx`, `rates` or `credit`.
    pub asset_class: String,
    /// Decimal places of prices.
    pub price_scale: i64,
    /// Decimal places of sizes.
    pub size_scale: i64,
    /// Tick size (decimal).
    pub tick_size: String,
    /// Display symbol.
    pub symbol: String,
    /// Currency.
    pub currency: String,
    /// Lot size (decimal).
    pub lot_size: String,
    /// Tenor, where it has one.
    pub tenor: Option<String>,
    /// Trading hours, where set.
    pub trading_hours: Option<String>,
    /// Reference price the simulator starts from (decimal).
    pub reference_price: String,
}

/// A venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueRecord {
    /// Id.
    pub venue_id: String,
    /// `RFQ` or `CLOB`.
    pub execution_type: String,
    /// Instruments traded there.
    pub instruments: Vec<String>,
    /// Session windows (JSON text).
    pub session_windows: String,
}

/// A tenant's feature flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureFlags {
    /// Order management.
    pub oms: bool,
    /// The order book.
    pub clob: bool,
    /// Market-data replay.
    pub replay: bool,
}

impl Default for FeatureFlags {
    fn default() -> Self {
        Self {
            oms: true,
            clob: true,
            replay: true,
        }
    }
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When, ns since the epoch.
    pub at: i64,
    /// Tenant.
    pub tenant: String,
    /// Who.
    pub actor: String,
    /// What (`LOGIN`, `USER_CREATED`, `TRADE_EXECUTED`, …).
    pub action: String,
    /// Entity type.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Free-form detail.
    pub detail: String,
}

/// An audit search within one tenant (empty filters match everything).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Tenant.
    pub tenant: String,
    /// Actor.
    pub user: String,
    /// Action.
    pub action: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Most rows returned.
    pub limit: i64,
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Store {
    /// Every tenant.
    pub async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let rows = sqlx::query("SELECT tenant_id, tenant_index FROM tenants ORDER BY tenant_index")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| TenantRecord {
                tenant_id: r.get(0),
                index: r.get(1),
            })
            .collect())
    }

    /// Every user with roles and entitlements, by engine index.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant_id, user_id, user_index, password_hash, enabled, created_at FROM users ORDER BY user_index",
        )
        .fetch_all(&self.pool)
        .await?;
        let roles = sqlx::query("SELECT tenant_id, user_id, role FROM roles")
            .fetch_all(&self.pool)
            .await?;
        let classes = sqlx::query("SELECT tenant_id, user_id, asset_class FROM entitlements")
            .fetch_all(&self.pool)
            .await?;
        let instruments =
            sqlx::query("SELECT tenant_id, user_id, instrument_id FROM user_instruments")
                .fetch_all(&self.pool)
                .await?;
        let of = |rows: &[sqlx::any::AnyRow], tenant: &str, user: &str| -> Vec<String> {
            let mut v: Vec<String> = rows
                .iter()
                .filter(|r| r.get::<String, _>(0) == tenant && r.get::<String, _>(1) == user)
                .map(|r| r.get(2))
                .collect();
            v.sort();
            v
        };
        Ok(rows
            .iter()
            .map(|r| {
                let (tenant, user): (String, String) = (r.get(0), r.get(1));
                UserRecord {
                    roles: of(&roles, &tenant, &user),
                    asset_classes: of(&classes, &tenant, &user),
                    instruments: of(&instruments, &tenant, &user),
                    index: r.get(2),
                    password_hash: r.get(3),
                    enabled: r.get::<i64, _>(4) != 0,
                    created_at: r.get(5),
                    tenant,
                    user,
                }
            })
            .collect())
    }

    /// Every LP, by engine index.
    pub async fn lps(&self) -> Result<Vec<LpRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT lp_id, lp_index, enabled, asset_classes, max_rfqs_per_sec, spread_bps FROM liquidity_providers ORDER BY lp_index",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| LpRecord {
                lp_id: r.get(0),
                index: r.get(1),
                enabled: r.get::<i64, _>(2) != 0,
                asset_classes: list(&r.get::<String, _>(3)),
                max_quotes_per_sec: r.get(4),
                spread_bps: r.get(5),
            })
            .collect())
    }

    /// Every instrument, by engine index.
    pub async fn instruments(&self) -> Result<Vec<InstrumentRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT instrument_id, instrument_index, asset_class, price_scale, size_scale, tick_size, symbol, currency, \
             lot_size, tenor, trading_hours, reference_price FROM instruments ORDER BY instrument_index",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| InstrumentRecord {
                instrument_id: r.get(0),
                index: r.get(1),
                asset_class: r.get(2),
                price_scale: r.get(3),
                size_scale: r.get(4),
                tick_size: r.get(5),
                symbol: r.get(6),
                currency: r.get(7),
                lot_size: r.get(8),
                tenor: r.get(9),
                trading_hours: r.get(10),
                reference_price: r.get(11),
            })
            .collect())
    }

    /// Every venue.
    pub async fn venues(&self) -> Result<Vec<VenueRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT venue_id, execution_type, instruments, session_windows FROM venues ORDER BY venue_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| VenueRecord {
                venue_id: r.get(0),
                execution_type: r.get(1),
                instruments: list(&r.get::<String, _>(2)),
                session_windows: r.get(3),
            })
            .collect())
    }

    /// Every tenant's feature flags that were ever set.
    pub async fn feature_flags(&self) -> Result<Vec<(String, FeatureFlags)>, StoreError> {
        let rows = sqlx::query("SELECT tenant_id, oms, clob, replay FROM feature_flags")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    r.get(0),
                    FeatureFlags {
                        oms: r.get::<i64, _>(1) != 0,
                        clob: r.get::<i64, _>(2) != 0,
                        replay: r.get::<i64, _>(3) != 0,
                    },
                )
            })
            .collect())
    }

    /// Sets `hash` on users of `(tenant, user)` that have none yet (seeded before passwords
    /// were stored).
    pub async fn set_missing_password(
        &self,
        tenant: &str,
        user: &str,
        hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND user_id = $3 AND password_hash = ''",
        )
        .bind(hash)
        .bind(tenant)
        .bind(user)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes one audit row on its own (logins and logouts: nothing else changes with them).
    pub async fn append_audit(&self, audit_id: &str, row: &AuditRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (audit_id, tenant_id, actor, action, entity_type, entity_id, correlation_id, detail, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(audit_id)
        .bind(row.tenant.as_str())
        .bind(row.actor.as_str())
        .bind(row.action.as_str())
        .bind(row.entity_type.as_str())
        .bind(row.entity_id.as_str())
        .bind(row.correlation_id.as_str())
        .bind(row.detail.as_str())
        .bind(row.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The tenant's audit trail, newest first.
    pub async fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, tenant_id, actor, action, entity_type, entity_id, correlation_id, detail FROM audit_log \
             WHERE tenant_id = $1 AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3) \
             AND ($4 = '' OR correlation_id = $4) ORDER BY at DESC LIMIT $5",
        )
        .bind(q.tenant.as_str())
        .bind(q.user.as_str())
        .bind(q.action.as_str())
        .bind(q.correlation_id.as_str())
        .bind(q.limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| AuditRecord {
                at: r.get(0),
                tenant: r.get(1),
                actor: r.get(2),
                action: r.get(3),
                entity_type: r.get(4),
                entity_id: r.get(5),
                correlation_id: r.get(6),
                detail: r.get(7),
            })
            .collect())
    }

    /// Remembers a logged-out refresh token until it would have expired.
    pub async fn revoke_token(&self, token_id: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO revoked_tokens (token_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(token_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revoked tokens not yet expired at `now` (seconds); older ones are dropped.
    pub async fn revoked_tokens(&self, now: i64) -> Result<Vec<String>, StoreError> {
        sqlx::query("DELETE FROM revoked_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let rows = sqlx::query("SELECT token_id FROM revoked_tokens")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}
