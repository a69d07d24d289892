//! Rows a batch stages instead of writing one statement each: outbox envelopes, audit entries,
//! idempotent responses (insert-only tables nothing in the batch reads back) and the
//! SENT → QUOTING transitions (guarded, so a later transition in the same batch wins). They are
//! flushed as multi-row statements just before the batch's commit, inside its transaction, so
//! the batch stays one atomic unit while the number of round trips stops growing with its size.

use std::collections::BTreeSet;

use sqlx::{Any, Transaction};

/// Rows per multi-row insert: well under SQLite's and Postgres' bind-parameter limits.
const ROWS_PER_STATEMENT: usize = 400;

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

impl Staged {
    /// Writes everything staged inside `tx` and empties the stage.
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), sqlx::Error> {
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
            let mut sql = String::from(
                "UPDATE rfqs SET status = 'QUOTING', updated_at = $1 WHERE status = 'SENT' AND rfq_id IN (",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push('$');
                sql.push_str(&(i + 2).to_string());
            }
            sql.push(')');
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
