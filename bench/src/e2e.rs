//! End to end against a real `orion up` process: UDP packet → WebSocket frame received, with
//! many WebSocket clients, and the server's resident memory per session.
//!
//! The feed stamps each tick's source timestamp with its send time; every client records
//! `receive time − ts` for each `TICK` (same machine, same clock). RSS is read from
//! `/proc/<pid>/status` before the clients connect and once they all stream.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use orion_bridge::catalog::default_catalog;
use tokio_tungstenite::tungstenite::Message;

use crate::machine::rss_kib;
use crate::orion_process::OrionProcess;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct E2eConfig {
    /// The `orion` binary.
    pub orion: std::path::PathBuf,
    /// WebSocket clients.
    pub clients: usize,
    /// Instruments each client subscribes to.
    pub per_client: usize,
    /// Feed rate, ticks per second.
    pub rate: u64,
    /// Measurement time.
    pub duration: Duration,
    /// The server's coalescing window.
    pub window_ms: u64,
}

/// What the scenario measured.
pub struct E2eResult {
    /// The configuration that ran.
    pub config: E2eConfig,
    /// UDP send → WebSocket frame received, nanoseconds.
    pub latency: Histogram<u64>,
    /// Server RSS before the clients connected, KiB.
    pub rss_before_kib: u64,
    /// Server RSS with every client streaming, KiB.
    pub rss_after_kib: u64,
    /// Frames received by all clients.
    pub frames: u64,
    /// Ticks the feed sent.
    pub ticks_sent: u64,
}

impl E2eResult {
    /// Resident bytes per session.
    pub fn bytes_per_session(&self) -> f64 {
        (self.rss_after_kib.saturating_sub(self.rss_before_kib) * 1024) as f64
            / self.config.clients as f64
    }
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Runs the scenario.
pub async fn run(config: E2eConfig) -> Result<E2eResult> {
    let window = config.window_ms.to_string();
    let server = OrionProcess::start(
        &config.orion,
        &format!("e2e-{window}"),
        &[
            "--feed-addr",
            "127.0.0.1:0",
            "--sim-rate",
            "0",
            "--ws-window-ms",
            &window,
        ],
    )?;
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("http://{}/auth/login", server.http))
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
    let feed = server.feed.context("feed address")?;
    tokio::task::spawn_blocking(move || {
        crate::feed::publish(feed, 2_000, Duration::from_millis(500), 20)
    })
    .await??;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before_kib = rss_kib(server.child.id()).context("server RSS")?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(config.clients);
    for c in 0..config.clients {
        let url = format!("ws://{}/stream?access_token={token}", server.http);
        let subscribe: Vec<&str> = (0..config.per_client)
            .map(|k| symbols[(c + k) % symbols.len()].as_str())
            .collect();
        let request =
            serde_json::json!({"type": "SUBSCRIBE", "instrumentIds": subscribe}).to_string();
        let mut stop = stop_rx.clone();
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("websocket connect")?;
        tasks.push(tokio::spawn(async move {
            let (mut tx, mut rx) = ws.split();
            tx.send(Message::Text(request.into())).await.ok();
            let mut histogram = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).expect("bounds");
            let mut frames = 0u64;
            let mut measuring = false;
            loop {
                tokio::select! {
                    msg = rx.next() => match msg {
                        Some(Ok(Message::Text(text))) => {
                            let now = unix_nanos();
                            let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
                            if value["type"] == "TICK" {
                                frames += 1;
                                if measuring {
                                    if let Some(ts) = value["ts"].as_str().and_then(|t| humantime::parse_rfc3339(t).ok()) {
                                        let sent = ts.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(now);
                                        histogram.saturating_record(now.saturating_sub(sent).max(1_000));
                                    }
                                }
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() { break; }
                        measuring = true;
                    }
                }
            }
            (histogram, frames)
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let feed_task = {
        let (rate, duration) = (config.rate, config.duration);
        tokio::task::spawn_blocking(move || crate::feed::publish(feed, rate, duration, 20))
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_tx.send(false).ok(); // start measuring after the first half second of the feed
    tokio::time::sleep(config.duration / 2).await;
    let rss_after_kib = rss_kib(server.child.id()).context("server RSS")?;
    let sent = feed_task.await??;
    stop_tx.send(true).ok();
    let mut latency = Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3)?;
    let mut frames = 0;
    for task in tasks {
        let (h, f) = task.await?;
        latency.add(&h)?;
        frames += f;
    }
    Ok(E2eResult {
        config,
        latency,
        rss_before_kib,
        rss_after_kib,
        frames,
        ticks_sent: sent.ticks,
    })
}
