//! The broker goes away under load: tansu is killed for 10 s while traders keep trading by RFQ,
//! then started again on the same address and storage. Every trade acknowledged before, during
//! and after the outage reaches the blotter exactly once and settles exactly once; the relay
//! and the consumers resume by themselves; the outbox backlog and every consumer's lag return to
//! zero. (Needs tansu: `scripts/test.sh` installs it.)

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Broker, Orion};

/// Trades by RFQ until `stop`; returns the acknowledged trade ids.
async fn trade_until(orion: Arc<Orion>, token: String, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut ids = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        ids.push(support::trade(&orion, &token, "EUR/USD").await);
    }
    ids
}

/// Every trade id in the tenant's blotter, with how often it appears.
async fn blotter(orion: &Orion, token: &str) -> HashMap<String, usize> {
    let rows: Value = orion
        .get("/trades?limit=500", token)
        .await
        .json()
        .await
        .unwrap();
    let mut seen = HashMap::new();
    for row in rows.as_array().expect("a trade list") {
        *seen
            .entry(row["tradeId"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_under_rfq_load_loses_and_duplicates_nothing() {
    let mut broker = Broker::start();
    // No market makers: their steady order flow would keep a few fresh rows in the backlog at
    // any instant, and the end of this test asks for a backlog of exactly zero once the RFQ
    // load and the settlements are done.
    let orion = Arc::new(Orion::start(&[
        "--kafka-brokers",
        &broker.addr,
        "--sim-rate",
        "200",
        "--market-makers",
        "false",
    ]));
    let trader = orion.login("trader@acme").await;
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(trade_until(
        Arc::clone(&orion),
        trader.clone(),
        Arc::clone(&stop),
    ));

    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.stop();
    let outage = Instant::now();
    // The relay notices and keeps the committed rows waiting.
    let deadline = Instant::now() + Duration::from_secs(10);
    while orion.metric("orion_outbox_backlog").await == 0.0 {
        assert!(
            Instant::now() < deadline,
            "no backlog while the broker is down"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(outage.elapsed())).await;
    broker.restart();
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let acknowledged = load.await.unwrap();
    assert!(
        acknowledged.len() >= 10,
        "trading went on through the outage: {} trades",
        acknowledged.len()
    );
    let unique: HashSet<&String> = acknowledged.iter().collect();
    assert_eq!(unique.len(), acknowledged.len(), "trade ids are unique");

    // Relay and consumers resume by themselves: every acknowledged trade reaches the blotter
    // (built from the broker), exactly once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = blotter(&orion, &trader).await;
        let missing: Vec<&String> = acknowledged
            .iter()
            .filter(|id| !seen.contains_key(*id))
            .collect();
        let doubled: Vec<(&String, &usize)> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            doubled.is_empty(),
            "trades twice in the blotter: {doubled:?}"
        );
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "acknowledged trades missing from the blotter after the broker returned: {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Settled exactly once each: one terminal status, attempts within the retry budget.
    let settled = support::settle(&orion, &trader, &acknowledged).await;
    for (id, view) in &settled {
        let attempts = view["settlementAttempts"].as_u64().unwrap_or(0);
        assert!(
            (1..=4).contains(&attempts),
            "{id} settled in {attempts} attempts: {view}"
        );
    }
    let unsettled: Value = orion
        .get("/posttrade/unsettled", &trader)
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<&str> = unsettled["trades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tradeId"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&&str> = listed.iter().collect();
    assert_eq!(
        distinct.len(),
        listed.len(),
        "no trade twice in the settlement view"
    );

    // The backlog drains and every consumer catches up. A batch sent while the broker was down
    // fails after the relay's 30 s delivery timeout and is sent again, so allow for that.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let backlog = orion.metric("orion_outbox_backlog").await;
        let lag = orion.metric("orion_consumer_lag").await;
        if backlog == 0.0 && lag == 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "backlog {backlog} and consumer lag {lag} did not return to zero"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
