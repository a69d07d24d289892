//! How each engine decision becomes rows: state, outbox envelope, audit entry, WebSocket
//! update and — when it answers a request — the client's outcome. Runs inside the committer's
//! batch transaction.

use std::sync::atomic::Ordering;

use orion_hotpath::Price;
use orion_hotpath::rfq::{KillScope, RfqEvent, RfqId};
use serde_json::{Value, json};
use sqlx::{Any, Transaction};

use super::staged::{AuditInsert, OutboxInsert, QuoteInsert, RfqInsert, TradeInsert};
use super::{
    Committer, Outcome, PendingExtra, PendingInfo, UpdateChannel, UserUpdate, error_body, refusal,
    side_str,
};
use crate::market_view::rfc3339;
use crate::store::reference::{LPS, TENANTS};

/// The PRD §9.3 envelope (`proto/schemas/v1/envelope.json`), serialised directly.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<'a> {
    event_id: &'a str,
    event_type: &'a str,
    event_version: u32,
    occurred_at: String,
    producer: &'a str,
    tenant_id: &'a str,
    correlation_id: &'a str,
    causation_id: &'a str,
    entity: Entity<'a>,
    payload: &'a Value,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Entity<'a> {
    entity_type: &'a str,
    entity_id: &'a str,
    sequence: i64,
}

#[derive(Debug, Clone)]
pub(super) struct RfqRow {
    tenant: String,
    user: String,
    correlation_id: String,
    instrument: String,
    side: String,
    size: String,
    price_scale: u8,
}

impl RfqRow {
    fn price(&self, units: i64) -> String {
        Price::new(units, self.price_scale).to_string()
    }
}

impl Committer {
    /// Writes one decision's rows; returns the client outcome when the decision answers a request.
    pub(super) async fn apply(
        &self,
        tx: &mut Transaction<'static, Any>,
        event: &RfqEvent,
        pending: Option<&PendingInfo>,
        updates: &mut Vec<UserUpdate>,
    ) -> Result<Option<Outcome>, sqlx::Error> {
        let correlation = pending.map(|p| p.correlation_id.clone());
        match *event {
            RfqEvent::RfqCreated {
                rfq,
                tenant,
                user,
                instrument,
                side,
                size,
                expires_at,
                lps,
                mid_x2,
                at,
                ..
            } => {
                let Some(p) = pending else {
                    tracing::error!(rfq = rfq.raw(), "RFQ created without a waiting request");
                    return Ok(None);
                };
                let spec = self
                    .instruments
                    .spec(instrument)
                    .expect("engine instruments come from this table");
                let size_text = orion_hotpath::Qty::new(size, spec.size_scale).to_string();
                let mid = Price::from_doubled(mid_x2, spec.price_scale).map(|m| m.to_string());
                let side = side_str(side);
                let notional = orion_hotpath::rfq::engine::notional(
                    size,
                    mid_x2,
                    orion_hotpath::rfq::InstrumentRef {
                        asset_class: spec.asset_class,
                        price_scale: spec.price_scale,
                        size_scale: spec.size_scale,
                    },
                );
                self.stage().rfqs.push(RfqInsert {
                    rfq_id: rfq.raw() as i64,
                    tenant: p.tenant.clone(),
                    user: p.user.clone(),
                    instrument: spec.symbol.clone(),
                    side,
                    size: size_text.clone(),
                    size_units: size,
                    status: "SENT",
                    expires_at: expires_at as i64,
                    created_at: at as i64,
                    updated_at: at as i64,
                    notional,
                    lps: lps as i64,
                    mid,
                    correlation_id: p.correlation_id.clone(),
                    trade_id: None,
                });
                let _ = (tenant, user);
                self.remember(
                    rfq,
                    RfqRow {
                        tenant: p.tenant.clone(),
                        user: p.user.clone(),
                        correlation_id: p.correlation_id.clone(),
                        instrument: spec.symbol.clone(),
                        side: side.to_owned(),
                        size: size_text.clone(),
                        price_scale: spec.price_scale,
                    },
                );
                let payload = json!({
                    "rfqId": rfq.raw().to_string(), "instrumentId": spec.symbol, "side": side, "size": size_text,
                    "expiresAt": rfc3339(expires_at), "requester": p.user, "lpCount": lps.count_ones(),
                });
                self.outbox(
                    "RFQCreated",
                    "rfq.lifecycle",
                    &rfq.raw().to_string(),
                    &p.tenant,
                    &p.correlation_id,
                    "RFQ",
                    &rfq.raw().to_string(),
                    payload,
                    at,
                );
                updates.push(UserUpdate::new(&p.tenant, &p.user, UpdateChannel::Rfqs, json!({
                    "type": "RFQ_UPDATE", "event": "RFQCreated", "rfqId": rfq.raw().to_string(), "status": "SENT",
                    "instrumentId": spec.symbol, "side": side, "size": size_text, "expiresAt": rfc3339(expires_at),
                    "correlationId": p.correlation_id,
                })));
                self.audit(
                    &p.tenant,
                    &p.user,
                    "RFQ_CREATED",
                    "RFQ",
                    &rfq.raw().to_string(),
                    &p.correlation_id,
                    "",
                    at,
                );
                Ok(Some(Outcome {
                    status: 201,
                    body: json!({"rfqId": rfq.raw().to_string(), "status": "SENT", "correlationId": p.correlation_id}),
                }))
            }
            RfqEvent::Refused {
                rfq, reason, at, ..
            } => {
                let Some(p) = pending else { return Ok(None) };
                let entity = rfq.map(|r| r.raw().to_string()).unwrap_or_default();
                self.audit(
                    &p.tenant,
                    &p.user,
                    "REFUSED",
                    "RFQ",
                    &entity,
                    &p.correlation_id,
                    reason.as_str(),
                    at,
                );
                Ok(Some(refusal(reason, &p.correlation_id)))
            }
            RfqEvent::RiskLimitBreached { reason, at, .. } => {
                let Some(p) = pending else { return Ok(None) };
                let payload =
                    json!({"tenantId": p.tenant, "userId": p.user, "reason": reason.as_str()});
                let event_id = uuid::Uuid::new_v4().to_string();
                self.outbox(
                    "RiskLimitBreached",
                    "risk.alerts",
                    &p.tenant.clone(),
                    &p.tenant,
                    &p.correlation_id,
                    "RiskLimit",
                    &event_id,
                    payload,
                    at,
                );
                // The refusal already answers the request.
                Ok(None)
            }
            RfqEvent::QuoteReceived {
                rfq,
                quote,
                lp,
                lp_quote_id,
                price,
                size,
                valid_until,
                at,
            } => {
                let lp_name = LPS
                    .get(usize::from(lp.0))
                    .map_or("unknown", |(name, _)| *name);
                let row = self.rfq_row(tx, rfq).await?;
                let price_text = row.price(price);
                self.stage().quotes.push(QuoteInsert {
                    quote_id: quote.0 as i64,
                    tenant: row.tenant.clone(),
                    rfq_id: rfq.raw() as i64,
                    lp_id: lp_name,
                    lp_index: i64::from(lp.0),
                    lp_quote_id: lp_quote_id.to_string(),
                    price: price_text.clone(),
                    price_units: price,
                    size_units: size,
                    valid_until: valid_until as i64,
                    received_at: at as i64,
                });
                self.stage()
                    .set_rfq_state(rfq.raw() as i64, "QUOTING", at as i64, None);
                let payload = json!({
                    "rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string(), "lpId": lp_name,
                    "price": price_text, "validUntil": rfc3339(valid_until),
                });
                self.outbox(
                    "QuoteReceived",
                    "rfq.quotes",
                    &rfq.raw().to_string(),
                    &row.tenant,
                    &row.correlation_id,
                    "RFQ",
                    &rfq.raw().to_string(),
                    payload,
                    at,
                );
                updates.push(UserUpdate::new(&row.tenant, &row.user, UpdateChannel::Rfqs, json!({
                    "type": "RFQ_UPDATE", "event": "QuoteReceived", "rfqId": rfq.raw().to_string(), "status": "QUOTING",
                    "quote": {"quoteId": quote.0.to_string(), "lpId": lp_name, "price": price_text, "validUntil": rfc3339(valid_until)},
                })));
                Ok(None)
            }
            RfqEvent::QuoteDiscarded { reason, .. } => {
                metrics::counter!("orion_quotes_discarded_total", "reason" => reason.as_str())
                    .increment(1);
                Ok(None)
            }
            RfqEvent::QuoteAcceptanceRejected {
                rfq,
                quote,
                reason,
                at,
                ..
            } => {
                self.stage().quote_status.insert(quote.0 as i64, "REJECTED");
                let row = self.rfq_row(tx, rfq).await?;
                let correlation_id = correlation.unwrap_or(row.correlation_id);
                let payload = json!({"rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string(), "reason": reason.as_str()});
                self.outbox(
                    "QuoteAcceptanceRejected",
                    "rfq.lifecycle",
                    &rfq.raw().to_string(),
                    &row.tenant,
                    &correlation_id,
                    "RFQ",
                    &rfq.raw().to_string(),
                    payload,
                    at,
                );
                updates.push(UserUpdate::new(&row.tenant, &row.user, UpdateChannel::Rfqs, json!({
                    "type": "RFQ_UPDATE", "event": "QuoteAcceptanceRejected", "rfqId": rfq.raw().to_string(),
                    "status": "QUOTING", "quoteId": quote.0.to_string(), "reason": reason.as_str(),
                })));
                let Some(p) = pending else { return Ok(None) };
                self.audit(
                    &p.tenant,
                    &p.user,
                    "LAST_LOOK_REJECTED",
                    "RFQ",
                    &rfq.raw().to_string(),
                    &p.correlation_id,
                    reason.as_str(),
                    at,
                );
                Ok(Some(Outcome {
                    status: 409,
                    body: error_body(
                        "QUOTE_REJECTED",
                        &format!("the LP rejected the acceptance ({})", reason.as_str()),
                        &p.correlation_id,
                    ),
                }))
            }
            RfqEvent::QuoteAccepted { quote, .. } => {
                self.stage().quote_status.insert(quote.0 as i64, "ACCEPTED");
                Ok(None)
            }
            RfqEvent::TradeExecuted {
                trade,
                rfq,
                quote,
                lp,
                price,
                at,
                ..
            } => {
                let lp_name = LPS
                    .get(usize::from(lp.0))
                    .map_or("unknown", |(name, _)| *name);
                let row = self.rfq_row(tx, rfq).await?;
                let price_text = row.price(price);
                let correlation_id = correlation.clone().unwrap_or(row.correlation_id.clone());
                let tenant = row.tenant.clone();
                self.stage().trades.push(TradeInsert {
                    trade_id: trade.0 as i64,
                    tenant: row.tenant.clone(),
                    rfq_id: rfq.raw() as i64,
                    quote_id: quote.0 as i64,
                    user: row.user.clone(),
                    lp_id: lp_name,
                    instrument: row.instrument.clone(),
                    side: row.side.clone(),
                    price: price_text.clone(),
                    size: row.size.clone(),
                    executed_at: at as i64,
                    correlation_id: correlation_id.clone(),
                });
                self.stage().set_rfq_state(
                    rfq.raw() as i64,
                    "TRADED",
                    at as i64,
                    Some(trade.0 as i64),
                );
                let (instrument_id, side, size, requester) =
                    (&row.instrument, &row.side, &row.size, &row.user);
                let payload = json!({
                    "tradeId": trade.0.to_string(), "rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string(),
                    "lpId": lp_name, "price": price_text, "executedAt": rfc3339(at),
                    "instrumentId": instrument_id, "side": side, "size": size, "requester": requester,
                });
                self.outbox(
                    "TradeExecuted",
                    "execution.trades",
                    &trade.0.to_string(),
                    &tenant,
                    &correlation_id,
                    "Trade",
                    &trade.0.to_string(),
                    payload,
                    at,
                );
                updates.push(UserUpdate::new(&row.tenant, &row.user, UpdateChannel::Rfqs, json!({
                    "type": "RFQ_UPDATE", "event": "TradeExecuted", "rfqId": rfq.raw().to_string(), "status": "TRADED",
                    "tradeId": trade.0.to_string(),
                })));
                updates.push(UserUpdate::new(&row.tenant, &row.user, UpdateChannel::Trades, json!({
                    "type": "TRADE", "tradeId": trade.0.to_string(), "rfqId": rfq.raw().to_string(),
                    "quoteId": quote.0.to_string(), "lpId": lp_name, "price": price_text, "executedAt": rfc3339(at),
                    "correlationId": correlation_id,
                })));
                self.forget_row(rfq);
                let Some(p) = pending else { return Ok(None) };
                self.audit(
                    &p.tenant,
                    &p.user,
                    "TRADE_EXECUTED",
                    "Trade",
                    &trade.0.to_string(),
                    &p.correlation_id,
                    "",
                    at,
                );
                Ok(Some(Outcome {
                    status: 200,
                    body: json!({"rfqId": rfq.raw().to_string(), "status": "TRADED", "tradeId": trade.0.to_string(), "correlationId": p.correlation_id}),
                }))
            }
            RfqEvent::RfqExpired { rfq, at } => {
                self.close(tx, rfq, "EXPIRED", "RFQExpired", correlation, at, updates)
                    .await?;
                Ok(None)
            }
            RfqEvent::RfqCancelled { rfq, at, .. } => {
                self.close(
                    tx,
                    rfq,
                    "CANCELLED",
                    "RFQCancelled",
                    correlation,
                    at,
                    updates,
                )
                .await?;
                let Some(p) = pending else { return Ok(None) };
                self.audit(
                    &p.tenant,
                    &p.user,
                    "RFQ_CANCELLED",
                    "RFQ",
                    &rfq.raw().to_string(),
                    &p.correlation_id,
                    "",
                    at,
                );
                Ok(Some(Outcome {
                    status: 200,
                    body: json!({"rfqId": rfq.raw().to_string(), "status": "CANCELLED", "correlationId": p.correlation_id}),
                }))
            }
            RfqEvent::KillSwitchChanged {
                scope, enabled, at, ..
            } => {
                let Some(p) = pending else { return Ok(None) };
                let (key, tenant) = match scope {
                    KillScope::Global => ("global".to_owned(), "*".to_owned()),
                    KillScope::Tenant(t) => {
                        let name = TENANTS.get(usize::from(t.0)).copied().unwrap_or("unknown");
                        (format!("tenant:{name}"), name.to_owned())
                    }
                };
                sqlx::query(
                    "INSERT INTO kill_switches (scope, tenant_id, enabled, changed_at, changed_by) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (scope) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
                )
                .bind(key.as_str())
                .bind(tenant.as_str())
                .bind(i64::from(enabled))
                .bind(at as i64)
                .bind(p.user.as_str())
                .execute(&mut **tx)
                .await?;
                let payload = json!({"scope": key, "enabled": enabled, "changedBy": p.user});
                self.outbox(
                    "KillSwitchChanged",
                    "admin.changes",
                    &key,
                    &p.tenant,
                    &p.correlation_id,
                    "KillSwitch",
                    &key,
                    payload,
                    at,
                );
                self.audit(
                    &p.tenant,
                    &p.user,
                    if enabled {
                        "KILL_SWITCH_ON"
                    } else {
                        "KILL_SWITCH_OFF"
                    },
                    "KillSwitch",
                    &key,
                    &p.correlation_id,
                    "",
                    at,
                );
                Ok(Some(Outcome {
                    status: 200,
                    body: json!({"scope": if matches!(scope, KillScope::Global) { "global" } else { "tenant" }, "tenantId": tenant, "enabled": enabled}),
                }))
            }
            RfqEvent::LimitsChanged { at, .. } => {
                let Some(p) = pending else { return Ok(None) };
                match &p.extra {
                    PendingExtra::UserLimits {
                        tenant,
                        user,
                        max_notional,
                        max_rfqs_per_sec,
                    } => {
                        sqlx::query(
                            "INSERT INTO risk_limits (tenant_id, user_id, max_notional, max_rfqs_per_sec, updated_at) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (tenant_id, user_id) DO UPDATE SET max_notional = excluded.max_notional, \
                             max_rfqs_per_sec = excluded.max_rfqs_per_sec, updated_at = excluded.updated_at",
                        )
                        .bind(tenant.as_str())
                        .bind(user.as_str())
                        .bind(*max_notional)
                        .bind(*max_rfqs_per_sec)
                        .bind(at as i64)
                        .execute(&mut **tx)
                        .await?;
                    }
                    PendingExtra::TenantLimit {
                        tenant,
                        max_open_notional,
                    } => {
                        sqlx::query(
                            "INSERT INTO tenant_limits (tenant_id, max_open_notional, updated_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (tenant_id) DO UPDATE SET max_open_notional = excluded.max_open_notional, updated_at = excluded.updated_at",
                        )
                        .bind(tenant.as_str())
                        .bind(*max_open_notional)
                        .bind(at as i64)
                        .execute(&mut **tx)
                        .await?;
                    }
                    PendingExtra::None => {}
                }
                self.audit(
                    &p.tenant,
                    &p.user,
                    "LIMITS_CHANGED",
                    "RiskLimit",
                    &p.tenant,
                    &p.correlation_id,
                    "",
                    at,
                );
                Ok(Some(Outcome {
                    status: 200,
                    body: json!({"status": "APPLIED", "correlationId": p.correlation_id}),
                }))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn close(
        &self,
        tx: &mut Transaction<'static, Any>,
        rfq: RfqId,
        status: &'static str,
        event_type: &str,
        correlation: Option<String>,
        at: u64,
        updates: &mut Vec<UserUpdate>,
    ) -> Result<(), sqlx::Error> {
        self.stage()
            .set_rfq_state(rfq.raw() as i64, status, at as i64, None);
        let row = self.rfq_row(tx, rfq).await?;
        let correlation_id = correlation.unwrap_or(row.correlation_id);
        let payload = json!({"rfqId": rfq.raw().to_string(), "status": status});
        self.outbox(
            event_type,
            "rfq.lifecycle",
            &rfq.raw().to_string(),
            &row.tenant,
            &correlation_id,
            "RFQ",
            &rfq.raw().to_string(),
            payload,
            at,
        );
        updates.push(UserUpdate::new(&row.tenant, &row.user, UpdateChannel::Rfqs, json!({
            "type": "RFQ_UPDATE", "event": event_type, "rfqId": rfq.raw().to_string(), "status": status,
        })));
        self.forget_row(rfq);
        Ok(())
    }

    /// The RFQ's tenant, correlation id and price scale, from its row in this transaction.
    async fn rfq_row(
        &self,
        tx: &mut Transaction<'static, Any>,
        rfq: RfqId,
    ) -> Result<RfqRow, sqlx::Error> {
        if let Some(row) = self
            .rows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&rfq)
        {
            return Ok(row.clone());
        }
        type Facts = (String, String, String, String, String, String);
        let row: Option<Facts> = sqlx::query_as(
            "SELECT tenant_id, correlation_id, instrument_id, user_id, side, size FROM rfqs WHERE rfq_id = $1",
        )
        .bind(rfq.raw() as i64)
        .fetch_optional(&mut **tx)
        .await?;
        let (tenant, correlation_id, instrument, user, side, size) = row.unwrap_or_else(|| {
            let unknown = || String::new();
            (
                "unknown".into(),
                unknown(),
                unknown(),
                unknown(),
                unknown(),
                unknown(),
            )
        });
        let price_scale = self
            .instruments
            .id(&instrument)
            .and_then(|id| self.instruments.spec(id))
            .map_or(0, |spec| spec.price_scale);
        let found = tenant != "unknown";
        let row = RfqRow {
            tenant,
            user,
            correlation_id,
            instrument,
            side,
            size,
            price_scale,
        };
        if found {
            self.remember(rfq, row.clone());
        }
        Ok(row)
    }

    /// Caches an open RFQ's immutable facts (bounded: a runaway cache is dropped whole).
    fn remember(&self, rfq: RfqId, row: RfqRow) {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        if rows.len() > 100_000 {
            rows.clear();
        }
        rows.insert(rfq, row);
    }

    /// Forgets a closed RFQ's cached facts.
    fn forget_row(&self, rfq: RfqId) {
        self.rows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&rfq);
    }

    /// Stages one outbox envelope (written with the batch, before its commit).
    #[allow(clippy::too_many_arguments)]
    fn outbox(
        &self,
        event_type: &str,
        stream: &str,
        key: &str,
        tenant: &str,
        correlation_id: &str,
        entity_type: &str,
        entity_id: &str,
        payload: Value,
        at: u64,
    ) {
        // The entity sequence is the event's outbox position: increasing per entity (and overall).
        let position = self.ledger.next_position.fetch_add(1, Ordering::Relaxed);
        let event_id = uuid::Uuid::new_v4().to_string();
        let envelope = Envelope {
            event_id: &event_id,
            event_type,
            event_version: 1,
            occurred_at: rfc3339(at),
            producer: "orion-core",
            tenant_id: tenant,
            correlation_id,
            causation_id: correlation_id,
            entity: Entity {
                entity_type,
                entity_id,
                sequence: position,
            },
            payload: &payload,
        };
        let envelope = serde_json::to_string(&envelope).expect("envelopes serialise");
        self.stage().outbox.push(OutboxInsert {
            event_id,
            correlation_id: correlation_id.to_owned(),
            position,
            tenant: tenant.to_owned(),
            topic: format!("{}.{stream}.v1", self.env),
            key: key.to_owned(),
            event_type: event_type.to_owned(),
            envelope,
            at: at as i64,
        });
    }

    /// Stages one audit entry.
    #[allow(clippy::too_many_arguments)]
    fn audit(
        &self,
        tenant: &str,
        actor: &str,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        correlation_id: &str,
        detail: &str,
        at: u64,
    ) {
        self.stage().audit.push(AuditInsert {
            audit_id: uuid::Uuid::new_v4().to_string(),
            tenant: tenant.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            correlation_id: correlation_id.to_owned(),
            detail: detail.to_owned(),
            at: at as i64,
        });
    }
}
