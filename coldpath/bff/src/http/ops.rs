//! Operations endpoints: liveness, readiness, Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use super::AppState;
use super::error::AppError;

/// `GET /healthz` and `GET /readyz` when all is well.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Status {
    /// `ok` (alive) or `ready`.
    status: &'static str,
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(Status { status: "ok" })
}

/// `GET /readyz`: 200 once the pipeline and fan-out run and the store answers; 503 while
/// starting, draining, or while commands cannot be made durable.
pub async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    if state.rfqs.as_ref().is_some_and(|rfqs| !rfqs.is_healthy()) {
        return Err(AppError::Unavailable("the store is unavailable".into()));
    }
    if state.ready.load(Ordering::Acquire) {
        Ok(axum::Json(Status { status: "ready" }))
    } else {
        Err(AppError::Unavailable("not ready".into()))
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
