//! `orion rebuild-read-models` against a real `orion up` (SQLite, the outbox as the log):
//! `--verify` beside the running platform is `equal` after a mixed load and after the whole
//! stream was delivered again, `DIFFERENT` (and non-zero) when a live row was changed behind
//! the projection's back, and a rebuild repairs it.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Orion, execute, orion_cli, sqlite_url, trade};

fn rebuild(data_dir: &std::path::Path, verify: bool) -> (bool, String) {
    let dir = data_dir.display().to_string();
    let mut args = vec!["rebuild-read-models", "--data-dir", dir.as_str()];
    if verify {
        args.push("--verify");
    }
    orion_cli(&args)
}

/// Waits until the blotters consumer has nothing left to apply.
async fn caught_up(orion: &Orion) {
    let ops = orion.login("ops@orion").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lag = support::consumer_state(orion, &ops, "blotters")
            .await
            .map(|c| c["lag"].as_i64().unwrap());
        if lag == Some(0) {
            return;
        }
        assert!(Instant::now() < deadline, "blotters lag {lag:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn line<'a>(out: &'a str, projection: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(projection))
        .unwrap_or_else(|| panic!("no {projection} line in {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_is_equal_after_mixed_load_and_duplicates_and_catches_a_tampered_row() {
    let flags = [
        "--settlement-failure-rate",
        "0.3",
        "--settlement-delay-ms",
        "100",
        "--settlement-max-retries",
        "1",
    ];
    let orion = Orion::start(&flags);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut trades = Vec::new();
    for _ in 0..6 {
        trades.push(trade(&orion, &trader, "EUR/USD").await);
    }
    for n in 0..4u64 {
        let expiry = 1 + n % 2;
        let created = orion
            .post(
                "/rfqs",
                &trader,
                json!({"instrumentId": "GBP/USD", "side": "BUY", "size": "5000", "expirySeconds": expiry}),
                None,
            )
            .await;
        let status = created.status();
        let created: Value = created.json().await.unwrap();
        assert_eq!(status, 201, "{created}");
        if n % 2 == 0 {
            let rfq = created["rfqId"].as_str().unwrap();
            orion
                .post(&format!("/rfqs/{rfq}/cancel"), &trader, json!({}), None)
                .await;
        }
    }
    // Let the expiries and settlements happen, then verify while the platform runs.
    tokio::time::sleep(Duration::from_secs(4)).await;
    caught_up(&orion).await;
    let (ok, out) = rebuild(&orion.data_dir, true);
    assert!(ok, "{out}");
    assert!(line(&out, "rfq_blotter").contains("rows=10"), "{out}");
    assert!(line(&out, "trade_blotter").contains("rows=6"), "{out}");
    assert!(line(&out, "rfq_blotter").ends_with("equal"), "{out}");
    assert!(line(&out, "trade_blotter").ends_with("equal"), "{out}");

    // The whole stream delivered again: every event is a duplicate, nothing changes.
    let data_dir = orion.kill_hard();
    let url = sqlite_url(&data_dir);
    execute(
        &url,
        "UPDATE consumer_offsets SET position = 0 WHERE consumer = 'blotters'",
    )
    .await;
    let orion = Orion::start_in(data_dir, &flags);
    tokio::time::sleep(Duration::from_millis(500)).await;
    caught_up(&orion).await;
    let (ok, again) = rebuild(&orion.data_dir, true);
    assert!(ok, "{again}");
    assert_eq!(
        line(&again, "trade_blotter"),
        line(&out, "trade_blotter"),
        "same rows and checksum after the duplicates"
    );

    // A live row changed behind the projection's back is caught.
    execute(
        &url,
        &format!(
            "UPDATE rm_trade_blotter SET price = '0.00001' WHERE trade_id = '{}'",
            trades[0]
        ),
    )
    .await;
    let (ok, tampered) = rebuild(&orion.data_dir, true);
    assert!(!ok, "{tampered}");
    assert!(
        line(&tampered, "trade_blotter").contains("DIFFERENT"),
        "{tampered}"
    );
    assert!(
        line(&tampered, "rfq_blotter").ends_with("equal"),
        "{tampered}"
    );

    // A rebuild (platform stopped) repairs it.
    let data_dir = orion.kill_hard();
    let (ok, rebuilt) = rebuild(&data_dir, false);
    assert!(ok, "{rebuilt}");
    assert_eq!(
        line(&rebuilt, "trade_blotter"),
        line(&out, "trade_blotter").trim_end_matches(" equal")
    );
    let (ok, verified) = rebuild(&data_dir, true);
    assert!(ok, "{verified}");
    let _ = std::fs::remove_dir_all(data_dir);
}
