//! gRPC against a real `orion up`: health, reflection, authentication, market data (snapshot,
//! depth, the tick stream), an RFQ from creation through its watched quotes to the trade,
//! confirmations and settlement of RFQ and order-book trades,
//! orders end to end (place through the market makers, the same answer
//! for the same key, fills, watch, cancel, refusals with their reason in ErrorInfo, another
//! tenant's order not found), the caller's correlation id in the committed events, and a
//! deadline that passes before the commit.

mod support;

use std::time::Duration;

use orion_grpc::pb::execution_service_client::ExecutionServiceClient;
use orion_grpc::pb::market_data_service_client::MarketDataServiceClient;
use orion_grpc::pb::order_service_client::OrderServiceClient;
use orion_grpc::pb::post_trade_service_client::PostTradeServiceClient;
use orion_grpc::pb::rfq_service_client::RfqServiceClient;
use orion_grpc::pb::{self, tick_update::Kind};
use serde_json::json;
use support::{Orion, sqlite_url};
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn limit(side: pb::Side, qty: &str, price: &str, key: &str) -> pb::PlaceOrderRequest {
    pb::PlaceOrderRequest {
        instrument_id: "EUR/USD".into(),
        side: side as i32,
        r#type: pb::OrderType::Limit as i32,
        qty: qty.into(),
        limit_price: Some(price.into()),
        time_in_force: pb::TimeInForce::Gtc as i32,
        idempotency_key: key.into(),
    }
}

/// Administration over gRPC: the roles the services check, the directory's lists, limits and
/// the tenant kill switch refusing a trader's RFQ until it is lifted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_over_grpc() {
    use orion_grpc::pb::admin_service_client::AdminServiceClient;
    let orion = Orion::start(&["--market-makers", "false"]);
    let channel = Channel::from_shared(format!("http://{}", orion.grpc))
        .unwrap()
        .connect()
        .await
        .expect("gRPC listens");
    let mut admin = AdminServiceClient::new(channel.clone());
    let mut rfqs = RfqServiceClient::new(channel.clone());
    let (trader, tenant_admin, risk, ops) = (
        orion.login("trader@acme").await,
        orion.login("admin@acme").await,
        orion.login("risk@acme").await,
        orion.login("ops@orion").await,
    );
    let forbidden = |status: tonic::Status| {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(
            status.get_error_details().error_info().unwrap().reason,
            "FORBIDDEN"
        );
    };

    // Users: the tenant's admin lists them (their own tenant only); a trader may not.
    let users = admin
        .list_users(authed(pb::ListUsersRequest {}, &tenant_admin))
        .await
        .unwrap()
        .into_inner()
        .users;
    assert!(
        users
            .iter()
            .any(|u| u.user_id == "trader@acme" && u.enabled)
    );
    assert!(users.iter().all(|u| u.tenant_id == "acme"), "{users:?}");
    forbidden(
        admin
            .list_users(authed(pb::ListUsersRequest {}, &trader))
            .await
            .unwrap_err(),
    );

    // The platform's lists: the operator's, not a tenant admin's.
    let instruments = admin
        .list_instruments(authed(pb::ListInstrumentsRequest {}, &ops))
        .await
        .unwrap()
        .into_inner()
        .instruments;
    let eurusd = instruments
        .iter()
        .find(|i| i.instrument_id == "EUR/USD")
        .unwrap();
    assert_eq!(
        (eurusd.asset_class.as_str(), eurusd.tick_size.as_str()),
        ("fx", "0.00001")
    );
    let lps = admin
        .list_l_ps(authed(pb::ListLPsRequest {}, &ops))
        .await
        .unwrap()
        .into_inner()
        .lps;
    assert!(lps.len() >= 3, "{lps:?}");
    admin
        .list_venues(authed(pb::ListVenuesRequest {}, &ops))
        .await
        .unwrap();
    let mut changed = lps[0].clone();
    changed.max_quotes_per_sec = 77;
    let configured = admin
        .configure_lp(authed(
            pb::ConfigureLpRequest {
                lp: Some(changed.clone()),
            },
            &ops,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(configured, changed);
    let lps = admin
        .list_l_ps(authed(pb::ListLPsRequest {}, &ops))
        .await
        .unwrap()
        .into_inner()
        .lps;
    assert!(lps.contains(&changed), "{lps:?}");
    forbidden(
        admin
            .configure_lp(authed(
                pb::ConfigureLpRequest { lp: Some(changed) },
                &tenant_admin,
            ))
            .await
            .unwrap_err(),
    );
    forbidden(
        admin
            .list_instruments(authed(pb::ListInstrumentsRequest {}, &tenant_admin))
            .await
            .unwrap_err(),
    );

    // Limits: a risk officer's; a trader's attempt is refused.
    let limits = || pb::SetLimitsRequest {
        limits: Some(pb::set_limits_request::Limits::User(pb::UserLimits {
            user_id: "trader@acme".into(),
            max_notional: 50_000_000,
            max_rfqs_per_sec: 50,
        })),
    };
    let mut request = authed(limits(), &risk);
    request
        .metadata_mut()
        .insert("x-correlation-id", "grpc-limits-1".parse().unwrap());
    let applied = admin.set_limits(request).await.unwrap().into_inner();
    assert_eq!(applied.correlation_id, "grpc-limits-1");
    forbidden(
        admin
            .set_limits(authed(limits(), &trader))
            .await
            .unwrap_err(),
    );

    // The tenant kill switch refuses the trader's RFQ with its reason, until it is lifted; the
    // global one is the platform's alone.
    let switch = |enabled: bool, scope: pb::KillSwitchScope| pb::SetKillSwitchRequest {
        scope: scope as i32,
        enabled,
        cancel_resting: None,
    };
    let state = admin
        .set_kill_switch(authed(switch(true, pb::KillSwitchScope::Tenant), &risk))
        .await
        .unwrap()
        .into_inner();
    assert!(state.enabled && state.tenant_id == "acme", "{state:?}");
    let create = || pb::CreateRfqRequest {
        instrument_id: "EUR/USD".into(),
        side: pb::Side::Buy as i32,
        size: "100000".into(),
        expiry_seconds: 10,
        ..Default::default()
    };
    let refused = rfqs
        .create_rfq(authed(create(), &trader))
        .await
        .unwrap_err();
    assert_eq!(
        refused.get_error_details().error_info().unwrap().reason,
        "KILL_SWITCH_TENANT",
        "{refused:?}"
    );
    forbidden(
        admin
            .set_kill_switch(authed(switch(true, pb::KillSwitchScope::Global), &risk))
            .await
            .unwrap_err(),
    );
    admin
        .set_kill_switch(authed(switch(false, pb::KillSwitchScope::Tenant), &risk))
        .await
        .unwrap();
    rfqs.create_rfq(authed(create(), &trader)).await.unwrap();

    // Disabling a user through gRPC takes effect for REST at once.
    let disabled = admin
        .set_user_enabled(authed(
            pb::SetUserEnabledRequest {
                user_id: "sales@acme".into(),
                enabled: false,
            },
            &tenant_admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!disabled.enabled);
    let login = orion
        .client
        .post(orion.url("/auth/login"))
        .json(&json!({"username": "sales@acme", "password": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_and_market_data_over_grpc() {
    let orion = Orion::start(&[]);
    let channel = Channel::from_shared(format!("http://{}", orion.grpc))
        .unwrap()
        .connect()
        .await
        .expect("gRPC listens");
    let trader = orion.login("trader@acme").await;

    // Health: overall and per service.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    for service in [
        "",
        "orion.v1.MarketDataService",
        "orion.v1.OrderService",
        "orion.v1.RFQService",
        "orion.v1.ExecutionService",
        "orion.v1.PostTradeService",
        "orion.v1.AdminService",
    ] {
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(
            status,
            tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
            "{service:?}"
        );
    }

    // Reflection lists every service.
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let ask = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream::once(ask))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        answers.next().await.unwrap().unwrap().message_response
    else {
        panic!("a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for wanted in [
        "orion.v1.MarketDataService",
        "orion.v1.OrderService",
        "orion.v1.RFQService",
        "orion.v1.ExecutionService",
        "orion.v1.PostTradeService",
        "orion.v1.AdminService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }

    // No token, a bad token: UNAUTHENTICATED.
    let mut market = MarketDataServiceClient::new(channel.clone());
    let ask = || pb::GetSnapshotRequest {
        instrument_id: "EUR/USD".into(),
    };
    assert_eq!(
        market.get_snapshot(ask()).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    assert_eq!(
        market
            .get_snapshot(authed(ask(), "not-a-token"))
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
    // An identity asserted with x-security-context counts only from Orion's own processes: a
    // public client's, even beside a valid token, is refused; so is a tenant header naming
    // another tenant.
    let me: serde_json::Value = orion.get("/me", &trader).await.json().await.unwrap();
    let forged = orion_grpc::link::encode_security_context(&serde_json::from_value(json!({
        "sub": "admin@acme", "tenant": "acme", "roles": ["ROLE_ADMIN"], "ent": ["fx"], "ins": [],
        "typ": "access", "iss": "orion", "iat": 0, "exp": u64::MAX, "jti": "x",
    })).unwrap());
    let mut request = authed(ask(), &trader);
    request
        .metadata_mut()
        .insert("x-security-context", forged.parse().unwrap());
    let refused = market.get_snapshot(request).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let mut request = authed(ask(), &trader);
    request
        .metadata_mut()
        .insert("x-tenant-id", "globex".parse().unwrap());
    assert_eq!(
        market.get_snapshot(request).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let mut request = authed(ask(), &trader);
    request.metadata_mut().insert(
        "x-tenant-id",
        me["tenant"].as_str().unwrap().parse().unwrap(),
    );
    let snapshot = market.get_snapshot(request).await.unwrap().into_inner();
    assert!(!snapshot.mid.is_empty() && snapshot.seq > 0, "{snapshot:?}");
    // The internal link answers nobody without the internal credential; `orion up` has none.
    let mut link = orion_grpc::link::pb::core_link_client::CoreLinkClient::new(channel.clone());
    let (expected, why) = if Orion::split_mode() {
        (
            Code::Unauthenticated,
            "the core's link refuses an outside caller",
        )
    } else {
        (Code::Unimplemented, "orion up serves no core link")
    };
    assert_eq!(
        link.describe(orion_grpc::link::pb::DescribeRequest {})
            .await
            .unwrap_err()
            .code(),
        expected,
        "{why}"
    );

    // The tick stream: a snapshot first, then ticks.
    let mut ticks = market
        .stream_ticks(authed(
            pb::StreamTicksRequest {
                instrument_ids: vec!["EUR/USD".into()],
                max_rate_hz: Some(20),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    let first = ticks.next().await.unwrap().unwrap();
    assert!(matches!(first.kind, Some(Kind::Snapshot(_))), "{first:?}");
    let next = tokio::time::timeout(Duration::from_secs(10), ticks.next())
        .await
        .expect("a tick")
        .unwrap()
        .unwrap();
    let (Some(Kind::Snapshot(a)), Some(Kind::Tick(b))) = (first.kind, next.kind) else {
        panic!("a tick after the snapshot");
    };
    assert!(b.seq > a.seq);

    // The market makers' book, then a buy through it.
    let best_ask = loop {
        let depth = market
            .get_depth(authed(
                pb::GetDepthRequest {
                    instrument_id: "EUR/USD".into(),
                    levels: Some(10),
                },
                &trader,
            ))
            .await
            .unwrap()
            .into_inner();
        if depth.asks.len() >= 5 {
            break depth.asks[0].price.parse::<f64>().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut orders = OrderServiceClient::new(channel.clone());
    let mut watch = orders
        .watch_orders(authed(pb::WatchOrdersRequest {}, &trader))
        .await
        .unwrap()
        .into_inner();
    let through = format!("{:.5}", best_ask + 0.001);
    let buy = |key: &str| {
        let mut request = authed(limit(pb::Side::Buy, "2000000", &through, key), &trader);
        request
            .metadata_mut()
            .insert("x-correlation-id", "grpc-corr-1".parse().unwrap());
        request
    };
    let filled = orders.place_order(buy("g-1")).await.unwrap().into_inner();
    assert_eq!(
        (filled.status.as_str(), filled.filled_qty.as_str()),
        ("FILLED", "2000000.00")
    );
    assert_eq!(filled.correlation_id, "grpc-corr-1");
    let again = orders.place_order(buy("g-1")).await.unwrap().into_inner();
    assert_eq!(again, filled, "the same key, the same answer");
    let detail = orders
        .get_order(authed(
            pb::GetOrderRequest {
                order_id: filled.order_id.clone(),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    let total: f64 = detail
        .fills
        .iter()
        .map(|f| f.qty.parse::<f64>().unwrap())
        .sum();
    assert_eq!(total, 2_000_000.0);

    // Watch sees the fill; a resting order is cancelled and the watch sees that too.
    let seen = async {
        loop {
            let o = watch.next().await.unwrap().unwrap();
            if o.order_id == filled.order_id && o.status == "FILLED" {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("FILLED on the watch");
    let resting = orders
        .place_order(authed(
            limit(
                pb::Side::Buy,
                "1000000",
                &format!("{:.5}", best_ask - 0.01),
                "g-2",
            ),
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resting.status, "ACK");
    let cancelled = orders
        .cancel_order(authed(
            pb::CancelOrderRequest {
                order_id: resting.order_id.clone(),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, "CANCELLED");
    let seen = async {
        loop {
            let o = watch.next().await.unwrap().unwrap();
            if o.order_id == resting.order_id && o.status == "CANCELLED" {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("CANCELLED on the watch");

    // Refusals carry the Orion reason; a filled order cannot be cancelled.
    let refused = orders
        .place_order(authed(
            limit(pb::Side::Buy, "30000000", &through, "g-3"),
            &trader,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        refused
            .get_error_details()
            .error_info()
            .map(|i| i.reason.clone()),
        Some("MAX_ORDER_QTY".into())
    );
    let conflict = orders
        .cancel_order(authed(
            pb::CancelOrderRequest {
                order_id: filled.order_id.clone(),
            },
            &trader,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (
            conflict.code(),
            conflict
                .get_error_details()
                .error_info()
                .map(|i| i.reason.clone())
        ),
        (Code::FailedPrecondition, Some("ORDER_FILLED".into()))
    );
    let no_key = orders
        .place_order(authed(limit(pb::Side::Buy, "1000", &through, ""), &trader))
        .await
        .unwrap_err();
    assert_eq!(no_key.code(), Code::InvalidArgument);

    // Another tenant's order does not exist for it; analysts cannot trade.
    let globex = orion.login("trader@globex").await;
    let hidden = orders
        .get_order(authed(
            pb::GetOrderRequest {
                order_id: filled.order_id.clone(),
            },
            &globex,
        ))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let analyst = orion.login("analyst@acme").await;
    let denied = orders
        .place_order(authed(
            limit(pb::Side::Buy, "1000", &through, "g-4"),
            &analyst,
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A 1 ms deadline passes before the commit: the call ends there — the server answers
    // DEADLINE_EXCEEDED (the grpcio client test checks that code; tonic's own client reports its
    // local expiry as CANCELLED) — and the outcome is retrievable by its key.
    let mut hurried = authed(limit(pb::Side::Buy, "1000000", &through, "g-5"), &trader);
    hurried.set_timeout(Duration::from_millis(1));
    let late = orders.place_order(hurried).await.unwrap_err();
    assert!(
        late.code() == Code::DeadlineExceeded
            || (late.code() == Code::Cancelled && late.message().contains("Timeout expired")),
        "{late:?}"
    );
    let outcome = loop {
        match orders
            .place_order(authed(
                limit(pb::Side::Buy, "1000000", &through, "g-5"),
                &trader,
            ))
            .await
        {
            Ok(order) => break order.into_inner(),
            // Still being decided: the key is in flight, never sent twice.
            Err(status) if status.code() == Code::FailedPrecondition => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(status) => panic!("{status:?}"),
        }
    };
    assert_eq!(outcome.status, "FILLED");

    // An RFQ over gRPC: create, watch the quotes arrive, accept one, the trade.
    orion.wait_ready_to_trade(&trader, "EUR/USD").await;
    let mut rfqs = RfqServiceClient::new(channel.clone());
    let created = rfqs
        .create_rfq(authed(
            pb::CreateRfqRequest {
                instrument_id: "EUR/USD".into(),
                side: pb::Side::Buy as i32,
                size: "1000000".into(),
                expiry_seconds: 30,
                min_size: None,
                partial_allowed: None,
                idempotency_key: Some("rfq-1".into()),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.status, "SENT");
    let mut updates = rfqs
        .watch_rfq(authed(
            pb::WatchRfqRequest {
                rfq_id: created.rfq_id.clone(),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    let quote = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let update = updates.next().await.unwrap().unwrap();
            if let Some(pb::rfq_update::Detail::Quote(q)) = update.detail {
                break q;
            }
        }
    })
    .await
    .expect("an LP quote on the watch");
    let accepted = rfqs
        .accept_quote(authed(
            pb::AcceptQuoteRequest {
                rfq_id: created.rfq_id.clone(),
                quote_id: quote.quote_id.clone(),
                size: None,
                idempotency_key: "rfq-accept-1".into(),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, "TRADED");
    let last = tokio::time::timeout(Duration::from_secs(10), async {
        let mut last = None;
        while let Some(update) = updates.next().await {
            last = Some(update.unwrap());
        }
        last
    })
    .await
    .expect("the watch ends with the RFQ")
    .expect("a last update");
    assert_eq!(
        (last.event.as_str(), last.status.as_str()),
        ("TradeExecuted", "TRADED")
    );
    let mut execution = ExecutionServiceClient::new(channel.clone());
    let trade = execution
        .get_trade(authed(
            pb::GetTradeRequest {
                trade_id: accepted.trade_id.clone(),
            },
            &trader,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (trade.rfq_id.as_str(), trade.lp_id.as_str()),
        (created.rfq_id.as_str(), quote.lp_id.as_str())
    );
    assert_eq!(trade.price, quote.price);
    let hidden = execution
        .get_trade(authed(
            pb::GetTradeRequest {
                trade_id: accepted.trade_id.clone(),
            },
            &globex,
        ))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);

    // Post-trade: both trades are confirmed (an RFQ one and an order-book one) and their sagas
    // move; another tenant sees neither.
    let mut posttrade = PostTradeServiceClient::new(channel.clone());
    let clob_trade = detail.fills[0].trade_id.clone();
    for (trade_id, venue) in [(accepted.trade_id.clone(), "RFQ"), (clob_trade, "CLOB")] {
        let confirmation = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                let asked = posttrade
                    .get_confirmation(authed(
                        pb::GetConfirmationRequest {
                            trade_id: trade_id.clone(),
                        },
                        &trader,
                    ))
                    .await;
                match asked {
                    Ok(c) => break c.into_inner(),
                    Err(status) if status.code() == Code::NotFound => {
                        tokio::time::sleep(Duration::from_millis(100)).await
                    }
                    Err(status) => panic!("{status:?}"),
                }
            }
        })
        .await
        .expect("the trade is confirmed");
        assert_eq!(
            (
                confirmation.venue.as_str(),
                confirmation.confirmation_id.clone()
            ),
            (venue, format!("CONF-{trade_id}"))
        );
        let document: serde_json::Value =
            serde_json::from_str(&confirmation.document_json).unwrap();
        assert_eq!(document["trade"]["tradeId"], trade_id.as_str());
        let saga = posttrade
            .get_settlement_status(authed(
                pb::GetSettlementStatusRequest {
                    trade_id: trade_id.clone(),
                },
                &trader,
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(
            [
                "PENDING",
                "SETTLING",
                "SETTLED",
                "FAILED",
                "RETRYING",
                "FAILED_FINAL"
            ]
            .contains(&saga.state.as_str()),
            "{saga:?}"
        );
        let hidden = posttrade
            .get_confirmation(authed(pb::GetConfirmationRequest { trade_id }, &globex))
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound);
    }
    let unsettled = posttrade
        .list_unsettled(authed(pb::ListUnsettledRequest {}, &trader))
        .await
        .unwrap()
        .into_inner();
    assert!(
        unsettled
            .trades
            .iter()
            .all(|t| t.settlement_status != "SETTLED")
    );

    // The caller's correlation id is on the events its order committed.
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&sqlite_url(&orion.data_dir))
        .await
        .unwrap();
    let types: Vec<(String,)> = sqlx::query_as(
        "SELECT event_type FROM outbox_events WHERE correlation_id = 'grpc-corr-1' ORDER BY position",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let types: Vec<&str> = types.iter().map(|t| t.0.as_str()).collect();
    for wanted in [
        "OrderPlaced",
        "OrderAcknowledged",
        "TradeExecuted",
        "OrderFilled",
    ] {
        assert!(
            types.contains(&wanted),
            "{wanted} under the caller's correlation id: {types:?}"
        );
    }
}
