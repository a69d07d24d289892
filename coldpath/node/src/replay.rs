//! `orion replay --file F --speed X`: the platform with a recorded file as its source.
//!
//! The file is parsed up front (bad lines are counted, not fatal), then published from its own
//! thread at the recorded pace times the speed factor, with a progress bar on a terminal. The
//! BFF serves meanwhile; when the file is done the command prints what happened and exits,
//! unless `--hold` keeps it serving.

use std::io::BufReader;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use orion_bridge::catalog::{default_catalog, instrument_table};
use orion_bridge::replay::{ReplayFile, replay};

use crate::cli::ReplayArgs;
use crate::server;

/// Runs `orion replay`.
pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let instruments = instrument_table(&default_catalog());
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    let parsed = ReplayFile::parse(BufReader::new(file), &instruments)
        .with_context(|| format!("reading {}", args.file.display()))?;
    anyhow::ensure!(
        !parsed.records.is_empty(),
        "{} holds no valid tick",
        args.file.display()
    );
    if !(args.speed.is_finite() && args.speed > 0.0) {
        anyhow::bail!("--speed must be a positive number");
    }
    println!(
        "Replaying {} ticks from {} at {}x ({} malformed lines skipped)",
        parsed.records.len(),
        args.file.display(),
        args.speed,
        parsed.malformed_lines
    );
    let records = Arc::new(parsed.records);
    let (speed, hold) = (args.speed, args.hold);
    server::serve(&args.platform, server::Role::All, None, move |platform| {
        let mut input = platform.input().expect("running platform has an input");
        let counters = Arc::clone(&platform.stats.replay);
        let tap = platform.tick_tap.clone();
        let pipeline = Arc::clone(&platform.counters);
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("orion-replay".into())
            .spawn(move || {
                let bar = ProgressBar::new(records.len() as u64);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} ticks {per_sec} eta {eta}")
                        .expect("static template"),
                );
                let stop = AtomicBool::new(false);
                replay(&records, speed, &mut input, &counters, tap.as_deref(), &stop, |n| {
                    bar.set_position(n)
                });
                bar.finish();
                println!(
                    "Replay done: {} published, {} dropped (ring full); pipeline in {} out {} malformed {}",
                    counters.published.get(),
                    counters.ring_full.get(),
                    pipeline.ticks_in.get(),
                    pipeline.ticks_out.get(),
                    pipeline.malformed.get()
                );
                let _ = done_tx.send(());
            })
            .expect("spawn replay thread");
        async move {
            let _ = done_rx.await;
            if hold {
                std::future::pending::<()>().await;
            }
        }
    })
    .await
}
