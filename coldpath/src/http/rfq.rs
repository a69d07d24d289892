//! RFQ, trade and risk-administration routes (CONTRACT.md, "REST"), over
//! [`RfqService`](crate::rfq_service::RfqService).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Json, Query, current_correlation_id};
use crate::durability::Outcome;
use crate::identity::Claims;
use crate::rfq_service::{Caller, CreateRfq};

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

fn respond(outcome: Outcome) -> Response {
    let status = StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(outcome.body)).into_response()
}

fn caller(claims: Claims) -> Result<Caller, AppError> {
    Caller::resolve(claims).ok_or_else(|| AppError::Forbidden("this user cannot trade here".into()))
}

fn trader(claims: Claims) -> Result<Caller, AppError> {
    if !claims.has_role("ROLE_TRADER") {
        return Err(AppError::Forbidden("trading needs ROLE_TRADER".into()));
    }
    caller(claims)
}

/// Risk administration (kill switches, limits) needs ROLE_RISK or ROLE_ADMIN.
pub(super) fn require_risk_role(claims: &Claims) -> Result<(), AppError> {
    if claims.has_role("ROLE_RISK") || claims.has_role("ROLE_ADMIN") {
        Ok(())
    } else {
        Err(AppError::Forbidden("needs ROLE_RISK or ROLE_ADMIN".into()))
    }
}

fn risk_officer(claims: Claims) -> Result<Caller, AppError> {
    require_risk_role(&claims)?;
    caller(claims)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
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

pub(super) fn service(state: &AppState) -> Result<&crate::rfq_service::RfqService, AppError> {
    state
        .rfqs
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("RFQ trading is not enabled".into()))
}

/// A store failure: logged with its cause, answered 503 without details.
pub(super) fn db(err: sqlx::Error) -> AppError {
    tracing::error!(cause = %err, correlationId = %current_correlation_id(), "store call failed");
    AppError::Unavailable("the store is unavailable".into())
}

/// `POST /rfqs`.
pub async fn create(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    headers: HeaderMap,
    Json(body): Json<CreateRfq>,
) -> Result<Response, AppError> {
    let caller = trader(claims)?;
    let key = idempotency_key(&headers)?;
    let outcome = service(&state)?
        .create_rfq(&caller, body, key, &current_correlation_id())
        .await
        .map_err(db)?;
    Ok(respond(outcome))
}

/// `GET /rfqs?status=&instrumentId=` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    status: Option<String>,
    instrument_id: Option<String>,
}

/// `GET /rfqs`.
pub async fn list(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let caller = caller(claims)?;
    let rows = service(&state)?
        .list_rfqs(
            &caller,
            query.status.as_deref(),
            query.instrument_id.as_deref(),
        )
        .await
        .map_err(db)?;
    Ok(axum::Json(rows).into_response())
}

/// `GET /rfqs/{id}`.
pub async fn get(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(claims)?;
    match service(&state)?.get_rfq(&caller, &id).await.map_err(db)? {
        Some(view) => Ok(axum::Json(view).into_response()),
        None => Err(AppError::NotFound("no such RFQ".into())),
    }
}

/// `POST /rfqs/{id}/accept` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptBody {
    quote_id: String,
}

/// `POST /rfqs/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<AcceptBody>,
) -> Result<Response, AppError> {
    let caller = trader(claims)?;
    let key = idempotency_key(&headers)?;
    let outcome = service(&state)?
        .accept_quote(&caller, &id, &body.quote_id, key, &current_correlation_id())
        .await
        .map_err(db)?;
    Ok(respond(outcome))
}

/// `POST /rfqs/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = trader(claims)?;
    let outcome = service(&state)?
        .cancel_rfq(&caller, &id, &current_correlation_id())
        .await
        .map_err(db)?;
    Ok(respond(outcome))
}

/// `GET /trades`.
pub async fn trades(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let caller = caller(claims)?;
    let rows = service(&state)?.list_trades(&caller).await.map_err(db)?;
    Ok(axum::Json(rows).into_response())
}

/// `GET /trades/{id}`.
pub async fn trade(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(claims)?;
    match service(&state)?.get_trade(&caller, &id).await.map_err(db)? {
        Some(view) => Ok(axum::Json(view).into_response()),
        None => Err(AppError::NotFound("no such trade".into())),
    }
}

/// Kill-switch body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KillSwitchBody {
    scope: String,
}

async fn kill_switch(
    state: AppState,
    claims: Claims,
    body: KillSwitchBody,
    enabled: bool,
) -> Result<Response, AppError> {
    let caller = risk_officer(claims)?;
    let global = match body.scope.as_str() {
        "global" => true,
        "tenant" => false,
        _ => {
            return Err(AppError::BadRequest(
                "scope must be \"tenant\" or \"global\"".into(),
            ));
        }
    };
    let outcome = service(&state)?
        .set_kill_switch(&caller, global, enabled, &current_correlation_id())
        .await
        .map_err(db)?;
    Ok(respond(outcome))
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
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    let caller = risk_officer(claims)?;
    let correlation = current_correlation_id();
    let service = service(&state)?;
    let outcome = match body {
        LimitsBody {
            user_id: Some(user),
            max_notional: Some(notional),
            max_rfqs_per_sec: Some(rate),
            tenant_max_open_notional: None,
        } if notional >= 0 && rate > 0 => service
            .set_user_limits(&caller, &user, notional, rate, &correlation)
            .await
            .map_err(db)?,
        LimitsBody {
            user_id: None,
            max_notional: None,
            max_rfqs_per_sec: None,
            tenant_max_open_notional: Some(limit),
        } if limit >= 0 => service
            .set_tenant_limit(&caller, limit, &correlation)
            .await
            .map_err(db)?,
        _ => {
            return Err(AppError::BadRequest(
                "send {userId, maxNotional, maxRfqsPerSec} or {tenantMaxOpenNotional}, all non-negative".into(),
            ));
        }
    };
    Ok(respond(outcome))
}
