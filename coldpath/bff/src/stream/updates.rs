//! Committed RFQ changes rendered as WebSocket frames for their owner: `RFQ_UPDATE` on the
//! `rfqs` channel and `TRADE` on `trades` (again at each confirmation and settlement step);
//! notifications addressed to a user as `NOTIFICATION` on `notifications`. Each change is
//! rendered once, by one task, and the bytes are shared by every session of the owner.

use axum::extract::ws::Utf8Bytes;
use orion_hotpath::rfq::RfqState;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::market_view::rfc3339;
use orion_journal::{OwnerUpdate, RfqChange};

/// Which WebSocket channel a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateChannel {
    /// `RFQ_UPDATE` frames.
    Rfqs,
    /// `TRADE` frames.
    Trades,
    /// `NOTIFICATION` frames addressed to the user.
    Notifications,
    /// `ORDER_UPDATE` frames.
    Orders,
}

/// A rendered frame for one owner's sessions.
#[derive(Debug, Clone)]
pub struct UserUpdate {
    /// Owner's tenant.
    pub tenant: String,
    /// Owner.
    pub user: String,
    /// Channel.
    pub channel: UpdateChannel,
    /// The serialised frame.
    pub bytes: Utf8Bytes,
}

/// The frames of one committed change.
pub fn frames(update: &OwnerUpdate) -> Vec<(UpdateChannel, Value)> {
    let id = |n: u64| n.to_string();
    match &update.change {
        RfqChange::Order(order) => {
            let mut frame = serde_json::to_value(crate::http::decision::OrderView::new(order, ""))
                .expect("orders serialise");
            frame["type"] = json!("ORDER_UPDATE");
            vec![(UpdateChannel::Orders, frame)]
        }
        RfqChange::Created {
            rfq_id,
            instrument_id,
            side,
            size,
            expires_at,
            correlation_id,
        } => vec![(
            UpdateChannel::Rfqs,
            json!({
                "type": "RFQ_UPDATE", "event": "RFQCreated", "rfqId": id(*rfq_id), "status": "SENT",
                "instrumentId": instrument_id, "side": side, "size": size,
                "expiresAt": rfc3339(*expires_at), "correlationId": correlation_id,
            }),
        )],
        RfqChange::QuoteReceived {
            rfq_id,
            quote_id,
            lp_id,
            price,
            size,
            valid_until,
        } => vec![(
            UpdateChannel::Rfqs,
            json!({
                "type": "RFQ_UPDATE", "event": "QuoteReceived", "rfqId": id(*rfq_id), "status": "QUOTING",
                "quote": {"quoteId": id(*quote_id), "lpId": lp_id, "price": price, "size": size, "validUntil": rfc3339(*valid_until)},
            }),
        )],
        RfqChange::QuoteRejected {
            rfq_id,
            quote_id,
            reason,
        } => vec![(
            UpdateChannel::Rfqs,
            json!({
                "type": "RFQ_UPDATE", "event": "QuoteAcceptanceRejected", "rfqId": id(*rfq_id),
                "status": "QUOTING", "quoteId": id(*quote_id), "reason": reason.as_str(),
            }),
        )],
        RfqChange::Traded {
            rfq_id,
            trade_id,
            quote_id,
            lp_id,
            price,
            size,
            partial,
            executed_at,
            correlation_id,
        } => vec![
            (
                UpdateChannel::Rfqs,
                json!({
                    "type": "RFQ_UPDATE", "event": "TradeExecuted", "rfqId": id(*rfq_id), "status": "TRADED",
                    "tradeId": id(*trade_id), "size": size, "partial": partial,
                }),
            ),
            (
                UpdateChannel::Trades,
                json!({
                    "type": "TRADE", "tradeId": id(*trade_id), "rfqId": id(*rfq_id),
                    "quoteId": id(*quote_id), "lpId": lp_id, "price": price, "size": size,
                    "partial": partial, "executedAt": rfc3339(*executed_at), "correlationId": correlation_id,
                }),
            ),
        ],
        RfqChange::PostTrade {
            trade_id,
            rfq_id,
            confirmation_status,
            settlement_status,
            settlement_attempts,
            event,
        } => vec![(
            UpdateChannel::Trades,
            json!({
                "type": "TRADE", "event": event, "tradeId": id(*trade_id), "rfqId": rfq_id.map(id),
                "confirmationStatus": confirmation_status, "settlementStatus": settlement_status,
                "settlementAttempts": settlement_attempts,
            }),
        )],
        RfqChange::Closed { rfq_id, state } => {
            let event = if *state == RfqState::Expired {
                "RFQExpired"
            } else {
                "RFQCancelled"
            };
            vec![(
                UpdateChannel::Rfqs,
                json!({"type": "RFQ_UPDATE", "event": event, "rfqId": id(*rfq_id), "status": state.as_str()}),
            )]
        }
    }
}

/// Renders every committed change from `committed` into frames on the returned channel, until
/// the journal's channel closes.
pub fn spawn_renderer(
    mut committed: broadcast::Receiver<OwnerUpdate>,
) -> broadcast::Sender<UserUpdate> {
    let (tx, _) = broadcast::channel(4_096);
    let out = tx.clone();
    tokio::spawn(async move {
        loop {
            match committed.recv().await {
                Ok(update) => {
                    for (channel, frame) in frames(&update) {
                        let _ = out.send(UserUpdate {
                            tenant: update.tenant.clone(),
                            user: update.user.clone(),
                            channel,
                            bytes: frame.to_string().into(),
                        });
                    }
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "RFQ update renderer lagged");
                    metrics::counter!("orion_ws_updates_skipped_total").increment(skipped);
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    tx
}

/// Renders notifications addressed to users onto `out` until `notes` closes.
pub fn spawn_notification_renderer(
    mut notes: broadcast::Receiver<orion_services::notifications::NotificationRecord>,
    out: broadcast::Sender<UserUpdate>,
) {
    tokio::spawn(async move {
        loop {
            match notes.recv().await {
                Ok(note) => {
                    let frame = json!({
                        "type": "NOTIFICATION", "event": note.event, "severity": note.severity,
                        "entityId": note.entity_id, "message": note.message,
                        "ts": rfc3339(note.created_at.max(0) as u64), "notificationId": note.notification_id,
                    });
                    let _ = out.send(UserUpdate {
                        tenant: note.tenant,
                        user: note.user,
                        channel: UpdateChannel::Notifications,
                        bytes: frame.to_string().into(),
                    });
                }
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    metrics::counter!("orion_ws_notifications_skipped_total").increment(skipped);
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trade_renders_its_rfq_update_and_its_trade_frame() {
        let update = OwnerUpdate {
            tenant: "acme".into(),
            user: "trader@acme".into(),
            change: RfqChange::Traded {
                rfq_id: 5,
                trade_id: 9,
                quote_id: 7,
                lp_id: "lp-alpha".into(),
                price: "1.08425".into(),
                size: "100000.00".into(),
                partial: false,
                executed_at: 0,
                correlation_id: "c".into(),
            },
        };
        let frames = frames(&update);
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].0, UpdateChannel::Rfqs);
        assert_eq!(frames[0].1["status"], "TRADED");
        assert_eq!(frames[1].0, UpdateChannel::Trades);
        assert_eq!(frames[1].1["tradeId"], "9");
        assert_eq!(frames[1].1["price"], "1.08425");
    }
}
