//! The web workstation's own reads and writes: saved preferences, analytics samples and the
//! risk panel's state, scoped to the caller's tenant.

use orion_store::recovery::{KillSwitchRow, UserLimits};
use orion_store::{Store, StoreError};

/// Preferences, analytics samples and risk-panel reads.
#[derive(Clone, Debug)]
pub struct WorkstationService {
    store: Store,
}

impl WorkstationService {
    /// A service over `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// `instrument`'s market samples (mid and spread per second) from unix second `since`.
    pub async fn samples(
        &self,
        instrument: &str,
        since: i64,
    ) -> Result<Vec<orion_store::market_samples::MarketSample>, StoreError> {
        self.store.samples(instrument, since).await
    }

    /// A user's saved preferences document (JSON text).
    pub async fn preferences(
        &self,
        tenant: &str,
        user: &str,
    ) -> Result<Option<String>, StoreError> {
        self.store.preferences(tenant, user).await
    }

    /// Replaces a user's preferences document.
    pub async fn save_preferences(
        &self,
        tenant: &str,
        user: &str,
        prefs: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        self.store.save_preferences(tenant, user, prefs, at).await
    }

    /// The tenant's latest `limit` quotes: `(lp, ns from RFQ creation to quote)`.
    pub async fn quote_response_times(
        &self,
        tenant: &str,
        limit: i64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        self.store.quote_response_times(tenant, limit).await
    }

    /// The tenant's trades since `since` (ns): `(executed_at, instrument, notional)`.
    pub async fn trades_since(
        &self,
        tenant: &str,
        since: i64,
    ) -> Result<Vec<(u64, String, i64)>, StoreError> {
        self.store.trades_since(tenant, since).await
    }

    /// The tenant's kill switch and the global one, where ever set.
    pub async fn kill_switch_state(&self, tenant: &str) -> Result<Vec<KillSwitchRow>, StoreError> {
        self.store.kill_switch_state(tenant).await
    }

    /// The tenant's open-notional limit and its users' stored limits.
    pub async fn limits(&self, tenant: &str) -> Result<(Option<i64>, Vec<UserLimits>), StoreError> {
        Ok((
            self.store.tenant_limit(tenant).await?,
            self.store.tenant_user_limits(tenant).await?,
        ))
    }
}
