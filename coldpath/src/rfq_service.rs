//! The RFQ service: the narrow interface the BFF's handlers call (shaped like PRD §11.3's
//! `RFQService`: create, get, list, accept, cancel; plus trades and risk administration), so a
//! gRPC implementation can sit behind the same handlers later.
//!
//! Commands go to the engine through the bridge's gateway and return only once the decision is
//! committed (see [`crate::durability`]). `Idempotency-Key`s are scoped to tenant, user and
//! operation; a repeated key returns the stored answer, a key still in flight is a 409.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orion_bridge::gateway::CommandGateway;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::rfq::engine::{RankedQuote, rank};
use orion_hotpath::rfq::{Command, KillScope, QuoteId, RfqId, Side, TenantId, UserId};
use orion_hotpath::{InstrumentTable, Price, Qty};
use serde_json::{Value, json};
use sqlx::Row;

use crate::durability::{Ledger, Outcome, Pending, PendingExtra, PendingInfo, error_body};
use crate::identity::{Claims, DEMO_USERS};
use crate::market_view::rfc3339;
use crate::store::Store;
use crate::store::reference::TENANTS;

macro_rules! trade_select {
    ($tail:literal) => {
        concat!(
            "SELECT trade_id, rfq_id, quote_id, user_id, lp_id, instrument_id, side, price, size, executed_at, \
             correlation_id, confirmation_status, settlement_status FROM trades ",
            $tail
        )
    };
}

/// How long a request waits for its durable decision before answering 503.
const DECISION_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest RFQ lifetime a client may ask for.
pub const MAX_EXPIRY_SECONDS: u64 = 300;

/// The authenticated caller, resolved to the engine's indexes.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Claims from the token.
    pub claims: Claims,
    /// Tenant index.
    pub tenant: TenantId,
    /// User index.
    pub user: UserId,
}

impl Caller {
    /// Resolves a token's user; `None` for users the engine does not know.
    pub fn resolve(claims: Claims) -> Option<Self> {
        let user = DEMO_USERS.iter().position(|u| u.username == claims.sub)?;
        let tenant = TENANTS.iter().position(|t| *t == claims.tenant)?;
        Some(Self {
            claims,
            tenant: TenantId(tenant as u16),
            user: UserId(user as u32),
        })
    }
}

/// `POST /rfqs` body.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRfq {
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal size.
    pub size: String,
    /// Seconds until quoting ends.
    pub expiry_seconds: u64,
    /// Smallest acceptable fill (full fills only in this version; must not exceed size).
    #[serde(default)]
    pub min_size: Option<String>,
    /// Whether partial fills are acceptable (full fills only in this version).
    #[serde(default)]
    pub partial_allowed: Option<bool>,
}

/// The RFQ service.
pub struct RfqService {
    gateway: Arc<CommandGateway<MultiInput>>,
    ledger: Arc<Ledger>,
    store: Store,
    instruments: Arc<InstrumentTable>,
    in_flight: Mutex<HashSet<(String, String, &'static str, String)>>,
}

fn unavailable(correlation_id: &str) -> Outcome {
    fail(
        503,
        "UNAVAILABLE",
        "the store is unavailable; nothing was done",
        correlation_id,
    )
}

fn fail(status: u16, code: &str, message: &str, correlation_id: &str) -> Outcome {
    Outcome {
        status,
        body: error_body(code, message, correlation_id),
    }
}

impl RfqService {
    /// A service over the engine's gateway and the store.
    pub fn new(
        gateway: Arc<CommandGateway<MultiInput>>,
        ledger: Arc<Ledger>,
        store: Store,
        instruments: Arc<InstrumentTable>,
    ) -> Self {
        Self {
            gateway,
            ledger,
            store,
            instruments,
            in_flight: Mutex::new(HashSet::new()),
        }
    }

    /// The store, for readiness.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// True when commands can be made durable now.
    pub fn is_healthy(&self) -> bool {
        self.ledger.is_healthy()
    }

    /// Sends `command` and waits for its committed outcome, honouring an idempotency key.
    async fn decide(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        extra: PendingExtra,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
    ) -> Result<Outcome, sqlx::Error> {
        if !self.ledger.is_healthy() {
            return Ok(unavailable(correlation_id));
        }
        if let Some(key) = &key {
            if let Some(stored) = self.stored(caller, operation, key).await? {
                return Ok(stored);
            }
        }
        let guard = key.clone().map(|k| {
            (
                caller.claims.tenant.clone(),
                caller.claims.sub.clone(),
                operation,
                k,
            )
        });
        if let Some(g) = &guard {
            if !self
                .in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(g.clone())
            {
                return Ok(fail(
                    409,
                    "IDEMPOTENCY_IN_PROGRESS",
                    "a request with this Idempotency-Key is in progress",
                    correlation_id,
                ));
            }
        }
        let outcome = self
            .submit(caller, operation, key, correlation_id, extra, command)
            .await;
        if let Some(g) = guard {
            self.in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&g);
        }
        Ok(outcome)
    }

    async fn submit(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        extra: PendingExtra,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
    ) -> Outcome {
        let request = self.gateway.next_request();
        let (reply, decided) = tokio::sync::oneshot::channel();
        self.ledger.expect(
            request,
            Pending {
                info: PendingInfo {
                    correlation_id: correlation_id.to_owned(),
                    tenant: caller.claims.tenant.clone(),
                    user: caller.claims.sub.clone(),
                    idempotency: key.map(|k| (operation, k)),
                    extra,
                },
                reply,
            },
        );
        if self.gateway.try_submit(command(request)).is_err() {
            self.ledger.forget(request);
            return fail(
                503,
                "UNAVAILABLE",
                "the engine is saturated; nothing was done",
                correlation_id,
            );
        }
        match tokio::time::timeout(DECISION_TIMEOUT, decided).await {
            Ok(Ok(outcome)) => outcome,
            _ => fail(
                503,
                "UNAVAILABLE",
                "the decision is not durable yet; retry with the same Idempotency-Key",
                correlation_id,
            ),
        }
    }

    async fn stored(
        &self,
        caller: &Caller,
        operation: &str,
        key: &str,
    ) -> Result<Option<Outcome>, sqlx::Error> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT status, response FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND operation = $3 AND idem_key = $4",
        )
        .bind(caller.claims.tenant.as_str())
        .bind(caller.claims.sub.as_str())
        .bind(operation)
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row.map(|(status, body)| Outcome {
            status: status as u16,
            body: serde_json::from_str(&body).unwrap_or(Value::Null),
        }))
    }

    /// Creates an RFQ.
    pub async fn create_rfq(
        &self,
        caller: &Caller,
        req: CreateRfq,
        key: Option<String>,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        let Some(id) = self.instruments.id(&req.instrument_id) else {
            return Ok(fail(
                400,
                "UNKNOWN_INSTRUMENT",
                &format!("unknown instrument {}", req.instrument_id),
                correlation_id,
            ));
        };
        let spec = self.instruments.spec(id).expect("id from this table");
        let side = match req.side.as_str() {
            "BUY" | "buy" => Side::Buy,
            "SELL" | "sell" => Side::Sell,
            _ => {
                return Ok(fail(
                    400,
                    "BAD_REQUEST",
                    "side must be BUY or SELL",
                    correlation_id,
                ));
            }
        };
        let Ok(size) = Qty::parse(&req.size, spec.size_scale) else {
            return Ok(fail(
                400,
                "BAD_REQUEST",
                &format!(
                    "size must be a decimal with at most {} places",
                    spec.size_scale
                ),
                correlation_id,
            ));
        };
        if size.units() <= 0 {
            return Ok(fail(
                400,
                "BAD_REQUEST",
                "size must be positive",
                correlation_id,
            ));
        }
        if let Some(min) = &req.min_size {
            match Qty::parse(min, spec.size_scale) {
                Ok(min) if min.units() > 0 && min.units() <= size.units() => {}
                _ => {
                    return Ok(fail(
                        400,
                        "BAD_REQUEST",
                        "minSize must be positive and at most size",
                        correlation_id,
                    ));
                }
            }
        }
        if req.expiry_seconds == 0 || req.expiry_seconds > MAX_EXPIRY_SECONDS {
            return Ok(fail(
                400,
                "BAD_REQUEST",
                &format!("expirySeconds must be 1..={MAX_EXPIRY_SECONDS}"),
                correlation_id,
            ));
        }
        let (tenant, user, expiry) = (
            caller.tenant,
            caller.user,
            req.expiry_seconds * 1_000_000_000,
        );
        let now = orion_bridge::clock::unix_nanos();
        self.decide(
            caller,
            "create_rfq",
            key,
            correlation_id,
            PendingExtra::None,
            move |request| Command::CreateRfq {
                request,
                tenant,
                user,
                instrument: id,
                side,
                size: size.units(),
                expires_at: now + expiry,
            },
        )
        .await
    }

    /// Accepts a quote.
    pub async fn accept_quote(
        &self,
        caller: &Caller,
        rfq_id: &str,
        quote_id: &str,
        key: Option<String>,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        if !self.ledger.is_healthy() {
            return Ok(unavailable(correlation_id));
        }
        if let Some(key) = &key {
            if let Some(stored) = self.stored(caller, "accept", key).await? {
                return Ok(stored);
            }
        }
        let Some(row) = self.rfq_row(caller, rfq_id).await? else {
            return Ok(fail(404, "NOT_FOUND", "no such RFQ", correlation_id));
        };
        let Ok(quote) = quote_id.parse::<u64>() else {
            return Ok(fail(
                400,
                "BAD_REQUEST",
                "quoteId must be a quote id of this RFQ",
                correlation_id,
            ));
        };
        if !matches!(row.status.as_str(), "SENT" | "QUOTING") {
            return Ok(fail(
                409,
                "NOT_OPEN",
                &format!("the RFQ is {}", row.status),
                correlation_id,
            ));
        }
        let (tenant, user, rfq) = (caller.tenant, caller.user, RfqId::from_raw(row.rfq_id));
        self.decide(
            caller,
            "accept",
            key,
            correlation_id,
            PendingExtra::None,
            move |request| Command::Accept {
                request,
                tenant,
                user,
                rfq,
                quote: QuoteId(quote),
            },
        )
        .await
    }

    /// Cancels an RFQ.
    pub async fn cancel_rfq(
        &self,
        caller: &Caller,
        rfq_id: &str,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        if !self.ledger.is_healthy() {
            return Ok(unavailable(correlation_id));
        }
        let Some(row) = self.rfq_row(caller, rfq_id).await? else {
            return Ok(fail(404, "NOT_FOUND", "no such RFQ", correlation_id));
        };
        if !matches!(row.status.as_str(), "SENT" | "QUOTING") {
            return Ok(fail(
                409,
                "NOT_OPEN",
                &format!("the RFQ is {}", row.status),
                correlation_id,
            ));
        }
        let (tenant, user, rfq) = (caller.tenant, caller.user, RfqId::from_raw(row.rfq_id));
        self.decide(
            caller,
            "cancel",
            None,
            correlation_id,
            PendingExtra::None,
            move |request| Command::Cancel {
                request,
                tenant,
                user,
                rfq,
            },
        )
        .await
    }

    /// Turns a kill switch on or off.
    pub async fn set_kill_switch(
        &self,
        caller: &Caller,
        global: bool,
        enabled: bool,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        let scope = if global {
            KillScope::Global
        } else {
            KillScope::Tenant(caller.tenant)
        };
        self.decide(
            caller,
            "kill_switch",
            None,
            correlation_id,
            PendingExtra::None,
            move |request| Command::SetKillSwitch {
                request,
                scope,
                enabled,
            },
        )
        .await
    }

    /// Sets a user's limits (same tenant).
    pub async fn set_user_limits(
        &self,
        caller: &Caller,
        username: &str,
        max_notional: i64,
        max_rfqs_per_sec: u32,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        let Some(index) = DEMO_USERS
            .iter()
            .position(|u| u.username == username && u.tenant == caller.claims.tenant)
        else {
            return Ok(fail(
                404,
                "NOT_FOUND",
                "no such user in your tenant",
                correlation_id,
            ));
        };
        let extra = PendingExtra::UserLimits {
            tenant: caller.claims.tenant.clone(),
            user: username.to_owned(),
            max_notional,
            max_rfqs_per_sec: i64::from(max_rfqs_per_sec),
        };
        self.decide(
            caller,
            "limits",
            None,
            correlation_id,
            extra,
            move |request| Command::SetUserLimits {
                request,
                user: UserId(index as u32),
                max_notional,
                max_rfqs_per_sec,
            },
        )
        .await
    }

    /// Sets the caller's tenant's open-notional limit.
    pub async fn set_tenant_limit(
        &self,
        caller: &Caller,
        max_open_notional: i64,
        correlation_id: &str,
    ) -> Result<Outcome, sqlx::Error> {
        let extra = PendingExtra::TenantLimit {
            tenant: caller.claims.tenant.clone(),
            max_open_notional,
        };
        let tenant = caller.tenant;
        self.decide(
            caller,
            "limits",
            None,
            correlation_id,
            extra,
            move |request| Command::SetTenantLimit {
                request,
                tenant,
                max_open_notional,
            },
        )
        .await
    }

    async fn rfq_row(&self, caller: &Caller, rfq_id: &str) -> Result<Option<RfqRow>, sqlx::Error> {
        let Ok(id) = rfq_id.parse::<u64>() else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT rfq_id, status, side, instrument_id, size, expires_at, created_at, user_id, trade_id, correlation_id, mid FROM rfqs WHERE rfq_id = $1 AND tenant_id = $2")
            .bind(id as i64)
            .bind(caller.claims.tenant.as_str())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| RfqRow::from_row(&r)))
    }

    /// One RFQ with its quotes ranked best first and the time remaining.
    pub async fn get_rfq(
        &self,
        caller: &Caller,
        rfq_id: &str,
    ) -> Result<Option<Value>, sqlx::Error> {
        let Some(row) = self.rfq_row(caller, rfq_id).await? else {
            return Ok(None);
        };
        let quotes = sqlx::query(
            "SELECT quote_id, lp_id, price, price_units, valid_until, received_at, status FROM quotes WHERE rfq_id = $1",
        )
        .bind(row.rfq_id as i64)
        .fetch_all(self.store.pool())
        .await?;
        let side = if row.side == "BUY" {
            Side::Buy
        } else {
            Side::Sell
        };
        let mut ranked: Vec<RankedQuote> = quotes
            .iter()
            .map(|q| RankedQuote {
                quote: QuoteId(q.get::<i64, _>(0) as u64),
                price: q.get::<i64, _>(3),
                received_at: q.get::<i64, _>(5) as u64,
            })
            .collect();
        rank(side, &mut ranked);
        let now = orion_bridge::clock::unix_nanos();
        let quotes: Vec<Value> = ranked
            .iter()
            .enumerate()
            .filter_map(|(position, r)| {
                let q = quotes
                    .iter()
                    .find(|q| q.get::<i64, _>(0) as u64 == r.quote.0)?;
                let valid_until = q.get::<i64, _>(4) as u64;
                Some(json!({
                    "quoteId": r.quote.0.to_string(),
                    "lpId": q.get::<String, _>(1),
                    "price": q.get::<String, _>(2),
                    "rank": position + 1,
                    "status": q.get::<String, _>(6),
                    "validUntil": rfc3339(valid_until),
                    "validForMs": valid_until.saturating_sub(now) / 1_000_000,
                    "receivedAt": rfc3339(r.received_at),
                }))
            })
            .collect();
        let mut view = row.view(now);
        view["quotes"] = Value::Array(quotes);
        Ok(Some(view))
    }

    /// The tenant's RFQ blotter (a read model), newest first, optionally filtered.
    pub async fn list_rfqs(
        &self,
        caller: &Caller,
        status: Option<&str>,
        instrument: Option<&str>,
    ) -> Result<Vec<Value>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT rfq_id, status, instrument_id, side, size, requester, quote_count, last_quote, trade_id, correlation_id, updated_at \
             FROM rm_rfq_blotter WHERE tenant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR instrument_id = $3) \
             ORDER BY updated_at DESC LIMIT 500",
        )
        .bind(caller.claims.tenant.as_str())
        .bind(status.unwrap_or(""))
        .bind(instrument.unwrap_or(""))
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                json!({
                    "rfqId": r.get::<String, _>(0),
                    "status": r.get::<String, _>(1),
                    "instrumentId": r.get::<String, _>(2),
                    "side": r.get::<String, _>(3),
                    "size": r.get::<String, _>(4),
                    "requester": r.get::<String, _>(5),
                    "quoteCount": r.get::<i64, _>(6),
                    "lastQuote": r.get::<Option<String>, _>(7),
                    "tradeId": r.get::<Option<String>, _>(8),
                    "correlationId": r.get::<String, _>(9),
                    "updatedAt": r.get::<String, _>(10),
                })
            })
            .collect())
    }

    /// One trade of the caller's tenant.
    pub async fn get_trade(
        &self,
        caller: &Caller,
        trade_id: &str,
    ) -> Result<Option<Value>, sqlx::Error> {
        let Ok(id) = trade_id.parse::<u64>() else {
            return Ok(None);
        };
        let row = sqlx::query(trade_select!("WHERE trade_id = $1 AND tenant_id = $2"))
            .bind(id as i64)
            .bind(caller.claims.tenant.as_str())
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.map(|r| trade_view(&r)))
    }

    /// The tenant's trade blotter (a read model), newest first.
    pub async fn list_trades(&self, caller: &Caller) -> Result<Vec<Value>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT trade_id, rfq_id, instrument_id, side, size, price, lp_id, requester, executed_at, correlation_id \
             FROM rm_trade_blotter WHERE tenant_id = $1 ORDER BY executed_at DESC LIMIT 500",
        )
        .bind(caller.claims.tenant.as_str())
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                json!({
                    "tradeId": r.get::<String, _>(0),
                    "rfqId": r.get::<String, _>(1),
                    "instrumentId": r.get::<String, _>(2),
                    "side": r.get::<String, _>(3),
                    "size": r.get::<String, _>(4),
                    "price": r.get::<String, _>(5),
                    "lpId": r.get::<String, _>(6),
                    "userId": r.get::<String, _>(7),
                    "executedAt": r.get::<String, _>(8),
                    "correlationId": r.get::<String, _>(9),
                })
            })
            .collect())
    }
}

fn trade_view(r: &sqlx::any::AnyRow) -> Value {
    json!({
        "tradeId": (r.get::<i64, _>(0) as u64).to_string(),
        "rfqId": (r.get::<i64, _>(1) as u64).to_string(),
        "quoteId": (r.get::<i64, _>(2) as u64).to_string(),
        "userId": r.get::<String, _>(3),
        "lpId": r.get::<String, _>(4),
        "instrumentId": r.get::<String, _>(5),
        "side": r.get::<String, _>(6),
        "price": r.get::<String, _>(7),
        "size": r.get::<String, _>(8),
        "executedAt": rfc3339(r.get::<i64, _>(9) as u64),
        "correlationId": r.get::<String, _>(10),
        "confirmationStatus": r.get::<String, _>(11),
        "settlementStatus": r.get::<String, _>(12),
    })
}

struct RfqRow {
    rfq_id: u64,
    status: String,
    side: String,
    instrument_id: String,
    size: String,
    expires_at: u64,
    created_at: u64,
    user_id: String,
    trade_id: Option<i64>,
    correlation_id: String,
    mid: Option<String>,
}

impl RfqRow {
    fn from_row(r: &sqlx::any::AnyRow) -> Self {
        Self {
            rfq_id: r.get::<i64, _>(0) as u64,
            status: r.get(1),
            side: r.get(2),
            instrument_id: r.get(3),
            size: r.get(4),
            expires_at: r.get::<i64, _>(5) as u64,
            created_at: r.get::<i64, _>(6) as u64,
            user_id: r.get(7),
            trade_id: r.get::<Option<i64>, _>(8),
            correlation_id: r.get(9),
            mid: r.get::<Option<String>, _>(10),
        }
    }

    fn view(&self, now: u64) -> Value {
        let open = matches!(self.status.as_str(), "SENT" | "QUOTING");
        json!({
            "rfqId": self.rfq_id.to_string(),
            "status": self.status,
            "instrumentId": self.instrument_id,
            "side": self.side,
            "size": self.size,
            "requester": self.user_id,
            "createdAt": rfc3339(self.created_at),
            "expiresAt": rfc3339(self.expires_at),
            "timeRemainingMs": if open { self.expires_at.saturating_sub(now) / 1_000_000 } else { 0 },
            "tradeId": self.trade_id.map(|t| (t as u64).to_string()),
            "midAtCreation": self.mid,
            "correlationId": self.correlation_id,
        })
    }
}

/// The price decimal of `units` for `instrument` (for LP bots and views).
pub fn price_text(
    instruments: &InstrumentTable,
    instrument: orion_hotpath::InstrumentId,
    units: i64,
) -> String {
    instruments
        .spec(instrument)
        .map(|s| Price::new(units, s.price_scale).to_string())
        .unwrap_or_default()
}
