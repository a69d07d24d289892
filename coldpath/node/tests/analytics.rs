//! Analytics as an analyst reads them from a real `orion up`: after 100 RFQ trades and 100
//! order-book fills, TCA lists every trade with slippage consistent with the mid it recorded
//! (and that mid consistent with the market the client saw), the LP scorecard's wins add up to
//! the RFQ trades, the VWAP equals one computed independently from `GET /trades`, tenants and
//! roles are kept apart, and a rebuild from the log reproduces the models exactly.

mod support;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};
use support::Orion;

const RFQ_TRADES: usize = 100;
const CLOB_FILLS: usize = 100;

fn number(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_f64().unwrap(),
    }
}

/// Places a marketable IOC order; true when it filled.
async fn fill(orion: &Orion, token: &str, i: usize) -> bool {
    let side = if i % 2 == 0 { "BUY" } else { "SELL" };
    let placed: Value = orion
        .post(
            "/orders",
            token,
            json!({"instrumentId": "EUR/USD", "side": side, "type": "MARKET", "qty": "10000", "timeInForce": "IOC"}),
            Some(&format!("analytics-fill-{i}")),
        )
        .await
        .json()
        .await
        .unwrap();
    placed["status"] == "FILLED"
}

/// Samples the mids of `instrument` the client sees until `done` is set; the lowest and
/// highest.
async fn sample_mids(
    orion: &Orion,
    token: &str,
    instrument: &str,
    done: &std::sync::atomic::AtomicBool,
) -> (f64, f64) {
    let (mut low, mut high) = (f64::MAX, f64::MIN);
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        let snapshot: Value = orion
            .get(
                &format!("/market/snapshot?instrumentId={instrument}"),
                token,
            )
            .await
            .json()
            .await
            .unwrap();
        let mid = number(&snapshot["mid"]);
        (low, high) = (low.min(mid), high.max(mid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (low, high)
}

#[tokio::test(flavor = "multi_thread")]
async fn tca_scorecard_and_vwap_follow_the_trades_and_rebuild_equal() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    let analyst = orion.login("analyst@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    support::wait_for_book(&orion, &trader, "EUR/USD").await;

    // A basket of two instruments, defined before the trading starts.
    let basket = json!({"name": "EUR and GBP", "base": "100", "components": [
        {"instrumentId": "EUR/USD", "weight": 1}, {"instrumentId": "GBP/USD", "weight": 1},
    ]});
    let put = |body: Value| {
        orion
            .client
            .put(orion.url("/analytics/baskets/eur-gbp"))
            .bearer_auth(&analyst)
            .json(&body)
            .send()
    };
    assert_eq!(put(basket.clone()).await.unwrap().status(), 200);
    let mut zero = basket.clone();
    zero["components"][0]["weight"] = json!(0);
    assert_eq!(put(zero).await.unwrap().status(), 400);
    let mut unknown = basket.clone();
    unknown["components"][1]["instrumentId"] = json!("XXX/YYY");
    assert_eq!(put(unknown).await.unwrap().status(), 404);

    let done = std::sync::atomic::AtomicBool::new(false);
    let trading = async {
        let mut rfq_trades = Vec::new();
        for chunk in (0..RFQ_TRADES).collect::<Vec<_>>().chunks(10) {
            let traded = join_all(
                chunk
                    .iter()
                    .map(|_| support::trade(&orion, &trader, "EUR/USD")),
            )
            .await;
            rfq_trades.extend(traded);
        }
        let mut fills = 0;
        let mut i = 0;
        while fills < CLOB_FILLS {
            fills += usize::from(fill(&orion, &trader, i).await);
            i += 1;
            assert!(
                i < CLOB_FILLS * 3,
                "the book did not fill {CLOB_FILLS} orders"
            );
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        rfq_trades
    };
    let (rfq_trades, (low, high), (gbp_low, gbp_high)) = tokio::join!(
        trading,
        sample_mids(&orion, &trader, "EUR/USD", &done),
        sample_mids(&orion, &trader, "GBP/USD", &done)
    );

    // The analytics consumer catches up.
    let deadline = Instant::now() + Duration::from_secs(30);
    let tca = loop {
        let tca: Value = orion
            .get("/analytics/tca", &analyst)
            .await
            .json()
            .await
            .unwrap();
        if tca["trades"].as_array().unwrap().len() >= RFQ_TRADES + CLOB_FILLS {
            break tca;
        }
        assert!(
            Instant::now() < deadline,
            "TCA did not catch up: {}",
            tca["summary"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let trades = tca["trades"].as_array().unwrap();
    assert_eq!(trades.len(), RFQ_TRADES + CLOB_FILLS);
    let venues = |v: &str| trades.iter().filter(|t| t["venue"] == v).count();
    assert_eq!((venues("RFQ"), venues("CLOB")), (RFQ_TRADES, CLOB_FILLS));
    for t in trades {
        let (price, mid) = (number(&t["price"]), number(&t["midAtDecision"]));
        // The recorded mid is a mid the market showed while the test traded.
        assert!(
            mid >= low * 0.999 && mid <= high * 1.001,
            "{t}: mid outside [{low}, {high}]"
        );
        let sign = if t["side"] == "BUY" { 1.0 } else { -1.0 };
        let expected = sign * (price - mid) / mid * 10_000.0;
        let slippage = number(&t["slippageBps"]);
        assert!(
            (slippage - expected).abs() < 0.001,
            "{t}: slippage {slippage} bp, expected {expected}"
        );
        assert!(t["timeToExecutionMs"].as_i64().unwrap() >= 0, "{t}");
    }
    // Each RFQ trade is in the trade blotter at the same price.
    for id in rfq_trades.iter().take(10) {
        let blotter: Value = orion
            .get(&format!("/trades/{id}"), &trader)
            .await
            .json()
            .await
            .unwrap();
        let tca_row = trades.iter().find(|t| t["tradeId"] == id.as_str()).unwrap();
        assert_eq!(blotter["price"], tca_row["price"]);
    }
    assert_eq!(
        tca["summary"]["count"].as_u64(),
        Some((RFQ_TRADES + CLOB_FILLS) as u64)
    );

    // The scorecard's wins are the RFQ trades.
    let card: Value = orion
        .get("/analytics/lp-scorecard", &analyst)
        .await
        .json()
        .await
        .unwrap();
    let lps = card.as_array().unwrap();
    let wins: u64 = lps.iter().map(|lp| lp["wins"].as_u64().unwrap()).sum();
    assert_eq!(wins, RFQ_TRADES as u64, "{card}");
    for lp in lps {
        assert!(lp["rfqsReceived"].as_i64().unwrap() >= lp["wins"].as_i64().unwrap());
        assert!(lp["quotes"].as_u64().unwrap() >= lp["wins"].as_u64().unwrap());
    }

    // The VWAP over an hour is the VWAP of the hour's trades in the blotter.
    let deadline = Instant::now() + Duration::from_secs(30);
    let blotter = loop {
        let blotter: Value = orion
            .get("/trades?instrumentId=EUR/USD&limit=1000", &trader)
            .await
            .json()
            .await
            .unwrap();
        if blotter.as_array().unwrap().len() >= RFQ_TRADES + CLOB_FILLS {
            break blotter;
        }
        assert!(
            Instant::now() < deadline,
            "the trade blotter did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (value, volume) = blotter
        .as_array()
        .unwrap()
        .iter()
        .fold((0.0, 0.0), |(v, q), t| {
            let (p, size) = (number(&t["price"]), number(&t["size"]));
            (v + p * size, q + size)
        });
    let series: Value = orion
        .get(
            "/analytics/vwap?instrumentId=EUR/USD&windowSeconds=3600",
            &analyst,
        )
        .await
        .json()
        .await
        .unwrap();
    for b in blotter.as_array().unwrap() {
        let t = trades.iter().find(|t| t["tradeId"] == b["tradeId"]);
        let t = t.unwrap_or_else(|| panic!("{b} is not in TCA"));
        assert_eq!(
            (&b["price"], &b["size"]),
            (&t["price"], &t["size"]),
            "{b} vs {t}"
        );
    }
    let last = series["points"].as_array().unwrap().last().unwrap().clone();
    assert!(
        (number(&last["vwap"]) - value / volume).abs() < 1e-9,
        "{last} vs {}",
        value / volume
    );
    assert!((number(&last["volume"]) - volume).abs() < 1e-6);

    // CSV exports carry the same rows.
    let csv = orion
        .get("/analytics/export.csv?kind=tca", &analyst)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), RFQ_TRADES + CLOB_FILLS + 1);
    assert!(csv.starts_with("tradeId,instrumentId,venue"));

    // The basket index is base × the mean of its mids' returns since its first second, from
    // the market's own mids, and it moved with them.
    let series: Value = orion
        .get("/analytics/baskets/eur-gbp/series", &analyst)
        .await
        .json()
        .await
        .unwrap();
    let points = series["points"].as_array().unwrap();
    assert!(points.len() >= 5, "{series}");
    let mid = |p: &Value, i: &str| number(&p["mids"][i]);
    let first = &points[0];
    assert_eq!(number(&first["value"]), 100.0);
    let mut moved = false;
    for p in points {
        let expected = 100.0
            * (mid(p, "EUR/USD") / mid(first, "EUR/USD")
                + mid(p, "GBP/USD") / mid(first, "GBP/USD"))
            / 2.0;
        assert!(
            (number(&p["value"]) - expected).abs() < 1e-6,
            "{p}: expected {expected}"
        );
        let eur = mid(p, "EUR/USD");
        assert!(eur >= low * 0.999 && eur <= high * 1.001, "{p}");
        let gbp = mid(p, "GBP/USD");
        assert!(gbp >= gbp_low * 0.999 && gbp <= gbp_high * 1.001, "{p}");
        moved |= number(&p["value"]) != 100.0;
    }
    assert!(moved, "the index never moved: {series}");
    let listed: Value = orion
        .get("/analytics/baskets", &analyst)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["basketId"], "eur-gbp");
    // The spread history is the persisted samples.
    let spreads: Value = orion
        .get("/analytics/spreads?instrumentId=EUR/USD", &analyst)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        spreads["points"].as_array().unwrap().len() >= 5,
        "{spreads}"
    );

    // Tenants and roles.
    let globex = orion.login("trader@globex").await;
    let theirs: Value = orion
        .get("/analytics/tca", &globex)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["trades"].as_array().unwrap().len(), 0);
    let admin = orion.login("admin@acme").await;
    assert_eq!(orion.get("/analytics/tca", &admin).await.status(), 403);

    // A rebuild from the log gives the same analytics models.
    let dir = orion.data_dir.display().to_string();
    let (ok, out) = support::orion_cli(&[
        "rebuild-read-models",
        "--verify",
        "--data-dir",
        dir.as_str(),
    ]);
    assert!(ok, "{out}");
    for model in [
        "analytics_trades",
        "analytics_quotes",
        "analytics_rfqs",
        "analytics_rfq_lps",
    ] {
        let line = out
            .lines()
            .find(|l| l.starts_with(model))
            .unwrap_or_else(|| panic!("no {model} line in {out}"));
        assert!(line.contains(" equal"), "{line}");
        assert!(!line.contains("rows=0 "), "{line}");
    }
}

/// RFQs created one after another for `seconds`; how many were accepted (201). Anything but a
/// 201 fails the test: analytics must never refuse or delay trading.
async fn create_rfqs_for(orion: &Orion, token: &str, seconds: u64) -> usize {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut created = 0;
    while Instant::now() < until {
        let response = orion
            .post(
                "/rfqs",
                token,
                json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000", "expirySeconds": 5}),
                None,
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        created += 1;
    }
    created
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_analytics_consumer_neither_refuses_nor_slows_trading_and_catches_up() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    let ops = orion.login("ops@orion").await;
    let risk = orion.login("risk@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    // Room for the load: the default limit is 50 RFQs a second.
    let limits = json!({"userId": "trader@acme", "maxNotional": 1_000_000_000_000i64, "maxRfqsPerSec": 10_000});
    assert_eq!(
        orion
            .post("/admin/limits", &risk, limits, None)
            .await
            .status(),
        200
    );

    let analytics = |token: String| {
        let orion = &orion;
        async move {
            support::consumer_state(orion, &token, "analytics")
                .await
                .unwrap()
        }
    };
    let running = create_rfqs_for(&orion, &trader, 3).await;

    let paused = orion
        .post("/ops/consumers/analytics/pause", &ops, json!({}), None)
        .await;
    assert_eq!(paused.status(), 200);
    assert_eq!(paused.json::<Value>().await.unwrap()["paused"], true);
    // A delivery under way when the pause came finishes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = analytics(ops.clone()).await;
    let while_paused = create_rfqs_for(&orion, &trader, 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = analytics(ops.clone()).await;
    assert_eq!(
        after["processed"], before["processed"],
        "a paused consumer applies nothing"
    );
    assert!(after["lag"].as_i64().unwrap() > 0, "{after}");
    println!(
        "RFQs created in 3 s: {running} with analytics running, {while_paused} with it paused"
    );
    // The decisions kept their pace (a generous bound: this machine is shared and noisy; the
    // point is that nothing waits for analytics).
    assert!(
        while_paused * 2 >= running,
        "{running} RFQs in 3 s with analytics running, {while_paused} with it paused"
    );

    // Resumed, it catches up and has every RFQ.
    assert_eq!(
        orion
            .post("/ops/consumers/analytics/resume", &ops, json!({}), None)
            .await
            .status(),
        200
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let state = analytics(ops.clone()).await;
        if state["lag"] == 0 && state["paused"] == false {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "analytics did not catch up: {state}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let card: Value = orion
        .get("/analytics/lp-scorecard", &trader)
        .await
        .json()
        .await
        .unwrap();
    let received: i64 = card
        .as_array()
        .unwrap()
        .iter()
        .map(|lp| lp["rfqsReceived"].as_i64().unwrap())
        .sum();
    assert!(
        received >= (running + while_paused) as i64,
        "{received} RFQs reached LPs of {} created",
        running + while_paused
    );

    // Only the platform operator pauses consumers, and only those that run.
    let status = |token: &str, name: &str| {
        let (orion, token, name) = (&orion, token.to_owned(), name.to_owned());
        async move {
            orion
                .post(
                    &format!("/ops/consumers/{name}/pause"),
                    &token,
                    json!({}),
                    None,
                )
                .await
                .status()
        }
    };
    assert_eq!(status(&trader, "analytics").await, 403);
    assert_eq!(status(&ops, "nobody").await, 404);
}
