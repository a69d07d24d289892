//! The outbox relay against a real Kafka-protocol broker (tansu, started here from
//! `ORION_TANSU_BIN`; `scripts/test.sh` installs it): every committed event reaches its topic
//! with the contract's key and headers and validates against its schema, consumed through a
//! consumer group; a `kill -9` of `orion up` mid-stream loses nothing.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use serde_json::{Value, json};
use support::{Broker, Orion};

const TOPICS: [&str; 8] = [
    "dev.oms.orders.v1",
    "dev.marketdata.status.v1",
    "dev.rfq.lifecycle.v1",
    "dev.rfq.quotes.v1",
    "dev.execution.trades.v1",
    "dev.posttrade.settlement.v1",
    "dev.risk.alerts.v1",
    "dev.admin.changes.v1",
];

/// Each test here runs a broker, Orion and its consumer groups: on a small machine two at once
/// starve the broker, so they take turns (a panicking test releases its turn too).
async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

async fn outbox_ids(data_dir: &std::path::Path) -> HashSet<String> {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/orion.db", data_dir.display());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT event_id FROM outbox_events")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

/// Consumes every topic with a consumer group until `wanted` event ids were all seen.
async fn consume_until(
    brokers: &str,
    group: &str,
    wanted: &HashSet<String>,
) -> HashMap<String, Value> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&TOPICS).unwrap();
    let mut seen: HashMap<String, Value> = HashMap::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    while !wanted.iter().all(|id| seen.contains_key(id)) {
        assert!(
            Instant::now() < deadline,
            "after {:?}, {} of {} events seen; missing on Kafka: {:?}",
            started.elapsed(),
            wanted.iter().filter(|id| seen.contains_key(*id)).count(),
            wanted.len(),
            wanted
                .iter()
                .filter(|id| !seen.contains_key(*id))
                .collect::<Vec<_>>()
        );
        let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await
        else {
            continue;
        };
        let event: Value = serde_json::from_slice(message.payload().unwrap()).unwrap();
        support::assert_valid_event(&event);
        let headers: HashMap<&str, String> = message
            .headers()
            .map(|h| {
                h.iter()
                    .map(|h| {
                        (
                            h.key,
                            String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            headers.get("tenantId").map(String::as_str),
            event["tenantId"].as_str(),
            "tenantId header"
        );
        assert_eq!(
            headers.get("correlationId").map(String::as_str),
            event["correlationId"].as_str(),
            "correlationId header"
        );
        assert!(
            !event["tenantId"].as_str().unwrap().is_empty()
                && !event["correlationId"].as_str().unwrap().is_empty()
        );
        let key = std::str::from_utf8(message.key().unwrap()).unwrap();
        match message.topic() {
            "dev.rfq.lifecycle.v1" | "dev.rfq.quotes.v1" => assert_eq!(
                key,
                event["payload"]["rfqId"].as_str().unwrap(),
                "keyed by rfqId"
            ),
            "dev.execution.trades.v1" | "dev.posttrade.settlement.v1" => assert_eq!(
                key,
                event["payload"]["tradeId"].as_str().unwrap(),
                "keyed by tradeId"
            ),
            "dev.risk.alerts.v1" => assert_eq!(
                key,
                event["tenantId"].as_str().unwrap(),
                "keyed by tenantId"
            ),
            "dev.marketdata.status.v1" => assert_eq!(
                key,
                event["payload"]["instrumentId"].as_str().unwrap(),
                "keyed by instrumentId"
            ),
            "dev.admin.changes.v1" | "dev.oms.orders.v1" => assert_eq!(
                key,
                event["entity"]["entityId"].as_str().unwrap(),
                "keyed by entityId"
            ),
            other => panic!("unexpected topic {other}"),
        }
        consumer.commit_message(&message, CommitMode::Sync).unwrap();
        seen.insert(event["eventId"].as_str().unwrap().to_owned(), event);
    }
    seen
}

#[tokio::test]
async fn every_committed_event_reaches_kafka_even_across_a_kill_9() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start();
    // Every tick goes to the broker too: a gentle simulator keeps the test broker's load low.
    let orion = Orion::start(&["--kafka-brokers", &broker.addr, "--sim-rate", "200"]);
    let trader = orion.login("trader@acme").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        support::trade(&orion, &trader, "EUR/USD").await;
    }
    let risk = orion.login("risk@acme").await;
    assert_eq!(
        orion
            .post(
                "/admin/killswitch/enable",
                &risk,
                json!({"scope": "tenant"}),
                None
            )
            .await
            .status(),
        200
    );
    assert_eq!(
        orion
            .post(
                "/rfqs",
                &trader,
                json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1", "expirySeconds": 5}),
                None
            )
            .await
            .status(),
        422
    );
    assert_eq!(
        orion
            .post(
                "/admin/killswitch/disable",
                &risk,
                json!({"scope": "tenant"}),
                None
            )
            .await
            .status(),
        200
    );
    let ops = orion.login("ops@orion").await;
    let eursek = json!({
        "instrumentId": "EUR/SEK", "assetClass": "fx", "currency": "SEK",
        "tickSize": "0.0001", "lotSize": "0.01", "referencePrice": "11.4520",
    });
    assert_eq!(
        orion
            .post("/admin/instruments", &ops, eursek, None)
            .await
            .status(),
        201
    );
    for _ in 5..10 {
        support::trade(&orion, &trader, "EUR/USD").await;
    }
    // An order through the market makers' asks, and one refused.
    let book = support::wait_for_book(&orion, &trader, "EUR/USD").await;
    let through = format!("{:.5}", book.1 + 0.001);
    for (key, qty, status) in [("k-1", "2000000", 201), ("k-2", "90000000", 422)] {
        let order = json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": qty, "limitPrice": through});
        let resp = orion.post("/orders", &trader, order, Some(key)).await;
        assert_eq!(resp.status(), status);
    }
    // Kill mid-stream: the relay may hold rows committed but not yet marked published.
    let data_dir = orion.kill_hard();
    let before = outbox_ids(&data_dir).await;
    assert!(before.len() >= 30, "{} events committed", before.len());

    let restarted = Orion::start_in(
        data_dir.clone(),
        &["--kafka-brokers", &broker.addr, "--sim-rate", "200"],
    );
    let seen = consume_until(&broker.addr, "orion-contract-test", &before).await;
    let types: HashSet<&str> = seen
        .values()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    for expected in [
        "RFQCreated",
        "RFQSent",
        "QuoteReceived",
        "QuoteAccepted",
        "TradeExecuted",
        "KillSwitchEnabled",
        "KillSwitchDisabled",
        "RiskLimitBreached",
        "InstrumentUpdated",
        "OrderPlaced",
        "OrderAcknowledged",
        "OrderFilled",
        "OrderRejected",
    ] {
        assert!(types.contains(expected), "{expected} on Kafka: {types:?}");
    }
    // The blotters of the restarted process are fed by its own Kafka consumer group.
    let trader = restarted.login("trader@acme").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let trades: Vec<Value> = restarted
            .get("/trades", &trader)
            .await
            .json()
            .await
            .unwrap();
        if trades.len() >= 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "trade blotter from Kafka has {} of 10 trades",
            trades.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Everything on `topics` from the beginning until `done` says enough (or 30 s pass).
async fn read_topics(
    brokers: &str,
    topics: &[&str],
    mut done: impl FnMut(&[rdkafka::message::OwnedMessage]) -> bool,
) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set(
            "group.id",
            format!("outside-{}-{}", std::process::id(), topics.join("+")),
        )
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(topics).unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done(&seen) && Instant::now() < deadline {
        if let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(2), consumer.recv()).await
        {
            seen.push(message.detach());
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_trade_dead_letters_ticks_and_rebuild_on_postgres_with_kafka() {
    let _turn = one_at_a_time().await;
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let broker = Broker::start();
    let (_db, url) = support::PgDatabase::create().await;
    let orion = Orion::start(&[
        "--kafka-brokers",
        &broker.addr,
        "--database-url",
        &url,
        "--settlement-failure-rate",
        "0",
        "--settlement-delay-ms",
        "100",
        "--sim-rate",
        "200",
    ]);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;

    // An outside client puts a malformed message and a schema-violating envelope on the
    // RFQ lifecycle topic.
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .unwrap();
    let violating = json!({
        "eventId": "5f1d7a52-7a4e-4b7e-9b55-1c1a6a0f0001", "eventType": "RFQCancelled", "eventVersion": 1,
        "occurredAt": "2026-12-01T08:00:00Z", "producer": "outsider", "tenantId": "acme",
        "correlationId": "c-poison", "causationId": "c-poison",
        "entity": {"entityType": "RFQ", "entityId": "12", "sequence": 1},
        "payload": {"rfqId": 12, "status": "CANCELLED"},
    })
    .to_string();
    for (key, payload) in [
        ("poison-malformed", "{not json".to_owned()),
        ("poison-schema", violating.clone()),
    ] {
        producer
            .send(
                FutureRecord::to("dev.rfq.lifecycle.v1")
                    .key(key)
                    .payload(&payload),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }

    // 50 RFQ → trades behind them, all confirmed and settled.
    let mut trades = Vec::new();
    for _ in 0..50 {
        trades.push(support::trade(&orion, &trader, "EUR/USD").await);
    }
    for (id, view) in support::settle(&orion, &trader, &trades).await {
        assert_eq!(view["settlementStatus"], "SETTLED", "{id}");
        assert_eq!(view["confirmationStatus"], "CONFIRMED", "{id}");
    }
    // The blotter consumer kept applying behind the poison.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let blotter: Value = orion.get("/trades", &trader).await.json().await.unwrap();
        let rows = blotter.as_array().unwrap();
        if rows.len() == 50 && rows.iter().all(|r| r["settlementStatus"] == "SETTLED") {
            break;
        }
        assert!(Instant::now() < deadline, "blotter behind: {}", rows.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Both poison messages are dead letters, in the store and on the DLQ topic.
    let (ok, out) = support::orion_cli(&["dlq", "list", "--json", "--database-url", &url]);
    assert!(ok, "{out}");
    let letters: Vec<Value> = serde_json::from_str(&out).unwrap();
    // Each consumer of the topic (the blotters and analytics) dead-letters both on its own.
    let mut kinds: Vec<(String, String, String)> = letters
        .iter()
        .map(|l| {
            (
                l["consumer"].as_str().unwrap().to_owned(),
                l["key"].as_str().unwrap().to_owned(),
                l["errorKind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    kinds.sort();
    let expected: Vec<(String, String, String)> = ["analytics", "blotters"]
        .iter()
        .flat_map(|consumer| {
            [
                ("poison-malformed", "MALFORMED"),
                ("poison-schema", "SCHEMA"),
            ]
            .map(|(key, kind)| ((*consumer).to_owned(), key.to_owned(), kind.to_owned()))
        })
        .collect();
    assert_eq!(kinds, expected);
    let dead = read_topics(&broker.addr, &["dev.dlq.blotters.v1"], |seen| {
        seen.len() >= 2
    })
    .await;
    assert_eq!(dead.len(), 2);
    for message in &dead {
        let key = std::str::from_utf8(message.key().unwrap()).unwrap();
        let expected: &[u8] = if key == "poison-malformed" {
            b"{not json"
        } else {
            violating.as_bytes()
        };
        assert_eq!(
            message.payload().unwrap(),
            expected,
            "original bytes for {key}"
        );
    }

    // An outside consumer sees the new catalog events and the ticks, every one valid.
    let wanted = [
        "RFQSent",
        "QuoteAccepted",
        "TradeConfirmed",
        "SettlementRequested",
        "SettlementCompleted",
        "MarketTickReceived",
    ];
    let events = read_topics(
        &broker.addr,
        &[
            "dev.rfq.lifecycle.v1",
            "dev.posttrade.settlement.v1",
            "dev.marketdata.ticks.v1",
        ],
        |seen| {
            wanted.iter().all(|w| {
                seen.iter().any(|m| {
                    m.payload()
                        .and_then(|p| serde_json::from_slice::<Value>(p).ok())
                        .is_some_and(|e| e["eventType"] == *w)
                })
            })
        },
    )
    .await;
    let mut types = HashSet::new();
    for message in &events {
        let key = std::str::from_utf8(message.key().unwrap_or_default()).unwrap();
        if key.starts_with("poison-") {
            continue;
        }
        let event: Value = serde_json::from_slice(message.payload().unwrap()).unwrap();
        let event_type = support::assert_valid_event(&event);
        let event_type = event_type.as_str();
        let expected_key = match message.topic() {
            "dev.marketdata.ticks.v1" => event["payload"]["instrumentId"].as_str(),
            "dev.posttrade.settlement.v1" => event["payload"]["tradeId"].as_str(),
            _ => event["payload"]["rfqId"].as_str(),
        };
        assert_eq!(Some(key), expected_key, "{event_type} key");
        types.insert(event_type.to_owned());
    }
    for w in wanted {
        assert!(types.contains(w), "{w} not seen on Kafka: {types:?}");
    }
    assert!(orion.metric("orion_md_ticks_published_total").await > 0.0);

    // The read models rebuilt from Kafka equal the live ones.
    let (ok, out) = support::orion_cli(&[
        "rebuild-read-models",
        "--verify",
        "--database-url",
        &url,
        "--kafka-brokers",
        &broker.addr,
    ]);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    // The two blotters and the four analytics models.
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines.iter().all(|l| l.ends_with(" equal")), "{out}");
    for model in ["trade_blotter", "analytics_trades"] {
        let line = lines.iter().find(|l| l.starts_with(model)).unwrap();
        assert!(line.contains("rows=50 "), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_failing_settlement_across_a_kill_9_on_postgres_with_kafka() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start();
    let (_db, url) = support::PgDatabase::create().await;
    let flags = [
        "--kafka-brokers",
        broker.addr.as_str(),
        "--database-url",
        url.as_str(),
        "--settlement-failure-rate",
        "1",
        "--settlement-delay-ms",
        "100",
        "--settlement-max-retries",
        "3",
        "--sim-rate",
        "200",
    ];
    let orion = Orion::start(&flags);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut trades = Vec::new();
    for _ in 0..5 {
        trades.push(support::trade(&orion, &trader, "EUR/USD").await);
    }
    // The sagas are retrying (backoff 0.5, 1, 2 s): kill the process in the middle of them.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let data_dir = orion.kill_hard();
    let orion = Orion::start_in(data_dir, &flags);
    let trader = orion.login("trader@acme").await;
    for (id, view) in support::settle(&orion, &trader, &trades).await {
        assert_eq!(
            (
                view["settlementStatus"].as_str(),
                view["settlementAttempts"].as_i64()
            ),
            (Some("FAILED_FINAL"), Some(4)),
            "{id}"
        );
    }
    // On the topic: per trade one SettlementFailed per attempt 1..=4 (redeliveries of the same
    // event share its id), only the fourth final, and never a SettlementCompleted.
    let wanted: HashSet<&str> = trades.iter().map(String::as_str).collect();
    let failures = |seen: &[rdkafka::message::OwnedMessage]| {
        let mut per: HashMap<String, HashMap<i64, HashSet<String>>> = HashMap::new();
        for m in seen {
            let e: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let trade = e["payload"]["tradeId"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if e["eventType"] == "SettlementFailed" && wanted.contains(trade.as_str()) {
                per.entry(trade)
                    .or_default()
                    .entry(e["payload"]["attempt"].as_i64().unwrap())
                    .or_default()
                    .insert(e["eventId"].as_str().unwrap().to_owned());
            }
        }
        per
    };
    let seen = read_topics(&broker.addr, &["dev.posttrade.settlement.v1"], |seen| {
        let per = failures(seen);
        per.len() == trades.len() && per.values().all(|a| a.len() == 4)
    })
    .await;
    let per = failures(&seen);
    let validator = support::schema("SettlementFailed");
    for trade in &trades {
        let attempts = &per[trade];
        assert_eq!(
            attempts
                .keys()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            (1..=4).collect(),
            "{trade}"
        );
        assert!(
            attempts.values().all(|ids| ids.len() == 1),
            "one event per attempt: {trade}"
        );
    }
    for m in &seen {
        let e: Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
        assert_ne!(e["eventType"], "SettlementCompleted");
        if e["eventType"] == "SettlementFailed" {
            assert!(validator.is_valid(&e["payload"]), "{e}");
            assert_eq!(
                e["payload"]["final"].as_bool(),
                Some(e["payload"]["attempt"] == 4),
                "only the last attempt is final: {e}"
            );
        }
    }
}
