//! The order book's vocabulary: what comes in, what goes out, and why a request is refused.

use crate::instrument::InstrumentId;
use crate::rfq::{Side, UserId};

/// An order's id: the slab slot in the low 32 bits, the slot's generation in the high 32, so an
/// id of an order that has left the book never finds its slot's next tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub u64);

impl OrderId {
    /// The id of generation `generation` of slot `slot`.
    pub fn new(slot: u32, generation: u32) -> Self {
        Self((u64::from(generation) << 32) | u64::from(slot))
    }

    /// The slab slot.
    pub fn slot(self) -> u32 {
        self.0 as u32
    }

    /// The generation.
    pub fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

/// LIMIT (rests at its price) or MARKET (takes what is there, never rests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderType {
    /// At `price` or better.
    Limit,
    /// At any price.
    Market,
}

/// How long an order's remainder lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Good till cancelled: the remainder rests.
    Gtc,
    /// Immediate or cancel: the remainder is cancelled.
    Ioc,
    /// Fill or kill: all of it at once, or nothing.
    Fok,
}

/// A new order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    /// The instrument's book.
    pub instrument: InstrumentId,
    /// Owner (self-trade prevention is per user).
    pub user: UserId,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub order_type: OrderType,
    /// Remainder policy.
    pub tif: TimeInForce,
    /// Limit price in price units (ignored for MARKET).
    pub price: i64,
    /// Quantity in size units.
    pub qty: i64,
}

/// An order's state (PRD §8.7.2). Terminal states leave the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// Accepted, nothing filled yet.
    Ack,
    /// Partly filled, the rest working.
    PartialFill,
    /// Completely filled (terminal).
    Filled,
    /// Cancelled, by its owner or by its time in force (terminal).
    Cancelled,
}

impl OrderState {
    /// `ACK`, `PARTIAL_FILL`, `FILLED`, `CANCELLED`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Ack => "ACK",
            OrderState::PartialFill => "PARTIAL_FILL",
            OrderState::Filled => "FILLED",
            OrderState::Cancelled => "CANCELLED",
        }
    }

    /// Whether the order has left the book.
    pub fn is_terminal(self) -> bool {
        matches!(self, OrderState::Filled | OrderState::Cancelled)
    }
}

/// Why an order's remainder was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Its owner asked.
    Requested,
    /// IOC or MARKET: what did not fill at once.
    Unfilled,
    /// FOK: not all of it could fill at once; nothing was done.
    FillOrKill,
    /// It rested against an order of the same user that would have traded with it.
    SelfTrade,
    /// A kill switch cancelled resting orders.
    KillSwitch,
}

impl CancelReason {
    /// A stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::Requested => "REQUESTED",
            CancelReason::Unfilled => "UNFILLED",
            CancelReason::FillOrKill => "FOK_NOT_FILLABLE",
            CancelReason::SelfTrade => "SELF_TRADE",
            CancelReason::KillSwitch => "KILL_SWITCH",
        }
    }
}

/// Why the book refused a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookReject {
    /// No book for the instrument.
    UnknownInstrument,
    /// Quantity not positive.
    BadQuantity,
    /// Price not positive or off the instrument's tick grid.
    BadPrice,
    /// Price outside the book's window of levels.
    PriceOutOfRange,
    /// Every order slot is taken.
    BookFull,
    /// No working order with this id (never existed, or filled or cancelled).
    UnknownOrder,
    /// The order belongs to another user.
    NotOwner,
    /// The amendment changes nothing, or asks for a MARKET order's price.
    BadAmend,
}

impl BookReject {
    /// A stable code.
    pub fn as_str(self) -> &'static str {
        match self {
            BookReject::UnknownInstrument => "UNKNOWN_INSTRUMENT",
            BookReject::BadQuantity => "BAD_QUANTITY",
            BookReject::BadPrice => "BAD_PRICE",
            BookReject::PriceOutOfRange => "PRICE_OUT_OF_RANGE",
            BookReject::BookFull => "BOOK_FULL",
            BookReject::UnknownOrder => "UNKNOWN_ORDER",
            BookReject::NotOwner => "NOT_OWNER",
            BookReject::BadAmend => "BAD_AMEND",
        }
    }
}

/// What the book did. Every event of one command is emitted before the command returns, in a
/// fixed order, so replaying the commands replays the events byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookEvent {
    /// A new order was accepted (before any fill).
    Accepted {
        /// Its id.
        order: OrderId,
        /// The order.
        new: NewOrder,
    },
    /// A command was refused; nothing changed.
    Rejected {
        /// The order the command named, if any.
        order: Option<OrderId>,
        /// Why.
        reason: BookReject,
    },
    /// One side of a match.
    Filled {
        /// The order.
        order: OrderId,
        /// Its owner.
        user: UserId,
        /// Price of the match (the resting order's).
        price: i64,
        /// Quantity of this match.
        qty: i64,
        /// What is left to fill.
        remaining: i64,
        /// All of it filled so far.
        filled: i64,
        /// The order was resting (maker) rather than arriving (taker).
        maker: bool,
        /// State after the fill.
        state: OrderState,
    },
    /// A match: one trade at the resting order's price.
    Trade {
        /// Trade sequence number within the book set (starts at 1).
        seq: u64,
        /// Instrument.
        instrument: InstrumentId,
        /// Price.
        price: i64,
        /// Quantity.
        qty: i64,
        /// The resting order.
        maker: OrderId,
        /// The arriving order.
        taker: OrderId,
        /// The arriving order's side.
        aggressor: Side,
    },
    /// An order's remainder was cancelled; it left the book.
    Cancelled {
        /// The order.
        order: OrderId,
        /// Its owner.
        user: UserId,
        /// Quantity that will never fill.
        remaining: i64,
        /// Why.
        reason: CancelReason,
    },
    /// A working order was amended.
    Amended {
        /// The order.
        order: OrderId,
        /// Its (new) price.
        price: i64,
        /// Its new remaining quantity.
        remaining: i64,
        /// False when it moved to the back of its level.
        kept_priority: bool,
    },
    /// A working order rests in the book (after its matching, if any).
    Rested {
        /// The order.
        order: OrderId,
        /// Price level.
        price: i64,
        /// Quantity resting.
        remaining: i64,
    },
}
