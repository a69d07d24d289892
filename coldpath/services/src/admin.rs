//! Administration: users (create, list, disable, enable), instruments, LPs, venues, per-tenant
//! feature flags, and the audit trail's reads.
//!
//! A change is validated here, committed through the journal (its row, audit entry and
//! `admin.changes` event in one batch, ordered with every other committed event), then applied
//! to the in-memory [`Directory`] and, where the engine needs to know, sent to it as a command
//! through the ring (`SetUser`, `SetLp`, `DefineInstrument`). Changes are serialised: ids are assigned and names
//! checked for uniqueness under one lock, so a batch never fails on a duplicate.

use std::sync::Arc;
use std::time::Duration;

use orion_bridge::catalog::runtime_entry;
use orion_bridge::clock::Clock;
use orion_bridge::gateway::CommandGateway;
use orion_bridge::simulator::SimulatorHandle;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::rfq::InstrumentRef;
use orion_hotpath::rfq::engine::{LpRef, MAX_LPS, UserRef, class_bit};
use orion_hotpath::rfq::{Command, LpId, UserId};
use orion_hotpath::{AssetClass, InstrumentId, InstrumentSpec, InstrumentTable, Price};
use orion_journal::{AdminChange, DirectoryChange, JournalInput, Ledger, PendingInfo};
use orion_store::directory::{
    AuditQuery, AuditRecord, FeatureFlags, InstrumentRecord, LpRecord, UserRecord, VenueRecord,
};
use orion_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::directory::Directory;
use crate::identity::hash_password;
use crate::recovery::{DEFAULT_MAX_NOTIONAL, DEFAULT_MAX_RFQS_PER_SEC};

/// Roles a tenant administrator may grant (the platform role is not one of them).
pub const TENANT_ROLES: &[&str] = &[
    "ROLE_TRADER",
    "ROLE_SALES",
    "ROLE_RISK",
    "ROLE_ANALYST",
    "ROLE_ADMIN",
];

/// How long a change waits for its commit.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an administrative change was not made.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The request is invalid.
    #[error("{0}")]
    Invalid(String),
    /// No such entity in the caller's scope.
    #[error("{0}")]
    NotFound(&'static str),
    /// It exists already.
    #[error("{0}")]
    Conflict(String),
    /// The actor lacks the role the change needs.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing could be made durable; nothing was done.
    #[error("the change could not be made durable; nothing was done")]
    Unavailable,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Who makes a change.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Tenant.
    pub tenant: String,
    /// User.
    pub user: String,
    /// The user's roles: every operation checks the ones it needs.
    pub roles: Vec<String>,
    /// The request's correlation id.
    pub correlation_id: String,
}

impl Actor {
    /// The caller of a request, from its token's claims.
    pub fn from_claims(claims: &crate::identity::Claims, correlation_id: String) -> Self {
        Self {
            tenant: claims.tenant.clone(),
            user: claims.sub.clone(),
            roles: claims.roles.clone(),
            correlation_id,
        }
    }

    /// `Forbidden` unless the actor holds one of `roles`.
    fn needs(&self, roles: &[&str]) -> Result<(), AdminError> {
        if roles
            .iter()
            .any(|r| self.roles.iter().any(|held| held == r))
        {
            Ok(())
        } else {
            Err(AdminError::Forbidden(format!(
                "needs {}",
                roles.join(" or ")
            )))
        }
    }
}

/// Who administers a tenant's users and feature flags.
pub const TENANT_ADMIN: &[&str] = &["ROLE_ADMIN"];
/// Who reads a tenant's audit trail.
pub const AUDITORS: &[&str] = &["ROLE_ADMIN", "ROLE_RISK"];
/// Who administers the platform: instruments, LPs, venues.
pub const PLATFORM: &[&str] = &["ROLE_PLATFORM"];

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name, e.g. `newtrader@acme`.
    pub user_id: String,
    /// Password (stored as an argon2id hash).
    pub password: String,
    /// Roles, from [`TENANT_ROLES`].
    pub roles: Vec<String>,
    /// Entitled asset classes (`fx`, `rates`, `credit`).
    pub asset_classes: Vec<String>,
    /// Entitled instruments within those classes; empty = all of them.
    pub instruments: Vec<String>,
    /// Largest notional of one RFQ.
    pub max_notional: Option<i64>,
    /// RFQs per second.
    pub max_rfqs_per_sec: Option<u32>,
}

/// An LP's configuration.
#[derive(Debug, Clone)]
pub struct LpConfig {
    /// Id.
    pub lp_id: String,
    /// Receives RFQs.
    pub enabled: bool,
    /// Asset classes it quotes.
    pub asset_classes: Vec<String>,
    /// RFQs per second it accepts.
    pub max_quotes_per_sec: u32,
    /// Spread it quotes at.
    pub spread_bps: Option<i64>,
}

/// Users, LPs, venues, feature flags and the audit trail.
pub struct AdminService {
    effects: Arc<Effects>,
    /// Weak, so the journal's input closes (and the journal drains and stops) at shutdown
    /// whoever still holds this service.
    journal: mpsc::WeakUnboundedSender<JournalInput>,
    store: Store,
    clock: Arc<dyn Clock>,
    /// Refuses changes at once while the store cannot commit.
    ledger: Arc<Ledger>,
    /// One change at a time, from validation until it is applied in memory (held by the task
    /// that applies it, so a client that goes away cannot let the next change in early).
    changes: Arc<tokio::sync::Mutex<()>>,
}

/// What a committed change is applied to: the in-memory directory, the engine (through the
/// ring), the instrument table and the simulator.
pub struct Effects {
    directory: Arc<Directory>,
    engine: Arc<CommandGateway<MultiInput>>,
    instruments: Arc<InstrumentTable>,
    simulator: Option<SimulatorHandle>,
}

impl Effects {
    /// Changes apply to `directory`, reach the engine through `engine`, define instruments in
    /// `instruments` and, when one runs, start the simulator pricing them.
    pub fn new(
        directory: Arc<Directory>,
        engine: Arc<CommandGateway<MultiInput>>,
        instruments: Arc<InstrumentTable>,
        simulator: Option<SimulatorHandle>,
    ) -> Self {
        Self {
            directory,
            engine,
            instruments,
            simulator,
        }
    }

    fn tell_engine(&self, command: Command) {
        if let Err(err) = self.engine.try_submit(command) {
            tracing::error!(cause = %err, "directory change not delivered to the engine");
        }
    }
}

/// An instrument's reference data as an administrator gives it.
#[derive(Debug, Clone)]
pub struct InstrumentConfig {
    /// Id, e.g. `EUR/SEK`.
    pub instrument_id: String,
    /// `fx`, `rates` or `credit`.
    pub asset_class: String,
    /// Display symbol.
    pub symbol: String,
    /// Currency.
    pub currency: String,
    /// Minimum price increment (decimal); its decimals are the price scale.
    pub tick_size: String,
    /// Lot size (decimal); its decimals are the size scale.
    pub lot_size: String,
    /// Tenor.
    pub tenor: Option<String>,
    /// Trading hours.
    pub trading_hours: Option<String>,
    /// Where the simulator starts pricing it (decimal, on the tick grid).
    pub reference_price: String,
}

/// Decimal places of a positive decimal string, and its value in units of that scale.
fn decimal(text: &str) -> Option<(u8, i64)> {
    let places = text.split_once('.').map_or(0, |(_, f)| f.len());
    let scale = u8::try_from(places).ok()?;
    let price = Price::parse(text, scale).ok()?;
    (price.units() > 0).then_some((scale, price.units()))
}

impl std::fmt::Debug for AdminService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminService").finish_non_exhaustive()
    }
}

fn parse_classes(classes: &[String]) -> Result<u8, AdminError> {
    classes.iter().try_fold(0u8, |mask, c| {
        let class = match c.as_str() {
            "fx" | "FX" => AssetClass::Fx,
            "rates" | "RATES" => AssetClass::Rates,
            "credit" | "CREDIT" => AssetClass::Credit,
            other => return Err(AdminError::Invalid(format!("unknown asset class {other}"))),
        };
        Ok(mask | class_bit(class))
    })
}

fn class_names(mask: u8) -> Vec<String> {
    [AssetClass::Fx, AssetClass::Rates, AssetClass::Credit]
        .into_iter()
        .filter(|c| mask & class_bit(*c) != 0)
        .map(|c| c.as_str().to_owned())
        .collect()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@.-_/".contains(&b))
}

impl AdminService {
    /// A service committing through `journal` (refusing at once while `ledger` says the store
    /// cannot commit) and applying changes to `effects`.
    pub fn new(
        effects: Effects,
        journal: mpsc::WeakUnboundedSender<JournalInput>,
        ledger: Arc<Ledger>,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            effects: Arc::new(effects),
            journal,
            store,
            clock,
            ledger,
            changes: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Defines an instrument: from then on it is listed, priced by the simulator from its
    /// reference price, streamed and tradable by RFQ — without a restart. It takes a spare
    /// slot of the instrument table; the hot path learns it through a `DefineInstrument`
    /// command in the ring.
    pub async fn create_instrument(
        &self,
        actor: &Actor,
        config: InstrumentConfig,
    ) -> Result<InstrumentRecord, AdminError> {
        actor.needs(PLATFORM)?;
        let id = config.instrument_id.as_str();
        if id.is_empty() || id.len() > 64 || id.trim() != id || id.chars().any(char::is_control) {
            return Err(AdminError::Invalid(
                "instrumentId must be 1-64 printable characters".into(),
            ));
        }
        let class = parse_classes(std::slice::from_ref(&config.asset_class))?;
        let asset_class = [AssetClass::Fx, AssetClass::Rates, AssetClass::Credit]
            .into_iter()
            .find(|c| class == class_bit(*c))
            .ok_or_else(|| AdminError::Invalid("assetClass must be fx, rates or credit".into()))?;
        let Some((price_scale, tick_size)) = decimal(&config.tick_size) else {
            return Err(AdminError::Invalid(
                "tickSize must be a positive decimal".into(),
            ));
        };
        let Some((size_scale, _)) = decimal(&config.lot_size) else {
            return Err(AdminError::Invalid(
                "lotSize must be a positive decimal".into(),
            ));
        };
        let reference = Price::parse(&config.reference_price, price_scale)
            .ok()
            .filter(|p| p.units() > 0 && p.units() % tick_size == 0)
            .ok_or_else(|| {
                AdminError::Invalid(
                    "referencePrice must be a positive price on the tick grid".into(),
                )
            })?;
        let serialised = self.serialise().await;
        if self.effects.instruments.id(&config.instrument_id).is_some() {
            return Err(AdminError::Conflict(format!(
                "instrument {} exists already",
                config.instrument_id
            )));
        }
        let Some(slot) = (0..self.effects.instruments.len() as u32)
            .map(InstrumentId::from_index)
            .find(|id| self.effects.instruments.spec(*id).is_none())
        else {
            return Err(AdminError::Conflict(
                "no room for another instrument until a restart".into(),
            ));
        };
        let spec = InstrumentSpec {
            symbol: config.instrument_id.clone(),
            asset_class,
            price_scale,
            tick_size,
            size_scale,
        };
        let record = InstrumentRecord {
            instrument_id: config.instrument_id.clone(),
            index: i64::from(slot.raw()),
            asset_class: asset_class.as_str().to_owned(),
            price_scale: i64::from(price_scale),
            size_scale: i64::from(size_scale),
            tick_size: spec.tick_size_decimal(),
            symbol: if config.symbol.is_empty() {
                config.instrument_id.clone()
            } else {
                config.symbol
            },
            currency: config.currency,
            lot_size: config.lot_size,
            tenor: config.tenor,
            trading_hours: config.trading_hours,
            reference_price: reference.to_string(),
        };
        let change = DirectoryChange::InstrumentConfigured {
            instrument: record.clone(),
            created: true,
        };
        let applied = record.clone();
        self.commit(serialised, actor, change, move |effects| {
            if let Err(err) = effects.instruments.activate_at(slot, spec.clone()) {
                tracing::error!(cause = %err, "committed instrument does not fit its slot");
                return;
            }
            effects.directory.put_instrument(applied);
            effects.tell_engine(Command::DefineInstrument {
                instrument: slot,
                profile: InstrumentRef {
                    asset_class,
                    price_scale,
                    size_scale,
                },
                tick_size,
            });
            if let Some(simulator) = &effects.simulator {
                simulator.add_instrument(slot.raw(), runtime_entry(spec, reference));
            }
        })
        .await?;
        Ok(record)
    }

    /// Changes an instrument's descriptive reference data (symbol, currency, lot size, tenor,
    /// trading hours, reference price). Its asset class and tick size define it and stay.
    pub async fn update_instrument(
        &self,
        actor: &Actor,
        config: InstrumentConfig,
    ) -> Result<InstrumentRecord, AdminError> {
        actor.needs(PLATFORM)?;
        let serialised = self.serialise().await;
        let Some(mut record) = self.effects.directory.instrument(&config.instrument_id) else {
            return Err(AdminError::NotFound("no such instrument"));
        };
        if config.asset_class != record.asset_class
            || decimal(&config.tick_size) != decimal(&record.tick_size)
        {
            return Err(AdminError::Invalid(
                "assetClass and tickSize cannot change; define a new instrument".into(),
            ));
        }
        record.symbol = config.symbol;
        record.currency = config.currency;
        record.lot_size = config.lot_size;
        record.tenor = config.tenor;
        record.trading_hours = config.trading_hours;
        record.reference_price = config.reference_price;
        let change = DirectoryChange::InstrumentConfigured {
            instrument: record.clone(),
            created: false,
        };
        let applied = record.clone();
        self.commit(serialised, actor, change, move |effects| {
            effects.directory.put_instrument(applied);
        })
        .await?;
        Ok(record)
    }

    /// The directory changes apply to.
    pub fn directory(&self) -> &Directory {
        &self.effects.directory
    }

    /// Serialises changes: held from validation until the change is applied.
    async fn serialise(&self) -> tokio::sync::OwnedMutexGuard<()> {
        Arc::clone(&self.changes).lock_owned().await
    }

    /// Commits `change` through the journal, then runs `apply` on the in-memory effects — in a
    /// task of its own, so a committed change is applied even when the caller has gone away
    /// (a client timeout, a store that came back late); `serialised` is released after it.
    async fn commit(
        &self,
        serialised: tokio::sync::OwnedMutexGuard<()>,
        actor: &Actor,
        change: DirectoryChange,
        apply: impl FnOnce(&Effects) + Send + 'static,
    ) -> Result<(), AdminError> {
        if !self.ledger.is_healthy() {
            return Err(AdminError::Unavailable);
        }
        let (reply, committed) = oneshot::channel();
        let input = JournalInput::Admin(Box::new(AdminChange {
            actor: PendingInfo {
                correlation_id: actor.correlation_id.clone(),
                tenant: actor.tenant.clone(),
                user: actor.user.clone(),
                idempotency: None,
                trace_parent: orion_journal::trace::current(),
            },
            change,
            at: self.clock.now_nanos(),
            reply,
        }));
        self.journal
            .upgrade()
            .ok_or(AdminError::Unavailable)?
            .send(input)
            .map_err(|_| AdminError::Unavailable)?;
        let effects = Arc::clone(&self.effects);
        let applied = tokio::spawn(async move {
            // The journal retries a failed batch until it commits; only shutdown drops it.
            let committed = committed.await.is_ok();
            if committed {
                apply(&effects);
            }
            drop(serialised);
            committed
        });
        match tokio::time::timeout(COMMIT_TIMEOUT, applied).await {
            Ok(Ok(true)) => Ok(()),
            _ => Err(AdminError::Unavailable),
        }
    }

    /// Creates a user in the actor's tenant; the user can log in at once.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<UserRecord, AdminError> {
        actor.needs(TENANT_ADMIN)?;
        if !valid_id(&new.user_id) {
            return Err(AdminError::Invalid(
                "userId must be 1-128 characters of letters, digits and @.-_/".into(),
            ));
        }
        if new.password.chars().count() < 4 {
            return Err(AdminError::Invalid(
                "password must have at least 4 characters".into(),
            ));
        }
        if new.roles.is_empty()
            || new
                .roles
                .iter()
                .any(|r| !TENANT_ROLES.contains(&r.as_str()))
        {
            return Err(AdminError::Invalid(format!(
                "roles must be some of {}",
                TENANT_ROLES.join(", ")
            )));
        }
        let classes = parse_classes(&new.asset_classes)?;
        for id in &new.instruments {
            let spec = self
                .effects
                .instruments
                .id(id)
                .and_then(|i| self.effects.instruments.spec(i))
                .ok_or_else(|| AdminError::Invalid(format!("unknown instrument {id}")))?;
            if classes & class_bit(spec.asset_class) == 0 {
                return Err(AdminError::Invalid(format!(
                    "{id} is outside the user's asset classes"
                )));
            }
        }
        if new.max_notional.is_some_and(|n| n < 0) || new.max_rfqs_per_sec == Some(0) {
            return Err(AdminError::Invalid(
                "maxNotional must be non-negative and maxRfqsPerSec positive".into(),
            ));
        }
        let tenant = self
            .effects
            .directory
            .tenant_id(&actor.tenant)
            .ok_or(AdminError::NotFound("no such tenant"))?;
        let serialised = self.serialise().await;
        if self.effects.directory.user(&new.user_id).is_some() {
            return Err(AdminError::Conflict(format!(
                "user {} exists already",
                new.user_id
            )));
        }
        let UserId(index) = self.effects.directory.next_user_id();
        let password = new.password.clone();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| AdminError::Unavailable)?;
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        let record = UserRecord {
            tenant: actor.tenant.clone(),
            user: new.user_id.clone(),
            index: i64::from(index),
            password_hash,
            enabled: true,
            roles,
            asset_classes: class_names(classes),
            instruments: {
                let mut named = new.instruments.clone();
                named.sort();
                named.dedup();
                named
            },
            created_at: self.clock.now_nanos() as i64,
        };
        let max_notional = new.max_notional.unwrap_or(DEFAULT_MAX_NOTIONAL);
        let max_rfqs_per_sec = new.max_rfqs_per_sec.unwrap_or(DEFAULT_MAX_RFQS_PER_SEC);
        let limits = (new.max_notional.is_some() || new.max_rfqs_per_sec.is_some())
            .then_some((max_notional, i64::from(max_rfqs_per_sec)));
        let change = DirectoryChange::UserCreated {
            user: record.clone(),
            limits,
        };
        let applied = record.clone();
        self.commit(serialised, actor, change, move |effects| {
            effects.directory.put_user(applied);
            effects.tell_engine(Command::SetUser {
                user: UserId(index),
                profile: UserRef {
                    tenant,
                    entitlements: classes,
                    max_notional,
                    max_rfqs_per_sec,
                },
            });
        })
        .await?;
        Ok(record)
    }

    /// The users of the actor's tenant.
    pub fn list_users(&self, actor: &Actor) -> Result<Vec<UserRecord>, AdminError> {
        actor.needs(TENANT_ADMIN)?;
        Ok(self.effects.directory.users_of(&actor.tenant))
    }

    /// Every LP.
    pub fn list_lps(&self, actor: &Actor) -> Result<Vec<LpRecord>, AdminError> {
        actor.needs(PLATFORM)?;
        Ok(self.effects.directory.lps())
    }

    /// Every venue.
    pub fn list_venues(&self, actor: &Actor) -> Result<Vec<VenueRecord>, AdminError> {
        actor.needs(PLATFORM)?;
        Ok(self.effects.directory.venues())
    }

    /// Every instrument's reference data.
    pub fn list_instruments(&self, actor: &Actor) -> Result<Vec<InstrumentRecord>, AdminError> {
        actor.needs(PLATFORM)?;
        Ok(self.effects.directory.instruments())
    }

    /// The actor's tenant's feature flags.
    pub fn feature_flags(&self, actor: &Actor) -> Result<FeatureFlags, AdminError> {
        actor.needs(TENANT_ADMIN)?;
        Ok(self.effects.directory.feature_flags(&actor.tenant))
    }

    /// Enables or disables a user of the actor's tenant. A disabled user's tokens are refused
    /// from now on and their WebSockets close.
    pub async fn set_user_enabled(
        &self,
        actor: &Actor,
        user: &str,
        enabled: bool,
    ) -> Result<UserRecord, AdminError> {
        actor.needs(TENANT_ADMIN)?;
        let serialised = self.serialise().await;
        let Some(mut record) = self
            .effects
            .directory
            .user(user)
            .filter(|u| u.tenant == actor.tenant)
        else {
            return Err(AdminError::NotFound("no such user in your tenant"));
        };
        if user == actor.user && !enabled {
            return Err(AdminError::Invalid("you cannot disable yourself".into()));
        }
        let change = DirectoryChange::UserEnabled {
            tenant: actor.tenant.clone(),
            user: user.to_owned(),
            enabled,
        };
        let name = user.to_owned();
        self.commit(serialised, actor, change, move |effects| {
            effects.directory.set_enabled(&name, enabled);
        })
        .await?;
        record.enabled = enabled;
        Ok(record)
    }

    /// Creates or reconfigures an LP; a disabled LP is sent no further RFQs.
    pub async fn configure_lp(
        &self,
        actor: &Actor,
        config: LpConfig,
    ) -> Result<LpRecord, AdminError> {
        actor.needs(PLATFORM)?;
        if !valid_id(&config.lp_id) {
            return Err(AdminError::Invalid("lpId must be 1-128 characters".into()));
        }
        if config.max_quotes_per_sec == 0 {
            return Err(AdminError::Invalid(
                "maxQuotesPerSec must be positive".into(),
            ));
        }
        let classes = parse_classes(&config.asset_classes)?;
        let serialised = self.serialise().await;
        let index = match self.effects.directory.lp_id(&config.lp_id) {
            Some(LpId(i)) => usize::from(i),
            None if self.effects.directory.lp_count() < MAX_LPS => {
                self.effects.directory.lp_count()
            }
            None => return Err(AdminError::Conflict(format!("at most {MAX_LPS} LPs"))),
        };
        let record = LpRecord {
            lp_id: config.lp_id,
            index: index as i64,
            enabled: config.enabled,
            asset_classes: class_names(classes),
            max_quotes_per_sec: i64::from(config.max_quotes_per_sec),
            spread_bps: config.spread_bps,
        };
        let change = DirectoryChange::LpConfigured { lp: record.clone() };
        let (applied, max_rfqs_per_sec) = (record.clone(), config.max_quotes_per_sec);
        self.commit(serialised, actor, change, move |effects| {
            let enabled = applied.enabled;
            effects.directory.put_lp(applied);
            effects.tell_engine(Command::SetLp {
                lp: LpId(index as u8),
                enabled,
                asset_classes: classes,
                max_rfqs_per_sec,
            });
        })
        .await?;
        Ok(record)
    }

    /// The engine's view of the LPs the directory holds (for building the engine).
    pub fn engine_lps(directory: &Directory, tenants: usize) -> Vec<LpRef> {
        directory
            .lps()
            .iter()
            .map(|lp| LpRef {
                asset_classes: parse_classes(&lp.asset_classes).unwrap_or(0),
                tenants: (1u64 << tenants) - 1,
                max_rfqs_per_sec: lp.max_quotes_per_sec as u32,
                // Connected when the LP says hello on the QUIC gateway.
                connected: false,
                enabled: lp.enabled,
            })
            .collect()
    }

    /// The engine's view of a user (for building the engine).
    pub fn engine_user(
        directory: &Directory,
        user: &UserRecord,
        limits: (i64, u32),
    ) -> Option<UserRef> {
        Some(UserRef {
            tenant: directory.tenant_id(&user.tenant)?,
            entitlements: parse_classes(&user.asset_classes).ok()?,
            max_notional: limits.0,
            max_rfqs_per_sec: limits.1,
        })
    }

    /// Creates or reconfigures a venue.
    pub async fn configure_venue(
        &self,
        actor: &Actor,
        venue: VenueRecord,
    ) -> Result<VenueRecord, AdminError> {
        actor.needs(PLATFORM)?;
        if !valid_id(&venue.venue_id) {
            return Err(AdminError::Invalid(
                "venueId must be 1-128 characters".into(),
            ));
        }
        if !matches!(venue.execution_type.as_str(), "RFQ" | "CLOB") {
            return Err(AdminError::Invalid(
                "executionType must be RFQ or CLOB".into(),
            ));
        }
        if let Some(unknown) = venue
            .instruments
            .iter()
            .find(|id| self.effects.instruments.id(id).is_none())
        {
            return Err(AdminError::Invalid(format!("unknown instrument {unknown}")));
        }
        let serialised = self.serialise().await;
        let change = DirectoryChange::VenueConfigured {
            venue: venue.clone(),
        };
        let applied = venue.clone();
        self.commit(serialised, actor, change, move |effects| {
            effects.directory.put_venue(applied);
        })
        .await?;
        Ok(venue)
    }

    /// Sets the actor's tenant's feature flags.
    pub async fn set_feature_flags(
        &self,
        actor: &Actor,
        flags: FeatureFlags,
    ) -> Result<FeatureFlags, AdminError> {
        actor.needs(TENANT_ADMIN)?;
        let serialised = self.serialise().await;
        let change = DirectoryChange::FeatureFlagsSet {
            tenant: actor.tenant.clone(),
            flags,
        };
        let tenant = actor.tenant.clone();
        self.commit(serialised, actor, change, move |effects| {
            effects.directory.put_feature_flags(&tenant, flags);
        })
        .await?;
        Ok(flags)
    }

    /// The actor's tenant's audit trail, newest first, filtered.
    pub async fn audit(
        &self,
        actor: &Actor,
        user: Option<&str>,
        action: Option<&str>,
        correlation_id: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<AuditRecord>, AdminError> {
        actor.needs(AUDITORS)?;
        Ok(self
            .store
            .audit(&AuditQuery {
                tenant: actor.tenant.clone(),
                user: user.unwrap_or_default().to_owned(),
                action: action.unwrap_or_default().to_owned(),
                correlation_id: correlation_id.unwrap_or_default().to_owned(),
                limit: limit.unwrap_or(100).clamp(1, 1_000),
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_classes_parse_both_ways() {
        let mask = parse_classes(&["fx".into(), "CREDIT".into()]).unwrap();
        assert_eq!(class_names(mask), ["fx", "credit"]);
        assert!(parse_classes(&["equities".into()]).is_err());
        assert!(valid_id("newtrader@acme"));
        assert!(!valid_id("new trader"));
        assert!(!valid_id(""));
    }
}
