//! Rebuilding the read models from the log, and verifying the live ones against a rebuild.
//!
//! The log is Kafka (every topic a projection reads, from the beginning up to the high
//! watermarks seen at the start) or, on the local bus, the outbox from position 0. Each event
//! goes through the same decoding and projection code as the live consumer, into the shadow
//! tables beside the live ones ([`Blotters::Shadow`]); duplicates are skipped through
//! `processed_events` exactly as live.
//!
//! `--verify` is safe while the platform runs: the live projection's set of applied event ids
//! and its checksums are read in one transaction, and only those events are replayed into the
//! shadows — so both sides describe the same events whatever the live consumer does meanwhile.
//! Without `--verify` the rebuilt shadows replace the live tables in one transaction (run it
//! with the platform stopped: a live consumer writing meanwhile would be overwritten).

use std::collections::HashSet;
use std::time::Duration;

use orion_store::read_models::{BlotterChange, Blotters, Checksum};
use orion_store::{Store, StoreError};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use orion_store::analytics::AnalyticsChange;

use crate::analytics;
use crate::consumer::schema::Schemas;
use crate::projections::{self, blotter_event};

/// Where the log is read from.
#[derive(Debug, Clone)]
pub enum Log {
    /// The outbox table (the local bus).
    Outbox,
    /// Kafka topics named `<env>.<stream>.v1`.
    Kafka {
        /// Brokers.
        brokers: String,
        /// Topic prefix.
        env: String,
    },
}

/// Why a rebuild failed.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Reading Kafka failed.
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
}

/// One projection's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The rebuilt projection.
    pub rebuilt: Checksum,
    /// The live one, when verifying.
    pub live: Option<Checksum>,
    /// When they differ, a few rows only one side has (`live: …` / `rebuilt: …`).
    pub differences: Vec<String>,
}

impl Line {
    /// True unless a verification found a difference.
    pub fn equal(&self) -> bool {
        self.live.as_ref().is_none_or(|live| *live == self.rebuilt)
    }

    /// `name rows=N checksum=HEX` and, when verifying, `equal` or `DIFFERENT (live …)`.
    pub fn render(&self) -> String {
        let r = &self.rebuilt;
        let mut out = format!(
            "{:<14} rows={:<8} checksum={:016x}",
            r.projection, r.rows, r.digest
        );
        if let Some(live) = &self.live {
            if self.equal() {
                out.push_str(" equal");
            } else {
                out.push_str(&format!(
                    " DIFFERENT (live rows={} checksum={:016x})",
                    live.rows, live.digest
                ));
                for difference in &self.differences {
                    out.push_str("\n    ");
                    out.push_str(difference);
                }
            }
        }
        out
    }
}

/// The name the shadow rebuild records its processed events under.
const SHADOW_CONSUMER: &str = "blotters.rebuild";
/// The same for the analytics models.
const ANALYTICS_SHADOW_CONSUMER: &str = "analytics.rebuild";

/// Rebuilds every projection from `log`; with `verify`, compares against the live tables
/// instead of replacing them.
pub async fn rebuild(store: &Store, log: &Log, verify: bool) -> Result<Vec<Line>, RebuildError> {
    store.clear_shadow_blotters(SHADOW_CONSUMER).await?;
    store
        .clear_shadow_analytics(ANALYTICS_SHADOW_CONSUMER)
        .await?;
    let (only, live) = if verify {
        let (ids, sums) = store
            .blotter_snapshot(projections::CONSUMER, Blotters::Live)
            .await?;
        (Some(ids), Some(sums))
    } else {
        (None, None)
    };
    let (analytics_only, analytics_live) = if verify {
        let (ids, sums) = store
            .analytics_snapshot(analytics::CONSUMER, Blotters::Live)
            .await?;
        (Some(ids), Some(sums))
    } else {
        (None, None)
    };
    let (envelopes, head) = match log {
        Log::Outbox => read_outbox(store).await?,
        Log::Kafka { brokers, env } => {
            let topics: Vec<String> = projections::STREAMS
                .iter()
                .chain(analytics::STREAMS)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|s| format!("{env}.{s}.v1"))
                .collect();
            let brokers = brokers.clone();
            let envelopes = tokio::task::spawn_blocking(move || read_kafka(&brokers, &topics))
                .await
                .map_err(|_| rdkafka::error::KafkaError::Canceled)??;
            (
                envelopes,
                store.consumer_position(projections::CONSUMER).await?,
            )
        }
    };
    let now = orion_bridge::clock::unix_nanos() as i64;
    replay(
        &envelopes,
        only.as_ref(),
        |envelope| Some(blotter_event(envelope)).filter(|e| e.change != BlotterChange::None),
        |batch| async move {
            store
                .apply_blotter_events(Blotters::Shadow, SHADOW_CONSUMER, &batch, now)
                .await
        },
    )
    .await?;
    replay(
        &envelopes,
        analytics_only.as_ref(),
        |envelope| {
            Some(analytics::analytics_event(envelope)).filter(|e| e.change != AnalyticsChange::None)
        },
        |batch| async move {
            store
                .apply_analytics_events(Blotters::Shadow, ANALYTICS_SHADOW_CONSUMER, &batch, now)
                .await
        },
    )
    .await?;
    let rebuilt = store.blotter_checksums(Blotters::Shadow).await?;
    let analytics_rebuilt = store.analytics_checksums(Blotters::Shadow).await?;
    let differences = match &live {
        Some(live) if *live != rebuilt => differences(store).await?,
        _ => Vec::new(),
    };
    if !verify {
        store
            .promote_shadow_blotters(projections::CONSUMER, SHADOW_CONSUMER, head)
            .await?;
        store
            .promote_shadow_analytics(analytics::CONSUMER, ANALYTICS_SHADOW_CONSUMER)
            .await?;
    }
    store.clear_shadow_blotters(SHADOW_CONSUMER).await?;
    store
        .clear_shadow_analytics(ANALYTICS_SHADOW_CONSUMER)
        .await?;
    let mut out = lines(rebuilt, live.as_deref(), &differences);
    out.extend(lines(analytics_rebuilt, analytics_live.as_deref(), &[]));
    Ok(out)
}

/// One line per rebuilt projection, beside its live checksum when verifying.
fn lines(
    rebuilt: Vec<Checksum>,
    live: Option<&[Checksum]>,
    differences: &[(&'static str, String)],
) -> Vec<Line> {
    rebuilt
        .into_iter()
        .map(|rebuilt| Line {
            live: live.and_then(|sums| {
                sums.iter()
                    .find(|s| s.projection == rebuilt.projection)
                    .cloned()
            }),
            differences: differences
                .iter()
                .filter(|(p, _)| *p == rebuilt.projection)
                .map(|(_, d)| d.clone())
                .collect(),
            rebuilt,
        })
        .collect()
}

/// Up to five rows per projection that only one side has (read after the comparison: a live
/// consumer may have moved on meanwhile).
async fn differences(store: &Store) -> Result<Vec<(&'static str, String)>, StoreError> {
    let live = store.blotter_rows(Blotters::Live).await?;
    let shadow = store.blotter_rows(Blotters::Shadow).await?;
    let mut out = Vec::new();
    for ((projection, live), (_, shadow)) in live.into_iter().zip(shadow) {
        let (live, shadow): (HashSet<String>, HashSet<String>) =
            (live.into_iter().collect(), shadow.into_iter().collect());
        let only_live = live
            .difference(&shadow)
            .take(5)
            .map(|r| format!("live:    {r}"));
        let only_shadow = shadow
            .difference(&live)
            .take(5)
            .map(|r| format!("rebuilt: {r}"));
        out.extend(only_live.chain(only_shadow).map(|d| (projection, d)));
    }
    Ok(out)
}

/// Events written to a shadow model per transaction.
const REPLAY_BATCH: usize = 512;

/// Projects `envelopes` into a shadow model (only the ids in `only`, when given): `project`
/// turns an envelope into the model's event (`None`: of no interest to it), `write` applies a
/// batch of them in one transaction. What fails validation is skipped: the live consumer
/// dead-lettered it, so it is not in the live tables either.
async fn replay<E, W>(
    envelopes: &[Vec<u8>],
    only: Option<&HashSet<String>>,
    project: impl Fn(&serde_json::Value) -> Option<E>,
    mut write: impl FnMut(Vec<E>) -> W,
) -> Result<(), StoreError>
where
    W: std::future::Future<Output = Result<usize, StoreError>>,
{
    let schemas = Schemas::default();
    let mut batch = Vec::with_capacity(REPLAY_BATCH);
    for bytes in envelopes {
        let Ok(event) = schemas.decode(bytes) else {
            continue;
        };
        if only.is_some_and(|ids| !ids.contains(&event.event_id)) {
            continue;
        }
        batch.extend(project(&event.envelope));
        if batch.len() == REPLAY_BATCH {
            write(std::mem::replace(
                &mut batch,
                Vec::with_capacity(REPLAY_BATCH),
            ))
            .await?;
        }
    }
    write(batch).await?;
    Ok(())
}

/// Every outbox envelope of the projection's topics, and the last position.
async fn read_outbox(store: &Store) -> Result<(Vec<Vec<u8>>, i64), StoreError> {
    let mut position = 0;
    let mut out = Vec::new();
    loop {
        let rows = store.outbox_after(position, 5_000).await?;
        let Some(last) = rows.last() else {
            return Ok((out, position));
        };
        position = last.position;
        out.extend(rows.into_iter().map(|r| r.envelope.into_bytes()));
    }
}

/// Every message of `topics` from the beginning up to the high watermarks seen at the start.
fn read_kafka(
    brokers: &str,
    topics: &[String],
) -> Result<Vec<Vec<u8>>, rdkafka::error::KafkaError> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set(
            "group.id",
            format!("orion-rebuild-{}", uuid::Uuid::new_v4()),
        )
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()?;
    let timeout = Duration::from_secs(10);
    let mut assignment = TopicPartitionList::new();
    let mut ends = std::collections::HashMap::new();
    for topic in topics {
        let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
        for t in metadata.topics() {
            for p in t.partitions() {
                let (low, high) = consumer.fetch_watermarks(topic, p.id(), timeout)?;
                if high > low {
                    assignment.add_partition_offset(topic, p.id(), Offset::Beginning)?;
                    ends.insert((topic.clone(), p.id()), high);
                }
            }
        }
    }
    let mut out = Vec::new();
    if ends.is_empty() {
        return Ok(out);
    }
    consumer.assign(&assignment)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while !ends.is_empty() && std::time::Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let message = message?;
        let key = (message.topic().to_owned(), message.partition());
        let Some(end) = ends.get(&key).copied() else {
            continue;
        };
        if message.offset() < end {
            out.push(message.payload().unwrap_or_default().to_vec());
        }
        if message.offset() + 1 >= end {
            ends.remove(&key);
        }
    }
    Ok(out)
}
