//! The RFQ engine: lifecycle, LP routing, quote collection and ranking,
//! acceptance with last look, execution, cancellation, expiry, and pre-trade risk with kill
//! switches — one pure, single-threaded state machine.
//!
//! - [`types`] — ids, commands, events, states and refusal reasons (all `Copy`, slot-sized).
//! - [`engine`] — the state machine and its fixed-size RFQ slab.
//!
//! `tests/rfq_simulation.rs` drives it with seeded random command streams for a million steps
//! and checks the lifecycle invariants and byte-identical replay.

pub mod engine;
pub mod types;

pub use engine::{
    EngineConfig, EngineError, InstrumentRef, LastLook, LpRef, OrderRules, QuoteView, RfqEngine,
    RfqView, UserRef,
};
pub use types::*;
