//! After the trade, against a real `orion up` (SQLite, local bus): every trade is confirmed
//! and settled by a saga in the store — always failing settlement ends `FAILED_FINAL` after
//! exactly `1 + max retries` attempts and notifies the owner and the tenant's risk users;
//! never failing settles everything; a `kill -9` mid-saga resumes every saga and no trade ends
//! in two terminal states or settles twice.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Orion, next_json, outbox_envelopes, send_json, settle, sqlite_url, trade};

/// Per trade, the post-trade events in the outbox: `(type, attempt, final)` in order.
async fn saga_events(url: &str) -> BTreeMap<String, Vec<(String, i64, bool)>> {
    let mut out: BTreeMap<String, Vec<(String, i64, bool)>> = BTreeMap::new();
    for e in outbox_envelopes(url).await {
        let t = e["eventType"].as_str().unwrap();
        if t == "TradeConfirmed" || t.starts_with("Settlement") {
            let p = &e["payload"];
            out.entry(p["tradeId"].as_str().unwrap().to_owned())
                .or_default()
                .push((
                    t.to_owned(),
                    p["attempt"].as_i64().unwrap_or(0),
                    p["final"].as_bool().unwrap_or(false),
                ));
        }
    }
    out
}

/// Checks one trade's saga events are a legal run: confirmed once, attempts 1..n requested
/// once each in order, each failure after its request, and exactly one terminal event last.
fn assert_legal_saga(trade: &str, events: &[(String, i64, bool)], max_retries: i64) -> String {
    assert_eq!(events[0].0, "TradeConfirmed", "{trade}: {events:?}");
    assert_eq!(
        events.iter().filter(|e| e.0 == "TradeConfirmed").count(),
        1,
        "{trade} confirmed once: {events:?}"
    );
    let steps = &events[1..];
    for (expected_attempt, pair) in (1..).zip(steps.chunks(2)) {
        assert_eq!(
            (pair[0].0.as_str(), pair[0].1),
            ("SettlementRequested", expected_attempt),
            "{trade}: {events:?}"
        );
        let outcome = pair.get(1).expect("every attempt has an outcome");
        assert_eq!(outcome.1, expected_attempt, "{trade}: {events:?}");
        assert!(
            outcome.0 == "SettlementCompleted" || outcome.0 == "SettlementFailed",
            "{trade}: {events:?}"
        );
    }
    let terminal: Vec<&(String, i64, bool)> = steps
        .iter()
        .filter(|e| e.0 == "SettlementCompleted" || (e.0 == "SettlementFailed" && e.2))
        .collect();
    assert_eq!(terminal.len(), 1, "{trade}: one terminal event: {events:?}");
    assert_eq!(
        terminal[0],
        steps.last().unwrap(),
        "{trade}: terminal last: {events:?}"
    );
    let last = steps.last().unwrap();
    if last.0 == "SettlementFailed" {
        assert_eq!(last.1, 1 + max_retries, "{trade}: {events:?}");
        "FAILED_FINAL".into()
    } else {
        "SETTLED".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_failing_settlement_fails_final_after_every_retry_and_notifies() {
    let orion = Orion::start(&[
        "--settlement-failure-rate",
        "1",
        "--settlement-delay-ms",
        "100",
        "--settlement-max-retries",
        "3",
    ]);
    let trader = orion.login("trader@acme").await;
    let risk = orion.login("risk@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut trader_ws = orion.connect(&trader).await;
    send_json(
        &mut trader_ws,
        json!({"type": "SUBSCRIBE", "channel": "trades"}),
    )
    .await;
    send_json(
        &mut trader_ws,
        json!({"type": "SUBSCRIBE", "channel": "notifications"}),
    )
    .await;
    let mut risk_ws = orion.connect(&risk).await;
    send_json(
        &mut risk_ws,
        json!({"type": "SUBSCRIBE", "channel": "notifications"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut trades = Vec::new();
    for _ in 0..3 {
        trades.push(trade(&orion, &trader, "EUR/USD").await);
    }
    let settled = settle(&orion, &trader, &trades).await;
    for (id, view) in &settled {
        assert_eq!(view["settlementStatus"], "FAILED_FINAL", "{id}: {view}");
        assert_eq!(view["settlementAttempts"], 4, "{id}: {view}");
        assert_eq!(view["confirmationStatus"], "CONFIRMED", "{id}: {view}");
    }
    let url = sqlite_url(&orion.data_dir);
    let sagas = saga_events(&url).await;
    for id in &trades {
        let events = &sagas[id];
        assert_eq!(assert_legal_saga(id, events, 3), "FAILED_FINAL");
        let failures: Vec<(i64, bool)> = events
            .iter()
            .filter(|e| e.0 == "SettlementFailed")
            .map(|e| (e.1, e.2))
            .collect();
        assert_eq!(failures, [(1, false), (2, false), (3, false), (4, true)]);
    }
    support::validate_outbox(&url).await;

    // The confirmation document, for this tenant only.
    let view = &settled[&trades[0]];
    let confirmation: Value = orion
        .get(&format!("/trades/{}/confirmation", trades[0]), &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(confirmation["trade"]["tradeId"], trades[0].as_str());
    assert_eq!(confirmation["economics"]["price"], view["price"]);
    assert_eq!(confirmation["parties"]["counterparty"], view["lpId"]);
    assert_eq!(confirmation["venue"], "RFQ");
    let globex = orion.login("trader@globex").await;
    assert_eq!(
        orion
            .get(&format!("/trades/{}/confirmation", trades[0]), &globex)
            .await
            .status(),
        404
    );

    // Unsettled, as JSON and CSV.
    let unsettled: Value = orion
        .get("/posttrade/unsettled", &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unsettled["count"], 3);
    let csv = orion
        .get("/posttrade/reconciliation.csv", &trader)
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("tradeId,"), "{csv}");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[1..].iter().all(|l| l.contains("FAILED_FINAL")),
        "{csv}"
    );

    // Live: the owner saw every settlement step and a notification per trade; so did risk.
    let mut statuses: HashMap<String, Vec<String>> = HashMap::new();
    let mut trader_notes = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while trader_notes < 3 {
        assert!(
            Instant::now() < deadline,
            "owner notifications: {trader_notes}"
        );
        let Some(frame) = next_json(&mut trader_ws, Duration::from_secs(5)).await else {
            break;
        };
        match frame["type"].as_str() {
            Some("TRADE") if frame["settlementStatus"].is_string() => statuses
                .entry(frame["tradeId"].as_str().unwrap().to_owned())
                .or_default()
                .push(frame["settlementStatus"].as_str().unwrap().to_owned()),
            Some("NOTIFICATION") => {
                assert_eq!(frame["event"], "SettlementFailed", "{frame}");
                assert_eq!(frame["severity"], "CRITICAL", "{frame}");
                trader_notes += 1;
            }
            _ => {}
        }
    }
    assert_eq!(trader_notes, 3);
    let seen = &statuses[&trades[0]];
    for state in ["PENDING", "SETTLING", "FAILED", "RETRYING", "FAILED_FINAL"] {
        assert!(seen.iter().any(|s| s == state), "{state} in {seen:?}");
    }
    let mut risk_notes = 0;
    while risk_notes < 3 {
        let frame = next_json(&mut risk_ws, Duration::from_secs(5))
            .await
            .expect("risk user notified");
        if frame["type"] == "NOTIFICATION" {
            risk_notes += 1;
        }
    }

    // The blotter (a read model) catches up to the same states.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let blotter: Value = orion.get("/trades", &trader).await.json().await.unwrap();
        let rows = blotter.as_array().unwrap();
        if rows.len() == 3 && rows.iter().all(|r| r["settlementStatus"] == "FAILED_FINAL") {
            assert!(rows.iter().all(|r| r["settlementAttempts"] == 4));
            break;
        }
        assert!(Instant::now() < deadline, "blotter: {blotter}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_failing_settlement_settles_every_trade_on_its_first_attempt() {
    let orion = Orion::start(&[
        "--settlement-failure-rate",
        "0",
        "--settlement-delay-ms",
        "100",
    ]);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut trades = Vec::new();
    for _ in 0..5 {
        trades.push(trade(&orion, &trader, "EUR/USD").await);
    }
    for (id, view) in settle(&orion, &trader, &trades).await {
        assert_eq!(
            (
                view["settlementStatus"].as_str(),
                view["settlementAttempts"].as_i64()
            ),
            (Some("SETTLED"), Some(1)),
            "{id}"
        );
    }
    let sagas = saga_events(&sqlite_url(&orion.data_dir)).await;
    for id in &trades {
        let kinds: Vec<&str> = sagas[id].iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "TradeConfirmed",
                "SettlementRequested",
                "SettlementCompleted"
            ]
        );
    }
    let unsettled: Value = orion
        .get("/posttrade/unsettled", &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unsettled["count"], 0, "{unsettled}");

    // The blotter is paged, never cut: pages of two follow each other newest first.
    let mut seen: Vec<String> = Vec::new();
    let mut path = "/trades?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let response = orion.get(&path, &trader).await;
        assert_eq!(response.status(), 200);
        let next = response
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().unwrap().to_owned());
        let rows: Vec<Value> = response.json().await.unwrap();
        assert!(rows.len() <= 2);
        seen.extend(
            rows.iter()
                .map(|r| r["tradeId"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match next {
            Some(cursor) => path = format!("/trades?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert!(pages >= 3, "{pages} pages");
    let mut newest_first = trades.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    let everything: Vec<Value> = orion.get("/trades", &trader).await.json().await.unwrap();
    let oldest = everything.last().unwrap()["executedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let since: Vec<Value> = orion
        .get(
            &format!("/trades?from={oldest}&instrumentId=EUR/USD"),
            &trader,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(since.len(), 5, "from is inclusive");
    let before: Vec<Value> = orion
        .get(&format!("/trades?to={oldest}"), &trader)
        .await
        .json()
        .await
        .unwrap();
    assert!(before.is_empty(), "to is exclusive");
    for bad in [
        "/trades?limit=0",
        "/trades?cursor=nonsense",
        "/trades?from=yesterday",
        "/rfqs?limit=5000",
    ] {
        assert_eq!(orion.get(bad, &trader).await.status(), 400, "{bad}");
    }
    let rfqs = orion.get("/rfqs?limit=3", &trader).await;
    assert!(rfqs.headers().get("x-next-cursor").is_some());
    assert_eq!(rfqs.json::<Vec<Value>>().await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_settlement_resumes_every_saga_and_settles_no_trade_twice() {
    let flags = [
        "--settlement-failure-rate",
        "0.5",
        "--settlement-delay-ms",
        "300",
        "--settlement-max-retries",
        "3",
    ];
    let orion = Orion::start(&flags);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut trades = Vec::new();
    for _ in 0..12 {
        trades.push(trade(&orion, &trader, "EUR/USD").await);
    }
    // Sagas are mid-way: some settled, some waiting to retry, some not started.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let data_dir = orion.kill_hard();
    let before = saga_events(&sqlite_url(&data_dir)).await;
    let in_flight = trades
        .iter()
        .filter(|id| {
            before.get(*id).is_none_or(|events| {
                !events
                    .iter()
                    .any(|e| e.0 == "SettlementCompleted" || (e.0 == "SettlementFailed" && e.2))
            })
        })
        .count();
    assert!(in_flight > 0, "the kill came after every saga ended");

    let orion = Orion::start_in(data_dir, &flags);
    let trader = orion.login("trader@acme").await;
    let settled = settle(&orion, &trader, &trades).await;
    let sagas = saga_events(&sqlite_url(&orion.data_dir)).await;
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for id in &trades {
        let end = assert_legal_saga(id, &sagas[id], 3);
        assert_eq!(
            settled[id]["settlementStatus"].as_str(),
            Some(end.as_str()),
            "{id}: the store agrees with the event log"
        );
        *outcomes.entry(end).or_default() += 1;
    }
    assert_eq!(outcomes.values().sum::<usize>(), trades.len());
}
