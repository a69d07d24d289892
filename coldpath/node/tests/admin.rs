//! Identity and administration through `orion up`, on SQLite and on Postgres: a tenant admin
//! creates a user who trades at once and is then disabled (tokens refused, socket closed,
//! login refused), the audit trail tells the story, the platform operator disables an LP,
//! feature flags and users survive a `kill -9`, logout revokes, failed logins are throttled.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::{Orion, PgDatabase, trade};
use tokio_tungstenite::tungstenite::Message;

async fn json_of(resp: reqwest::Response) -> (u16, Value, String) {
    let status = resp.status().as_u16();
    let correlation = resp
        .headers()
        .get("x-correlation-id")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, correlation)
}

/// Creates an RFQ as `token`, waits for a quote and accepts the best; returns the trade id.
/// The LPs that quoted an RFQ within `wait`.
async fn quoting_lps(orion: &Orion, token: &str, wait: Duration) -> HashSet<String> {
    let (status, created, _) = json_of(
        orion
            .post(
                "/rfqs",
                token,
                json!({"instrumentId": "EUR/USD", "side": "SELL", "size": "100000", "expirySeconds": 5}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    tokio::time::sleep(wait).await;
    let (_, view, _) = json_of(
        orion
            .get(
                &format!("/rfqs/{}", created["rfqId"].as_str().unwrap()),
                token,
            )
            .await,
    )
    .await;
    view["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["lpId"].as_str().unwrap().to_owned())
        .collect()
}

async fn admin_contract(extra: &[&str], database_url: Option<&str>) {
    let orion = Orion::start(extra);
    let admin = orion.login("admin@acme").await;
    let trader = orion.login("trader@acme").await;
    let new_user = json!({
        "userId": "newtrader@acme", "password": "s3cret-pass", "roles": ["ROLE_TRADER"],
        "entitlements": {"assetClasses": ["fx"]},
    });

    // Only a tenant admin creates users, with tenant roles, once.
    assert_eq!(
        orion
            .post("/admin/users", &trader, new_user.clone(), None)
            .await
            .status(),
        403
    );
    let mut platform_role = new_user.clone();
    platform_role["roles"] = json!(["ROLE_PLATFORM"]);
    assert_eq!(
        orion
            .post("/admin/users", &admin, platform_role, None)
            .await
            .status(),
        400
    );
    let (status, created, created_correlation) = json_of(
        orion
            .post("/admin/users", &admin, new_user.clone(), None)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        (
            created["userId"].as_str(),
            created["tenantId"].as_str(),
            created["enabled"].as_bool()
        ),
        (Some("newtrader@acme"), Some("acme"), Some(true))
    );
    assert!(created.get("passwordHash").is_none() && !created.to_string().contains("argon2"));
    let (status, conflict, _) = json_of(
        orion
            .post("/admin/users", &admin, new_user.clone(), None)
            .await,
    )
    .await;
    assert_eq!(
        (status, conflict["error"]["code"].as_str()),
        (409, Some("CONFLICT"))
    );
    let (_, users, _) = json_of(orion.get("/admin/users", &admin).await).await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"newtrader@acme") && names.contains(&"trader@acme"));
    assert!(
        !names.contains(&"trader@globex"),
        "own tenant only: {names:?}"
    );

    // The new user logs in at once and trades.
    let pair = orion.login_with("newtrader@acme", "s3cret-pass").await;
    let token = pair["accessToken"].as_str().unwrap().to_owned();
    let refresh = pair["refreshToken"].as_str().unwrap().to_owned();
    let (_, me, _) = json_of(orion.get("/me", &token).await).await;
    assert_eq!(
        (me["tenant"].as_str(), me["entitlements"][0].as_str()),
        (Some("acme"), Some("fx"))
    );
    orion.wait_ready_to_trade(&token, "EUR/USD").await;
    let trade_id = trade(&orion, &token, "EUR/USD").await;
    let mut ws = orion.connect(&token).await;
    support::send_json(&mut ws, json!({"type": "PING"})).await;
    assert_eq!(
        support::next_json(&mut ws, Duration::from_secs(2))
            .await
            .unwrap()["type"],
        "PONG"
    );

    // Disabled: the existing tokens are refused at once, the socket closes, login is refused.
    let (status, disabled, disable_correlation) = json_of(
        orion
            .post(
                "/admin/users/newtrader@acme/disable",
                &admin,
                json!({}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, disabled["enabled"].as_bool()),
        (200, Some(false)),
        "{disabled}"
    );
    let started = Instant::now();
    let (status, refused, _) = json_of(orion.get("/me", &token).await).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (401, Some("USER_DISABLED"))
    );
    let (status, refused, _) = json_of(
        orion
            .client
            .post(orion.url("/auth/refresh"))
            .json(&json!({"refreshToken": refresh}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (401, Some("USER_DISABLED"))
    );
    let closed = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(frame) = message {
                return frame.map(|f| f.reason.to_string());
            }
        }
        None
    })
    .await
    .expect("the disabled user's socket closes within 1 s");
    assert_eq!(closed.as_deref(), Some("user disabled"));
    assert!(started.elapsed() < Duration::from_secs(1));
    let (status, refused, _) = json_of(
        orion
            .client
            .post(orion.url("/auth/login"))
            .json(&json!({"username": "newtrader@acme", "password": "s3cret-pass"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (401, Some("USER_DISABLED"))
    );

    // The audit trail, newest first, with correlation ids.
    let (status, audit, _) = json_of(orion.get("/admin/audit?limit=200", &admin).await).await;
    assert_eq!(status, 200);
    let entries = audit.as_array().unwrap();
    let find = |action: &str, user: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action && e["userId"] == user)
            .unwrap_or_else(|| panic!("{action} by {user} audited: {audit}"))
            .clone()
    };
    let created_entry = find("USER_CREATED", "admin@acme");
    assert_eq!(created_entry["entityId"], "newtrader@acme");
    assert_eq!(created_entry["correlationId"], created_correlation.as_str());
    assert!(
        !find("LOGIN", "newtrader@acme")["correlationId"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let traded = find("TRADE_EXECUTED", "newtrader@acme");
    assert_eq!(traded["entityId"], trade_id.as_str());
    assert_eq!(
        find("USER_DISABLED", "admin@acme")["correlationId"],
        disable_correlation.as_str()
    );
    assert!(
        entries.iter().all(|e| e["tenantId"] == "acme"),
        "own tenant only"
    );
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (_, by_correlation, _) = json_of(
        orion
            .get(
                &format!("/admin/audit?correlationId={disable_correlation}"),
                &admin,
            )
            .await,
    )
    .await;
    assert_eq!(by_correlation.as_array().unwrap().len(), 1);
    let (_, by_user, _) = json_of(
        orion
            .get("/admin/audit?userId=newtrader@acme&action=LOGIN", &admin)
            .await,
    )
    .await;
    assert_eq!(by_user.as_array().unwrap().len(), 1);
    let risk = orion.login("risk@acme").await;
    assert_eq!(orion.get("/admin/audit", &risk).await.status(), 200);
    assert_eq!(orion.get("/admin/audit", &trader).await.status(), 403);

    // Feature flags per tenant.
    let flags = json!({"oms": false, "clob": true, "replay": false});
    let (status, set, _) = json_of(
        orion
            .client
            .put(orion.url("/admin/feature-flags"))
            .bearer_auth(&admin)
            .json(&flags)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &set), (200, &flags));

    // The platform operator disables lp-beta: it gets no further RFQs.
    let ops = orion.login("ops@orion").await;
    let beta = json!({"lpId": "lp-beta", "enabled": false, "assetClasses": ["fx", "rates", "credit"], "maxQuotesPerSec": 5000});
    assert_eq!(
        orion
            .post("/admin/lps", &admin, beta.clone(), None)
            .await
            .status(),
        403
    );
    let (status, lp, _) = json_of(orion.post("/admin/lps", &ops, beta, None).await).await;
    assert_eq!(
        (status, lp["enabled"].as_bool()),
        (200, Some(false)),
        "{lp}"
    );
    let lps = quoting_lps(&orion, &trader, Duration::from_millis(800)).await;
    assert!(
        !lps.contains("lp-beta") && !lps.is_empty(),
        "quotes from {lps:?}"
    );
    let (_, listed, _) = json_of(orion.get("/admin/lps", &ops).await).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["lpId"] == "lp-beta" && l["enabled"] == false)
    );
    let (status, venue, _) = json_of(
        orion
            .post(
                "/admin/venues",
                &ops,
                json!({"venueId": "orion-rfq", "executionType": "RFQ", "instruments": ["EUR/USD", "USD/JPY"]}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, venue["executionType"].as_str()),
        (200, Some("RFQ")),
        "{venue}"
    );

    // The platform operator defines EUR/SEK: listed, priced, streamed and tradable at once.
    let eursek = json!({
        "instrumentId": "EUR/SEK", "assetClass": "fx", "symbol": "EUR/SEK", "currency": "SEK",
        "tickSize": "0.0001", "lotSize": "0.01", "referencePrice": "11.4520",
    });
    assert_eq!(
        orion
            .post("/admin/instruments", &admin, eursek.clone(), None)
            .await
            .status(),
        403
    );
    let defined_at = Instant::now();
    let (status, defined, _) = json_of(
        orion
            .post("/admin/instruments", &ops, eursek.clone(), None)
            .await,
    )
    .await;
    assert_eq!(
        (status, defined["tickSize"].as_str()),
        (201, Some("0.0001")),
        "{defined}"
    );
    let (status, _, _) = json_of(orion.post("/admin/instruments", &ops, eursek, None).await).await;
    assert_eq!(status, 409, "defined once");
    let (_, listed, _) = json_of(orion.get("/instruments", &trader).await).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["instrumentId"] == "EUR/SEK"),
        "listed for an FX-entitled trader"
    );
    let mut ws = orion.connect(&trader).await;
    support::send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["EUR/SEK"]}),
    )
    .await;
    let mut kinds = Vec::new();
    while kinds.len() < 3 {
        let frame = support::next_json(&mut ws, Duration::from_secs(2))
            .await
            .expect("EUR/SEK frames within 2 s");
        if frame["instrumentId"] == "EUR/SEK" {
            kinds.push(frame["type"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(kinds[0], "SNAPSHOT");
    assert!(kinds[1..].iter().all(|k| k == "TICK"), "{kinds:?}");
    assert!(
        defined_at.elapsed() < Duration::from_secs(3),
        "priced and streaming within 2 s"
    );
    trade(&orion, &trader, "EUR/SEK").await;

    // A crash keeps users, flags, instruments and LP configuration made at runtime.
    let data_dir = orion.kill_hard();
    let orion = Orion::start_in(data_dir, extra);
    let admin = orion.login("admin@acme").await;
    let (status, _, _) = json_of(
        orion
            .post(
                "/admin/users/newtrader@acme/enable",
                &admin,
                json!({}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let pair = orion.login_with("newtrader@acme", "s3cret-pass").await;
    let (_, flags_after, _) = json_of(orion.get("/admin/feature-flags", &admin).await).await;
    assert_eq!(flags_after, flags);
    let trader = orion.login("trader@acme").await;
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let lps = quoting_lps(&orion, &trader, Duration::from_millis(800)).await;
    assert!(
        !lps.contains("lp-beta") && !lps.is_empty(),
        "after restart: {lps:?}"
    );

    // Logout revokes the refresh token.
    let refresh = pair["refreshToken"].as_str().unwrap();
    let logout = orion
        .client
        .post(orion.url("/auth/logout"))
        .json(&json!({"refreshToken": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let again = orion
        .client
        .post(orion.url("/auth/refresh"))
        .json(&json!({"refreshToken": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
    let (_, audit, _) = json_of(orion.get("/admin/audit?action=LOGOUT", &admin).await).await;
    assert_eq!(audit[0]["userId"], "newtrader@acme");

    // Every change went out on admin.changes, valid against its schema.
    let sqlite = format!("sqlite://{}/orion.db", orion.data_dir.display());
    let (_, seen) = support::validate_outbox(database_url.unwrap_or(&sqlite)).await;
    for expected in [
        "UserUpdated",
        "LPConfigUpdated",
        "VenueUpdated",
        "FeatureFlagsUpdated",
    ] {
        assert!(seen.contains(expected), "{expected} emitted: {seen:?}");
    }
}

#[tokio::test]
async fn administration_on_sqlite() {
    admin_contract(&[], None).await;
}

#[tokio::test]
async fn administration_on_postgres() {
    let (_db, url) = PgDatabase::create().await;
    admin_contract(&["--database-url", &url], Some(&url)).await;
}

#[tokio::test]
async fn failed_logins_are_throttled_and_audited() {
    let orion = Orion::start(&[]);
    // Logged in before the failures: the address is throttled afterwards.
    let admin = orion.login("admin@acme").await;
    let attempt = |password: &'static str| {
        orion
            .client
            .post(orion.url("/auth/login"))
            .json(&json!({"username": "analyst@acme", "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.unwrap().status(), 401);
    }
    let (status, throttled, _) = json_of(attempt("demo").await.unwrap()).await;
    assert_eq!(
        (status, throttled["error"]["code"].as_str()),
        (429, Some("LOGIN_THROTTLED")),
        "even the right password waits"
    );
    // Another user from the same address is throttled too (per source address).
    let other = orion
        .client
        .post(orion.url("/auth/login"))
        .json(&json!({"username": "sales@acme", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 429);
    let (_, audit, _) = json_of(
        orion
            .get(
                "/admin/audit?userId=analyst@acme&action=LOGIN_FAILED",
                &admin,
            )
            .await,
    )
    .await;
    let details: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(
        details.iter().filter(|d| **d == "bad credentials").count(),
        5
    );
    assert_eq!(details.iter().filter(|d| **d == "throttled").count(), 1);
    // Every response carries a correlation id, unknown paths included.
    let missing = orion
        .client
        .get(orion.url("/no/such/path"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-correlation-id"));
}

#[tokio::test]
async fn a_user_entitled_to_named_instruments_sees_and_trades_only_those() {
    let orion = Orion::start(&[]);
    let admin = orion.login("admin@acme").await;
    let mut body = json!({
        "userId": "eurusd@acme", "password": "eurusd-only", "roles": ["ROLE_TRADER"],
        "entitlements": {"assetClasses": ["fx"], "instruments": ["UST 2Y"]},
    });
    let (status, _, _) =
        json_of(orion.post("/admin/users", &admin, body.clone(), None).await).await;
    assert_eq!(status, 400, "an instrument outside the user's classes");
    body["entitlements"]["instruments"] = json!(["EUR/USD"]);
    let (status, created, _) = json_of(orion.post("/admin/users", &admin, body, None).await).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["entitlements"]["instruments"], json!(["EUR/USD"]));

    let token = orion.login_with("eurusd@acme", "eurusd-only").await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, listed, _) = json_of(orion.get("/instruments", &token).await).await;
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instrumentId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["EUR/USD"]);
    assert_eq!(
        orion
            .get("/market/snapshot?instrumentId=USD/JPY", &token)
            .await
            .status(),
        403
    );
    let (status, refused, _) = json_of(
        orion
            .post(
                "/rfqs",
                &token,
                json!({"instrumentId": "USD/JPY", "side": "BUY", "size": "1000", "expirySeconds": 10}),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("NOT_ENTITLED"))
    );
    orion.wait_ready_to_trade(&token, "EUR/USD").await;
    trade(&orion, &token, "EUR/USD").await;
    let mut ws = orion.connect(&token).await;
    support::send_json(
        &mut ws,
        json!({"type": "SUBSCRIBE", "instrumentIds": ["USD/JPY"]}),
    )
    .await;
    let frame = support::next_json(&mut ws, Duration::from_secs(2))
        .await
        .unwrap();
    assert_eq!(frame["type"], "ERROR", "{frame}");
}
