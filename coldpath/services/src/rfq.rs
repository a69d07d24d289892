//! The RFQ service: the narrow interface the BFF's handlers call (shaped like the gRPC
//! `RFQService`: create, get, list, accept, cancel; plus trades and risk administration), so a
//! gRPC implementation can sit behind the same handlers later.
//!
//! Commands go to the engine through the bridge's gateway and return only once the decision is
//! committed (see [`orion_journal`]): the typed [`Answer`], or a [`ServiceError`] when the
//! engine never decided. The service resolves names and checks what only it can (the request's
//! shape, that an RFQ belongs to the caller's tenant); whether an RFQ is open, a quote valid or
//! a limit breached is the engine's to decide. `Idempotency-Key`s are scoped to tenant, user and
//! operation; a repeated key returns the stored answer, a key still in flight is refused.

pub mod orders;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orion_bridge::clock::{Clock, rfc3339};
use orion_bridge::gateway::CommandGateway;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::rfq::engine::{RankedQuote, rank};
use orion_hotpath::rfq::{Command, KillScope, QuoteId, RfqId, Side, TenantId, UserId};
use orion_hotpath::{InstrumentTable, Qty};
use orion_journal::{Answer, Ledger, Pending, PendingInfo};
use orion_store::rfqs::{Cursor, PageRequest, RfqBlotterRow, TradeBlotterRow, TradeFilter};
use orion_store::{Store, StoreError};
use serde::Serialize;
use tracing::Instrument;

use crate::directory::Directory;
use crate::identity::Claims;

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
    /// The caller is not entitled to it.
    #[error("{0}")]
    NotEntitled(String),
    /// The caller lacks the role it needs.
    #[error("{0}")]
    Forbidden(String),
    /// The entity's state does not allow it (an order already filled, …).
    #[error("{message}")]
    Conflict {
        /// Stable error code.
        code: &'static str,
        /// What is in the way.
        message: String,
    },
    /// A request with the same idempotency key is still being decided.
    #[error("a request with this Idempotency-Key is in progress")]
    InProgress,
    /// Nothing can be made durable right now; nothing was done.
    #[error("{0}")]
    Unavailable(&'static str),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A stored answer could not be read back.
    #[error("stored answer unreadable: {0}")]
    StoredAnswer(#[from] serde_json::Error),
}

/// The `command` label of `orion_command_duration_seconds`: the operation's name, said in full
/// where the idempotency records keep a short one.
fn command_label(operation: &'static str) -> &'static str {
    match operation {
        "accept" => "accept_quote",
        "cancel" => "cancel_rfq",
        other => other,
    }
}

/// The `outcome` label of `orion_command_duration_seconds`: `ok` for a durable decision that
/// did what was asked, else why not.
fn outcome(result: &Result<Answer, ServiceError>) -> &'static str {
    use orion_journal::Decision;
    match result {
        Ok(answer) => match &answer.decision {
            Decision::Refused { .. } => "refused",
            Decision::LastLookRejected { .. } => "last_look_rejected",
            _ => "ok",
        },
        Err(ServiceError::Invalid { .. }) => "invalid",
        Err(ServiceError::NotFound(_)) => "not_found",
        Err(ServiceError::NotEntitled(_) | ServiceError::Forbidden(_)) => "forbidden",
        Err(ServiceError::Conflict { .. }) => "conflict",
        Err(ServiceError::InProgress) => "in_progress",
        Err(ServiceError::Unavailable(_)) => "unavailable",
        Err(ServiceError::Store(_) | ServiceError::StoredAnswer(_)) => "error",
    }
}

/// Who may set limits and their tenant's kill switch.
pub const RISK_OFFICERS: &[&str] = &["ROLE_RISK", "ROLE_ADMIN"];

/// `Forbidden` unless the caller holds one of `roles`.
pub fn needs(caller: &Caller, roles: &[&str]) -> Result<(), ServiceError> {
    if roles.iter().any(|r| caller.claims.has_role(r)) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "needs {}",
            roles.join(" or ")
        )))
    }
}

/// Rows per blotter page when the client does not say.
pub const DEFAULT_PAGE: u32 = 500;
/// Most rows per blotter page.
pub const MAX_PAGE: u32 = 1_000;

/// A client's page request: `limit` and the opaque `cursor` of the previous page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageQuery {
    /// Rows at most (1..=[`MAX_PAGE`]; default [`DEFAULT_PAGE`]).
    pub limit: Option<u32>,
    /// `nextCursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    fn request(&self) -> Result<PageRequest, ServiceError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(invalid(
                "BAD_REQUEST",
                format!("limit must be 1..={MAX_PAGE}"),
            ));
        }
        let after = match &self.cursor {
            None => None,
            Some(text) => Some(
                decode_cursor(text)
                    .ok_or_else(|| invalid("BAD_REQUEST", "cursor is not one this server gave"))?,
            ),
        };
        Ok(PageRequest {
            limit: i64::from(limit),
            after,
        })
    }
}

/// One page and where the next one starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

fn encode_cursor(key: &str, id: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}|{id}"))
}

fn decode_cursor(text: &str) -> Option<Cursor> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (key, id) = text.rsplit_once('|')?;
    Some(Cursor {
        key: key.to_owned(),
        id: id.parse().ok()?,
    })
}

/// An RFC 3339 time as the blotter stores it (UTC, nanoseconds), so text order is time order.
fn normalize_time(text: &str, field: &str) -> Result<String, ServiceError> {
    humantime::parse_rfc3339_weak(text)
        .map(|t| humantime::format_rfc3339_nanos(t).to_string())
        .map_err(|_| invalid("BAD_REQUEST", format!("{field} must be an RFC 3339 time")))
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
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"instrumentId": "EUR/USD", "side": "BUY", "size": "1000000", "expirySeconds": 30, "partialAllowed": false}))]
pub struct CreateRfq {
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal size.
    pub size: String,
    /// Seconds until quoting ends.
    pub expiry_seconds: u64,
    /// Smallest size a quote may cover (at most `size`); without it quotes cover the whole
    /// size.
    #[serde(default)]
    pub min_size: Option<String>,
    /// Whether a quote may be accepted for less than `size` (never below `minSize`).
    #[serde(default)]
    pub partial_allowed: Option<bool>,
}

type InFlightKey = (String, String, &'static str, String);

/// An idempotency key being decided; forgotten when dropped.
struct InFlight {
    held: Arc<Mutex<HashSet<InFlightKey>>>,
    key: InFlightKey,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

/// The RFQ service.
pub struct RfqService {
    gateway: Arc<CommandGateway<MultiInput>>,
    ledger: Arc<Ledger>,
    store: Store,
    instruments: Arc<InstrumentTable>,
    directory: Arc<Directory>,
    clock: Arc<dyn Clock>,
    in_flight: Arc<Mutex<HashSet<InFlightKey>>>,
}

impl RfqService {
    /// A service over the engine's gateway and the store.
    pub fn new(
        gateway: Arc<CommandGateway<MultiInput>>,
        ledger: Arc<Ledger>,
        store: Store,
        instruments: Arc<InstrumentTable>,
        directory: Arc<Directory>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            gateway,
            ledger,
            store,
            instruments,
            directory,
            clock,
            in_flight: Arc::default(),
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
    /// stored answer; one still in flight is refused. Every call is timed into
    /// `orion_command_duration_seconds` by `operation` and outcome.
    async fn decide(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
    ) -> Result<Answer, ServiceError> {
        let started = std::time::Instant::now();
        let command_name = command_label(operation);
        let span = tracing::info_span!(
            "decide",
            otel.name = command_name,
            otel.kind = "internal",
            tenantId = %caller.claims.tenant,
            correlationId = correlation_id,
        );
        let result = self
            .decide_once(caller, operation, key, correlation_id, command)
            .instrument(span.clone())
            .await;
        span.in_scope(|| tracing::debug!(outcome = outcome(&result), "command decided"));
        metrics::histogram!(
            "orion_command_duration_seconds",
            "command" => command_name,
            "outcome" => outcome(&result),
        )
        .record(started.elapsed().as_secs_f64());
        result
    }

    /// [`Self::decide`] without the measurement.
    async fn decide_once(
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
        let flight = key.as_ref().map(|k| {
            (
                caller.claims.tenant.clone(),
                caller.claims.sub.clone(),
                operation,
                k.clone(),
            )
        });
        let flight = match flight {
            Some(k) => {
                let mut held = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                if !held.insert(k.clone()) {
                    return Err(ServiceError::InProgress);
                }
                Some(InFlight {
                    held: Arc::clone(&self.in_flight),
                    key: k,
                })
            }
            None => None,
        };
        self.submit(caller, operation, key, correlation_id, command, flight)
            .await
    }

    /// Sends the command and waits for its durable decision. The idempotency key stays in
    /// flight until the decision is durable, whatever happens to this request meanwhile (an
    /// answer after `DECISION_TIMEOUT`, a client that went away or whose deadline passed): a
    /// retry before then is `InProgress`, after it the stored answer — never a second command.
    async fn submit(
        &self,
        caller: &Caller,
        operation: &'static str,
        key: Option<String>,
        correlation_id: &str,
        command: impl FnOnce(orion_hotpath::rfq::RequestId) -> Command,
        flight: Option<InFlight>,
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
                    trace_parent: orion_journal::trace::current(),
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
        let (forward, answered) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let decision = decided.await;
            drop(flight);
            let _ = forward.send(decision);
        });
        match tokio::time::timeout(DECISION_TIMEOUT, answered).await {
            Ok(Ok(Ok(answer))) => Ok(answer),
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
        let stored = self
            .store
            .idempotent_answer(&caller.claims.tenant, &caller.claims.sub, operation, key)
            .await?;
        Ok(stored.map(|a| serde_json::from_str(&a)).transpose()?)
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
        // Asset-class entitlements are the engine's rule; a list of named instruments is the
        // directory's, checked here.
        let named = &caller.claims.ins;
        if !named.is_empty() && !named.contains(&spec.symbol) {
            return Err(ServiceError::NotEntitled(format!(
                "not entitled to {}",
                spec.symbol
            )));
        }
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
        let min_size = match &req.min_size {
            None => 0,
            Some(min) => match Qty::parse(min, spec.size_scale) {
                Ok(min) if min.units() > 0 && min.units() <= size.units() => min.units(),
                _ => {
                    return Err(invalid(
                        "BAD_REQUEST",
                        "minSize must be positive and at most size",
                    ));
                }
            },
        };
        let partial_allowed = req.partial_allowed.unwrap_or(false);
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
        let now = self.clock.now_nanos();
        self.decide(caller, "create_rfq", key, correlation_id, move |request| {
            Command::CreateRfq {
                request,
                tenant,
                user,
                instrument: id,
                side,
                size: size.units(),
                expires_at: now + expiry,
                min_size,
                partial_allowed,
            }
        })
        .await
    }

    /// The engine's id of an RFQ of the caller's tenant; `NotFound` otherwise. Whether it is
    /// still open is the engine's to decide.
    /// The engine's id of an RFQ of the caller's tenant, with its instrument; `NotFound`
    /// otherwise. Whether it is still open is the engine's to decide.
    async fn visible_rfq(
        &self,
        caller: &Caller,
        rfq_id: &str,
    ) -> Result<(RfqId, String), ServiceError> {
        let Ok(id) = rfq_id.parse::<u64>() else {
            return Err(ServiceError::NotFound("no such RFQ"));
        };
        match self.store.rfq_instrument(&caller.claims.tenant, id).await? {
            Some(instrument) => Ok((RfqId::from_raw(id), instrument)),
            None => Err(ServiceError::NotFound("no such RFQ")),
        }
    }

    /// Accepts a quote, for `size` (decimal) when given — less than the RFQ's size only where
    /// it allows partial fills.
    pub async fn accept_quote(
        &self,
        caller: &Caller,
        rfq_id: &str,
        quote_id: &str,
        size: Option<&str>,
        key: Option<String>,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let Ok(quote) = quote_id.parse::<u64>() else {
            return Err(invalid(
                "BAD_REQUEST",
                "quoteId must be a quote id of this RFQ",
            ));
        };
        let (rfq, instrument) = self.visible_rfq(caller, rfq_id).await?;
        let size = match size {
            None => 0,
            Some(text) => {
                let scale = self
                    .instruments
                    .id(&instrument)
                    .and_then(|id| self.instruments.spec(id))
                    .map_or(0, |spec| spec.size_scale);
                match Qty::parse(text, scale) {
                    Ok(q) if q.units() > 0 => q.units(),
                    _ => {
                        return Err(invalid(
                            "BAD_REQUEST",
                            format!("size must be a positive decimal with at most {scale} places"),
                        ));
                    }
                }
            }
        };
        let (tenant, user) = (caller.tenant, caller.user);
        self.decide(caller, "accept", key, correlation_id, move |request| {
            Command::Accept {
                request,
                tenant,
                user,
                rfq,
                quote: QuoteId(quote),
                size,
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
        let (rfq, _) = self.visible_rfq(caller, rfq_id).await?;
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
        cancel_resting: bool,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        // The global switch halts every tenant: only the platform's operators hold it.
        if global {
            needs(caller, &["ROLE_PLATFORM"])?;
        } else {
            needs(caller, RISK_OFFICERS)?;
        }
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
                cancel_resting,
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
        needs(caller, RISK_OFFICERS)?;
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
        needs(caller, RISK_OFFICERS)?;
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

    /// One RFQ with its quotes ranked best first and the time remaining.
    pub async fn get_rfq(
        &self,
        caller: &Caller,
        rfq_id: &str,
    ) -> Result<Option<RfqView>, ServiceError> {
        let Ok(id) = rfq_id.parse::<u64>() else {
            return Ok(None);
        };
        let Some(row) = self.store.rfq(&caller.claims.tenant, id).await? else {
            return Ok(None);
        };
        let quotes = self.store.quotes(id).await?;
        let size_scale = self
            .instruments
            .id(&row.instrument_id)
            .and_then(|i| self.instruments.spec(i))
            .map_or(0, |spec| spec.size_scale);
        let size_text = |units: i64| Qty::new(units, size_scale).to_string();
        let side = if row.side == "BUY" {
            Side::Buy
        } else {
            Side::Sell
        };
        let mut ranked: Vec<RankedQuote> = quotes
            .iter()
            .map(|q| RankedQuote {
                quote: QuoteId(q.quote_id),
                price: q.price_units,
                received_at: q.received_at,
            })
            .collect();
        rank(side, &mut ranked);
        let now = self.clock.now_nanos();
        let quotes = ranked
            .iter()
            .enumerate()
            .filter_map(|(position, r)| {
                let q = quotes.iter().find(|q| q.quote_id == r.quote.0)?;
                Some(QuoteView {
                    quote_id: q.quote_id.to_string(),
                    lp_id: q.lp_id.clone(),
                    price: q.price.clone(),
                    size: size_text(q.size_units),
                    rank: position + 1,
                    status: q.status.clone(),
                    valid_until: rfc3339(q.valid_until),
                    valid_for_ms: q.valid_until.saturating_sub(now) / 1_000_000,
                    received_at: rfc3339(q.received_at),
                })
            })
            .collect();
        let open = matches!(row.status.as_str(), "SENT" | "QUOTING");
        Ok(Some(RfqView {
            rfq_id: row.rfq_id.to_string(),
            instrument_id: row.instrument_id,
            side: row.side,
            size: row.size,
            requester: row.user_id,
            created_at: rfc3339(row.created_at),
            expires_at: rfc3339(row.expires_at),
            time_remaining_ms: if open {
                row.expires_at.saturating_sub(now) / 1_000_000
            } else {
                0
            },
            status: row.status,
            trade_id: row.trade_id.map(|t| t.to_string()),
            mid_at_creation: row.mid,
            min_size: (row.min_size > 0).then(|| size_text(row.min_size)),
            partial_allowed: row.partial_allowed,
            correlation_id: row.correlation_id,
            quotes,
        }))
    }

    /// A page of the tenant's RFQ blotter (a read model), newest first, optionally filtered.
    pub async fn list_rfqs(
        &self,
        caller: &Caller,
        status: Option<&str>,
        instrument: Option<&str>,
        page: &PageQuery,
    ) -> Result<Paged<RfqBlotterView>, ServiceError> {
        let request = page.request()?;
        let rows = self
            .store
            .rfq_blotter(
                &caller.claims.tenant,
                status.unwrap_or(""),
                instrument.unwrap_or(""),
                &request,
            )
            .await?;
        let next = (rows.len() as i64 == request.limit)
            .then(|| rows.last())
            .flatten()
            .and_then(|r| r.rfq_id.parse::<i64>().ok())
            .map(|id| encode_cursor("", id));
        let items = rows
            .into_iter()
            .map(|r: RfqBlotterRow| RfqBlotterView {
                rfq_id: r.rfq_id,
                status: r.status,
                instrument_id: r.instrument_id,
                side: r.side,
                size: r.size,
                requester: r.requester,
                quote_count: r.quote_count,
                last_quote: r.last_quote,
                trade_id: r.trade_id,
                correlation_id: r.correlation_id,
                updated_at: r.updated_at,
            })
            .collect();
        Ok(Paged {
            items,
            next_cursor: next,
        })
    }

    /// One trade of the caller's tenant.
    pub async fn get_trade(
        &self,
        caller: &Caller,
        trade_id: &str,
    ) -> Result<Option<TradeView>, ServiceError> {
        let Ok(id) = trade_id.parse::<u64>() else {
            return Ok(None);
        };
        let attempts = self
            .store
            .settlement(Some(&caller.claims.tenant), id)
            .await?
            .map(|s| s.attempt)
            .unwrap_or(0);
        Ok(self
            .store
            .trade(&caller.claims.tenant, id)
            .await?
            .map(|t| TradeView {
                settlement_attempts: attempts,
                trade_id: t.trade_id.to_string(),
                rfq_id: t.rfq_id.to_string(),
                quote_id: t.quote_id.to_string(),
                user_id: t.user_id,
                lp_id: t.lp_id,
                instrument_id: t.instrument_id,
                side: t.side,
                price: t.price,
                size: t.size,
                executed_at: rfc3339(t.executed_at),
                correlation_id: t.correlation_id,
                confirmation_status: t.confirmation_status,
                settlement_status: t.settlement_status,
                partial: t.partial,
            }))
    }

    /// A page of the tenant's trade blotter (a read model), newest first, filtered by
    /// instrument and execution time `[from, to)` (RFC 3339).
    pub async fn list_trades(
        &self,
        caller: &Caller,
        instrument: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        page: &PageQuery,
    ) -> Result<Paged<TradeBlotterView>, ServiceError> {
        let request = page.request()?;
        let filter = TradeFilter {
            instrument: instrument.unwrap_or("").to_owned(),
            from: from
                .map(|t| normalize_time(t, "from"))
                .transpose()?
                .unwrap_or_default(),
            to: to
                .map(|t| normalize_time(t, "to"))
                .transpose()?
                .unwrap_or_default(),
        };
        let rows = self
            .store
            .trade_blotter(&caller.claims.tenant, &filter, &request)
            .await?;
        let next = (rows.len() as i64 == request.limit)
            .then(|| rows.last())
            .flatten()
            .and_then(|r| {
                r.trade_id
                    .parse::<i64>()
                    .ok()
                    .map(|id| encode_cursor(&r.executed_at, id))
            });
        let items = rows
            .into_iter()
            .map(|r: TradeBlotterRow| TradeBlotterView {
                trade_id: r.trade_id,
                rfq_id: r.rfq_id,
                instrument_id: r.instrument_id,
                side: r.side,
                size: r.size,
                price: r.price,
                lp_id: r.lp_id,
                user_id: r.requester,
                executed_at: r.executed_at,
                correlation_id: r.correlation_id,
                confirmation_status: r.confirmation_status,
                settlement_status: r.settlement_status,
                settlement_attempts: r.settlement_attempts,
            })
            .collect();
        Ok(Paged {
            items,
            next_cursor: next,
        })
    }
}

/// One RFQ as `GET /rfqs/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfqView {
    /// Id.
    pub rfq_id: String,
    /// Status.
    pub status: String,
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal size.
    pub size: String,
    /// Requester.
    pub requester: String,
    /// Creation (RFC 3339).
    pub created_at: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
    /// Milliseconds of quoting left (0 once closed).
    pub time_remaining_ms: u64,
    /// The trade, once traded.
    pub trade_id: Option<String>,
    /// Mid when the RFQ was created.
    pub mid_at_creation: Option<String>,
    /// Smallest size a quote may cover; absent = the whole size.
    pub min_size: Option<String>,
    /// A quote may be accepted for less than the size.
    pub partial_allowed: bool,
    /// Creating request's correlation id.
    pub correlation_id: String,
    /// Quotes, best first.
    pub quotes: Vec<QuoteView>,
}

/// One quote of an RFQ, ranked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteView {
    /// Id.
    pub quote_id: String,
    /// LP.
    pub lp_id: String,
    /// Decimal price.
    pub price: String,
    /// Decimal size the LP stands behind.
    pub size: String,
    /// 1 = best.
    pub rank: usize,
    /// `LIVE`, `ACCEPTED`, `REJECTED`.
    pub status: String,
    /// Validity (RFC 3339).
    pub valid_until: String,
    /// Milliseconds of validity left.
    pub valid_for_ms: u64,
    /// Receipt (RFC 3339).
    pub received_at: String,
}

/// One trade as `GET /trades/{id}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TradeView {
    /// Id.
    pub trade_id: String,
    /// RFQ.
    pub rfq_id: String,
    /// Accepted quote.
    pub quote_id: String,
    /// Requester.
    pub user_id: String,
    /// LP.
    pub lp_id: String,
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Decimal price.
    pub price: String,
    /// Decimal size.
    pub size: String,
    /// Execution (RFC 3339).
    pub executed_at: String,
    /// Correlation id.
    pub correlation_id: String,
    /// Confirmation state.
    pub confirmation_status: String,
    /// Settlement state.
    pub settlement_status: String,
    /// Settlement attempts started.
    pub settlement_attempts: i64,
    /// Filled less than the RFQ asked.
    pub partial: bool,
}

/// A row of the RFQ blotter (`GET /rfqs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfqBlotterView {
    /// Id.
    pub rfq_id: String,
    /// Latest status.
    pub status: String,
    /// Instrument id.
    pub instrument_id: String,
    /// Side.
    pub side: String,
    /// Size.
    pub size: String,
    /// Requester.
    pub requester: String,
    /// Quotes received.
    pub quote_count: i64,
    /// Last quoted price.
    pub last_quote: Option<String>,
    /// The trade.
    pub trade_id: Option<String>,
    /// Correlation id.
    pub correlation_id: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// A row of the trade blotter (`GET /trades`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TradeBlotterView {
    /// Id.
    pub trade_id: String,
    /// RFQ.
    pub rfq_id: String,
    /// Instrument id.
    pub instrument_id: String,
    /// Side.
    pub side: String,
    /// Size.
    pub size: String,
    /// Price.
    pub price: String,
    /// LP.
    pub lp_id: String,
    /// Requester.
    pub user_id: String,
    /// Execution (RFC 3339).
    pub executed_at: String,
    /// Correlation id.
    pub correlation_id: String,
    /// `PENDING` or `CONFIRMED`.
    pub confirmation_status: String,
    /// Settlement state.
    pub settlement_status: String,
    /// Settlement attempts started.
    pub settlement_attempts: i64,
}
