//! The journal's group commit: rows a batch of decisions stages instead of writing one
//! statement each — new RFQs, quotes, trades, outbox envelopes, audit entries and idempotent
//! answers (inserts nothing in the batch reads back), the final state of every RFQ and quote the
//! batch changed (the engine's decisions arrive in order, so the last one staged is the state to
//! keep), and kill-switch and limit changes. [`Store::commit_batch`] writes them as multi-row
//! statements in **one transaction** — an RFQ created in the batch is inserted with its final
//! state, inserts go before the updates that refer to them — so the batch stays one atomic unit
//! while the number of round trips stops growing with its size.

use std::collections::BTreeMap;

use sqlx::{Any, Transaction};

use crate::directory::{FeatureFlags, InstrumentRecord, LpRecord, UserRecord, VenueRecord};
use crate::{Store, StoreError};

/// Bind parameters per statement. Postgres takes up to 65,535 and gains from fewer round trips.
/// SQLite looks each numbered parameter up in a list (linear per parameter, so a statement's
/// binding cost grows with the square of its parameter count): a few hundred per statement is
/// the sweet spot there.
fn max_params(sqlite: bool) -> usize {
    if sqlite { 128 } else { 6_000 }
}

/// One new RFQ.
pub struct RfqInsert {
    /// Column `rfq_id`.
    pub rfq_id: i64,
    /// Column `tenant`.
    pub tenant: String,
    /// Column `user`.
    pub user: String,
    /// Column `instrument`.
    pub instrument: String,
    /// Column `side`.
    pub side: &'static str,
    /// Column `size`.
    pub size: String,
    /// Column `size_units`.
    pub size_units: i64,
    /// Column `status`.
    pub status: &'static str,
    /// Column `expires_at`.
    pub expires_at: i64,
    /// Column `created_at`.
    pub created_at: i64,
    /// Column `updated_at`.
    pub updated_at: i64,
    /// Column `notional`.
    pub notional: i64,
    /// Column `lps`.
    pub lps: i64,
    /// Column `mid`.
    pub mid: Option<String>,
    /// Column `correlation_id`.
    pub correlation_id: String,
    /// Column `trade_id`.
    pub trade_id: Option<i64>,
    /// Column `min_size` (size units; 0 = the whole size).
    pub min_size: i64,
    /// Column `partial_allowed`.
    pub partial_allowed: bool,
}

/// An RFQ's latest state in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RfqState {
    /// Column `status`.
    pub status: &'static str,
    /// Column `updated_at`.
    pub updated_at: i64,
    /// Column `trade_id`.
    pub trade_id: Option<i64>,
}

/// One quote.
pub struct QuoteInsert {
    /// Column `quote_id`.
    pub quote_id: i64,
    /// Column `tenant`.
    pub tenant: String,
    /// Column `rfq_id`.
    pub rfq_id: i64,
    /// Column `lp_id`.
    pub lp_id: String,
    /// Column `lp_index`.
    pub lp_index: i64,
    /// Column `lp_quote_id`.
    pub lp_quote_id: String,
    /// Column `price`.
    pub price: String,
    /// Column `price_units`.
    pub price_units: i64,
    /// Column `size_units`.
    pub size_units: i64,
    /// Column `valid_until`.
    pub valid_until: i64,
    /// Column `received_at`.
    pub received_at: i64,
}

/// One trade.
pub struct TradeInsert {
    /// Column `trade_id`.
    pub trade_id: i64,
    /// Column `tenant`.
    pub tenant: String,
    /// Column `rfq_id`.
    pub rfq_id: i64,
    /// Column `quote_id`.
    pub quote_id: i64,
    /// Column `user`.
    pub user: String,
    /// Column `lp_id`.
    pub lp_id: String,
    /// Column `instrument`.
    pub instrument: String,
    /// Column `side`.
    pub side: String,
    /// Column `price`.
    pub price: String,
    /// Column `size`.
    pub size: String,
    /// Column `executed_at`.
    pub executed_at: i64,
    /// Column `correlation_id`.
    pub correlation_id: String,
    /// Column `partial`: filled less than the RFQ asked.
    pub partial: bool,
    /// Column `venue`: `RFQ` or `CLOB`.
    pub venue: &'static str,
    /// Columns `maker_order_id`, `taker_order_id` (CLOB trades).
    pub orders: Option<(i64, i64)>,
}

/// One outbox row.
pub struct OutboxInsert {
    /// Column `event_id`.
    pub event_id: String,
    /// Column `correlation_id`.
    pub correlation_id: String,
    /// Column `position`.
    pub position: i64,
    /// Column `tenant`.
    pub tenant: String,
    /// Column `topic`.
    pub topic: String,
    /// Column `key`.
    pub key: String,
    /// Column `event_type`.
    pub event_type: String,
    /// Column `envelope`.
    pub envelope: String,
    /// Column `at`.
    pub at: i64,
    /// Column `trace_parent`: the W3C `traceparent` of the request that caused it, or empty.
    pub trace_parent: String,
}

/// One audit row.
pub struct AuditInsert {
    /// Column `audit_id`.
    pub audit_id: String,
    /// Column `tenant`.
    pub tenant: String,
    /// Column `actor`.
    pub actor: String,
    /// Column `action`.
    pub action: String,
    /// Column `entity_type`.
    pub entity_type: String,
    /// Column `entity_id`.
    pub entity_id: String,
    /// Column `correlation_id`.
    pub correlation_id: String,
    /// Column `detail`.
    pub detail: String,
    /// Column `at`.
    pub at: i64,
}

/// One stored idempotent response.
pub struct IdempotencyInsert {
    /// Column `tenant`.
    pub tenant: String,
    /// Column `user`.
    pub user: String,
    /// Column `operation`.
    pub operation: &'static str,
    /// Column `key`.
    pub key: String,
    /// The typed answer, as JSON.
    pub response: String,
    /// Column `at`.
    pub at: i64,
}

/// Everything one batch staged.
#[derive(Default)]
pub struct Staged {
    /// New RFQs.
    pub rfqs: Vec<RfqInsert>,
    /// Latest state of each RFQ changed in the batch.
    pub rfq_state: BTreeMap<i64, RfqState>,
    /// New quotes.
    pub quotes: Vec<QuoteInsert>,
    /// New trades.
    pub trades: Vec<TradeInsert>,
    /// Final status of each quote accepted or rejected in the batch.
    pub quote_status: BTreeMap<i64, &'static str>,
    /// Outbox envelopes.
    pub outbox: Vec<OutboxInsert>,
    /// Audit entries.
    pub audit: Vec<AuditInsert>,
    /// Idempotent answers.
    pub idempotency: Vec<IdempotencyInsert>,
    /// Kill switches set in the batch.
    pub kill_switches: Vec<KillSwitchUpsert>,
    /// User limits set in the batch.
    pub user_limits: Vec<UserLimitUpsert>,
    /// Tenant limits set in the batch.
    pub tenant_limits: Vec<TenantLimitUpsert>,
    /// Directory changes (users, LPs, venues, feature flags), in order.
    pub directory: Vec<DirectoryWrite>,
    /// Confirmations and settlement steps, in order.
    pub posttrade: Vec<PostTradeWrite>,
    /// Latest state of each order changed in the batch.
    pub orders: BTreeMap<i64, crate::orders::OrderRecord>,
    /// New fills.
    pub fills: Vec<crate::orders::FillRecord>,
}

/// A post-trade step, written with the batch it was committed in.
#[derive(Debug, Clone)]
pub enum PostTradeWrite {
    /// A trade's confirmation is stored and its settlement saga starts `PENDING`.
    Confirm {
        /// The trade.
        trade_id: i64,
        /// Tenant.
        tenant: String,
        /// The trade's owner.
        owner: String,
        /// The confirmation document (JSON).
        document: String,
        /// When the first settlement attempt is due, ns.
        first_attempt_at: i64,
        /// When, ns.
        at: i64,
    },
    /// A saga moved.
    Settlement {
        /// The trade.
        trade_id: i64,
        /// New state.
        state: &'static str,
        /// Attempts started.
        attempt: i64,
        /// When its next step is due, ns.
        next_attempt_at: i64,
        /// When, ns.
        at: i64,
    },
    /// A consumer applied an event (recorded with the writes it caused).
    Processed {
        /// Consumer.
        consumer: String,
        /// Event id.
        event_id: String,
        /// Tenant.
        tenant: String,
        /// When, ns.
        at: i64,
    },
}

/// A change to the directory, written with the batch it was committed in.
#[derive(Debug, Clone)]
pub enum DirectoryWrite {
    /// A new user, or a user's password, roles and entitlements replaced.
    User {
        /// The whole user.
        user: UserRecord,
        /// When.
        at: i64,
    },
    /// A user enabled or disabled.
    UserEnabled {
        /// Tenant.
        tenant: String,
        /// User.
        user: String,
        /// Enabled now.
        enabled: bool,
        /// When.
        at: i64,
    },
    /// An LP created or reconfigured.
    Lp {
        /// The whole LP.
        lp: LpRecord,
        /// When.
        at: i64,
    },
    /// An instrument defined or its reference data changed.
    Instrument {
        /// The whole instrument.
        instrument: InstrumentRecord,
        /// When.
        at: i64,
    },
    /// A venue created or reconfigured.
    Venue {
        /// The whole venue.
        venue: VenueRecord,
        /// When.
        at: i64,
    },
    /// A tenant's feature flags.
    FeatureFlags {
        /// Tenant.
        tenant: String,
        /// The flags.
        flags: FeatureFlags,
        /// When.
        at: i64,
    },
}

/// A kill switch's new state.
pub struct KillSwitchUpsert {
    /// `global` or `tenant:<id>`.
    pub scope: String,
    /// The tenant (`*` for the global switch).
    pub tenant: String,
    /// On or off.
    pub enabled: bool,
    /// When.
    pub at: i64,
    /// Who.
    pub changed_by: String,
}

/// A user's new limits.
pub struct UserLimitUpsert {
    /// Tenant.
    pub tenant: String,
    /// User.
    pub user: String,
    /// Per-RFQ notional.
    pub max_notional: i64,
    /// RFQs per second.
    pub max_rfqs_per_sec: i64,
    /// When.
    pub at: i64,
}

/// A tenant's new open-notional limit.
pub struct TenantLimitUpsert {
    /// Tenant.
    pub tenant: String,
    /// Limit.
    pub max_open_notional: i64,
    /// When.
    pub at: i64,
}

/// `INSERT INTO table (columns) VALUES ($1, …), ($n+1, …) suffix` for `rows` rows.
///
/// Built from constant table and column names and numbered placeholders only (values are
/// bound), hence safe to pass as dynamic SQL.
pub(crate) fn values_sql(
    table_and_columns: &str,
    columns: usize,
    rows: usize,
    suffix: &str,
) -> String {
    let mut sql = format!("INSERT INTO {table_and_columns} VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for col in 0..columns {
            if col > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&(row * columns + col + 1).to_string());
        }
        sql.push(')');
    }
    sql.push_str(suffix);
    sql
}

impl Staged {
    /// Records `rfq`'s latest state (a trade id is set once, with TRADED).
    pub fn set_rfq_state(
        &mut self,
        rfq: i64,
        status: &'static str,
        updated_at: i64,
        trade_id: Option<i64>,
    ) {
        self.rfq_state.insert(
            rfq,
            RfqState {
                status,
                updated_at,
                trade_id,
            },
        );
    }
}

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Store {
    /// Writes everything `staged` holds in one transaction and commits it.
    pub async fn commit_batch(&self, staged: &mut Staged) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        staged.flush(&mut tx, self.is_sqlite()).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Staged {
    /// Writes everything staged inside `tx`.
    async fn flush(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        sqlite: bool,
    ) -> Result<(), StoreError> {
        let rows = |columns: usize| (max_params(sqlite) / columns).max(1);
        for write in &self.directory {
            write_directory(tx, write).await?;
        }
        for k in &self.kill_switches {
            sqlx::query(
                "INSERT INTO kill_switches (scope, tenant_id, enabled, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (scope) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
            )
            .bind(k.scope.as_str())
            .bind(k.tenant.as_str())
            .bind(i64::from(k.enabled))
            .bind(k.at)
            .bind(k.changed_by.as_str())
            .execute(&mut **tx)
            .await?;
        }
        for l in &self.user_limits {
            sqlx::query(
                "INSERT INTO risk_limits (tenant_id, user_id, max_notional, max_rfqs_per_sec, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, user_id) DO UPDATE SET max_notional = excluded.max_notional, \
                 max_rfqs_per_sec = excluded.max_rfqs_per_sec, updated_at = excluded.updated_at",
            )
            .bind(l.tenant.as_str())
            .bind(l.user.as_str())
            .bind(l.max_notional)
            .bind(l.max_rfqs_per_sec)
            .bind(l.at)
            .execute(&mut **tx)
            .await?;
        }
        for l in &self.tenant_limits {
            sqlx::query(
                "INSERT INTO tenant_limits (tenant_id, max_open_notional, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id) DO UPDATE SET max_open_notional = excluded.max_open_notional, updated_at = excluded.updated_at",
            )
            .bind(l.tenant.as_str())
            .bind(l.max_open_notional)
            .bind(l.at)
            .execute(&mut **tx)
            .await?;
        }
        // RFQs created in this batch are inserted with their final state.
        for r in &mut self.rfqs {
            if let Some(state) = self.rfq_state.remove(&r.rfq_id) {
                r.status = state.status;
                r.updated_at = state.updated_at;
                r.trade_id = state.trade_id;
            }
        }
        for chunk in self.rfqs.chunks(rows(18)) {
            let sql = values_sql(
                "rfqs (rfq_id, tenant_id, user_id, instrument_id, side, size, size_units, status, expires_at, \
                 created_at, updated_at, notional, lps, mid, correlation_id, trade_id, min_size, partial_allowed)",
                18,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.rfq_id)
                    .bind(r.tenant.as_str())
                    .bind(r.user.as_str())
                    .bind(r.instrument.as_str())
                    .bind(r.side)
                    .bind(r.size.as_str())
                    .bind(r.size_units)
                    .bind(r.status)
                    .bind(r.expires_at)
                    .bind(r.created_at)
                    .bind(r.updated_at)
                    .bind(r.notional)
                    .bind(r.lps)
                    .bind(r.mid.as_deref())
                    .bind(r.correlation_id.as_str())
                    .bind(r.trade_id)
                    .bind(r.min_size)
                    .bind(i64::from(r.partial_allowed));
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.quotes.chunks(rows(12)) {
            let sql = values_sql(
                "quotes (quote_id, tenant_id, rfq_id, lp_id, lp_index, lp_quote_id, price, price_units, size_units, \
                 valid_until, received_at, status)",
                12,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.quote_id)
                    .bind(r.tenant.as_str())
                    .bind(r.rfq_id)
                    .bind(r.lp_id.as_str())
                    .bind(r.lp_index)
                    .bind(r.lp_quote_id.as_str())
                    .bind(r.price.as_str())
                    .bind(r.price_units)
                    .bind(r.size_units)
                    .bind(r.valid_until)
                    .bind(r.received_at)
                    .bind("LIVE");
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.trades.chunks(rows(18)) {
            let sql = values_sql(
                "trades (trade_id, tenant_id, rfq_id, quote_id, user_id, lp_id, instrument_id, side, price, size, \
                 executed_at, correlation_id, confirmation_status, settlement_status, partial, venue, maker_order_id, taker_order_id)",
                18,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.trade_id)
                    .bind(r.tenant.as_str())
                    .bind(r.rfq_id)
                    .bind(r.quote_id)
                    .bind(r.user.as_str())
                    .bind(r.lp_id.as_str())
                    .bind(r.instrument.as_str())
                    .bind(r.side.as_str())
                    .bind(r.price.as_str())
                    .bind(r.size.as_str())
                    .bind(r.executed_at)
                    .bind(r.correlation_id.as_str())
                    .bind("PENDING")
                    .bind("PENDING")
                    .bind(i64::from(r.partial))
                    .bind(r.venue)
                    .bind(r.orders.map(|o| o.0))
                    .bind(r.orders.map(|o| o.1));
            }
            q.execute(&mut **tx).await?;
        }
        for status in ["ACCEPTED", "REJECTED"] {
            let ids: Vec<i64> = self
                .quote_status
                .iter()
                .filter(|(_, s)| **s == status)
                .map(|(id, _)| *id)
                .collect();
            for chunk in ids.chunks(rows(1)) {
                let sql = format!(
                    "UPDATE quotes SET status = $1 WHERE quote_id IN ({})",
                    placeholders(2, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(status);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut **tx).await?;
            }
        }
        for chunk in self.outbox.chunks(rows(10)) {
            let sql = values_sql(
                "outbox_events (event_id, position, tenant_id, topic, message_key, event_type, envelope, created_at, correlation_id, trace_parent)",
                10,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.event_id.as_str())
                    .bind(r.position)
                    .bind(r.tenant.as_str())
                    .bind(r.topic.as_str())
                    .bind(r.key.as_str())
                    .bind(r.event_type.as_str())
                    .bind(r.envelope.as_str())
                    .bind(r.at)
                    .bind(r.correlation_id.as_str())
                    .bind(r.trace_parent.as_str());
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.audit.chunks(rows(9)) {
            let sql = values_sql(
                "audit_log (audit_id, tenant_id, actor, action, entity_type, entity_id, correlation_id, detail, at)",
                9,
                chunk.len(),
                "",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.audit_id.as_str())
                    .bind(r.tenant.as_str())
                    .bind(r.actor.as_str())
                    .bind(r.action.as_str())
                    .bind(r.entity_type.as_str())
                    .bind(r.entity_id.as_str())
                    .bind(r.correlation_id.as_str())
                    .bind(r.detail.as_str())
                    .bind(r.at);
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.idempotency.chunks(rows(6)) {
            let sql = values_sql(
                "idempotency_keys (tenant_id, user_id, operation, idem_key, response, created_at)",
                6,
                chunk.len(),
                " ON CONFLICT DO NOTHING",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for r in chunk {
                q = q
                    .bind(r.tenant.as_str())
                    .bind(r.user.as_str())
                    .bind(r.operation)
                    .bind(r.key.as_str())
                    .bind(r.response.as_str())
                    .bind(r.at);
            }
            q.execute(&mut **tx).await?;
        }
        // Earlier RFQs: one CASE update per chunk sets each one's own state.
        let states: Vec<(i64, RfqState)> = self.rfq_state.iter().map(|(id, s)| (*id, *s)).collect();
        for chunk in states.chunks(rows(4)) {
            let (mut status, mut updated, mut trade) =
                (String::new(), String::new(), String::new());
            for i in 0..chunk.len() {
                let (id, s, u, t) = (4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4);
                status.push_str(&format!(" WHEN ${id} THEN ${s}"));
                updated.push_str(&format!(" WHEN ${id} THEN ${u}"));
                trade.push_str(&format!(" WHEN ${id} THEN COALESCE(${t}, trade_id)"));
            }
            let ids: Vec<String> = (0..chunk.len())
                .map(|i| format!("${}", 4 * i + 1))
                .collect();
            let sql = format!(
                "UPDATE rfqs SET status = CASE rfq_id{status} END, updated_at = CASE rfq_id{updated} END, \
                 trade_id = CASE rfq_id{trade} END WHERE rfq_id IN ({})",
                ids.join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, state) in chunk {
                q = q
                    .bind(*id)
                    .bind(state.status)
                    .bind(state.updated_at)
                    .bind(state.trade_id);
            }
            q.execute(&mut **tx).await?;
        }
        let orders: Vec<&crate::orders::OrderRecord> = self.orders.values().collect();
        crate::orders::write_orders(tx, &orders, &self.fills, rows).await?;
        for write in &self.posttrade {
            write_posttrade(tx, write).await?;
        }
        self.clear();
        Ok(())
    }

    /// Forgets everything staged (a failed batch is re-rendered from scratch).
    pub fn clear(&mut self) {
        self.rfqs.clear();
        self.rfq_state.clear();
        self.quotes.clear();
        self.trades.clear();
        self.quote_status.clear();
        self.outbox.clear();
        self.audit.clear();
        self.idempotency.clear();
        self.kill_switches.clear();
        self.user_limits.clear();
        self.tenant_limits.clear();
        self.directory.clear();
        self.posttrade.clear();
        self.orders.clear();
        self.fills.clear();
    }
}

async fn write_posttrade(
    tx: &mut Transaction<'static, Any>,
    write: &PostTradeWrite,
) -> Result<(), StoreError> {
    match write {
        PostTradeWrite::Confirm {
            trade_id,
            tenant,
            owner,
            document,
            first_attempt_at,
            at,
        } => {
            sqlx::query(
                "INSERT INTO trade_confirmations (trade_id, tenant_id, document, confirmed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (trade_id) DO NOTHING",
            )
            .bind(*trade_id)
            .bind(tenant.as_str())
            .bind(document.as_str())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            sqlx::query(
                "INSERT INTO settlement_status (trade_id, tenant_id, owner, state, attempt, next_attempt_at, updated_at) \
                 VALUES ($1, $2, $3, 'PENDING', 0, $4, $5) ON CONFLICT (trade_id) DO NOTHING",
            )
            .bind(*trade_id)
            .bind(tenant.as_str())
            .bind(owner.as_str())
            .bind(*first_attempt_at)
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE trades SET confirmation_status = 'CONFIRMED' WHERE trade_id = $1")
                .bind(*trade_id)
                .execute(&mut **tx)
                .await?;
        }
        PostTradeWrite::Settlement {
            trade_id,
            state,
            attempt,
            next_attempt_at,
            at,
        } => {
            sqlx::query(
                "UPDATE settlement_status SET state = $2, attempt = $3, next_attempt_at = $4, updated_at = $5 WHERE trade_id = $1",
            )
            .bind(*trade_id)
            .bind(*state)
            .bind(*attempt)
            .bind(*next_attempt_at)
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            sqlx::query("UPDATE trades SET settlement_status = $2 WHERE trade_id = $1")
                .bind(*trade_id)
                .bind(*state)
                .execute(&mut **tx)
                .await?;
        }
        PostTradeWrite::Processed {
            consumer,
            event_id,
            tenant,
            at,
        } => {
            sqlx::query(
                "INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(consumer.as_str())
            .bind(event_id.as_str())
            .bind(tenant.as_str())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

async fn write_directory(
    tx: &mut Transaction<'static, Any>,
    write: &DirectoryWrite,
) -> Result<(), StoreError> {
    match write {
        DirectoryWrite::User { user: u, at } => {
            sqlx::query(
                "INSERT INTO users (tenant_id, user_id, user_index, password_hash, enabled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, user_id) DO UPDATE SET \
                 password_hash = excluded.password_hash, enabled = excluded.enabled, updated_at = excluded.updated_at",
            )
            .bind(u.tenant.as_str())
            .bind(u.user.as_str())
            .bind(u.index)
            .bind(u.password_hash.as_str())
            .bind(i64::from(u.enabled))
            .bind(u.created_at)
            .bind(*at)
            .execute(&mut **tx)
            .await?;
            for table in ["roles", "entitlements", "user_instruments"] {
                let sql = format!("DELETE FROM {table} WHERE tenant_id = $1 AND user_id = $2");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(u.tenant.as_str())
                    .bind(u.user.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
            for role in &u.roles {
                sqlx::query("INSERT INTO roles (tenant_id, user_id, role) VALUES ($1, $2, $3)")
                    .bind(u.tenant.as_str())
                    .bind(u.user.as_str())
                    .bind(role.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
            for class in &u.asset_classes {
                sqlx::query(
                    "INSERT INTO entitlements (tenant_id, user_id, asset_class) VALUES ($1, $2, $3)",
                )
                .bind(u.tenant.as_str())
                .bind(u.user.as_str())
                .bind(class.as_str())
                .execute(&mut **tx)
                .await?;
            }
            for instrument in &u.instruments {
                sqlx::query(
                    "INSERT INTO user_instruments (tenant_id, user_id, instrument_id) VALUES ($1, $2, $3)",
                )
                .bind(u.tenant.as_str())
                .bind(u.user.as_str())
                .bind(instrument.as_str())
                .execute(&mut **tx)
                .await?;
            }
        }
        DirectoryWrite::UserEnabled {
            tenant,
            user,
            enabled,
            at,
        } => {
            sqlx::query(
                "UPDATE users SET enabled = $1, updated_at = $2 WHERE tenant_id = $3 AND user_id = $4",
            )
            .bind(i64::from(*enabled))
            .bind(*at)
            .bind(tenant.as_str())
            .bind(user.as_str())
            .execute(&mut **tx)
            .await?;
        }
        DirectoryWrite::Lp { lp, at } => {
            sqlx::query(
                "INSERT INTO liquidity_providers (lp_id, lp_index, max_rfqs_per_sec, enabled, asset_classes, spread_bps, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (lp_id) DO UPDATE SET \
                 max_rfqs_per_sec = excluded.max_rfqs_per_sec, enabled = excluded.enabled, \
                 asset_classes = excluded.asset_classes, spread_bps = excluded.spread_bps, updated_at = excluded.updated_at",
            )
            .bind(lp.lp_id.as_str())
            .bind(lp.index)
            .bind(lp.max_quotes_per_sec)
            .bind(i64::from(lp.enabled))
            .bind(lp.asset_classes.join(","))
            .bind(lp.spread_bps)
            .bind(*at)
            .execute(&mut **tx)
            .await?;
        }
        DirectoryWrite::Instrument { instrument: i, at } => {
            sqlx::query(
                "INSERT INTO instruments (instrument_id, instrument_index, asset_class, price_scale, size_scale, tick_size, \
                 symbol, currency, lot_size, tenor, trading_hours, reference_price, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (instrument_id) DO UPDATE SET \
                 symbol = excluded.symbol, currency = excluded.currency, lot_size = excluded.lot_size, \
                 tenor = excluded.tenor, trading_hours = excluded.trading_hours, \
                 reference_price = excluded.reference_price, updated_at = excluded.updated_at",
            )
            .bind(i.instrument_id.as_str())
            .bind(i.index)
            .bind(i.asset_class.as_str())
            .bind(i.price_scale)
            .bind(i.size_scale)
            .bind(i.tick_size.as_str())
            .bind(i.symbol.as_str())
            .bind(i.currency.as_str())
            .bind(i.lot_size.as_str())
            .bind(i.tenor.clone())
            .bind(i.trading_hours.clone())
            .bind(i.reference_price.as_str())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
        }
        DirectoryWrite::Venue { venue, at } => {
            sqlx::query(
                "INSERT INTO venues (venue_id, execution_type, instruments, session_windows, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (venue_id) DO UPDATE SET \
                 execution_type = excluded.execution_type, instruments = excluded.instruments, \
                 session_windows = excluded.session_windows, updated_at = excluded.updated_at",
            )
            .bind(venue.venue_id.as_str())
            .bind(venue.execution_type.as_str())
            .bind(venue.instruments.join(","))
            .bind(venue.session_windows.as_str())
            .bind(*at)
            .execute(&mut **tx)
            .await?;
        }
        DirectoryWrite::FeatureFlags { tenant, flags, at } => {
            sqlx::query(
                "INSERT INTO feature_flags (tenant_id, oms, clob, replay, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id) DO UPDATE SET oms = excluded.oms, clob = excluded.clob, \
                 replay = excluded.replay, updated_at = excluded.updated_at",
            )
            .bind(tenant.as_str())
            .bind(i64::from(flags.oms))
            .bind(i64::from(flags.clob))
            .bind(i64::from(flags.replay))
            .bind(*at)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_consecutively() {
        assert_eq!(
            values_sql("t (a, b)", 2, 2, ""),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)"
        );
        assert_eq!(
            values_sql("t (a)", 1, 1, " ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING"
        );
    }
}
