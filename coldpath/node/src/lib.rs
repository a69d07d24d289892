//! The `orion` binary's library: the command line, the composition root that wires the hot
//! path, the journal, the services and the faces into one process, and telemetry.
//!
//! - [`cli`] — commands, flags and environment variables.
//! - [`server`] — start, serve, graceful shutdown: the composition root.
//! - [`platform`] — the hot-path pipeline with its bridge producers and drains.
//! - [`telemetry`] — JSON logs and Prometheus metrics.
//! - [`jwks`] — an external identity provider's keys, fetched and kept fresh.
//! - [`replay`] — `orion replay`.
//! - [`replica`] — `orion bff`: a BFF replica of a remote core.
//! - [`consumers`] — the event-log consumers and the settlement saga, started on either bus.
//! - [`tools`] — `orion dlq` and `orion rebuild-read-models`.
#![deny(rustdoc::broken_intra_doc_links)]

pub mod cli;
pub mod consumers;
pub mod jwks;
pub mod platform;
pub mod replay;
pub mod replica;
pub mod server;
pub mod telemetry;
pub mod tools;

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
            server::serve(&up.platform, server::Role::All, simulator, |_| {
                std::future::pending::<()>()
            })
            .await
        }
        cli::Command::Core(core) => {
            let simulator = (core.sim_rate > 0).then_some(SimulatorConfig {
                seed: core.sim_seed,
                rate_per_sec: core.sim_rate,
                ..SimulatorConfig::default()
            });
            server::serve(&core.platform, server::Role::Core, simulator, |_| {
                std::future::pending::<()>()
            })
            .await
        }
        cli::Command::Bff(args) => replica::run(args).await,
        cli::Command::Replay(args) => replay::run(args).await,
        cli::Command::Dlq(args) => tools::dlq(args).await,
        cli::Command::RebuildReadModels(args) => tools::rebuild_read_models(args).await,
        cli::Command::Openapi => {
            println!("{}", orion_bff::http::openapi::document_json());
            Ok(())
        }
    }
}
