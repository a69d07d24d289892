//! Rows a batch stages instead of writing one statement each: quotes, trades, outbox envelopes,
//! audit entries and idempotent responses (inserts nothing in the batch reads back), the final
//! status of every quote the batch touched, and the SENT → QUOTING transitions (guarded, so a
//! later transition written inline in the same batch wins). They are flushed as multi-row
//! statements just before the batch's commit, inside its transaction — inserts before the
//! status updates that refer to them — so the batch stays one atomic unit while the number of
//! round trips stops growing with its size.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Any, Transaction};

/// Rows per multi-row insert: well under SQLite's and Postgres' bind-parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

/// One quote.
pub(super) struct QuoteInsert {
    pub quote_id: i64,
    pub tenant: String,
    pub rfq_id: i64,
    pub lp_id: &'static str,
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
    pub lp_id: &'static str,
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
    pub status: i64,
    pub response: String,
    pub at: i64,
}

/// Everything one batch staged.
#[derive(Default)]
pub(super) struct Staged {
    pub quotes: Vec<QuoteInsert>,
    pub trades: Vec<TradeInsert>,
    /// Final status of each quote accepted or rejected in the batch.
    pub quote_status: BTreeMap<i64, &'static str>,
    pub outbox: Vec<OutboxInsert>,
    pub audit: Vec<AuditInsert>,
    pub idempotency: Vec<IdempotencyInsert>,
    /// RFQs that received a quote, with the latest quote time.
    pub quoting: BTreeSet<(i64, i64)>,
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

/// `$first, $first+1, …` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Staged {
    /// Writes everything staged inside `tx` and empties the stage.
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), sqlx::Error> {
        for chunk in self.quotes.chunks(ROWS_PER_STATEMENT) {
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
                    .bind(r.lp_id)
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
        for chunk in self.trades.chunks(ROWS_PER_STATEMENT) {
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
                    .bind(r.lp_id)
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
            for chunk in ids.chunks(ROWS_PER_STATEMENT) {
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
        for chunk in self.outbox.chunks(ROWS_PER_STATEMENT) {
            let sql = values_sql(
                "outbox_events (event_id, position, tenant_id, topic, message_key, event_type, envelope, created_at)",
                8,
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
                    .bind(r.at);
            }
            q.execute(&mut **tx).await?;
        }
        for chunk in self.audit.chunks(ROWS_PER_STATEMENT) {
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
        for chunk in self.idempotency.chunks(ROWS_PER_STATEMENT) {
            let sql = values_sql(
                "idempotency_keys (tenant_id, user_id, operation, idem_key, status, response, created_at)",
                7,
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
                    .bind(r.status)
                    .bind(r.response.as_str())
                    .bind(r.at);
            }
            q.execute(&mut **tx).await?;
        }
        let quoting: Vec<(i64, i64)> = self.quoting.iter().copied().collect();
        for chunk in quoting.chunks(ROWS_PER_STATEMENT) {
            // One guarded update per chunk; each RFQ gets the batch's time of its first quote.
            let sql = format!(
                "UPDATE rfqs SET status = 'QUOTING', updated_at = $1 WHERE status = 'SENT' AND rfq_id IN ({})",
                placeholders(2, chunk.len())
            );
            let at = chunk.iter().map(|(_, at)| *at).max().unwrap_or_default();
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(at);
            for (rfq, _) in chunk {
                q = q.bind(*rfq);
            }
            q.execute(&mut **tx).await?;
        }
        self.clear();
        Ok(())
    }

    /// Forgets everything staged (a failed batch is re-rendered from scratch).
    pub fn clear(&mut self) {
        self.quotes.clear();
        self.trades.clear();
        self.quote_status.clear();
        self.outbox.clear();
        self.audit.clear();
        self.idempotency.clear();
        self.quoting.clear();
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
