//! The directory: tenants, users, LPs, venues and feature flags as the store holds them, loaded
//! at start and changed at runtime, and the dense ids the engine knows parties by.
//!
//! The engine indexes tenants, users and LPs by small integers; everything outside it speaks
//! names. The directory assigns those ids (a new user takes the next free one; an id is never
//! reused) and maps both ways, so the journal writes names for the ids in engine events and the
//! services resolve a token's user to the engine's ids. Changes are made by [`crate::admin`],
//! which commits them through the journal first and only then applies them here.
//!
//! The demo data of embedded mode — tenants `acme`, `globex` and the platform's `orion`, the
//! demo users of [`crate::identity::DEMO_USERS`] and three LPs — is what [`Directory::demo_seed`]
//! writes into an empty store.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use orion_hotpath::InstrumentTable;
use orion_hotpath::rfq::{LpId, TenantId, UserId};
use orion_journal::Names;
pub use orion_store::directory::{
    FeatureFlags, InstrumentRecord, LpRecord, UserRecord, VenueRecord,
};
use orion_store::reference::{Seed, SeedInstrument, SeedUser};
use orion_store::{Store, StoreError};
use tokio::sync::broadcast;

use crate::identity::DEMO_USERS;

/// Tenants of embedded mode in index order: two client tenants and the platform's own.
pub const TENANTS: &[&str] = &["acme", "globex", "orion"];

/// The LPs of embedded mode in index order, with their per-second RFQ throttle.
pub const LPS: &[(&str, i64)] = &[("lp-alpha", 5_000), ("lp-beta", 5_000), ("lp-gamma", 5_000)];

/// Names ↔ engine ids, and everything the directory knows of each party.
#[derive(Debug)]
pub struct Directory {
    inner: RwLock<Inner>,
    /// Users disabled since start, for the sessions they hold open.
    disabled: broadcast::Sender<String>,
}

#[derive(Debug, Default)]
struct Inner {
    tenants: Vec<String>,
    tenant_ids: HashMap<String, TenantId>,
    /// By engine id; `None` for an id not (yet) held.
    users: Vec<Option<UserRecord>>,
    user_ids: HashMap<String, UserId>,
    lps: Vec<LpRecord>,
    venues: BTreeMap<String, VenueRecord>,
    flags: HashMap<String, FeatureFlags>,
    /// Reference data by engine index.
    instruments: BTreeMap<i64, InstrumentRecord>,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            inner: RwLock::default(),
            disabled: broadcast::channel(256).0,
        }
    }
}

impl Directory {
    /// The directory as `store` holds it.
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let directory = Self::default();
        let tenants = store.tenants().await?;
        let users = store.users().await?;
        let lps = store.lps().await?;
        let venues = store.venues().await?;
        let flags = store.feature_flags().await?;
        let instruments = store.instruments().await?;
        {
            let mut inner = directory.write();
            for t in tenants {
                inner
                    .tenant_ids
                    .insert(t.tenant_id.clone(), TenantId(t.index as u16));
                let slot = t.index as usize;
                if inner.tenants.len() <= slot {
                    inner.tenants.resize(slot + 1, String::new());
                }
                inner.tenants[slot] = t.tenant_id;
            }
            for u in users {
                inner.put_user(u);
            }
            let mut lps = lps;
            lps.sort_by_key(|l| l.index);
            inner.lps = lps;
            inner.venues = venues
                .into_iter()
                .map(|v| (v.venue_id.clone(), v))
                .collect();
            inner.flags = flags.into_iter().collect();
            inner.instruments = instruments.into_iter().map(|i| (i.index, i)).collect();
        }
        Ok(directory)
    }

    /// The reference rows of the demo directory, for seeding an empty store: the instruments
    /// of `instruments` with their reference prices (by id), every demo user with the password
    /// hashed as `password_hash`.
    pub fn demo_seed(
        instruments: &InstrumentTable,
        reference_prices: &[String],
        password_hash: &str,
    ) -> Seed {
        Seed {
            tenants: TENANTS
                .iter()
                .enumerate()
                .map(|(i, t)| ((*t).to_owned(), i as i64))
                .collect(),
            users: DEMO_USERS
                .iter()
                .enumerate()
                .map(|(i, u)| SeedUser {
                    tenant: u.tenant.to_owned(),
                    user: u.username.to_owned(),
                    index: i as i64,
                    roles: u.roles.iter().map(|r| (*r).to_owned()).collect(),
                    asset_classes: u
                        .entitlements
                        .iter()
                        .map(|c| c.as_str().to_owned())
                        .collect(),
                    password_hash: password_hash.to_owned(),
                })
                .collect(),
            instruments: instruments
                .iter()
                .map(|(id, spec)| SeedInstrument {
                    instrument_id: spec.symbol.clone(),
                    index: i64::from(id.raw()),
                    asset_class: spec.asset_class.as_str().to_owned(),
                    price_scale: i64::from(spec.price_scale),
                    size_scale: i64::from(spec.size_scale),
                    tick_size: spec.tick_size_decimal(),
                    reference_price: reference_prices
                        .get(id.index())
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect(),
            lps: LPS
                .iter()
                .enumerate()
                .map(|(i, (lp, throttle))| ((*lp).to_owned(), i as i64, *throttle))
                .collect(),
        }
    }

    /// The engine id of a tenant.
    pub fn tenant_id(&self, tenant: &str) -> Option<TenantId> {
        self.read().tenant_ids.get(tenant).copied()
    }

    /// The engine id of a user of `tenant`.
    pub fn user_id(&self, tenant: &str, user: &str) -> Option<UserId> {
        let inner = self.read();
        let id = *inner.user_ids.get(user)?;
        let held = inner.users.get(id.0 as usize)?.as_ref()?;
        (held.tenant == tenant).then_some(id)
    }

    /// A user by login name.
    pub fn user(&self, user: &str) -> Option<UserRecord> {
        let inner = self.read();
        let id = inner.user_ids.get(user)?;
        inner.users.get(id.0 as usize)?.clone()
    }

    /// True when `user` of `tenant` exists and may act.
    pub fn is_enabled(&self, tenant: &str, user: &str) -> bool {
        let inner = self.read();
        inner
            .user_ids
            .get(user)
            .and_then(|id| inner.users.get(id.0 as usize)?.as_ref())
            .is_some_and(|u| u.enabled && u.tenant == tenant)
    }

    /// The users of `tenant`, by engine id.
    pub fn users_of(&self, tenant: &str) -> Vec<UserRecord> {
        self.read()
            .users
            .iter()
            .flatten()
            .filter(|u| u.tenant == tenant)
            .cloned()
            .collect()
    }

    /// Every user, by engine id.
    pub fn all_users(&self) -> Vec<(UserId, UserRecord)> {
        self.read()
            .users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| Some((UserId(i as u32), u.clone()?)))
            .collect()
    }

    /// The next free user id.
    pub fn next_user_id(&self) -> UserId {
        UserId(self.read().users.len() as u32)
    }

    /// The engine id of an LP.
    pub fn lp_id(&self, lp: &str) -> Option<LpId> {
        let inner = self.read();
        let index = inner.lps.iter().position(|l| l.lp_id == lp)?;
        Some(LpId(index as u8))
    }

    /// Every LP, by engine id.
    pub fn lps(&self) -> Vec<LpRecord> {
        self.read().lps.clone()
    }

    /// How many LPs are registered.
    pub fn lp_count(&self) -> usize {
        self.read().lps.len()
    }

    /// How many tenants are registered.
    pub fn tenant_count(&self) -> usize {
        self.read().tenants.len()
    }

    /// Every instrument's reference data, by engine index.
    pub fn instruments(&self) -> Vec<InstrumentRecord> {
        self.read().instruments.values().cloned().collect()
    }

    /// One instrument's reference data.
    pub fn instrument(&self, instrument_id: &str) -> Option<InstrumentRecord> {
        self.read()
            .instruments
            .values()
            .find(|i| i.instrument_id == instrument_id)
            .cloned()
    }

    /// Records a committed instrument.
    pub fn put_instrument(&self, instrument: InstrumentRecord) {
        self.write()
            .instruments
            .insert(instrument.index, instrument);
    }

    /// Every venue.
    pub fn venues(&self) -> Vec<VenueRecord> {
        self.read().venues.values().cloned().collect()
    }

    /// A tenant's feature flags (everything on until set).
    pub fn feature_flags(&self, tenant: &str) -> FeatureFlags {
        self.read().flags.get(tenant).copied().unwrap_or_default()
    }

    /// Users disabled from now on, by login name.
    pub fn subscribe_disabled(&self) -> broadcast::Receiver<String> {
        self.disabled.subscribe()
    }

    /// Records a committed new user (or replaces one).
    pub fn put_user(&self, user: UserRecord) {
        self.write().put_user(user);
    }

    /// Records a committed enable or disable; sessions of a disabled user are told.
    pub fn set_enabled(&self, user: &str, enabled: bool) {
        let mut inner = self.write();
        if let Some(id) = inner.user_ids.get(user).copied() {
            if let Some(Some(u)) = inner.users.get_mut(id.0 as usize) {
                u.enabled = enabled;
            }
        }
        drop(inner);
        if !enabled {
            let _ = self.disabled.send(user.to_owned());
        }
    }

    /// Records a committed LP (its index is its engine id).
    pub fn put_lp(&self, lp: LpRecord) {
        let mut inner = self.write();
        let (slot, len) = (lp.index as usize, inner.lps.len());
        if slot < len {
            inner.lps[slot] = lp;
        } else if slot == len {
            inner.lps.push(lp);
        } else {
            tracing::error!(lp = lp.lp_id, slot, "LP index out of order; not recorded");
        }
    }

    /// Records a committed venue.
    pub fn put_venue(&self, venue: VenueRecord) {
        self.write().venues.insert(venue.venue_id.clone(), venue);
    }

    /// Records a tenant's committed feature flags.
    pub fn put_feature_flags(&self, tenant: &str, flags: FeatureFlags) {
        self.write().flags.insert(tenant.to_owned(), flags);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn put_user(&mut self, user: UserRecord) {
        let slot = user.index as usize;
        if self.users.len() <= slot {
            self.users.resize(slot + 1, None);
        }
        self.user_ids.insert(user.user.clone(), UserId(slot as u32));
        self.users[slot] = Some(user);
    }
}

impl Names for Directory {
    fn tenant(&self, id: TenantId) -> Option<String> {
        self.read()
            .tenants
            .get(usize::from(id.0))
            .filter(|t| !t.is_empty())
            .cloned()
    }

    fn user(&self, id: UserId) -> Option<String> {
        self.read()
            .users
            .get(id.0 as usize)?
            .as_ref()
            .map(|u| u.user.clone())
    }

    fn lp(&self, id: LpId) -> Option<String> {
        self.read()
            .lps
            .get(usize::from(id.0))
            .map(|l| l.lp_id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_bridge::catalog::{default_catalog, instrument_table};

    #[tokio::test]
    async fn loads_what_was_seeded_and_resolves_names_both_ways() {
        let dir = std::env::temp_dir().join(format!("orion-directory-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::connect(&format!("sqlite://{}/d.db", dir.display()))
            .await
            .unwrap();
        let table = instrument_table(&default_catalog());
        orion_store::reference::seed(&store, &Directory::demo_seed(&table, &[], "hash"))
            .await
            .unwrap();
        let d = Directory::load(&store).await.unwrap();
        let acme = d.tenant_id("acme").unwrap();
        assert_eq!(d.tenant(acme).as_deref(), Some("acme"));
        let trader = d.user_id("acme", "trader@acme").unwrap();
        assert_eq!(Names::user(&d, trader).as_deref(), Some("trader@acme"));
        assert_eq!(d.user_id("globex", "trader@acme"), None, "tenant-scoped");
        assert_eq!(d.lp(LpId(1)).as_deref(), Some("lp-beta"));
        assert_eq!(d.lp(LpId(99)), None);
        let ops = d.user("ops@orion").unwrap();
        assert_eq!(ops.roles, ["ROLE_PLATFORM"]);
        assert!(d.is_enabled("orion", "ops@orion"));
        assert_eq!(d.next_user_id(), UserId(DEMO_USERS.len() as u32));

        let mut disabled = d.subscribe_disabled();
        d.set_enabled("trader@acme", false);
        assert!(!d.is_enabled("acme", "trader@acme"));
        assert_eq!(disabled.try_recv().unwrap(), "trader@acme");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
