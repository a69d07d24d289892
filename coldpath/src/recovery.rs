//! Rebuilding the engine from the store on start: reference data, limits, kill switches, open
//! RFQs with their live quotes, and the id sequences — so a restart (even after `kill -9`)
//! continues where the last committed decision left off.

use orion_hotpath::rfq::engine::{OpenQuote, OpenRfq, Sequences, class_bit};
use orion_hotpath::rfq::*;
use orion_hotpath::{InstrumentId, InstrumentTable};
use sqlx::Row;

use crate::identity::DEMO_USERS;
use crate::store::Store;
use crate::store::reference::{LPS, TENANTS};

/// Default per-RFQ notional limit of a user, whole currency units.
pub const DEFAULT_MAX_NOTIONAL: i64 = 1_000_000_000;
/// Default RFQs per second per user.
pub const DEFAULT_MAX_RFQS_PER_SEC: u32 = 50;

/// What recovery found besides the engine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recovered {
    /// Open RFQs put back.
    pub open_rfqs: usize,
    /// Live quotes put back.
    pub quotes: usize,
    /// Last outbox position written.
    pub last_outbox_position: i64,
}

/// Builds the engine for `instruments` and restores it from `store`.
pub async fn engine(
    store: &Store,
    instruments: &InstrumentTable,
    config: EngineConfig,
) -> anyhow::Result<(RfqEngine, Recovered)> {
    let refs: Vec<InstrumentRef> = instruments
        .iter()
        .map(|(_, s)| InstrumentRef {
            asset_class: s.asset_class,
            price_scale: s.price_scale,
            size_scale: s.size_scale,
        })
        .collect();
    let limits =
        sqlx::query("SELECT tenant_id, user_id, max_notional, max_rfqs_per_sec FROM risk_limits")
            .fetch_all(store.pool())
            .await?;
    let users: Vec<UserRef> = DEMO_USERS
        .iter()
        .map(|u| {
            let tenant = TENANTS.iter().position(|t| *t == u.tenant).unwrap_or(0);
            let row = limits
                .iter()
                .find(|r| r.get::<String, _>(0) == u.tenant && r.get::<String, _>(1) == u.username);
            UserRef {
                tenant: TenantId(tenant as u16),
                entitlements: u.entitlements.iter().fold(0, |m, c| m | class_bit(*c)),
                max_notional: row.map_or(DEFAULT_MAX_NOTIONAL, |r| r.get::<i64, _>(2)),
                max_rfqs_per_sec: row
                    .map_or(DEFAULT_MAX_RFQS_PER_SEC, |r| r.get::<i64, _>(3) as u32),
            }
        })
        .collect();
    let every_class = class_bit(orion_hotpath::AssetClass::Fx)
        | class_bit(orion_hotpath::AssetClass::Rates)
        | class_bit(orion_hotpath::AssetClass::Credit);
    let lps: Vec<LpRef> = LPS
        .iter()
        .map(|(_, throttle)| LpRef {
            asset_classes: every_class,
            tenants: (1 << TENANTS.len()) - 1,
            max_rfqs_per_sec: *throttle as u32,
            // Connected when the LP says hello on the QUIC gateway.
            connected: false,
        })
        .collect();
    let mut engine = RfqEngine::new(config, &refs, &users, TENANTS.len(), &lps)?;
    let mut ignore = |_| {};

    for row in sqlx::query("SELECT tenant_id, max_open_notional FROM tenant_limits")
        .fetch_all(store.pool())
        .await?
    {
        if let Some(t) = TENANTS.iter().position(|t| *t == row.get::<String, _>(0)) {
            let command = Command::SetTenantLimit {
                request: RequestId(0),
                tenant: TenantId(t as u16),
                max_open_notional: row.get(1),
            };
            engine.handle(&EngineCommand { at: 0, command }, &mut ignore);
        }
    }
    for row in sqlx::query("SELECT scope, tenant_id, enabled FROM kill_switches")
        .fetch_all(store.pool())
        .await?
    {
        let scope = if row.get::<String, _>(0) == "global" {
            KillScope::Global
        } else {
            match TENANTS.iter().position(|t| *t == row.get::<String, _>(1)) {
                Some(t) => KillScope::Tenant(TenantId(t as u16)),
                None => continue,
            }
        };
        let command = Command::SetKillSwitch {
            request: RequestId(0),
            scope,
            enabled: row.get::<i64, _>(2) != 0,
        };
        engine.handle(&EngineCommand { at: 0, command }, &mut ignore);
    }

    let (max_rfq, max_quote, max_trade, max_position): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(rfq_id), 0) FROM rfqs), (SELECT COALESCE(MAX(quote_id), 0) FROM quotes), \
         (SELECT COALESCE(MAX(trade_id), 0) FROM trades), (SELECT COALESCE(MAX(position), 0) FROM outbox_events)",
    )
    .fetch_one(store.pool())
    .await?;
    engine.restore_sequences(Sequences {
        next_serial: RfqId::from_raw(max_rfq as u64).serial() + 1,
        next_quote: max_quote as u64 + 1,
        next_trade: max_trade as u64 + 1,
    });

    let mut recovered = Recovered {
        last_outbox_position: max_position,
        ..Recovered::default()
    };
    let open = sqlx::query(
        "SELECT rfq_id, tenant_id, user_id, instrument_id, side, size_units, expires_at, notional, lps FROM rfqs \
         WHERE status IN ('SENT', 'QUOTING') ORDER BY rfq_id",
    )
    .fetch_all(store.pool())
    .await?;
    for row in open {
        let rfq = RfqId::from_raw(row.get::<i64, _>(0) as u64);
        let tenant = TENANTS.iter().position(|t| *t == row.get::<String, _>(1));
        let user = DEMO_USERS
            .iter()
            .position(|u| u.username == row.get::<String, _>(2));
        let instrument = instruments.id(&row.get::<String, _>(3));
        let (Some(tenant), Some(user), Some(instrument)) = (tenant, user, instrument) else {
            tracing::warn!(
                rfq = rfq.raw(),
                "open RFQ names unknown parties; left out of the engine"
            );
            continue;
        };
        let quotes: Vec<OpenQuote> = sqlx::query(
            "SELECT quote_id, lp_index, lp_quote_id, price_units, size_units, valid_until, received_at FROM quotes \
             WHERE rfq_id = $1 AND status = 'LIVE' ORDER BY quote_id LIMIT 12",
        )
        .bind(rfq.raw() as i64)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|q| OpenQuote {
            quote: QuoteId(q.get::<i64, _>(0) as u64),
            lp: LpId(q.get::<i64, _>(1) as u8),
            lp_quote_id: q.get::<String, _>(2).parse().unwrap_or(0),
            price: q.get(3),
            size: q.get(4),
            valid_until: q.get::<i64, _>(5) as u64,
            received_at: q.get::<i64, _>(6) as u64,
        })
        .collect();
        let open = OpenRfq {
            rfq,
            tenant: TenantId(tenant as u16),
            user: UserId(user as u32),
            instrument: InstrumentId::from_index(instrument.raw()),
            side: if row.get::<String, _>(4) == "BUY" {
                Side::Buy
            } else {
                Side::Sell
            },
            size: row.get(5),
            expires_at: row.get::<i64, _>(6) as u64,
            notional: row.get(7),
            lps: row.get::<i64, _>(8) as u64,
        };
        engine.restore_rfq(open, &quotes)?;
        recovered.open_rfqs += 1;
        recovered.quotes += quotes.len();
    }
    Ok((engine, recovered))
}
