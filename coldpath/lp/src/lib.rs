//! Liquidity providers over QUIC.
//!
//! - [`gateway`] — the quinn server LPs connect to: hello, then one bidirectional stream per
//!   RFQ (notification out, quotes in), trade notifications on unidirectional streams.
//! - [`bots`] — the built-in LP bots, QUIC clients of that same gateway.
//! - [`frame`] — length-delimited protobuf framing on QUIC streams.
//! - [`tls`] — the gateway's certificate: generated into the data dir in development.

pub mod bots;
pub mod frame;
pub mod gateway;
pub mod tls;
