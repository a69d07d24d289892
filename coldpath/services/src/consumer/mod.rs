//! One consumer runner for every consumer of the event log (blotters, post-trade,
//! notifications, analytics), on Kafka and on the local bus alike.
//!
//! A consumer is a [`Handler`]: a name, a version, the streams it reads and an `apply` that
//! records the event id in `processed_events` with its effects, so a redelivery changes
//! nothing. The runner owns everything else, the same way for every consumer:
//!
//! - **Decoding and validation** ([`schema`]): bytes that are not JSON, an envelope without its
//!   fields, an unknown major version or a payload that violates its schema are
//!   non-recoverable — dead-lettered at once, never retried. Unknown fields are ignored (the
//!   schemas only ever grow within `v1`), and so are event types the consumer does not know.
//! - **Retries**: a transient failure (the store down, the journal gone) is retried after
//!   0.5, 1, 2, 5 and 10 s, up to the consumer's `max_attempts`; then the message is
//!   dead-lettered and the partition moves on.
//! - **Dead letters** ([`DeadLetter`](orion_store::dead_letters::DeadLetter)): the original
//!   bytes, key and headers, the error with its kind and chain of causes, the consumer's name
//!   and version, attempts and first/last failure — in the `dead_letters` table and, with
//!   Kafka, on `<env>.dlq.<consumer>.v1` under the original key.
//! - **Commit after apply**: a Kafka offset or a local-bus position is committed only once the
//!   message was applied or dead-lettered.
//! - **Replays**: letters marked for replay (`orion dlq replay`, `POST /ops/dlq/{id}/replay`)
//!   are delivered again by the consumer that owns them, and leave the list when they apply.
//! - **Stats** ([`Stats`]) for `GET /ops/consumers` and `/metrics`: position, lag, processed,
//!   retried, dead-lettered.
//! - **Pause and resume** (`POST /ops/consumers/{name}/pause|resume`): a paused consumer takes
//!   no message and commits nothing; its lag grows and it catches up when resumed. Trading
//!   never waits for a consumer, paused or not.
//!
//! Sources: [`runner::run_local`] tails the outbox (the local bus is the outbox itself; the
//! position lives in `consumer_offsets`), [`runner::run_kafka`] is a consumer group.

pub mod compat;
pub mod ops;
pub mod runner;
pub mod schema;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// A consumer of the event log.
pub trait Handler: Send + Sync + 'static {
    /// Its name: in `processed_events`, `consumer_offsets`, its Kafka group and DLQ topic.
    fn name(&self) -> &'static str;
    /// Its version, recorded in dead letters.
    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
    /// The streams it reads (`rfq.lifecycle`, …).
    fn streams(&self) -> &'static [&'static str];
    /// Applies one valid event; `Ok(false)` when it was already applied or is of no interest.
    fn apply(&self, event: &Event) -> impl Future<Output = Result<bool, ApplyError>> + Send;
}

/// A decoded, validated event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The whole envelope.
    pub envelope: Value,
    /// `eventId`.
    pub event_id: String,
    /// `eventType`.
    pub event_type: String,
    /// `tenantId`.
    pub tenant: String,
}

impl Event {
    /// The payload.
    pub fn payload(&self) -> &Value {
        &self.envelope["payload"]
    }

    /// A payload field as text (empty when absent).
    pub fn text(&self, field: &str) -> String {
        self.payload()[field]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Why applying failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Worth retrying: the store or the journal did not answer.
    #[error("transient: {0}")]
    Transient(String),
    /// Never going to apply as it is (dead-lettered at once).
    #[error("invalid: {0}")]
    Invalid(String),
}

impl From<orion_store::StoreError> for ApplyError {
    fn from(err: orion_store::StoreError) -> Self {
        ApplyError::Transient(error_chain(&err))
    }
}

/// An error and its causes, outermost first, one line each; a cause whose text the line above
/// already holds (wrappers that print their source) is not repeated.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut last = out.clone();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !last.contains(&text) {
            out.push_str("\ncaused by: ");
            out.push_str(&text);
        }
        last = text;
        cause = c.source();
    }
    out
}

/// How a consumer retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Deliveries tried before a transient failure is dead-lettered (1 = no retry).
    pub max_attempts: u32,
    /// Pauses before retry 1, 2, …; the last one repeats.
    pub backoff: Vec<Duration>,
}

impl Default for RetryPolicy {
    /// 0.5, 1, 2, 5 and 10 s: six attempts.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            backoff: [500, 1_000, 2_000, 5_000, 10_000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry `n` (1-based).
    pub fn pause(&self, n: u32) -> Duration {
        let i = (n as usize).saturating_sub(1);
        self.backoff
            .get(i)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::from_millis(500))
    }

    /// Per-consumer attempts from `spec` (`blotters=3,posttrade=10`); others keep the default.
    pub fn for_consumer(spec: &str, consumer: &str) -> Self {
        let mut policy = Self::default();
        for part in spec.split(',') {
            if let Some((name, n)) = part.split_once('=') {
                if name.trim() == consumer {
                    if let Ok(n) = n.trim().parse::<u32>() {
                        policy.max_attempts = n.max(1);
                    }
                }
            }
        }
        policy
    }
}

/// One consumer's counters.
#[derive(Debug, Default)]
pub struct Stats {
    /// Events applied.
    pub processed: AtomicU64,
    /// Messages skipped: already applied, or of no interest to the consumer.
    pub skipped: AtomicU64,
    /// Retries after a transient failure.
    pub retried: AtomicU64,
    /// Messages dead-lettered.
    pub dead_lettered: AtomicU64,
    /// Messages behind the head of the log.
    pub lag: AtomicI64,
    /// Where it is: the outbox position, or per Kafka partition the next offset.
    pub position: Mutex<BTreeMap<String, i64>>,
    /// Set by an operator: the consumer takes no message until resumed (the log keeps them).
    pub paused: std::sync::atomic::AtomicBool,
}

impl Stats {
    /// Records the next position of `source` (`outbox` or `topic/partition`).
    pub fn set_position(&self, source: &str, next: i64) {
        self.position
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(source.to_owned(), next);
    }

    /// Records the lag.
    pub fn set_lag(&self, consumer: &'static str, lag: i64) {
        self.lag.store(lag, Ordering::Relaxed);
        metrics::gauge!("orion_consumer_lag", "consumer" => consumer).set(lag as f64);
    }
}

/// Every consumer's stats, by name.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    inner: Arc<Mutex<BTreeMap<&'static str, Arc<Stats>>>>,
}

impl Registry {
    /// The stats of `consumer`, created on first use.
    pub fn stats(&self, consumer: &'static str) -> Arc<Stats> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(consumer)
            .or_default()
            .clone()
    }

    /// Every consumer's stats, by name.
    pub fn all(&self) -> Vec<(&'static str, Arc<Stats>)> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }
}
