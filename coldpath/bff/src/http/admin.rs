//! Administration routes (`docs/api.md`, "Identity and administration"): users and the audit
//! trail for a tenant's administrators, LPs and venues for the platform's operators, feature
//! flags per tenant. Each handler checks the role, calls [`AdminService`] and renders its result.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orion_bridge::clock::rfc3339;
use orion_services::admin::{Actor, AdminError, AdminService, InstrumentConfig, LpConfig, NewUser};
use orion_services::directory::{
    FeatureFlags, InstrumentRecord, LpRecord, UserRecord, VenueRecord,
};
use orion_services::identity::Claims;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Json, Query, current_correlation_id};
use super::rfq::db;

fn service(state: &AppState) -> Result<&AdminService, AppError> {
    state
        .admin
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("administration is not enabled".into()))
}

/// The caller as the administration service sees it; the service checks the roles.
fn actor(claims: &Claims) -> Actor {
    Actor::from_claims(claims, current_correlation_id())
}

fn admin_error(err: AdminError) -> AppError {
    match err {
        AdminError::Invalid(message) => AppError::BadRequest(message),
        AdminError::Forbidden(message) => AppError::Forbidden(message),
        AdminError::NotFound(message) => AppError::NotFound(message.into()),
        AdminError::Conflict(message) => AppError::Coded {
            status: StatusCode::CONFLICT,
            code: "CONFLICT",
            message,
        },
        AdminError::Unavailable => {
            AppError::Unavailable("the change could not be made durable; nothing was done".into())
        }
        AdminError::Store(cause) => db(cause),
    }
}

/// A user as the admin API shows it (never the password hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    user_id: String,
    tenant_id: String,
    roles: Vec<String>,
    entitlements: EntitlementsView,
    enabled: bool,
    created_at: String,
}

/// A user's entitlements.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntitlementsView {
    asset_classes: Vec<String>,
    /// Named instruments within the classes; absent or empty = all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    instruments: Vec<String>,
}

impl From<UserRecord> for UserView {
    fn from(u: UserRecord) -> Self {
        Self {
            user_id: u.user,
            tenant_id: u.tenant,
            roles: u.roles,
            entitlements: EntitlementsView {
                asset_classes: u.asset_classes,
                instruments: u.instruments,
            },
            enabled: u.enabled,
            created_at: rfc3339(u.created_at.max(0) as u64),
        }
    }
}

/// `GET /admin/users`: the caller's tenant's users.
pub async fn list_users(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let users: Vec<UserView> = service(&state)?
        .list_users(&actor)
        .map_err(admin_error)?
        .into_iter()
        .map(UserView::from)
        .collect();
    Ok(axum::Json(users).into_response())
}

/// `POST /admin/users` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"userId": "trader2@acme", "password": "s3cret-Passw0rd", "roles": ["ROLE_TRADER"], "entitlements": {"assetClasses": ["fx"]}, "maxNotional": 50000000, "maxRfqsPerSec": 20}))]
pub struct CreateUserBody {
    user_id: String,
    password: String,
    roles: Vec<String>,
    entitlements: EntitlementsView,
    #[serde(default)]
    max_notional: Option<i64>,
    #[serde(default)]
    max_rfqs_per_sec: Option<u32>,
}

/// `POST /admin/users`: 201 with the user, who can log in at once.
pub async fn create_user(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<CreateUserBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let user = service(&state)?
        .create_user(
            &actor,
            NewUser {
                user_id: body.user_id,
                password: body.password,
                roles: body.roles,
                asset_classes: body.entitlements.asset_classes,
                instruments: body.entitlements.instruments,
                max_notional: body.max_notional,
                max_rfqs_per_sec: body.max_rfqs_per_sec,
            },
        )
        .await
        .map_err(admin_error)?;
    Ok((StatusCode::CREATED, axum::Json(UserView::from(user))).into_response())
}

async fn set_enabled(
    state: AppState,
    claims: Claims,
    user: String,
    enabled: bool,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let user = service(&state)?
        .set_user_enabled(&actor, &user, enabled)
        .await
        .map_err(admin_error)?;
    Ok(axum::Json(UserView::from(user)).into_response())
}

/// `POST /admin/users/{id}/disable`.
pub async fn disable_user(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(user): Path<String>,
) -> Result<Response, AppError> {
    set_enabled(state, claims, user, false).await
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable_user(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(user): Path<String>,
) -> Result<Response, AppError> {
    set_enabled(state, claims, user, true).await
}

/// `GET /admin/audit` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuditParams {
    user_id: Option<String>,
    action: Option<String>,
    correlation_id: Option<String>,
    limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    at: String,
    tenant_id: String,
    user_id: String,
    action: String,
    entity_type: String,
    entity_id: String,
    correlation_id: String,
    detail: String,
}

/// `GET /admin/audit?userId=&action=&correlationId=&limit=`: newest first.
pub async fn audit(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(params): Query<AuditParams>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let rows = service(&state)?
        .audit(
            &actor,
            params.user_id.as_deref(),
            params.action.as_deref(),
            params.correlation_id.as_deref(),
            params.limit,
        )
        .await
        .map_err(admin_error)?;
    let rows: Vec<AuditView> = rows
        .into_iter()
        .map(|r| AuditView {
            at: rfc3339(r.at.max(0) as u64),
            tenant_id: r.tenant,
            user_id: r.actor,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            correlation_id: r.correlation_id,
            detail: r.detail,
        })
        .collect();
    Ok(axum::Json(rows).into_response())
}

/// An LP as the admin API shows and takes it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"lpId": "lp-delta", "enabled": true, "assetClasses": ["fx", "rates"], "maxQuotesPerSec": 200, "spreadBps": 4}))]
pub struct LpBody {
    lp_id: String,
    enabled: bool,
    asset_classes: Vec<String>,
    max_quotes_per_sec: u32,
    #[serde(default)]
    spread_bps: Option<i64>,
}

impl From<LpRecord> for LpBody {
    fn from(lp: LpRecord) -> Self {
        Self {
            lp_id: lp.lp_id,
            enabled: lp.enabled,
            asset_classes: lp.asset_classes,
            max_quotes_per_sec: lp.max_quotes_per_sec.clamp(0, i64::from(u32::MAX)) as u32,
            spread_bps: lp.spread_bps,
        }
    }
}

/// `GET /admin/lps`.
pub async fn list_lps(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let lps: Vec<LpBody> = service(&state)?
        .list_lps(&actor(&claims))
        .map_err(admin_error)?
        .into_iter()
        .map(LpBody::from)
        .collect();
    Ok(axum::Json(lps).into_response())
}

/// `POST /admin/lps`: creates or reconfigures an LP; a disabled LP gets no further RFQs.
pub async fn configure_lp(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<LpBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let lp = service(&state)?
        .configure_lp(
            &actor,
            LpConfig {
                lp_id: body.lp_id,
                enabled: body.enabled,
                asset_classes: body.asset_classes,
                max_quotes_per_sec: body.max_quotes_per_sec,
                spread_bps: body.spread_bps,
            },
        )
        .await
        .map_err(admin_error)?;
    Ok(axum::Json(LpBody::from(lp)).into_response())
}

/// A venue as the admin API shows and takes it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"venueId": "CLOB-FX", "executionType": "CLOB", "instruments": ["EUR/USD", "GBP/USD"]}))]
pub struct VenueBody {
    venue_id: String,
    execution_type: String,
    instruments: Vec<String>,
    #[serde(default)]
    session_windows: Option<serde_json::Value>,
}

impl From<VenueRecord> for VenueBody {
    fn from(v: VenueRecord) -> Self {
        Self {
            venue_id: v.venue_id,
            execution_type: v.execution_type,
            instruments: v.instruments,
            session_windows: serde_json::from_str(&v.session_windows).ok(),
        }
    }
}

/// `GET /admin/venues`.
pub async fn list_venues(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let venues: Vec<VenueBody> = service(&state)?
        .list_venues(&actor(&claims))
        .map_err(admin_error)?
        .into_iter()
        .map(VenueBody::from)
        .collect();
    Ok(axum::Json(venues).into_response())
}

/// `POST /admin/venues`.
pub async fn configure_venue(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<VenueBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let venue = VenueRecord {
        venue_id: body.venue_id,
        execution_type: body.execution_type,
        instruments: body.instruments,
        session_windows: body
            .session_windows
            .unwrap_or_else(|| serde_json::json!([]))
            .to_string(),
    };
    let venue = service(&state)?
        .configure_venue(&actor, venue)
        .await
        .map_err(admin_error)?;
    Ok(axum::Json(VenueBody::from(venue)).into_response())
}

/// A tenant's feature flags.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"oms": true, "clob": true, "replay": false}))]
pub struct FlagsBody {
    oms: bool,
    clob: bool,
    replay: bool,
}

/// `GET /admin/feature-flags`: the caller's tenant's flags.
pub async fn feature_flags(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let f = service(&state)?
        .feature_flags(&actor)
        .map_err(admin_error)?;
    Ok(axum::Json(FlagsBody {
        oms: f.oms,
        clob: f.clob,
        replay: f.replay,
    })
    .into_response())
}

/// `PUT /admin/feature-flags`.
pub async fn set_feature_flags(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<FlagsBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let f = service(&state)?
        .set_feature_flags(
            &actor,
            FeatureFlags {
                oms: body.oms,
                clob: body.clob,
                replay: body.replay,
            },
        )
        .await
        .map_err(admin_error)?;
    Ok(axum::Json(FlagsBody {
        oms: f.oms,
        clob: f.clob,
        replay: f.replay,
    })
    .into_response())
}

/// An instrument as the admin API shows and takes it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"instrumentId": "AUD/USD", "assetClass": "fx", "symbol": "AUD/USD", "currency": "USD", "tickSize": "0.00001", "lotSize": "1000", "referencePrice": "0.65410"}))]
pub struct InstrumentBody {
    instrument_id: String,
    asset_class: String,
    #[serde(default)]
    symbol: String,
    #[serde(default)]
    currency: String,
    tick_size: String,
    lot_size: String,
    #[serde(default)]
    tenor: Option<String>,
    #[serde(default)]
    trading_hours: Option<String>,
    reference_price: String,
}

impl From<InstrumentRecord> for InstrumentBody {
    fn from(i: InstrumentRecord) -> Self {
        Self {
            symbol: if i.symbol.is_empty() {
                i.instrument_id.clone()
            } else {
                i.symbol
            },
            instrument_id: i.instrument_id,
            asset_class: i.asset_class,
            currency: i.currency,
            tick_size: i.tick_size,
            lot_size: i.lot_size,
            tenor: i.tenor,
            trading_hours: i.trading_hours,
            reference_price: i.reference_price,
        }
    }
}

impl InstrumentBody {
    fn into_config(self) -> InstrumentConfig {
        InstrumentConfig {
            instrument_id: self.instrument_id,
            asset_class: self.asset_class.to_ascii_lowercase(),
            symbol: self.symbol,
            currency: self.currency,
            tick_size: self.tick_size,
            lot_size: self.lot_size,
            tenor: self.tenor,
            trading_hours: self.trading_hours,
            reference_price: self.reference_price,
        }
    }
}

/// `GET /admin/instruments`: every instrument's reference data (ROLE_PLATFORM).
pub async fn list_instruments(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    let instruments: Vec<InstrumentBody> = service(&state)?
        .list_instruments(&actor(&claims))
        .map_err(admin_error)?
        .into_iter()
        .map(InstrumentBody::from)
        .collect();
    Ok(axum::Json(instruments).into_response())
}

/// `POST /admin/instruments`: defines an instrument; priced, streamed and tradable at once.
pub async fn create_instrument(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(body): Json<InstrumentBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    let instrument = service(&state)?
        .create_instrument(&actor, body.into_config())
        .await
        .map_err(admin_error)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(InstrumentBody::from(instrument)),
    )
        .into_response())
}

/// `PUT /admin/instruments/{id}`: changes an instrument's descriptive reference data.
pub async fn update_instrument(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
    Json(body): Json<InstrumentBody>,
) -> Result<Response, AppError> {
    let actor = actor(&claims);
    if body.instrument_id != id {
        return Err(AppError::BadRequest(
            "instrumentId in the body must match the path".into(),
        ));
    }
    let instrument = service(&state)?
        .update_instrument(&actor, body.into_config())
        .await
        .map_err(admin_error)?;
    Ok(axum::Json(InstrumentBody::from(instrument)).into_response())
}
