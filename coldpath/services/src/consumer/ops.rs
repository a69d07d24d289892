//! What operators see of the consumers: dead letters (list, one in full, replay) and each
//! consumer's position, lag and counters. `GET /ops/dlq`, `GET /ops/consumers` and
//! `orion dlq` are faces of this.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use base64::Engine as _;
use orion_bridge::clock::rfc3339;
use orion_store::dead_letters::DeadLetter;
use orion_store::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use super::Registry;

/// One dead letter as operators see it.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterView {
    /// Id.
    pub id: String,
    /// Consumer.
    pub consumer: String,
    /// Its version.
    pub consumer_version: String,
    /// Event type, when the message had one.
    pub event_type: String,
    /// Event id, when the message had one.
    pub event_id: String,
    /// Tenant, when the message named one.
    pub tenant_id: String,
    /// Topic.
    pub topic: String,
    /// Key.
    pub key: String,
    /// Where it was read.
    pub source: String,
    /// `MALFORMED`, `SCHEMA`, `VERSION`, `INVALID` or `TRANSIENT`.
    pub error_kind: String,
    /// The error.
    pub error: String,
    /// Its causes and where it happened.
    pub stack: String,
    /// Deliveries tried.
    pub attempts: i64,
    /// First failure (RFC 3339).
    pub first_failure_at: String,
    /// Last failure (RFC 3339).
    pub last_failure_at: String,
    /// `DEAD`, `REPLAY_REQUESTED` or `REPLAYED`.
    pub state: String,
    /// Headers.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub headers: Value,
    /// The original bytes as text (lossy for bytes that are not UTF-8).
    pub payload: String,
    /// The original bytes, base64.
    pub payload_base64: String,
}

impl From<DeadLetter> for DeadLetterView {
    fn from(l: DeadLetter) -> Self {
        Self {
            payload: String::from_utf8_lossy(&l.payload).into_owned(),
            payload_base64: base64::engine::general_purpose::STANDARD.encode(&l.payload),
            headers: serde_json::from_str(&l.headers).unwrap_or(Value::Null),
            id: l.letter_id,
            consumer: l.consumer,
            consumer_version: l.consumer_version,
            event_type: l.event_type,
            event_id: l.event_id,
            tenant_id: l.tenant,
            topic: l.topic,
            key: l.key,
            source: l.source,
            error_kind: l.error_kind,
            error: l.error,
            stack: l.stack,
            attempts: l.attempts,
            first_failure_at: rfc3339(l.first_failure_at.max(0) as u64),
            last_failure_at: rfc3339(l.last_failure_at.max(0) as u64),
            state: l.state,
        }
    }
}

/// One consumer's state.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerView {
    /// Name.
    pub consumer: String,
    /// Next position per source (`outbox`, or `topic/partition`).
    pub position: BTreeMap<String, i64>,
    /// Messages behind the head of the log.
    pub lag: i64,
    /// Events applied since start.
    pub processed: u64,
    /// Messages skipped since start: already applied, or of no interest.
    pub skipped: u64,
    /// Retries since start.
    pub retried: u64,
    /// Dead letters not yet replayed.
    pub dead_lettered: i64,
    /// Paused by an operator.
    pub paused: bool,
}

/// Dead letters and consumer state.
#[derive(Debug, Clone)]
pub struct OpsService {
    store: Store,
    registry: Registry,
}

impl OpsService {
    /// Over `store`, with the running consumers' stats in `registry`.
    pub fn new(store: Store, registry: Registry) -> Self {
        Self { store, registry }
    }

    /// Dead letters not yet replayed (of `consumer` when given), oldest first.
    pub async fn dead_letters(
        &self,
        consumer: Option<&str>,
    ) -> Result<Vec<DeadLetterView>, StoreError> {
        Ok(self
            .store
            .dead_letters(consumer)
            .await?
            .into_iter()
            .map(DeadLetterView::from)
            .collect())
    }

    /// One letter in full.
    pub async fn dead_letter(&self, id: &str) -> Result<Option<DeadLetterView>, StoreError> {
        Ok(self.store.dead_letter(id).await?.map(DeadLetterView::from))
    }

    /// Asks the owning consumers to deliver these letters again; returns the ids asked.
    pub async fn request_replay(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut asked = Vec::new();
        for id in ids {
            if self.store.request_replay(std::slice::from_ref(id)).await? > 0 {
                asked.push(id.clone());
            }
        }
        Ok(asked)
    }

    /// Asks for a replay of every dead letter (of `consumer` when given).
    pub async fn request_replay_all(
        &self,
        consumer: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        self.store.request_replay_all(consumer).await
    }

    /// Every running consumer's state, with dead-letter depths from the store.
    pub async fn consumers(&self) -> Result<Vec<ConsumerView>, StoreError> {
        let depths: BTreeMap<String, i64> =
            self.store.dead_letter_depths().await?.into_iter().collect();
        Ok(self
            .registry
            .all()
            .into_iter()
            .map(|(name, stats)| ConsumerView {
                consumer: name.to_owned(),
                position: stats
                    .position
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
                lag: stats.lag.load(Ordering::Relaxed),
                processed: stats.processed.load(Ordering::Relaxed),
                skipped: stats.skipped.load(Ordering::Relaxed),
                retried: stats.retried.load(Ordering::Relaxed),
                dead_lettered: depths.get(name).copied().unwrap_or(0),
                paused: stats.paused.load(Ordering::Acquire),
            })
            .collect())
    }

    /// Pauses or resumes the running consumer `name`; false when no such consumer runs.
    pub fn set_paused(&self, name: &str, paused: bool) -> bool {
        match self.registry.all().into_iter().find(|(n, _)| *n == name) {
            Some((name, stats)) => {
                stats.paused.store(paused, Ordering::Release);
                tracing::warn!(
                    consumer = name,
                    paused,
                    "consumer pause changed by an operator"
                );
                true
            }
            None => false,
        }
    }
}
