//! RFQ to trade through `orion up`, following `docs/api.md` only: on SQLite (the embedded
//! default) and on a real Postgres, and across a `kill -9`.

mod support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Orion, PgDatabase};

async fn json_of(resp: reqwest::Response) -> (u16, Value, bool) {
    let status = resp.status().as_u16();
    let has_correlation = resp.headers().contains_key("x-correlation-id");
    (
        status,
        resp.json().await.unwrap_or(Value::Null),
        has_correlation,
    )
}

fn assert_error_object(body: &Value) {
    let error = &body["error"];
    assert!(
        error["code"].is_string()
            && error["message"].is_string()
            && error["correlationId"].is_string(),
        "error object: {body}"
    );
}

/// Creates an RFQ and waits until `min_quotes` quotes are in; returns (rfqId, quotes ranked).
async fn rfq_with_quotes(
    orion: &Orion,
    token: &str,
    instrument: &str,
    min_quotes: usize,
    key: &str,
) -> (String, Vec<Value>) {
    let body =
        json!({"instrumentId": instrument, "side": "BUY", "size": "1000000", "expirySeconds": 30});
    let (status, created, correlated) =
        json_of(orion.post("/rfqs", token, body, Some(key)).await).await;
    assert_eq!(status, 201, "create: {created}");
    assert!(correlated);
    assert_eq!(created["status"], "SENT");
    let rfq = created["rfqId"].as_str().unwrap().to_owned();
    let started = Instant::now();
    loop {
        let (status, view, _) = json_of(orion.get(&format!("/rfqs/{rfq}"), token).await).await;
        assert_eq!(status, 200);
        let quotes = view["quotes"].as_array().unwrap().clone();
        if quotes.len() >= min_quotes {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "{min_quotes} quotes within 1 s"
            );
            return (rfq, quotes);
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "quotes did not arrive: {view}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every event in the outbox validates against its schemas; the RFQ flow's events are there.
async fn assert_outbox_matches_schemas(url: &str) -> usize {
    let (rows, seen) = support::validate_outbox(url).await;
    for expected in [
        "RFQCreated",
        "RFQSent",
        "QuoteReceived",
        "QuoteAccepted",
        "TradeExecuted",
        "KillSwitchEnabled",
        "KillSwitchDisabled",
        "RiskLimitBreached",
    ] {
        assert!(seen.contains(expected), "{expected} emitted: {seen:?}");
    }
    rows
}

async fn rfq_contract(extra: &[&str], database_url: Option<&str>) {
    let orion = Orion::start(extra);
    let trader = orion.login("trader@acme").await;
    // Let the simulator price EUR/USD first.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut trader_ws = orion.connect(&trader).await;
    let globex_token = orion.login("trader@globex").await;
    let mut globex_ws = orion.connect(&globex_token).await;
    for ws in [&mut trader_ws, &mut globex_ws] {
        support::send_json(ws, json!({"type": "SUBSCRIBE", "channel": "rfqs"})).await;
        support::send_json(ws, json!({"type": "SUBSCRIBE", "channel": "trades"})).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;

    let (rfq, quotes) = rfq_with_quotes(&orion, &trader, "EUR/USD", 3, "create-1").await;
    let lps: HashSet<_> = quotes
        .iter()
        .map(|q| q["lpId"].as_str().unwrap().to_owned())
        .collect();
    assert!(lps.len() >= 3, "quotes from at least three LPs: {quotes:?}");
    let prices: Vec<f64> = quotes
        .iter()
        .map(|q| q["price"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "ranked best first for a buyer: {prices:?}"
    );

    let (status, again, _) = json_of(
        orion.post("/rfqs", &trader, json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000", "expirySeconds": 30}), Some("create-1")).await,
    )
    .await;
    assert_eq!(
        (status, again["rfqId"].as_str()),
        (201, Some(rfq.as_str())),
        "same create key, same RFQ"
    );

    let best = quotes[0]["quoteId"].as_str().unwrap();
    let accept_path = format!("/rfqs/{rfq}/accept");
    let accept =
        |key: &'static str| orion.post(&accept_path, &trader, json!({"quoteId": best}), Some(key));
    let (status, traded, correlated) = json_of(accept("accept-1").await).await;
    assert_eq!(status, 200, "accept: {traded}");
    assert!(correlated);
    assert_eq!(traded["status"], "TRADED");
    let trade_id = traded["tradeId"].as_str().unwrap().to_owned();
    let (status, replay, _) = json_of(accept("accept-1").await).await;
    assert_eq!((status, &replay), (200, &traded), "same key, same answer");
    let (status, conflict, _) = json_of(accept("accept-2").await).await;
    assert_eq!(
        status, 409,
        "a new key on a traded RFQ conflicts: {conflict}"
    );
    assert_error_object(&conflict);

    let (status, trade, _) =
        json_of(orion.get(&format!("/trades/{trade_id}"), &trader).await).await;
    assert_eq!(status, 200);
    assert_eq!(trade["rfqId"], rfq.as_str());
    assert_eq!(
        trade["price"], quotes[0]["price"],
        "trade at the accepted quote's price"
    );

    let globex = orion.login("trader@globex").await;
    assert_eq!(
        orion.get(&format!("/rfqs/{rfq}"), &globex).await.status(),
        404,
        "other tenant's RFQ"
    );
    assert_eq!(
        orion
            .get(&format!("/trades/{trade_id}"), &globex)
            .await
            .status(),
        404,
        "other tenant's trade"
    );

    let body = json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1", "expirySeconds": 10});
    for token in ["", "garbage"] {
        let resp = orion
            .client
            .post(orion.url("/rfqs"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let payload = trader.split('.').nth(1).unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    assert_eq!(
        orion
            .post("/rfqs", &alg_none, body.clone(), None)
            .await
            .status(),
        401
    );

    let (status, forbidden, _) = json_of(
        orion
            .post(
                "/admin/killswitch/enable",
                &trader,
                json!({"scope": "tenant"}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_error_object(&forbidden);

    for bad in [
        json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "-5", "expirySeconds": 10}),
        json!({"instrumentId": "NOPE/XXX", "side": "BUY", "size": "5", "expirySeconds": 10}),
        json!({"instrumentId": "EUR/USD", "side": "SIDEWAYS", "size": "5", "expirySeconds": 10}),
        json!({"instrumentId": "EUR/USD", "side": "BUY"}),
        json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "5", "expirySeconds": 0}),
    ] {
        let (status, error, correlated) =
            json_of(orion.post("/rfqs", &trader, bad.clone(), None).await).await;
        assert!(matches!(status, 400 | 422), "{bad} → {status}");
        assert_error_object(&error);
        assert!(correlated);
    }
    let malformed = orion
        .client
        .post(orion.url("/rfqs"))
        .bearer_auth(&trader)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_error_object(&malformed.json().await.unwrap());

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
    let (status, refused, _) =
        json_of(orion.post("/rfqs", &trader, body.clone(), None).await).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("KILL_SWITCH_TENANT")),
        "kill switch blocks at once"
    );
    let (status, _, _) = json_of(orion.post("/rfqs", &globex, json!({"instrumentId": "EUR/USD", "side": "SELL", "size": "10", "expirySeconds": 10}), None).await).await;
    assert_eq!(status, 201, "another tenant keeps trading");
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
    assert_eq!(
        orion
            .post("/rfqs", &trader, body.clone(), None)
            .await
            .status(),
        201
    );

    // The global switch halts every tenant: a tenant's risk officer may not touch it, the
    // platform operator may.
    let (status, forbidden, _) = json_of(
        orion
            .post(
                "/admin/killswitch/enable",
                &risk,
                json!({"scope": "global"}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 403, "{forbidden}");
    assert_error_object(&forbidden);
    assert_eq!(
        orion
            .post("/rfqs", &trader, body.clone(), None)
            .await
            .status(),
        201
    );
    let ops = orion.login("ops@orion").await;
    let (status, enabled, _) = json_of(
        orion
            .post(
                "/admin/killswitch/enable",
                &ops,
                json!({"scope": "global"}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!((status, &enabled["scope"]), (200, &json!("global")));
    let (status, refused, _) =
        json_of(orion.post("/rfqs", &globex, json!({"instrumentId": "EUR/USD", "side": "SELL", "size": "10", "expirySeconds": 10}), None).await).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("KILL_SWITCH_GLOBAL")),
        "the global switch halts every tenant"
    );
    assert_eq!(
        orion
            .post(
                "/admin/killswitch/disable",
                &ops,
                json!({"scope": "global"}),
                None
            )
            .await
            .status(),
        200
    );
    assert_eq!(orion.post("/rfqs", &trader, body, None).await.status(), 201);

    let (status, cancelled, _) = json_of(
        orion
            .post(&format!("/rfqs/{rfq}/cancel"), &trader, json!({}), None)
            .await,
    )
    .await;
    assert_eq!(status, 409, "a traded RFQ cannot be cancelled: {cancelled}");

    let sqlite = format!("sqlite://{}/orion.db", orion.data_dir.display());
    let events = assert_outbox_matches_schemas(database_url.unwrap_or(&sqlite)).await;
    assert!(events >= 6, "{events} events in the outbox");
}

#[tokio::test]
async fn rfq_to_trade_contract_on_sqlite() {
    rfq_contract(&[], None).await;
}

#[tokio::test]
async fn rfq_to_trade_contract_on_postgres() {
    let (_db, url) = PgDatabase::create().await;
    rfq_contract(&["--database-url", &url], Some(&url)).await;
}

/// Concurrent traders, then `kill -9`, then a restart on the same data: every acknowledged
/// trade is there exactly once, and retrying an acknowledged accept returns the same trade.
#[tokio::test]
async fn kill_9_under_load_loses_no_acknowledged_trade() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut workers = Vec::new();
    for w in 0..6 {
        let (client, base, token) = (orion.client.clone(), orion.url(""), trader.clone());
        workers.push(tokio::spawn(async move {
            let mut acked: Vec<(String, String, String)> = Vec::new();
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let created: Value = match client
                    .post(format!("{base}/rfqs"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("c-{w}-{n}"))
                    .json(&json!({"instrumentId": "EUR/USD", "side": if n % 2 == 0 { "BUY" } else { "SELL" }, "size": "100000", "expirySeconds": 20}))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 201 => r.json().await.unwrap(),
                    _ => continue,
                };
                let rfq = created["rfqId"].as_str().unwrap().to_owned();
                tokio::time::sleep(Duration::from_millis(120)).await;
                let Ok(view) = client.get(format!("{base}/rfqs/{rfq}")).bearer_auth(&token).send().await else { break };
                let Ok(view) = view.json::<Value>().await else { break };
                let Some(quote) = view["quotes"].get(0).and_then(|q| q["quoteId"].as_str()).map(str::to_owned) else { continue };
                let key = format!("a-{w}-{n}");
                let resp = client
                    .post(format!("{base}/rfqs/{rfq}/accept"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&json!({"quoteId": quote}))
                    .send()
                    .await;
                if let Ok(resp) = resp {
                    if resp.status() == 200 {
                        let body: Value = resp.json().await.unwrap();
                        acked.push((rfq, key, body["tradeId"].as_str().unwrap().to_owned()));
                    }
                }
            }
            acked
        }));
    }
    // Kill while the workers are still going.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let data_dir = orion.kill_hard();
    let mut acked = Vec::new();
    for w in workers {
        acked.extend(w.await.unwrap());
    }
    assert!(
        acked.len() >= 5,
        "enough trades acknowledged before the kill: {}",
        acked.len()
    );

    let restarted = Orion::start_in(data_dir, &[]);
    let trader = restarted.login("trader@acme").await;
    // The blotter is a read model: wait for the projection to catch up with the store.
    let deadline = Instant::now() + Duration::from_secs(10);
    let trades: Vec<Value> = loop {
        let trades: Vec<Value> = restarted
            .get("/trades", &trader)
            .await
            .json()
            .await
            .unwrap();
        let ids: HashSet<&str> = trades
            .iter()
            .map(|t| t["tradeId"].as_str().unwrap())
            .collect();
        if acked.iter().all(|(_, _, t)| ids.contains(t.as_str())) || Instant::now() > deadline {
            break trades;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut per_rfq: HashMap<String, usize> = HashMap::new();
    for t in &trades {
        *per_rfq
            .entry(t["rfqId"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert!(per_rfq.values().all(|&n| n == 1), "no RFQ traded twice");
    let ids: HashSet<&str> = trades
        .iter()
        .map(|t| t["tradeId"].as_str().unwrap())
        .collect();
    for (_, _, trade) in &acked {
        assert!(
            ids.contains(trade.as_str()),
            "acknowledged trade {trade} survived the kill"
        );
        assert_eq!(
            restarted
                .get(&format!("/trades/{trade}"), &trader)
                .await
                .status(),
            200
        );
    }
    let (rfq, key, trade) = &acked[0];
    let retry = restarted
        .client
        .post(restarted.url(&format!("/rfqs/{rfq}/accept")))
        .bearer_auth(&trader)
        .header("Idempotency-Key", key)
        .json(&json!({"quoteId": "0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), 200);
    let body: Value = retry.json().await.unwrap();
    assert_eq!(
        body["tradeId"].as_str(),
        Some(trade.as_str()),
        "a retry after the crash returns the same trade"
    );
}

/// A Postgres outage: commands are refused at once with 503 and the error object, readiness
/// drops, market data keeps flowing; when the database is back, commands succeed again.
#[tokio::test]
async fn store_outage_refuses_commands_fast_and_market_data_keeps_flowing() {
    let (db, url) = PgDatabase::create().await;
    let orion = Orion::start(&["--database-url", &url]);
    let trader = orion.login("trader@acme").await;
    let admin_token = orion.login("admin@acme").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body =
        json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000", "expirySeconds": 10});
    assert_eq!(
        orion
            .post("/rfqs", &trader, body.clone(), None)
            .await
            .status(),
        201
    );

    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&db.admin)
        .await
        .unwrap();
    let name = &db.name;
    for sql in [
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut admin)
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let started = Instant::now();
        let (status, error, _) =
            json_of(orion.post("/rfqs", &trader, body.clone(), None).await).await;
        if status == 503 {
            assert_eq!(error["error"]["code"], "UNAVAILABLE");
            let started = Instant::now();
            let (status, _, _) =
                json_of(orion.post("/rfqs", &trader, body.clone(), None).await).await;
            assert_eq!(status, 503);
            assert!(
                started.elapsed() < Duration::from_millis(500),
                "refused fast: {:?}",
                started.elapsed()
            );
            // Directory changes are refused as fast, never left pending behind the outage.
            let started = Instant::now();
            let flags = orion
                .client
                .put(orion.url("/admin/feature-flags"))
                .bearer_auth(&admin_token)
                .json(&json!({"oms": false, "clob": false, "replay": false}))
                .send()
                .await
                .unwrap();
            assert_eq!(flags.status(), 503);
            assert!(started.elapsed() < Duration::from_millis(500));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "commands still accepted during the outage ({status} in {:?})",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        orion
            .client
            .get(orion.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    let seq = |v: Value| v["seq"].as_u64().unwrap();
    let before = seq(orion
        .get("/market/snapshot?instrumentId=EUR/USD", &trader)
        .await
        .json()
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = seq(orion
        .get("/market/snapshot?instrumentId=EUR/USD", &trader)
        .await
        .json()
        .await
        .unwrap());
    assert!(
        after > before,
        "market data keeps flowing during the outage ({before} → {after})"
    );

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS true"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = orion
            .post("/rfqs", &trader, body.clone(), None)
            .await
            .status();
        if status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "commands did not recover after the outage (last {status})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `minSize` and `partialAllowed` are kept: a partial fill trades what was asked and says so;
/// an RFQ without partial fills refuses one.
#[tokio::test]
async fn partial_fills_trade_what_was_asked() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let quoted = |partial: bool| {
        let orion = &orion;
        let trader = trader.clone();
        async move {
            let (status, created, _) = json_of(
                orion
                    .post(
                        "/rfqs",
                        &trader,
                        json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000",
                               "expirySeconds": 10, "minSize": "250000", "partialAllowed": partial}),
                        None,
                    )
                    .await,
            )
            .await;
            assert_eq!(status, 201, "{created}");
            let rfq = created["rfqId"].as_str().unwrap().to_owned();
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let (_, view, _) = json_of(orion.get(&format!("/rfqs/{rfq}"), &trader).await).await;
                if let Some(q) = view["quotes"].as_array().and_then(|q| q.first()) {
                    assert_eq!(view["minSize"], "250000.00");
                    assert_eq!(view["partialAllowed"], partial);
                    assert_eq!(q["size"], "1000000.00", "the bots quote the whole size");
                    return (rfq, q["quoteId"].as_str().unwrap().to_owned());
                }
                assert!(Instant::now() < deadline, "no quote");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let (rfq, quote) = quoted(true).await;
    let accept = |size: &'static str| json!({"quoteId": quote.clone(), "size": size});
    let (status, below, _) = json_of(
        orion
            .post(
                &format!("/rfqs/{rfq}/accept"),
                &trader,
                accept("100000"),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 400, "below the minimum size: {below}");
    let (status, traded, _) = json_of(
        orion
            .post(
                &format!("/rfqs/{rfq}/accept"),
                &trader,
                accept("400000"),
                Some("p-1"),
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, traded["status"].as_str()),
        (200, Some("TRADED")),
        "{traded}"
    );
    let (_, trade, _) = json_of(
        orion
            .get(
                &format!("/trades/{}", traded["tradeId"].as_str().unwrap()),
                &trader,
            )
            .await,
    )
    .await;
    assert_eq!(
        (trade["size"].as_str(), trade["partial"].as_bool()),
        (Some("400000.00"), Some(true))
    );

    let (rfq, quote) = quoted(false).await;
    let (status, refused, _) = json_of(
        orion
            .post(
                &format!("/rfqs/{rfq}/accept"),
                &trader,
                json!({"quoteId": quote, "size": "400000"}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("PARTIAL_NOT_ALLOWED"))
    );
    let (status, whole, _) = json_of(
        orion
            .post(
                &format!("/rfqs/{rfq}/accept"),
                &trader,
                json!({"quoteId": quote}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{whole}");
    let (_, trade, _) = json_of(
        orion
            .get(
                &format!("/trades/{}", whole["tradeId"].as_str().unwrap()),
                &trader,
            )
            .await,
    )
    .await;
    assert_eq!(
        (trade["size"].as_str(), trade["partial"].as_bool()),
        (Some("1000000.00"), Some(false))
    );
}
