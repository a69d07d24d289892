//! Orion's cold path: every service that does I/O, and the `orion` binary's commands.
//!
//! Module map:
//! - [`cli`] — commands, flags and environment variables.
//! - [`server`] — start, serve, graceful shutdown.
//! - [`platform`] — the hot-path pipeline with its bridge producers and drains.
//! - [`http`] — the BFF's REST face: router, errors, auth, market data, ops.
//! - [`stream`] — the trader WebSocket: protocol, per-window fan-out, sessions.
//! - [`identity`] — the embedded identity provider and JWT validation.
//! - [`market_view`] — the JSON shape of a market value (REST and WebSocket).
//! - [`telemetry`] — JSON logs and Prometheus metrics.
//! - [`replay`] — `orion replay`.
//! - [`web`] — the web workstation's bundle, rebuilt when stale and served at `/`.
//! - [`spread_history`] — per-instrument spread samples for the analytics panel.
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cli;
pub mod directory;
pub mod durability;
pub mod http;
pub mod identity;
pub mod lp;
pub mod market_view;
pub mod platform;
pub mod projections;
pub mod recovery;
pub mod relay;
pub mod replay;
pub mod rfq_service;
pub mod server;
pub mod spread_history;
pub mod store;
pub mod stream;
pub mod telemetry;
pub mod web;

use bridge_sim::SimulatorConfig;
use orion_bridge::simulator as bridge_sim;

/// Runs a parsed command line.
pub async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    match cli.command {
        cli::Command::Up(up) => {
            let simulator = (up.sim_rate > 0).then_some(SimulatorConfig {
                seed: up.sim_seed,
                rate_per_sec: up.sim_rate,
                ..SimulatorConfig::default()
            });
            server::serve(&up.platform, simulator, |_| std::future::pending::<()>()).await
        }
        cli::Command::Replay(args) => replay::run(args).await,
    }
}
