//! The BFF endpoints the web workstation uses, against the real `orion up`: preferences per
//! user, analytics after a real RFQ → trade, the risk panel's reads, the OpenAPI document, and
//! the bundle served at `/` with the API's JSON 404 kept for unknown paths.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Orion;

async fn body(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn put_prefs(orion: &Orion, token: &str, prefs: Value) -> (u16, Value) {
    body(
        reqwest::Client::new()
            .put(orion.url("/me/preferences"))
            .bearer_auth(token)
            .json(&prefs)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn preferences_are_saved_per_user_and_validated() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    let sales = orion.login("sales@acme").await;

    assert_eq!(
        body(orion.get("/me/preferences", &trader).await).await,
        (200, json!({}))
    );
    let prefs = json!({"theme": "light", "watchlists": [{"id": "a", "name": "Nordics", "instruments": ["USD/SEK"]}]});
    assert_eq!(
        put_prefs(&orion, &trader, prefs.clone()).await,
        (200, prefs.clone())
    );
    assert_eq!(
        body(orion.get("/me/preferences", &trader).await).await,
        (200, prefs.clone())
    );
    assert_eq!(
        body(orion.get("/me/preferences", &sales).await).await,
        (200, json!({})),
        "another user does not see them"
    );

    let (status, err) = put_prefs(&orion, &trader, json!([1, 2])).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"]["code"].is_string());
    let big = json!({"blob": "x".repeat(70_000)});
    assert_eq!(put_prefs(&orion, &trader, big).await.0, 400);
    assert_eq!(
        body(orion.get("/me/preferences", &trader).await).await.1,
        prefs,
        "unchanged by refused writes"
    );
    assert_eq!(orion.get("/me/preferences", "garbage").await.status(), 401);
}

#[tokio::test]
async fn analytics_reflect_real_quotes_and_trades() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let create =
        json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000", "expirySeconds": 30});
    let (status, created) = body(orion.post("/rfqs", &trader, create, Some("ws-1")).await).await;
    assert_eq!(status, 201, "{created}");
    let rfq = created["rfqId"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let quote = loop {
        let (_, view) = body(orion.get(&format!("/rfqs/{rfq}"), &trader).await).await;
        if view["quotes"].as_array().is_some_and(|q| q.len() >= 3) {
            break view["quotes"][0]["quoteId"].as_str().unwrap().to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(3), "quotes: {view}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (status, traded) = body(
        orion
            .post(
                &format!("/rfqs/{rfq}/accept"),
                &trader,
                json!({"quoteId": quote}),
                Some("ws-2"),
            )
            .await,
    )
    .await;
    assert_eq!(status, 200, "{traded}");

    let (status, lps) = body(orion.get("/analytics/lp-response", &trader).await).await;
    assert_eq!(status, 200);
    let lps = lps["lps"].as_array().unwrap().clone();
    assert_eq!(lps.len(), 3, "{lps:?}");
    for lp in &lps {
        assert_eq!(lp["quotes"], 1);
        let counted: u64 = lp["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, 1);
        assert!(lp["p99Ms"].as_u64().unwrap() < 3_000);
    }

    let (status, volume) = body(orion.get("/analytics/volume", &trader).await).await;
    assert_eq!(status, 200);
    let total: u64 = volume["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["trades"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 1);
    assert_eq!(volume["byInstrument"][0]["instrumentId"], "EUR/USD");
    assert!(
        volume["byInstrument"][0]["notional"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1_000_000
    );

    let globex = orion.login("trader@globex").await;
    let (_, other) = body(orion.get("/analytics/volume", &globex).await).await;
    let total: u64 = other["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["trades"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 0, "another tenant's trades are not counted");

    // The spread sampler runs once a second.
    let started = Instant::now();
    loop {
        let (status, series) = body(
            orion
                .get("/analytics/spreads?instrumentId=EUR/USD", &trader)
                .await,
        )
        .await;
        assert_eq!(status, 200);
        if let Some(p) = series["points"].as_array().and_then(|p| p.first()) {
            assert!(p["t"].as_u64().unwrap() > 1_700_000_000_000);
            assert!(p["spread"].as_str().unwrap().starts_with("0.0"), "{p}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no spread samples: {series}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        orion
            .get("/analytics/spreads?instrumentId=NOPE", &trader)
            .await
            .status(),
        404
    );
    assert_eq!(orion.get("/analytics/spreads", &trader).await.status(), 400);
}

#[tokio::test]
async fn risk_panel_reads_need_a_risk_role_and_show_current_state() {
    let orion = Orion::start(&[]);
    let trader = orion.login("trader@acme").await;
    let risk = orion.login("risk@acme").await;
    assert_eq!(orion.get("/admin/killswitch", &trader).await.status(), 403);
    assert_eq!(orion.get("/admin/limits", &trader).await.status(), 403);

    let (_, before) = body(orion.get("/admin/killswitch", &risk).await).await;
    assert_eq!(before["tenant"]["enabled"], false);
    let resp = orion
        .post(
            "/admin/killswitch/enable",
            &risk,
            json!({"scope": "tenant"}),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let (_, after) = body(orion.get("/admin/killswitch", &risk).await).await;
    assert_eq!(after["tenantId"], "acme");
    assert_eq!(after["tenant"]["enabled"], true);
    assert_eq!(after["tenant"]["changedBy"], "risk@acme");
    assert_eq!(after["global"]["enabled"], false);

    let resp = orion
        .post(
            "/admin/limits",
            &risk,
            json!({"userId": "trader@acme", "maxNotional": 5000000, "maxRfqsPerSec": 7}),
            None,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let (_, limits) = body(orion.get("/admin/limits", &risk).await).await;
    let trader_limits = limits["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userId"] == "trader@acme")
        .unwrap()
        .clone();
    assert_eq!(
        trader_limits,
        json!({"userId": "trader@acme", "maxNotional": "5000000", "maxRfqsPerSecond": 7})
    );
}

#[tokio::test]
async fn openapi_documents_the_routes_and_the_bundle_is_served_at_the_root() {
    let web = std::env::temp_dir().join(format!("orion-web-test-{}", std::process::id()));
    std::fs::create_dir_all(web.join("dist/assets")).unwrap();
    std::fs::write(
        web.join("dist/index.html"),
        "<!doctype html><title>Orion</title>workstation",
    )
    .unwrap();
    std::fs::write(web.join("dist/assets/app.js"), "console.log(1)").unwrap();
    let orion = Orion::start(&["--web-dir", web.to_str().unwrap()]);
    let client = reqwest::Client::new();

    let root = client.get(orion.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 200);
    assert!(
        root.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(root.text().await.unwrap().contains("workstation"));
    let js = client
        .get(orion.url("/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    let missing = client
        .get(orion.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let err: Value = missing.json().await.unwrap();
    assert_eq!(err["error"]["code"], "NOT_FOUND");
    let post = client.post(orion.url("/nope")).send().await.unwrap();
    assert_eq!(
        post.status(),
        404,
        "unknown paths stay JSON 404 for every method"
    );

    let doc: Value = client
        .get(orion.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/rfqs",
        "/rfqs/{id}/accept",
        "/me/preferences",
        "/analytics/lp-response",
        "/admin/killswitch",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    std::fs::remove_dir_all(&web).unwrap();
}
