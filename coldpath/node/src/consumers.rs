//! Starts every consumer of the event log — blotters, post-trade confirmations, notifications
//! — in the consumer runner on the configured bus, the settlement saga driver, and the
//! dead-letter depth monitor.

use std::sync::Arc;

use orion_bridge::clock::Clock;
use orion_journal::JournalInput;
use orion_services::analytics::AnalyticsProjection;
use orion_services::consumer::runner::{self, Runner};
use orion_services::consumer::schema::Schemas;
use orion_services::consumer::{Handler, Registry, RetryPolicy};
use orion_services::directory::Directory;
use orion_services::notifications::{NotificationRecord, Notifier};
use orion_services::posttrade::{self, Confirmations, SettlementConfig};
use orion_services::projections::BlotterProjection;
use orion_store::Store;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

/// What the consumers need.
pub struct ConsumerContext {
    /// The store.
    pub store: Store,
    /// The journal (post-trade steps are committed through it).
    pub journal: mpsc::WeakUnboundedSender<JournalInput>,
    /// Users and roles (notification recipients).
    pub directory: Arc<Directory>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Settlement simulation.
    pub settlement: SettlementConfig,
    /// Kafka brokers; `None` = the local bus.
    pub kafka: Option<String>,
    /// Topic prefix.
    pub env: String,
    /// Per-consumer attempts (`blotters=3,…`).
    pub max_attempts: String,
    /// Where the consumers' stats are kept.
    pub registry: Registry,
    /// Notifications pushed live.
    pub notifications: broadcast::Sender<NotificationRecord>,
    /// The last committed outbox position (local-bus consumers wake on it).
    pub head: watch::Receiver<i64>,
}

fn spawn<H: Handler>(
    handler: H,
    ctx: &ConsumerContext,
    schemas: &Arc<Schemas>,
    shutdown: &watch::Receiver<bool>,
) -> JoinHandle<()> {
    let name = handler.name();
    let runner = Runner::new(
        Arc::new(handler),
        ctx.store.clone(),
        Arc::clone(schemas),
        RetryPolicy::for_consumer(&ctx.max_attempts, name),
        ctx.registry.stats(name),
        ctx.env.clone(),
        shutdown.clone(),
    );
    match &ctx.kafka {
        Some(brokers) => tokio::spawn(runner::run_kafka(runner, brokers.clone())),
        None => tokio::spawn(runner::run_local(runner, ctx.head.clone())),
    }
}

/// Starts everything; the tasks end when `shutdown` turns true.
pub fn start(ctx: &ConsumerContext, shutdown: &watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let schemas = Arc::new(Schemas::default());
    vec![
        spawn(
            BlotterProjection::new(ctx.store.clone()),
            ctx,
            &schemas,
            shutdown,
        ),
        spawn(
            AnalyticsProjection::new(ctx.store.clone()),
            ctx,
            &schemas,
            shutdown,
        ),
        spawn(
            Confirmations::new(
                ctx.store.clone(),
                ctx.journal.clone(),
                Arc::clone(&ctx.clock),
                ctx.settlement,
            ),
            ctx,
            &schemas,
            shutdown,
        ),
        spawn(
            Notifier::new(
                ctx.store.clone(),
                Arc::clone(&ctx.directory),
                ctx.notifications.clone(),
            ),
            ctx,
            &schemas,
            shutdown,
        ),
        tokio::spawn(posttrade::run_settlement(
            ctx.store.clone(),
            ctx.journal.clone(),
            Arc::clone(&ctx.clock),
            ctx.settlement,
            shutdown.clone(),
        )),
        tokio::spawn(runner::monitor_dead_letters(
            ctx.store.clone(),
            ctx.registry.clone(),
            shutdown.clone(),
        )),
    ]
}
