//! RFQ, trade and risk-administration routes (`docs/api.md`, "REST"), over
//! [`RfqService`](orion_services::rfq::RfqService).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::AuthUser;
use super::decision::{respond, service_error};
use super::error::{AppError, Json, Query, current_correlation_id};
use orion_services::identity::Claims;
use orion_services::rfq::{Caller, CreateRfq};

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

pub(super) fn caller(state: &AppState, claims: Claims) -> Result<Caller, AppError> {
    Caller::resolve(claims, service(state)?.directory())
        .ok_or_else(|| AppError::Forbidden("this user cannot trade here".into()))
}

pub(super) fn trader(state: &AppState, claims: Claims) -> Result<Caller, AppError> {
    if !claims.has_role("ROLE_TRADER") {
        return Err(AppError::Forbidden("trading needs ROLE_TRADER".into()));
    }
    caller(state, claims)
}

/// Risk administration (kill switches, limits) needs ROLE_RISK or ROLE_ADMIN.
pub(super) fn require_risk_role(claims: &Claims) -> Result<(), AppError> {
    let officers = orion_services::rfq::RISK_OFFICERS;
    if officers.iter().any(|r| claims.has_role(r)) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "needs {}",
            officers.join(" or ")
        )))
    }
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get(IDEMPOTENCY_HEADER) {
        None => Ok(None),
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| AppError::BadRequest("Idempotency-Key must be ASCII".into()))?;
            if key.is_empty() || key.len() > 128 {
                return Err(AppError::BadRequest(
                    "Idempotency-Key must be 1 to 128 characters".into(),
                ));
            }
            Ok(Some(key.to_owned()))
        }
    }
}

pub(super) fn service(state: &AppState) -> Result<&orion_services::rfq::RfqService, AppError> {
    state
        .rfqs
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("RFQ trading is not enabled".into()))
}

/// A store failure: logged with its cause, answered 503 without details.
pub(super) fn db(err: orion_services::StoreError) -> AppError {
    tracing::error!(cause = %err, "store call failed");
    AppError::Unavailable("the store is unavailable".into())
}

/// `POST /rfqs`.
pub async fn create(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    headers: HeaderMap,
    Json(body): Json<CreateRfq>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    let key = idempotency_key(&headers)?;
    respond(
        service(&state)?
            .create_rfq(&caller, body, key, &current_correlation_id())
            .await,
    )
}

/// `GET /rfqs?status=&instrumentId=` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    status: Option<String>,
    instrument_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /trades` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TradesQuery {
    instrument_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// The header that carries the next page's cursor: a blotter is paged, never silently cut.
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

fn paged<T: serde::Serialize>(page: orion_services::rfq::Paged<T>) -> Response {
    let mut response = axum::Json(page.items).into_response();
    if let Some(cursor) = page.next_cursor {
        if let Ok(value) = axum::http::HeaderValue::from_str(&cursor) {
            response.headers_mut().insert(NEXT_CURSOR_HEADER, value);
        }
    }
    response
}

/// `GET /rfqs`.
pub async fn list(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let page = orion_services::rfq::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let rows = service(&state)?
        .list_rfqs(
            &caller,
            query.status.as_deref(),
            query.instrument_id.as_deref(),
            &page,
        )
        .await
        .map_err(service_error)?;
    Ok(paged(rows))
}

/// `GET /rfqs/{id}`.
pub async fn get(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    match service(&state)?
        .get_rfq(&caller, &id)
        .await
        .map_err(service_error)?
    {
        Some(view) => Ok(axum::Json(view).into_response()),
        None => Err(AppError::NotFound("no such RFQ".into())),
    }
}

/// `POST /rfqs/{id}/accept` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"quoteId": "7001"}))]
pub struct AcceptBody {
    quote_id: String,
    /// Size to trade (decimal); less than the RFQ's size only where it allows partial fills.
    #[serde(default)]
    size: Option<String>,
}

/// `POST /rfqs/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<AcceptBody>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    let key = idempotency_key(&headers)?;
    respond(
        service(&state)?
            .accept_quote(
                &caller,
                &id,
                &body.quote_id,
                body.size.as_deref(),
                key,
                &current_correlation_id(),
            )
            .await,
    )
}

/// `POST /rfqs/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    respond(
        service(&state)?
            .cancel_rfq(&caller, &id, &current_correlation_id())
            .await,
    )
}

/// `GET /trades`.
pub async fn trades(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<TradesQuery>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let page = orion_services::rfq::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let rows = service(&state)?
        .list_trades(
            &caller,
            query.instrument_id.as_deref(),
            query.from.as_deref(),
            query.to.as_deref(),
            &page,
        )
        .await
        .map_err(service_error)?;
    Ok(paged(rows))
}

/// `GET /trades/{id}`.
pub async fn trade(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    match service(&state)?
        .get_trade(&caller, &id)
        .await
        .map_err(service_error)?
    {
        Some(view) => Ok(axum::Json(view).into_response()),
        None => Err(AppError::NotFound("no such trade".into())),
    }
}

/// Kill-switch body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"scope": "tenant", "cancelResting": true}))]
pub struct KillSwitchBody {
    scope: String,
    /// Also cancel the scope's resting orders.
    #[serde(default, rename = "cancelResting")]
    cancel_resting: bool,
}

async fn kill_switch(
    state: AppState,
    claims: Claims,
    body: KillSwitchBody,
    enabled: bool,
) -> Result<Response, AppError> {
    let global = match body.scope.as_str() {
        "global" => true,
        "tenant" => false,
        _ => {
            return Err(AppError::BadRequest(
                "scope must be \"tenant\" or \"global\"".into(),
            ));
        }
    };
    let caller = caller(&state, claims)?;
    respond(
        service(&state)?
            .set_kill_switch(
                &caller,
                global,
                enabled,
                enabled && body.cancel_resting,
                &current_correlation_id(),
            )
            .await,
    )
}

/// `POST /admin/killswitch/enable`.
pub async fn kill_switch_enable(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<KillSwitchBody>,
) -> Result<Response, AppError> {
    kill_switch(state, claims, body, true).await
}

/// `POST /admin/killswitch/disable`.
pub async fn kill_switch_disable(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<KillSwitchBody>,
) -> Result<Response, AppError> {
    kill_switch(state, claims, body, false).await
}

/// `POST /admin/limits` body: a user's limits, or the tenant's open-notional limit.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"userId": "trader@acme", "maxNotional": 25000000, "maxRfqsPerSec": 10}))]
pub struct LimitsBody {
    user_id: Option<String>,
    max_notional: Option<i64>,
    max_rfqs_per_sec: Option<u32>,
    tenant_max_open_notional: Option<i64>,
}

/// `POST /admin/limits`.
pub async fn limits(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<LimitsBody>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let correlation = current_correlation_id();
    let service = service(&state)?;
    let outcome = match body {
        LimitsBody {
            user_id: Some(user),
            max_notional: Some(notional),
            max_rfqs_per_sec: Some(rate),
            tenant_max_open_notional: None,
        } if notional >= 0 && rate > 0 => {
            service
                .set_user_limits(&caller, &user, notional, rate, &correlation)
                .await
        }
        LimitsBody {
            user_id: None,
            max_notional: None,
            max_rfqs_per_sec: None,
            tenant_max_open_notional: Some(limit),
        } if limit >= 0 => service.set_tenant_limit(&caller, limit, &correlation).await,
        _ => {
            return Err(AppError::BadRequest(
                "send {userId, maxNotional, maxRfqsPerSec} or {tenantMaxOpenNotional}, all non-negative".into(),
            ));
        }
    };
    respond(outcome)
}
