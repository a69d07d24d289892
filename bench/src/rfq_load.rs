//! The RFQ load scenario: concurrent REST traders against a real `orion up` (SQLite or Postgres)
//! with the LP bots quoting over QUIC.
//!
//! Each trader holds a WebSocket subscribed to `rfqs` and loops: `POST /rfqs`, wait for the first
//! `QuoteReceived` update of that RFQ (create → first quote), `POST /rfqs/{id}/accept` on that
//! quote with an `Idempotency-Key` (accept → 200, the trade committed). Latencies go into
//! hdrhistograms; durable trades per second, group-commit events per second and relay events per
//! second come from the server's own counters over the same interval.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::orion_process::OrionProcess;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::{Mutex, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The `orion` binary.
    pub orion: PathBuf,
    /// `None` = SQLite in a temporary data dir; `Some(url)` = that Postgres database.
    pub database_url: Option<String>,
    /// Concurrent traders.
    pub traders: usize,
    /// Measurement time.
    pub duration: Duration,
    /// Sample the server's resident memory this often (a soak run); `None` = not sampled.
    pub rss_every: Option<Duration>,
    /// Pause the analytics consumer (as an operator would, `POST /ops/consumers/analytics/pause`)
    /// for the measurement, and resume it after: the same load without analytics, to compare.
    pub analytics_paused: bool,
}

/// What the scenario measured.
pub struct LoadResult {
    /// The configuration that ran.
    pub config: LoadConfig,
    /// `SQLite` or `Postgres`.
    pub store: &'static str,
    /// Durable RFQ → trade round trips completed.
    pub trades: u64,
    /// Seconds measured.
    pub seconds: f64,
    /// Create (request sent) → first quote pushed, ns.
    pub first_quote: Histogram<u64>,
    /// Accept request sent → 200 received, ns.
    pub accept: Histogram<u64>,
    /// Group-commit events per second over the run.
    pub commit_events_per_sec: f64,
    /// Outbox rows relayed per second over the run.
    pub relay_events_per_sec: f64,
    /// Requests that did not end in a trade (refusals, last look, timeouts).
    pub failures: u64,
    /// (seconds into the measurement, server RSS in KiB), when sampled.
    pub rss_kib: Vec<(f64, u64)>,
    /// The analytics consumer's lag (outbox rows not yet applied), sampled every
    /// [`LAG_SAMPLE`] through the measurement.
    pub analytics_lag: Histogram<u64>,
    /// Seconds the analytics consumer took to reach the head of the log once the load stopped.
    pub analytics_catch_up: f64,
}

/// How often the analytics consumer's lag is read from `/metrics` under load.
pub const LAG_SAMPLE: Duration = Duration::from_millis(200);

/// The analytics consumer's lag gauge as `/metrics` prints it.
const ANALYTICS_LAG: &str = "orion_consumer_lag{consumer=\"analytics\"}";

/// Resident set size of process `pid` in KiB, from `/proc`.
pub fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn metric(client: &reqwest::Client, http: &str, name: &str) -> f64 {
    let Ok(resp) = client.get(format!("http://{http}/metrics")).send().await else {
        return 0.0;
    };
    let text = resp.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v.parse::<f64>().unwrap_or(0.0))
        .sum()
}

/// The analytics consumer's outbox position and lag, from `GET /ops/consumers`.
async fn analytics_position(
    client: &reqwest::Client,
    http: &str,
    token: &str,
) -> Result<(i64, i64)> {
    let consumers: Value = client
        .get(format!("http://{http}/ops/consumers"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let analytics = consumers["consumers"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["consumer"] == "analytics"))
        .context("no analytics consumer in /ops/consumers")?;
    Ok((
        analytics["position"]["outbox"].as_i64().unwrap_or(0),
        analytics["lag"].as_i64().unwrap_or(0),
    ))
}

/// Pauses or resumes the analytics consumer through the operator's endpoint.
async fn set_analytics_paused(
    client: &reqwest::Client,
    http: &str,
    token: &str,
    paused: bool,
) -> Result<()> {
    let verb = if paused { "pause" } else { "resume" };
    let resp = client
        .post(format!("http://{http}/ops/consumers/analytics/{verb}"))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().is_success(),
        "{verb} analytics: {}",
        resp.status()
    );
    Ok(())
}

/// Logs `user` in with the demo password; the access token.
pub async fn login(client: &reqwest::Client, http: &str, user: &str) -> Result<String> {
    let body: Value = client
        .post(format!("http://{http}/auth/login"))
        .json(&json!({"username": user, "password": "demo"}))
        .send()
        .await?
        .json()
        .await?;
    Ok(body["accessToken"].as_str().context("token")?.to_owned())
}

type Waiters = Arc<Mutex<HashMap<String, oneshot::Sender<String>>>>;

/// Runs the scenario.
pub async fn run(config: LoadConfig) -> Result<LoadResult> {
    let mut extra = Vec::new();
    if let Some(url) = &config.database_url {
        extra.extend(["--database-url", url.as_str()]);
    }
    let tag = if config.database_url.is_some() {
        "rfq-load-pg"
    } else {
        "rfq-load-sqlite"
    };
    let server = OrionProcess::start(&config.orion, tag, &extra)?;
    let client = reqwest::Client::new();
    let http = server.http.to_string();
    let token = login(&client, &http, "trader@acme").await?;
    let risk = login(&client, &http, "risk@acme").await?;
    let limits = client
        .post(format!("http://{http}/admin/limits"))
        .bearer_auth(&risk)
        .json(&json!({"userId": "trader@acme", "maxNotional": 1_000_000_000_000i64, "maxRfqsPerSec": 1_000_000}))
        .send()
        .await?;
    anyhow::ensure!(
        limits.status().is_success(),
        "raising the trader's limits: {}",
        limits.status()
    );
    let ops = login(&client, &http, "ops@orion").await?;
    if config.analytics_paused {
        set_analytics_paused(&client, &http, &ops, true).await?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let deadline_holder = Arc::new(std::sync::Mutex::new(
        Instant::now() + Duration::from_secs(3_600),
    ));
    // One WebSocket for all traders (they are the same user, so every session would receive every
    // update): a dispatcher hands each RFQ's first quote to the trader waiting for it.
    let waiters: Waiters = Arc::default();
    let (ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{http}/stream?access_token={token}"))
            .await?;
    let (mut ws_tx, mut ws_rx) = ws.split();
    ws_tx
        .send(Message::Text(
            json!({"type": "SUBSCRIBE", "channel": "rfqs"})
                .to_string()
                .into(),
        ))
        .await?;
    let reader_waiters = Arc::clone(&waiters);
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = ws_rx.next().await {
            let Ok(frame) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if frame["event"] == "QuoteReceived" {
                let rfq = frame["rfqId"].as_str().unwrap_or_default().to_owned();
                if let Some(waiter) = reader_waiters.lock().await.remove(&rfq) {
                    let _ = waiter.send(
                        frame["quote"]["quoteId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    );
                }
            }
        }
        drop(ws_tx);
    });
    let mut tasks = Vec::new();
    for t in 0..config.traders {
        let (client, http, token, deadline) = (
            client.clone(),
            http.clone(),
            token.clone(),
            Arc::clone(&deadline_holder),
        );
        let waiters = Arc::clone(&waiters);
        tasks.push(tokio::spawn(async move {
            let mut first_quote = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds");
            let mut accept = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds");
            let (mut trades, mut failures, mut n) = (0u64, 0u64, 0u64);
            let measuring_from = Instant::now() + Duration::from_secs(1);
            while Instant::now() < *deadline.lock().unwrap_or_else(|p| p.into_inner()) {
                n += 1;
                let side = if n % 2 == 0 { "BUY" } else { "SELL" };
                let started = Instant::now();
                let created = client
                    .post(format!("http://{http}/rfqs"))
                    .bearer_auth(&token)
                    .json(&json!({"instrumentId": "EUR/USD", "side": side, "size": "100000", "expirySeconds": 30}))
                    .send()
                    .await;
                let Ok(created) = created else { failures += 1; continue };
                if created.status() != 201 {
                    failures += 1;
                    continue;
                }
                let Ok(body) = created.json::<Value>().await else { failures += 1; continue };
                let rfq = body["rfqId"].as_str().unwrap_or_default().to_owned();
                let (tx, rx) = oneshot::channel();
                waiters.lock().await.insert(rfq.clone(), tx);
                let Ok(Ok(quote)) = tokio::time::timeout(Duration::from_secs(5), rx).await else {
                    waiters.lock().await.remove(&rfq);
                    failures += 1;
                    continue;
                };
                let quoted = started.elapsed();
                let accept_started = Instant::now();
                let accepted = client
                    .post(format!("http://{http}/rfqs/{rfq}/accept"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("load-{t}-{n}"))
                    .json(&json!({"quoteId": quote}))
                    .send()
                    .await;
                let accepted_in = accept_started.elapsed();
                match accepted {
                    Ok(resp) if resp.status() == 200 => {
                        if started >= measuring_from {
                            trades += 1;
                            first_quote.saturating_record(quoted.as_nanos() as u64);
                            accept.saturating_record(accepted_in.as_nanos() as u64);
                        }
                    }
                    _ => failures += 1,
                }
            }
            (first_quote, accept, trades, failures)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (commits_before, relayed_before) = (
        metric(&client, &http, "orion_group_commit_events_total").await,
        metric(&client, &http, "orion_outbox_published_total").await,
    );
    let measured = Instant::now();
    let lag_sampler = {
        let (client, http) = (client.clone(), http.clone());
        let duration = config.duration;
        tokio::spawn(async move {
            let mut lag = Histogram::<u64>::new(3).expect("valid precision");
            while measured.elapsed() < duration {
                lag.saturating_record(metric(&client, &http, ANALYTICS_LAG).await as u64);
                tokio::time::sleep(LAG_SAMPLE).await;
            }
            lag
        })
    };
    let mut rss = Vec::new();
    match config.rss_every {
        Some(every) => {
            let pid = server.child.id();
            while measured.elapsed() < config.duration {
                if let Some(kib) = rss_kib(pid) {
                    rss.push((measured.elapsed().as_secs_f64(), kib));
                }
                tokio::time::sleep(every.min(config.duration.saturating_sub(measured.elapsed())))
                    .await;
            }
            if let Some(kib) = rss_kib(pid) {
                rss.push((measured.elapsed().as_secs_f64(), kib));
            }
        }
        None => tokio::time::sleep(config.duration).await,
    }
    let (commits_after, relayed_after) = (
        metric(&client, &http, "orion_group_commit_events_total").await,
        metric(&client, &http, "orion_outbox_published_total").await,
    );
    let seconds = measured.elapsed().as_secs_f64();
    *deadline_holder.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    let mut first_quote = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3)?;
    let mut accept = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3)?;
    let (mut trades, mut failures) = (0, 0);
    for task in tasks {
        let (q, a, t, f) = task.await?;
        first_quote.add(&q)?;
        accept.add(&a)?;
        trades += t;
        failures += f;
    }
    let analytics_lag = lag_sampler.await?;
    if config.analytics_paused {
        set_analytics_paused(&client, &http, &ops, false).await?;
    }
    // Post-trade events keep the log growing after the load, so the lag need not read 0: the
    // catch-up is the time until the consumer has applied everything committed when it stopped.
    let stopped = Instant::now();
    let (position, lag) = analytics_position(&client, &http, &ops).await?;
    let head = position + lag;
    while analytics_position(&client, &http, &ops).await?.0 < head
        && stopped.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let analytics_catch_up = stopped.elapsed().as_secs_f64();
    drop(server);
    Ok(LoadResult {
        store: if config.database_url.is_some() {
            "Postgres"
        } else {
            "SQLite"
        },
        config,
        trades,
        seconds,
        first_quote,
        accept,
        commit_events_per_sec: (commits_after - commits_before) / seconds,
        relay_events_per_sec: (relayed_after - relayed_before) / seconds,
        failures,
        rss_kib: rss,
        analytics_lag,
        analytics_catch_up,
    })
}
