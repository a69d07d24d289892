//! The `orion` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = orion_node::cli::Cli::parse();
    // Flushes the traces still buffered when the command returns.
    let _telemetry = orion_node::telemetry::init(cli.command.service_name());
    orion_node::run(cli).await
}
