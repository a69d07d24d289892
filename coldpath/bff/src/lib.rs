//! Orion's BFF: the only thing a browser talks to. REST, the trader WebSocket, the OpenAPI
//! document and the web bundle, over the transport-free services; it renders the services'
//! typed results and the journal's committed decisions for HTTP and WebSocket and owns no
//! business rule of its own.
//!
//! - [`http`] — router, shared state, errors and the REST handlers by area.
//! - [`stream`] — the WebSocket: protocol, per-window fan-out, sessions, owner updates.
//! - [`market_view`] — the JSON shape of a market value (REST and WebSocket).
//! - [`web`] — the workstation's bundle, rebuilt when stale and served at `/`.
//! - [`link`] — the core's side of the link to replicas (`orion core`).
//! - [`replica`] — a replica of a remote core (`orion bff --core-url`).
#![deny(rustdoc::broken_intra_doc_links)]

pub mod http;
pub mod link;
pub mod market_view;
pub mod replica;
pub mod stream;
pub mod web;
