//! The order load scenario: concurrent REST clients placing orders against a real `orion up`
//! (SQLite or Postgres) while the market makers keep every book two-sided.
//!
//! Each client loops over one cycle of three durable commands: a resting GTC bid well below
//! the market, an IOC order through the market makers' best price (it trades), and the cancel
//! of the resting bid — so the book and the open-order limits stay level however long it runs.
//! Every `POST /orders` (with its `Idempotency-Key`) is timed from send to its 201 into an
//! hdrhistogram; durable orders per second are the 201s over the measured interval.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::orion_process::OrionProcess;
use crate::rfq_load::login;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct OrderLoadConfig {
    /// The `orion` binary.
    pub orion: PathBuf,
    /// `None` = SQLite in a temporary data dir; `Some(url)` = that Postgres database.
    pub database_url: Option<String>,
    /// Concurrent clients (half trade as `trader@acme`, half as `trader@globex`).
    pub clients: usize,
    /// Measurement time.
    pub duration: Duration,
}

/// What the scenario measured.
pub struct OrderLoadResult {
    /// `SQLite` or `Postgres`.
    pub store: &'static str,
    /// Orders acknowledged durable (201) in the measured interval.
    pub orders: u64,
    /// Cancels answered 200 in the measured interval.
    pub cancels: u64,
    /// Orders that traded (IOC through the market makers).
    pub fills: u64,
    /// Seconds measured.
    pub seconds: f64,
    /// `POST /orders` sent → 201 received, ns.
    pub submit: Histogram<u64>,
    /// Requests that failed or were refused.
    pub failures: u64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1_000, 60_000_000_000, 3).expect("valid bounds")
}

/// The best bid and ask of EUR/USD once the market makers quote five levels a side.
async fn touch(client: &reqwest::Client, http: &str, token: &str) -> Result<(f64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let book: Value = client
            .get(format!(
                "http://{http}/market/depth?instrumentId=EUR/USD&levels=5"
            ))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        let level = |side: &str| {
            book[side]
                .as_array()
                .filter(|levels| levels.len() >= 5)
                .and_then(|levels| levels[0]["price"].as_str()?.parse::<f64>().ok())
        };
        if let (Some(bid), Some(ask)) = (level("bids"), level("asks")) {
            return Ok((bid, ask));
        }
        anyhow::ensure!(Instant::now() < deadline, "the market makers never quoted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Tally {
    submit: Histogram<u64>,
    orders: u64,
    cancels: u64,
    fills: u64,
    failures: u64,
}

/// One client's loop until `stop`; counts only what completes after `from`.
async fn client_loop(
    client: reqwest::Client,
    http: String,
    token: String,
    id: usize,
    stop: Arc<AtomicBool>,
    from: Instant,
) -> Tally {
    let mut t = Tally {
        submit: histogram(),
        orders: 0,
        cancels: 0,
        fills: 0,
        failures: 0,
    };
    let mut n = 0u64;
    let mut place = async |t: &mut Tally, body: Value| -> Option<Value> {
        n += 1;
        let started = Instant::now();
        let resp = client
            .post(format!("http://{http}/orders"))
            .bearer_auth(&token)
            .header("Idempotency-Key", format!("load-{id}-{n}"))
            .json(&body)
            .send()
            .await
            .ok()?;
        let elapsed = started.elapsed();
        if resp.status() != 201 {
            t.failures += 1;
            return None;
        }
        if started >= from {
            t.orders += 1;
            t.submit.saturating_record(elapsed.as_nanos() as u64);
        }
        resp.json().await.ok()
    };
    while !stop.load(Ordering::Acquire) {
        let Ok((bid, ask)) = touch(&client, &http, &token).await else {
            t.failures += 1;
            continue;
        };
        for _ in 0..10 {
            let resting = json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": "1000",
                "limitPrice": format!("{:.5}", bid - 0.002), "timeInForce": "GTC"});
            let through = json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": "1000",
                "limitPrice": format!("{:.5}", ask + 0.0005), "timeInForce": "IOC"});
            let Some(rest) = place(&mut t, resting).await else {
                continue;
            };
            if let Some(taken) = place(&mut t, through).await {
                if taken["status"] == "FILLED" && Instant::now() >= from {
                    t.fills += 1;
                }
            }
            let order = rest["orderId"].as_str().unwrap_or_default();
            let cancelled = client
                .post(format!("http://{http}/orders/{order}/cancel"))
                .bearer_auth(&token)
                .send()
                .await;
            match cancelled {
                Ok(resp) if resp.status() == 200 => {
                    if Instant::now() >= from {
                        t.cancels += 1;
                    }
                }
                _ => t.failures += 1,
            }
            if stop.load(Ordering::Acquire) {
                break;
            }
        }
    }
    t
}

/// Runs the scenario.
pub async fn run(config: OrderLoadConfig) -> Result<OrderLoadResult> {
    let mut extra = Vec::new();
    if let Some(url) = &config.database_url {
        extra.extend(["--database-url", url.as_str()]);
    }
    let tag = if config.database_url.is_some() {
        "order-load-pg"
    } else {
        "order-load-sqlite"
    };
    let server = OrionProcess::start(&config.orion, tag, &extra)?;
    let client = reqwest::Client::new();
    let http = server.http.to_string();
    let tokens = [
        login(&client, &http, "trader@acme").await?,
        login(&client, &http, "trader@globex").await?,
    ];
    touch(&client, &http, &tokens[0]).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let warmup = Duration::from_secs(2);
    let from = Instant::now() + warmup;
    let tasks: Vec<_> = (0..config.clients)
        .map(|id| {
            tokio::spawn(client_loop(
                client.clone(),
                http.clone(),
                tokens[id % 2].clone(),
                id,
                Arc::clone(&stop),
                from,
            ))
        })
        .collect();
    tokio::time::sleep(warmup + config.duration).await;
    stop.store(true, Ordering::Release);
    let seconds = from.elapsed().as_secs_f64();
    let mut total = Tally {
        submit: histogram(),
        orders: 0,
        cancels: 0,
        fills: 0,
        failures: 0,
    };
    for task in tasks {
        let t = task.await?;
        total.submit.add(&t.submit)?;
        total.orders += t.orders;
        total.cancels += t.cancels;
        total.fills += t.fills;
        total.failures += t.failures;
    }
    drop(server);
    Ok(OrderLoadResult {
        store: if config.database_url.is_some() {
            "Postgres"
        } else {
            "SQLite"
        },
        orders: total.orders,
        cancels: total.cancels,
        fills: total.fills,
        seconds,
        submit: total.submit,
        failures: total.failures,
    })
}
