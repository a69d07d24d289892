//! After the trade: every trade is confirmed and settled by a saga whose state is in the store.
//!
//! - [`Confirmations`] is the `posttrade` consumer of `TradeExecuted` (in the
//!   [consumer runner](crate::consumer)): it writes the trade's confirmation document and emits
//!   `TradeConfirmed` through the journal, which also starts the saga `PENDING` — in one
//!   transaction with the event's id in `processed_events`.
//! - [`run_settlement`] drives the sagas: PENDING → SETTLING → SETTLED | FAILED → RETRYING →
//!   SETTLING … → FAILED_FINAL after `1 + max_retries` attempts, backing off exponentially from
//!   500 ms. Every step is one journal commit (state row, event on `posttrade.settlement`, the
//!   owner's `TRADE` update); the next step is computed from the stored state only, and an
//!   attempt's outcome is drawn deterministically from the trade id and the attempt number, so
//!   a restart after `kill -9` resumes each saga where it stood and no trade settles twice.
//! - [`PostTradeService`] — confirmations, unsettled trades and the reconciliation CSV.

use std::sync::Arc;
use std::time::Duration;

use orion_bridge::clock::{Clock, rfc3339};
use orion_journal::JournalInput;
use orion_journal::posttrade::{PostTradeInput, PostTradeStep, TradeRef};
use orion_store::Store;
use orion_store::posttrade::SettlementRecord;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use crate::consumer::{ApplyError, Event, Handler};
use crate::rfq::Caller;

/// The confirmation consumer's name.
pub const CONSUMER: &str = "posttrade";

/// How settlement is simulated (`ORION_SETTLEMENT_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SettlementConfig {
    /// Probability that one attempt fails (0..=1).
    pub failure_rate: f64,
    /// From the trade to its first attempt.
    pub delay: Duration,
    /// Retries after a failure before `FAILED_FINAL`.
    pub max_retries: u32,
}

impl Default for SettlementConfig {
    fn default() -> Self {
        Self {
            failure_rate: 0.05,
            delay: Duration::from_millis(2_000),
            max_retries: 3,
        }
    }
}

/// The pause after failed attempt `attempt` (1-based): 500 ms, 1 s, 2 s, …
pub fn backoff(attempt: i64) -> Duration {
    let doublings = attempt.clamp(1, 16) - 1;
    Duration::from_millis(500u64 << doublings)
}

/// Whether attempt `attempt` of trade `trade_id` fails at `rate`: a fixed function of the two
/// numbers (SplitMix64), so a resumed saga draws the same outcome it would have drawn.
pub fn attempt_fails(trade_id: u64, attempt: i64, rate: f64) -> bool {
    let mut z = trade_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(attempt as u64)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let draw = (z >> 11) as f64 / (1u64 << 53) as f64;
    draw < rate
}

/// Sends one step to the journal and waits until it is durable.
async fn commit(
    journal: &mpsc::WeakUnboundedSender<JournalInput>,
    trade: TradeRef,
    step: PostTradeStep,
    causation_id: String,
    at: u64,
) -> Result<oneshot::Receiver<()>, ApplyError> {
    let (reply, done) = oneshot::channel();
    let sender = journal
        .upgrade()
        .ok_or_else(|| ApplyError::Transient("the journal has stopped".into()))?;
    sender
        .send(JournalInput::PostTrade(Box::new(PostTradeInput {
            trade,
            step,
            causation_id,
            at,
            trace_parent: orion_journal::trace::current(),
            reply,
        })))
        .map_err(|_| ApplyError::Transient("the journal has stopped".into()))?;
    Ok(done)
}

/// The `posttrade` consumer: confirms each trade.
pub struct Confirmations {
    store: Store,
    journal: mpsc::WeakUnboundedSender<JournalInput>,
    clock: Arc<dyn Clock>,
    config: SettlementConfig,
}

impl Confirmations {
    /// Confirms through `journal`.
    pub fn new(
        store: Store,
        journal: mpsc::WeakUnboundedSender<JournalInput>,
        clock: Arc<dyn Clock>,
        config: SettlementConfig,
    ) -> Self {
        Self {
            store,
            journal,
            clock,
            config,
        }
    }
}

impl Handler for Confirmations {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    fn streams(&self) -> &'static [&'static str] {
        &["execution.trades"]
    }

    async fn apply(&self, event: &Event) -> Result<bool, ApplyError> {
        if event.event_type != "TradeExecuted" {
            return Ok(false);
        }
        let trade_id: u64 = event
            .text("tradeId")
            .parse()
            .map_err(|_| ApplyError::Invalid("tradeId is not a number".into()))?;
        // This consumer is the only writer of confirmations and applies one event at a time:
        // a confirmation already stored means this event was applied before.
        if self.store.is_confirmed(trade_id).await? {
            return Ok(false);
        }
        let now = self.clock.now_nanos();
        let rfq_id = event.text("rfqId");
        let venue = if rfq_id.is_empty() { "CLOB" } else { "RFQ" };
        let confirmed_at = rfc3339(now);
        let confirmation_id = format!("CONF-{trade_id}");
        let mut payload = json!({
            "tradeId": trade_id.to_string(), "confirmationId": confirmation_id, "venue": venue,
            "requester": event.text("requester"), "counterparty": event.text("lpId"),
            "instrumentId": event.text("instrumentId"), "side": event.text("side"),
            "size": event.text("size"), "price": event.text("price"),
            "executedAt": event.text("executedAt"), "confirmedAt": confirmed_at,
        });
        if !rfq_id.is_empty() {
            payload["rfqId"] = Value::String(rfq_id.clone());
        }
        let document = json!({
            "confirmationId": confirmation_id,
            "trade": {"tradeId": trade_id.to_string(), "rfqId": rfq_id, "quoteId": event.text("quoteId"), "partial": event.payload()["partial"]},
            "parties": {"tenantId": event.tenant, "requester": event.text("requester"), "counterparty": event.text("lpId")},
            "venue": venue,
            "economics": {
                "instrumentId": event.text("instrumentId"), "side": event.text("side"),
                "size": event.text("size"), "price": event.text("price"),
                "notional": notional(&event.text("size"), &event.text("price")),
            },
            "timestamps": {"executedAt": event.text("executedAt"), "confirmedAt": confirmed_at},
            "correlationId": event.envelope["correlationId"],
        });
        let trade = TradeRef {
            trade_id,
            rfq_id: rfq_id.parse().ok(),
            tenant: event.tenant.clone(),
            owner: event.text("requester"),
            correlation_id: event.envelope["correlationId"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        };
        let step = PostTradeStep::Confirm {
            document,
            payload,
            first_attempt_at: now + self.config.delay.as_nanos() as u64,
            processed: (CONSUMER.to_owned(), event.event_id.clone()),
        };
        let done = commit(&self.journal, trade, step, event.event_id.clone(), now).await?;
        done.await
            .map_err(|_| ApplyError::Transient("the journal stopped before the commit".into()))?;
        Ok(true)
    }
}

/// `size × price` exactly, as a decimal string (both are decimal strings).
pub fn notional(size: &str, price: &str) -> String {
    fn parse(s: &str) -> Option<(i128, u32)> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = format!("{int}{frac}");
        Some((digits.parse().ok()?, frac.len() as u32))
    }
    let (Some((a, sa)), Some((b, sb))) = (parse(size), parse(price)) else {
        return String::new();
    };
    let Some(product) = a.checked_mul(b) else {
        return String::new();
    };
    let scale = sa + sb;
    if scale == 0 {
        return product.to_string();
    }
    let sign = if product < 0 { "-" } else { "" };
    let digits = format!(
        "{:0>width$}",
        product.unsigned_abs(),
        width = scale as usize + 1
    );
    let (int, frac) = digits.split_at(digits.len() - scale as usize);
    format!("{sign}{int}.{frac}")
}

/// The next step of a saga that is due, computed from its stored state alone.
pub fn next_step(
    saga: &SettlementRecord,
    config: &SettlementConfig,
    now: u64,
    requester: &str,
    rfq_id: Option<u64>,
) -> PostTradeStep {
    let trade_id = saga.trade_id.to_string();
    let with_rfq = |mut payload: Value| {
        if let Some(rfq) = rfq_id {
            payload["rfqId"] = Value::String(rfq.to_string());
        }
        payload
    };
    match saga.state.as_str() {
        // Start an attempt (the first, or a retry once its backoff has passed).
        "PENDING" | "RETRYING" => {
            let attempt = saga.attempt + 1;
            PostTradeStep::Settlement {
                state: "SETTLING",
                attempt,
                next_attempt_at: now,
                event: Some((
                    "SettlementRequested",
                    with_rfq(
                        json!({"tradeId": trade_id, "attempt": attempt, "requester": requester, "requestedAt": rfc3339(now)}),
                    ),
                )),
            }
        }
        // The attempt's outcome.
        "SETTLING" => {
            let attempt = saga.attempt;
            if !attempt_fails(saga.trade_id, attempt, config.failure_rate) {
                return PostTradeStep::Settlement {
                    state: "SETTLED",
                    attempt,
                    next_attempt_at: now,
                    event: Some((
                        "SettlementCompleted",
                        with_rfq(
                            json!({"tradeId": trade_id, "attempt": attempt, "requester": requester, "settledAt": rfc3339(now)}),
                        ),
                    )),
                };
            }
            // The first attempt and `max_retries` retries: attempt `1 + max_retries` is the last.
            let last = attempt > i64::from(config.max_retries);
            let mut payload = with_rfq(json!({
                "tradeId": trade_id, "attempt": attempt, "final": last, "requester": requester,
                "reason": "SETTLEMENT_REJECTED_BY_AGENT", "failedAt": rfc3339(now),
            }));
            if !last {
                payload["nextAttemptAt"] =
                    Value::String(rfc3339(now + backoff(attempt).as_nanos() as u64));
            }
            PostTradeStep::Settlement {
                state: if last { "FAILED_FINAL" } else { "FAILED" },
                attempt,
                next_attempt_at: now,
                event: Some(("SettlementFailed", payload)),
            }
        }
        // Retry after the backoff.
        _ => PostTradeStep::Settlement {
            state: "RETRYING",
            attempt: saga.attempt,
            next_attempt_at: now + backoff(saga.attempt).as_nanos() as u64,
            event: None,
        },
    }
}

/// Drives every due saga one step per round until shutdown.
pub async fn run_settlement(
    store: Store,
    journal: mpsc::WeakUnboundedSender<JournalInput>,
    clock: Arc<dyn Clock>,
    config: SettlementConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let now = clock.now_nanos();
        let due = match store.due_settlements(now as i64, 512).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(cause = %err, "could not read due settlements");
                Vec::new()
            }
        };
        let mut waiting = Vec::with_capacity(due.len());
        for saga in &due {
            let trade = match store.trade(&saga.tenant, saga.trade_id).await {
                Ok(Some(trade)) => trade,
                Ok(None) => {
                    tracing::error!(tradeId = saga.trade_id, "settlement saga without its trade");
                    continue;
                }
                Err(err) => {
                    tracing::warn!(cause = %err, "could not read a trade");
                    break;
                }
            };
            let rfq_id = Some(trade.rfq_id).filter(|id| *id != 0);
            let step = next_step(saga, &config, now, &saga.owner, rfq_id);
            let trade = TradeRef {
                trade_id: saga.trade_id,
                rfq_id,
                tenant: saga.tenant.clone(),
                owner: saga.owner.clone(),
                correlation_id: trade.correlation_id,
            };
            let causation = trade.correlation_id.clone();
            match commit(&journal, trade, step, causation, now).await {
                Ok(done) => waiting.push(done),
                Err(_) => return,
            }
        }
        // The next round reads the state these steps wrote.
        for done in waiting {
            if done.await.is_err() {
                return;
            }
        }
        if !due.is_empty() {
            metrics::counter!("orion_settlement_steps_total").increment(due.len() as u64);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(if due.is_empty() { 100 } else { 10 })) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One unsettled trade.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnsettledTrade {
    /// Trade.
    pub trade_id: String,
    /// RFQ.
    pub rfq_id: String,
    /// Instrument.
    pub instrument_id: String,
    /// Side.
    pub side: String,
    /// Size.
    pub size: String,
    /// Price.
    pub price: String,
    /// Counterparty.
    pub lp_id: String,
    /// Owner.
    pub user_id: String,
    /// Execution (RFC 3339).
    pub executed_at: String,
    /// `PENDING` or `CONFIRMED`.
    pub confirmation_status: String,
    /// Saga state.
    pub settlement_status: String,
    /// Attempts started.
    pub settlement_attempts: i64,
    /// When its next step is due (RFC 3339), unless terminal.
    pub next_attempt_at: Option<String>,
}

/// Post-trade reads for a caller's tenant.
#[derive(Clone)]
pub struct PostTradeService {
    store: Store,
}

impl PostTradeService {
    /// Reads from `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// The stored confirmation document of a trade of the caller's tenant.
    pub async fn confirmation(
        &self,
        caller: &Caller,
        trade_id: &str,
    ) -> Result<Option<Value>, crate::StoreError> {
        let Ok(id) = trade_id.parse::<u64>() else {
            return Ok(None);
        };
        Ok(self
            .store
            .confirmation(&caller.claims.tenant, id)
            .await?
            .and_then(|doc| serde_json::from_str(&doc).ok()))
    }

    /// A trade's settlement saga (attempts) in the caller's tenant.
    pub async fn settlement(
        &self,
        caller: &Caller,
        trade_id: u64,
    ) -> Result<Option<SettlementRecord>, crate::StoreError> {
        self.store
            .settlement(Some(&caller.claims.tenant), trade_id)
            .await
    }

    /// The tenant's trades that are not `SETTLED`, oldest first.
    pub async fn unsettled(
        &self,
        caller: &Caller,
    ) -> Result<Vec<UnsettledTrade>, crate::StoreError> {
        Ok(self
            .store
            .unsettled(&caller.claims.tenant)
            .await?
            .into_iter()
            .map(|(t, saga)| UnsettledTrade {
                trade_id: t.trade_id.to_string(),
                rfq_id: t.rfq_id.to_string(),
                instrument_id: t.instrument_id,
                side: t.side,
                size: t.size,
                price: t.price,
                lp_id: t.lp_id,
                user_id: t.user_id,
                executed_at: rfc3339(t.executed_at),
                confirmation_status: t.confirmation_status,
                settlement_status: t.settlement_status,
                settlement_attempts: saga.as_ref().map(|s| s.attempt).unwrap_or(0),
                next_attempt_at: saga
                    .filter(|s| s.state != "FAILED_FINAL")
                    .map(|s| rfc3339(s.next_attempt_at.max(0) as u64)),
            })
            .collect())
    }

    /// The unsettled trades as CSV (RFC 4180), one header line then one line per trade.
    pub async fn reconciliation_csv(&self, caller: &Caller) -> Result<String, crate::StoreError> {
        let mut out = String::from(
            "tradeId,rfqId,instrumentId,side,size,price,counterparty,userId,executedAt,confirmationStatus,settlementStatus,settlementAttempts,nextAttemptAt\r\n",
        );
        for t in self.unsettled(caller).await? {
            let fields = [
                t.trade_id,
                t.rfq_id,
                t.instrument_id,
                t.side,
                t.size,
                t.price,
                t.lp_id,
                t.user_id,
                t.executed_at,
                t.confirmation_status,
                t.settlement_status,
                t.settlement_attempts.to_string(),
                t.next_attempt_at.unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        Ok(out)
    }
}

fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saga(state: &str, attempt: i64) -> SettlementRecord {
        SettlementRecord {
            trade_id: 42,
            tenant: "acme".into(),
            owner: "trader@acme".into(),
            state: state.into(),
            attempt,
            next_attempt_at: 0,
            updated_at: 0,
        }
    }

    fn state_of(step: &PostTradeStep) -> (&'static str, i64, Option<&'static str>) {
        match step {
            PostTradeStep::Settlement {
                state,
                attempt,
                event,
                ..
            } => (state, *attempt, event.as_ref().map(|e| e.0)),
            PostTradeStep::Confirm { .. } => unreachable!("settlement steps only"),
        }
    }

    /// Runs a saga to its end from its stored state alone; returns the events it emitted.
    fn run_to_end(config: &SettlementConfig) -> (String, Vec<&'static str>) {
        let mut s = saga("PENDING", 0);
        let mut events = Vec::new();
        for _ in 0..100 {
            if s.state == "SETTLED" || s.state == "FAILED_FINAL" {
                break;
            }
            let (state, attempt, event) =
                state_of(&next_step(&s, config, 1, "trader@acme", Some(7)));
            events.extend(event);
            s.state = state.into();
            s.attempt = attempt;
        }
        (s.state, events)
    }

    #[test]
    fn always_failing_settlement_ends_failed_final_after_one_plus_max_retries_attempts() {
        let config = SettlementConfig {
            failure_rate: 1.0,
            delay: Duration::ZERO,
            max_retries: 3,
        };
        let (state, events) = run_to_end(&config);
        assert_eq!(state, "FAILED_FINAL");
        assert_eq!(
            events.iter().filter(|e| **e == "SettlementFailed").count(),
            4
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == "SettlementRequested")
                .count(),
            4
        );
    }

    #[test]
    fn never_failing_settlement_settles_on_the_first_attempt() {
        let config = SettlementConfig {
            failure_rate: 0.0,
            delay: Duration::ZERO,
            max_retries: 3,
        };
        assert_eq!(
            run_to_end(&config),
            (
                "SETTLED".into(),
                vec!["SettlementRequested", "SettlementCompleted"]
            )
        );
    }

    #[test]
    fn outcomes_are_a_fixed_function_of_trade_and_attempt_near_the_configured_rate() {
        let failures = (0..10_000u64)
            .filter(|t| attempt_fails(*t, 1, 0.05))
            .count();
        assert!((350..650).contains(&failures), "{failures} of 10000 at 5%");
        for t in 0..100 {
            assert_eq!(attempt_fails(t, 2, 0.5), attempt_fails(t, 2, 0.5));
        }
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_millis(2_000));
    }

    #[test]
    fn notional_is_exact() {
        assert_eq!(notional("1000000.00", "1.08425"), "1084250.0000000");
        assert_eq!(notional("3", "2"), "6");
        assert_eq!(notional("0.5", "0.02"), "0.010");
        assert_eq!(notional("x", "1"), "");
    }
}
