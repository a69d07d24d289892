//! The journal on its own, without a socket: a batch of real engine decisions goes in, and the
//! typed decisions it emits after commit — answers to the waiting requests, updates for the
//! RFQs' owners, stored idempotent answers and limit rows — come out.

use std::collections::HashMap;
use std::sync::Arc;

use orion_bridge::catalog::{default_catalog, instrument_table};
use orion_hotpath::rfq::engine::class_bit;
use orion_hotpath::rfq::*;
use orion_hotpath::{AssetClass, InstrumentTable};
use orion_journal::{
    Answer, Committer, Decision, JournalInput, Ledger, Names, Pending, PendingInfo, RfqChange,
};
use orion_store::Store;
use orion_store::reference::{Seed, SeedUser, seed};
use tokio::sync::{mpsc, oneshot};

/// A fixed directory: one tenant, two users, three LPs.
struct FixedNames;

impl Names for FixedNames {
    fn tenant(&self, id: TenantId) -> Option<String> {
        (id.0 == 0).then(|| "acme".into())
    }
    fn user(&self, id: UserId) -> Option<String> {
        ["trader@acme", "risk@acme"]
            .get(id.0 as usize)
            .map(|u| (*u).into())
    }
    fn lp(&self, id: LpId) -> Option<String> {
        ["lp-alpha", "lp-beta", "lp-gamma"]
            .get(usize::from(id.0))
            .map(|l| (*l).into())
    }
}

const T0: u64 = 1_800_000_000_000_000_000;
const S: u64 = 1_000_000_000;

fn engine(instruments: &InstrumentTable) -> RfqEngine {
    let refs: Vec<InstrumentRef> = instruments
        .iter()
        .map(|(_, s)| InstrumentRef {
            asset_class: s.asset_class,
            price_scale: s.price_scale,
            size_scale: s.size_scale,
        })
        .collect();
    let fx = class_bit(AssetClass::Fx);
    let user = UserRef {
        tenant: TenantId(0),
        entitlements: fx,
        max_notional: 1_000_000_000,
        max_rfqs_per_sec: 100,
    };
    let lp = LpRef {
        asset_classes: fx,
        tenants: 1,
        max_rfqs_per_sec: 100,
        connected: true,
        enabled: true,
    };
    let mut engine = RfqEngine::new(
        EngineConfig::default(),
        &refs,
        &[user, user],
        1,
        &[lp, lp, lp],
    )
    .unwrap();
    let eurusd = instruments.id("EUR/USD").unwrap();
    engine.handle_mid(eurusd, 2 * 108_425);
    engine
}

#[tokio::test]
async fn a_committed_batch_emits_typed_decisions() {
    let dir = std::env::temp_dir().join(format!("orion-journal-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}/j.db", dir.display()))
        .await
        .unwrap();
    seed(
        &store,
        &Seed {
            tenants: vec![("acme".into(), 0)],
            users: vec![SeedUser {
                tenant: "acme".into(),
                user: "trader@acme".into(),
                index: 0,
                roles: vec!["ROLE_TRADER".into()],
                asset_classes: vec!["fx".into()],
                password_hash: String::new(),
            }],
            ..Seed::default()
        },
    )
    .await
    .unwrap();
    let instruments = Arc::new(instrument_table(&default_catalog()));
    let eurusd = instruments.id("EUR/USD").unwrap();
    let mut engine = engine(&instruments);
    let ledger = Arc::new(Ledger::new(0));
    let mut updates = ledger.subscribe_updates();

    // Every command a client would send, each with a waiting request.
    let mut replies: HashMap<u64, oneshot::Receiver<Answer>> = HashMap::new();
    let mut expect = |request: u64, user: &str, key: Option<&str>| {
        let (reply, answer) = oneshot::channel();
        ledger.expect(
            RequestId(request),
            Pending {
                info: PendingInfo {
                    correlation_id: format!("corr-{request}"),
                    tenant: "acme".into(),
                    user: user.into(),
                    idempotency: key.map(|k| ("op", k.to_owned())),
                    trace_parent: String::new(),
                },
                reply,
            },
        );
        replies.insert(request, answer);
    };
    let mut events = Vec::new();
    fn run(engine: &mut RfqEngine, events: &mut Vec<RfqEvent>, at: u64, command: Command) {
        engine.handle(&EngineCommand { at, command }, &mut |e| events.push(e));
    }
    expect(1, "trader@acme", Some("create-1"));
    run(
        &mut engine,
        &mut events,
        T0,
        Command::CreateRfq {
            request: RequestId(1),
            tenant: TenantId(0),
            user: UserId(0),
            instrument: eurusd,
            side: Side::Buy,
            size: 1_000_000,
            expires_at: T0 + 10 * S,
            min_size: 0,
            partial_allowed: false,
        },
    );
    let rfq = match events[0] {
        RfqEvent::RfqCreated { rfq, .. } => rfq,
        other => panic!("expected a creation, got {other:?}"),
    };
    for (lp, price) in [(0u8, 108_431i64), (1, 108_428), (2, 108_440)] {
        run(
            &mut engine,
            &mut events,
            T0 + S,
            Command::Quote {
                rfq,
                lp: LpId(lp),
                lp_quote_id: u64::from(lp),
                price,
                size: 1_000_000,
                valid_until: T0 + 5 * S,
            },
        );
    }
    let best = events
        .iter()
        .find_map(|e| match e {
            RfqEvent::QuoteReceived { quote, lp, .. } if lp.0 == 1 => Some(*quote),
            _ => None,
        })
        .unwrap();
    expect(2, "trader@acme", Some("accept-1"));
    run(
        &mut engine,
        &mut events,
        T0 + 2 * S,
        Command::Accept {
            request: RequestId(2),
            tenant: TenantId(0),
            user: UserId(0),
            rfq,
            quote: best,
            size: 0,
        },
    );
    expect(3, "trader@acme", None);
    run(
        &mut engine,
        &mut events,
        T0 + 3 * S,
        Command::Cancel {
            request: RequestId(3),
            tenant: TenantId(0),
            user: UserId(0),
            rfq,
        },
    );
    expect(4, "risk@acme", None);
    run(
        &mut engine,
        &mut events,
        T0 + 3 * S,
        Command::SetUserLimits {
            request: RequestId(4),
            user: UserId(0),
            max_notional: 5_000,
            max_rfqs_per_sec: 2,
        },
    );
    expect(5, "risk@acme", None);
    run(
        &mut engine,
        &mut events,
        T0 + 3 * S,
        Command::SetKillSwitch {
            request: RequestId(5),
            scope: KillScope::Tenant(TenantId(0)),
            enabled: true,
            cancel_resting: false,
        },
    );

    // One batch through the committer.
    let (tx, rx) = mpsc::unbounded_channel();
    for event in events {
        tx.send(JournalInput::Engine(event)).unwrap();
    }
    drop(tx);
    let committer = Committer::new(
        store.clone(),
        Arc::clone(&ledger),
        Arc::clone(&instruments),
        Arc::new(FixedNames),
        "test".into(),
    );
    committer.run(rx).await;

    let mut answer = |request: u64| replies.remove(&request).unwrap().try_recv().unwrap();
    let created = answer(1);
    assert_eq!(
        created,
        Answer {
            correlation_id: "corr-1".into(),
            decision: Decision::RfqCreated { rfq_id: rfq.raw() }
        }
    );
    let Decision::Traded { rfq_id, trade_id } = answer(2).decision else {
        panic!("the accept is answered with the trade");
    };
    assert_eq!(rfq_id, rfq.raw());
    assert_eq!(
        answer(3).decision,
        Decision::Refused {
            reason: Reason::UnknownRfq
        },
        "a traded RFQ cannot be cancelled"
    );
    assert_eq!(answer(4).decision, Decision::LimitsApplied);
    assert_eq!(
        answer(5).decision,
        Decision::KillSwitchSet {
            global: false,
            tenant_id: "acme".into(),
            enabled: true
        }
    );

    // The owner's updates, in order: created, three quotes, traded.
    let mut changes = Vec::new();
    while let Ok(update) = updates.try_recv() {
        assert_eq!(
            (update.tenant.as_str(), update.user.as_str()),
            ("acme", "trader@acme")
        );
        changes.push(update.change);
    }
    assert_eq!(changes.len(), 5, "{changes:?}");
    assert!(matches!(changes[0], RfqChange::Created { .. }));
    assert!(
        matches!(&changes[2], RfqChange::QuoteReceived { lp_id, price, .. } if lp_id == "lp-beta" && price == "1.08428")
    );
    assert!(
        matches!(&changes[4], RfqChange::Traded { trade_id: t, price, correlation_id, .. }
            if *t == trade_id && price == "1.08428" && correlation_id == "corr-2")
    );

    // What a retry with the same key would be answered with is the same typed decision.
    let stored = store
        .idempotent_answer("acme", "trader@acme", "op", "accept-1")
        .await
        .unwrap()
        .unwrap();
    let stored: Answer = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        stored.decision,
        Decision::Traded {
            rfq_id: rfq.raw(),
            trade_id
        }
    );
    // The limit change carried its values into the store.
    let limits = store.user_limits().await.unwrap();
    assert_eq!(limits.len(), 1);
    assert_eq!(
        (
            limits[0].user.as_str(),
            limits[0].max_notional,
            limits[0].max_rfqs_per_sec
        ),
        ("trader@acme", 5_000, 2)
    );
    let trade = store.trade("acme", trade_id).await.unwrap().unwrap();
    assert_eq!(
        (trade.lp_id.as_str(), trade.price.as_str()),
        ("lp-beta", "1.08428")
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_order_is_answered_only_once_all_its_events_are_committed() {
    let dir = std::env::temp_dir().join(format!("orion-journal-orders-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}/j.db", dir.display()))
        .await
        .unwrap();
    let instruments = Arc::new(instrument_table(&default_catalog()));
    let eurusd = instruments.id("EUR/USD").unwrap();
    let mut engine = engine(&instruments);
    engine.open_book(eurusd, 108_425, 1);
    let ledger = Arc::new(Ledger::new(0));
    let mut head = ledger.subscribe_head();
    let expect = |request: u64, user: &str| {
        let (reply, answer) = oneshot::channel();
        ledger.expect(
            RequestId(request),
            Pending {
                info: PendingInfo {
                    correlation_id: format!("corr-{request}"),
                    tenant: "acme".into(),
                    user: user.into(),
                    idempotency: Some(("place_order", format!("key-{request}"))),
                    trace_parent: String::new(),
                },
                reply,
            },
        );
        answer
    };
    let place = |engine: &mut RfqEngine, request: u64, user: u32, side: Side, price: i64| {
        let mut events = Vec::new();
        let order = orion_hotpath::book::NewOrder {
            instrument: eurusd,
            user: UserId(user),
            side,
            order_type: orion_hotpath::book::OrderType::Limit,
            tif: orion_hotpath::book::TimeInForce::Gtc,
            price,
            qty: 100_000_000,
        };
        let command = Command::PlaceOrder {
            request: RequestId(request),
            tenant: TenantId(0),
            order,
        };
        engine.handle(&EngineCommand { at: T0, command }, &mut |e| events.push(e));
        events
    };
    let maker_answer = expect(10, "risk@acme");
    let mut taker_answer = expect(11, "trader@acme");
    let maker = place(&mut engine, 10, 1, Side::Sell, 108_430);
    let taker = place(&mut engine, 11, 0, Side::Buy, 108_440);
    assert_eq!(
        taker.len(),
        4,
        "accepted, trade, the maker's fill, the taker's fill: {taker:?}"
    );

    let (tx, rx) = mpsc::unbounded_channel();
    let committer = tokio::spawn(
        Committer::new(
            store.clone(),
            Arc::clone(&ledger),
            Arc::clone(&instruments),
            Arc::new(FixedNames),
            "test".into(),
        )
        .run(rx),
    );
    // The taker's acceptance commits in one batch, its fills in the next.
    for event in maker.iter().chain(&taker[..1]) {
        tx.send(JournalInput::Engine(*event)).unwrap();
    }
    head.changed().await.unwrap();
    let first = *head.borrow();
    assert_eq!(
        maker_answer.await.unwrap().decision,
        match store.order("acme", order_id(&maker)).await.unwrap() {
            Some(record) => Decision::Order(Box::new(orion_journal::OrderSnapshot::from(&record))),
            None => panic!("the maker's order is stored"),
        }
    );
    assert!(
        taker_answer.try_recv().is_err(),
        "no answer while the taker's fills are not durable (head {first})"
    );
    for event in &taker[1..] {
        tx.send(JournalInput::Engine(*event)).unwrap();
    }
    let answer = taker_answer.await.unwrap();
    let Decision::Order(order) = answer.decision else {
        panic!("an order answer");
    };
    assert_eq!(
        (
            order.status.as_str(),
            order.filled_qty.as_str(),
            order.avg_price.as_deref()
        ),
        ("FILLED", "1000000.00", Some("1.08430"))
    );
    drop(tx);
    committer.await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// The id of the order a command's events accepted.
fn order_id(events: &[RfqEvent]) -> i64 {
    events
        .iter()
        .find_map(|e| match e {
            RfqEvent::Order {
                event: orion_hotpath::book::BookEvent::Accepted { order, .. },
                ..
            } => Some(order.0 as i64),
            _ => None,
        })
        .expect("an accepted order")
}
