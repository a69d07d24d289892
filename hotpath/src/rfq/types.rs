//! Identifiers, commands and events of the RFQ engine. All `Copy`, fixed-size, heap-free: they
//! travel in ring slots.

use crate::book::{BookEvent, NewOrder, OrderId};
use crate::instrument::InstrumentId;

/// Bits of an [`RfqId`] that name the engine slot holding the RFQ.
pub const RFQ_SLOT_BITS: u32 = 20;

/// An RFQ: a serial number (unique for the life of the store) and the engine slot holding it.
/// The slot is part of the id so lookups are an array index and a stale id (a serial whose slot
/// was reused) is detected, not misrouted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RfqId(u64);

impl RfqId {
    /// The id of serial `serial` in slot `slot`, `None` when either does not fit.
    pub const fn new(serial: u64, slot: u32) -> Option<Self> {
        if slot >= 1 << RFQ_SLOT_BITS || serial >= 1 << (64 - RFQ_SLOT_BITS) {
            return None;
        }
        Some(Self((serial << RFQ_SLOT_BITS) | slot as u64))
    }

    /// From the raw value (as stored and shown to clients).
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// The raw value.
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The engine slot.
    pub const fn slot(self) -> usize {
        (self.0 & ((1 << RFQ_SLOT_BITS) - 1)) as usize
    }

    /// The serial number.
    pub const fn serial(self) -> u64 {
        self.0 >> RFQ_SLOT_BITS
    }
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $inner);
    };
}

id!(
    /// A quote, numbered by the engine in arrival order.
    QuoteId(u64)
);
id!(
    /// A trade, numbered by the engine.
    TradeId(u64)
);
id!(
    /// A client request, chosen by the cold path; echoed on the events it causes so the
    /// waiting request can be answered.
    RequestId(u64)
);
id!(
    /// A tenant, interned to a dense index.
    TenantId(u16)
);
id!(
    /// A user, interned to a dense index.
    UserId(u32)
);
id!(
    /// A liquidity provider, interned to a dense index below 64 (routing uses a bit set).
    LpId(u8)
);

/// Buy or sell, from the requester's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Side {
    /// The requester buys: the best quote is the lowest price.
    Buy = 1,
    /// The requester sells: the best quote is the highest price.
    Sell = 2,
}

impl Side {
    /// True when `a` is a strictly better price than `b` for this side.
    pub fn better(self, a: i64, b: i64) -> bool {
        match self {
            Side::Buy => a < b,
            Side::Sell => a > b,
        }
    }
}

/// Where an RFQ is in its life (`docs/architecture.md`, "RFQ lifecycle").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RfqState {
    /// Accepted by risk, not yet routed.
    Created = 1,
    /// Routed to LPs, no quote yet.
    Sent = 2,
    /// At least one live quote.
    Quoting = 3,
    /// A quote was accepted (execution follows in the same step).
    Accepted = 4,
    /// Executed: a trade exists.
    Traded = 5,
    /// Refused by last look with the RFQ already closed.
    Rejected = 6,
    /// Expiry reached before a trade.
    Expired = 7,
    /// Cancelled by the requester.
    Cancelled = 8,
}

impl RfqState {
    /// True for states from which nothing else can happen.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            RfqState::Traded | RfqState::Rejected | RfqState::Expired | RfqState::Cancelled
        )
    }

    /// True while quotes may arrive and be accepted.
    pub const fn is_open(self) -> bool {
        matches!(self, RfqState::Sent | RfqState::Quoting)
    }

    /// Whether the lifecycle allows `self → next`.
    pub const fn can_become(self, next: RfqState) -> bool {
        use RfqState::*;
        matches!(
            (self, next),
            (Created, Sent)
                | (Sent, Quoting)
                | (Sent, Expired)
                | (Sent, Cancelled)
                | (Quoting, Accepted)
                | (Quoting, Expired)
                | (Quoting, Cancelled)
                | (Accepted, Traded)
                | (Accepted, Quoting)
                | (Accepted, Rejected)
        )
    }

    /// Upper-case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            RfqState::Created => "CREATED",
            RfqState::Sent => "SENT",
            RfqState::Quoting => "QUOTING",
            RfqState::Accepted => "ACCEPTED",
            RfqState::Traded => "TRADED",
            RfqState::Rejected => "REJECTED",
            RfqState::Expired => "EXPIRED",
            RfqState::Cancelled => "CANCELLED",
        }
    }
}

/// Why a command was refused or a quote discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reason {
    /// No such RFQ (or it left the engine).
    UnknownRfq = 1,
    /// The RFQ belongs to another user or tenant.
    NotOwner = 2,
    /// The RFQ is not open (accepted, traded, expired, cancelled).
    NotOpen = 3,
    /// The RFQ's expiry has passed.
    RfqExpired = 4,
    /// No such quote on this RFQ.
    UnknownQuote = 5,
    /// The quote's validity has passed.
    QuoteExpired = 6,
    /// The tenant's kill switch is on.
    KillSwitchTenant = 7,
    /// The global kill switch is on.
    KillSwitchGlobal = 8,
    /// The user sent too many RFQs this second.
    RateLimited = 9,
    /// The RFQ's notional is above the user's limit.
    UserNotionalLimit = 10,
    /// The tenant's open notional would exceed its limit.
    TenantNotionalLimit = 11,
    /// The user is not entitled to the instrument.
    NotEntitled = 12,
    /// No market data to value the RFQ.
    NoMarketData = 13,
    /// No LP can quote this instrument for this tenant right now.
    NoEligibleLp = 14,
    /// The engine holds as many open RFQs as it was sized for.
    Capacity = 15,
    /// Size or expiry out of range, or an unknown instrument, user or LP.
    Invalid = 16,
    /// Last look: the quote was older than the LP accepts.
    LastLookQuoteAge = 17,
    /// Last look: the mid moved too far from the quote.
    LastLookPriceDrift = 18,
    /// A quote arrived after the RFQ closed or expired.
    LateQuote = 19,
    /// A quote with an id this LP already used on this RFQ.
    DuplicateQuote = 20,
    /// The LP was not asked for a quote, or the quote is larger than the RFQ allows.
    QuoteNotRequested = 21,
    /// The RFQ already holds as many quotes as it can.
    TooManyQuotes = 22,
    /// A quote covers less than the RFQ's minimum size, or an accept asks more than the quote
    /// covers.
    QuoteTooSmall = 23,
    /// An accept for less than the RFQ's size, which does not allow partial fills.
    PartialNotAllowed = 24,
    /// An order larger than the largest order quantity.
    MaxOrderQty = 25,
    /// The user already has as many working orders as allowed.
    MaxOpenOrders = 26,
    /// The order would take the user's or the tenant's open notional over its limit.
    NotionalLimit = 27,
    /// A limit price too far from the current mid (fat finger), or outside the book's window.
    PriceBand = 28,
    /// No working order with this id (never placed, another tenant's, or already done).
    UnknownOrder = 29,
    /// A price that is not positive or not on the instrument's tick grid.
    BadPrice = 30,
}

impl Reason {
    /// Upper-snake name used in JSON and the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::UnknownRfq => "UNKNOWN_RFQ",
            Reason::NotOwner => "NOT_OWNER",
            Reason::NotOpen => "NOT_OPEN",
            Reason::RfqExpired => "RFQ_EXPIRED",
            Reason::UnknownQuote => "UNKNOWN_QUOTE",
            Reason::QuoteExpired => "QUOTE_EXPIRED",
            Reason::KillSwitchTenant => "KILL_SWITCH_TENANT",
            Reason::KillSwitchGlobal => "KILL_SWITCH_GLOBAL",
            Reason::RateLimited => "RATE_LIMITED",
            Reason::UserNotionalLimit => "USER_NOTIONAL_LIMIT",
            Reason::TenantNotionalLimit => "TENANT_NOTIONAL_LIMIT",
            Reason::NotEntitled => "NOT_ENTITLED",
            Reason::NoMarketData => "NO_MARKET_DATA",
            Reason::NoEligibleLp => "NO_ELIGIBLE_LP",
            Reason::Capacity => "CAPACITY",
            Reason::Invalid => "INVALID",
            Reason::LastLookQuoteAge => "LAST_LOOK_QUOTE_AGE",
            Reason::LastLookPriceDrift => "LAST_LOOK_PRICE_DRIFT",
            Reason::LateQuote => "LATE_QUOTE",
            Reason::DuplicateQuote => "DUPLICATE_QUOTE",
            Reason::QuoteNotRequested => "QUOTE_NOT_REQUESTED",
            Reason::TooManyQuotes => "TOO_MANY_QUOTES",
            Reason::QuoteTooSmall => "QUOTE_TOO_SMALL",
            Reason::PartialNotAllowed => "PARTIAL_NOT_ALLOWED",
            Reason::MaxOrderQty => "MAX_ORDER_QTY",
            Reason::MaxOpenOrders => "MAX_OPEN_ORDERS",
            Reason::NotionalLimit => "NOTIONAL_LIMIT",
            Reason::PriceBand => "PRICE_BAND",
            Reason::UnknownOrder => "UNKNOWN_ORDER",
            Reason::BadPrice => "BAD_PRICE",
        }
    }

    /// The reason named by [`Reason::as_str`]'s code; `None` for an unknown code.
    pub fn from_code(code: &str) -> Option<Self> {
        const ALL: [Reason; 30] = [
            Reason::UnknownRfq,
            Reason::NotOwner,
            Reason::NotOpen,
            Reason::RfqExpired,
            Reason::UnknownQuote,
            Reason::QuoteExpired,
            Reason::KillSwitchTenant,
            Reason::KillSwitchGlobal,
            Reason::RateLimited,
            Reason::UserNotionalLimit,
            Reason::TenantNotionalLimit,
            Reason::NotEntitled,
            Reason::NoMarketData,
            Reason::NoEligibleLp,
            Reason::Capacity,
            Reason::Invalid,
            Reason::LastLookQuoteAge,
            Reason::LastLookPriceDrift,
            Reason::LateQuote,
            Reason::DuplicateQuote,
            Reason::QuoteNotRequested,
            Reason::TooManyQuotes,
            Reason::QuoteTooSmall,
            Reason::PartialNotAllowed,
            Reason::MaxOrderQty,
            Reason::MaxOpenOrders,
            Reason::NotionalLimit,
            Reason::PriceBand,
            Reason::UnknownOrder,
            Reason::BadPrice,
        ];
        ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// True for refusals that are risk breaches (they emit `RiskLimitBreached`).
    pub const fn is_risk_breach(self) -> bool {
        matches!(
            self,
            Reason::KillSwitchTenant
                | Reason::KillSwitchGlobal
                | Reason::RateLimited
                | Reason::UserNotionalLimit
                | Reason::TenantNotionalLimit
                | Reason::NotEntitled
                | Reason::MaxOrderQty
                | Reason::MaxOpenOrders
                | Reason::NotionalLimit
                | Reason::PriceBand
        )
    }
}

/// Scope of a kill switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KillScope {
    /// One tenant.
    Tenant(TenantId),
    /// Everyone.
    Global,
}

/// A command to the engine. `at` on the enclosing [`EngineCommand`] is the engine's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Request quotes.
    CreateRfq {
        /// Caller's request.
        request: RequestId,
        /// Requester's tenant.
        tenant: TenantId,
        /// Requester.
        user: UserId,
        /// Instrument.
        instrument: InstrumentId,
        /// Requester's side.
        side: Side,
        /// Size in the instrument's size units.
        size: i64,
        /// When quoting ends.
        expires_at: u64,
        /// Smallest size a quote may cover (size units); 0 = quotes must cover `size`.
        min_size: i64,
        /// The requester may accept a quote for less than `size`.
        partial_allowed: bool,
    },
    /// An LP's quote.
    Quote {
        /// The RFQ quoted.
        rfq: RfqId,
        /// The quoting LP.
        lp: LpId,
        /// The LP's own quote id (deduplication key with `lp`).
        lp_quote_id: u64,
        /// Price in the instrument's price units.
        price: i64,
        /// Size the LP stands behind.
        size: i64,
        /// When the quote stops being acceptable.
        valid_until: u64,
    },
    /// Accept a quote.
    Accept {
        /// Caller's request.
        request: RequestId,
        /// Caller's tenant.
        tenant: TenantId,
        /// Caller.
        user: UserId,
        /// The RFQ.
        rfq: RfqId,
        /// The quote.
        quote: QuoteId,
        /// How much to trade (size units); 0 = the RFQ's size, or the quote's when it covers
        /// less and partial fills are allowed.
        size: i64,
    },
    /// Cancel an RFQ.
    Cancel {
        /// Caller's request.
        request: RequestId,
        /// Caller's tenant.
        tenant: TenantId,
        /// Caller.
        user: UserId,
        /// The RFQ.
        rfq: RfqId,
    },
    /// Turn a kill switch on or off.
    SetKillSwitch {
        /// Caller's request.
        request: RequestId,
        /// Which switch.
        scope: KillScope,
        /// On or off.
        enabled: bool,
        /// Also cancel the scope's resting orders (when turning it on).
        cancel_resting: bool,
    },
    /// Place an order in the instrument's book.
    PlaceOrder {
        /// Caller's request.
        request: RequestId,
        /// Caller's tenant.
        tenant: TenantId,
        /// The order (its `user` is the caller).
        order: NewOrder,
    },
    /// Cancel a working order.
    CancelOrder {
        /// Caller's request.
        request: RequestId,
        /// Caller's tenant.
        tenant: TenantId,
        /// Caller (the order's owner).
        user: UserId,
        /// The order.
        order: OrderId,
    },
    /// Amend a working order: a new remaining quantity and/or limit price.
    AmendOrder {
        /// Caller's request.
        request: RequestId,
        /// Caller's tenant.
        tenant: TenantId,
        /// Caller (the order's owner).
        user: UserId,
        /// The order.
        order: OrderId,
        /// New remaining quantity (size units); 0 leaves it.
        qty: i64,
        /// New limit price (price units); 0 leaves it.
        price: i64,
    },
    /// Set a user's per-RFQ notional limit and rate limit.
    SetUserLimits {
        /// Caller's request.
        request: RequestId,
        /// The user.
        user: UserId,
        /// Largest notional of one RFQ, whole currency units.
        max_notional: i64,
        /// RFQs per second.
        max_rfqs_per_sec: u32,
    },
    /// A user joined or changed (the directory's dense id, tenant, entitlements and limits).
    /// Applies at once; answers nothing (the directory's own write is what is durable).
    SetUser {
        /// The user's slot.
        user: UserId,
        /// Who the user is to the engine.
        profile: crate::rfq::engine::UserRef,
    },
    /// An LP was configured: routing skips disabled LPs and classes they do not quote.
    SetLp {
        /// The LP's slot.
        lp: LpId,
        /// Receives RFQs.
        enabled: bool,
        /// Asset classes it quotes, one bit per `AssetClass as u8`.
        asset_classes: u8,
        /// RFQs per second it accepts.
        max_rfqs_per_sec: u32,
    },
    /// An instrument was defined in a spare slot: the normalize stage learns its tick size,
    /// the engine its asset class and scales. Answers nothing.
    DefineInstrument {
        /// The slot.
        instrument: InstrumentId,
        /// Asset class and scales.
        profile: crate::rfq::engine::InstrumentRef,
        /// Minimum price increment in price units.
        tick_size: i64,
    },
    /// An LP connected or disconnected (routing skips disconnected LPs).
    SetLpConnected {
        /// The LP.
        lp: LpId,
        /// Connected now.
        connected: bool,
    },
    /// Set a tenant's open-notional limit.
    SetTenantLimit {
        /// Caller's request.
        request: RequestId,
        /// The tenant.
        tenant: TenantId,
        /// Largest notional of all open RFQs together, whole currency units.
        max_open_notional: i64,
    },
}

/// A command with the engine time it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineCommand {
    /// Engine time: nanoseconds since the Unix epoch, stamped by the command gateway.
    pub at: u64,
    /// The command.
    pub command: Command,
}

/// What the engine decided. Every event names the engine time it happened at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RfqEvent {
    /// An RFQ passed risk and was routed (`CREATED → SENT` in one step).
    RfqCreated {
        /// The request that created it.
        request: RequestId,
        /// Its id.
        rfq: RfqId,
        /// Tenant.
        tenant: TenantId,
        /// Requester.
        user: UserId,
        /// Instrument.
        instrument: InstrumentId,
        /// Side.
        side: Side,
        /// Size units.
        size: i64,
        /// Expiry.
        expires_at: u64,
        /// LPs asked to quote, one bit per [`LpId`].
        lps: u64,
        /// Mid at creation in price units ×2 (exact), 0 when none.
        mid_x2: i64,
        /// Notional the RFQ counts against the user's and the tenant's limits, whole currency
        /// units (size × mid).
        notional: i64,
        /// Smallest size a quote may cover; 0 = the whole size.
        min_size: i64,
        /// The requester may accept for less than the whole size.
        partial_allowed: bool,
        /// Engine time.
        at: u64,
    },
    /// A command was refused.
    Refused {
        /// The refused request.
        request: RequestId,
        /// The RFQ concerned, when there is one.
        rfq: Option<RfqId>,
        /// Why.
        reason: Reason,
        /// Engine time.
        at: u64,
    },
    /// A risk limit stopped a request; emitted just before its `Refused`, so the
    /// event that answers the request is always the request's last.
    RiskLimitBreached {
        /// The refused request.
        request: RequestId,
        /// Tenant.
        tenant: TenantId,
        /// User.
        user: UserId,
        /// Which limit.
        reason: Reason,
        /// Engine time.
        at: u64,
    },
    /// A quote was taken into the RFQ's book.
    QuoteReceived {
        /// The RFQ.
        rfq: RfqId,
        /// The engine's quote id.
        quote: QuoteId,
        /// LP.
        lp: LpId,
        /// LP's quote id.
        lp_quote_id: u64,
        /// Price units.
        price: i64,
        /// Size units.
        size: i64,
        /// Validity.
        valid_until: u64,
        /// Engine time (ranking tie-break).
        at: u64,
    },
    /// A quote was not taken.
    QuoteDiscarded {
        /// The RFQ named by the quote.
        rfq: RfqId,
        /// LP.
        lp: LpId,
        /// LP's quote id.
        lp_quote_id: u64,
        /// Why.
        reason: Reason,
        /// Engine time.
        at: u64,
    },
    /// Last look refused an acceptance; the RFQ stays open.
    QuoteAcceptanceRejected {
        /// The request.
        request: RequestId,
        /// The RFQ.
        rfq: RfqId,
        /// The quote.
        quote: QuoteId,
        /// Why.
        reason: Reason,
        /// Engine time.
        at: u64,
    },
    /// A quote was accepted (execution follows in the same step).
    QuoteAccepted {
        /// The accepting request.
        request: RequestId,
        /// The RFQ.
        rfq: RfqId,
        /// The quote.
        quote: QuoteId,
        /// Engine time.
        at: u64,
    },
    /// A quote was accepted and executed: the RFQ is traded.
    TradeExecuted {
        /// The accepting request.
        request: RequestId,
        /// The trade.
        trade: TradeId,
        /// The RFQ.
        rfq: RfqId,
        /// The accepted quote.
        quote: QuoteId,
        /// The LP on the other side.
        lp: LpId,
        /// Price units (the quote's price).
        price: i64,
        /// Size units (the RFQ's size).
        size: i64,
        /// Engine time.
        at: u64,
    },
    /// The RFQ expired.
    RfqExpired {
        /// The RFQ.
        rfq: RfqId,
        /// Engine time.
        at: u64,
    },
    /// The requester cancelled.
    RfqCancelled {
        /// The request.
        request: RequestId,
        /// The RFQ.
        rfq: RfqId,
        /// Engine time.
        at: u64,
    },
    /// A kill switch changed.
    KillSwitchChanged {
        /// The request.
        request: RequestId,
        /// Which switch.
        scope: KillScope,
        /// Now on or off.
        enabled: bool,
        /// Engine time.
        at: u64,
    },
    /// Something happened to an order: accepted, filled, traded, rested, amended or cancelled.
    /// A trade's `seq` is the engine's trade id (one numbering with RFQ trades).
    Order {
        /// The request that caused it (a kill switch's, for its cancellations).
        request: RequestId,
        /// The tenant of the order concerned (the taker's, for a trade).
        tenant: TenantId,
        /// What the book did.
        event: BookEvent,
        /// Engine time.
        at: u64,
    },
    /// A new order was refused (risk or book); nothing rests. Follows its `RiskLimitBreached`
    /// when the refusal is a breach.
    OrderRejected {
        /// The request.
        request: RequestId,
        /// Tenant.
        tenant: TenantId,
        /// The order as asked.
        order: NewOrder,
        /// Why.
        reason: Reason,
        /// Engine time.
        at: u64,
    },
    /// Limits changed; the event carries the new values so replaying it needs nothing else.
    LimitsChanged {
        /// The request.
        request: RequestId,
        /// Whose limits, and their new values.
        change: LimitChange,
        /// Engine time.
        at: u64,
    },
}

/// New risk limits, as applied by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitChange {
    /// One user's limits.
    User {
        /// The user.
        user: UserId,
        /// Largest notional of one RFQ, whole currency units.
        max_notional: i64,
        /// RFQs per second.
        max_rfqs_per_sec: u32,
    },
    /// A tenant's open-notional limit.
    Tenant {
        /// The tenant.
        tenant: TenantId,
        /// Largest open notional, whole currency units.
        max_open_notional: i64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_round_trip() {
        for code in [
            "NOT_OPEN",
            "KILL_SWITCH_GLOBAL",
            "TOO_MANY_QUOTES",
            "UNKNOWN_RFQ",
        ] {
            assert_eq!(Reason::from_code(code).map(Reason::as_str), Some(code));
        }
        assert_eq!(Reason::from_code("NOPE"), None);
    }
}
