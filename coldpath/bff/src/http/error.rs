//! One error type for every REST handler, rendered as the API's error object (`docs/api.md`), and the
//! correlation id that every response carries.
//!
//! The correlation middleware takes `x-correlation-id` from the request (or mints one), runs the
//! handler inside a task-local scope holding it, and echoes it on the response; [`AppError`]
//! reads the scope so every error body names the same id. 5xx causes are logged, never sent.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use orion_journal::trace;

tokio::task_local! {
    static CORRELATION_ID: String;
}

/// Header carrying the correlation id both ways.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// The correlation id of the request being handled (empty outside a request).
pub fn current_correlation_id() -> String {
    CORRELATION_ID.try_with(Clone::clone).unwrap_or_default()
}

/// Middleware: adopt or mint the correlation id, scope it, echo it — and run the request in
/// its server span: the child of the caller's `traceparent` when it sent one, named after its
/// route template (`POST /rfqs/{id}/accept`), carrying `correlationId` (and `tenantId`, recorded
/// by [`AuthUser`](super::auth::AuthUser)) into every log line of the request.
pub async fn correlation(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = super::openapi::route_template(req.method(), req.uri().path());
    let name = match route {
        Some(template) => format!("{} {template}", req.method()),
        None => req.method().to_string(),
    };
    let span = tracing::info_span!(
        "http.request",
        otel.name = name.as_str(),
        otel.kind = "server",
        http.request.method = %req.method(),
        url.path = req.uri().path(),
        http.route = route,
        http.response.status_code = tracing::field::Empty,
        tenantId = tracing::field::Empty,
        correlationId = %id,
    );
    if let Some(parent) = req
        .headers()
        .get(trace::TRACEPARENT)
        .and_then(|v| v.to_str().ok())
    {
        trace::follow(&span, parent);
    }
    let mut response = CORRELATION_ID
        .scope(id.clone(), next.run(req))
        .instrument(span.clone())
        .await;
    span.record("http.response.status_code", response.status().as_u16());
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed or invalid request (400).
    #[error("{0}")]
    BadRequest(String),
    /// No token or a bad token (401).
    #[error("missing or invalid credentials")]
    Unauthorized,
    /// Authenticated but not allowed: role, entitlement or tenant (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not visible to this tenant (404).
    #[error("{0}")]
    NotFound(String),
    /// Not ready to serve (503).
    #[error("{0}")]
    Unavailable(String),
    /// A refusal with its own code and status.
    #[error("{message}")]
    Coded {
        /// Status.
        status: StatusCode,
        /// Stable error code.
        code: &'static str,
        /// What happened.
        message: String,
    },
    /// A bug or an infrastructure failure (500); the cause is logged only.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The error object every refusal carries: `{"error": {code, message, correlationId}}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"error": {"code": "QUOTE_EXPIRED", "message": "the quote has expired", "correlationId": "3f1c2a9e-8d4b-4f7a-9c1e-2b6d5e4f7a10"}}))]
pub struct ErrorBody<'a> {
    error: ErrorObject<'a>,
}

impl<'a> ErrorBody<'a> {
    /// The error object with `code`, `message` and the request's `correlation_id`.
    pub fn new(code: &'a str, message: String, correlation_id: String) -> Self {
        Self {
            error: ErrorObject {
                code,
                message,
                correlation_id,
            },
        }
    }
}

/// What went wrong, with the request's correlation id.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorObject<'a> {
    /// Stable code, e.g. `BAD_REQUEST`, `RISK_REJECTED`, `KILL_SWITCH_TENANT`.
    code: &'a str,
    /// For people.
    message: String,
    /// The request's `x-correlation-id`.
    correlation_id: String,
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE"),
            AppError::Coded { status, code, .. } => (*status, code),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let correlation_id = current_correlation_id();
        if let AppError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "request failed");
        }
        let body = ErrorBody {
            error: ErrorObject {
                code,
                message: self.to_string(),
                correlation_id,
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

/// `Json<T>` whose rejections are [`AppError`]s (400 with the error object).
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(AppError::BadRequest(match rejection {
                JsonRejection::JsonDataError(e) => {
                    format!("invalid request body: {}", e.body_text())
                }
                JsonRejection::JsonSyntaxError(_) => "malformed JSON".into(),
                JsonRejection::MissingJsonContentType(_) => {
                    "expected Content-Type: application/json".into()
                }
                other => other.body_text(),
            })),
        }
    }
}

/// `Query<T>` whose rejections are [`AppError`]s.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|e: QueryRejection| {
                AppError::BadRequest(format!("invalid query: {}", e.body_text()))
            })
    }
}

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound("no such route".into())
}
