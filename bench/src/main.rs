//! `orion-rig`: Orion's load rig. Publishes the UDP feed, runs the in-process pipeline
//! comparisons and the end-to-end scenario, and writes `perf-reports/`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Parser, Subcommand};
use orion_bench::e2e::{self, E2eConfig};
use orion_bench::latency::summary_us;

use orion_bench::{feed, report, scenarios};

#[derive(Parser)]
#[command(name = "orion-rig", about = "Orion's load rig")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Send the UDP feed to a running orion (`orion up --feed-addr …`).
    Feed {
        /// Where the feed listens.
        #[arg(long, default_value = "127.0.0.1:7400")]
        target: SocketAddr,
        /// Ticks per second.
        #[arg(long, default_value_t = 10_000)]
        rate: u64,
        /// How long to send, seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Ticks per datagram (≤ 45).
        #[arg(long, default_value_t = 20)]
        per_packet: usize,
    },
    /// In-process throughput of every pipeline variant.
    Throughput {
        /// Ticks per round.
        #[arg(long, default_value_t = 5_000_000)]
        ticks: usize,
        /// Rounds per variant.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Only variants whose name contains this (e.g. `disruptor-split`).
        #[arg(long)]
        only: Option<String>,
    },
    /// In-process latency at a fixed offered rate, every variant.
    Latency {
        /// Offered ticks per second.
        #[arg(long, default_value_t = 1_000_000)]
        rate: u64,
        /// Milliseconds per trial.
        #[arg(long, default_value_t = LATENCY_TRIAL_MS)]
        trial_ms: u64,
        /// Trials per variant (interleaved).
        #[arg(long, default_value_t = LATENCY_TRIALS)]
        trials: usize,
    },
    /// The order book at an offered rate of the exchange-core mix: latency percentiles with
    /// intended-time stamping; writes `clob-latency.hgrm` into `--out`.
    Clob {
        /// Operations per second offered.
        #[arg(long, default_value_t = 1_000_000)]
        rate: u64,
        /// Operations replayed.
        #[arg(long, default_value_t = 3_000_000)]
        ops: usize,
        /// Output directory for the `.hgrm` file.
        #[arg(long, default_value = "perf-reports")]
        out: PathBuf,
    },
    /// Orders through REST against a real `orion up` with the market makers running: durable
    /// orders/s and submit → 201 percentiles; writes `orders-submit-<store>.hgrm` into `--out`.
    Orders {
        /// The `orion` binary.
        #[arg(long, default_value = "target/release/orion")]
        orion: PathBuf,
        /// Postgres URL; SQLite when absent.
        #[arg(long)]
        database_url: Option<String>,
        /// Concurrent clients.
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Seconds measured (after two of warm-up).
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Output directory for the `.hgrm` file.
        #[arg(long, default_value = "perf-reports")]
        out: PathBuf,
    },
    /// The RFQ engine on one core: quotes/s and accept latency; writes perf-reports/rfq.md.
    Engine {
        /// RFQ rounds (create, 10 quotes, accept).
        #[arg(long, default_value_t = 1_000_000)]
        rounds: u64,
        /// Output directory for the report.
        #[arg(long, default_value = "perf-reports")]
        out: PathBuf,
        /// Cargo target directory holding criterion's results.
        #[arg(long, env = "CARGO_TARGET_DIR", default_value = "target")]
        target_dir: PathBuf,
        /// Also run the REST load scenario against this orion binary (SQLite, then Postgres).
        #[arg(long)]
        load_with: Option<PathBuf>,
        /// Concurrent REST traders in the load scenario, one run per count (the soak uses the first).
        #[arg(long, value_delimiter = ',', default_value = "16,128")]
        traders: Vec<usize>,
        /// Seconds per store in the load scenario.
        #[arg(long, default_value_t = 10)]
        load_seconds: u64,
        /// Postgres admin URL used to create a fresh database for the load scenario.
        #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
        postgres_admin: String,
        /// RFQ→trade cycles for the group-commit and relay capacity runs (0 = skip).
        #[arg(long, default_value_t = 20_000)]
        store_rfqs: usize,
        /// Relay the capacity run's outbox to this Kafka broker as well.
        #[arg(long)]
        kafka_brokers: Option<String>,
        /// Seconds of the soak run (REST load on SQLite, server RSS sampled); 0 = skip.
        #[arg(long, default_value_t = 0)]
        soak_seconds: u64,
    },
    /// Group-commit and relay capacity on one store (decisions queued up front).
    Store {
        /// The store (`sqlite://…?mode=rwc` or `postgres://…`); a fresh one is best.
        #[arg(long)]
        database_url: String,
        /// RFQ→trade cycles (6 decisions each).
        #[arg(long, default_value_t = 20_000)]
        rfqs: usize,
        /// Relay to this Kafka broker instead of the local bus.
        #[arg(long)]
        kafka_brokers: Option<String>,
        /// Relay the same outbox first with the settings before tuning, then with the tuned
        /// ones, and print both.
        #[arg(long)]
        compare: bool,
    },
    /// UDP → WebSocket end to end against a real orion process.
    E2e(E2eArgs),
    /// One `orion core`, two `orion bff` replicas, many WebSocket sessions; then CreateRFQ
    /// through gRPC against REST. Writes perf-reports/fanout.md.
    Fanout {
        /// The orion binary.
        #[arg(long, default_value = "target/release/orion")]
        orion: PathBuf,
        /// WebSocket sessions in all, one run per count.
        #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
        sessions: Vec<usize>,
        /// Instruments per session.
        #[arg(long, default_value_t = 20)]
        per_session: usize,
        /// Feed ticks per second across all instruments.
        #[arg(long, default_value_t = 25)]
        rate: u64,
        /// Seconds measured.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// The replicas' coalescing window, ms.
        #[arg(long, default_value_t = 100)]
        window_ms: u64,
        /// CreateRFQ rounds per face.
        #[arg(long, default_value_t = 500)]
        unary_rounds: usize,
        /// Output directory.
        #[arg(long, default_value = "perf-reports")]
        out: PathBuf,
    },
    /// Everything, written to perf-reports/hotpath.md (run the criterion benches first).
    Report {
        #[command(flatten)]
        e2e: E2eArgs,
        /// Output directory.
        #[arg(long, default_value = "perf-reports")]
        out: PathBuf,
        /// Cargo target directory holding criterion's results.
        #[arg(long, env = "CARGO_TARGET_DIR", default_value = "target")]
        target_dir: PathBuf,
    },
}

#[derive(clap::Args, Clone)]
struct E2eArgs {
    /// The orion binary.
    #[arg(long, default_value = "target/release/orion")]
    orion: PathBuf,
    /// WebSocket clients.
    #[arg(long, default_value_t = 1_000)]
    clients: usize,
    /// Instruments per client.
    #[arg(long, default_value_t = 5)]
    per_client: usize,
    /// Feed ticks per second.
    #[arg(long, default_value_t = 20_000)]
    rate: u64,
    /// Seconds of feed per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Coalescing windows to run, ms.
    #[arg(long, value_delimiter = ',', default_value = "100,10")]
    windows: Vec<u64>,
}

impl E2eArgs {
    fn configs(&self) -> Vec<E2eConfig> {
        self.windows
            .iter()
            .map(|&window_ms| E2eConfig {
                orion: self.orion.clone(),
                clients: self.clients,
                per_client: self.per_client,
                rate: self.rate,
                duration: Duration::from_secs(self.seconds),
                window_ms,
            })
            .collect()
    }
}

/// Latency trials in the report: 21 × 200 ms per variant (short trials keep most of them clear
/// of the scheduler slices that hit a 2-core machine a few times a second).
const LATENCY_TRIALS: usize = 21;
const LATENCY_TRIAL_MS: u64 = 200;

fn print_latency(results: &[scenarios::LatencyResult]) {
    for r in results {
        let [_, _, p999, max] = summary_us(&r.histogram);
        let (p50, p99) = (
            r.median_trial(0.5) as f64 / 1e3,
            r.median_trial(0.99) as f64 / 1e3,
        );
        println!(
            "{:32} median trial: p50 {p50:8.2} µs  p99 {p99:8.2} µs | all trials: p99.9 {p999:9.1} µs  max {max:9.1} µs",
            r.name
        );
    }
}

/// Creates `orion_bench_<purpose>_<pid>` on the Postgres at `admin` with `psql`; returns its URL.
fn fresh_postgres(admin: &str, purpose: &str) -> Result<String> {
    let name = format!("orion_bench_{purpose}_{}", std::process::id());
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let status = std::process::Command::new("psql")
            .arg(admin)
            .args(["-qc", &sql])
            .status()?;
        anyhow::ensure!(status.success(), "psql {sql} failed");
    }
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Feed {
            target,
            rate,
            seconds,
            per_packet,
        } => {
            let sent = feed::publish(target, rate, Duration::from_secs(seconds), per_packet)?;
            println!("sent {} ticks in {} packets", sent.ticks, sent.packets);
        }
        Cmd::Throughput {
            ticks,
            rounds,
            only,
        } => {
            for t in scenarios::throughput_only(ticks, rounds, 64, only.as_deref()) {
                println!(
                    "{:32} median {:7.1} M ticks/s  rounds {:?}",
                    t.name,
                    t.median(),
                    t.rounds_mps
                );
            }
        }
        Cmd::Latency {
            rate,
            trial_ms,
            trials,
        } => {
            print_latency(&scenarios::latency(
                rate,
                Duration::from_millis(trial_ms),
                64,
                trials,
            ));
        }
        Cmd::Clob { rate, ops, out } => {
            let (warm, stream) = orion_bench::clob::workload(42, ops);
            if let Some(core) = core_affinity::get_core_ids().and_then(|c| c.last().copied()) {
                core_affinity::set_for_current(core);
            }
            let h = orion_bench::clob::offered_latency(&warm, &stream, rate);
            std::fs::create_dir_all(&out)?;
            std::fs::write(
                out.join("clob-latency.hgrm"),
                orion_bench::latency::hgrm(&h),
            )?;
            println!(
                "{} ops at {rate} ops/s offered: p50 {} ns p90 {} ns p99 {} ns p99.9 {} ns max {} ns",
                h.len(),
                h.value_at_quantile(0.50),
                h.value_at_quantile(0.90),
                h.value_at_quantile(0.99),
                h.value_at_quantile(0.999),
                h.max()
            );
        }
        Cmd::Fanout {
            orion,
            sessions,
            per_session,
            rate,
            seconds,
            window_ms,
            unary_rounds,
            out,
        } => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let mut runs = Vec::new();
            for sessions in sessions {
                runs.push(
                    orion_bench::fanout::run(orion_bench::fanout::FanoutConfig {
                        orion: orion.clone(),
                        sessions,
                        per_session,
                        rate,
                        duration: Duration::from_secs(seconds),
                        window_ms,
                    })
                    .await?,
                );
            }
            let unary = orion_bench::unary::run(&orion, unary_rounds).await?;
            let report = orion_bench::fanout::markdown(&runs, &unary, &command);
            std::fs::create_dir_all(&out)?;
            std::fs::write(out.join("fanout.md"), &report)?;
            println!("{report}");
        }
        Cmd::Orders {
            orion,
            database_url,
            clients,
            seconds,
            out,
        } => {
            let r = orion_bench::order_load::run(orion_bench::order_load::OrderLoadConfig {
                orion,
                database_url,
                clients,
                duration: Duration::from_secs(seconds),
            })
            .await?;
            std::fs::create_dir_all(&out)?;
            std::fs::write(
                out.join(format!("orders-submit-{}.hgrm", r.store.to_lowercase())),
                orion_bench::latency::hgrm(&r.submit),
            )?;
            let us = |q: f64| r.submit.value_at_quantile(q) as f64 / 1_000.0;
            println!(
                "{} {clients} clients: {:.0} orders/s durable, {:.0} cancels/s, {} IOC fills, {} failures; \
                 submit->201 p50 {:.0} us p90 {:.0} us p99 {:.0} us p99.9 {:.0} us max {:.0} us",
                r.store,
                r.orders as f64 / r.seconds,
                r.cancels as f64 / r.seconds,
                r.fills,
                r.failures,
                us(0.5),
                us(0.9),
                us(0.99),
                us(0.999),
                r.submit.max() as f64 / 1_000.0
            );
        }
        Cmd::Engine {
            rounds,
            out,
            target_dir,
            load_with,
            traders,
            load_seconds,
            postgres_admin,
            store_rfqs,
            kafka_brokers,
            soak_seconds,
        } => {
            let figures = orion_bench::engine::measure(rounds);
            let criterion = report::criterion_medians(&target_dir);
            let mut load = Vec::new();
            let mut paused = Vec::new();
            let traders_min = traders.iter().copied().min().unwrap_or(0);
            if let Some(orion) = load_with.clone() {
                for (traders, postgres) in traders.iter().flat_map(|t| [(*t, false), (*t, true)]) {
                    let database_url = if postgres {
                        match fresh_postgres(&postgres_admin, &format!("load{traders}")) {
                            Ok(url) => Some(url),
                            Err(err) => {
                                eprintln!("no Postgres for the load scenario: {err:#}");
                                continue;
                            }
                        }
                    } else {
                        None
                    };
                    let config = orion_bench::rfq_load::LoadConfig {
                        orion: orion.clone(),
                        database_url,
                        traders,
                        duration: Duration::from_secs(load_seconds),
                        rss_every: None,
                        analytics_paused: false,
                    };
                    // The smallest load again with the analytics consumer paused, on a fresh
                    // store: what analytics costs trading on these two cores.
                    if traders == traders_min {
                        let mut config = config.clone();
                        config.analytics_paused = true;
                        if let Some(url) = &mut config.database_url {
                            *url = fresh_postgres(&postgres_admin, &format!("paused{traders}"))?;
                        }
                        let result = orion_bench::rfq_load::run(config).await?;
                        println!(
                            "{} × {traders} traders, analytics paused: {:.0} RFQ→trade/s",
                            result.store,
                            result.trades as f64 / result.seconds
                        );
                        paused.push(result);
                    }
                    let result = orion_bench::rfq_load::run(config).await?;
                    println!(
                        "{} × {traders} traders: {:.0} RFQ→trade/s, accept p99 {:.2} ms, first quote p99 {:.2} ms, {} failures",
                        result.store,
                        result.trades as f64 / result.seconds,
                        result.accept.value_at_quantile(0.99) as f64 / 1e6,
                        result.first_quote.value_at_quantile(0.99) as f64 / 1e6,
                        result.failures
                    );
                    load.push(result);
                }
            }
            let mut capacity = Vec::new();
            if store_rfqs > 0 {
                let dir =
                    std::env::temp_dir().join(format!("orion-capacity-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                let mut urls = vec![format!("sqlite://{}/orion.db?mode=rwc", dir.display())];
                match fresh_postgres(&postgres_admin, "capacity") {
                    Ok(url) => urls.push(url),
                    Err(err) => eprintln!("no Postgres for the capacity run: {err:#}"),
                }
                for url in &urls {
                    let mut buses = vec![None];
                    if let Some(b) = kafka_brokers.as_deref() {
                        buses.push(Some(b));
                    }
                    for bus in buses {
                        // A fresh outbox per bus: the committer fills it, the relay drains it.
                        let f = orion_bench::store_load::run(url, store_rfqs, bus, bus.is_some())
                            .await?;
                        println!(
                            "{}: group commit {:.0} events/s; relay to {} {:.0} events/s{}",
                            f.store,
                            f.commit_rate(),
                            f.bus,
                            f.relay_rate(),
                            f.baseline_rate()
                                .map(|b| format!(" (baseline settings {b:.0} events/s)"))
                                .unwrap_or_default()
                        );
                        capacity.push(f);
                    }
                }
                let _ = std::fs::remove_dir_all(&dir);
            }
            let mut soak = None;
            if let (Some(orion), true) = (load_with.clone(), soak_seconds > 0) {
                println!("soak: {soak_seconds} s of REST load on SQLite, RSS sampled");
                soak = Some(
                    orion_bench::rfq_load::run(orion_bench::rfq_load::LoadConfig {
                        orion,
                        database_url: None,
                        traders: traders.first().copied().unwrap_or(16),
                        duration: Duration::from_secs(soak_seconds),
                        rss_every: Some(Duration::from_secs(10)),
                        analytics_paused: false,
                    })
                    .await?,
                );
            }
            let path = report::write_rfq(
                &out,
                &criterion,
                &figures,
                &load,
                &paused,
                &capacity,
                soak.as_ref(),
            )?;
            println!(
                "{:.1} M quotes/s; accept p50 {} ns p99 {} ns; wrote {}",
                figures.quotes_per_sec / 1e6,
                figures.accept.value_at_quantile(0.5),
                figures.accept.value_at_quantile(0.99),
                path.display()
            );
        }
        Cmd::Store {
            database_url,
            rfqs,
            kafka_brokers,
            compare,
        } => {
            let f = orion_bench::store_load::run(
                &database_url,
                rfqs,
                kafka_brokers.as_deref(),
                compare,
            )
            .await?;
            if let Some(rate) = f.baseline_rate() {
                println!(
                    "{}: relay to {} with the baseline settings {rate:.0} events/s",
                    f.store, f.bus
                );
            }
            println!(
                "{}: group commit {:.0} events/s ({} in {:.2} s); relay to {} {:.0} events/s ({} in {:.2} s)",
                f.store,
                f.commit_rate(),
                f.events,
                f.commit_seconds,
                f.bus,
                f.relay_rate(),
                f.relayed,
                f.relay_seconds
            );
            for r in &f.replays {
                println!(
                    "{}: {} consumer replay {:.0} events/s ({} delivered, {} applied, {} outbox rows in {:.2} s)",
                    f.store,
                    r.consumer,
                    r.rate(),
                    r.delivered,
                    r.applied,
                    r.rows,
                    r.seconds
                );
            }
        }
        Cmd::E2e(args) => {
            for config in args.configs() {
                let r = e2e::run(config).await?;
                let [p50, p99, p999, max] = summary_us(&r.latency);
                println!(
                    "{} ms window: p50 {:.2} ms p99 {:.2} ms p99.9 {:.2} ms max {:.2} ms; {:.1} KiB/session; {} frames",
                    r.config.window_ms,
                    p50 / 1e3,
                    p99 / 1e3,
                    p999 / 1e3,
                    max / 1e3,
                    r.bytes_per_session() / 1024.0,
                    r.frames
                );
            }
        }
        Cmd::Report {
            e2e: args,
            out,
            target_dir,
        } => {
            let criterion = report::criterion_medians(&target_dir);
            anyhow::ensure!(
                !criterion.is_empty(),
                "no criterion results under {}; run the benches first",
                target_dir.display()
            );
            println!("throughput…");
            let throughput = scenarios::throughput(5_000_000, 5, 64);
            println!("latency…");
            let rate = 1_000_000;
            let latency = scenarios::latency(
                rate,
                Duration::from_millis(LATENCY_TRIAL_MS),
                64,
                LATENCY_TRIALS,
            );
            print_latency(&latency);
            let mut e2e_results = Vec::new();
            for config in args.configs() {
                println!("end to end, {} ms window…", config.window_ms);
                e2e_results.push(e2e::run(config).await?);
            }
            let path = report::write(&out, &criterion, &throughput, &latency, rate, &e2e_results)?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
