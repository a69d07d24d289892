//! Consumer throughput: how fast the analytics read models catch up on a log they have not
//! seen. The outbox a capacity run committed (`store_load`) is replayed from the start into the
//! analytics consumer — through the same runner `orion up` uses on the local bus: validation,
//! the idempotency ledger, one transaction per event — and, as the comparison in the same
//! process, into the blotters consumer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Result;
use orion_services::analytics::AnalyticsProjection;
use orion_services::consumer::runner::{self, Runner};
use orion_services::consumer::schema::Schemas;
use orion_services::consumer::{Handler, Registry, RetryPolicy};
use orion_services::projections::BlotterProjection;
use orion_store::Store;
use tokio::sync::watch;

/// One consumer's replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The consumer's name.
    pub consumer: &'static str,
    /// Outbox rows it read (every row up to the head).
    pub rows: i64,
    /// Of those, the events on its streams (delivered to it).
    pub delivered: u64,
    /// Of those, the events that changed its read models (the rest it has no use for).
    pub applied: u64,
    /// Seconds from its first read to its checkpoint at the head.
    pub seconds: f64,
}

impl Replay {
    /// Events delivered per second.
    pub fn rate(&self) -> f64 {
        self.delivered as f64 / self.seconds
    }
}

/// Replays `store`'s whole outbox into the analytics consumer, then into the blotters one.
pub async fn run(store: &Store) -> Result<Vec<Replay>> {
    Ok(vec![
        replay(store, AnalyticsProjection::new(store.clone())).await?,
        replay(store, BlotterProjection::new(store.clone())).await?,
    ])
}

async fn replay<H: Handler>(store: &Store, handler: H) -> Result<Replay> {
    let consumer = handler.name();
    let head = store.last_ids().await?.outbox_position;
    let start_at = store.consumer_position(consumer).await?;
    let registry = Registry::default();
    let stats = registry.stats(consumer);
    let (stop, shutdown) = watch::channel(false);
    let (_head_tx, head_rx) = watch::channel(head);
    let runner = Runner::new(
        Arc::new(handler),
        store.clone(),
        Arc::new(Schemas::default()),
        RetryPolicy::default(),
        Arc::clone(&stats),
        "bench".into(),
        shutdown,
    );
    let started = Instant::now();
    let task = tokio::spawn(runner::run_local(runner, head_rx));
    while store.consumer_position(consumer).await? < head {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = task.await;
    Ok(Replay {
        consumer,
        rows: head - start_at,
        delivered: stats.processed.load(Ordering::Relaxed) + stats.skipped.load(Ordering::Relaxed),
        applied: stats.processed.load(Ordering::Relaxed),
        seconds,
    })
}
