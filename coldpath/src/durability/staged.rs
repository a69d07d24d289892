//! Rows a batch stages instead of writing one statement each: new RFQs, quotes, trades, outbox
//! envelopes, audit entries and idempotent responses (inserts nothing in the batch reads back),
//! and the final state of every RFQ and quote the batch changed (the engine's decisions arrive
//! in order, so the last one staged is the state to keep). They are flushed as multi-row
//! statements just before the batch's commit, inside its transaction — an RFQ created in the
//! batch is inserted with its final state, inserts go before the updates that refer to them —
//! so the batch stays one atomic unit while the number of round trips stops growing with its
//! size.

use std::collections::BTreeMap;

use sqlx::{Any, Transaction};

/// Bind parameters per statement. Postgres takes up to 65,535 and gains from fewer round trips.
/// SQLite looks each numbered parameter up in a list (linear per parameter, so a statement's
/// binding cost grows with the square of its parameter count): a few hundred per statement is
/// the sweet spot there.
fn max_params(sqlite: bool) -> usize {
    if sqlite { 128 } else { 6_000 }
}

/// One new RFQ.
pub(super) struct RfqInsert {
    pub rfq_id: i64,
    pub tenant: String,
    pub user: String,
    pub instrument: String,
    pub side: &'static str,
    pub size: String,
    pub size_units: i64,
    pub status: &'static str,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub notional: i64,
    pub lps: i64,
    pub mid: Option<String>,
    pub correlation_id: String,
    pub trade_id: Option<i64>,
}

/// An RFQ's latest state in the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RfqState {
    pub status: &'static str,
    pub updated_at: i64,
    pub trade_id: Option<i64>,
}

/// One quote.
pub(super) struct QuoteInsert {
    pub quote_id: i64,
    pub tenant: String,
    pub rfq_id: i64,
    pub lp_id: String,
    pub lp_index: i64,
    pub lp_quote_id: String,
    pub price: String,
    pub price_units: i64,
    pub size_units: i64,
    pub valid_until: i64,
    pub received_at: i64,
}

/// One trade.
pub(super) struct TradeInsert {
    pub trade_id: i64,
    pub tenant: String,
    pub rfq_id: i64,
    pub quote_id: i64,
    pub user: String,
    pub lp_id: String,
    pub instrument: String,
    pub side: String,
    pub price: String,
    pub size: String,
    pub executed_at: i64,
    pub correlation_id: String,
}

/// One outbox row.
pub(super) struct OutboxInsert {
    pub event_id: String,
    pub correlation_id: String,
    pub position: i64,
    pub tenant: String,
    pub topic: String,
    pub key: String,
    pub event_type: String,
    pub envelope: String,
    pub at: i64,
}

/// One audit row.
pub(super) struct AuditInsert {
    pub audit_id: String,
    pub tenant: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub correlation_id: String,
    pub detail: String,
    pub at: i64,
}

/// One stored idempotent response.
pub(super) struct IdempotencyInsert {
    pub tenant: String,
    pub user: String,
    pub operation: &'static str,
    pub key: String,
    /// The typed answer, as JSON.
    pub response: String,
    pub at: i64,
}

/// Everything one batch staged.
#[derive(Default)]
pub(super) struct Staged {
    pub rfqs: Vec<RfqInsert>,
    /// Latest state of each RFQ changed in the batch.
    pub rfq_state: BTreeMap<i64, RfqState>,
    pub quotes: Vec<QuoteInsert>,
    pub trades: Vec<TradeInsert>,
    /// Final status of each quote accepted or rejected in the batch.
    pub quote_status: BTreeMap<i64, &'static str>,
    pub outbox: Vec<OutboxInsert>,
    pub audit: Vec<AuditInsert>,
    pub idempotency: Vec<IdempotencyInsert>,
}

/// `INSERT INTO table (columns) VALUES ($1, …), ($n+1, …) suffix` for `rows` rows.
///
/// Built from constant table and column names and numbered placeholders only (values are
/// bound), hence safe to pass as dynamic SQL.
fn values_sql(table_and_columns: &str, columns: usize, rows: usize, suffix: &str) -> String {
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

impl Staged {
    /// Writes everything staged inside `tx` and empties the stage.
    pub async fn flush(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        sqlite: bool,
    ) -> Result<(), sqlx::Error> {
        let rows = |columns: usize| (max_params(sqlite) / columns).max(1);
        // RFQs created in this batch are inserted with their final state.
        for r in &mut self.rfqs {
            if let Some(state) = self.rfq_state.remove(&r.rfq_id) {
                r.status = state.status;
                r.updated_at = state.updated_at;
                r.trade_id = state.trade_id;
            }
        }
        for chunk in self.rfqs.chunks(rows(16)) {
            let sql = values_sql(
                "rfqs (rfq_id, tenant_id, user_id, instrument_id, side, size, size_units, status, expires_at, \
                 created_at, updated_at, notional, lps, mid, correlation_id, trade_id)",
                16,
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
                    .bind(r.trade_id);
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
        for chunk in self.trades.chunks(rows(14)) {
            let sql = values_sql(
                "trades (trade_id, tenant_id, rfq_id, quote_id, user_id, lp_id, instrument_id, side, price, size, \
                 executed_at, correlation_id, confirmation_status, settlement_status)",
                14,
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
                    .bind("PENDING");
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
        for chunk in self.outbox.chunks(rows(9)) {
            let sql = values_sql(
                "outbox_events (event_id, position, tenant_id, topic, message_key, event_type, envelope, created_at, correlation_id)",
                9,
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
                    .bind(r.correlation_id.as_str());
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
    }
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
