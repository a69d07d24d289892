//! Dead letters: messages a consumer could not apply, kept with everything needed to look at
//! them and deliver them again — the original bytes, key and headers, the error and its kind,
//! the consumer's name and version, attempts, first and last failure.
//!
//! A letter is `DEAD` until someone asks for a replay (`REPLAY_REQUESTED`); the consumer that
//! owns it delivers it again and marks it `REPLAYED` when it applied, or `DEAD` again with one
//! more attempt. Replayed letters leave the list.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// One dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Id.
    pub letter_id: String,
    /// Tenant when the message named one (else empty).
    pub tenant: String,
    /// The consumer that gave up.
    pub consumer: String,
    /// Its version.
    pub consumer_version: String,
    /// Where the message was read: `topic/partition/offset` or `outbox/position`.
    pub source: String,
    /// Topic.
    pub topic: String,
    /// Message key.
    pub key: String,
    /// Headers, as a JSON object.
    pub headers: String,
    /// The original bytes.
    pub payload: Vec<u8>,
    /// The event's id when the message had one.
    pub event_id: String,
    /// The event's type when the message had one.
    pub event_type: String,
    /// `MALFORMED`, `SCHEMA`, `VERSION` or `TRANSIENT`.
    pub error_kind: String,
    /// The error.
    pub error: String,
    /// The error's chain of causes, innermost last.
    pub stack: String,
    /// Deliveries tried.
    pub attempts: i64,
    /// First failure, ns since the epoch.
    pub first_failure_at: i64,
    /// Last failure, ns since the epoch.
    pub last_failure_at: i64,
    /// `DEAD`, `REPLAY_REQUESTED` or `REPLAYED`.
    pub state: String,
    /// When a replay applied it.
    pub replayed_at: Option<i64>,
}

const COLUMNS: &str = "letter_id, tenant_id, consumer, consumer_version, source, topic, message_key, headers, payload, \
     event_id, event_type, error_kind, error, stack, attempts, first_failure_at, last_failure_at, state, replayed_at";

fn letter(r: &AnyRow) -> DeadLetter {
    DeadLetter {
        letter_id: r.get(0),
        tenant: r.get(1),
        consumer: r.get(2),
        consumer_version: r.get(3),
        source: r.get(4),
        topic: r.get(5),
        key: r.get(6),
        headers: r.get(7),
        payload: STANDARD.decode(r.get::<String, _>(8)).unwrap_or_default(),
        event_id: r.get(9),
        event_type: r.get(10),
        error_kind: r.get(11),
        error: r.get(12),
        stack: r.get(13),
        attempts: r.get(14),
        first_failure_at: r.get(15),
        last_failure_at: r.get(16),
        state: r.get(17),
        replayed_at: r.get(18),
    }
}

impl Store {
    /// Stores a new letter.
    pub async fn insert_dead_letter(&self, l: &DeadLetter) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO dead_letters ({COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
             ON CONFLICT (letter_id) DO NOTHING"
        )))
        .bind(l.letter_id.as_str())
        .bind(l.tenant.as_str())
        .bind(l.consumer.as_str())
        .bind(l.consumer_version.as_str())
        .bind(l.source.as_str())
        .bind(l.topic.as_str())
        .bind(l.key.as_str())
        .bind(l.headers.as_str())
        .bind(STANDARD.encode(&l.payload))
        .bind(l.event_id.as_str())
        .bind(l.event_type.as_str())
        .bind(l.error_kind.as_str())
        .bind(l.error.as_str())
        .bind(l.stack.as_str())
        .bind(l.attempts)
        .bind(l.first_failure_at)
        .bind(l.last_failure_at)
        .bind(l.state.as_str())
        .bind(l.replayed_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Letters not yet replayed (of `consumer` when given), oldest first.
    pub async fn dead_letters(
        &self,
        consumer: Option<&str>,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dead_letters WHERE state <> 'REPLAYED' AND ($1 = '' OR consumer = $1) \
             ORDER BY first_failure_at, letter_id"
        )))
        .bind(consumer.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(letter).collect())
    }

    /// One letter, replayed or not.
    pub async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetter>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dead_letters WHERE letter_id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(letter))
    }

    /// Asks the owning consumers to deliver these letters again; returns how many were asked.
    pub async fn request_replay(&self, ids: &[String]) -> Result<u64, StoreError> {
        let mut asked = 0;
        for id in ids {
            asked += sqlx::query(
                "UPDATE dead_letters SET state = 'REPLAY_REQUESTED' WHERE letter_id = $1 AND state = 'DEAD'",
            )
            .bind(id.as_str())
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(asked)
    }

    /// Asks for a replay of every dead letter (of `consumer` when given).
    pub async fn request_replay_all(
        &self,
        consumer: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT letter_id FROM dead_letters WHERE state = 'DEAD' AND ($1 = '' OR consumer = $1)",
        )
        .bind(consumer.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        self.request_replay(&ids).await?;
        Ok(ids)
    }

    /// The letters `consumer` was asked to deliver again.
    pub async fn replays_requested(&self, consumer: &str) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dead_letters WHERE consumer = $1 AND state = 'REPLAY_REQUESTED' \
             ORDER BY first_failure_at, letter_id LIMIT 100"
        )))
        .bind(consumer)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(letter).collect())
    }

    /// Records a replay's outcome: applied (the letter leaves the list) or failed again.
    pub async fn finish_replay(
        &self,
        id: &str,
        failure: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        match failure {
            None => sqlx::query(
                "UPDATE dead_letters SET state = 'REPLAYED', replayed_at = $2, attempts = attempts + 1 WHERE letter_id = $1",
            )
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await?,
            Some(error) => sqlx::query(
                "UPDATE dead_letters SET state = 'DEAD', error = $2, last_failure_at = $3, attempts = attempts + 1 WHERE letter_id = $1",
            )
            .bind(id)
            .bind(error)
            .bind(at)
            .execute(&self.pool)
            .await?,
        };
        Ok(())
    }

    /// Letters not yet replayed, per consumer.
    pub async fn dead_letter_depths(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT consumer, COUNT(*) FROM dead_letters WHERE state <> 'REPLAYED' GROUP BY consumer ORDER BY consumer",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// True when `consumer` has applied `event_id`.
    pub async fn is_processed(&self, consumer: &str, event_id: &str) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM processed_events WHERE consumer = $1 AND event_id = $2",
        )
        .bind(consumer)
        .bind(event_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Events `consumer` has applied.
    pub async fn processed_count(&self, consumer: &str) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM processed_events WHERE consumer = $1")
                .bind(consumer)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
