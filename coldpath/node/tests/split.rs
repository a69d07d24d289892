//! Split roles against real processes: one `orion core` and two `orion bff` replicas. Logins,
//! RFQ → trade, orders and depth work through either replica, and WebSocket clients on each see
//! the same ticks and their own RFQ updates; killing the core makes commands 503 on both
//! replicas within a second while sessions stay open with their last values flagged stale, and
//! both recover by themselves when the core returns; a client whose replica dies continues on
//! the other.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{Orion, Ws, next_json, send_json, trade, wait_for_book};
use tokio_tungstenite::tungstenite::Message;

/// `(bid, ask, ts)` of the ticks of `instrument` a session receives during `window`.
async fn ticks(
    ws: &mut Ws,
    instrument: &str,
    window: Duration,
) -> HashSet<(String, String, String)> {
    let mut seen = HashSet::new();
    let until = Instant::now() + window;
    while Instant::now() < until {
        let Some(frame) = next_json(ws, Duration::from_millis(500)).await else {
            continue;
        };
        if matches!(frame["type"].as_str(), Some("TICK" | "SNAPSHOT"))
            && frame["instrumentId"] == instrument
        {
            seen.insert((
                frame["bid"].as_str().unwrap().to_owned(),
                frame["ask"].as_str().unwrap().to_owned(),
                frame["ts"].as_str().unwrap().to_owned(),
            ));
        }
    }
    seen
}

/// The next frame of `kind` within `wait` that `accept` likes.
async fn frame_where(
    ws: &mut Ws,
    wait: Duration,
    accept: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let until = Instant::now() + wait;
    while Instant::now() < until {
        if let Some(frame) = next_json(ws, Duration::from_millis(200)).await {
            if accept(&frame) {
                return Some(frame);
            }
        }
    }
    None
}

async fn create_rfq(replica: &Orion, token: &str) -> reqwest::StatusCode {
    replica
        .post(
            "/rfqs",
            token,
            json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "100000", "expirySeconds": 10}),
            None,
        )
        .await
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_one_core_and_ride_out_its_restart() {
    let data_dir = std::env::temp_dir().join(format!("orion-split-{}", std::process::id()));
    let grpc = Orion::free_addr();
    // A slow simulator: each replica's window carries every EUR/USD tick, so both show the same.
    let core = Orion::core_in(data_dir.clone(), grpc, &["--sim-rate", "40"]);
    let a = Orion::bff(&data_dir, grpc);
    let b = Orion::bff(&data_dir, grpc);

    // The core's link answers only Orion's own processes.
    let mut link =
        orion_grpc::link::pb::core_link_client::CoreLinkClient::connect(format!("http://{grpc}"))
            .await
            .unwrap();
    let refused = link
        .describe(orion_grpc::link::pb::DescribeRequest {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    // The core serves health, readiness and its metrics over HTTP, and no API.
    let ready = core.client.get(core.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = core.client.get(core.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("orion_outbox_published_total"),
        "{metrics}"
    );
    let login = core
        .client
        .post(core.url("/auth/login"))
        .json(&json!({"username": "trader@acme", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 404, "the core serves no REST API");

    // Logins and reads go through either replica; a token from one works on the other.
    let token = a.login("trader@acme").await;
    let other = b.login("trader@globex").await;
    let me: Value = b.get("/me", &token).await.json().await.unwrap();
    assert_eq!(me["tenant"], "acme", "{me}");
    let (_, best_ask) = wait_for_book(&a, &token, "EUR/USD").await;

    // Both replicas' sessions see the same ticks.
    let mut ws_a = a.connect(&token).await;
    let mut ws_b = b.connect(&other).await;
    for ws in [&mut ws_a, &mut ws_b] {
        send_json(
            ws,
            json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/USD"]}),
        )
        .await;
    }
    let (seen_a, seen_b) = tokio::join!(
        ticks(&mut ws_a, "EUR/USD", Duration::from_secs(5)),
        ticks(&mut ws_b, "EUR/USD", Duration::from_secs(5))
    );
    assert!(
        seen_a.len() >= 3 && seen_b.len() >= 3,
        "{} / {} ticks",
        seen_a.len(),
        seen_b.len()
    );
    // The first and last tick may fall either side of one session's subscription or cut-off.
    let common = seen_a.intersection(&seen_b).count();
    assert!(
        common >= 2 && common + 2 >= seen_a.len().min(seen_b.len()),
        "the replicas showed different ticks: {seen_a:?} vs {seen_b:?}"
    );

    // RFQ → trade through replica B; the trader's session on replica A sees its updates.
    send_json(&mut ws_a, json!({"type": "SUBSCRIBE", "channel": "rfqs"})).await;
    send_json(&mut ws_a, json!({"type": "SUBSCRIBE", "channel": "trades"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let trade_id = trade(&b, &token, "EUR/USD").await;
    let traded = frame_where(&mut ws_a, Duration::from_secs(5), |f| {
        f["type"] == "TRADE" && f["tradeId"] == trade_id.as_str()
    })
    .await;
    assert!(
        traded.is_some(),
        "no TRADE frame for {trade_id} on replica A"
    );
    assert_eq!(
        a.get(&format!("/trades/{trade_id}"), &token).await.status(),
        200
    );
    // Another tenant's session saw none of it, and cannot read the trade.
    assert_eq!(
        b.get(&format!("/trades/{trade_id}"), &other).await.status(),
        404
    );

    // An order through replica A fills against the market makers; B's session shows the book.
    let placed = a
        .post(
            "/orders",
            &token,
            json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": "1000000",
                   "limitPrice": format!("{:.5}", best_ask * 1.001), "timeInForce": "IOC"}),
            Some("split-order-1"),
        )
        .await;
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["status"], "FILLED", "{placed}");
    send_json(
        &mut ws_b,
        json!({"type": "SUBSCRIBE", "channel": "depth", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    let depth = frame_where(&mut ws_b, Duration::from_secs(3), |f| f["type"] == "DEPTH").await;
    let depth = depth.expect("a DEPTH frame on replica B");
    assert!(!depth["bids"].as_array().unwrap().is_empty(), "{depth}");

    // The core dies: commands answer 503 on both replicas within a second; sessions stay.
    let data_dir = core.kill_hard();
    let killed = Instant::now();
    for replica in [&a, &b] {
        loop {
            let status = create_rfq(replica, &token).await;
            if status == 503 {
                break;
            }
            assert!(
                killed.elapsed() < Duration::from_secs(1),
                "still {status} after {:?}",
                killed.elapsed()
            );
        }
    }
    assert!(
        killed.elapsed() < Duration::from_secs(1),
        "503 took {:?}",
        killed.elapsed()
    );
    let down = a
        .post(
            "/rfqs",
            &token,
            json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "100000"}),
            None,
        )
        .await;
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["error"]["code"], "CORE_UNAVAILABLE", "{body}");
    let stale = frame_where(&mut ws_a, Duration::from_secs(5), |f| {
        f["type"] == "TICK" && f["instrumentId"] == "EUR/USD" && f["stale"] == true
    })
    .await;
    assert!(stale.is_some(), "the last value was not flagged stale");
    assert_eq!(
        a.client
            .get(a.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );

    // The core returns on the same address: both replicas recover without a restart.
    let core = Orion::core_in(data_dir, grpc, &["--sim-rate", "40"]);
    let back = Instant::now();
    for replica in [&a, &b] {
        loop {
            let status = create_rfq(replica, &token).await;
            if status == 201 {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(20),
                "still {status} after the core returned"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let fresh = frame_where(&mut ws_a, Duration::from_secs(10), |f| {
        f["type"] == "TICK" && f["instrumentId"] == "EUR/USD" && f["stale"] == false
    })
    .await;
    assert!(
        fresh.is_some(),
        "the session on replica A did not resume fresh ticks"
    );

    // Replica B dies: its client reconnects to A and resubscribes.
    drop(b);
    let ended = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(Ok(frame)) = ws_b.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the dead replica's socket did not end");
    let mut ws_b = a.connect(&other).await;
    send_json(
        &mut ws_b,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    let snapshot = frame_where(&mut ws_b, Duration::from_secs(5), |f| {
        f["type"] == "SNAPSHOT" && f["instrumentId"] == "EUR/USD"
    })
    .await;
    assert!(snapshot.is_some(), "no snapshot after moving to replica A");
    drop(core);
}
