//! Post-trade and consumer-operations routes, over the services' `PostTradeService`
//! ([`orion_services::posttrade`]) and `OpsService` ([`orion_services::consumer::ops`]).
//!
//! - `GET /trades/{id}/confirmation` — the stored confirmation document.
//! - `GET /posttrade/unsettled` · `GET /posttrade/reconciliation.csv` — trades not `SETTLED`.
//! - `GET /ops/dlq[?consumer=]` · `GET /ops/dlq/{id}` · `POST /ops/dlq/{id}/replay` —
//!   dead letters (ROLE_PLATFORM).
//! - `GET /ops/consumers` — position, lag, processed, retried, dead-lettered (ROLE_PLATFORM).
//! - `POST /ops/consumers/{name}/pause` · `/resume` — stop a consumer taking messages, and
//!   start it again (ROLE_PLATFORM).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Query};
use super::rfq::{caller, db};
use orion_services::consumer::ops::{ConsumerView, DeadLetterView, OpsService};
use orion_services::identity::Claims;
use orion_services::posttrade::{PostTradeService, UnsettledTrade};

fn posttrade(state: &AppState) -> Result<&PostTradeService, AppError> {
    state
        .posttrade
        .as_ref()
        .ok_or_else(|| AppError::Unavailable("post-trade is not enabled".into()))
}

fn ops(state: &AppState, claims: &Claims) -> Result<OpsService, AppError> {
    if !claims.has_role("ROLE_PLATFORM") {
        return Err(AppError::Forbidden("needs ROLE_PLATFORM".into()));
    }
    state
        .ops
        .clone()
        .ok_or_else(|| AppError::Unavailable("consumers do not run here".into()))
}

/// `GET /trades/{id}/confirmation`.
pub async fn confirmation(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    match posttrade(&state)?
        .confirmation(&caller, &id)
        .await
        .map_err(db)?
    {
        Some(document) => Ok(axum::Json(document).into_response()),
        None => Err(AppError::NotFound(
            "no confirmation for this trade (yet)".into(),
        )),
    }
}

/// `GET /posttrade/unsettled`.
pub async fn unsettled(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let trades = posttrade(&state)?.unsettled(&caller).await.map_err(db)?;
    Ok(axum::Json(Unsettled {
        count: trades.len(),
        trades,
    })
    .into_response())
}

/// `GET /posttrade/unsettled`: the tenant's trades that are not settled, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Unsettled {
    trades: Vec<UnsettledTrade>,
    count: usize,
}

/// `GET /ops/dlq`: dead letters not yet replayed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadLetters {
    letters: Vec<DeadLetterView>,
    count: usize,
}

/// `POST /ops/dlq/{id}/replay`: the replay was requested.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayRequested {
    id: String,
    /// `REPLAY_REQUESTED`.
    state: &'static str,
}

/// `GET /ops/consumers`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Consumers {
    consumers: Vec<ConsumerView>,
}

/// `GET /posttrade/reconciliation.csv`.
pub async fn reconciliation_csv(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let csv = posttrade(&state)?
        .reconciliation_csv(&caller)
        .await
        .map_err(db)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"reconciliation.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// `GET /ops/dlq` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DlqQuery {
    consumer: Option<String>,
}

/// `GET /ops/dlq`.
pub async fn dead_letters(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(q): Query<DlqQuery>,
) -> Result<Response, AppError> {
    let letters = ops(&state, &claims)?
        .dead_letters(q.consumer.as_deref())
        .await
        .map_err(db)?;
    Ok(axum::Json(DeadLetters {
        count: letters.len(),
        letters,
    })
    .into_response())
}

/// `GET /ops/dlq/{id}`.
pub async fn dead_letter(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    match ops(&state, &claims)?.dead_letter(&id).await.map_err(db)? {
        Some(letter) => Ok(axum::Json(letter).into_response()),
        None => Err(AppError::NotFound("no such dead letter".into())),
    }
}

/// `POST /ops/dlq/{id}/replay`: 202 once the owning consumer was asked to deliver it again.
pub async fn replay(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let ops = ops(&state, &claims)?;
    let Some(letter) = ops.dead_letter(&id).await.map_err(db)? else {
        return Err(AppError::NotFound("no such dead letter".into()));
    };
    if letter.state == "REPLAYED" {
        return Err(AppError::Coded {
            status: StatusCode::CONFLICT,
            code: "ALREADY_REPLAYED",
            message: "this letter was already replayed".into(),
        });
    }
    ops.request_replay(std::slice::from_ref(&id))
        .await
        .map_err(db)?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ReplayRequested {
            id,
            state: "REPLAY_REQUESTED",
        }),
    )
        .into_response())
}

/// `GET /ops/consumers`.
pub async fn consumers(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let consumers = ops(&state, &claims)?.consumers().await.map_err(db)?;
    Ok(axum::Json(Consumers { consumers }).into_response())
}

async fn set_paused(
    state: &AppState,
    claims: &Claims,
    name: &str,
    paused: bool,
) -> Result<Response, AppError> {
    let ops = ops(state, claims)?;
    if !ops.set_paused(name, paused) {
        return Err(AppError::NotFound(format!("no consumer {name} runs here")));
    }
    let view = ops
        .consumers()
        .await
        .map_err(db)?
        .into_iter()
        .find(|c| c.consumer == name)
        .ok_or_else(|| AppError::NotFound(format!("no consumer {name} runs here")))?;
    Ok(axum::Json(view).into_response())
}

/// `POST /ops/consumers/{name}/pause`: the consumer takes no further message until resumed;
/// its lag grows meanwhile.
pub async fn pause_consumer(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    set_paused(&state, &claims, &name, true).await
}

/// `POST /ops/consumers/{name}/resume`: the consumer catches up from where it stopped.
pub async fn resume_consumer(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    set_paused(&state, &claims, &name, false).await
}
