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

const TOPICS: [&str; 5] = [
    "dev.rfq.lifecycle.v1",
    "dev.rfq.quotes.v1",
    "dev.execution.trades.v1",
    "dev.risk.alerts.v1",
    "dev.admin.changes.v1",
];

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/../../proto/schemas/v1/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    jsonschema::validator_for(
        &serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
    )
    .unwrap()
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

async fn trade_round(orion: &Orion, token: &str, n: usize) {
    let created = orion
        .post("/rfqs", token, json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "250000", "expirySeconds": 20}), Some(&format!("k-{n}")))
        .await;
    assert_eq!(created.status(), 201);
    let rfq = created.json::<Value>().await.unwrap()["rfqId"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..50 {
        let view: Value = orion
            .get(&format!("/rfqs/{rfq}"), token)
            .await
            .json()
            .await
            .unwrap();
        if let Some(quote) = view["quotes"].get(0).and_then(|q| q["quoteId"].as_str()) {
            let accepted = orion
                .post(
                    &format!("/rfqs/{rfq}/accept"),
                    token,
                    json!({"quoteId": quote}),
                    Some(&format!("a-{n}")),
                )
                .await;
            assert_eq!(accepted.status(), 200);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no quote for {rfq}");
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
    let envelope = schema("envelope");
    let mut seen: HashMap<String, Value> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !wanted.iter().all(|id| seen.contains_key(id)) {
        assert!(
            Instant::now() < deadline,
            "missing on Kafka: {:?}",
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
        if let Err(e) = envelope.validate(&event) {
            panic!("envelope invalid: {e}: {event}");
        }
        let event_type = event["eventType"].as_str().unwrap();
        if let Err(e) = schema(event_type).validate(&event["payload"]) {
            panic!("{event_type} payload invalid: {e}");
        }
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
            "dev.execution.trades.v1" => assert_eq!(
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
            "dev.admin.changes.v1" => assert_eq!(
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
    let broker = Broker::start();
    let orion = Orion::start(&["--kafka-brokers", &broker.addr]);
    let trader = orion.login("trader@acme").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for n in 0..5 {
        trade_round(&orion, &trader, n).await;
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
    for n in 5..10 {
        trade_round(&orion, &trader, n).await;
    }
    // Kill mid-stream: the relay may hold rows committed but not yet marked published.
    let data_dir = orion.kill_hard();
    let before = outbox_ids(&data_dir).await;
    assert!(before.len() >= 30, "{} events committed", before.len());

    let restarted = Orion::start_in(data_dir.clone(), &["--kafka-brokers", &broker.addr]);
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
