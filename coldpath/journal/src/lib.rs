//! Orion's journal — ack only what is durable: the group committer between the engine and
//! every client.
//!
//! The output router thread drains the engine's output ring into a channel; the committer task
//! takes everything queued (up to [`MAX_BATCH`] decisions), writes their state rows, outbox
//! envelopes, audit rows and idempotent responses in **one transaction**, commits, and only
//! then completes the requests waiting on those decisions and tells the LP bots about new RFQs.
//! When a commit fails the batch is retried with backoff and [`Ledger::is_healthy`] turns false,
//! so new commands are refused with 503 instead of being accepted without durability; market
//! data is untouched because the router keeps draining the ring meanwhile.
//!
//! After commit the journal emits **typed** decisions and nothing of any transport: the
//! [`Answer`] each waiting request gets (also what an idempotency key stores), the
//! [`OwnerUpdate`]s for the RFQs' owners, and the engine's own events for the LP gateway. The
//! faces render them — a refusal reason becomes a 409/422/429 in the BFF, a frame on the
//! WebSocket.
//!
//! - [`decision`] — the committed decision types.
//! - `admin` — directory changes (users, LPs, venues, feature flags) written in the same batches,
//!   so their outbox events are ordered with every other committed event.
//! - [`posttrade`] — confirmations and settlement steps, written in the same batches.
//! - `rows` — how each engine decision becomes state rows, an outbox envelope, an audit entry
//!   and an owner update, staged for the store's batch writer
//!   ([`orion_store::batch`]).
//! - [`trace`] — the request's W3C trace context, stored with each outbox row it causes so the
//!   relay and the consumers continue the request's trace.
#![deny(rustdoc::broken_intra_doc_links)]

mod admin;
pub mod decision;
pub mod orders;
pub mod posttrade;
mod rows;
pub mod trace;

pub use admin::DirectoryChange;
pub use decision::{Answer, Decision, OrderSnapshot, OwnerUpdate, RfqChange};

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use orion_hotpath::InstrumentTable;
use orion_hotpath::rfq::{LpId, RequestId, RfqEvent, TenantId, UserId};
use tokio::sync::{broadcast, mpsc, oneshot};

use orion_store::batch::{self as staged};
use orion_store::{Store, StoreError};

/// Most decisions written in one transaction.
pub const MAX_BATCH: usize = 2_048;

/// A waiting request: what its decision's rows need, and where the answer goes.
#[derive(Debug)]
pub struct Pending {
    /// Everything but the reply channel.
    pub info: PendingInfo,
    /// Completed after commit.
    pub reply: oneshot::Sender<Answer>,
}

/// What a waiting request's decision needs to be written.
#[derive(Debug, Clone)]
pub struct PendingInfo {
    /// The request's correlation id (carried into events).
    pub correlation_id: String,
    /// Caller's tenant.
    pub tenant: String,
    /// Caller.
    pub user: String,
    /// `(operation, key)` when the request carried an `Idempotency-Key`.
    pub idempotency: Option<(&'static str, String)>,
    /// The request's W3C `traceparent` (empty when untraced), stored with its outbox rows.
    pub trace_parent: String,
}

/// What the committer takes, in one order: the engine's decisions and the directory's changes.
#[derive(Debug)]
pub enum JournalInput {
    /// A decision from the engine's output ring.
    Engine(RfqEvent),
    /// A change to the directory made by an administrator (boxed: rare, and much larger than
    /// an engine decision).
    Admin(Box<AdminChange>),
    /// An instrument's market data went stale or recovered (the coalesce stage's verdict).
    MarketStatus(MarketStatus),
    /// A trade's confirmation or settlement step (boxed: rare next to engine decisions).
    PostTrade(Box<posttrade::PostTradeInput>),
}

/// An instrument's market data went stale (no update within the threshold) or recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketStatus {
    /// The instrument.
    pub instrument: orion_hotpath::InstrumentId,
    /// True when it went stale, false when it recovered.
    pub stale: bool,
    /// When it last updated before going stale (ns; 0 for a recovery).
    pub last_update_ts: u64,
    /// When the stage noticed, ns since the epoch.
    pub at: u64,
}

/// A change to the directory, its author, and who waits for it to be durable.
#[derive(Debug)]
pub struct AdminChange {
    /// Who made it (tenant, user, correlation id).
    pub actor: PendingInfo,
    /// What changed.
    pub change: DirectoryChange,
    /// When, ns since the epoch.
    pub at: u64,
    /// Completed after commit.
    pub reply: oneshot::Sender<()>,
}

/// A committed RFQ creation or trade, for the LP bots.
#[derive(Debug, Clone, Copy)]
pub struct CommittedRfq {
    /// The engine's event.
    pub event: RfqEvent,
}

/// The names behind the engine's dense ids, as the directory holds them. The journal writes
/// names into rows and events; an id without a name is an error, never a made-up name.
pub trait Names: Send + Sync {
    /// A tenant's id.
    fn tenant(&self, id: TenantId) -> Option<String>;
    /// A user's login name.
    fn user(&self, id: UserId) -> Option<String>;
    /// An LP's id.
    fn lp(&self, id: LpId) -> Option<String>;
}

/// Shared between request handlers and the committer.
pub struct Ledger {
    pending: Mutex<HashMap<RequestId, Pending>>,
    /// False while commits fail.
    healthy: AtomicBool,
    /// False while the store does not answer the health probe.
    store_up: AtomicBool,
    next_position: AtomicI64,
    committed: broadcast::Sender<CommittedRfq>,
    updates: broadcast::Sender<OwnerUpdate>,
    /// The last outbox position committed: local-bus consumers wake on it instead of polling.
    head: tokio::sync::watch::Sender<i64>,
}

impl Ledger {
    /// A ledger whose outbox positions continue after `last_position`.
    pub fn new(last_position: i64) -> Self {
        Self {
            pending: Mutex::new(HashMap::new()),
            healthy: AtomicBool::new(true),
            store_up: AtomicBool::new(true),
            next_position: AtomicI64::new(last_position + 1),
            committed: broadcast::channel(4_096).0,
            updates: broadcast::channel(4_096).0,
            head: tokio::sync::watch::channel(last_position).0,
        }
    }

    /// The last committed outbox position, updated after every commit.
    pub fn subscribe_head(&self) -> tokio::sync::watch::Receiver<i64> {
        self.head.subscribe()
    }

    /// Registers a request before its command enters the ring.
    pub fn expect(&self, request: RequestId, pending: Pending) {
        self.lock().insert(request, pending);
    }

    /// Forgets a request whose command never entered the ring.
    pub fn forget(&self, request: RequestId) {
        self.lock().remove(&request);
    }

    /// False while commits fail or the store does not answer its health probe.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire) && self.store_up.load(Ordering::Acquire)
    }

    /// Records the store health probe's result.
    pub fn set_store_up(&self, up: bool) {
        self.store_up.store(up, Ordering::Release);
    }

    /// Committed changes for the RFQs' owners.
    pub fn subscribe_updates(&self) -> broadcast::Receiver<OwnerUpdate> {
        self.updates.subscribe()
    }

    /// Committed RFQ creations and trades (LP notifications).
    pub fn subscribe_rfqs(&self) -> broadcast::Receiver<CommittedRfq> {
        self.committed.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Everything the committer needs to render rows.
pub struct Committer {
    store: Store,
    ledger: std::sync::Arc<Ledger>,
    instruments: std::sync::Arc<InstrumentTable>,
    names: std::sync::Arc<dyn Names>,
    env: String,
    /// The immutable facts of open RFQs (tenant, owner, correlation id, price scale), so a quote
    /// or a trade does not read its RFQ's row again; dropped at the terminal state.
    rows: Mutex<HashMap<orion_hotpath::rfq::RfqId, rows::RfqRow>>,
    /// Rows staged by the batch being written (only the committer task touches it).
    staged: Mutex<staged::Staged>,
    /// Working orders' facts, as of the last committed batch.
    orders: std::sync::Arc<Mutex<HashMap<i64, orders::OrderRow>>>,
    /// Bumped by every batch that changed an order (the depth's sequence).
    book_seq: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// What the batch being written changed about orders.
    order_batch: Mutex<orders::OrderBatch>,
    /// The order each order command is about, until the command's last event is written (a
    /// command's events may span two batches).
    order_requests: Mutex<HashMap<RequestId, i64>>,
    /// The next resting priority (time priority within a price level).
    next_priority: AtomicI64,
    /// The `traceparent` of the input being rendered, stored with the outbox rows it stages.
    trace_parent: Mutex<String>,
    /// The market as the pipeline last saw it: stamped on trades, so analytics measure each
    /// trade against the market at its decision without reading ticks.
    market: Option<std::sync::Arc<orion_hotpath::SnapshotTable>>,
}

struct Written {
    replies: Vec<(oneshot::Sender<Answer>, Answer)>,
    created: Vec<RfqEvent>,
    updates: Vec<OwnerUpdate>,
}

impl Committer {
    /// A committer writing to `store`, topics prefixed with `env`.
    pub fn new(
        store: Store,
        ledger: std::sync::Arc<Ledger>,
        instruments: std::sync::Arc<InstrumentTable>,
        names: std::sync::Arc<dyn Names>,
        env: String,
    ) -> Self {
        Self {
            store,
            ledger,
            instruments,
            names,
            env,
            rows: Mutex::new(HashMap::new()),
            staged: Mutex::new(staged::Staged::default()),
            orders: Default::default(),
            book_seq: Default::default(),
            order_batch: Mutex::new(orders::OrderBatch::default()),
            order_requests: Mutex::new(HashMap::new()),
            next_priority: AtomicI64::new(1),
            trace_parent: Mutex::new(String::new()),
            market: None,
        }
    }

    /// Stamps trades with the market of `snapshots` (bid, ask and mid when written).
    pub fn with_market(mut self, snapshots: std::sync::Arc<orion_hotpath::SnapshotTable>) -> Self {
        self.market = Some(snapshots);
        self
    }

    /// Adds `market: {bid, ask, mid}` — the instrument's latest snapshot as the trade is
    /// written, milliseconds after the engine decided it — to a trade's payload, when there is
    /// one.
    pub(crate) fn stamp_market(&self, payload: &mut serde_json::Value, symbol: &str) {
        let Some(snapshots) = &self.market else {
            return;
        };
        let Some((id, spec)) = self
            .instruments
            .id(symbol)
            .and_then(|id| Some((id, self.instruments.spec(id)?)))
        else {
            return;
        };
        let Some(snapshot) = snapshots.read(id) else {
            return;
        };
        let scale = spec.price_scale;
        let (bid, ask) = (
            orion_hotpath::Price::new(snapshot.bid, scale),
            orion_hotpath::Price::new(snapshot.ask, scale),
        );
        let Some(mid) = orion_hotpath::Price::mid(bid, ask) else {
            return;
        };
        payload["market"] = serde_json::json!({
            "bid": bid.to_string(), "ask": ask.to_string(), "mid": mid.to_string(),
        });
    }

    fn stage(&self) -> std::sync::MutexGuard<'_, staged::Staged> {
        self.staged.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_trace_parent(&self, traceparent: &str) {
        let mut current = self.trace_parent.lock().unwrap_or_else(|p| p.into_inner());
        current.clear();
        current.push_str(traceparent);
    }

    fn trace_parent(&self) -> String {
        self.trace_parent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A `journal.commit` span for each traced request, change or step in `batch`, in the
    /// request's trace; they end when dropped, after the batch commits.
    fn commit_spans(&self, batch: &[JournalInput]) -> Vec<tracing::Span> {
        let mut spans = Vec::new();
        let mut add = |info: (&str, &str, &str)| {
            let (traceparent, tenant, correlation_id) = info;
            if traceparent.is_empty() {
                return;
            }
            let span = tracing::info_span!(
                parent: None,
                "journal.commit",
                otel.kind = "internal",
                batch = batch.len(),
                tenantId = tenant,
                correlationId = correlation_id,
            );
            trace::follow(&span, traceparent);
            spans.push(span);
        };
        let ledger = self.ledger.lock();
        // A request's events are contiguous: one span per request, not one per event.
        let mut last_request = None;
        for input in batch {
            match input {
                JournalInput::Engine(event) => {
                    let request = request_of(event);
                    if request.is_some() && request == last_request {
                        continue;
                    }
                    last_request = request;
                    if let Some(p) = request.and_then(|r| ledger.get(&r)) {
                        let p = &p.info;
                        add((&p.trace_parent, &p.tenant, &p.correlation_id));
                    }
                }
                JournalInput::Admin(change) => {
                    let a = &change.actor;
                    add((&a.trace_parent, &a.tenant, &a.correlation_id));
                }
                JournalInput::PostTrade(step) => add((
                    &step.trace_parent,
                    &step.trade.tenant,
                    &step.trade.correlation_id,
                )),
                JournalInput::MarketStatus(_) => {}
            }
        }
        spans
    }

    /// Commits decisions and directory changes from `rx` in batches until the channel closes.
    pub async fn run(self, mut rx: mpsc::UnboundedReceiver<JournalInput>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.recv().await {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            // One span per traced request, from the start of its batch to its commit.
            let commits = self.commit_spans(&batch);
            let mut backoff = Duration::from_millis(50);
            let written = loop {
                match self.write(&batch).await {
                    Ok(written) => break written,
                    Err(err) => {
                        self.ledger.healthy.store(false, Ordering::Release);
                        tracing::error!(cause = %err, decisions = batch.len(), "group commit failed; retrying");
                        metrics::counter!("orion_group_commit_failures_total").increment(1);
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            };
            self.ledger.healthy.store(true, Ordering::Release);
            drop(commits);
            // One committer, batches in order: every position handed out so far is durable.
            self.ledger
                .head
                .send_replace(self.ledger.next_position.load(Ordering::Acquire) - 1);
            metrics::counter!("orion_group_commit_batches_total").increment(1);
            metrics::counter!("orion_group_commit_events_total").increment(batch.len() as u64);
            metrics::histogram!("orion_group_commit_batch_size").record(batch.len() as f64);
            for (reply, answer) in written.replies {
                let _ = reply.send(answer);
            }
            for update in written.updates {
                let _ = self.ledger.updates.send(update);
            }
            for event in written.created {
                let _ = self.ledger.committed.send(CommittedRfq { event });
            }
            for input in batch.drain(..) {
                match input {
                    JournalInput::Admin(change) => {
                        let _ = change.reply.send(());
                    }
                    JournalInput::PostTrade(step) => {
                        let _ = step.reply.send(());
                    }
                    JournalInput::Engine(_) | JournalInput::MarketStatus(_) => {}
                }
            }
        }
    }

    async fn write(&self, batch: &[JournalInput]) -> Result<Written, StoreError> {
        // A retried batch is rendered again from scratch.
        self.stage().clear();
        self.order_batch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let mut answered: Vec<(RequestId, Answer, Option<staged::IdempotencyInsert>)> = Vec::new();
        let mut created = Vec::new();
        let mut updates = Vec::new();
        for input in batch {
            let event = match input {
                JournalInput::Engine(event) => event,
                JournalInput::Admin(change) => {
                    self.set_trace_parent(&change.actor.trace_parent);
                    self.apply_admin(change);
                    continue;
                }
                JournalInput::MarketStatus(status) => {
                    self.set_trace_parent("");
                    self.apply_market_status(status);
                    continue;
                }
                JournalInput::PostTrade(input) => {
                    self.set_trace_parent(&input.trace_parent);
                    self.apply_posttrade(input, &mut updates);
                    continue;
                }
            };
            let request = request_of(event);
            // Copied, not taken: if this transaction fails the batch is retried with the same
            // requests still waiting.
            let pending = request.and_then(|r| self.ledger.lock().get(&r).map(|p| p.info.clone()));
            self.set_trace_parent(pending.as_ref().map_or("", |p| p.trace_parent.as_str()));
            if let Some(decision) = self.apply(event, pending.as_ref(), &mut updates).await? {
                if let (Some(p), Some(r)) = (&pending, request) {
                    let answer = Answer {
                        correlation_id: p.correlation_id.clone(),
                        decision,
                    };
                    let stored =
                        p.idempotency
                            .as_ref()
                            .map(|(operation, key)| staged::IdempotencyInsert {
                                tenant: p.tenant.clone(),
                                user: p.user.clone(),
                                operation,
                                key: key.clone(),
                                response: serde_json::to_string(&answer)
                                    .expect("answers serialise"),
                                at: event_at(event) as i64,
                            });
                    // A request's events are contiguous; its last decision is its answer, and
                    // the one its idempotency key keeps.
                    match answered.last_mut() {
                        Some(last) if last.0 == r => {
                            last.1 = answer;
                            last.2 = stored;
                        }
                        _ => answered.push((r, answer, stored)),
                    }
                }
            }
            if matches!(
                event,
                RfqEvent::RfqCreated { .. } | RfqEvent::TradeExecuted { .. }
            ) {
                created.push(*event);
            }
        }
        self.stage()
            .idempotency
            .extend(answered.iter_mut().filter_map(|a| a.2.take()));
        let mut staged = std::mem::take(&mut *self.stage());
        self.store.commit_batch(&mut staged).await?;
        self.merge_orders();
        {
            // Answered order commands are done (a retried batch still finds the unanswered).
            let mut requests = self
                .order_requests
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for (request, _, _) in &answered {
                requests.remove(request);
            }
        }
        let mut ledger = self.ledger.lock();
        let replies = answered
            .into_iter()
            .filter_map(|(r, answer, _)| ledger.remove(&r).map(|p| (p.reply, answer)))
            .collect();
        Ok(Written {
            replies,
            created,
            updates,
        })
    }
}

fn request_of(event: &RfqEvent) -> Option<RequestId> {
    match *event {
        RfqEvent::RfqCreated { request, .. }
        | RfqEvent::Refused { request, .. }
        | RfqEvent::RiskLimitBreached { request, .. }
        | RfqEvent::QuoteAcceptanceRejected { request, .. }
        | RfqEvent::QuoteAccepted { request, .. }
        | RfqEvent::TradeExecuted { request, .. }
        | RfqEvent::RfqCancelled { request, .. }
        | RfqEvent::KillSwitchChanged { request, .. }
        | RfqEvent::LimitsChanged { request, .. }
        | RfqEvent::Order { request, .. }
        | RfqEvent::OrderRejected { request, .. } => Some(request),
        RfqEvent::QuoteReceived { .. }
        | RfqEvent::QuoteDiscarded { .. }
        | RfqEvent::RfqExpired { .. } => None,
    }
}

fn event_at(event: &RfqEvent) -> u64 {
    match *event {
        RfqEvent::RfqCreated { at, .. }
        | RfqEvent::Refused { at, .. }
        | RfqEvent::RiskLimitBreached { at, .. }
        | RfqEvent::QuoteReceived { at, .. }
        | RfqEvent::QuoteDiscarded { at, .. }
        | RfqEvent::QuoteAcceptanceRejected { at, .. }
        | RfqEvent::QuoteAccepted { at, .. }
        | RfqEvent::TradeExecuted { at, .. }
        | RfqEvent::RfqExpired { at, .. }
        | RfqEvent::RfqCancelled { at, .. }
        | RfqEvent::KillSwitchChanged { at, .. }
        | RfqEvent::LimitsChanged { at, .. }
        | RfqEvent::Order { at, .. }
        | RfqEvent::OrderRejected { at, .. } => at,
    }
}

/// `BUY` or `SELL`.
pub fn side_str(side: orion_hotpath::rfq::Side) -> &'static str {
    match side {
        orion_hotpath::rfq::Side::Buy => "BUY",
        orion_hotpath::rfq::Side::Sell => "SELL",
    }
}
