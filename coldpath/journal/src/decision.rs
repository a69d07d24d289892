//! The typed decisions the journal emits once a batch is committed: what the engine decided,
//! with the facts each face needs to render it — and nothing of any transport. The BFF turns an
//! [`Answer`] into an HTTP status and body, the WebSocket turns an [`OwnerUpdate`] into frames,
//! the LP gateway reads the engine's own events.
//!
//! An [`Answer`] is also what an `Idempotency-Key` stores: a retried request is answered from the
//! stored decision, rendered by the same code as the first answer.

use orion_hotpath::rfq::{Reason, RfqState};
use serde::{Deserialize, Serialize};

/// The committed answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The request's correlation id.
    pub correlation_id: String,
    /// What was decided.
    pub decision: Decision,
}

/// What the engine decided for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// An RFQ passed risk and was sent to the LPs.
    #[serde(rename_all = "camelCase")]
    RfqCreated {
        /// Its id.
        rfq_id: u64,
    },
    /// The command was refused; nothing changed.
    Refused {
        /// Why.
        #[serde(with = "reason_code")]
        reason: Reason,
    },
    /// The LP's last look rejected the acceptance; the RFQ stays open.
    #[serde(rename_all = "camelCase")]
    LastLookRejected {
        /// The RFQ.
        rfq_id: u64,
        /// The rejected quote.
        quote_id: u64,
        /// The last-look rule that fired.
        #[serde(with = "reason_code")]
        reason: Reason,
    },
    /// A quote was accepted and the trade executed.
    #[serde(rename_all = "camelCase")]
    Traded {
        /// The RFQ.
        rfq_id: u64,
        /// The trade.
        trade_id: u64,
    },
    /// The requester cancelled the RFQ.
    #[serde(rename_all = "camelCase")]
    Cancelled {
        /// The RFQ.
        rfq_id: u64,
    },
    /// A kill switch changed.
    #[serde(rename_all = "camelCase")]
    KillSwitchSet {
        /// True for the global switch.
        global: bool,
        /// The tenant whose switch changed (`*` for the global one).
        tenant_id: String,
        /// Now on or off.
        enabled: bool,
    },
    /// New limits apply.
    LimitsApplied,
    /// An order's state after the command (placed, cancelled or amended).
    Order(Box<OrderSnapshot>),
}

impl From<&orion_store::orders::OrderRecord> for OrderSnapshot {
    fn from(r: &orion_store::orders::OrderRecord) -> Self {
        Self {
            order_id: r.order_id as u64,
            instrument_id: r.instrument.clone(),
            side: r.side.clone(),
            order_type: r.order_type.clone(),
            time_in_force: r.time_in_force.clone(),
            limit_price: r.limit_price.clone(),
            qty: r.qty.clone(),
            status: r.status.clone(),
            filled_qty: r.filled_qty.clone(),
            remaining_qty: r.remaining_qty.clone(),
            avg_price: r.avg_price.clone(),
            updated_at: r.updated_at as u64,
        }
    }
}

/// An order as its owner sees it after a committed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSnapshot {
    /// The order's id.
    pub order_id: u64,
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `LIMIT` or `MARKET`.
    pub order_type: String,
    /// `GTC`, `IOC`, `FOK`.
    pub time_in_force: String,
    /// Limit price (decimal), none for MARKET.
    pub limit_price: Option<String>,
    /// Quantity asked (decimal).
    pub qty: String,
    /// `ACK`, `PARTIAL_FILL`, `FILLED` or `CANCELLED`.
    pub status: String,
    /// Filled so far (decimal).
    pub filled_qty: String,
    /// Still working (decimal; 0 once filled or cancelled).
    pub remaining_qty: String,
    /// Average fill price (decimal), none before a fill.
    pub avg_price: Option<String>,
    /// Last change, ns since the epoch.
    pub updated_at: u64,
}

/// A committed change for the owner of an RFQ (the requester's WebSocket sessions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerUpdate {
    /// Owner's tenant.
    pub tenant: String,
    /// Owner.
    pub user: String,
    /// What changed.
    pub change: RfqChange,
}

/// How an RFQ changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RfqChange {
    /// Created and sent to the LPs.
    Created {
        /// The RFQ.
        rfq_id: u64,
        /// Instrument id.
        instrument_id: String,
        /// `BUY` or `SELL`.
        side: &'static str,
        /// Decimal size.
        size: String,
        /// Expiry, ns since the epoch.
        expires_at: u64,
        /// The creating request's correlation id.
        correlation_id: String,
    },
    /// An LP quoted.
    QuoteReceived {
        /// The RFQ.
        rfq_id: u64,
        /// The quote.
        quote_id: u64,
        /// The LP.
        lp_id: String,
        /// Decimal price.
        price: String,
        /// Decimal size the LP stands behind.
        size: String,
        /// Validity, ns since the epoch.
        valid_until: u64,
    },
    /// A last look rejected an acceptance; the RFQ stays open.
    QuoteRejected {
        /// The RFQ.
        rfq_id: u64,
        /// The quote.
        quote_id: u64,
        /// Why.
        reason: Reason,
    },
    /// Traded.
    Traded {
        /// The RFQ.
        rfq_id: u64,
        /// The trade.
        trade_id: u64,
        /// The accepted quote.
        quote_id: u64,
        /// The LP.
        lp_id: String,
        /// Decimal price.
        price: String,
        /// Decimal size traded.
        size: String,
        /// Less than the RFQ asked.
        partial: bool,
        /// Execution time, ns since the epoch.
        executed_at: u64,
        /// The accepting request's correlation id.
        correlation_id: String,
    },
    /// A trade's post-trade state moved (confirmed, or a settlement step).
    PostTrade {
        /// The trade.
        trade_id: u64,
        /// Its RFQ, for an RFQ trade.
        rfq_id: Option<u64>,
        /// `PENDING` or `CONFIRMED`.
        confirmation_status: &'static str,
        /// The saga's state.
        settlement_status: &'static str,
        /// Settlement attempts started.
        settlement_attempts: i64,
        /// The event that moved it.
        event: &'static str,
    },
    /// One of the owner's orders changed (accepted, filled, amended, cancelled).
    Order(OrderSnapshot),
    /// Ended without a trade.
    Closed {
        /// The RFQ.
        rfq_id: u64,
        /// `Expired` or `Cancelled`.
        state: RfqState,
    },
}

/// Serialises a [`Reason`] as its stable code.
mod reason_code {
    use orion_hotpath::rfq::Reason;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(reason: &Reason, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(reason.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Reason, D::Error> {
        let code = String::deserialize(d)?;
        Reason::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown reason {code}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip_through_their_stored_form() {
        for decision in [
            Decision::RfqCreated { rfq_id: 7 },
            Decision::Refused {
                reason: Reason::KillSwitchTenant,
            },
            Decision::LastLookRejected {
                rfq_id: 7,
                quote_id: 9,
                reason: Reason::LastLookPriceDrift,
            },
            Decision::Traded {
                rfq_id: 7,
                trade_id: 3,
            },
            Decision::Cancelled { rfq_id: 7 },
            Decision::KillSwitchSet {
                global: false,
                tenant_id: "acme".into(),
                enabled: true,
            },
            Decision::LimitsApplied,
            Decision::Order(Box::new(OrderSnapshot {
                order_id: 1 << 32,
                instrument_id: "EUR/USD".into(),
                side: "BUY".into(),
                order_type: "LIMIT".into(),
                time_in_force: "GTC".into(),
                limit_price: Some("1.08425".into()),
                qty: "1000000.00".into(),
                status: "PARTIAL_FILL".into(),
                filled_qty: "400000.00".into(),
                remaining_qty: "600000.00".into(),
                avg_price: Some("1.08421".into()),
                updated_at: 5,
            })),
        ] {
            let answer = Answer {
                correlation_id: "c-1".into(),
                decision,
            };
            let stored = serde_json::to_string(&answer).unwrap();
            assert_eq!(serde_json::from_str::<Answer>(&stored).unwrap(), answer);
        }
        let refused = r#"{"correlationId":"c","decision":{"kind":"REFUSED","reason":"NOPE"}}"#;
        assert!(serde_json::from_str::<Answer>(refused).is_err());
    }
}
