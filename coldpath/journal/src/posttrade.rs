//! Post-trade steps written in the journal's batches: a trade's confirmation (the stored
//! document, `TradeConfirmed`, the saga started `PENDING`) and each settlement step of its saga
//! (`SettlementRequested`, `SettlementCompleted`, `SettlementFailed`), with the state row, the
//! event on `posttrade.settlement` keyed by trade and the owner's `TRADE` update in the same
//! transaction — a restart finds the saga exactly where its last event left it.

use orion_store::batch::PostTradeWrite;
use serde_json::Value;

use crate::{Committer, OwnerUpdate, RfqChange};

/// The stream post-trade events go to.
pub const STREAM: &str = "posttrade.settlement";

/// The trade a step is about, as the owner and the event log know it.
#[derive(Debug, Clone)]
pub struct TradeRef {
    /// The trade.
    pub trade_id: u64,
    /// Its RFQ, for an RFQ trade.
    pub rfq_id: Option<u64>,
    /// Tenant.
    pub tenant: String,
    /// The trade's owner.
    pub owner: String,
    /// The trade's correlation id (carried by every post-trade event).
    pub correlation_id: String,
}

/// One post-trade step.
#[derive(Debug, Clone)]
pub enum PostTradeStep {
    /// The trade is confirmed: `document` is stored, `TradeConfirmed` emitted with `payload`,
    /// the saga starts `PENDING` with its first attempt due at `first_attempt_at`.
    Confirm {
        /// The confirmation document.
        document: Value,
        /// `TradeConfirmed`'s payload.
        payload: Value,
        /// When the first settlement attempt is due, ns.
        first_attempt_at: u64,
        /// The consumer and the event (`TradeExecuted`) this applies, recorded as processed
        /// in the same transaction.
        processed: (String, String),
    },
    /// The saga moves to `state` with `attempts` started; `event` (type and payload) is emitted
    /// when the step is one of the log's.
    Settlement {
        /// New state.
        state: &'static str,
        /// Attempts started.
        attempt: i64,
        /// When its next step is due, ns.
        next_attempt_at: u64,
        /// Event type and payload, when the step emits one.
        event: Option<(&'static str, Value)>,
    },
}

/// A post-trade step and who waits for it to be durable.
#[derive(Debug)]
pub struct PostTradeInput {
    /// The trade.
    pub trade: TradeRef,
    /// The step.
    pub step: PostTradeStep,
    /// The id of the event that caused it (the trade's or the previous step's).
    pub causation_id: String,
    /// When, ns since the epoch.
    pub at: u64,
    /// The W3C `traceparent` of what caused it (the consuming span), or empty.
    pub trace_parent: String,
    /// Completed after commit.
    pub reply: tokio::sync::oneshot::Sender<()>,
}

impl Committer {
    /// Stages one post-trade step and the owner's update.
    pub(crate) fn apply_posttrade(&self, input: &PostTradeInput, updates: &mut Vec<OwnerUpdate>) {
        let t = &input.trade;
        let (confirmation_status, settlement_status, attempts, event) = match &input.step {
            PostTradeStep::Confirm {
                document,
                payload,
                first_attempt_at,
                processed,
            } => {
                let mut stage = self.stage();
                stage.posttrade.push(PostTradeWrite::Processed {
                    consumer: processed.0.clone(),
                    event_id: processed.1.clone(),
                    tenant: t.tenant.clone(),
                    at: input.at as i64,
                });
                stage.posttrade.push(PostTradeWrite::Confirm {
                    trade_id: t.trade_id as i64,
                    tenant: t.tenant.clone(),
                    owner: t.owner.clone(),
                    document: document.to_string(),
                    first_attempt_at: *first_attempt_at as i64,
                    at: input.at as i64,
                });
                drop(stage);
                self.posttrade_event(input, "TradeConfirmed", payload.clone());
                ("CONFIRMED", "PENDING", 0, "TradeConfirmed")
            }
            PostTradeStep::Settlement {
                state,
                attempt,
                next_attempt_at,
                event,
            } => {
                self.stage().posttrade.push(PostTradeWrite::Settlement {
                    trade_id: t.trade_id as i64,
                    state,
                    attempt: *attempt,
                    next_attempt_at: *next_attempt_at as i64,
                    at: input.at as i64,
                });
                let name = match event {
                    Some((event_type, payload)) => {
                        self.posttrade_event(input, event_type, payload.clone());
                        *event_type
                    }
                    None => "SettlementStateChanged",
                };
                ("CONFIRMED", *state, *attempt, name)
            }
        };
        updates.push(OwnerUpdate {
            tenant: t.tenant.clone(),
            user: t.owner.clone(),
            change: RfqChange::PostTrade {
                trade_id: t.trade_id,
                rfq_id: t.rfq_id,
                confirmation_status,
                settlement_status,
                settlement_attempts: attempts,
                event,
            },
        });
    }

    fn posttrade_event(&self, input: &PostTradeInput, event_type: &str, payload: Value) {
        let t = &input.trade;
        let id = t.trade_id.to_string();
        self.outbox_caused(
            event_type,
            STREAM,
            &id,
            &t.tenant,
            (&t.correlation_id, &input.causation_id),
            ("Trade", &id),
            payload,
            input.at,
        );
    }
}
