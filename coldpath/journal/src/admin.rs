//! Directory changes — users, LPs, instruments, venues, feature flags — rendered as the journal renders
//! engine decisions: the row, an audit entry and an event on `admin.changes`, staged into the
//! batch they were committed with.

use orion_store::batch::{DirectoryWrite, UserLimitUpsert};
use orion_store::directory::{FeatureFlags, InstrumentRecord, LpRecord, UserRecord, VenueRecord};
use serde_json::json;

use crate::{AdminChange, Committer};

/// What an administrator changed.
#[derive(Debug, Clone)]
pub enum DirectoryChange {
    /// A user was created, with optional limits.
    UserCreated {
        /// The user (password already hashed).
        user: UserRecord,
        /// `(max notional, RFQs per second)` when set at creation.
        limits: Option<(i64, i64)>,
    },
    /// A user was enabled or disabled.
    UserEnabled {
        /// Tenant.
        tenant: String,
        /// User.
        user: String,
        /// Enabled now.
        enabled: bool,
    },
    /// An LP was created or reconfigured.
    LpConfigured {
        /// The LP.
        lp: LpRecord,
    },
    /// An instrument was defined, or its reference data changed.
    InstrumentConfigured {
        /// The instrument.
        instrument: InstrumentRecord,
        /// True when it is new.
        created: bool,
    },
    /// A venue was created or reconfigured.
    VenueConfigured {
        /// The venue.
        venue: VenueRecord,
    },
    /// A tenant's feature flags were set.
    FeatureFlagsSet {
        /// Tenant.
        tenant: String,
        /// The flags.
        flags: FeatureFlags,
    },
}

impl Committer {
    /// Stages one directory change: its row, audit entry and `admin.changes` event.
    pub(crate) fn apply_admin(&self, change: &AdminChange) {
        let (p, at) = (&change.actor, change.at);
        let stamp = at as i64;
        match &change.change {
            DirectoryChange::UserCreated { user, limits } => {
                self.stage().directory.push(DirectoryWrite::User {
                    user: user.clone(),
                    at: stamp,
                });
                if let Some((max_notional, max_rfqs_per_sec)) = *limits {
                    self.stage().user_limits.push(UserLimitUpsert {
                        tenant: user.tenant.clone(),
                        user: user.user.clone(),
                        max_notional,
                        max_rfqs_per_sec,
                        at: stamp,
                    });
                }
                let payload = json!({
                    "userId": user.user, "tenantId": user.tenant, "change": "CREATED",
                    "enabled": user.enabled, "roles": user.roles, "assetClasses": user.asset_classes,
                    "instruments": user.instruments,
                });
                self.admin_event("UserUpdated", "User", &user.user, p, payload, at);
                self.audit(
                    p,
                    "USER_CREATED",
                    "User",
                    &user.user,
                    &user.roles.join(","),
                    at,
                );
            }
            DirectoryChange::UserEnabled {
                tenant,
                user,
                enabled,
            } => {
                self.stage().directory.push(DirectoryWrite::UserEnabled {
                    tenant: tenant.clone(),
                    user: user.clone(),
                    enabled: *enabled,
                    at: stamp,
                });
                let what = if *enabled { "ENABLED" } else { "DISABLED" };
                let payload = json!({
                    "userId": user, "tenantId": tenant, "change": what, "enabled": enabled,
                });
                self.admin_event("UserUpdated", "User", user, p, payload, at);
                self.audit(p, &format!("USER_{what}"), "User", user, "", at);
            }
            DirectoryChange::LpConfigured { lp } => {
                self.stage().directory.push(DirectoryWrite::Lp {
                    lp: lp.clone(),
                    at: stamp,
                });
                let payload = json!({
                    "lpId": lp.lp_id, "enabled": lp.enabled, "assetClasses": lp.asset_classes,
                    "maxQuotesPerSec": lp.max_quotes_per_sec, "spreadBps": lp.spread_bps,
                });
                self.admin_event("LPConfigUpdated", "LP", &lp.lp_id, p, payload, at);
                let detail = if lp.enabled { "enabled" } else { "disabled" };
                self.audit(p, "LP_CONFIGURED", "LP", &lp.lp_id, detail, at);
            }
            DirectoryChange::InstrumentConfigured {
                instrument: i,
                created,
            } => {
                self.stage().directory.push(DirectoryWrite::Instrument {
                    instrument: i.clone(),
                    at: stamp,
                });
                let what = if *created { "CREATED" } else { "UPDATED" };
                let payload = json!({
                    "instrumentId": i.instrument_id, "change": what, "assetClass": i.asset_class,
                    "symbol": i.symbol, "currency": i.currency, "tickSize": i.tick_size,
                    "lotSize": i.lot_size, "tenor": i.tenor, "tradingHours": i.trading_hours,
                    "referencePrice": i.reference_price,
                });
                self.admin_event(
                    "InstrumentUpdated",
                    "Instrument",
                    &i.instrument_id,
                    p,
                    payload,
                    at,
                );
                self.audit(
                    p,
                    &format!("INSTRUMENT_{what}"),
                    "Instrument",
                    &i.instrument_id,
                    "",
                    at,
                );
            }
            DirectoryChange::VenueConfigured { venue } => {
                self.stage().directory.push(DirectoryWrite::Venue {
                    venue: venue.clone(),
                    at: stamp,
                });
                let windows: serde_json::Value =
                    serde_json::from_str(&venue.session_windows).unwrap_or(json!([]));
                let payload = json!({
                    "venueId": venue.venue_id, "executionType": venue.execution_type,
                    "instruments": venue.instruments, "sessionWindows": windows,
                });
                self.admin_event("VenueUpdated", "Venue", &venue.venue_id, p, payload, at);
                self.audit(p, "VENUE_CONFIGURED", "Venue", &venue.venue_id, "", at);
            }
            DirectoryChange::FeatureFlagsSet { tenant, flags } => {
                self.stage().directory.push(DirectoryWrite::FeatureFlags {
                    tenant: tenant.clone(),
                    flags: *flags,
                    at: stamp,
                });
                let payload = json!({
                    "tenantId": tenant, "oms": flags.oms, "clob": flags.clob, "replay": flags.replay,
                });
                self.admin_event("FeatureFlagsUpdated", "Tenant", tenant, p, payload, at);
                self.audit(p, "FEATURE_FLAGS_CHANGED", "Tenant", tenant, "", at);
            }
        }
    }

    fn admin_event(
        &self,
        event_type: &str,
        entity_type: &str,
        entity_id: &str,
        p: &crate::PendingInfo,
        payload: serde_json::Value,
        at: u64,
    ) {
        self.outbox(
            event_type,
            "admin.changes",
            entity_id,
            &p.tenant,
            &p.correlation_id,
            entity_type,
            entity_id,
            payload,
            at,
        );
    }
}
