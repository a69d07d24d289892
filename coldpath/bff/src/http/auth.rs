//! Authentication routes (`/auth/login`, `/auth/refresh`, `/auth/logout`, `/me`) and the
//! [`AuthUser`] extractor every protected handler takes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{AppError, Json, current_correlation_id};
use orion_services::identity::{AuthError, Claims, TokenPair};

/// The authenticated caller, from a valid `Authorization: Bearer` access token.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Claims);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthorized)?;
        let claims = state
            .auth
            .authenticate(token.trim())
            .map_err(auth_failure)?;
        tracing::Span::current().record("tenantId", claims.tenant.as_str());
        Ok(AuthUser(claims))
    }
}

/// The client's address, when the server was started with connection info.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "trader@acme", "password": "demo"}))]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// `POST /auth/refresh` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"refreshToken": "eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl"}))]
pub struct RefreshRequest {
    refresh_token: String,
}

/// An authentication failure as the error object: 401 (`USER_DISABLED` for a disabled user),
/// 429 for a throttled login.
pub fn auth_failure(err: AuthError) -> AppError {
    match err {
        AuthError::BadCredentials | AuthError::BadToken => AppError::Unauthorized,
        AuthError::UserDisabled => AppError::Coded {
            status: StatusCode::UNAUTHORIZED,
            code: "USER_DISABLED",
            message: "the user is disabled".into(),
        },
        AuthError::Throttled => AppError::Coded {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "LOGIN_THROTTLED",
            message: "too many failed logins; try again in a minute".into(),
        },
        AuthError::EmbeddedProviderOff => AppError::Coded {
            status: StatusCode::NOT_FOUND,
            code: "EMBEDDED_IDP_OFF",
            message: "the embedded identity provider is off; sign in with your identity provider"
                .into(),
        },
        AuthError::Signing(e) => AppError::Internal(e.into()),
        AuthError::Store(e) => AppError::Internal(e.into()),
    }
}

/// `POST /auth/login`.
pub async fn login(
    State(state): State<AppState>,
    PeerAddr(source): PeerAddr,
    Json(req): Json<LoginRequest>,
) -> Result<axum::Json<TokenPair>, AppError> {
    let pair = state
        .auth
        .login(
            &req.username,
            &req.password,
            source,
            &current_correlation_id(),
        )
        .await
        .map_err(auth_failure)?;
    tracing::info!(user = %req.username, "login");
    Ok(axum::Json(pair))
}

/// `POST /auth/refresh`.
pub async fn refresh(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<axum::Json<TokenPair>, AppError> {
    state
        .auth
        .refresh(&req.refresh_token)
        .map(axum::Json)
        .map_err(auth_failure)
}

/// `POST /auth/logout`: revokes the refresh token.
pub async fn logout(
    State(state): State<AppState>,
    Json(req): Json<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    state
        .auth
        .logout(&req.refresh_token, &current_correlation_id())
        .await
        .map_err(auth_failure)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /me` response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    user: String,
    tenant: String,
    roles: Vec<String>,
    entitlements: Vec<String>,
}

/// `GET /me`.
pub async fn me(AuthUser(claims): AuthUser) -> axum::Json<Me> {
    axum::Json(Me {
        user: claims.sub,
        tenant: claims.tenant,
        roles: claims.roles,
        entitlements: claims.ent,
    })
}
