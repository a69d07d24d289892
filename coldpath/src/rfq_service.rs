//! The RFQ service: the narrow interface the BFF's handlers call (shaped like PRD §11.3's
//! `RFQService`: create, get, list, accept, cancel; plus trades and risk administration), so a
//! gRPC implementation can sit behind the same handlers later.
//!
//! Commands go to the engine through the bridge's gateway and return only once the decision is
//! committed (see [`crate::durability`]): the typed [`Answer`], or a [`ServiceError`] when the
//! engine never decided. The service resolves names and checks what only it can (the request's
//! shape, that an RFQ belongs to the caller's tenant); whether an RFQ is open, a quote valid or
//! a limit breached is the engine's to decide. `Idempotency-Key`s are scoped to tenant, user and
//! operation; a repeated key returns the stored answer, a key still in flight is refused.

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

use crate::directory::Directory;
use crate::durability::{Answer, Ledger, Pending, PendingInfo};
use crate::identity::Claims;
use crate::market_view::rfc3339;
use crate::store::Store;

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

/// Why a command was not decided by the engine. Each face renders these for its transport.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or invalid.
    #[error("{message}")]
    Invalid {
        /// Stable error code.
        code: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No such entity visible to the caller.
    #[error("{0}")]
    NotFound(&'static str),
    /// A request with the same idempotency key is still being decided.
    #[error("a request with this Idempotency-Key is in progress")]
    InProgress,
    /// Nothing can be made durable right now; nothing was done.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] sqlx::Error),
    /// A stored answer could not be read back.
    #[error("stored answer unreadable: {0}")]
    StoredAnswer(#[from] serde_json::Error),
}

fn invalid(code: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        code,
        message: message.into(),
    }
}

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
    /// Resolves a token's user; `None` for users the directory does not know.
    pub fn resolve(claims: Claims, directory: &Directory) -> Option<Self> {
        let tenant = directory.tenant_id(&claims.tenant)?;
        let user = directory.user_id(&claims.tenant, &claims.sub)?;
        Some(Self {
            claims,
            tenant,
            user,
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
    directory: Arc<Directory>,
    in_flight: Mutex<HashSet<(String, String, &'static str, String)>>,
}

impl RfqService {
    /// A service over the engine's gateway and the store.
    pub fn new(
        gateway: Arc<CommandGateway<MultiInput>>,
        ledger: Arc<Ledger>,
        store: Store,
        instruments: Arc<InstrumentTable>,
        directory: Arc<Directory>,
    ) -> Self {
        Self {
            gateway,
            ledger,
            store,
            instruments,
            directory,
            in_flight: Mutex::new(HashSet::new()),
        }
    }

    /// The store, for readiness.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The directory the service resolves callers with.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// True when commands can be made durable now.
    pub fn is_healthy(&self) -> bool {
        self.ledger.is_healthy()
    }

    /// Sends `command` and waits for its committed answer. A repeated idempotency key gets the
    /// stored answer; one still in flight is refused.
    async fn decide(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
    ) -> Result<Answer, ServiceError> {
        if !self.ledger.is_healthy() {
            return Err(ServiceError::Unavailable(
                "the store is unavailable; nothing was done",
            ));
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
                return Err(ServiceError::InProgress);
            }
        }
        let answer = self
            .submit(caller, operation, key, correlation_id, command)
            .await;
        if let Some(g) = guard {
            self.in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&g);
        }
        answer
    }

    async fn submit(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
    ) -> Result<Answer, ServiceError> {
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
                },
                reply,
            },
        );
        if self.gateway.try_submit(command(request)).is_err() {
            self.ledger.forget(request);
            return Err(ServiceError::Unavailable(
                "the engine is saturated; nothing was done",
            ));
        }
        match tokio::time::timeout(DECISION_TIMEOUT, decided).await {
            Ok(Ok(answer)) => Ok(answer),
            _ => Err(ServiceError::Unavailable(
                "the decision is not durable yet; retry with the same Idempotency-Key",
            )),
        }
    }

    async fn stored(
        &self,
        caller: &Caller,
        operation: &str,
        key: &str,
    ) -> Result<Option<Answer>, ServiceError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT response FROM idempotency_keys WHERE tenant_id = $1 AND user_id = $2 AND operation = $3 AND idem_key = $4",
        )
        .bind(caller.claims.tenant.as_str())
        .bind(caller.claims.sub.as_str())
        .bind(operation)
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(row
            .map(|(answer,)| serde_json::from_str(&answer))
            .transpose()?)
    }

    /// Creates an RFQ.
    pub async fn create_rfq(
        &self,
        caller: &Caller,
        req: CreateRfq,
        key: Option<String>,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let Some(id) = self.instruments.id(&req.instrument_id) else {
            return Err(invalid(
                "UNKNOWN_INSTRUMENT",
                format!("unknown instrument {}", req.instrument_id),
            ));
        };
        let spec = self.instruments.spec(id).expect("id from this table");
        let side = match req.side.as_str() {
            "BUY" | "buy" => Side::Buy,
            "SELL" | "sell" => Side::Sell,
            _ => return Err(invalid("BAD_REQUEST", "side must be BUY or SELL")),
        };
        let Ok(size) = Qty::parse(&req.size, spec.size_scale) else {
            return Err(invalid(
                "BAD_REQUEST",
                format!(
                    "size must be a decimal with at most {} places",
                    spec.size_scale
                ),
            ));
        };
        if size.units() <= 0 {
            return Err(invalid("BAD_REQUEST", "size must be positive"));
        }
        if let Some(min) = &req.min_size {
            match Qty::parse(min, spec.size_scale) {
                Ok(min) if min.units() > 0 && min.units() <= size.units() => {}
                _ => {
                    return Err(invalid(
                        "BAD_REQUEST",
                        "minSize must be positive and at most size",
                    ));
                }
            }
        }
        if req.expiry_seconds == 0 || req.expiry_seconds > MAX_EXPIRY_SECONDS {
            return Err(invalid(
                "BAD_REQUEST",
                format!("expirySeconds must be 1..={MAX_EXPIRY_SECONDS}"),
            ));
        }
        let (tenant, user, expiry) = (
            caller.tenant,
            caller.user,
            req.expiry_seconds * 1_000_000_000,
        );
        let now = orion_bridge::clock::unix_nanos();
        self.decide(caller, "create_rfq", key, correlation_id, move |request| {
            Command::CreateRfq {
                request,
                tenant,
                user,
                instrument: id,
                side,
                size: size.units(),
                expires_at: now + expiry,
            }
        })
        .await
    }

    /// The engine's id of an RFQ of the caller's tenant; `NotFound` otherwise. Whether it is
    /// still open is the engine's to decide.
    async fn visible_rfq(&self, caller: &Caller, rfq_id: &str) -> Result<RfqId, ServiceError> {
        let Ok(id) = rfq_id.parse::<u64>() else {
            return Err(ServiceError::NotFound("no such RFQ"));
        };
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT rfq_id FROM rfqs WHERE rfq_id = $1 AND tenant_id = $2")
                .bind(id as i64)
                .bind(caller.claims.tenant.as_str())
                .fetch_optional(self.store.pool())
                .await?;
        match row {
            Some(_) => Ok(RfqId::from_raw(id)),
            None => Err(ServiceError::NotFound("no such RFQ")),
        }
    }

    /// Accepts a quote.
    pub async fn accept_quote(
        &self,
        caller: &Caller,
        rfq_id: &str,
        quote_id: &str,
        key: Option<String>,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let Ok(quote) = quote_id.parse::<u64>() else {
            return Err(invalid(
                "BAD_REQUEST",
                "quoteId must be a quote id of this RFQ",
            ));
        };
        let rfq = self.visible_rfq(caller, rfq_id).await?;
        let (tenant, user) = (caller.tenant, caller.user);
        self.decide(caller, "accept", key, correlation_id, move |request| {
            Command::Accept {
                request,
                tenant,
                user,
                rfq,
                quote: QuoteId(quote),
            }
        })
        .await
    }

    /// Cancels an RFQ.
    pub async fn cancel_rfq(
        &self,
        caller: &Caller,
        rfq_id: &str,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let rfq = self.visible_rfq(caller, rfq_id).await?;
        let (tenant, user) = (caller.tenant, caller.user);
        self.decide(caller, "cancel", None, correlation_id, move |request| {
            Command::Cancel {
                request,
                tenant,
                user,
                rfq,
            }
        })
        .await
    }

    /// Turns a kill switch on or off: the caller's tenant's, or the global one.
    pub async fn set_kill_switch(
        &self,
        caller: &Caller,
        global: bool,
        enabled: bool,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
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
    ) -> Result<Answer, ServiceError> {
        let Some(user) = self.directory.user_id(&caller.claims.tenant, username) else {
            return Err(ServiceError::NotFound("no such user in your tenant"));
        };
        self.decide(caller, "limits", None, correlation_id, move |request| {
            Command::SetUserLimits {
                request,
                user,
                max_notional,
                max_rfqs_per_sec,
            }
        })
        .await
    }

    /// Sets the caller's tenant's open-notional limit.
    pub async fn set_tenant_limit(
        &self,
        caller: &Caller,
        max_open_notional: i64,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let tenant = caller.tenant;
        self.decide(caller, "limits", None, correlation_id, move |request| {
            Command::SetTenantLimit {
                request,
                tenant,
                max_open_notional,
            }
        })
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
