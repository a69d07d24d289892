//! Ack only what is durable: the group committer between the engine and every client.
//!
//! The output router thread drains the engine's output ring into a channel; the committer task
//! takes everything queued (up to [`MAX_BATCH`] decisions), writes their state rows, outbox
//! envelopes, audit rows and idempotent responses in **one transaction**, commits, and only
//! then completes the requests waiting on those decisions and tells the LP bots about new RFQs.
//! When a commit fails the batch is retried with backoff and [`Ledger::is_healthy`] turns false,
//! so new commands are refused with 503 instead of being accepted without durability; market
//! data is untouched because the router keeps draining the ring meanwhile.
//!
//! This module holds the ledger of waiting requests and the batch loop; `rows` renders each
//! decision into rows; `staged` turns the insert-only rows of a batch (outbox, audit,
//! idempotent responses) and its SENT → QUOTING transitions into a few multi-row statements.

mod rows;
mod staged;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use orion_hotpath::InstrumentTable;
use orion_hotpath::rfq::{Reason, RequestId, RfqEvent};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::store::Store;

/// Most decisions written in one transaction.
pub const MAX_BATCH: usize = 2_048;

/// A client response decided by the engine and made durable: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

/// A waiting request: what its decision's rows need, and where the answer goes.
#[derive(Debug)]
pub struct Pending {
    /// Everything but the reply channel.
    pub info: PendingInfo,
    /// Completed after commit.
    pub reply: oneshot::Sender<Outcome>,
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
    /// Extra rows to persist with the decision.
    pub extra: PendingExtra,
}

/// Rows some commands persist beyond the engine's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingExtra {
    /// Nothing more.
    None,
    /// A user's limits.
    UserLimits {
        /// Tenant.
        tenant: String,
        /// User.
        user: String,
        /// Per-RFQ notional.
        max_notional: i64,
        /// RFQs per second.
        max_rfqs_per_sec: i64,
    },
    /// A tenant's open-notional limit.
    TenantLimit {
        /// Tenant.
        tenant: String,
        /// Limit.
        max_open_notional: i64,
    },
}

/// A committed RFQ creation or trade, for the LP bots.
#[derive(Debug, Clone, Copy)]
pub struct CommittedRfq {
    /// The engine's event.
    pub event: RfqEvent,
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
    updates: broadcast::Sender<UserUpdate>,
}

/// Which WebSocket channel an update belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateChannel {
    /// `RFQ_UPDATE` frames.
    Rfqs,
    /// `TRADE` frames.
    Trades,
}

/// A committed change for its owner's WebSocket sessions.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    /// Owner's tenant.
    pub tenant: String,
    /// Owner.
    pub user: String,
    /// Channel.
    pub channel: UpdateChannel,
    /// The serialised frame.
    pub bytes: axum::extract::ws::Utf8Bytes,
}

impl UserUpdate {
    fn new(tenant: &str, user: &str, channel: UpdateChannel, frame: Value) -> Self {
        Self {
            tenant: tenant.to_owned(),
            user: user.to_owned(),
            channel,
            bytes: frame.to_string().into(),
        }
    }
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
        }
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

    /// Committed changes for WebSocket sessions.
    pub fn updates(&self) -> broadcast::Sender<UserUpdate> {
        self.updates.clone()
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
    env: String,
    /// The immutable facts of open RFQs (tenant, owner, correlation id, price scale), so a quote
    /// or a trade does not read its RFQ's row again; dropped at the terminal state.
    rows: Mutex<HashMap<orion_hotpath::rfq::RfqId, rows::RfqRow>>,
    /// Rows staged by the batch being written (only the committer task touches it).
    staged: Mutex<staged::Staged>,
}

struct Written {
    replies: Vec<(oneshot::Sender<Outcome>, Outcome)>,
    created: Vec<RfqEvent>,
    updates: Vec<UserUpdate>,
}

impl Committer {
    /// A committer writing to `store`, topics prefixed with `env`.
    pub fn new(
        store: Store,
        ledger: std::sync::Arc<Ledger>,
        instruments: std::sync::Arc<InstrumentTable>,
        env: String,
    ) -> Self {
        Self {
            store,
            ledger,
            instruments,
            env,
            rows: Mutex::new(HashMap::new()),
            staged: Mutex::new(staged::Staged::default()),
        }
    }

    fn stage(&self) -> std::sync::MutexGuard<'_, staged::Staged> {
        self.staged.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits decisions from `rx` in batches until the channel closes.
    pub async fn run(self, mut rx: mpsc::UnboundedReceiver<RfqEvent>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while let Some(first) = rx.recv().await {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
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
            metrics::counter!("orion_group_commit_batches_total").increment(1);
            metrics::counter!("orion_group_commit_events_total").increment(batch.len() as u64);
            metrics::histogram!("orion_group_commit_batch_size").record(batch.len() as f64);
            for (reply, outcome) in written.replies {
                let _ = reply.send(outcome);
            }
            for update in written.updates {
                let _ = self.ledger.updates.send(update);
            }
            for event in written.created {
                let _ = self.ledger.committed.send(CommittedRfq { event });
            }
            batch.clear();
        }
    }

    async fn write(&self, batch: &[RfqEvent]) -> Result<Written, sqlx::Error> {
        // A retried batch is rendered again from scratch.
        self.stage().clear();
        let mut tx = self.store.pool().begin().await?;
        let mut answered: Vec<(RequestId, Outcome)> = Vec::new();
        let mut created = Vec::new();
        let mut updates = Vec::new();
        for event in batch {
            let request = request_of(event);
            // Copied, not taken: if this transaction fails the batch is retried with the same
            // requests still waiting.
            let pending = request.and_then(|r| self.ledger.lock().get(&r).map(|p| p.info.clone()));
            if let Some(outcome) = self
                .apply(&mut tx, event, pending.as_ref(), &mut updates)
                .await?
            {
                if let (Some(p), Some(r)) = (&pending, request) {
                    if let Some((operation, key)) = &p.idempotency {
                        self.stage().idempotency.push(staged::IdempotencyInsert {
                            tenant: p.tenant.clone(),
                            user: p.user.clone(),
                            operation,
                            key: key.clone(),
                            status: i64::from(outcome.status),
                            response: outcome.body.to_string(),
                            at: event_at(event) as i64,
                        });
                    }
                    answered.push((r, outcome));
                }
            }
            if matches!(
                event,
                RfqEvent::RfqCreated { .. } | RfqEvent::TradeExecuted { .. }
            ) {
                created.push(*event);
            }
        }
        let mut staged = std::mem::take(&mut *self.stage());
        staged.flush(&mut tx, self.store.is_sqlite()).await?;
        tx.commit().await?;
        let mut ledger = self.ledger.lock();
        let replies = answered
            .into_iter()
            .filter_map(|(r, outcome)| ledger.remove(&r).map(|p| (p.reply, outcome)))
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
        | RfqEvent::LimitsChanged { request, .. } => Some(request),
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
        | RfqEvent::LimitsChanged { at, .. } => at,
    }
}

/// `BUY` or `SELL`.
pub fn side_str(side: orion_hotpath::rfq::Side) -> &'static str {
    match side {
        orion_hotpath::rfq::Side::Buy => "BUY",
        orion_hotpath::rfq::Side::Sell => "SELL",
    }
}

/// The contract's error object.
pub fn error_body(code: &str, message: &str, correlation_id: &str) -> Value {
    json!({"error": {"code": code, "message": message, "correlationId": correlation_id}})
}

/// The HTTP answer to an engine refusal (CONTRACT.md status codes).
pub fn refusal(reason: Reason, correlation_id: &str) -> Outcome {
    let (status, message) = match reason {
        Reason::UnknownRfq | Reason::NotOpen => (409, "the RFQ is no longer open"),
        Reason::RfqExpired => (409, "the RFQ has expired"),
        Reason::QuoteExpired => (409, "the quote has expired"),
        Reason::NotOwner => (404, "no such RFQ"),
        Reason::UnknownQuote => (404, "no such quote on this RFQ"),
        Reason::NotEntitled => (403, "not entitled to this instrument"),
        Reason::RateLimited => (429, "too many RFQs; slow down"),
        Reason::KillSwitchTenant => (422, "trading is halted for your tenant (kill switch)"),
        Reason::KillSwitchGlobal => (422, "trading is halted (global kill switch)"),
        Reason::UserNotionalLimit => (422, "the RFQ's notional is above your limit"),
        Reason::TenantNotionalLimit => (422, "your tenant's open notional limit would be exceeded"),
        Reason::NoMarketData => (422, "no market data to value the RFQ"),
        Reason::NoEligibleLp => (422, "no liquidity provider can quote this request now"),
        Reason::Capacity => (503, "too many open RFQs; try again"),
        Reason::Invalid => (400, "invalid request"),
        _ => (409, "refused"),
    };
    Outcome {
        status,
        body: error_body(reason.as_str(), message, correlation_id),
    }
}
