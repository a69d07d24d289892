//! Fan-out at scale against real processes: one `orion core` and two `orion bff` replicas,
//! thousands of WebSocket sessions split between the replicas, each subscribed to many
//! instruments at the replicas' coalescing window, the core fed by UDP ticks stamped with
//! their send time.
//!
//! Measured while every session streams: sessions held (connected and still open at the end),
//! TICK frames delivered per second, feed send → frame received latency of fresh values (same
//! machine, same clock; hdrhistogram; a TICK flagging an instrument stale repeats its last,
//! old value and is counted but not timed), each replica's resident memory per session (RSS after the sessions
//! subscribed minus RSS before they connected), and the CPU the core and the replicas used.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use orion_bridge::catalog::default_catalog;
use tokio_tungstenite::tungstenite::Message;

use crate::machine::rss_kib;
use crate::orion_process::OrionProcess;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct FanoutConfig {
    /// The `orion` binary.
    pub orion: std::path::PathBuf,
    /// WebSocket sessions in all, split evenly between the replicas.
    pub sessions: usize,
    /// Instruments each session subscribes to.
    pub per_session: usize,
    /// Feed ticks per second across all instruments.
    pub rate: u64,
    /// Measurement time.
    pub duration: Duration,
    /// The replicas' coalescing window.
    pub window_ms: u64,
}

/// One process's share of the run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessUse {
    /// RSS before the sessions connected, KiB.
    pub rss_before_kib: u64,
    /// RSS while every session streams, KiB.
    pub rss_after_kib: u64,
    /// CPU seconds used during the measurement.
    pub cpu_seconds: f64,
}

/// What the scenario measured.
pub struct FanoutResult {
    /// The configuration that ran.
    pub config: FanoutConfig,
    /// Sessions open at the end of the measurement.
    pub held: usize,
    /// Sessions that could not connect or subscribe.
    pub refused: usize,
    /// TICK frames received by all sessions during the measurement.
    pub frames: u64,
    /// Feed send → frame received, nanoseconds.
    pub latency: Histogram<u64>,
    /// Ticks the feed sent during the measurement.
    pub ticks_sent: u64,
    /// Seconds measured.
    pub seconds: f64,
    /// The core.
    pub core: ProcessUse,
    /// The replicas, with their session counts.
    pub replicas: Vec<(ProcessUse, usize)>,
    /// CPU seconds the load generator (this process) used during the measurement.
    pub generator_cpu_seconds: f64,
}

impl FanoutResult {
    /// Resident bytes per session on replica `i`.
    pub fn bytes_per_session(&self, i: usize) -> f64 {
        let (usage, sessions) = self.replicas[i];
        (usage.rss_after_kib.saturating_sub(usage.rss_before_kib) * 1024) as f64
            / sessions.max(1) as f64
    }
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// User + system CPU seconds process `pid` has used.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// Whether a frame is a `TICK`, and its source timestamp when it carries a fresh value (a
/// stale flag republishes the last value with its old timestamp: no delivery latency to
/// measure), read without parsing the whole frame.
fn tick_ts(frame: &str) -> Option<Option<u64>> {
    if !frame.starts_with(r#"{"type":"TICK""#) {
        return None;
    }
    if frame.contains(r#""stale":true"#) {
        return Some(None);
    }
    Some(fresh_ts(frame))
}

fn fresh_ts(frame: &str) -> Option<u64> {
    let start = frame.find(r#""ts":""#)? + 6;
    let end = start + frame[start..].find('"')?;
    let at = humantime::parse_rfc3339(&frame[start..end]).ok()?;
    Some(at.duration_since(UNIX_EPOCH).ok()?.as_nanos() as u64)
}

/// Runs the scenario.
pub async fn run(config: FanoutConfig) -> Result<FanoutResult> {
    let grpc = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let window = config.window_ms.to_string();
    let core = OrionProcess::core(
        &config.orion,
        "fanout-core",
        grpc,
        &["--sim-rate", "0", "--market-makers", "false"],
    )?;
    let replicas = [
        OrionProcess::bff(
            &config.orion,
            core.data_dir(),
            grpc,
            &["--ws-window-ms", &window],
        )?,
        OrionProcess::bff(
            &config.orion,
            core.data_dir(),
            grpc,
            &["--ws-window-ms", &window],
        )?,
    ];
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{}/auth/login", replicas[0].http))
        .json(&serde_json::json!({"username": "trader@acme", "password": "demo"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["accessToken"].as_str().context("token")?.to_owned();
    let symbols: Vec<String> = default_catalog()
        .into_iter()
        .map(|e| e.spec.symbol)
        .collect();

    // Prime every instrument so subscriptions start with a snapshot, then settle.
    let feed = core.feed.context("feed address")?;
    tokio::task::spawn_blocking(move || {
        crate::feed::publish(feed, 2_000, Duration::from_millis(500), 20)
    })
    .await??;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before: Vec<u64> = replicas
        .iter()
        .map(|r| rss_kib(r.child.id()).unwrap_or(0))
        .collect();

    // Connect and subscribe every session, a bounded number of handshakes at a time.
    let measuring = Arc::new(AtomicU64::new(0)); // 0 = warming up, 1 = measuring, 2 = done
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let handshakes = Arc::new(tokio::sync::Semaphore::new(128));
    let mut tasks = Vec::with_capacity(config.sessions);
    for s in 0..config.sessions {
        let url = format!(
            "ws://{}/stream?access_token={token}",
            replicas[s % replicas.len()].http
        );
        let subscribe: Vec<&str> = (0..config.per_session)
            .map(|k| symbols[(s + k) % symbols.len()].as_str())
            .collect();
        let request =
            serde_json::json!({"type": "SUBSCRIBE", "instrumentIds": subscribe}).to_string();
        let (measuring, mut stop, handshakes) = (
            Arc::clone(&measuring),
            stop_rx.clone(),
            Arc::clone(&handshakes),
        );
        tasks.push(tokio::spawn(async move {
            let mut histogram =
                Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds");
            let permit = handshakes.acquire_owned().await.expect("open semaphore");
            let Ok((ws, _)) = tokio_tungstenite::connect_async(url).await else {
                return (false, false, histogram, 0u64);
            };
            let (mut tx, mut rx) = ws.split();
            if tx.send(Message::Text(request.into())).await.is_err() {
                return (true, false, histogram, 0);
            }
            drop(permit);
            let mut frames = 0u64;
            loop {
                tokio::select! {
                    msg = rx.next() => match msg {
                        Some(Ok(Message::Text(text))) => {
                            if measuring.load(Ordering::Relaxed) != 1 {
                                continue;
                            }
                            if let Some(ts) = tick_ts(&text) {
                                frames += 1;
                                if let Some(ts) = ts {
                                    histogram.saturating_record(unix_nanos().saturating_sub(ts).max(1_000));
                                }
                            }
                        }
                        Some(Ok(_)) => {}
                        // The server closed or dropped the session.
                        _ => return (true, false, histogram, frames),
                    },
                    _ = stop.changed() => return (true, true, histogram, frames),
                }
            }
        }));
    }
    // Wait until every handshake is done (the semaphore is whole again), then let the
    // snapshots pass before measuring.
    let connect_start = Instant::now();
    while handshakes.available_permits() < 128 || connect_start.elapsed() < Duration::from_secs(1) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;

    let feed_task = {
        let (rate, duration) = (config.rate, config.duration + Duration::from_secs(2));
        tokio::task::spawn_blocking(move || crate::feed::publish(feed, rate, duration, 5))
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pids: Vec<u32> = std::iter::once(core.child.id())
        .chain(replicas.iter().map(|r| r.child.id()))
        .chain(std::iter::once(std::process::id()))
        .collect();
    let cpu_before: Vec<f64> = pids.iter().map(|&p| cpu_seconds(p)).collect();
    measuring.store(1, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(config.duration / 2).await;
    let rss_after: Vec<u64> = replicas
        .iter()
        .map(|r| rss_kib(r.child.id()).unwrap_or(0))
        .collect();
    tokio::time::sleep(config.duration - config.duration / 2).await;
    measuring.store(2, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    let cpu_after: Vec<f64> = pids.iter().map(|&p| cpu_seconds(p)).collect();
    let sent = feed_task.await??;
    stop_tx.send(true).ok();

    let mut latency = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3)?;
    let (mut held, mut refused, mut frames) = (0, 0, 0);
    for task in tasks {
        let (connected, open, h, f) = task.await?;
        latency.add(&h)?;
        frames += f;
        held += usize::from(open);
        refused += usize::from(!connected);
    }
    let usage = |i: usize, rss: (u64, u64)| ProcessUse {
        rss_before_kib: rss.0,
        rss_after_kib: rss.1,
        cpu_seconds: cpu_after[i] - cpu_before[i],
    };
    let per_replica = config.sessions.div_ceil(replicas.len());
    let core_use = usage(0, (0, rss_kib(core.child.id()).unwrap_or(0)));
    let replica_use = (0..replicas.len())
        .map(|i| (usage(i + 1, (rss_before[i], rss_after[i])), per_replica))
        .collect();
    let duration_total = config.duration + Duration::from_secs(2);
    Ok(FanoutResult {
        held,
        refused,
        frames,
        latency,
        ticks_sent: (sent.ticks as f64 * seconds / duration_total.as_secs_f64()) as u64,
        seconds,
        core: core_use,
        replicas: replica_use,
        generator_cpu_seconds: cpu_after[pids.len() - 1] - cpu_before[pids.len() - 1],
        config,
    })
}

/// `perf-reports/fanout.md`: the fan-out runs (targets judged on the largest; the PRD's
/// criterion on the smallest with at least 1,000 sessions) and the unary comparison.
pub fn markdown(runs: &[FanoutResult], unary: &crate::unary::UnaryResult, command: &str) -> String {
    use std::fmt::Write;
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1e6;
    let verdict = |ok: bool| if ok { "met" } else { "**missed**" };
    let largest = runs
        .iter()
        .max_by_key(|r| r.config.sessions)
        .expect("at least one run");
    let prd = runs
        .iter()
        .filter(|r| r.config.sessions >= 1_000)
        .min_by_key(|r| r.config.sessions)
        .unwrap_or(largest);
    let worst_session = |r: &FanoutResult| {
        (0..r.replicas.len())
            .map(|i| r.bytes_per_session(i))
            .fold(0.0, f64::max)
    };
    let c = &largest.config;
    let p99 = ms(&largest.latency, 0.99);
    let lost = c.sessions - largest.held;
    let mut out = String::new();
    let _ = writeln!(out, "# Fan-out at scale: one core, two BFF replicas\n");
    let _ = writeln!(
        out,
        "What: one `orion core` (UDP feed, no simulator, no market makers) and two `orion bff` replicas on \
         this machine; WebSocket sessions split evenly between the replicas, each subscribed to {} \
         instruments at the {} ms window; the feed sends {} ticks/s across the 25 instruments (each \
         instrument about once a second), each stamped with its send time. Every replica holds one \
         `StreamTicks` and one update stream from the core and serialises each change once per window for \
         all its sessions. The load generator (one process holding every session), the core and the \
         replicas share the machine's two cores.\n",
        c.per_session, c.window_ms, c.rate
    );
    let _ = writeln!(out, "- Command: `{command}` (`bench/fanout-report.sh`)");
    let _ = writeln!(
        out,
        "- Machine: {} cores, {}",
        crate::machine::cores(),
        crate::machine::cpu_model()
    );
    let _ = writeln!(out, "- Date: {}", crate::machine::date());
    let _ = writeln!(out, "- Commit: {}\n", crate::machine::commit());
    let _ = writeln!(out, "## Targets ({} sessions)\n", c.sessions);
    let _ = writeln!(out, "| target | measured | verdict |\n|---|---|---|");
    let _ = writeln!(
        out,
        "| p99 feed → client ≤ 150 ms | {p99:.1} ms | {} |",
        verdict(p99 <= 150.0)
    );
    let _ = writeln!(
        out,
        "| ≤ 16 KiB per session (each replica's RSS growth / its sessions) | {:.1} KiB (worst replica) | {} |",
        worst_session(largest) / 1024.0,
        verdict(worst_session(largest) <= 16.0 * 1024.0)
    );
    let _ = writeln!(
        out,
        "| zero lost sessions | {lost} lost, {} refused at connect | {} |",
        largest.refused,
        verdict(lost == 0 && largest.refused == 0)
    );
    let prd_p99 = ms(&prd.latency, 0.99);
    let _ = writeln!(
        out,
        "| PRD: 1,000 subscribers, p99 < 250 ms | {} subscribers held, p99 {prd_p99:.1} ms | {} |\n",
        prd.held,
        verdict(prd.held >= 1_000 && prd_p99 < 250.0)
    );
    let _ = writeln!(out, "## Runs\n");
    let _ = writeln!(
        out,
        "| sessions (held) | TICK frames/s | p50 | p90 | p99 | p99.9 | max | KiB/session | core CPU | replicas' CPU | generator CPU |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in runs {
        let cores: Vec<String> = r
            .replicas
            .iter()
            .map(|(u, _)| format!("{:.2}", u.cpu_seconds / r.seconds))
            .collect();
        let _ = writeln!(
            out,
            "| {} ({}) | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} | {:.2} | {} | {:.2} |",
            r.config.sessions,
            r.held,
            r.frames as f64 / r.seconds,
            ms(&r.latency, 0.5),
            ms(&r.latency, 0.9),
            ms(&r.latency, 0.99),
            ms(&r.latency, 0.999),
            r.latency.max() as f64 / 1e6,
            worst_session(r) / 1024.0,
            r.core.cpu_seconds / r.seconds,
            cores.join(" + "),
            r.generator_cpu_seconds / r.seconds
        );
    }
    let _ = writeln!(
        out,
        "\nEach run measures {:.0} s after every session subscribed and the feed ran a second; CPU is \
         cores used over that span (user + system); memory is each replica's RSS growth from before the \
         sessions connected to mid-measurement, divided by its sessions.",
        largest.seconds
    );
    let used = largest.core.cpu_seconds
        + largest
            .replicas
            .iter()
            .map(|(u, _)| u.cpu_seconds)
            .sum::<f64>()
        + largest.generator_cpu_seconds;
    let _ = writeln!(
        out,
        "\nAt {} sessions the processes together used {:.2} of the machine's {} cores: when that reaches \
         the machine's size, latency above the window is time spent waiting for a core, shared by the \
         replicas and the generator that reads every frame.",
        largest.config.sessions,
        used / largest.seconds,
        crate::machine::cores()
    );
    let _ = writeln!(out, "\n## gRPC against REST, one command, same run\n");
    let _ = writeln!(
        out,
        "`CreateRFQ` through `RFQService` and `POST /rfqs` against the same `orion up` (SQLite), one client \
         alternating between them, {} rounds each after a tenth as many of warm-up; each answer comes once \
         the RFQ is durable (group commit).\n",
        unary.rounds
    );
    let _ = writeln!(
        out,
        "| face | p50 | p90 | p99 | max |\n|---|---|---|---|---|"
    );
    for (name, h) in [("gRPC", &unary.grpc), ("REST", &unary.rest)] {
        let _ = writeln!(
            out,
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(h, 0.5),
            ms(h, 0.9),
            ms(h, 0.99),
            h.max() as f64 / 1e6
        );
    }
    let _ = writeln!(
        out,
        "\nMedian ratio gRPC / REST: {:.2}.",
        ms(&unary.grpc, 0.5) / ms(&unary.rest, 0.5).max(f64::MIN_POSITIVE)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tick_timestamp_is_read_from_a_tick_frame_only() {
        let tick = r#"{"type":"TICK","instrumentId":"EUR/USD","bid":"1.1","ask":"1.2","mid":"1.15","spread":"0.1","ts":"2026-12-01T07:00:00.000000001Z","receivedAt":"x"}"#;
        assert_eq!(tick_ts(tick), Some(Some(1_796_108_400_000_000_001)));
        assert_eq!(tick_ts(&tick.replace("TICK", "SNAPSHOT")), None);
        assert_eq!(tick_ts(r#"{"type":"TICK"}"#), Some(None));
        let stale = tick.replace(r#""receivedAt":"x""#, r#""receivedAt":"x","stale":true"#);
        assert_eq!(tick_ts(&stale), Some(None));
    }
}
