//! The RFQ engine: one single-threaded, deterministic state machine for every RFQ.
//!
//! Inputs are [`EngineCommand`]s (each stamped with the engine's time), mids from the market
//! data stage ([`RfqEngine::handle_mid`]) and timer events ([`RfqEngine::handle_timer`]);
//! outputs are [`RfqEvent`]s handed to an `emit` callback in decision order. Same inputs ⇒ same
//! outputs, byte for byte: nothing here reads a clock, allocates, or iterates a hash map.
//!
//! RFQs live in a fixed slab sized at start ([`EngineConfig::capacity`]): an RFQ's id names its
//! slot, each slot holds at most [`MAX_QUOTES`] quotes, and the slot returns to the free list
//! the moment the RFQ reaches a terminal state — memory per open RFQ is `size_of::<RfqSlot>()`
//! and nothing grows.

use crate::book::OrderBooks;
use crate::instrument::{AssetClass, InstrumentId};
use crate::rfq::types::*;

mod orders;

pub use orders::OrderRules;

/// Quotes one RFQ can hold.
pub const MAX_QUOTES: usize = 12;

/// Last-look rules, applied when a quote is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastLook {
    /// Refuse when the quote is older than this (ns); 0 disables.
    pub max_quote_age_ns: u64,
    /// Refuse when the mid moved away from the quote by more than this many basis points of the
    /// mid; 0 disables.
    pub max_drift_bp: i64,
}

/// Engine sizing and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineConfig {
    /// Most RFQs open at once (slots; ≤ 2^20).
    pub capacity: usize,
    /// Shortest accepted RFQ lifetime (ns).
    pub min_expiry_ns: u64,
    /// Longest accepted RFQ lifetime (ns).
    pub max_expiry_ns: u64,
    /// Last look.
    pub last_look: LastLook,
    /// User slots: users the directory creates at runtime take free ones.
    pub max_users: usize,
    /// Order books and their pre-trade rules.
    pub orders: OrderRules,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            max_users: 4_096,
            capacity: 16_384,
            min_expiry_ns: 1_000_000_000,
            max_expiry_ns: 300_000_000_000,
            last_look: LastLook {
                max_quote_age_ns: 0,
                max_drift_bp: 0,
            },
            orders: OrderRules::default(),
        }
    }
}

/// What the engine knows of an instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstrumentRef {
    /// Asset class (entitlements, LP routing).
    pub asset_class: AssetClass,
    /// Price decimals.
    pub price_scale: u8,
    /// Size decimals.
    pub size_scale: u8,
}

/// What the engine knows of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRef {
    /// The user's tenant.
    pub tenant: TenantId,
    /// Entitled asset classes, one bit per `AssetClass as u8`.
    pub entitlements: u8,
    /// Largest notional of one RFQ, whole currency units.
    pub max_notional: i64,
    /// RFQs per second.
    pub max_rfqs_per_sec: u32,
}

/// What the engine knows of a liquidity provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LpRef {
    /// Asset classes it quotes, one bit per `AssetClass as u8`.
    pub asset_classes: u8,
    /// Tenants it serves, one bit per tenant index (< 64).
    pub tenants: u64,
    /// RFQs per second it accepts.
    pub max_rfqs_per_sec: u32,
    /// Connected now.
    pub connected: bool,
    /// Enabled by the platform (a disabled LP gets no RFQs).
    pub enabled: bool,
}

/// Most LPs (routing masks are 64 bits).
pub const MAX_LPS: usize = 64;

/// A user slot no user holds yet: its tenant matches none, so every command naming it is
/// refused as invalid.
const NO_USER: UserRef = UserRef {
    tenant: TenantId(u16::MAX),
    entitlements: 0,
    max_notional: 0,
    max_rfqs_per_sec: 0,
};

/// An LP slot no LP holds yet.
const NO_LP: LpRef = LpRef {
    asset_classes: 0,
    tenants: 0,
    max_rfqs_per_sec: 0,
    connected: false,
    enabled: false,
};

/// The bit of `class` in entitlement and LP masks.
pub const fn class_bit(class: AssetClass) -> u8 {
    1 << (class as u8)
}

#[derive(Debug, Clone, Copy, Default)]
struct QuoteEntry {
    id: u64,
    lp: u8,
    lp_quote_id: u64,
    price: i64,
    size: i64,
    valid_until: u64,
    received_at: u64,
}

/// One RFQ's slot; see the module docs.
#[derive(Debug, Clone, Copy)]
pub struct RfqSlot {
    id: u64,
    state: Option<RfqState>,
    tenant: u16,
    user: u32,
    instrument: u32,
    side: Side,
    size: i64,
    expires_at: u64,
    notional: i64,
    lps: u64,
    /// Smallest size a quote may cover (the whole size when 0).
    min_size: i64,
    partial_allowed: bool,
    open_index: u32,
    quote_count: u8,
    quotes: [QuoteEntry; MAX_QUOTES],
}

impl Default for RfqSlot {
    fn default() -> Self {
        Self {
            id: 0,
            state: None,
            tenant: 0,
            user: 0,
            instrument: 0,
            side: Side::Buy,
            size: 0,
            expires_at: 0,
            notional: 0,
            lps: 0,
            min_size: 0,
            partial_allowed: false,
            open_index: 0,
            quote_count: 0,
            quotes: [QuoteEntry::default(); MAX_QUOTES],
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Window {
    second: u64,
    count: u32,
}

impl Window {
    /// True when another event fits in this second's budget (counting it).
    fn admit(&mut self, at: u64, limit: u32) -> bool {
        let second = at / 1_000_000_000;
        if second != self.second {
            *self = Window { second, count: 0 };
        }
        self.count < limit
    }

    fn take(&mut self) {
        self.count += 1;
    }
}

#[derive(Debug, Clone, Copy)]
struct UserState {
    user: UserRef,
    rate: Window,
}

#[derive(Debug, Clone, Copy, Default)]
struct TenantState {
    killed: bool,
    max_open_notional: i64,
    open_notional: i64,
}

#[derive(Debug, Clone, Copy)]
struct LpState {
    lp: LpRef,
    rate: Window,
}

/// The RFQ engine. Owned by one thread.
#[derive(Debug)]
pub struct RfqEngine {
    config: EngineConfig,
    instruments: Box<[InstrumentRef]>,
    mids_x2: Box<[i64]>,
    users: Box<[UserState]>,
    tenants: Box<[TenantState]>,
    lps: Box<[LpState]>,
    slots: Box<[RfqSlot]>,
    /// Free slot indexes; capacity = slots, never grows.
    free: Vec<u32>,
    /// Open slot indexes (for expiry); capacity = slots, never grows.
    open: Vec<u32>,
    global_kill: bool,
    next_serial: u64,
    next_quote: u64,
    next_trade: u64,
    /// The central limit order books.
    books: OrderBooks,
    /// What risk counts of working orders.
    order_ledger: orders::OrderLedger,
}

/// Counters the engine resumes from after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sequences {
    /// Next RFQ serial.
    pub next_serial: u64,
    /// Next quote id.
    pub next_quote: u64,
    /// Next trade id (RFQ and order-book trades share one numbering).
    pub next_trade: u64,
    /// Next order serial.
    pub next_order: u32,
}

/// Why the engine could not be built or restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// Capacity zero or above 2^20, or more than 64 tenants or LPs.
    #[error("invalid engine sizing")]
    Sizing,
    /// A restored RFQ names a slot that is out of range or taken, or an unknown party.
    #[error("restored RFQ does not fit")]
    Restore,
}

/// How an RFQ may be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Fills {
    min_size: i64,
    partial_allowed: bool,
}

/// A restored open RFQ (recovery from the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRfq {
    /// Id (its slot must be free).
    pub rfq: RfqId,
    /// Tenant.
    pub tenant: TenantId,
    /// Requester.
    pub user: UserId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Side.
    pub side: Side,
    /// Size units.
    pub size: i64,
    /// Expiry.
    pub expires_at: u64,
    /// Notional counted against the tenant.
    pub notional: i64,
    /// LPs asked.
    pub lps: u64,
    /// Smallest size a quote may cover (0 = the whole size).
    pub min_size: i64,
    /// Partial fills allowed.
    pub partial_allowed: bool,
}

/// A restored live quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenQuote {
    /// Engine quote id.
    pub quote: QuoteId,
    /// LP.
    pub lp: LpId,
    /// LP's id.
    pub lp_quote_id: u64,
    /// Price units.
    pub price: i64,
    /// Size units.
    pub size: i64,
    /// Validity.
    pub valid_until: u64,
    /// Arrival time.
    pub received_at: u64,
}

impl RfqEngine {
    /// An engine over these instruments, users, tenants (count) and LPs.
    pub fn new(
        config: EngineConfig,
        instruments: &[InstrumentRef],
        users: &[UserRef],
        tenants: usize,
        lps: &[LpRef],
    ) -> Result<Self, EngineError> {
        if config.capacity == 0
            || config.capacity > 1 << RFQ_SLOT_BITS
            || tenants > 64
            || lps.len() > MAX_LPS
            || tenants >= usize::from(u16::MAX)
        {
            return Err(EngineError::Sizing);
        }
        if users.iter().any(|u| usize::from(u.tenant.0) >= tenants) {
            return Err(EngineError::Sizing);
        }
        Ok(Self {
            config,
            instruments: instruments.into(),
            mids_x2: vec![0; instruments.len()].into_boxed_slice(),
            users: users
                .iter()
                .copied()
                .chain(std::iter::repeat(NO_USER))
                .take(users.len().max(config.max_users))
                .map(|user| UserState {
                    user,
                    rate: Window::default(),
                })
                .collect(),
            tenants: (0..tenants)
                .map(|_| TenantState {
                    max_open_notional: i64::MAX,
                    ..TenantState::default()
                })
                .collect(),
            lps: lps
                .iter()
                .copied()
                .chain(std::iter::repeat(NO_LP))
                .take(MAX_LPS)
                .map(|lp| LpState {
                    lp,
                    rate: Window::default(),
                })
                .collect(),
            slots: vec![RfqSlot::default(); config.capacity].into_boxed_slice(),
            free: (0..config.capacity as u32).rev().collect(),
            open: Vec::with_capacity(config.capacity),
            global_kill: false,
            next_serial: 1,
            next_quote: 1,
            next_trade: 1,
            books: OrderBooks::new(instruments.len(), config.orders.book),
            order_ledger: orders::OrderLedger::new(
                config.orders.book.capacity,
                users.len().max(config.max_users),
            ),
        })
    }

    /// Bytes one RFQ slot takes (memory per open RFQ).
    pub const fn bytes_per_rfq() -> usize {
        std::mem::size_of::<RfqSlot>()
    }

    /// Number of open RFQs.
    pub fn open_rfqs(&self) -> usize {
        self.open.len()
    }

    /// The id counters, for persistence.
    pub fn sequences(&self) -> Sequences {
        Sequences {
            next_serial: self.next_serial,
            next_quote: self.next_quote,
            next_trade: self.next_trade,
            next_order: self.books.next_serial(),
        }
    }

    /// The current mid of an instrument, ×2, 0 when none.
    pub fn mid_x2(&self, instrument: InstrumentId) -> i64 {
        self.mids_x2.get(instrument.index()).copied().unwrap_or(0)
    }

    /// Market data: the latest mid (×2) of an instrument.
    #[inline]
    pub fn handle_mid(&mut self, instrument: InstrumentId, mid_x2: i64) {
        if let Some(mid) = self.mids_x2.get_mut(instrument.index()) {
            *mid = mid_x2;
        }
    }

    /// Time passed: expires every open RFQ whose expiry is at or before `now`.
    pub fn handle_timer(&mut self, now: u64, emit: &mut impl FnMut(RfqEvent)) {
        let mut i = 0;
        while i < self.open.len() {
            let index = self.open[i] as usize;
            if self.slots[index].expires_at <= now {
                self.expire(index, now, emit);
            } else {
                i += 1;
            }
        }
    }

    /// Applies one command.
    pub fn handle(&mut self, command: &EngineCommand, emit: &mut impl FnMut(RfqEvent)) {
        let at = command.at;
        match command.command {
            Command::CreateRfq {
                request,
                tenant,
                user,
                instrument,
                side,
                size,
                expires_at,
                min_size,
                partial_allowed,
            } => {
                let fills = Fills {
                    min_size,
                    partial_allowed,
                };
                self.create(
                    request, tenant, user, instrument, side, size, expires_at, fills, at, emit,
                )
            }
            Command::Quote {
                rfq,
                lp,
                lp_quote_id,
                price,
                size,
                valid_until,
            } => self.quote(rfq, lp, lp_quote_id, price, size, valid_until, at, emit),
            Command::Accept {
                request,
                tenant,
                user,
                rfq,
                quote,
                size,
            } => self.accept(request, tenant, user, rfq, quote, size, at, emit),
            Command::Cancel {
                request,
                tenant,
                user,
                rfq,
            } => self.cancel(request, tenant, user, rfq, at, emit),
            Command::SetKillSwitch {
                request,
                scope,
                enabled,
                cancel_resting,
            } => {
                match scope {
                    KillScope::Global => self.global_kill = enabled,
                    KillScope::Tenant(t) => match self.tenants.get_mut(usize::from(t.0)) {
                        Some(state) => state.killed = enabled,
                        None => return emit(refused(request, None, Reason::Invalid, at)),
                    },
                }
                if enabled && cancel_resting {
                    self.cancel_resting(request, scope, at, emit);
                }
                emit(RfqEvent::KillSwitchChanged {
                    request,
                    scope,
                    enabled,
                    at,
                });
            }
            Command::SetUserLimits {
                request,
                user,
                max_notional,
                max_rfqs_per_sec,
            } => match self.users.get_mut(user.0 as usize) {
                Some(state) if max_notional >= 0 && state.user != NO_USER => {
                    state.user.max_notional = max_notional;
                    state.user.max_rfqs_per_sec = max_rfqs_per_sec;
                    let change = LimitChange::User {
                        user,
                        max_notional,
                        max_rfqs_per_sec,
                    };
                    emit(RfqEvent::LimitsChanged {
                        request,
                        change,
                        at,
                    });
                }
                _ => emit(refused(request, None, Reason::Invalid, at)),
            },
            Command::SetTenantLimit {
                request,
                tenant,
                max_open_notional,
            } => match self.tenants.get_mut(usize::from(tenant.0)) {
                Some(state) if max_open_notional >= 0 => {
                    state.max_open_notional = max_open_notional;
                    let change = LimitChange::Tenant {
                        tenant,
                        max_open_notional,
                    };
                    emit(RfqEvent::LimitsChanged {
                        request,
                        change,
                        at,
                    });
                }
                _ => emit(refused(request, None, Reason::Invalid, at)),
            },
            Command::DefineInstrument {
                instrument,
                profile,
                ..
            } => {
                if let Some(slot) = self.instruments.get_mut(instrument.index()) {
                    *slot = profile;
                    self.mids_x2[instrument.index()] = 0;
                }
            }
            Command::SetUser { user, profile } => {
                let known_tenant = usize::from(profile.tenant.0) < self.tenants.len();
                if let (Some(state), true) = (self.users.get_mut(user.0 as usize), known_tenant) {
                    *state = UserState {
                        user: profile,
                        rate: Window::default(),
                    };
                }
            }
            Command::SetLp {
                lp,
                enabled,
                asset_classes,
                max_rfqs_per_sec,
            } => {
                if let Some(state) = self.lps.get_mut(usize::from(lp.0)) {
                    state.lp.enabled = enabled;
                    state.lp.asset_classes = asset_classes;
                    state.lp.max_rfqs_per_sec = max_rfqs_per_sec;
                    state.lp.tenants = (1u64 << self.tenants.len()) - 1;
                }
            }
            Command::PlaceOrder {
                request,
                tenant,
                order,
            } => self.place_order(request, tenant, order, at, emit),
            Command::CancelOrder {
                request,
                tenant,
                user,
                order,
            } => self.change_order(request, tenant, user, order, None, at, emit),
            Command::AmendOrder {
                request,
                tenant,
                user,
                order,
                qty,
                price,
            } => self.change_order(request, tenant, user, order, Some((qty, price)), at, emit),
            Command::SetLpConnected { lp, connected } => {
                if let Some(state) = self.lps.get_mut(usize::from(lp.0)) {
                    state.lp.connected = connected;
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        user: UserId,
        instrument: InstrumentId,
        side: Side,
        size: i64,
        expires_at: u64,
        fills: Fills,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        // The event that answers a request comes last: the breach, then the refusal.
        let refuse = |reason: Reason, emit: &mut dyn FnMut(RfqEvent)| {
            if reason.is_risk_breach() {
                emit(RfqEvent::RiskLimitBreached {
                    request,
                    tenant,
                    user,
                    reason,
                    at,
                });
            }
            emit(refused(request, None, reason, at));
        };
        let (Some(spec), Some(user_state)) = (
            self.instruments.get(instrument.index()).copied(),
            self.users.get(user.0 as usize),
        ) else {
            return refuse(Reason::Invalid, emit);
        };
        let lifetime = expires_at.saturating_sub(at);
        if user_state.user.tenant != tenant
            || size <= 0
            || fills.min_size < 0
            || fills.min_size > size
            || lifetime < self.config.min_expiry_ns
            || lifetime > self.config.max_expiry_ns
        {
            return refuse(Reason::Invalid, emit);
        }
        if self.global_kill {
            return refuse(Reason::KillSwitchGlobal, emit);
        }
        let tenant_index = usize::from(tenant.0);
        if self.tenants[tenant_index].killed {
            return refuse(Reason::KillSwitchTenant, emit);
        }
        if user_state.user.entitlements & class_bit(spec.asset_class) == 0 {
            return refuse(Reason::NotEntitled, emit);
        }
        let mut rate = user_state.rate;
        if !rate.admit(at, user_state.user.max_rfqs_per_sec) {
            return refuse(Reason::RateLimited, emit);
        }
        let mid_x2 = self.mids_x2[instrument.index()];
        if mid_x2 <= 0 {
            return refuse(Reason::NoMarketData, emit);
        }
        let notional = notional(size, mid_x2, spec);
        if notional > user_state.user.max_notional {
            return refuse(Reason::UserNotionalLimit, emit);
        }
        let tenant_state = &self.tenants[tenant_index];
        if tenant_state.open_notional.saturating_add(notional) > tenant_state.max_open_notional {
            return refuse(Reason::TenantNotionalLimit, emit);
        }
        let lps = self.eligible_lps(spec.asset_class, tenant, at);
        if lps == 0 {
            return refuse(Reason::NoEligibleLp, emit);
        }
        let Some(index) = self.free.pop() else {
            return refuse(Reason::Capacity, emit);
        };
        let Some(rfq) = RfqId::new(self.next_serial, index) else {
            self.free.push(index);
            return refuse(Reason::Capacity, emit);
        };
        self.next_serial += 1;
        rate.take();
        self.users[user.0 as usize].rate = rate;
        for (i, lp) in self.lps.iter_mut().enumerate() {
            if lps & (1 << i) != 0 {
                lp.rate.take();
            }
        }
        self.tenants[tenant_index].open_notional += notional;
        let open_index = self.open.len() as u32;
        self.open.push(index);
        self.slots[index as usize] = RfqSlot {
            id: rfq.raw(),
            state: Some(RfqState::Sent),
            tenant: tenant.0,
            user: user.0,
            instrument: instrument.raw(),
            side,
            size,
            expires_at,
            notional,
            lps,
            min_size: fills.min_size,
            partial_allowed: fills.partial_allowed,
            open_index,
            quote_count: 0,
            quotes: [QuoteEntry::default(); MAX_QUOTES],
        };
        emit(RfqEvent::RfqCreated {
            request,
            rfq,
            tenant,
            user,
            instrument,
            side,
            size,
            expires_at,
            lps,
            mid_x2,
            notional,
            min_size: fills.min_size,
            partial_allowed: fills.partial_allowed,
            at,
        });
    }

    fn eligible_lps(&mut self, class: AssetClass, tenant: TenantId, at: u64) -> u64 {
        let mut mask = 0u64;
        for (i, state) in self.lps.iter_mut().enumerate() {
            let lp = state.lp;
            if lp.connected
                && lp.enabled
                && lp.asset_classes & class_bit(class) != 0
                && lp.tenants & (1 << tenant.0) != 0
                && state.rate.admit(at, lp.max_rfqs_per_sec)
            {
                mask |= 1 << i;
            }
        }
        mask
    }

    /// The slot index of `rfq` if it is live in the engine.
    fn find(&self, rfq: RfqId) -> Option<usize> {
        let index = rfq.slot();
        let slot = self.slots.get(index)?;
        (slot.state.is_some() && slot.id == rfq.raw()).then_some(index)
    }

    #[allow(clippy::too_many_arguments)]
    fn quote(
        &mut self,
        rfq: RfqId,
        lp: LpId,
        lp_quote_id: u64,
        price: i64,
        size: i64,
        valid_until: u64,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        let discard = |reason, emit: &mut dyn FnMut(RfqEvent)| {
            emit(RfqEvent::QuoteDiscarded {
                rfq,
                lp,
                lp_quote_id,
                reason,
                at,
            })
        };
        let Some(index) = self.find(rfq) else {
            return discard(Reason::LateQuote, emit);
        };
        if self.slots[index].expires_at <= at {
            self.expire(index, at, emit);
            return discard(Reason::LateQuote, emit);
        }
        let slot = &mut self.slots[index];
        if !slot.state.is_some_and(RfqState::is_open) {
            return discard(Reason::LateQuote, emit);
        }
        if u32::from(lp.0) >= 64 || slot.lps & (1 << lp.0) == 0 {
            return discard(Reason::QuoteNotRequested, emit);
        }
        if price <= 0 || valid_until <= at {
            return discard(Reason::Invalid, emit);
        }
        // A quote covers the whole size, or at least the RFQ's minimum size when it has one.
        let least = if slot.min_size > 0 {
            slot.min_size
        } else {
            slot.size
        };
        if size < least {
            return discard(Reason::QuoteTooSmall, emit);
        }
        let quotes = &slot.quotes[..usize::from(slot.quote_count)];
        if quotes
            .iter()
            .any(|q| q.lp == lp.0 && q.lp_quote_id == lp_quote_id)
        {
            return discard(Reason::DuplicateQuote, emit);
        }
        if usize::from(slot.quote_count) == MAX_QUOTES {
            return discard(Reason::TooManyQuotes, emit);
        }
        let quote = QuoteId(self.next_quote);
        self.next_quote += 1;
        slot.quotes[usize::from(slot.quote_count)] = QuoteEntry {
            id: quote.0,
            lp: lp.0,
            lp_quote_id,
            price,
            size,
            valid_until,
            received_at: at,
        };
        slot.quote_count += 1;
        slot.state = Some(RfqState::Quoting);
        emit(RfqEvent::QuoteReceived {
            rfq,
            quote,
            lp,
            lp_quote_id,
            price,
            size,
            valid_until,
            at,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn accept(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        user: UserId,
        rfq: RfqId,
        quote: QuoteId,
        size: i64,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        let Some(index) = self.owned_live_slot(request, tenant, user, rfq, at, emit) else {
            return;
        };
        let slot = &self.slots[index];
        let Some(position) = slot.quotes[..usize::from(slot.quote_count)]
            .iter()
            .position(|q| q.id == quote.0)
        else {
            return emit(refused(request, Some(rfq), Reason::UnknownQuote, at));
        };
        let entry = slot.quotes[position];
        if entry.valid_until <= at {
            return emit(refused(request, Some(rfq), Reason::QuoteExpired, at));
        }
        // How much trades: what was asked, else the whole size (or what the quote covers when
        // partial fills are allowed).
        let fill = match size {
            0 if slot.partial_allowed => slot.size.min(entry.size),
            0 => slot.size,
            asked => asked,
        };
        let refusal = if fill <= 0 || fill > slot.size || fill < slot.min_size {
            Some(Reason::Invalid)
        } else if fill > entry.size {
            Some(Reason::QuoteTooSmall)
        } else if fill < slot.size && !slot.partial_allowed {
            Some(Reason::PartialNotAllowed)
        } else {
            None
        };
        if let Some(reason) = refusal {
            return emit(refused(request, Some(rfq), reason, at));
        }
        if let Some(reason) = self.last_look(slot, &entry, at) {
            let slot = &mut self.slots[index];
            // The LP withdrew this quote; the RFQ stays open for the others.
            slot.quotes
                .copy_within(position + 1..usize::from(slot.quote_count), position);
            slot.quote_count -= 1;
            return emit(RfqEvent::QuoteAcceptanceRejected {
                request,
                rfq,
                quote,
                reason,
                at,
            });
        }
        let trade = TradeId(self.next_trade);
        self.next_trade += 1;
        let size = fill;
        emit(RfqEvent::QuoteAccepted {
            request,
            rfq,
            quote,
            at,
        });
        emit(RfqEvent::TradeExecuted {
            request,
            trade,
            rfq,
            quote,
            lp: LpId(entry.lp),
            price: entry.price,
            size,
            at,
        });
        self.close(index, RfqState::Traded);
    }

    fn last_look(&self, slot: &RfqSlot, entry: &QuoteEntry, at: u64) -> Option<Reason> {
        let rules = self.config.last_look;
        if rules.max_quote_age_ns > 0
            && at.saturating_sub(entry.received_at) > rules.max_quote_age_ns
        {
            return Some(Reason::LastLookQuoteAge);
        }
        let mid_x2 = self.mids_x2[slot.instrument as usize];
        if rules.max_drift_bp > 0 && mid_x2 > 0 {
            let drift = (i128::from(entry.price) * 2 - i128::from(mid_x2)).abs() * 10_000;
            if drift > i128::from(rules.max_drift_bp) * i128::from(mid_x2) {
                return Some(Reason::LastLookPriceDrift);
            }
        }
        None
    }

    fn cancel(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        user: UserId,
        rfq: RfqId,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        let Some(index) = self.owned_live_slot(request, tenant, user, rfq, at, emit) else {
            return;
        };
        emit(RfqEvent::RfqCancelled { request, rfq, at });
        self.close(index, RfqState::Cancelled);
    }

    /// The slot of `rfq` when it is live, owned by `tenant`/`user` and unexpired at `at`;
    /// otherwise emits the refusal (expiring the RFQ first when its time has come) and `None`.
    fn owned_live_slot(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        user: UserId,
        rfq: RfqId,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) -> Option<usize> {
        let Some(index) = self.find(rfq) else {
            emit(refused(request, Some(rfq), Reason::UnknownRfq, at));
            return None;
        };
        let slot = &self.slots[index];
        if slot.tenant != tenant.0 || slot.user != user.0 {
            emit(refused(request, Some(rfq), Reason::NotOwner, at));
            return None;
        }
        if slot.expires_at <= at {
            self.expire(index, at, emit);
            emit(refused(request, Some(rfq), Reason::RfqExpired, at));
            return None;
        }
        Some(index)
    }

    fn expire(&mut self, index: usize, at: u64, emit: &mut impl FnMut(RfqEvent)) {
        let rfq = RfqId::from_raw(self.slots[index].id);
        emit(RfqEvent::RfqExpired { rfq, at });
        self.close(index, RfqState::Expired);
    }

    /// Moves an open RFQ to a terminal state and frees its slot.
    fn close(&mut self, index: usize, terminal: RfqState) {
        debug_assert!(terminal.is_terminal());
        let slot = self.slots[index];
        let tenant = &mut self.tenants[usize::from(slot.tenant)];
        tenant.open_notional -= slot.notional;
        let position = slot.open_index as usize;
        self.open.swap_remove(position);
        if let Some(&moved) = self.open.get(position) {
            self.slots[moved as usize].open_index = position as u32;
        }
        self.slots[index].state = None;
        self.free.push(index as u32);
    }

    /// A read-only view of a live RFQ.
    pub fn view(&self, rfq: RfqId) -> Option<RfqView<'_>> {
        self.find(rfq).map(|index| RfqView {
            slot: &self.slots[index],
        })
    }

    /// Sets the id counters (recovery).
    pub fn restore_sequences(&mut self, sequences: Sequences) {
        self.next_serial = self.next_serial.max(sequences.next_serial);
        self.next_quote = self.next_quote.max(sequences.next_quote);
        self.next_trade = self.next_trade.max(sequences.next_trade);
        self.books.resume_serials(sequences.next_order);
    }

    /// Puts an open RFQ back with its quotes (recovery).
    pub fn restore_rfq(&mut self, rfq: OpenRfq, quotes: &[OpenQuote]) -> Result<(), EngineError> {
        let index = rfq.rfq.slot();
        let free_at = self
            .free
            .iter()
            .position(|&i| i as usize == index)
            .ok_or(EngineError::Restore)?;
        if usize::from(rfq.tenant.0) >= self.tenants.len() || quotes.len() > MAX_QUOTES {
            return Err(EngineError::Restore);
        }
        self.free.remove(free_at);
        let mut slot = RfqSlot {
            id: rfq.rfq.raw(),
            state: Some(if quotes.is_empty() {
                RfqState::Sent
            } else {
                RfqState::Quoting
            }),
            tenant: rfq.tenant.0,
            user: rfq.user.0,
            instrument: rfq.instrument.raw(),
            side: rfq.side,
            size: rfq.size,
            expires_at: rfq.expires_at,
            notional: rfq.notional,
            lps: rfq.lps,
            min_size: rfq.min_size,
            partial_allowed: rfq.partial_allowed,
            open_index: self.open.len() as u32,
            quote_count: quotes.len() as u8,
            quotes: [QuoteEntry::default(); MAX_QUOTES],
        };
        for (entry, q) in slot.quotes.iter_mut().zip(quotes) {
            *entry = QuoteEntry {
                id: q.quote.0,
                lp: q.lp.0,
                lp_quote_id: q.lp_quote_id,
                price: q.price,
                size: q.size,
                valid_until: q.valid_until,
                received_at: q.received_at,
            };
        }
        self.open.push(index as u32);
        self.slots[index] = slot;
        self.tenants[usize::from(rfq.tenant.0)].open_notional += rfq.notional;
        self.next_serial = self.next_serial.max(rfq.rfq.serial() + 1);
        Ok(())
    }
}

fn refused(request: RequestId, rfq: Option<RfqId>, reason: Reason, at: u64) -> RfqEvent {
    RfqEvent::Refused {
        request,
        rfq,
        reason,
        at,
    }
}

/// Whole currency units of `size` at the mid: `size × mid`, both fixed-point, saturating.
pub fn notional(size: i64, mid_x2: i64, spec: InstrumentRef) -> i64 {
    let scale = crate::fixed::pow10(spec.price_scale) as i128
        * crate::fixed::pow10(spec.size_scale) as i128;
    let value = i128::from(size) * i128::from(mid_x2) / 2 / scale;
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A live RFQ as [`RfqEngine::view`] shows it.
#[derive(Debug, Clone, Copy)]
pub struct RfqView<'a> {
    slot: &'a RfqSlot,
}

/// A live quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteView {
    /// Engine quote id.
    pub quote: QuoteId,
    /// LP.
    pub lp: LpId,
    /// Price units.
    pub price: i64,
    /// Size units.
    pub size: i64,
    /// Validity.
    pub valid_until: u64,
    /// Arrival time.
    pub received_at: u64,
}

impl RfqView<'_> {
    /// Lifecycle state.
    pub fn state(&self) -> RfqState {
        self.slot.state.unwrap_or(RfqState::Created)
    }

    /// Requester's side.
    pub fn side(&self) -> Side {
        self.slot.side
    }

    /// Size units.
    pub fn size(&self) -> i64 {
        self.slot.size
    }

    /// Instrument.
    pub fn instrument(&self) -> InstrumentId {
        InstrumentId::from_index(self.slot.instrument)
    }

    /// Expiry.
    pub fn expires_at(&self) -> u64 {
        self.slot.expires_at
    }

    /// LPs asked.
    pub fn lps(&self) -> u64 {
        self.slot.lps
    }

    /// Live quotes in arrival order.
    pub fn quotes(&self) -> impl Iterator<Item = QuoteView> + '_ {
        self.slot.quotes[..usize::from(self.slot.quote_count)]
            .iter()
            .map(|q| QuoteView {
                quote: QuoteId(q.id),
                lp: LpId(q.lp),
                price: q.price,
                size: q.size,
                valid_until: q.valid_until,
                received_at: q.received_at,
            })
    }

    /// The best quote still valid at `at`: best price for the side, ties to the earliest.
    pub fn best(&self, at: u64) -> Option<QuoteView> {
        let side = self.slot.side;
        self.quotes()
            .filter(|q| q.valid_until > at)
            .fold(None, |best: Option<QuoteView>, q| match best {
                Some(b) if !side.better(q.price, b.price) => Some(b),
                _ => Some(q),
            })
    }
}

/// A quote as the ranking sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankedQuote {
    /// Quote id.
    pub quote: QuoteId,
    /// Price units.
    pub price: i64,
    /// Arrival time.
    pub received_at: u64,
}

/// Sorts quotes best first for `side`: best price, ties to the earliest received, then the
/// lower quote id.
pub fn rank(side: Side, quotes: &mut [RankedQuote]) {
    quotes.sort_by(|a, b| {
        let price = match side {
            Side::Buy => a.price.cmp(&b.price),
            Side::Sell => b.price.cmp(&a.price),
        };
        price
            .then(a.received_at.cmp(&b.received_at))
            .then(a.quote.cmp(&b.quote))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const T: u64 = 1_000 * S;

    fn engine(capacity: usize, last_look: LastLook) -> RfqEngine {
        let fx = class_bit(AssetClass::Fx);
        let instruments = [InstrumentRef {
            asset_class: AssetClass::Fx,
            price_scale: 5,
            size_scale: 2,
        }];
        let users = [
            UserRef {
                tenant: TenantId(0),
                entitlements: fx,
                max_notional: 10_000_000,
                max_rfqs_per_sec: 100,
            },
            UserRef {
                tenant: TenantId(1),
                entitlements: fx,
                max_notional: 10_000_000,
                max_rfqs_per_sec: 100,
            },
        ];
        let lp = LpRef {
            asset_classes: fx,
            tenants: 0b11,
            max_rfqs_per_sec: 100,
            connected: true,
            enabled: true,
        };
        let config = EngineConfig {
            capacity,
            last_look,
            ..EngineConfig::default()
        };
        let mut engine = RfqEngine::new(config, &instruments, &users, 2, &[lp, lp, lp]).unwrap();
        engine.handle_mid(InstrumentId::from_index(0), 2 * 108_425);
        engine
    }

    fn run(engine: &mut RfqEngine, at: u64, command: Command) -> Vec<RfqEvent> {
        let mut out = Vec::new();
        engine.handle(&EngineCommand { at, command }, &mut |e| out.push(e));
        out
    }

    fn create(engine: &mut RfqEngine, at: u64, user: u32) -> RfqId {
        let events = run(
            engine,
            at,
            Command::CreateRfq {
                request: RequestId(1),
                tenant: TenantId(user as u16),
                user: UserId(user),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 1_000_000,
                expires_at: at + 10 * S,
                min_size: 0,
                partial_allowed: false,
            },
        );
        match events[..] {
            [RfqEvent::RfqCreated { rfq, lps, .. }] => {
                assert_eq!(lps, 0b111, "every eligible LP is asked");
                rfq
            }
            ref other => panic!("expected RfqCreated, got {other:?}"),
        }
    }

    fn quote(engine: &mut RfqEngine, at: u64, rfq: RfqId, lp: u8, price: i64) -> Vec<RfqEvent> {
        run(
            engine,
            at,
            Command::Quote {
                rfq,
                lp: LpId(lp),
                lp_quote_id: 7,
                price,
                size: 1_000_000,
                valid_until: at + 5 * S,
            },
        )
    }

    #[test]
    fn min_size_and_partial_fills() {
        let mut e = engine(16, NO_LAST_LOOK);
        let create = |e: &mut RfqEngine, min_size, partial_allowed| match run(
            e,
            T,
            Command::CreateRfq {
                request: RequestId(1),
                tenant: TenantId(0),
                user: UserId(0),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 1_000_000,
                expires_at: T + 10 * S,
                min_size,
                partial_allowed,
            },
        )[..]
        {
            [RfqEvent::RfqCreated { rfq, .. }] => rfq,
            ref other => panic!("{other:?}"),
        };
        let quote_for = |e: &mut RfqEngine, rfq, lp: u8, size| {
            run(
                e,
                T + 1,
                Command::Quote {
                    rfq,
                    lp: LpId(lp),
                    lp_quote_id: u64::from(lp),
                    price: 108_430,
                    size,
                    valid_until: T + 5 * S,
                },
            )
        };
        let accept = |e: &mut RfqEngine, rfq, quote, size| {
            run(
                e,
                T + 2,
                Command::Accept {
                    request: RequestId(2),
                    tenant: TenantId(0),
                    user: UserId(0),
                    rfq,
                    quote,
                    size,
                },
            )
        };
        // Without a minimum, a quote must cover the whole size.
        let whole = create(&mut e, 0, false);
        assert!(matches!(
            quote_for(&mut e, whole, 0, 999_999)[..],
            [RfqEvent::QuoteDiscarded {
                reason: Reason::QuoteTooSmall,
                ..
            }]
        ));
        let q = quote_id(&quote_for(&mut e, whole, 1, 1_000_000));
        assert!(matches!(
            accept(&mut e, whole, q, 500_000)[..],
            [RfqEvent::Refused {
                reason: Reason::PartialNotAllowed,
                ..
            }]
        ));
        // A minimum of half: smaller quotes are not taken, half quotes are; a partial fill
        // trades what was asked and no more than the quote covers.
        let partial = create(&mut e, 500_000, true);
        assert!(matches!(
            quote_for(&mut e, partial, 0, 400_000)[..],
            [RfqEvent::QuoteDiscarded {
                reason: Reason::QuoteTooSmall,
                ..
            }]
        ));
        let half = quote_id(&quote_for(&mut e, partial, 1, 600_000));
        assert!(matches!(
            accept(&mut e, partial, half, 700_000)[..],
            [RfqEvent::Refused {
                reason: Reason::QuoteTooSmall,
                ..
            }]
        ));
        assert!(matches!(
            accept(&mut e, partial, half, 400_000)[..],
            [RfqEvent::Refused {
                reason: Reason::Invalid,
                ..
            }]
        ));
        assert!(matches!(
            accept(&mut e, partial, half, 0)[..],
            [
                RfqEvent::QuoteAccepted { .. },
                RfqEvent::TradeExecuted { size: 600_000, .. }
            ]
        ));
    }

    #[test]
    fn users_and_lps_join_and_change_at_runtime() {
        let mut e = engine(16, NO_LAST_LOOK);
        let create = |e: &mut RfqEngine, user: u32| {
            run(
                e,
                T,
                Command::CreateRfq {
                    request: RequestId(9),
                    tenant: TenantId(0),
                    user: UserId(user),
                    instrument: InstrumentId::from_index(0),
                    side: Side::Buy,
                    size: 1_000_000,
                    expires_at: T + 10 * S,
                    min_size: 0,
                    partial_allowed: false,
                },
            )
        };
        // Slot 7 holds nobody yet: refused, and its limits cannot be set.
        assert!(matches!(
            create(&mut e, 7)[..],
            [RfqEvent::Refused {
                reason: Reason::Invalid,
                ..
            }]
        ));
        let profile = UserRef {
            tenant: TenantId(0),
            entitlements: class_bit(AssetClass::Fx),
            max_notional: 10_000_000,
            max_rfqs_per_sec: 10,
        };
        run(
            &mut e,
            T,
            Command::SetUser {
                user: UserId(7),
                profile,
            },
        );
        assert!(matches!(
            create(&mut e, 7)[..],
            [RfqEvent::RfqCreated { lps: 0b111, .. }]
        ));
        // A disabled LP is asked no more.
        run(
            &mut e,
            T,
            Command::SetLp {
                lp: LpId(1),
                enabled: false,
                asset_classes: class_bit(AssetClass::Fx),
                max_rfqs_per_sec: 100,
            },
        );
        assert!(matches!(
            create(&mut e, 7)[..],
            [RfqEvent::RfqCreated { lps: 0b101, .. }]
        ));
        // A user of an unknown tenant is never installed.
        run(
            &mut e,
            T,
            Command::SetUser {
                user: UserId(8),
                profile: UserRef {
                    tenant: TenantId(40),
                    ..profile
                },
            },
        );
        assert!(matches!(
            create(&mut e, 8)[..],
            [RfqEvent::Refused {
                reason: Reason::Invalid,
                ..
            }]
        ));
    }

    #[test]
    fn events_carry_the_facts_they_change() {
        let mut e = engine(16, NO_LAST_LOOK);
        let created = run(
            &mut e,
            T,
            Command::CreateRfq {
                request: RequestId(1),
                tenant: TenantId(0),
                user: UserId(0),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 1_000_000,
                expires_at: T + 10 * S,
                min_size: 0,
                partial_allowed: false,
            },
        );
        // 10,000.00 at a mid of 1.08425 is 10,842 whole units.
        assert!(matches!(
            created[..],
            [RfqEvent::RfqCreated {
                notional: 10_842,
                ..
            }]
        ));
        let user = run(
            &mut e,
            T,
            Command::SetUserLimits {
                request: RequestId(2),
                user: UserId(1),
                max_notional: 5_000,
                max_rfqs_per_sec: 3,
            },
        );
        assert_eq!(
            user,
            [RfqEvent::LimitsChanged {
                request: RequestId(2),
                change: LimitChange::User {
                    user: UserId(1),
                    max_notional: 5_000,
                    max_rfqs_per_sec: 3
                },
                at: T
            }]
        );
        let tenant = run(
            &mut e,
            T,
            Command::SetTenantLimit {
                request: RequestId(3),
                tenant: TenantId(1),
                max_open_notional: 9,
            },
        );
        assert_eq!(
            tenant,
            [RfqEvent::LimitsChanged {
                request: RequestId(3),
                change: LimitChange::Tenant {
                    tenant: TenantId(1),
                    max_open_notional: 9
                },
                at: T
            }]
        );
    }

    fn quote_id(events: &[RfqEvent]) -> QuoteId {
        match events {
            [RfqEvent::QuoteReceived { quote, .. }] => *quote,
            other => panic!("expected QuoteReceived, got {other:?}"),
        }
    }

    const NO_LAST_LOOK: LastLook = LastLook {
        max_quote_age_ns: 0,
        max_drift_bp: 0,
    };

    #[test]
    fn create_quote_accept_trades_at_the_quote_price_and_frees_the_slot() {
        let mut e = engine(4, NO_LAST_LOOK);
        let rfq = create(&mut e, T, 0);
        let a = quote_id(&quote(&mut e, T + 1, rfq, 0, 108_440));
        let b = quote_id(&quote(&mut e, T + 2, rfq, 1, 108_430));
        let c = quote_id(&quote(&mut e, T + 3, rfq, 2, 108_430));
        let view = e.view(rfq).unwrap();
        assert_eq!(view.state(), RfqState::Quoting);
        assert_eq!(
            view.best(T + 4).unwrap().quote,
            b,
            "lowest price for a buyer, earliest on ties"
        );
        let mut ranked: Vec<RankedQuote> = view
            .quotes()
            .map(|q| RankedQuote {
                quote: q.quote,
                price: q.price,
                received_at: q.received_at,
            })
            .collect();
        rank(Side::Buy, &mut ranked);
        assert_eq!(
            ranked.iter().map(|q| q.quote).collect::<Vec<_>>(),
            [b, c, a]
        );

        let events = run(
            &mut e,
            T + 5,
            Command::Accept {
                request: RequestId(9),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: b,
                size: 0,
            },
        );
        assert!(matches!(
            events[..],
            [
                RfqEvent::QuoteAccepted { .. },
                RfqEvent::TradeExecuted {
                    price: 108_430,
                    size: 1_000_000,
                    trade: TradeId(1),
                    request: RequestId(9),
                    ..
                }
            ]
        ));
        assert_eq!(e.open_rfqs(), 0, "memory released at the terminal state");
        let again = run(
            &mut e,
            T + 6,
            Command::Accept {
                request: RequestId(10),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: b,
                size: 0,
            },
        );
        assert!(
            matches!(
                again[..],
                [RfqEvent::Refused {
                    reason: Reason::UnknownRfq,
                    ..
                }]
            ),
            "exactly one trade"
        );
    }

    #[test]
    fn duplicates_late_and_unrequested_quotes_are_discarded() {
        let mut e = engine(4, NO_LAST_LOOK);
        let rfq = create(&mut e, T, 0);
        quote_id(&quote(&mut e, T + 1, rfq, 0, 108_440));
        assert!(matches!(
            quote(&mut e, T + 2, rfq, 0, 108_420)[..],
            [RfqEvent::QuoteDiscarded {
                reason: Reason::DuplicateQuote,
                ..
            }]
        ));
        assert!(matches!(
            quote(&mut e, T + 2, rfq, 9, 108_420)[..],
            [RfqEvent::QuoteDiscarded {
                reason: Reason::QuoteNotRequested,
                ..
            }]
        ));
        let late = quote(&mut e, T + 11 * S, rfq, 1, 108_420);
        assert!(matches!(
            late[..],
            [
                RfqEvent::RfqExpired { .. },
                RfqEvent::QuoteDiscarded {
                    reason: Reason::LateQuote,
                    ..
                }
            ]
        ));
    }

    #[test]
    fn last_look_rejects_on_drift_and_keeps_the_rfq_open() {
        let mut e = engine(
            4,
            LastLook {
                max_quote_age_ns: 0,
                max_drift_bp: 10,
            },
        );
        let rfq = create(&mut e, T, 0);
        let far = quote_id(&quote(&mut e, T + 1, rfq, 0, 108_000));
        let near = quote_id(&quote(&mut e, T + 2, rfq, 1, 108_430));
        let events = run(
            &mut e,
            T + 3,
            Command::Accept {
                request: RequestId(2),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: far,
                size: 0,
            },
        );
        assert!(matches!(
            events[..],
            [RfqEvent::QuoteAcceptanceRejected {
                reason: Reason::LastLookPriceDrift,
                ..
            }]
        ));
        assert_eq!(e.view(rfq).unwrap().state(), RfqState::Quoting);
        let events = run(
            &mut e,
            T + 4,
            Command::Accept {
                request: RequestId(3),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: near,
                size: 0,
            },
        );
        assert!(matches!(
            events[1],
            RfqEvent::TradeExecuted { price: 108_430, .. }
        ));
    }

    #[test]
    fn expiry_comes_from_event_time() {
        let mut e = engine(4, NO_LAST_LOOK);
        let rfq = create(&mut e, T, 0);
        let q = quote_id(&quote(&mut e, T + 1, rfq, 0, 108_440));
        let mut out = Vec::new();
        e.handle_timer(T + 9 * S, &mut |ev| out.push(ev));
        assert!(out.is_empty());
        e.handle_timer(T + 10 * S, &mut |ev| out.push(ev));
        assert!(matches!(out[..], [RfqEvent::RfqExpired { .. }]));
        let events = run(
            &mut e,
            T + 10 * S,
            Command::Accept {
                request: RequestId(2),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
                quote: q,
                size: 0,
            },
        );
        assert!(matches!(
            events[..],
            [RfqEvent::Refused {
                reason: Reason::UnknownRfq,
                ..
            }]
        ));
    }

    #[test]
    fn strangers_cannot_accept_or_cancel() {
        let mut e = engine(4, NO_LAST_LOOK);
        let rfq = create(&mut e, T, 0);
        let q = quote_id(&quote(&mut e, T + 1, rfq, 0, 108_440));
        let events = run(
            &mut e,
            T + 2,
            Command::Accept {
                request: RequestId(2),
                tenant: TenantId(1),
                user: UserId(1),
                rfq,
                quote: q,
                size: 0,
            },
        );
        assert!(matches!(
            events[..],
            [RfqEvent::Refused {
                reason: Reason::NotOwner,
                ..
            }]
        ));
        let events = run(
            &mut e,
            T + 2,
            Command::Cancel {
                request: RequestId(3),
                tenant: TenantId(1),
                user: UserId(1),
                rfq,
            },
        );
        assert!(matches!(
            events[..],
            [RfqEvent::Refused {
                reason: Reason::NotOwner,
                ..
            }]
        ));
        let events = run(
            &mut e,
            T + 2,
            Command::Cancel {
                request: RequestId(4),
                tenant: TenantId(0),
                user: UserId(0),
                rfq,
            },
        );
        assert!(matches!(events[..], [RfqEvent::RfqCancelled { .. }]));
    }

    #[test]
    fn kill_switch_and_limits_refuse_with_a_breach() {
        let mut e = engine(4, NO_LAST_LOOK);
        run(
            &mut e,
            T,
            Command::SetKillSwitch {
                request: RequestId(1),
                scope: KillScope::Tenant(TenantId(0)),
                enabled: true,
                cancel_resting: false,
            },
        );
        let create = |e: &mut RfqEngine, size| {
            run(
                e,
                T + 1,
                Command::CreateRfq {
                    request: RequestId(5),
                    tenant: TenantId(0),
                    user: UserId(0),
                    instrument: InstrumentId::from_index(0),
                    side: Side::Sell,
                    size,
                    expires_at: T + 5 * S,
                    min_size: 0,
                    partial_allowed: false,
                },
            )
        };
        assert!(matches!(
            create(&mut e, 100)[..],
            [
                RfqEvent::RiskLimitBreached {
                    reason: Reason::KillSwitchTenant,
                    ..
                },
                RfqEvent::Refused {
                    reason: Reason::KillSwitchTenant,
                    ..
                }
            ]
        ));
        run(
            &mut e,
            T,
            Command::SetKillSwitch {
                request: RequestId(2),
                scope: KillScope::Tenant(TenantId(0)),
                enabled: false,
                cancel_resting: false,
            },
        );
        // 100,000,000.00 units at 1.08425 is above the 10,000,000 limit.
        assert!(matches!(
            create(&mut e, 10_000_000_000)[..],
            [
                RfqEvent::RiskLimitBreached { .. },
                RfqEvent::Refused {
                    reason: Reason::UserNotionalLimit,
                    ..
                }
            ]
        ));
        assert!(matches!(
            create(&mut e, 0)[..],
            [RfqEvent::Refused {
                reason: Reason::Invalid,
                ..
            }]
        ));
        assert!(matches!(
            create(&mut e, 100)[..],
            [RfqEvent::RfqCreated { .. }]
        ));
    }

    #[test]
    fn capacity_is_bounded_and_restores_put_rfqs_back() {
        let mut e = engine(2, NO_LAST_LOOK);
        let a = create(&mut e, T, 0);
        let _b = create(&mut e, T, 0);
        let full = run(
            &mut e,
            T,
            Command::CreateRfq {
                request: RequestId(3),
                tenant: TenantId(0),
                user: UserId(0),
                instrument: InstrumentId::from_index(0),
                side: Side::Buy,
                size: 100,
                expires_at: T + 5 * S,
                min_size: 0,
                partial_allowed: false,
            },
        );
        assert!(matches!(
            full[..],
            [RfqEvent::Refused {
                reason: Reason::Capacity,
                ..
            }]
        ));
        assert!(
            RfqEngine::bytes_per_rfq() < 1_024,
            "{} bytes per open RFQ",
            RfqEngine::bytes_per_rfq()
        );

        let mut fresh = engine(2, NO_LAST_LOOK);
        let open = OpenRfq {
            rfq: a,
            tenant: TenantId(0),
            user: UserId(0),
            instrument: InstrumentId::from_index(0),
            side: Side::Buy,
            size: 1_000_000,
            expires_at: T + 10 * S,
            notional: 10_842,
            lps: 0b111,
            min_size: 0,
            partial_allowed: false,
        };
        let q = OpenQuote {
            quote: QuoteId(40),
            lp: LpId(1),
            lp_quote_id: 3,
            price: 108_431,
            size: 1_000_000,
            valid_until: T + 5 * S,
            received_at: T + 1,
        };
        fresh.restore_rfq(open, &[q]).unwrap();
        assert_eq!(
            fresh.restore_rfq(open, &[]),
            Err(EngineError::Restore),
            "a slot holds one RFQ"
        );
        fresh.restore_sequences(Sequences {
            next_order: 1,
            next_serial: 3,
            next_quote: 41,
            next_trade: 1,
        });
        let events = run(
            &mut fresh,
            T + 2,
            Command::Accept {
                request: RequestId(4),
                tenant: TenantId(0),
                user: UserId(0),
                rfq: a,
                quote: QuoteId(40),
                size: 0,
            },
        );
        assert!(matches!(
            events[1],
            RfqEvent::TradeExecuted { price: 108_431, .. }
        ));
        let next = create(&mut fresh, T + 3, 0);
        assert!(next.serial() >= 3, "serials continue after a restore");
    }
}
