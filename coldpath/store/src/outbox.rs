//! The outbox relay's reads and marks: unpublished envelopes in position order, then marked
//! published once the bus has them.

use sqlx::Row;

use crate::{Store, StoreError};

/// One unpublished outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Position (the outbox's total order).
    pub position: i64,
    /// Topic.
    pub topic: String,
    /// Message key.
    pub key: String,
    /// Event type.
    pub event_type: String,
    /// Tenant.
    pub tenant: String,
    /// Correlation id.
    pub correlation_id: String,
    /// The envelope (JSON).
    pub envelope: String,
    /// The W3C `traceparent` of the request that caused it, or empty.
    pub trace_parent: String,
}

/// `SELECT` of the columns [`outbox_row`] reads, in its order, from `outbox_events`, followed
/// by the rest of the statement.
macro_rules! select_outbox {
    ($rest:literal) => {
        concat!(
            "SELECT position, topic, message_key, event_type, tenant_id, envelope, correlation_id, \
             trace_parent FROM outbox_events ",
            $rest
        )
    };
}
pub(crate) use select_outbox;

/// Reads the columns of [`select_outbox`].
pub(crate) fn outbox_row(r: &sqlx::any::AnyRow) -> OutboxRow {
    OutboxRow {
        position: r.get(0),
        topic: r.get(1),
        key: r.get(2),
        event_type: r.get(3),
        tenant: r.get(4),
        envelope: r.get(5),
        correlation_id: r.get(6),
        trace_parent: r.get(7),
    }
}

impl Store {
    /// Up to `limit` unpublished rows, oldest first.
    pub async fn unpublished(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(select_outbox!(
            "WHERE published_at IS NULL ORDER BY position LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(outbox_row).collect())
    }

    /// How many committed rows wait for the relay.
    pub async fn backlog(&self) -> Result<i64, StoreError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM outbox_events WHERE published_at IS NULL")
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    /// Up to `limit` unpublished rows after `position`, oldest first (the relay reads ahead while
    /// earlier rows are still on their way to the broker).
    pub async fn unpublished_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = sqlx::query(select_outbox!(
            "WHERE published_at IS NULL AND position > $1 ORDER BY position LIMIT $2"
        ))
        .bind(position)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(outbox_row).collect())
    }

    /// Marks every row from `position` on unpublished, so the relay publishes them again (to a
    /// new broker, or to measure the relay on the same rows); consumers deduplicate.
    pub async fn mark_unpublished_from(&self, position: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE outbox_events SET published_at = NULL WHERE published_at IS NOT NULL AND position >= $1",
        )
        .bind(position)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Marks the rows from `first` to `last` (positions, inclusive) published at `at`.
    pub async fn mark_published(&self, first: i64, last: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox_events SET published_at = $1 WHERE position >= $2 AND position <= $3 AND published_at IS NULL")
            .bind(at)
            .bind(first)
            .bind(last)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
