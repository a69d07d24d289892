//! Orion's application services: everything the faces (REST and WebSocket in the BFF, the LP
//! gateway, later gRPC) call, with no transport in sight. They speak typed requests, typed
//! committed decisions and typed views; each face renders those for its own protocol.
//!
//! - [`directory`] — tenants, users, LPs, venues and feature flags from the store, by name ↔
//!   the engine's dense ids.
//! - [`identity`] — Orion's tokens and password hashes; the demo users.
//! - [`auth`] — login, refresh, logout and token checks against the directory; throttling.
//! - [`admin`] — users, LPs, venues, feature flags and the audit trail.
//! - [`rfq`] — RFQ commands (through the engine, answered once durable) and queries.
//! - [`posttrade`] — confirmations and the settlement saga; unsettled trades and reconciliation.
//! - [`notifications`] — messages to users (a trade's final settlement failure), stored and
//!   pushed live.
//! - [`rebuild`] — `orion rebuild-read-models`: the projections rebuilt from the log into
//!   shadow tables, compared or promoted.
//! - [`recovery`] — rebuilding the engine from the store on start.
//! - [`relay`] — the bus (Kafka or the embedded local bus) and the outbox relay.
//! - [`consumer`] — the one runner every consumer of the event log runs in: validation,
//!   retries, dead letters, replays, stats.
//! - [`projections`] — the blotter read models, fed by one consumer on either bus.
//! - [`ticks`] — every normalized tick on Kafka's `marketdata.ticks`, fed by the bridge's tap.
//! - [`market_samples`] — every instrument's mid and spread once a second, persisted with a
//!   bounded retention (spread history, basket indices).
//! - [`analytics`] — the analytics consumer (facts from events) and TCA, LP scorecard, VWAP
//!   and basket indices derived from them.
//! - [`workstation`] — preferences, analytics samples and risk-panel reads.
//!
//! The services read time only through the [`Clock`](orion_bridge::clock::Clock) they are
//! given.
#![deny(rustdoc::broken_intra_doc_links)]

pub mod admin;
pub mod analytics;
pub mod auth;
pub mod consumer;
pub mod directory;
pub mod identity;
pub mod market_maker;
pub mod market_samples;
pub mod notifications;
pub mod posttrade;
pub mod projections;
pub mod rebuild;
pub mod recovery;
pub mod relay;
pub mod rfq;
pub mod ticks;
pub mod workstation;

pub use orion_store::StoreError;
