//! The `orion` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = orion_node::cli::Cli::parse();
    orion_node::telemetry::init_logging();
    orion_node::run(cli).await
}
