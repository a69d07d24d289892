//! `orion up` as a black box: start the binary on free ports, log in, and check the REST and
//! WebSocket contract of `docs/api.md` with real HTTP and WebSocket clients.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use orion_hotpath::Price;
use serde_json::{Value, json};
use support::{Orion, next_json, send_json};
use tokio_tungstenite::tungstenite::Message;

const INSTRUMENTS: [&str; 3] = ["EUR/USD", "USD/JPY", "UST 10Y"];

async fn scales(orion: &Orion, token: &str) -> HashMap<String, u8> {
    let list: Vec<Value> = orion.get("/instruments", token).await.json().await.unwrap();
    list.iter()
        .map(|i| {
            (
                i["instrumentId"].as_str().unwrap().to_owned(),
                i["priceScale"].as_u64().unwrap() as u8,
            )
        })
        .collect()
}

#[tokio::test]
async fn websocket_streams_snapshot_then_coalesced_ticks() {
    let orion = Orion::start(&[]);
    let token = orion.login("trader@acme").await;
    let scales = scales(&orion, &token).await;
    assert!(scales.len() >= 20, "at least 20 instruments");
    let mut ws = orion.connect(&token).await;
    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": INSTRUMENTS}),
    )
    .await;

    let started = Instant::now();
    let window = Duration::from_secs(4);
    let mut per_instrument: HashMap<String, Vec<Value>> = HashMap::new();
    let mut probed = false;
    let (mut errors, mut pongs) = (0, 0);
    // Until the last frame read: the last wait may end a little after the window.
    let mut listened = Duration::ZERO;
    while started.elapsed() < window {
        let Some(msg) = next_json(&mut ws, Duration::from_secs(2)).await else {
            panic!("stream went quiet");
        };
        match msg["type"].as_str().unwrap() {
            "SNAPSHOT" | "TICK" => {
                let id = msg["instrumentId"].as_str().unwrap().to_owned();
                per_instrument.entry(id).or_default().push(msg);
            }
            "ERROR" => {
                assert_eq!(msg["code"], "BAD_MESSAGE");
                errors += 1;
            }
            "PONG" => pongs += 1,
            other => panic!("unexpected frame type {other}"),
        }
        listened = started.elapsed();
        if !probed && started.elapsed() > Duration::from_millis(500) {
            ws.send_text("{not json").await;
            send_json(&mut ws, json!({"type": "PING"})).await;
            probed = true;
        }
    }
    assert_eq!(
        (errors, pongs),
        (1, 1),
        "a bad frame gets ERROR and the socket still answers PING"
    );

    for id in INSTRUMENTS {
        let frames = per_instrument
            .get(id)
            .unwrap_or_else(|| panic!("no data for {id}"));
        assert_eq!(frames[0]["type"], "SNAPSHOT", "{id}: snapshot first");
        assert!(
            frames[1..].iter().all(|f| f["type"] == "TICK"),
            "{id}: then ticks only"
        );
        // At most one TICK per 100 ms window: over `listened`, at most one per whole window
        // plus the window already open when listening started; at least one a second.
        let ticks = frames.len() - 1;
        let most = (listened.as_secs_f64() / 0.1).floor() as usize + 1;
        assert!(
            (4..=most).contains(&ticks),
            "{id}: {ticks} ticks in {listened:?} (at most {most})"
        );
        let mut last_seq = 0;
        for f in frames {
            let scale = scales[id];
            let bid = Price::parse(f["bid"].as_str().unwrap(), scale).unwrap();
            let ask = Price::parse(f["ask"].as_str().unwrap(), scale).unwrap();
            assert!(bid < ask, "{id}: bid {bid} < ask {ask}");
            let seq = f["seq"].as_u64().unwrap();
            assert!(seq > last_seq, "{id}: seq increases");
            last_seq = seq;
            assert_eq!(f["stale"], false);
        }
    }
}

trait SendText {
    async fn send_text(&mut self, text: &str);
}

impl SendText for support::Ws {
    async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.send(Message::Text(text.into())).await.unwrap();
    }
}

#[tokio::test]
async fn websocket_subscriptions_are_multiplexed_and_checked() {
    let orion = Orion::start(&[]);
    let token = orion.login("trader@globex").await;
    let mut ws = orion.connect(&token).await;
    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["NOPE/XXX", "CDX.NA.IG"]}),
    )
    .await;
    // One ERROR for the message, listing each refused instrument with its reason.
    let refused = next_json(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("ERROR"), Some("UNKNOWN_INSTRUMENT"))
    );
    assert_eq!(
        refused["refused"],
        json!([
            {"instrumentId": "NOPE/XXX", "code": "UNKNOWN_INSTRUMENT"},
            {"instrumentId": "CDX.NA.IG", "code": "NOT_ENTITLED"},
        ]),
        "globex is not entitled to credit"
    );

    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["GBP/USD"]}),
    )
    .await;
    let mut seen = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if let Some(m) = next_json(&mut ws, Duration::from_secs(1)).await {
            *seen
                .entry(m["instrumentId"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
    }
    assert!(
        seen["EUR/USD"] > 1 && seen["GBP/USD"] > 1,
        "both subscriptions stream: {seen:?}"
    );

    send_json(
        &mut ws,
        json!({"type": "UNSUBSCRIBE", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    while tokio::time::timeout(Duration::from_millis(10), ws.next())
        .await
        .is_ok()
    {}
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        if let Some(m) = next_json(&mut ws, Duration::from_millis(500)).await {
            assert_eq!(
                m["instrumentId"], "GBP/USD",
                "unsubscribed instrument stops"
            );
        }
    }
}

#[tokio::test]
async fn rest_requires_a_valid_token_and_speaks_the_error_object() {
    let orion = Orion::start(&[]);
    let client = &orion.client;
    let no_token = client
        .get(orion.url("/me"))
        .header("x-correlation-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(no_token.headers()["x-correlation-id"], "abc-123", "echoed");
    let body: Value = no_token.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNAUTHORIZED");
    assert_eq!(body["error"]["correlationId"], "abc-123");

    assert_eq!(orion.get("/me", "garbage").await.status(), 401);
    let token = orion.login("trader@acme").await;
    let payload = token.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    assert_eq!(orion.get("/me", &alg_none).await.status(), 401);

    let bad_login = client
        .post(orion.url("/auth/login"))
        .json(&json!({"username": "trader@acme", "password": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_login.status(), 401);
    let malformed = client
        .post(orion.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert!(malformed.headers().contains_key("x-correlation-id"));

    let me: Value = orion.get("/me", &token).await.json().await.unwrap();
    assert_eq!(
        (me["user"].as_str(), me["tenant"].as_str()),
        (Some("trader@acme"), Some("acme"))
    );
    assert_eq!(me["roles"], json!(["ROLE_TRADER"]));

    let refresh_token = {
        let resp: Value = client
            .post(orion.url("/auth/login"))
            .json(&json!({"username": "risk@acme", "password": "demo"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        resp["refreshToken"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        orion.get("/me", &refresh_token).await.status(),
        401,
        "refresh tokens do not authorise calls"
    );
    let refreshed = client
        .post(orion.url("/auth/refresh"))
        .json(&json!({"refreshToken": refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);

    let url = format!("ws://{}/stream", orion.http);
    let err = tokio_tungstenite::connect_async(url)
        .await
        .expect_err("handshake without token is refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
        other => panic!("expected HTTP 401, got {other}"),
    }

    let snap = orion
        .get("/market/snapshot?instrumentId=EUR/USD", &token)
        .await;
    let mut snap = snap;
    for _ in 0..50 {
        if snap.status() == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        snap = orion
            .get("/market/snapshot?instrumentId=EUR/USD", &token)
            .await;
    }
    assert_eq!(snap.status(), 200);
    let snap: Value = snap.json().await.unwrap();
    for field in [
        "bid", "ask", "mid", "spread", "ts", "ageMs", "seq", "stale", "flags",
    ] {
        assert!(snap.get(field).is_some(), "snapshot has {field}");
    }
    assert_eq!(
        orion
            .get("/market/snapshot?instrumentId=NOPE", &token)
            .await
            .status(),
        404
    );
    let globex = orion.login("trader@globex").await;
    assert_eq!(
        orion
            .get("/market/snapshot?instrumentId=CDX.NA.IG", &globex)
            .await
            .status(),
        403
    );
    assert_eq!(
        client
            .get(orion.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(orion.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn udp_garbage_is_counted_and_the_pipeline_keeps_running() {
    use orion_bridge::wire::{WireTick, encode};
    let mut orion = Orion::start(&["--sim-rate", "0"]);
    let token = orion.login("trader@acme").await;
    let instruments: Vec<Value> = orion
        .get("/instruments", &token)
        .await
        .json()
        .await
        .unwrap();
    let eur = instruments
        .iter()
        .find(|i| i["instrumentId"] == "EUR/USD")
        .unwrap();
    let index = eur["feedIndex"].as_u64().unwrap() as u32;

    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let now = orion_bridge::clock::unix_nanos();
    let tick = |bid| WireTick {
        instrument: index,
        bid,
        ask: bid + 3,
        source_ts: now,
    };
    let mut good = Vec::new();
    encode(1, now, &[tick(108_000)], &mut good);
    let mut wrong_version = good.clone();
    wrong_version[2] = 7;
    socket.send_to(&good[..good.len() - 4], orion.feed).unwrap();
    socket.send_to(&wrong_version, orion.feed).unwrap();
    for i in 0..20u8 {
        let junk: Vec<u8> = (0..40 + i)
            .map(|b| b.wrapping_mul(31).wrapping_add(i))
            .collect();
        socket.send_to(&junk, orion.feed).unwrap();
    }
    encode(2, now, &[tick(108_500)], &mut good);
    socket.send_to(&good, orion.feed).unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let malformed = orion.metric("orion_feed_packets_malformed_total").await;
        let truncated = orion
            .metric("orion_feed_packets_malformed_total{reason=\"truncated\"}")
            .await;
        let version = orion
            .metric("orion_feed_packets_malformed_total{reason=\"bad_version\"}")
            .await;
        let bad_magic = orion
            .metric("orion_feed_packets_malformed_total{reason=\"bad_magic\"}")
            .await;
        if truncated == 1.0 && version == 1.0 && bad_magic == 20.0 {
            let _ = malformed;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "malformed packets not counted: truncated {truncated} version {version} magic {bad_magic}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let snap: Value = orion
        .get("/market/snapshot?instrumentId=EUR/USD", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        snap["bid"], "1.08500",
        "the good packet after the garbage went through"
    );
    assert_eq!(snap["source"], "udp");
    assert!(orion.child.try_wait().unwrap().is_none(), "still running");
}

#[tokio::test]
async fn ctrl_c_closes_sessions_and_exits_cleanly() {
    let mut orion = Orion::start(&[]);
    let token = orion.login("trader@acme").await;
    let mut ws = orion.connect(&token).await;
    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    assert!(next_json(&mut ws, Duration::from_secs(3)).await.is_some());
    // The process serving the session: `orion up`, or the replica in split mode.
    let process = match orion.replica.as_mut() {
        Some(replica) => replica,
        None => &mut orion.child,
    };
    let pid = process.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                other => {
                    eprintln!("stream ended without a close frame: {other:?}");
                    return None;
                }
            }
        }
    })
    .await
    .expect("session closed by the server");
    assert_eq!(closed, Some(1001), "going-away close frame");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = process.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "orion did not exit after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status}");
}

/// A feed that goes quiet: the instrument is flagged stale, then recovers on the next tick, and
/// both verdicts leave through the outbox on `marketdata.status`, valid against their schemas.
#[tokio::test]
async fn stale_and_recovered_market_data_reach_the_event_log() {
    use orion_bridge::wire::{WireTick, encode};
    let orion = Orion::start(&["--sim-rate", "0", "--stale-after-ms", "300"]);
    let trader = orion.login("trader@acme").await;
    let instruments: Vec<Value> = orion
        .get("/instruments", &trader)
        .await
        .json()
        .await
        .unwrap();
    let index = instruments
        .iter()
        .find(|i| i["instrumentId"] == "EUR/USD")
        .unwrap()["feedIndex"]
        .as_u64()
        .unwrap() as u32;
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |sequence: u64, bid: i64| {
        let now = orion_bridge::clock::unix_nanos();
        let mut packet = Vec::new();
        let tick = WireTick {
            instrument: index,
            bid,
            ask: bid + 3,
            source_ts: now,
        };
        encode(sequence, now, &[tick], &mut packet);
        socket.send_to(&packet, orion.feed).unwrap();
    };
    send(1, 108_000);
    let url = format!("sqlite://{}/orion.db", orion.data_dir.display());
    let wait_for = |event: &'static str| {
        let url = url.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let (_, seen) = support::validate_outbox(&url).await;
                if seen.contains(event) {
                    return;
                }
                assert!(Instant::now() < deadline, "{event} in the outbox");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    wait_for("MarketDataStaleDetected").await;
    send(2, 108_010);
    wait_for("MarketDataRecovered").await;
}

#[tokio::test]
async fn websocket_limits_answer_in_the_protocol() {
    let orion = Orion::start(&[]);
    let token = orion.login("trader@acme").await;
    let mut ws = orion.connect(&token).await;

    // 2,000 unknown instruments and one good one: one ERROR listing all 2,000, then the
    // good one's snapshot, and the session goes on.
    let mut ids: Vec<String> = (0..2_000).map(|i| format!("NOPE{i}/XXX")).collect();
    ids.push("EUR/USD".into());
    send_json(&mut ws, json!({"type": "SUBSCRIBE", "instrumentIds": ids})).await;
    let error = next_json(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(error["type"], "ERROR");
    assert_eq!(error["code"], "UNKNOWN_INSTRUMENT");
    let refused = error["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2_000);
    assert_eq!(refused[1_999]["instrumentId"], "NOPE1999/XXX");
    let next = next_json(&mut ws, Duration::from_secs(2)).await.unwrap();
    assert_eq!(
        (next["type"].as_str(), next["instrumentId"].as_str()),
        (Some("SNAPSHOT"), Some("EUR/USD")),
        "no second ERROR: the accepted instrument's snapshot follows"
    );

    // A message over the size limit: a close frame with 1009, not a dropped connection.
    let huge = format!(r#"{{"type":"PING","pad":"{}"}}"#, "x".repeat(512 * 1024));
    ws.send(Message::Text(huge.into())).await.unwrap();
    let close = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => {
                    panic!("the server dropped the connection without a close frame: {other:?}")
                }
            }
        }
    })
    .await
    .expect("a close frame within 5 s");
    let close = close.expect("the close frame carries a code");
    assert_eq!(u16::from(close.code), 1009, "{close:?}");
}
