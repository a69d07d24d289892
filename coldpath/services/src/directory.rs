//! The directory: tenants, users and LPs by name, and the dense ids the engine knows them by.
//!
//! The engine indexes tenants, users and LPs by small integers; everything outside it speaks
//! names. The directory owns that mapping (both ways) so the journal can write names for the
//! ids in engine events and the services can resolve a token's user to the engine's ids. An id
//! is assigned once and never reused.

use std::collections::HashMap;
use std::sync::RwLock;

use orion_hotpath::rfq::{LpId, TenantId, UserId};

use orion_journal::Names;
use orion_store::reference::{Seed, SeedUser};

use crate::identity::DEMO_USERS;

/// Tenants of embedded mode in index order: two client tenants and the platform's own.
pub const TENANTS: &[&str] = &["acme", "globex", "orion"];

/// The LPs of embedded mode in index order, with their per-second RFQ throttle.
pub const LPS: &[(&str, i64)] = &[("lp-alpha", 5_000), ("lp-beta", 5_000), ("lp-gamma", 5_000)];

/// Names ↔ engine ids.
#[derive(Debug, Default)]
pub struct Directory {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tenants: Vec<String>,
    users: Vec<(String, String)>,
    lps: Vec<String>,
    tenant_ids: HashMap<String, TenantId>,
    user_ids: HashMap<String, UserId>,
}

impl Directory {
    /// The demo directory of embedded mode.
    pub fn demo() -> Self {
        let directory = Self::default();
        {
            let mut inner = directory.write();
            for tenant in TENANTS {
                let id = TenantId(inner.tenants.len() as u16);
                inner.tenants.push((*tenant).to_owned());
                inner.tenant_ids.insert((*tenant).to_owned(), id);
            }
            for user in DEMO_USERS {
                let id = UserId(inner.users.len() as u32);
                inner
                    .users
                    .push((user.tenant.to_owned(), user.username.to_owned()));
                inner.user_ids.insert(user.username.to_owned(), id);
            }
            inner.lps = LPS.iter().map(|(name, _)| (*name).to_owned()).collect();
        }
        directory
    }

    /// The engine id of a tenant.
    pub fn tenant_id(&self, tenant: &str) -> Option<TenantId> {
        self.read().tenant_ids.get(tenant).copied()
    }

    /// The engine id of a user of `tenant`.
    pub fn user_id(&self, tenant: &str, user: &str) -> Option<UserId> {
        let inner = self.read();
        let id = *inner.user_ids.get(user)?;
        (inner.users[id.0 as usize].0 == tenant).then_some(id)
    }

    /// The engine id of an LP.
    pub fn lp_id(&self, lp: &str) -> Option<LpId> {
        let inner = self.read();
        let index = inner.lps.iter().position(|l| l == lp)?;
        Some(LpId(index as u8))
    }

    /// How many LPs are registered.
    pub fn lp_count(&self) -> usize {
        self.read().lps.len()
    }

    /// How many tenants are registered.
    pub fn tenant_count(&self) -> usize {
        self.read().tenants.len()
    }

    /// The reference rows of the demo directory, for seeding the store.
    pub fn demo_seed(instruments: &orion_hotpath::InstrumentTable) -> Seed {
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
                })
                .collect(),
            instruments: instruments
                .iter()
                .map(|(id, spec)| orion_store::reference::SeedInstrument {
                    instrument_id: spec.symbol.clone(),
                    index: i64::from(id.raw()),
                    asset_class: spec.asset_class.as_str().to_owned(),
                    price_scale: i64::from(spec.price_scale),
                    size_scale: i64::from(spec.size_scale),
                    tick_size: spec.tick_size_decimal(),
                })
                .collect(),
            lps: LPS
                .iter()
                .enumerate()
                .map(|(i, (lp, throttle))| ((*lp).to_owned(), i as i64, *throttle))
                .collect(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Names for Directory {
    fn tenant(&self, id: TenantId) -> Option<String> {
        self.read().tenants.get(usize::from(id.0)).cloned()
    }

    fn user(&self, id: UserId) -> Option<String> {
        self.read().users.get(id.0 as usize).map(|(_, u)| u.clone())
    }

    fn lp(&self, id: LpId) -> Option<String> {
        self.read().lps.get(usize::from(id.0)).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_both_ways_within_the_tenant() {
        let d = Directory::demo();
        let acme = d.tenant_id("acme").unwrap();
        assert_eq!(d.tenant(acme).as_deref(), Some("acme"));
        let trader = d.user_id("acme", "trader@acme").unwrap();
        assert_eq!(d.user(trader).as_deref(), Some("trader@acme"));
        assert_eq!(d.user_id("globex", "trader@acme"), None, "tenant-scoped");
        assert_eq!(d.lp(LpId(1)).as_deref(), Some("lp-beta"));
        assert_eq!(d.lp(LpId(99)), None);
    }
}
