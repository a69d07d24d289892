//! `perf-reports/hotpath.md`: runs the in-process scenarios and the end-to-end scenario, reads
//! the criterion results of the same checkout, and writes the report with its `.hgrm` files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::e2e::E2eResult;
use crate::latency::{hgrm, summary_us};
use crate::machine;
use crate::scenarios::{LatencyResult, ThroughputResult};

/// The command that regenerates the report.
pub const COMMAND: &str = "bench/hotpath-report.sh";

/// Criterion medians (ns per element) by bench id (`group/function[/parameter]`).
pub fn criterion_medians(target_dir: &Path) -> BTreeMap<String, f64> {
    let root = target_dir.join("criterion");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    let estimates = path.join("estimates.json");
                    if let Some(median) = std::fs::read_to_string(&estimates)
                        .ok()
                        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                        .and_then(|v| v["median"]["point_estimate"].as_f64())
                    {
                        let id = dir
                            .strip_prefix(&root)
                            .unwrap_or(&dir)
                            .to_string_lossy()
                            .replace('\\', "/");
                        out.insert(id, median);
                    }
                } else if path
                    .file_name()
                    .is_some_and(|n| n != "report" && n != "base" && n != "change")
                {
                    stack.push(path);
                }
            }
        }
    }
    out
}

fn verdict(ok: bool, detail: String) -> String {
    if ok {
        format!("met ({detail})")
    } else {
        format!("**missed** ({detail})")
    }
}

/// Writes `hotpath.md` and the `.hgrm` files into `out`.
pub fn write(
    out: &Path,
    criterion: &BTreeMap<String, f64>,
    throughput: &[ThroughputResult],
    latency: &[LatencyResult],
    latency_rate: u64,
    e2e: &[E2eResult],
) -> Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let get = |id: &str| criterion.get(id).copied();
    let tp = |name: &str| {
        throughput
            .iter()
            .find(|t| t.name == name)
            .map(ThroughputResult::median)
    };
    let lat = |name: &str| {
        latency.iter().find(|l| l.name == name).map(|l| {
            [
                l.median_trial(0.5) as f64 / 1e3,
                l.median_trial(0.99) as f64 / 1e3,
            ]
        })
    };
    let mut md = String::new();
    let _ = writeln!(md, "# Hot-path performance\n");
    let _ = writeln!(
        md,
        "What: the market-data hot path (normalize → coalesce) and its transports — disruptor \
         fused and split layouts against the same stages over `crossbeam-channel` and \
         `std::sync::mpsc` — plus the end-to-end path UDP packet → WebSocket frame through a real \
         `orion up`.\n"
    );
    let _ = writeln!(
        md,
        "- Command: `{COMMAND}` (criterion benches, then `orion-rig report`)"
    );
    let _ = writeln!(
        md,
        "- Machine: {} cores, {}",
        machine::cores(),
        machine::cpu_model()
    );
    let _ = writeln!(md, "- Date: {}", machine::date());
    let _ = writeln!(md, "- Commit: {}", machine::commit());
    let _ = writeln!(
        md,
        "- Layout: publisher thread unpinned; fused stage thread pinned to the last core with the \
         spin-loop-hint wait strategy; split layouts pin the first stage to the last core and \
         yield (three threads share two cores). Channel consumers idle the same way.\n"
    );

    let _ = writeln!(
        md,
        "## Targets\n\n| target | measured | verdict |\n|---|---|---|"
    );
    let (dis, cb) = (
        tp("disruptor-fused/one-by-one"),
        tp("crossbeam-fused/one-by-one"),
    );
    if let (Some(d), Some(c)) = (dis, cb) {
        let _ = writeln!(
            md,
            "| disruptor ≥ 3× crossbeam throughput (fused, one by one) | {d:.1} vs {c:.1} M ticks/s | {} |",
            verdict(d >= 3.0 * c, format!("{:.1}×", d / c))
        );
    }
    if let (Some(d), Some(c)) = (
        tp("disruptor-split/one-by-one"),
        tp("crossbeam-split/one-by-one"),
    ) {
        let _ = writeln!(
            md,
            "| disruptor ≥ 3× crossbeam throughput (split, one by one) | {d:.1} vs {c:.1} M ticks/s | {} |",
            verdict(d >= 3.0 * c, format!("{:.1}×", d / c))
        );
    }
    for layout in ["fused", "split"] {
        if let (Some(d), Some(c)) = (
            lat(&format!("disruptor-{layout}/one-by-one")),
            lat(&format!("crossbeam-{layout}/one-by-one")),
        ) {
            let _ = writeln!(
                md,
                "| disruptor p99 ≤ ⅓ crossbeam p99 ({layout}, {} k ticks/s offered) | {:.2} vs {:.2} µs | {} |",
                latency_rate / 1_000,
                d[1],
                c[1],
                verdict(d[1] * 3.0 <= c[1], format!("{:.2}×", d[1] / c[1]))
            );
        }
    }
    let lat_q = |name: &str, q: f64| {
        latency
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.median_trial(q) as f64 / 1e3)
    };
    for (label, q) in [("p50", 0.5), ("p90", 0.9)] {
        if let (Some(d), Some(c)) = (
            lat_q("disruptor-fused/one-by-one", q),
            lat_q("crossbeam-fused/one-by-one", q),
        ) {
            let _ = writeln!(
                md,
                "| (for reference) disruptor {label} vs crossbeam {label} (fused, {} k ticks/s) | {d:.2} vs {c:.2} µs | {:.2}× |",
                latency_rate / 1_000,
                d / c
            );
        }
    }
    if let Some(f) = get("stages/fused") {
        let _ = writeln!(
            md,
            "| fused normalize + coalesce ≤ 50 ns/tick | {f:.1} ns | {} |",
            verdict(f <= 50.0, format!("{:.0}% of budget", f / 50.0 * 100.0))
        );
    }
    if let (Some(a), Some(b)) = (
        get("instruments/fused-flush-each/10"),
        get("instruments/fused-flush-each/10000"),
    ) {
        let _ = writeln!(
            md,
            "| per-tick cost at 10,000 instruments ≤ 1.2× at 10 (publish every tick) | {b:.1} vs {a:.1} ns | {} |",
            verdict(b <= 1.2 * a, format!("{:.2}×", b / a))
        );
    }
    if let (Some(a), Some(b)) = (get("instruments/fused/10"), get("instruments/fused/10000")) {
        let _ = writeln!(
            md,
            "| per-tick cost at 10,000 instruments ≤ 1.2× at 10 (flush per 64-tick batch) | {b:.1} vs {a:.1} ns | {} |",
            verdict(b <= 1.2 * a, format!("{:.2}×", b / a))
        );
    }
    for r in e2e {
        let per = r.bytes_per_session();
        let _ = writeln!(
            md,
            "| RSS per WebSocket session ≤ 16 KiB ({} sessions, {} ms window) | {:.1} KiB | {} |",
            r.config.clients,
            r.config.window_ms,
            per / 1024.0,
            verdict(
                per <= 16.0 * 1024.0,
                format!("{:.0}% of budget", per / (16.0 * 1024.0) * 100.0)
            )
        );
    }
    let _ = writeln!(
        md,
        "| zero heap allocations per event | 0 over 1,000,000 events, fused and split | met (`cargo test -p orion-hotpath --test no_alloc`) |\n"
    );

    let _ = writeln!(
        md,
        "## Per-stage and per-instrument cost (criterion, median ns per tick)\n\n| bench | ns/tick |\n|---|---|"
    );
    for (id, ns) in criterion
        .iter()
        .filter(|(id, _)| id.starts_with("stages/") || id.starts_with("instruments/"))
    {
        let _ = writeln!(md, "| `{id}` | {ns:.2} |");
    }
    let _ = writeln!(
        md,
        "\n`stages/base` is the harness alone (walking the prepared tick array). With a flush per \
         64-tick batch, few instruments conflate inside the batch (10 instruments: ≤ 10 seqlock \
         writes per 64 ticks; 10,000: ≈ 64), which is the coalescing win, not a lookup cost; \
         publishing every tick isolates the per-instrument state lookup.\n"
    );

    let _ = writeln!(
        md,
        "## Pipeline throughput (criterion, same run)\n\n| variant | ns/tick | M ticks/s |\n|---|---|---|"
    );
    for (id, ns) in criterion
        .iter()
        .filter(|(id, _)| id.starts_with("pipeline/"))
    {
        let _ = writeln!(
            md,
            "| `{}` | {ns:.2} | {:.1} |",
            id.trim_start_matches("pipeline/"),
            1e3 / ns
        );
    }
    let _ = writeln!(
        md,
        "\n## Pipeline throughput (orion-rig, medians of rounds, same process)\n\n| variant | median M ticks/s | rounds (M/s) | × crossbeam-fused |\n|---|---|---|---|"
    );
    let base = cb.unwrap_or(f64::NAN);
    for t in throughput {
        let rounds: Vec<String> = t.rounds_mps.iter().map(|r| format!("{r:.1}")).collect();
        let _ = writeln!(
            md,
            "| `{}` | {:.1} | {} | {:.2} |",
            t.name,
            t.median(),
            rounds.join(", "),
            t.median() / base
        );
    }

    let _ = writeln!(
        md,
        "\n## Latency: publish → coalesce applied at {} k ticks/s offered (hdrhistogram, µs)\n\n\
         Stamped with the intended send time (no coordinated omission), after a {} ms warm-up. \
         Each variant ran {} trials, interleaved with the others; p50 and p99 are the median \
         trial's (when the scheduler gives one of the two cores to another thread for a time slice — \
         ≈ 4 ms here — every tick offered meanwhile lands in that trial's tail), p99.9 and max are over all \
         trials merged and are dominated by those slices. Batched rows publish 64 ticks at \
         once every 64 periods, like a feed packet.\n\n| variant | p50 | p90 | p99 | p99 per trial | p99.9 (all) | max (all) | samples | file |\n|---|---|---|---|---|---|---|---|---|",
        latency_rate / 1_000,
        crate::scenarios::WARMUP.as_millis(),
        latency.first().map_or(0, |l| l.trials.len())
    );
    for l in latency {
        let [_, _, p999, max] = summary_us(&l.histogram);
        let (p50, p90, p99) = (
            l.median_trial(0.5) as f64 / 1e3,
            l.median_trial(0.9) as f64 / 1e3,
            l.median_trial(0.99) as f64 / 1e3,
        );
        let per_trial: Vec<String> = l
            .trials
            .iter()
            .map(|h| format!("{:.1}", h.value_at_quantile(0.99) as f64 / 1e3))
            .collect();
        let file = format!("hotpath-latency-{}.hgrm", l.name.replace('/', "-"));
        std::fs::write(out.join(&file), hgrm(&l.histogram))?;
        let _ = writeln!(
            md,
            "| `{}` | {p50:.2} | {p90:.2} | {p99:.2} | {} | {p999:.1} | {max:.1} | {} | [{file}]({file}) |",
            l.name,
            per_trial.join(", "),
            l.histogram.len()
        );
    }

    for r in e2e {
        let [p50, p99, p999, max] = summary_us(&r.latency);
        let file = format!("hotpath-e2e-{}ms.hgrm", r.config.window_ms);
        std::fs::write(out.join(&file), hgrm(&r.latency))?;
        let _ = writeln!(
            md,
            "\n## End to end: UDP packet → WebSocket frame received ({} ms window)\n\n\
             `orion up` (release, simulator off, fused layout, sleep wait strategy), {} WebSocket \
             clients × {} instruments each, feed at {} ticks/s in 20-tick packets for {} s; \
             latency in ms; the window bounds it from above by design (a tick waits for the next \
             window).\n\n| p50 | p99 | p99.9 | max | frames received | ticks sent | RSS before → after | per session | file |\n|---|---|---|---|---|---|---|---|---|\n\
             | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} → {} KiB | {:.1} KiB | [{file}]({file}) |",
            r.config.window_ms,
            r.config.clients,
            r.config.per_client,
            r.config.rate,
            r.config.duration.as_secs(),
            p50 / 1e3,
            p99 / 1e3,
            p999 / 1e3,
            max / 1e3,
            r.frames,
            r.ticks_sent,
            r.rss_before_kib,
            r.rss_after_kib,
            r.bytes_per_session() / 1024.0
        );
    }
    let _ = writeln!(
        md,
        "\n## What limits the misses\n\n\
         - **Split layouts on 2 cores.** A split pipeline is three runnable threads (publisher, \
         normalize, coalesce) on two cores, so its stages cannot spin: they yield, and every hand-off \
         between stages waits for the scheduler to run the other thread — a time slice, not a cache \
         miss. That is why every split variant (disruptor and channels alike) sits far below the fused \
         layout, with millisecond p50s, while the fused layout's one stage thread owns a core (see \
         the throughput tables above). The ring is not the limit: most of the fused disruptor's \
         per-tick time is the stages themselves (`stages/fused`). `orion up` therefore runs fused by \
         default; on ≥ 3 cores `Placement::for_machine` pins each split stage and spins.\n\
         - **10,000 vs 10 instruments with a flush per batch.** The per-instrument lookup is flat \
         (the publish-every-tick rows stay within the target); what differs is conflation: a 64-tick batch over 10 \
         instruments publishes ≤ 10 seqlock writes, over 10,000 instruments ≈ 64. Fewer \
         instruments get cheaper, more do not get dearer.\n\
         - **Tails.** On two cores the measured threads own both; whenever another thread runs \
         (system services, kernel workers), the scheduler takes a core for a slice of ≈ 4 ms and \
         every tick offered meanwhile waits: p99.9 and max in every row are those slices (see the \
         per-trial p99 column: trials are either clear, in the tens of µs, or hit, in ms). The \
         interleaved trials expose every variant to them alike."
    );
    let path = out.join("hotpath.md");
    std::fs::write(&path, md)?;
    Ok(path)
}

/// The analytics consumers: replay throughput (from the capacity runs) and lag under the REST
/// load.
fn write_analytics(
    md: &mut String,
    load: &[crate::rfq_load::LoadResult],
    paused: &[crate::rfq_load::LoadResult],
    capacity: &[crate::store_load::StoreFigures],
) {
    let replays: Vec<_> = capacity
        .iter()
        .flat_map(|f| f.replays.iter().map(move |r| (f.store, r)))
        .collect();
    if replays.is_empty() && load.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n## Analytics consumers\n\n\
         **Replay throughput.** The outbox each capacity run committed (above) is replayed from the \
         start through the consumer runner `orion up` uses on the local bus — envelope validation, \
         the idempotency ledger, one transaction per event — into the analytics read models (TCA \
         per trade, LP quotes and RFQs for the scorecard), then, as the comparison in the same \
         process, into the blotters. \"delivered\" counts the events on the consumer's streams, \
         \"applied\" those that changed a read model; the rate is delivered events per second.\n\n\
         | store | consumer | outbox rows | delivered | applied | seconds | events/s | vs blotters |\n|---|---|---|---|---|---|---|---|"
    );
    for (store, r) in &replays {
        let blotters = replays
            .iter()
            .find(|(s, b)| s == store && b.consumer == "blotters")
            .map(|(_, b)| b.rate());
        let _ = writeln!(
            md,
            "| {store} | {} | {} | {} | {} | {:.2} | {:.0} | {} |",
            r.consumer,
            r.rows,
            r.delivered,
            r.applied,
            r.seconds,
            r.rate(),
            blotters
                .filter(|_| r.consumer != "blotters")
                .map(|b| format!("{:.2}×", r.rate() / b))
                .unwrap_or_else(|| "—".into())
        );
    }
    if !load.is_empty() {
        let _ = writeln!(
            md,
            "\n**Lag under the REST load.** During each REST run above, the analytics consumer's \
             lag (`orion_consumer_lag{{consumer=\"analytics\"}}`: committed outbox rows it has not \
             applied yet) was read from `/metrics` every {} ms; \"catch-up\" is the time from the \
             end of the load until the consumer had applied everything committed by then. The time behind is the lag divided by the rate the \
             log grew (group-commit events per second).\n\n\
             | store | traders | samples | lag p50 | lag p99 | lag max | ≈ time behind at p99 | catch-up s |\n|---|---|---|---|---|---|---|---|",
            crate::rfq_load::LAG_SAMPLE.as_millis()
        );
        for r in load {
            let p99 = r.analytics_lag.value_at_quantile(0.99);
            let behind = if r.commit_events_per_sec > 0.0 {
                format!("{:.0} ms", p99 as f64 / r.commit_events_per_sec * 1e3)
            } else {
                "—".into()
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {p99} | {} | {behind} | {:.2} |",
                r.store,
                r.config.traders,
                r.analytics_lag.len(),
                r.analytics_lag.value_at_quantile(0.5),
                r.analytics_lag.max(),
                r.analytics_catch_up
            );
        }
    }
    if !paused.is_empty() {
        let _ = writeln!(
            md,
            "\n**What analytics costs trading.** The same REST load run again on a fresh store with \
             the analytics consumer paused by the operator's endpoint (`POST \
             /ops/consumers/analytics/pause`) for the whole measurement, then resumed; \
             \"catch-up\" is then the time the consumer took to apply the whole backlog. The \
             consumer is never on the trading path: it reads the committed log afterwards, so \
             what it costs is a share of the two cores and, on SQLite, of the one write \
             connection.\n\n\
             | store | traders | RFQ→trade/s, analytics running | RFQ→trade/s, analytics paused | running ÷ paused | accept p99 ms running / paused | catch-up after pause s |\n|---|---|---|---|---|---|---|"
        );
        for p in paused {
            let Some(r) = load
                .iter()
                .find(|r| r.store == p.store && r.config.traders == p.config.traders)
            else {
                continue;
            };
            let (running, stopped) = (r.trades as f64 / r.seconds, p.trades as f64 / p.seconds);
            let _ = writeln!(
                md,
                "| {} | {} | {running:.0} | {stopped:.0} | {:.2} | {:.2} / {:.2} | {:.2} |",
                p.store,
                p.config.traders,
                running / stopped,
                r.accept.value_at_quantile(0.99) as f64 / 1e6,
                p.accept.value_at_quantile(0.99) as f64 / 1e6,
                p.analytics_catch_up
            );
        }
    }
}

/// The command that regenerates `rfq.md`.
pub const RFQ_COMMAND: &str = "bench/rfq-report.sh";

/// Writes `rfq.md` and `rfq-accept.hgrm` into `out`.
pub fn write_rfq(
    out: &Path,
    criterion: &BTreeMap<String, f64>,
    figures: &crate::engine::EngineFigures,
    load: &[crate::rfq_load::LoadResult],
    paused: &[crate::rfq_load::LoadResult],
    capacity: &[crate::store_load::StoreFigures],
    soak: Option<&crate::rfq_load::LoadResult>,
) -> Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let mut md = String::new();
    let q = |p: f64| figures.accept.value_at_quantile(p);
    let clock_p50 = figures.clock.value_at_quantile(0.5);
    let _ = writeln!(md, "# RFQ engine performance\n");
    let _ = writeln!(
        md,
        "What: the RFQ engine (`orion_hotpath::rfq`) on one core, driven directly: each round \
         creates an RFQ, takes {} quotes from distinct LPs and accepts the best (trade executed).\n",
        crate::engine::QUOTES_PER_RFQ
    );
    let _ = writeln!(
        md,
        "- Command: `{RFQ_COMMAND}` (criterion `engine/*`, then `orion-rig engine`)"
    );
    let _ = writeln!(
        md,
        "- Machine: {} cores, {}",
        machine::cores(),
        machine::cpu_model()
    );
    let _ = writeln!(md, "- Date: {}", machine::date());
    let _ = writeln!(md, "- Commit: {}\n", machine::commit());
    let _ = writeln!(
        md,
        "## Targets\n\n| target | measured | verdict |\n|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| engine ≥ 5 M quotes/s on one core | {:.1} M quotes/s | {} |",
        figures.quotes_per_sec / 1e6,
        verdict(
            figures.quotes_per_sec >= 5e6,
            format!("{:.1}×", figures.quotes_per_sec / 5e6)
        )
    );
    let _ = writeln!(
        md,
        "| accept decision p99 ≤ 1 µs | {} ns (clock read alone: p50 {clock_p50} ns) | {} |",
        q(0.99),
        verdict(
            q(0.99) <= 1_000,
            format!("{:.0}% of budget", q(0.99) as f64 / 10.0)
        )
    );
    let _ = writeln!(
        md,
        "| engine memory per open RFQ, released at terminal state | {} bytes per slot; slots return to the free list on trade, expiry or cancel (unit test `capacity_is_bounded_and_restores_put_rfqs_back`) | fixed by construction |",
        figures.bytes_per_rfq
    );
    for r in load {
        let rate = r.trades as f64 / r.seconds;
        let p99 = r.accept.value_at_quantile(0.99) as f64 / 1e6;
        let _ = writeln!(
            md,
            "| ≥ 2,000 durable RFQ→trade/s via REST with p99 accept → 200 ≤ 20 ms ({}, {} traders) | {rate:.0}/s, p99 {p99:.2} ms | {} |",
            r.store,
            r.config.traders,
            if r.store == "Postgres" {
                verdict(
                    rate >= 2_000.0 && p99 <= 20.0,
                    format!("{:.2}× the rate", rate / 2_000.0),
                )
            } else {
                "reference (the target is for Postgres)".into()
            }
        );
    }
    for f in capacity {
        let _ = writeln!(
            md,
            "| group commit ≥ 50 k events/s ({}, capacity) | {:.0} events/s | {} |",
            f.store,
            f.commit_rate(),
            verdict(
                f.commit_rate() >= 50_000.0,
                format!("{:.2}×", f.commit_rate() / 50_000.0)
            )
        );
        // To Kafka the goal is 50 k events/s (the broker's acknowledgements are in the loop);
        // on the local bus, 100 k.
        let goal = if f.bus == "kafka" {
            50_000.0
        } else {
            100_000.0
        };
        let _ = writeln!(
            md,
            "| relay ≥ {} k events/s ({} outbox → {}) | {:.0} events/s{} | {} |",
            goal / 1_000.0,
            f.store,
            f.bus,
            f.relay_rate(),
            f.baseline_rate()
                .map(|b| format!(
                    " ({:.1}× the settings before tuning: {b:.0})",
                    f.relay_rate() / b
                ))
                .unwrap_or_default(),
            verdict(
                f.relay_rate() >= goal,
                format!("{:.2}×", f.relay_rate() / goal)
            )
        );
    }
    if let Some(r) = soak {
        if let (Some(first), Some(last)) = (r.rss_kib.first(), r.rss_kib.last()) {
            let max = r.rss_kib.iter().map(|(_, k)| *k).max().unwrap_or(0);
            let _ = writeln!(
                md,
                "| steady RSS over a {:.0}-minute run | {} → {} KiB (max {max}) over {} RFQ→trade | {} |",
                r.seconds / 60.0,
                first.1,
                last.1,
                r.trades,
                if last.1 <= first.1 + first.1 / 10 {
                    "steady (≤ +10 %)"
                } else {
                    "**grew** (see the series below)"
                }
            );
        }
    }
    if load.is_empty() {
        let _ = writeln!(
            md,
            "| REST RFQ→trade, group commit, relay | not run (pass `--load-with <orion>`) | — |"
        );
    }
    let _ = writeln!(md);
    let _ = writeln!(
        md,
        "## Accept decision latency (hdrhistogram, {} accepts, ns)\n\n| p50 | p90 | p99 | p99.9 | max |\n|---|---|---|---|---|\n| {} | {} | {} | {} | {} |\n\nEach accept is timed alone (`Instant` before and after), so every figure includes one clock \
         read (p50 {clock_p50} ns measured the same way). The tail above p99 is the machine's \
         scheduler, as in the hot-path report. Raw: [rfq-accept.hgrm](rfq-accept.hgrm).\n",
        figures.rounds,
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        figures.accept.max()
    );
    std::fs::write(out.join("rfq-accept.hgrm"), hgrm(&figures.accept))?;
    let _ = writeln!(
        md,
        "## Criterion (median per iteration)\n\n| bench | one iteration is | ns per iteration | ns per command | M commands/s |\n|---|---|---|---|---|"
    );
    let quotes = crate::engine::QUOTES_PER_RFQ as f64;
    for (id, what, commands) in [
        ("engine/quotes", format!("{quotes} quotes"), quotes),
        (
            "engine/rfq-round",
            format!("create + {quotes} quotes + accept"),
            quotes + 2.0,
        ),
    ] {
        if let Some(ns) = criterion.get(id) {
            let _ = writeln!(
                md,
                "| `{id}` | {what} | {ns:.1} | {:.1} | {:.1} |",
                ns / commands,
                commands * 1e3 / ns
            );
        }
    }
    for r in load {
        let file = format!(
            "rfq-load-{}-{}-accept.hgrm",
            r.store.to_lowercase(),
            r.config.traders
        );
        std::fs::write(out.join(&file), hgrm(&r.accept))?;
        let ms = |h: &hdrhistogram::Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1e6;
        let _ = writeln!(
            md,
            "\n## REST load on {} ({} traders × {:.0} s, `orion up` release, LP bots over QUIC)\n\n\
             Each trader: `POST /rfqs` → first `QuoteReceived` on its WebSocket → `POST /rfqs/{{id}}/accept` \
             with an Idempotency-Key (200 = trade committed). Client and server share the 2 cores.\n\n\
             | measure | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|\n\
             | create → first quote | {:.2} | {:.2} | {:.2} | {:.2} |\n\
             | accept → 200 (durable trade) | {:.2} | {:.2} | {:.2} | {:.2} |\n\n\
             {} round trips ({:.0}/s), {} failed or refused; group commit {:.0} events/s, relay {:.0} events/s \
             observed. Raw: [{file}]({file}).",
            r.store,
            r.config.traders,
            r.seconds,
            ms(&r.first_quote, 0.5),
            ms(&r.first_quote, 0.9),
            ms(&r.first_quote, 0.99),
            r.first_quote.max() as f64 / 1e6,
            ms(&r.accept, 0.5),
            ms(&r.accept, 0.9),
            ms(&r.accept, 0.99),
            r.accept.max() as f64 / 1e6,
            r.trades,
            r.trades as f64 / r.seconds,
            r.failures,
            r.commit_events_per_sec,
            r.relay_events_per_sec
        );
    }
    if !capacity.is_empty() {
        let _ = writeln!(
            md,
            "\n## Group commit and relay capacity (`orion-rig store`)\n\n\
             The engine `orion up` builds, restored from the store under test, produces a realistic \
             decision stream — per RFQ: created, {} quotes, accepted, traded — with a waiting request \
             registered for every create and accept as the REST handlers do. The whole stream is \
             queued before the committer starts, so every transaction is a full batch (up to 2,048 \
             decisions) and the figure is capacity, not offered load. The relay then publishes the \
             outbox those commits wrote: batches of 8,192 rows, up to 3 in flight to the broker, each \
             marked published by one range update once all of it was acknowledged. On Kafka the same \
             outbox is relayed twice in the same process: first with the settings before tuning (4,096 \
             rows per round, one round at a time, `linger.ms=2`, no compression), then, after marking \
             it unpublished again, with the tuned ones (`linger.ms=5`, 1 MB batches, five requests in \
             flight with idempotence, three batches in flight; lz4 was tried and is slower against \
             tansu, which decompresses every batch). \"cores\" is the CPU the rig process itself used \
             per wall second in that phase: far below 1 while the rate misses its goal means the \
             other side (the database, the broker) is what bounds it.\n\n| store | decisions | group commit events/s | commit cores | bus | outbox rows | relay events/s | relay cores | before tuning | ratio |\n|---|---|---|---|---|---|---|---|---|---|",
            crate::store_load::QUOTES_PER_RFQ
        );
        for f in capacity {
            let (before, ratio) = match f.baseline_rate() {
                Some(b) => (format!("{b:.0}"), format!("{:.2}×", f.relay_rate() / b)),
                None => ("—".into(), "—".into()),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {:.0} | {:.2} | {} | {} | {:.0} | {:.2} | {before} | {ratio} |",
                f.store,
                f.events,
                f.commit_rate(),
                f.commit_cores,
                f.bus,
                f.relayed,
                f.relay_rate(),
                f.relay_cores
            );
        }
    }
    write_analytics(&mut md, load, paused, capacity);
    if let Some(r) = soak {
        let _ = writeln!(
            md,
            "\n## Soak: server memory under REST load ({} traders × {:.0} s, SQLite)\n\n\
             `orion up` (release) with the same closed-loop traders as above; the server's VmRSS \
             sampled every 10 s. {} RFQ→trade completed ({:.0}/s), {} failed. Engine memory per \
             open RFQ is fixed (a slab slot of {} bytes, returned at the terminal state), so RSS \
             should level off once the caches and pools are warm.\n\n| t (s) | RSS (KiB) |\n|---|---|",
            r.config.traders,
            r.seconds,
            r.trades,
            r.trades as f64 / r.seconds,
            r.failures,
            figures.bytes_per_rfq
        );
        for (t, kib) in &r.rss_kib {
            let _ = writeln!(md, "| {t:.0} | {kib} |");
        }
    }
    if !load.is_empty() || !capacity.is_empty() {
        let _ = writeln!(
            md,
            "\n## What limits the durable figures\n\n\
             The engine is not the limit (tens of ns per decision, above).\n\n\
             **Group commit.** A batch is one transaction of multi-row statements: new RFQs with \
             their final state, quotes, trades, outbox envelopes, audit entries and idempotent \
             responses, then one CASE update per chunk for earlier RFQs' state changes and one \
             per status for quotes. What remains per decision is CPU in the committing process — \
             rendering each envelope (JSON, a UUID), copying every value through sqlx's `Any` \
             driver (a profile of the capacity run on Postgres shows about half of the client's \
             CPU in malloc/free/memmove) — and, on SQLite, its parameter lookup, which is linear \
             per parameter: with 4,800-parameter statements 55 % of the committer's time went to \
             `sqlite3_bind_parameter_name`, so statements are kept to 128 parameters there. On \
             Postgres the server runs on the same two cores. Capacity figures move by up to ±30 % \
             run to run on this shared machine.\n\n\
             **Relay.** One round reads 4,096 unpublished rows, publishes them and marks them; on \
             the local bus the cost is the read and the mark (on Postgres the mark rewrites every \
             row and its index entry, hence the gap to SQLite). To Kafka the broker sets the pace: \
             tansu (libsql storage), on the same two cores, acknowledging with `acks=all` for the \
             idempotent producer.\n\n\
             **REST.** A closed-loop trader waits for the first LP quote (the bots answer in \
             15–60 ms by design) before it accepts, so 16 traders cannot exceed ≈ 16 / 45 ms ≈ \
             350 round trips/s whatever the server does: the 16-trader rows measure latency at \
             that rate. With 128 traders the two cores are the limit: the load generator's 128 \
             HTTP clients, the BFF's handlers and JSON, the WebSocket fan-out, the LP bots' QUIC \
             sessions and the store share them; on SQLite every read and write goes through its \
             one connection (a system-wide `perf record` during the 128-trader SQLite run put \
             that connection's thread at ≈ half a core, the tokio workers of both processes at \
             ≈ 0.9 core), and each small batch ends with an fsync. Whether 2,000/s is reachable \
             cannot be shown on this machine, where the generator and the server compete for the \
             same two cores."
        );
    }
    let path = out.join("rfq.md");
    std::fs::write(&path, md)?;
    Ok(path)
}
