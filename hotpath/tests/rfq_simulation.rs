//! Deterministic simulation of the RFQ engine: seeded random command streams — creates,
//! quotes (duplicates, late, unrequested), accepts (races, retries, strangers), cancels,
//! expiry, kill switches, limit changes, LP disconnects — for a million steps, checking the
//! lifecycle invariants on every event, and that the same seed gives byte-identical output.

mod common;

use std::collections::HashMap;

use common::Rng;

use orion_hotpath::rfq::engine::{MAX_QUOTES, class_bit};
use orion_hotpath::rfq::*;
use orion_hotpath::{AssetClass, InstrumentId};

const STEPS: u64 = 1_000_000;
const T0: u64 = 1_700_000_000_000_000_000;
const SECOND: u64 = 1_000_000_000;

/// Picks a recent RFQ: mostly among the last few (likely still open), sometimes further back.
fn pick(rng: &mut Rng, known: &[RfqId]) -> RfqId {
    let window = if rng.chance(75) { 8 } else { 80 };
    known[known.len() - 1 - rng.below(known.len().min(window) as u64) as usize]
}

fn instruments() -> Vec<InstrumentRef> {
    let i = |asset_class, price_scale| InstrumentRef {
        asset_class,
        price_scale,
        size_scale: 2,
    };
    vec![
        i(AssetClass::Fx, 5),
        i(AssetClass::Fx, 3),
        i(AssetClass::Rates, 6),
        i(AssetClass::Credit, 3),
        i(AssetClass::Fx, 5),
    ]
}

fn users() -> Vec<UserRef> {
    let all =
        class_bit(AssetClass::Fx) | class_bit(AssetClass::Rates) | class_bit(AssetClass::Credit);
    let u = |tenant, entitlements| UserRef {
        tenant: TenantId(tenant),
        entitlements,
        max_notional: 50_000_000,
        max_rfqs_per_sec: 20,
    };
    vec![
        u(0, all),
        u(0, all),
        u(0, class_bit(AssetClass::Fx)),
        u(1, all),
        u(1, class_bit(AssetClass::Rates)),
    ]
}

fn lps() -> Vec<LpRef> {
    let all =
        class_bit(AssetClass::Fx) | class_bit(AssetClass::Rates) | class_bit(AssetClass::Credit);
    let l = |asset_classes, tenants, max_rfqs_per_sec| LpRef {
        asset_classes,
        tenants,
        max_rfqs_per_sec,
        connected: true,
        enabled: true,
    };
    vec![
        l(all, 0b11, 1_000),
        l(class_bit(AssetClass::Fx), 0b01, 1_000),
        l(all, 0b10, 50),
        l(all, 0b11, 1_000),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Life {
    Open(RfqState),
    Traded,
    Expired,
    Cancelled,
}

#[derive(Debug)]
struct ModelRfq {
    life: Life,
    tenant: TenantId,
    user: UserId,
    expires_at: u64,
    size: i64,
    min_size: i64,
    partial_allowed: bool,
    /// Price, validity and size of each quote taken.
    quotes: HashMap<QuoteId, (i64, u64, i64)>,
    trades: u32,
}

/// Runs one simulation; returns an FNV-1a hash of every event and the number of events.
fn simulate(seed: u64, steps: u64) -> (u64, u64, HashMap<&'static str, u64>) {
    let config = EngineConfig {
        capacity: 64,
        min_expiry_ns: SECOND / 2,
        max_expiry_ns: 20 * SECOND,
        last_look: LastLook {
            max_quote_age_ns: 3 * SECOND,
            max_drift_bp: 30,
        },
        max_users: 16,
        orders: OrderRules::default(),
    };
    let users = users();
    let lps = lps();
    let instruments = instruments();
    let mut engine = RfqEngine::new(config, &instruments, &users, 2, &lps).unwrap();
    let mut rng = Rng(seed | 1);
    let mut now = T0;
    let mut mids: Vec<i64> = vec![2_000_000, 300_000, 200_000_000, 100_000, 2_500_000];
    let mut known: Vec<RfqId> = Vec::new();
    let mut sent_quotes: Vec<(RfqId, LpId, u64)> = Vec::new();
    let mut model: HashMap<RfqId, ModelRfq> = HashMap::new();
    let mut kill_global = false;
    let mut kill_tenant = [false; 2];
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut events = 0u64;
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    let mut next_request = 1u64;
    let mut pending_create: HashMap<RequestId, (TenantId, UserId, u64, i64)> = HashMap::new();
    let mut last_breach: Option<(RequestId, Reason)> = None;
    let mut pending_accept: Option<(RfqId, QuoteId)> = None;
    let mut open = 0usize;

    for (i, mid) in mids.iter().enumerate() {
        engine.handle_mid(InstrumentId::from_index(i as u32), *mid * 2);
    }

    for _ in 0..steps {
        now += rng.below(40_000_000);
        let roll = rng.below(100);
        let mut outputs: Vec<RfqEvent> = Vec::new();
        let mut emit = |e: RfqEvent| outputs.push(e);
        let request = RequestId(next_request);
        next_request += 1;
        match roll {
            0..=14 => {
                let i = rng.below(mids.len() as u64) as usize;
                let step = rng.below(21) as i64 - 10;
                mids[i] = (mids[i] + step * (mids[i] / 10_000).max(1)).max(10);
                engine.handle_mid(InstrumentId::from_index(i as u32), mids[i] * 2);
                continue;
            }
            15..=29 => {
                let u = rng.below(users.len() as u64) as u32;
                let tenant = if rng.chance(3) {
                    TenantId(1 - users[u as usize].tenant.0)
                } else {
                    users[u as usize].tenant
                };
                let size = if rng.chance(2) {
                    -(rng.below(10) as i64)
                } else {
                    100 * (1 + rng.below(5_000) as i64)
                };
                let lifetime = if rng.chance(2) {
                    rng.below(SECOND)
                } else {
                    SECOND + rng.below(8 * SECOND)
                };
                let command = Command::CreateRfq {
                    request,
                    tenant,
                    user: UserId(u),
                    instrument: InstrumentId::from_index(rng.below(mids.len() as u64 + 1) as u32),
                    side: if rng.chance(50) {
                        Side::Buy
                    } else {
                        Side::Sell
                    },
                    size,
                    expires_at: now + lifetime,
                    // Some RFQs take quotes for half their size, some allow partial fills.
                    min_size: if rng.chance(30) { size / 2 } else { 0 },
                    partial_allowed: rng.chance(40),
                };
                pending_create.insert(request, (tenant, UserId(u), now + lifetime, size));
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            30..=64 => {
                if known.is_empty() {
                    continue;
                }
                let (rfq, lp, lp_quote_id) = if rng.chance(8) && !sent_quotes.is_empty() {
                    sent_quotes[rng.below(sent_quotes.len() as u64) as usize]
                } else {
                    let rfq = pick(&mut rng, &known);
                    (rfq, LpId(rng.below(lps.len() as u64 + 1) as u8), rng.next())
                };
                sent_quotes.push((rfq, lp, lp_quote_id));
                if sent_quotes.len() > 4_096 {
                    sent_quotes.drain(..2_048);
                }
                let view_size = engine.view(rfq).map_or(100, |v| v.size());
                // Mostly near the RFQ's own mid (within ~40 bp), sometimes anywhere.
                let mid = match engine.view(rfq) {
                    Some(v) if rng.chance(90) => {
                        let m = mids[v.instrument().index()];
                        m + (rng.below(81) as i64 - 40) * (m / 10_000).max(1) - 100
                    }
                    _ => mids[rng.below(mids.len() as u64) as usize],
                };
                let command = Command::Quote {
                    rfq,
                    lp,
                    lp_quote_id,
                    price: (mid + rng.below(200) as i64 - 100).max(if rng.chance(1) {
                        -1
                    } else {
                        1
                    }),
                    size: if rng.chance(3) {
                        view_size - 1
                    } else if rng.chance(20) {
                        view_size / 2
                    } else {
                        view_size
                    },
                    valid_until: now + rng.below(4 * SECOND),
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            65..=82 => {
                if known.is_empty() {
                    continue;
                }
                let retry = rng.chance(10) && pending_accept.is_some();
                let (rfq, quote) = if retry {
                    pending_accept.unwrap()
                } else {
                    let rfq = pick(&mut rng, &known);
                    let quote = match engine.view(rfq) {
                        Some(v) if rng.chance(85) => {
                            v.best(now).map_or(QuoteId(rng.next()), |q| q.quote)
                        }
                        Some(v) => v.quotes().next().map_or(QuoteId(0), |q| q.quote),
                        None => QuoteId(rng.below(1_000)),
                    };
                    (rfq, quote)
                };
                pending_accept = Some((rfq, quote));
                let (tenant, user) = match model.get(&rfq) {
                    Some(m) if !rng.chance(5) => (m.tenant, m.user),
                    _ => (
                        TenantId(rng.below(2) as u16),
                        UserId(rng.below(users.len() as u64) as u32),
                    ),
                };
                let command = Command::Accept {
                    request,
                    tenant,
                    user,
                    rfq,
                    quote,
                    // Mostly the default fill; sometimes an explicit, possibly partial, size.
                    size: match engine.view(rfq) {
                        Some(v) if rng.chance(25) => rng.below(v.size() as u64 + 2) as i64,
                        _ => 0,
                    },
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            83..=88 => {
                if known.is_empty() {
                    continue;
                }
                let rfq = pick(&mut rng, &known);
                let (tenant, user) = match model.get(&rfq) {
                    Some(m) if !rng.chance(5) => (m.tenant, m.user),
                    _ => (TenantId(0), UserId(0)),
                };
                let command = Command::Cancel {
                    request,
                    tenant,
                    user,
                    rfq,
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            89..=94 => engine.handle_timer(now, &mut emit),
            95 => {
                let enabled = rng.chance(15);
                let scope = if rng.chance(30) {
                    kill_global = enabled;
                    KillScope::Global
                } else {
                    let t = rng.below(2) as usize;
                    kill_tenant[t] = enabled;
                    KillScope::Tenant(TenantId(t as u16))
                };
                let command = Command::SetKillSwitch {
                    request,
                    scope,
                    enabled,
                    cancel_resting: false,
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            96 => {
                let command = Command::SetUserLimits {
                    request,
                    user: UserId(rng.below(users.len() as u64) as u32),
                    max_notional: [1_000, 50_000_000, i64::MAX][rng.below(3) as usize],
                    max_rfqs_per_sec: 1 + rng.below(30) as u32,
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            97 => {
                let command = Command::SetTenantLimit {
                    request,
                    tenant: TenantId(rng.below(2) as u16),
                    max_open_notional: [10_000, 1_000_000_000, i64::MAX][rng.below(3) as usize],
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
            _ => {
                let command = Command::SetLpConnected {
                    lp: LpId(rng.below(lps.len() as u64) as u8),
                    connected: rng.chance(70),
                };
                engine.handle(&EngineCommand { at: now, command }, &mut emit);
            }
        }

        let mut accepted: Option<(RfqId, QuoteId)> = None;
        for event in outputs {
            events += 1;
            for byte in format!("{event:?}").bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
            }
            let name = match event {
                RfqEvent::RfqCreated {
                    request,
                    rfq,
                    tenant,
                    user,
                    size,
                    expires_at,
                    lps,
                    min_size,
                    partial_allowed,
                    at,
                    ..
                } => {
                    assert!((0..=size).contains(&min_size));
                    let (t, u, e, s) = pending_create[&request];
                    assert_eq!((tenant, user, expires_at, size), (t, u, e, s));
                    assert!(!model.contains_key(&rfq), "RFQ ids are unique");
                    assert!(
                        !kill_global && !kill_tenant[tenant.0 as usize],
                        "kill switch blocks new RFQs at once"
                    );
                    assert!(size > 0 && expires_at > at && lps != 0);
                    assert!(RfqState::Created.can_become(RfqState::Sent));
                    model.insert(
                        rfq,
                        ModelRfq {
                            life: Life::Open(RfqState::Sent),
                            tenant,
                            user,
                            expires_at,
                            size,
                            min_size,
                            partial_allowed,
                            quotes: HashMap::new(),
                            trades: 0,
                        },
                    );
                    known.push(rfq);
                    open += 1;
                    "created"
                }
                RfqEvent::Refused {
                    request, reason, ..
                } => {
                    if matches!(reason, Reason::KillSwitchGlobal) {
                        assert!(kill_global);
                    }
                    if reason.is_risk_breach() {
                        assert_eq!(
                            last_breach.take(),
                            Some((request, reason)),
                            "a risk refusal follows its breach"
                        );
                    }
                    "refused"
                }
                RfqEvent::RiskLimitBreached {
                    request, reason, ..
                } => {
                    assert!(reason.is_risk_breach());
                    last_breach = Some((request, reason));
                    "breach"
                }
                RfqEvent::QuoteReceived {
                    rfq,
                    quote,
                    price,
                    size,
                    valid_until,
                    at,
                    ..
                } => {
                    let m = model.get_mut(&rfq).expect("quotes only for known RFQs");
                    let Life::Open(state) = m.life else {
                        panic!("quote taken by a closed RFQ {rfq:?}: {:?}", m.life)
                    };
                    assert!(state == RfqState::Quoting || state.can_become(RfqState::Quoting));
                    let least = if m.min_size > 0 { m.min_size } else { m.size };
                    assert!(at < m.expires_at && price > 0 && valid_until > at);
                    assert!(size >= least, "quotes below the minimum size are not taken");
                    m.life = Life::Open(RfqState::Quoting);
                    assert!(
                        m.quotes.insert(quote, (price, valid_until, size)).is_none(),
                        "quote ids are unique"
                    );
                    assert!(m.quotes.len() <= 4 * MAX_QUOTES);
                    "quote"
                }
                RfqEvent::QuoteDiscarded { .. } => "discarded",
                RfqEvent::QuoteAcceptanceRejected { rfq, .. } => {
                    let m = &model[&rfq];
                    assert_eq!(
                        m.life,
                        Life::Open(RfqState::Quoting),
                        "last look keeps the RFQ open"
                    );
                    "last-look"
                }
                RfqEvent::QuoteAccepted { rfq, quote, .. } => {
                    accepted = Some((rfq, quote));
                    "accepted"
                }
                RfqEvent::TradeExecuted {
                    rfq,
                    quote,
                    price,
                    size,
                    at,
                    ..
                } => {
                    assert_eq!(
                        accepted.take(),
                        Some((rfq, quote)),
                        "a trade follows its acceptance"
                    );
                    let m = model.get_mut(&rfq).expect("trades only for known RFQs");
                    assert_eq!(
                        m.life,
                        Life::Open(RfqState::Quoting),
                        "only an open, quoted RFQ trades"
                    );
                    assert!(
                        RfqState::Quoting.can_become(RfqState::Accepted)
                            && RfqState::Accepted.can_become(RfqState::Traded)
                    );
                    m.trades += 1;
                    assert_eq!(m.trades, 1, "at most one trade per RFQ");
                    let (quoted, valid_until, covered) = m.quotes[&quote];
                    assert_eq!(price, quoted, "trade price is the accepted quote's price");
                    assert!(size <= m.size && size <= covered && size >= m.min_size && size > 0);
                    assert!(
                        size == m.size || m.partial_allowed,
                        "less than the RFQ's size only when partial fills are allowed"
                    );
                    assert!(at < m.expires_at, "no trade after expiry");
                    assert!(at < valid_until, "no trade on an expired quote");
                    m.life = Life::Traded;
                    open -= 1;
                    "traded"
                }
                RfqEvent::RfqExpired { rfq, at } => {
                    let m = model.get_mut(&rfq).unwrap();
                    let Life::Open(state) = m.life else {
                        panic!("expired twice or after close")
                    };
                    assert!(state.can_become(RfqState::Expired));
                    assert!(at >= m.expires_at, "expiry from event time");
                    m.life = Life::Expired;
                    open -= 1;
                    "expired"
                }
                RfqEvent::RfqCancelled { rfq, at, .. } => {
                    let m = model.get_mut(&rfq).unwrap();
                    let Life::Open(state) = m.life else {
                        panic!("cancelled after close")
                    };
                    assert!(state.can_become(RfqState::Cancelled));
                    assert!(at < m.expires_at);
                    m.life = Life::Cancelled;
                    open -= 1;
                    "cancelled"
                }
                RfqEvent::KillSwitchChanged { .. } => "kill-switch",
                RfqEvent::LimitsChanged { .. } => "limits",
                RfqEvent::Order { .. } | RfqEvent::OrderRejected { .. } => {
                    panic!("no order was placed, yet the book answered: {event:?}")
                }
            };
            *counts.entry(name).or_default() += 1;
        }
        assert!(
            accepted.is_none(),
            "every acceptance executes in the same step"
        );
        assert_eq!(
            engine.open_rfqs(),
            open,
            "engine and model agree on open RFQs"
        );
        assert!(engine.open_rfqs() <= 64);
        if model.len() > 20_000 {
            model
                .retain(|_, m| matches!(m.life, Life::Open(_)) || m.expires_at + 60 * SECOND > now);
            known.retain(|r| model.contains_key(r));
        }
    }
    (hash, events, counts)
}

#[test]
fn million_step_simulation_keeps_the_invariants_and_replays_identically() {
    let (hash, events, counts) = simulate(0x5EED, STEPS);
    println!("{events} events over {STEPS} steps: {counts:?}");
    for kind in [
        "created",
        "quote",
        "traded",
        "expired",
        "cancelled",
        "last-look",
        "discarded",
        "breach",
        "refused",
    ] {
        assert!(
            counts.get(kind).copied().unwrap_or(0) > 100,
            "{kind} exercised: {counts:?}"
        );
    }
    let (again, events_again, _) = simulate(0x5EED, STEPS);
    assert_eq!(
        (hash, events),
        (again, events_again),
        "same seed, byte-identical output"
    );
    let (other, _, _) = simulate(0xD1FF, STEPS / 10);
    let (prefix, _, _) = simulate(0x5EED, STEPS / 10);
    assert_ne!(prefix, other, "another seed explores another history");
}
