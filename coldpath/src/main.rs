//! The `orion` binary: parses the command line and hands over to the library.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = orion_coldpath::cli::Cli::parse();
    orion_coldpath::telemetry::init_logging();
    orion_coldpath::run(cli).await
}
