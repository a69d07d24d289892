//! Rebuilding the engine from the store on start: reference data, limits, kill switches, open
//! RFQs with their live quotes, and the id sequences — so a restart (even after `kill -9`)
//! continues where the last committed decision left off.

use orion_hotpath::rfq::engine::{OpenQuote, OpenRfq, Sequences};
use orion_hotpath::rfq::*;
use orion_hotpath::{InstrumentId, InstrumentTable};
use orion_store::Store;

use crate::admin::AdminService;
use crate::directory::Directory;

/// Default per-RFQ notional limit of a user, whole currency units.
pub const DEFAULT_MAX_NOTIONAL: i64 = 1_000_000_000;
/// Default RFQs per second per user.
pub const DEFAULT_MAX_RFQS_PER_SEC: u32 = 50;

/// The engine's view of a slot no instrument holds yet: no mid ever, so nothing trades on it.
const VACANT_INSTRUMENT: InstrumentRef = InstrumentRef {
    asset_class: orion_hotpath::AssetClass::Fx,
    price_scale: 0,
    size_scale: 0,
};

/// Puts the instruments defined at runtime before a restart back in their slots of `table`;
/// returns their simulator entries, in slot order.
pub async fn restore_instruments(
    store: &Store,
    table: &InstrumentTable,
) -> Result<Vec<orion_bridge::catalog::CatalogEntry>, RecoveryError> {
    let mut entries = Vec::new();
    for record in store.instruments().await? {
        let id = InstrumentId::from_index(record.index as u32);
        if table.spec(id).is_some() {
            continue;
        }
        let asset_class = orion_hotpath::AssetClass::from_name(&record.asset_class)
            .unwrap_or(orion_hotpath::AssetClass::Credit);
        let scale = record.price_scale as u8;
        let tick = orion_hotpath::Price::parse(&record.tick_size, scale);
        let reference = orion_hotpath::Price::parse(&record.reference_price, scale);
        let (Ok(tick), Ok(reference)) = (tick, reference) else {
            tracing::warn!(
                instrument = record.instrument_id,
                "stored instrument unreadable; left out"
            );
            continue;
        };
        let spec = orion_hotpath::InstrumentSpec {
            symbol: record.instrument_id.clone(),
            asset_class,
            price_scale: scale,
            tick_size: tick.units(),
            size_scale: record.size_scale as u8,
        };
        if let Err(err) = table.activate_at(id, spec.clone()) {
            tracing::warn!(instrument = record.instrument_id, cause = %err, "stored instrument does not fit; left out");
            continue;
        }
        entries.push(orion_bridge::catalog::runtime_entry(spec, reference));
    }
    Ok(entries)
}

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

/// Why the engine could not be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] orion_store::StoreError),
    /// The engine refused its configuration or a restored RFQ.
    #[error("engine: {0}")]
    Engine(#[from] EngineError),
}

/// Builds the engine for `instruments` and the parties of `directory`, and restores it from
/// `store`.
pub async fn engine(
    store: &Store,
    instruments: &InstrumentTable,
    directory: &Directory,
    config: EngineConfig,
) -> Result<(RfqEngine, Recovered), RecoveryError> {
    // One per slot, vacant ones included (defined later by a `DefineInstrument` command).
    let refs: Vec<InstrumentRef> = (0..instruments.len() as u32)
        .map(|i| {
            instruments
                .spec(InstrumentId::from_index(i))
                .map_or(VACANT_INSTRUMENT, |s| InstrumentRef {
                    asset_class: s.asset_class,
                    price_scale: s.price_scale,
                    size_scale: s.size_scale,
                })
        })
        .collect();
    let tenants = directory.tenant_count();
    let lps = AdminService::engine_lps(directory, tenants);
    let mut engine = RfqEngine::new(config, &refs, &[], tenants, &lps)?;
    let mut ignore = |_| {};
    // Every user the directory holds takes its slot, with its stored limits.
    let limits = store.user_limits().await?;
    for (id, user) in directory.all_users() {
        let row = limits
            .iter()
            .find(|r| r.tenant == user.tenant && r.user == user.user);
        let stored = (
            row.map_or(DEFAULT_MAX_NOTIONAL, |r| r.max_notional),
            row.map_or(DEFAULT_MAX_RFQS_PER_SEC, |r| r.max_rfqs_per_sec as u32),
        );
        if let Some(profile) = AdminService::engine_user(directory, &user, stored) {
            let command = Command::SetUser { user: id, profile };
            engine.handle(&EngineCommand { at: 0, command }, &mut ignore);
        }
    }

    for (tenant, limit) in store.tenant_limits().await? {
        if let Some(tenant) = directory.tenant_id(&tenant) {
            let command = Command::SetTenantLimit {
                request: RequestId(0),
                tenant,
                max_open_notional: limit,
            };
            engine.handle(&EngineCommand { at: 0, command }, &mut ignore);
        }
    }
    for switch in store.kill_switches().await? {
        let scope = if switch.scope == "global" {
            KillScope::Global
        } else {
            match directory.tenant_id(&switch.tenant) {
                Some(t) => KillScope::Tenant(t),
                None => continue,
            }
        };
        let command = Command::SetKillSwitch {
            request: RequestId(0),
            scope,
            enabled: switch.enabled,
            cancel_resting: false,
        };
        engine.handle(&EngineCommand { at: 0, command }, &mut ignore);
    }

    let last = store.last_ids().await?;
    let (last_order, _) = store.order_high_water().await?;
    engine.restore_sequences(Sequences {
        next_serial: RfqId::from_raw(last.rfq).serial() + 1,
        next_quote: last.quote + 1,
        next_trade: last.trade + 1,
        next_order: orion_hotpath::book::OrderId(last_order as u64)
            .generation()
            .saturating_add(1),
    });

    let mut recovered = Recovered {
        last_outbox_position: last.outbox_position,
        ..Recovered::default()
    };
    for row in store.open_rfqs().await? {
        let rfq = RfqId::from_raw(row.rfq_id);
        let tenant = directory.tenant_id(&row.tenant);
        let user = directory.user_id(&row.tenant, &row.user);
        let instrument = instruments.id(&row.instrument);
        let (Some(tenant), Some(user), Some(instrument)) = (tenant, user, instrument) else {
            tracing::warn!(
                rfq = rfq.raw(),
                "open RFQ names unknown parties; left out of the engine"
            );
            continue;
        };
        let quotes: Vec<OpenQuote> = store
            .live_quotes(row.rfq_id, 12)
            .await?
            .iter()
            .map(|q| OpenQuote {
                quote: QuoteId(q.quote_id),
                lp: LpId(q.lp_index),
                lp_quote_id: q.lp_quote_id,
                price: q.price_units,
                size: q.size_units,
                valid_until: q.valid_until,
                received_at: q.received_at,
            })
            .collect();
        let open = OpenRfq {
            rfq,
            tenant,
            user,
            instrument: InstrumentId::from_index(instrument.raw()),
            side: if row.side == "BUY" {
                Side::Buy
            } else {
                Side::Sell
            },
            size: row.size_units,
            expires_at: row.expires_at,
            notional: row.notional,
            lps: row.lps,
            min_size: row.min_size,
            partial_allowed: row.partial_allowed,
        };
        engine.restore_rfq(open, &quotes)?;
        recovered.open_rfqs += 1;
        recovered.quotes += quotes.len();
    }
    Ok((engine, recovered))
}

/// The working orders put back into the books, for the journal; and the last resting priority.
pub struct RestoredOrders {
    /// One per resting order, in time priority.
    pub rows: Vec<orion_journal::orders::OrderRow>,
    /// The highest resting priority issued so far.
    pub last_priority: i64,
}

/// Opens an order book for every instrument of `catalog` (around its starting mid) and puts
/// the stored resting orders back in time priority, so every book holds the same orders in the
/// same queues as before the restart.
pub async fn restore_orders(
    engine: &mut RfqEngine,
    store: &Store,
    instruments: &InstrumentTable,
    directory: &Directory,
    catalog: &[orion_bridge::catalog::CatalogEntry],
) -> Result<RestoredOrders, RecoveryError> {
    for entry in catalog {
        if let Some(id) = instruments.id(&entry.spec.symbol) {
            engine.open_book(
                InstrumentId::from_index(id.raw()),
                entry.initial_mid.units(),
                entry.spec.tick_size,
            );
        }
    }
    let (_, last_priority) = store.order_high_water().await?;
    let mut rows = Vec::new();
    for record in store.resting_orders().await? {
        let user = directory.user_id(&record.tenant, &record.user);
        let instrument = instruments.id(&record.instrument);
        let (Some(user), Some(instrument)) = (user, instrument) else {
            tracing::warn!(
                order = record.order_id,
                "resting order names unknown parties; left out of the book"
            );
            continue;
        };
        let spec = instruments.spec(instrument).expect("id from this table");
        let order = orion_hotpath::book::RestingOrder {
            id: orion_hotpath::book::OrderId(record.order_id as u64),
            instrument: InstrumentId::from_index(instrument.raw()),
            user,
            side: if record.side == "BUY" {
                Side::Buy
            } else {
                Side::Sell
            },
            price: record.price_units,
            original: record.original_units,
            remaining: record.remaining_units,
            filled: record.filled_units,
        };
        engine.restore_order(order)?;
        // The running value behind the average price, from the stored average.
        let avg = record
            .avg_price
            .as_deref()
            .and_then(|p| orion_hotpath::Price::parse(p, spec.price_scale).ok())
            .map_or(0, |p| p.units());
        rows.push(orion_journal::orders::OrderRow {
            value: i128::from(avg) * i128::from(record.filled_units),
            price_scale: spec.price_scale,
            size_scale: spec.size_scale,
            record,
        });
    }
    Ok(RestoredOrders {
        rows,
        last_priority,
    })
}
