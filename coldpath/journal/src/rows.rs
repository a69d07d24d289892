//! How each engine decision becomes rows: state, outbox envelope, audit entry, the owner's
//! update and — when it answers a request — the typed [`Decision`]. Runs inside the
//! committer's batch transaction. Every name written (tenant, user, LP) comes from the engine's
//! event through the directory or from the RFQ's own row; a missing one is an error.

use std::sync::atomic::Ordering;

use orion_hotpath::Price;
use orion_hotpath::rfq::{KillScope, LimitChange, RfqEvent, RfqId, RfqState};
use orion_store::StoreError;
use orion_store::batch::{
    AuditInsert, KillSwitchUpsert, OutboxInsert, QuoteInsert, RfqInsert, TenantLimitUpsert,
    TradeInsert, UserLimitUpsert,
};
use serde_json::{Value, json};

use crate::{Committer, Decision, OwnerUpdate, PendingInfo, RfqChange, side_str};
use orion_bridge::clock::rfc3339;

/// The event envelope (`docs/api.md`, "Events"; `proto/schemas/v1/envelope.json`), serialised
/// directly.
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
    size_units: i64,
    price_scale: u8,
    size_scale: u8,
    /// Creation, ns since the epoch.
    created_at: u64,
}

impl RfqRow {
    fn price(&self, units: i64) -> String {
        Price::new(units, self.price_scale).to_string()
    }

    fn size(&self, units: i64) -> String {
        orion_hotpath::Qty::new(units, self.size_scale).to_string()
    }
}

impl Committer {
    /// Writes one decision's rows; returns the decision when it answers a request.
    pub(super) async fn apply(
        &self,
        event: &RfqEvent,
        pending: Option<&PendingInfo>,
        updates: &mut Vec<OwnerUpdate>,
    ) -> Result<Option<Decision>, StoreError> {
        let correlation = pending.map(|p| p.correlation_id.clone());
        match *event {
            RfqEvent::RfqCreated {
                rfq,
                instrument,
                side,
                size,
                expires_at,
                lps,
                mid_x2,
                notional,
                min_size,
                partial_allowed,
                at,
                ..
            } => {
                let Some(p) = pending else {
                    tracing::error!(rfq = rfq.raw(), "RFQ created without a waiting request");
                    metrics::counter!("orion_journal_unattributed_total").increment(1);
                    return Ok(None);
                };
                let spec = self
                    .instruments
                    .spec(instrument)
                    .expect("engine instruments come from this table");
                let size_text = orion_hotpath::Qty::new(size, spec.size_scale).to_string();
                let mid = Price::from_doubled(mid_x2, spec.price_scale).map(|m| m.to_string());
                let side = side_str(side);
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
                    min_size,
                    partial_allowed,
                });
                self.remember(
                    rfq,
                    RfqRow {
                        tenant: p.tenant.clone(),
                        user: p.user.clone(),
                        correlation_id: p.correlation_id.clone(),
                        instrument: spec.symbol.clone(),
                        side: side.to_owned(),
                        size_units: size,
                        price_scale: spec.price_scale,
                        size_scale: spec.size_scale,
                        created_at: at,
                    },
                );
                let payload = json!({
                    "rfqId": rfq.raw().to_string(), "instrumentId": spec.symbol, "side": side, "size": size_text,
                    "expiresAt": rfc3339(expires_at), "requester": p.user, "lpCount": lps.count_ones(),
                    "notional": notional, "partialAllowed": partial_allowed,
                    "minSize": (min_size > 0).then(|| orion_hotpath::Qty::new(min_size, spec.size_scale).to_string()),
                });
                self.rfq_event(
                    "RFQCreated",
                    "rfq.lifecycle",
                    rfq,
                    &p.tenant,
                    &p.correlation_id,
                    payload,
                    at,
                );
                // CREATED → SENT happens in the same decision: the LPs it went to.
                let sent_to: Vec<String> = (0..64u8)
                    .filter(|i| lps & (1 << i) != 0)
                    .filter_map(|i| self.names.lp(orion_hotpath::rfq::LpId(i)))
                    .collect();
                self.rfq_event(
                    "RFQSent",
                    "rfq.lifecycle",
                    rfq,
                    &p.tenant,
                    &p.correlation_id,
                    json!({"rfqId": rfq.raw().to_string(), "lpIds": sent_to, "expiresAt": rfc3339(expires_at)}),
                    at,
                );
                updates.push(OwnerUpdate {
                    tenant: p.tenant.clone(),
                    user: p.user.clone(),
                    change: RfqChange::Created {
                        rfq_id: rfq.raw(),
                        instrument_id: spec.symbol.clone(),
                        side,
                        size: size_text,
                        expires_at,
                        correlation_id: p.correlation_id.clone(),
                    },
                });
                self.audit(p, "RFQ_CREATED", "RFQ", &rfq.raw().to_string(), "", at);
                Ok(Some(Decision::RfqCreated { rfq_id: rfq.raw() }))
            }
            RfqEvent::Refused {
                rfq, reason, at, ..
            } => {
                let Some(p) = pending else { return Ok(None) };
                let entity = rfq.map(|r| r.raw().to_string()).unwrap_or_default();
                let action = if reason.is_risk_breach() {
                    "RISK_REFUSED"
                } else {
                    "REFUSED"
                };
                self.audit(p, action, "RFQ", &entity, reason.as_str(), at);
                Ok(Some(Decision::Refused { reason }))
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
                // The refusal that follows answers the request.
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
                let Some(lp_name) = self.names.lp(lp) else {
                    return Ok(self.missing("LP", u64::from(lp.0)));
                };
                let Some(row) = self.rfq_row(rfq).await? else {
                    return Ok(None);
                };
                let price_text = row.price(price);
                self.stage().quotes.push(QuoteInsert {
                    quote_id: quote.0 as i64,
                    tenant: row.tenant.clone(),
                    rfq_id: rfq.raw() as i64,
                    lp_id: lp_name.clone(),
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
                    "price": price_text, "size": row.size(size), "validUntil": rfc3339(valid_until),
                });
                self.rfq_event(
                    "QuoteReceived",
                    "rfq.quotes",
                    rfq,
                    &row.tenant,
                    &row.correlation_id,
                    payload,
                    at,
                );
                let size = row.size(size);
                updates.push(OwnerUpdate {
                    tenant: row.tenant,
                    user: row.user,
                    change: RfqChange::QuoteReceived {
                        rfq_id: rfq.raw(),
                        quote_id: quote.0,
                        lp_id: lp_name,
                        price: price_text,
                        size,
                        valid_until,
                    },
                });
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
                let Some(row) = self.rfq_row(rfq).await? else {
                    return Ok(None);
                };
                let correlation_id = correlation.unwrap_or(row.correlation_id);
                let payload = json!({"rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string(), "reason": reason.as_str()});
                self.rfq_event(
                    "QuoteAcceptanceRejected",
                    "rfq.lifecycle",
                    rfq,
                    &row.tenant,
                    &correlation_id,
                    payload,
                    at,
                );
                updates.push(OwnerUpdate {
                    tenant: row.tenant,
                    user: row.user,
                    change: RfqChange::QuoteRejected {
                        rfq_id: rfq.raw(),
                        quote_id: quote.0,
                        reason,
                    },
                });
                let Some(p) = pending else { return Ok(None) };
                self.audit(
                    p,
                    "LAST_LOOK_REJECTED",
                    "RFQ",
                    &rfq.raw().to_string(),
                    reason.as_str(),
                    at,
                );
                Ok(Some(Decision::LastLookRejected {
                    rfq_id: rfq.raw(),
                    quote_id: quote.0,
                    reason,
                }))
            }
            RfqEvent::QuoteAccepted { rfq, quote, at, .. } => {
                self.stage().quote_status.insert(quote.0 as i64, "ACCEPTED");
                let Some(row) = self.rfq_row(rfq).await? else {
                    return Ok(None);
                };
                let correlation_id = correlation.unwrap_or(row.correlation_id);
                self.rfq_event(
                    "QuoteAccepted",
                    "rfq.lifecycle",
                    rfq,
                    &row.tenant,
                    &correlation_id,
                    json!({"rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string()}),
                    at,
                );
                Ok(None)
            }
            RfqEvent::TradeExecuted {
                trade,
                rfq,
                quote,
                lp,
                price,
                size,
                at,
                ..
            } => {
                let Some(lp_name) = self.names.lp(lp) else {
                    return Ok(self.missing("LP", u64::from(lp.0)));
                };
                let Some(row) = self.rfq_row(rfq).await? else {
                    return Ok(None);
                };
                let price_text = row.price(price);
                let (filled, partial) = (row.size(size), size < row.size_units);
                let correlation_id = correlation.clone().unwrap_or(row.correlation_id.clone());
                self.stage().trades.push(TradeInsert {
                    trade_id: trade.0 as i64,
                    tenant: row.tenant.clone(),
                    rfq_id: rfq.raw() as i64,
                    quote_id: quote.0 as i64,
                    user: row.user.clone(),
                    lp_id: lp_name.clone(),
                    instrument: row.instrument.clone(),
                    side: row.side.clone(),
                    price: price_text.clone(),
                    size: filled.clone(),
                    executed_at: at as i64,
                    correlation_id: correlation_id.clone(),
                    partial,
                    venue: "RFQ",
                    orders: None,
                });
                self.stage().set_rfq_state(
                    rfq.raw() as i64,
                    "TRADED",
                    at as i64,
                    Some(trade.0 as i64),
                );
                let mut payload = json!({
                    "tradeId": trade.0.to_string(), "rfqId": rfq.raw().to_string(), "quoteId": quote.0.to_string(),
                    "lpId": lp_name, "price": price_text, "executedAt": rfc3339(at),
                    "instrumentId": row.instrument, "side": row.side, "size": filled, "requester": row.user,
                    "partial": partial, "requestedAt": rfc3339(row.created_at),
                });
                self.stamp_market(&mut payload, &row.instrument);
                self.outbox(
                    "TradeExecuted",
                    "execution.trades",
                    &trade.0.to_string(),
                    &row.tenant,
                    &correlation_id,
                    "Trade",
                    &trade.0.to_string(),
                    payload,
                    at,
                );
                updates.push(OwnerUpdate {
                    tenant: row.tenant,
                    user: row.user,
                    change: RfqChange::Traded {
                        rfq_id: rfq.raw(),
                        trade_id: trade.0,
                        quote_id: quote.0,
                        lp_id: lp_name,
                        price: price_text,
                        size: filled,
                        partial,
                        executed_at: at,
                        correlation_id,
                    },
                });
                self.forget_row(rfq);
                let Some(p) = pending else { return Ok(None) };
                self.audit(p, "TRADE_EXECUTED", "Trade", &trade.0.to_string(), "", at);
                Ok(Some(Decision::Traded {
                    rfq_id: rfq.raw(),
                    trade_id: trade.0,
                }))
            }
            RfqEvent::Order {
                request,
                tenant,
                event,
                at,
            } => Ok(self.apply_order(request, tenant, &event, at, pending, updates)),
            RfqEvent::OrderRejected {
                order, reason, at, ..
            } => Ok(self.apply_order_rejected(&order, reason, at, pending)),
            RfqEvent::RfqExpired { rfq, at } => {
                self.close(rfq, RfqState::Expired, correlation, at, updates)
                    .await?;
                Ok(None)
            }
            RfqEvent::RfqCancelled { rfq, at, .. } => {
                self.close(rfq, RfqState::Cancelled, correlation, at, updates)
                    .await?;
                let Some(p) = pending else { return Ok(None) };
                self.audit(p, "RFQ_CANCELLED", "RFQ", &rfq.raw().to_string(), "", at);
                Ok(Some(Decision::Cancelled { rfq_id: rfq.raw() }))
            }
            RfqEvent::KillSwitchChanged {
                scope, enabled, at, ..
            } => {
                let Some(p) = pending else { return Ok(None) };
                let (key, tenant) = match scope {
                    KillScope::Global => ("global".to_owned(), "*".to_owned()),
                    KillScope::Tenant(t) => {
                        let Some(name) = self.names.tenant(t) else {
                            return Ok(self.missing("tenant", u64::from(t.0)));
                        };
                        (format!("tenant:{name}"), name)
                    }
                };
                self.stage().kill_switches.push(KillSwitchUpsert {
                    scope: key.clone(),
                    tenant: tenant.clone(),
                    enabled,
                    at: at as i64,
                    changed_by: p.user.clone(),
                });
                let global = matches!(scope, KillScope::Global);
                let payload = json!({
                    "scope": if global { "global" } else { "tenant" }, "tenantId": tenant,
                    "enabled": enabled, "changedBy": p.user,
                });
                self.outbox(
                    if enabled {
                        "KillSwitchEnabled"
                    } else {
                        "KillSwitchDisabled"
                    },
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
                    p,
                    "KILL_SWITCH",
                    "KillSwitch",
                    &key,
                    if enabled { "enabled" } else { "disabled" },
                    at,
                );
                Ok(Some(Decision::KillSwitchSet {
                    global,
                    tenant_id: tenant,
                    enabled,
                }))
            }
            RfqEvent::LimitsChanged { change, at, .. } => {
                let Some(p) = pending else { return Ok(None) };
                let (entity, detail) = match change {
                    LimitChange::User {
                        user,
                        max_notional,
                        max_rfqs_per_sec,
                    } => {
                        let Some(name) = self.names.user(user) else {
                            return Ok(self.missing("user", u64::from(user.0)));
                        };
                        self.stage().user_limits.push(UserLimitUpsert {
                            tenant: p.tenant.clone(),
                            user: name.clone(),
                            max_notional,
                            max_rfqs_per_sec: i64::from(max_rfqs_per_sec),
                            at: at as i64,
                        });
                        (
                            name,
                            json!({"maxNotional": max_notional, "maxRfqsPerSec": max_rfqs_per_sec}),
                        )
                    }
                    LimitChange::Tenant {
                        tenant,
                        max_open_notional,
                    } => {
                        let Some(name) = self.names.tenant(tenant) else {
                            return Ok(self.missing("tenant", u64::from(tenant.0)));
                        };
                        self.stage().tenant_limits.push(TenantLimitUpsert {
                            tenant: name.clone(),
                            max_open_notional,
                            at: at as i64,
                        });
                        (name, json!({"tenantMaxOpenNotional": max_open_notional}))
                    }
                };
                self.audit(
                    p,
                    "LIMITS_CHANGED",
                    "RiskLimit",
                    &entity,
                    &detail.to_string(),
                    at,
                );
                Ok(Some(Decision::LimitsApplied))
            }
        }
    }

    /// Logs and counts a decision whose id has no row or name; its rows are not written.
    fn missing(&self, what: &'static str, id: u64) -> Option<Decision> {
        tracing::error!(
            what,
            id,
            "decision names an id the store does not know; not written"
        );
        metrics::counter!("orion_journal_missing_rows_total", "what" => what).increment(1);
        None
    }

    async fn close(
        &self,
        rfq: RfqId,
        state: RfqState,
        correlation: Option<String>,
        at: u64,
        updates: &mut Vec<OwnerUpdate>,
    ) -> Result<(), StoreError> {
        let (status, event_type) = (
            state.as_str(),
            if state == RfqState::Expired {
                "RFQExpired"
            } else {
                "RFQCancelled"
            },
        );
        self.stage()
            .set_rfq_state(rfq.raw() as i64, status, at as i64, None);
        let Some(row) = self.rfq_row(rfq).await? else {
            return Ok(());
        };
        let correlation_id = correlation.unwrap_or(row.correlation_id);
        let payload = json!({"rfqId": rfq.raw().to_string(), "status": status});
        self.rfq_event(
            event_type,
            "rfq.lifecycle",
            rfq,
            &row.tenant,
            &correlation_id,
            payload,
            at,
        );
        updates.push(OwnerUpdate {
            tenant: row.tenant,
            user: row.user,
            change: RfqChange::Closed {
                rfq_id: rfq.raw(),
                state,
            },
        });
        self.forget_row(rfq);
        Ok(())
    }

    /// The RFQ's owner, correlation id and price scale: cached since its creation, else read
    /// from its row (written by an earlier batch). `None` — logged and counted as missing —
    /// when no such RFQ was ever written.
    async fn rfq_row(&self, rfq: RfqId) -> Result<Option<RfqRow>, StoreError> {
        let row = self.written_rfq(rfq).await?;
        if row.is_none() {
            self.missing("RFQ", rfq.raw());
        }
        Ok(row)
    }

    async fn written_rfq(&self, rfq: RfqId) -> Result<Option<RfqRow>, StoreError> {
        if let Some(row) = self
            .rows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&rfq)
        {
            return Ok(Some(row.clone()));
        }
        let Some(facts) = self.store.rfq_facts(rfq.raw()).await? else {
            return Ok(None);
        };
        let (tenant, correlation_id, instrument, user, side) = (
            facts.tenant,
            facts.correlation_id,
            facts.instrument,
            facts.user,
            facts.side,
        );
        let Some((price_scale, size_scale)) = self
            .instruments
            .id(&instrument)
            .and_then(|id| self.instruments.spec(id))
            .map(|spec| (spec.price_scale, spec.size_scale))
        else {
            return Ok(None);
        };
        let row = RfqRow {
            tenant,
            user,
            correlation_id,
            instrument,
            side,
            size_units: facts.size_units,
            price_scale,
            size_scale,
            created_at: facts.created_at.max(0) as u64,
        };
        self.remember(rfq, row.clone());
        Ok(Some(row))
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

    /// Stages `MarketDataStaleDetected` / `MarketDataRecovered` on `marketdata.status`, keyed by
    /// instrument. Market data belongs to no tenant: the envelope names `*`, and the event is its
    /// own cause (a fresh correlation id).
    pub(crate) fn apply_market_status(&self, status: &crate::MarketStatus) {
        let Some(spec) = self.instruments.spec(status.instrument) else {
            self.missing("instrument", u64::from(status.instrument.raw()));
            return;
        };
        let (event_type, payload) = if status.stale {
            (
                "MarketDataStaleDetected",
                json!({"instrumentId": spec.symbol, "lastUpdateAt": rfc3339(status.last_update_ts), "detectedAt": rfc3339(status.at)}),
            )
        } else {
            (
                "MarketDataRecovered",
                json!({"instrumentId": spec.symbol, "recoveredAt": rfc3339(status.at)}),
            )
        };
        let correlation_id = uuid::Uuid::new_v4().to_string();
        self.outbox(
            event_type,
            "marketdata.status",
            &spec.symbol,
            "*",
            &correlation_id,
            "Instrument",
            &spec.symbol,
            payload,
            status.at,
        );
    }

    /// Stages one event about `rfq` (entity `RFQ`, keyed by its id) on `stream`.
    #[allow(clippy::too_many_arguments)]
    fn rfq_event(
        &self,
        event_type: &str,
        stream: &str,
        rfq: RfqId,
        tenant: &str,
        correlation_id: &str,
        payload: Value,
        at: u64,
    ) {
        let id = rfq.raw().to_string();
        self.outbox(
            event_type,
            stream,
            &id,
            tenant,
            correlation_id,
            "RFQ",
            &id,
            payload,
            at,
        );
    }

    /// Stages one outbox envelope (written with the batch, before its commit); the event is
    /// caused by the request it carries the correlation id of.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn outbox(
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
        self.outbox_caused(
            event_type,
            stream,
            key,
            tenant,
            (correlation_id, correlation_id),
            (entity_type, entity_id),
            payload,
            at,
        );
    }

    /// Stages one outbox envelope whose cause is `ids.1` (an event id or the request's
    /// correlation id `ids.0`), about the entity `(type, id)`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn outbox_caused(
        &self,
        event_type: &str,
        stream: &str,
        key: &str,
        tenant: &str,
        ids: (&str, &str),
        entity: (&str, &str),
        payload: Value,
        at: u64,
    ) {
        let (correlation_id, causation_id) = ids;
        let (entity_type, entity_id) = entity;
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
            causation_id,
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
            trace_parent: self.trace_parent(),
        });
    }

    /// Stages one audit entry for the request's caller.
    pub(crate) fn audit(
        &self,
        p: &PendingInfo,
        action: &str,
        entity_type: &str,
        entity_id: &str,
        detail: &str,
        at: u64,
    ) {
        self.stage().audit.push(AuditInsert {
            audit_id: uuid::Uuid::new_v4().to_string(),
            tenant: p.tenant.clone(),
            actor: p.user.clone(),
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.to_owned(),
            correlation_id: p.correlation_id.clone(),
            detail: detail.to_owned(),
            at: at as i64,
        });
    }
}
