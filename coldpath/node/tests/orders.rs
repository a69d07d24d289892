//! Orders end to end through a real `orion up`, on SQLite and on Postgres: a crossing order
//! fills against the market makers, idempotent retries, amend and cancel, the refusals, tenant
//! isolation, the events in the outbox; and the books after `kill -9`.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Orion, PgDatabase, Ws, send_json, sqlite_url, validate_outbox};

/// The next frame of `kind` (others are skipped); fails after ten seconds.
async fn next_frame(ws: &mut Ws, kind: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let frame = support::next_json(ws, left)
            .await
            .unwrap_or_else(|| panic!("no {kind} frame"));
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// A price as a number (test arithmetic only; the API speaks decimals).
fn num(v: &Value) -> f64 {
    v.as_str().unwrap().parse().unwrap()
}

/// EUR/USD has 5 price decimals.
fn price(p: f64) -> String {
    format!("{p:.5}")
}

async fn depth(orion: &Orion, token: &str, instrument: &str, levels: usize) -> Value {
    let resp = orion
        .get(
            &format!("/market/depth?instrumentId={instrument}&levels={levels}"),
            token,
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn place(orion: &Orion, token: &str, body: Value, key: &str) -> (u16, Value) {
    let resp = orion.post("/orders", token, body, Some(key)).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn limit(side: &str, qty: &str, limit_price: &str) -> Value {
    json!({"instrumentId": "EUR/USD", "side": side, "type": "LIMIT", "qty": qty, "limitPrice": limit_price, "timeInForce": "GTC"})
}

async fn orders_contract(extra: &[&str], database: Option<&str>) {
    let orion = Orion::start(extra);
    let trader = orion.login("trader@acme").await;
    let (best_bid, best_ask) = support::wait_for_book(&orion, &trader, "EUR/USD").await;
    let mid = (best_ask + best_bid) / 2.0;

    // The owner's orders and the book, live.
    let mut ws = orion.connect(&trader).await;
    send_json(&mut ws, json!({"type": "SUBSCRIBE", "channel": "orders"})).await;
    send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "channel": "depth", "instrumentIds": ["EUR/USD"]}),
    )
    .await;
    let first_depth = next_frame(&mut ws, "DEPTH").await;
    assert_eq!(first_depth["instrumentId"], "EUR/USD");
    assert!(
        first_depth["asks"].as_array().unwrap().len() >= 5,
        "a full book first"
    );
    assert!(
        first_depth["bids"].as_array().unwrap().len() <= 10,
        "top ten levels"
    );

    // A buy of 3,000,000 through the market makers' asks: filled at once, within the band.
    let crossing = limit("BUY", "3000000", &price(best_ask + 0.0010));
    let (status, first) = place(&orion, &trader, crossing.clone(), "buy-1").await;
    assert_eq!(status, 201, "{first}");
    assert!(
        matches!(first["status"].as_str(), Some("FILLED" | "PARTIAL_FILL")),
        "{first}"
    );
    assert_eq!(
        first["filledQty"], "3000000.00",
        "the asks cover it: {first}"
    );
    let avg = num(&first["avgPrice"]);
    assert!(
        avg >= best_ask - 0.0001 && avg <= best_ask + 0.0010,
        "average {avg} between the best ask {best_ask} and the limit"
    );
    assert!((avg - mid).abs() / mid < 0.05, "within the price band");
    assert!(
        first["correlationId"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    let order_id = first["orderId"].as_str().unwrap().to_owned();
    let update = loop {
        let frame = next_frame(&mut ws, "ORDER_UPDATE").await;
        if frame["orderId"] == order_id.as_str() && frame["status"] == "FILLED" {
            break frame;
        }
    };
    assert_eq!(update["filledQty"], "3000000.00");
    let moved = next_frame(&mut ws, "DEPTH").await;
    assert!(
        moved["seq"].as_u64() > first_depth["seq"].as_u64(),
        "the book moved"
    );

    // The same key: the same answer, and no second order.
    let (status, again) = place(&orion, &trader, crossing, "buy-1").await;
    assert_eq!((status, &again), (201, &first));

    // The order with its fills, which add up; the trades reach the blotter.
    let detail: Value = orion
        .get(&format!("/orders/{order_id}"), &trader)
        .await
        .json()
        .await
        .unwrap();
    let fills = detail["fills"].as_array().unwrap();
    assert!(!fills.is_empty());
    let filled: f64 = fills.iter().map(|f| num(&f["qty"])).sum();
    assert_eq!(filled, 3_000_000.0);
    assert!(fills.iter().all(|f| f["liquidity"] == "TAKER"));
    let trade_ids: Vec<String> = fills
        .iter()
        .map(|f| f["tradeId"].as_str().unwrap().to_owned())
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let trades: Value = orion
            .get("/trades?limit=500", &trader)
            .await
            .json()
            .await
            .unwrap();
        let listed: Vec<&str> = trades
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["tradeId"].as_str())
            .collect();
        if trade_ids.iter().all(|id| listed.contains(&id.as_str())) {
            let trade = trades
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["tradeId"] == trade_ids[0].as_str())
                .unwrap();
            assert_eq!(
                (trade["lpId"].as_str(), trade["side"].as_str()),
                (Some("CLOB"), Some("BUY"))
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "CLOB trades missing from GET /trades: {trades}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Cancelling a filled order is a conflict.
    let resp = orion
        .post(
            &format!("/orders/{order_id}/cancel"),
            &trader,
            json!({}),
            None,
        )
        .await;
    assert_eq!(resp.status(), 409);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ORDER_FILLED");

    // A resting order, amended down (keeps priority), re-priced, cancelled, cancelled again.
    let away = price(best_bid - 0.0050);
    let (status, resting) = place(&orion, &trader, limit("BUY", "1000000", &away), "rest-1").await;
    assert_eq!(
        (status, resting["status"].as_str()),
        (201, Some("ACK")),
        "{resting}"
    );
    let id = resting["orderId"].as_str().unwrap();
    let amend = |body: Value| {
        let orion = &orion;
        let trader = &trader;
        async move {
            let resp = orion
                .post(&format!("/orders/{id}/amend"), trader, body, None)
                .await;
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, amended) = amend(json!({"qty": "400000"})).await;
    assert_eq!(status, 200, "{amended}");
    assert_eq!(amended["remainingQty"], "400000.00");
    let moved = price(best_bid - 0.0060);
    let (status, amended) = amend(json!({"limitPrice": moved})).await;
    assert_eq!(
        (status, amended["limitPrice"].as_str()),
        (200, Some(moved.as_str()))
    );
    let cancel = || async {
        let resp = orion
            .post(&format!("/orders/{id}/cancel"), &trader, json!({}), None)
            .await;
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    let (status, cancelled) = cancel().await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("CANCELLED"))
    );
    let (status, again) = cancel().await;
    assert_eq!(status, 200);
    for field in [
        "orderId",
        "status",
        "qty",
        "filledQty",
        "remainingQty",
        "limitPrice",
    ] {
        assert_eq!(
            again[field], cancelled[field],
            "{field} of a repeated cancel"
        );
    }
    let (status, body) = amend(json!({"qty": "1"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("ORDER_CANCELLED"))
    );

    // Refusals.
    let (status, body) = place(
        &orion,
        &trader,
        limit("BUY", "30000000", &price(best_ask)),
        "big",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("MAX_ORDER_QTY")),
        "{body}"
    );
    let (status, body) = place(
        &orion,
        &trader,
        limit("BUY", "1000", &price(mid * 1.2)),
        "far",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("PRICE_BAND")),
        "{body}"
    );
    let resp = orion
        .post(
            "/orders",
            &trader,
            limit("BUY", "1000", &price(best_bid)),
            None,
        )
        .await;
    assert_eq!(resp.status(), 400, "no Idempotency-Key");

    // Another tenant sees none of it.
    let globex = orion.login("trader@globex").await;
    assert_eq!(
        orion
            .get(&format!("/orders/{order_id}"), &globex)
            .await
            .status(),
        404
    );
    let resp = orion
        .post(&format!("/orders/{id}/cancel"), &globex, json!({}), None)
        .await;
    assert_eq!(resp.status(), 404);
    let listed: Value = orion
        .get("/orders?limit=10", &globex)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["orderId"] != order_id.as_str())
    );

    // The blotter pages: newest first, with a cursor.
    let page: Value = orion
        .get("/orders?limit=1", &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["orderId"], id);
    let cursor = page["nextCursor"].as_str().expect("a second page");
    let next: Value = orion
        .get(&format!("/orders?limit=1&cursor={cursor}"), &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["orderId"], order_id.as_str());

    // A tenant kill switch with cancelResting cancels the tenant's resting orders at once.
    let (status, resting) = place(
        &orion,
        &trader,
        limit("SELL", "1000000", &price(best_ask + 0.004)),
        "rest-2",
    )
    .await;
    assert_eq!(status, 201, "{resting}");
    let risk = orion.login("risk@acme").await;
    let kill = |path: &'static str, body: Value| {
        let (orion, risk) = (&orion, &risk);
        async move { orion.post(path, risk, body, None).await.status() }
    };
    let on = json!({"scope": "tenant", "cancelResting": true});
    assert_eq!(kill("/admin/killswitch/enable", on).await, 200);
    let working: Value = orion
        .get("/orders?status=WORKING", &trader)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(working["items"], json!([]), "nothing of acme rests");
    let (status, body) = place(
        &orion,
        &trader,
        limit("BUY", "1000", &price(best_bid)),
        "killed",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("KILL_SWITCH_TENANT"))
    );
    assert_eq!(
        kill("/admin/killswitch/disable", json!({"scope": "tenant"})).await,
        200
    );

    // Every event in the outbox validates; the order events are there.
    let url = database.map_or_else(|| sqlite_url(&orion.data_dir), str::to_owned);
    let (_, seen) = validate_outbox(&url).await;
    for event_type in [
        "OrderPlaced",
        "OrderAcknowledged",
        "OrderFilled",
        "OrderAmended",
        "OrderCancelled",
        "OrderRejected",
        "TradeExecuted",
        "RiskLimitBreached",
    ] {
        assert!(seen.contains(event_type), "{event_type} in the outbox");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_on_sqlite() {
    orders_contract(&[], None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_on_postgres() {
    let (_db, url) = PgDatabase::create().await;
    orders_contract(&["--database-url", &url], Some(&url)).await;
}

/// Places `count` resting orders for `token` on both sides of `mid`, some crossing the
/// other trader's; the acknowledged answers by order id.
async fn load(
    orion: &Orion,
    token: &str,
    who: &str,
    count: usize,
    mid: f64,
) -> HashMap<String, Value> {
    let mut acked = HashMap::new();
    for n in 0..count {
        let buy = n % 2 == 0;
        // Levels 1..=8 ticks of 0.0001 from the mid; every fifth order crosses by a level.
        let offset = 0.0001 * ((n % 8) as f64 + 1.0);
        let cross = n % 5 == 0;
        let p = match (buy, cross) {
            (true, false) | (false, true) => mid - offset,
            (false, false) | (true, true) => mid + offset,
        };
        let side = if buy { "BUY" } else { "SELL" };
        let resp = orion
            .post(
                "/orders",
                token,
                limit(side, &format!("{}", 100_000 * (n % 3 + 1)), &price(p)),
                Some(&format!("{who}-{n}")),
            )
            .await;
        if resp.status() == 201 {
            let body: Value = resp.json().await.unwrap();
            acked.insert(body["orderId"].as_str().unwrap().to_owned(), body);
        }
    }
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_come_back_after_kill_9_with_the_same_orders_in_the_same_queues() {
    let orion = Orion::start(&["--market-makers", "false"]);
    let acme = orion.login("trader@acme").await;
    let globex = orion.login("trader@globex").await;
    orion.wait_ready_to_trade(&acme, "EUR/USD").await;
    let snapshot: Value = orion
        .get("/market/snapshot?instrumentId=EUR/USD", &acme)
        .await
        .json()
        .await
        .unwrap();
    let mid = (num(&snapshot["mid"]) * 1e4).round() / 1e4;

    // Two traders at once, orders crossing each other's now and then.
    let (a, g) = tokio::join!(
        load(&orion, &acme, "a", 60, mid),
        load(&orion, &globex, "g", 60, mid)
    );
    assert!(a.len() + g.len() >= 100, "most orders are acknowledged");
    let before = depth(&orion, &acme, "EUR/USD", 50).await;
    assert!(!before["bids"].as_array().unwrap().is_empty());

    let dir = orion.kill_hard();
    let orion = Orion::start_in(dir, &["--market-makers", "false"]);
    let acme = orion.login("trader@acme").await;
    let after = depth(&orion, &acme, "EUR/USD", 50).await;
    assert_eq!(after["bids"], before["bids"], "bids as before the kill");
    assert_eq!(after["asks"], before["asks"], "asks as before the kill");

    // Time priority survived: at the best bid, the first resting order fills first.
    let globex = orion.login("trader@globex").await;
    let mm = orion.login("mm@orion").await;
    let bid = before["bids"][0]["price"].as_str().unwrap().to_owned();
    let mut at_bid: Vec<(u64, Value)> = Vec::new();
    for token in [&acme, &globex] {
        let page: Value = orion
            .get("/orders?status=WORKING&limit=500", token)
            .await
            .json()
            .await
            .unwrap();
        for o in page["items"].as_array().unwrap() {
            if o["side"] == "BUY" && o["limitPrice"] == bid.as_str() {
                at_bid.push((o["orderId"].as_str().unwrap().parse().unwrap(), o.clone()));
            }
        }
    }
    at_bid.sort_by_key(|(id, _)| *id);
    let (first_id, first) = &at_bid[0];
    let (status, sold) = place(
        &orion,
        &mm,
        limit("SELL", first["remainingQty"].as_str().unwrap(), &bid),
        "probe",
    )
    .await;
    assert_eq!(
        (status, sold["status"].as_str()),
        (201, Some("FILLED")),
        "{sold}"
    );
    let probe = sold["orderId"].as_str().unwrap();
    let fills: Value = orion
        .get(&format!("/orders/{probe}"), &mm)
        .await
        .json()
        .await
        .unwrap();
    let owner_token = if orion
        .get(&format!("/orders/{first_id}"), &acme)
        .await
        .status()
        == 200
    {
        &acme
    } else {
        &globex
    };
    let maker: Value = orion
        .get(&format!("/orders/{first_id}"), owner_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        maker["status"], "FILLED",
        "the oldest order at the best bid traded first: {maker} / {fills}"
    );

    // Under load this time: every order acknowledged before the kill is there once after it.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<String, Value>::new()));
    let base = orion.url("");
    let loads: Vec<_> = [(acme.clone(), "a2"), (globex.clone(), "g2")]
        .into_iter()
        .map(|(token, who)| {
            let (acked, base) = (std::sync::Arc::clone(&acked), base.clone());
            tokio::spawn(keep_placing(base, token, who, mid, acked))
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 40 {
        assert!(
            std::time::Instant::now() < deadline,
            "the load did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dir = orion.kill_hard();
    for task in loads {
        task.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let orion = Orion::start_in(dir, &["--market-makers", "false"]);
    let tokens = [
        ("acme", orion.login("trader@acme").await),
        ("globex", orion.login("trader@globex").await),
    ];
    for (id, answer) in &acked {
        let token = &tokens[usize::from(answer["key"].as_str().unwrap().starts_with('g'))].1;
        let stored: Value = orion
            .get(&format!("/orders/{id}"), token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            stored["orderId"],
            id.as_str(),
            "acknowledged order {id} is there"
        );
        assert!(
            num(&stored["filledQty"]) >= num(&answer["filledQty"]),
            "{id}: fills acknowledged before the kill are kept"
        );
        // Its key still answers with the same order: placed once.
        let key = answer["key"].as_str().unwrap();
        let (status, replay) = place(&orion, token, answer["request"].clone(), key).await;
        assert_eq!((status, &replay["orderId"]), (201, &answer["orderId"]));
    }
    // What the book shows is what the store holds as resting.
    let served = depth(&orion, &tokens[0].1, "EUR/USD", 100).await;
    let stored = stored_depth(&sqlite_url(&orion.data_dir)).await;
    let levels = |side: &str| -> Vec<(String, String)> {
        served[side]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["price"].as_str().unwrap().to_owned(),
                    l["qty"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!((levels("bids"), levels("asks")), stored);
}

/// Places orders for `token` until the server goes away, recording each acknowledged answer
/// (with its key) in `acked`.
async fn keep_placing(
    base: String,
    token: String,
    who: &'static str,
    mid: f64,
    acked: std::sync::Arc<std::sync::Mutex<HashMap<String, Value>>>,
) {
    let client = reqwest::Client::new();
    for n in 0.. {
        let buy = n % 2 == 0;
        let offset = 0.0001 * ((n % 8) as f64 + 1.0);
        let p = if buy == (n % 5 != 0) {
            mid - offset
        } else {
            mid + offset
        };
        let key = format!("{who}-{n}");
        let request = limit(if buy { "BUY" } else { "SELL" }, "100000", &price(p));
        let sent = client
            .post(format!("{base}/orders"))
            .bearer_auth(&token)
            .header("Idempotency-Key", &key)
            .json(&request)
            .send()
            .await;
        let Ok(resp) = sent else { return };
        if resp.status() != 201 {
            continue;
        }
        let Ok(mut body) = resp.json::<Value>().await else {
            return;
        };
        body["key"] = json!(key);
        body["request"] = request;
        let id = body["orderId"].as_str().unwrap().to_owned();
        acked.lock().unwrap().insert(id, body);
    }
}

/// EUR/USD's resting orders in the store, aggregated per level as the depth shows them.
async fn stored_depth(url: &str) -> (Vec<(String, String)>, Vec<(String, String)>) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT side, limit_price, SUM(remaining_units) FROM orders WHERE resting = 1 AND instrument_id = 'EUR/USD' \
         GROUP BY side, limit_price",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut bids: Vec<(f64, String, String)> = Vec::new();
    let mut asks = Vec::new();
    for (side, p, units) in rows {
        let level = (
            p.parse::<f64>().unwrap(),
            p,
            format!("{}.{:02}", units / 100, units % 100),
        );
        if side == "BUY" {
            bids.push(level)
        } else {
            asks.push(level)
        }
    }
    bids.sort_by(|a, b| b.0.total_cmp(&a.0));
    asks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let strip = |v: Vec<(f64, String, String)>| v.into_iter().map(|(_, p, q)| (p, q)).collect();
    (strip(bids), strip(asks))
}
