//! The central limit order book: price-time priority per instrument, one pure, single-threaded,
//! allocation-free state machine beside the RFQ engine.
//!
//! - [`types`] — order ids, commands, events, states and refusal reasons (all `Copy`).
//! - [`pool`] — the preallocated order slab: O(1) lookup by id, generation-checked.
//! - [`ladder`] — one book's price levels: a dense array over a window of ticks with an
//!   occupancy bitmap per side, so the best bid and ask are found in O(1) and each level is an
//!   intrusive FIFO of orders.
//! - [`matching`] — matching: LIMIT and MARKET orders, GTC/IOC/FOK, cancel, amend (size down keeps
//!   priority; a price change or size up loses it), self-trade prevention within a user, one
//!   trade per match at the resting order's price.
//!
//! `tests/book_simulation.rs` runs seeded command streams against a naive reference book and
//! checks every event and every invariant; `tests/no_alloc.rs` checks nothing allocates.

pub mod ladder;
pub mod matching;
pub mod pool;
pub mod types;

pub use matching::{BookConfig, OrderBooks, OrderView, RestingOrder};
pub use types::*;
