//! Dead letters against a real `orion up` (SQLite, local bus): a projection that keeps failing
//! dead-letters the message after its retries while later events keep applying; the letter is
//! visible in `orion dlq list|show`, `GET /ops/dlq`, `GET /ops/consumers` and `/metrics`; once
//! the cause is fixed, `orion dlq replay` applies it exactly once and it leaves the list.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Orion, execute, orion_cli, sqlite_url, trade};

fn dlq(orion: &Orion, args: &[&str]) -> (bool, String) {
    let dir = orion.data_dir.display().to_string();
    let mut all = vec!["dlq", "--data-dir", dir.as_str()];
    all.extend_from_slice(args);
    orion_cli(&all)
}

fn letters(orion: &Orion) -> Vec<Value> {
    let (ok, out) = dlq(orion, &["list", "--json"]);
    assert!(ok, "{out}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_projection_dead_letters_and_a_replay_after_the_fix_applies_once() {
    let orion = Orion::start(&[
        "--consumer-max-attempts",
        "blotters=2",
        "--settlement-delay-ms",
        "600000",
    ]);
    let trader = orion.login("trader@acme").await;
    let ops = orion.login("ops@orion").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let url = sqlite_url(&orion.data_dir);

    // The trade blotter's table goes away: applying a trade to it fails every time.
    execute(
        &url,
        "ALTER TABLE rm_trade_blotter RENAME TO rm_trade_blotter_away",
    )
    .await;
    let trade_id = trade(&orion, &trader, "EUR/USD").await;
    // Events behind the failing ones keep applying.
    let created: Value = orion
        .post(
            "/rfqs",
            &trader,
            json!({"instrumentId": "GBP/USD", "side": "SELL", "size": "5000", "expirySeconds": 30}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let later_rfq = created["rfqId"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    let dead = loop {
        let dead = letters(&orion);
        let rfqs: Value = orion.get("/rfqs", &trader).await.json().await.unwrap();
        let later_seen = rfqs
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rfqId"] == later_rfq.as_str());
        if later_seen
            && dead.iter().any(|l| l["eventType"] == "TradeExecuted")
            && dead.iter().any(|l| l["eventType"] == "TradeConfirmed")
        {
            break dead;
        }
        assert!(Instant::now() < deadline, "letters: {dead:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead.len(), 2, "{dead:?}");
    for letter in &dead {
        assert_eq!(letter["consumer"], "blotters");
        assert_eq!(letter["errorKind"], "TRANSIENT");
        assert_eq!(letter["attempts"], 2);
        assert!(
            letter["error"]
                .as_str()
                .unwrap()
                .contains("rm_trade_blotter"),
            "{letter}"
        );
        let payload: Value = serde_json::from_str(letter["payload"].as_str().unwrap()).unwrap();
        assert_eq!(payload["payload"]["tradeId"], trade_id.as_str());
        assert_eq!(letter["key"], trade_id.as_str());
    }
    let id = dead[0]["id"].as_str().unwrap().to_owned();
    let (ok, shown) = dlq(&orion, &["show", &id]);
    assert!(ok);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["id"], id.as_str());
    assert!(shown["headers"]["correlationId"].is_string(), "{shown}");
    assert!(
        shown["stack"].as_str().unwrap().contains("blotters"),
        "{shown}"
    );

    // Operators see the same through REST and metrics.
    let listed: Value = orion.get("/ops/dlq", &ops).await.json().await.unwrap();
    assert_eq!(listed["count"], 2);
    assert_eq!(orion.get("/ops/dlq", &trader).await.status(), 403);
    let blotters = support::consumer_state(&orion, &ops, "blotters")
        .await
        .expect("the blotters consumer runs");
    assert_eq!(blotters["deadLettered"], 2, "{blotters}");
    assert!(blotters["retried"].as_u64().unwrap() >= 2, "{blotters}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while orion
        .metric("orion_dlq_messages{consumer=\"blotters\"}")
        .await
        != 2.0
    {
        assert!(Instant::now() < deadline, "orion_dlq_messages");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A replay before the fix fails again and keeps the letter.
    let (ok, out) = dlq(&orion, &["replay", &id, "--wait", "10s"]);
    assert!(!ok, "{out}");
    assert!(out.contains("failed again"), "{out}");
    assert_eq!(letters(&orion).len(), 2);

    // Fixed: the replay applies both, once, and the list is empty.
    execute(
        &url,
        "ALTER TABLE rm_trade_blotter_away RENAME TO rm_trade_blotter",
    )
    .await;
    let (ok, out) = dlq(
        &orion,
        &["replay", "--all", "--consumer", "blotters", "--wait", "10s"],
    );
    assert!(ok, "{out}");
    assert_eq!(out.matches("applied").count(), 2, "{out}");
    assert!(letters(&orion).is_empty());
    let blotter: Value = orion.get("/trades", &trader).await.json().await.unwrap();
    let rows: Vec<&Value> = blotter
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tradeId"] == trade_id.as_str())
        .collect();
    assert_eq!(rows.len(), 1, "{blotter}");
    assert_eq!(rows[0]["confirmationStatus"], "CONFIRMED");
    let (ok, out) = dlq(&orion, &["replay", &id]);
    assert!(!ok, "a replayed letter is not replayed twice: {out}");
    assert_eq!(
        orion
            .post(&format!("/ops/dlq/{id}/replay"), &ops, json!({}), None)
            .await
            .status(),
        409
    );
}
