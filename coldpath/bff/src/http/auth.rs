//! Authentication routes (`/auth/login`, `/auth/refresh`, `/me`) and the [`AuthUser`]
//! extractor every protected handler takes.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{AppError, Json};
use orion_services::identity::{AuthError, Claims, TokenKind, TokenPair};

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
        state
            .identity
            .validate(token.trim(), TokenKind::Access)
            .map(AuthUser)
            .map_err(|_| AppError::Unauthorized)
    }
}

/// `POST /auth/login` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// `POST /auth/refresh` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

fn auth_failure(err: AuthError) -> AppError {
    match err {
        AuthError::BadCredentials | AuthError::BadToken => AppError::Unauthorized,
        AuthError::Signing(e) => AppError::Internal(e.into()),
    }
}

/// `POST /auth/login`.
pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<axum::Json<TokenPair>, AppError> {
    let pair = state
        .identity
        .login(&req.username, &req.password)
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
        .identity
        .refresh(&req.refresh_token)
        .map(axum::Json)
        .map_err(auth_failure)
}

/// `GET /me` response.
#[derive(Debug, Serialize)]
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
