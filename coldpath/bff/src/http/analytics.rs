//! Analytics over REST (ROLE_ANALYST, ROLE_SALES, ROLE_RISK for their tenant; ROLE_TRADER for
//! their own trades and RFQs), read from the analytics read models — never the trading path:
//!
//! - `GET /analytics/tca?from=&to=&instrumentId=` — per trade cost against the mid, and a
//!   summary by LP and instrument.
//! - `GET /analytics/lp-scorecard` — per LP: RFQs received, quotes, wins, hit ratio, response
//!   times, distance to the best quote.
//! - `GET /analytics/vwap?instrumentId=&windowSeconds=300` — the rolling VWAP of the trades.
//! - `GET /analytics/export.csv?kind=tca|lp-scorecard|vwap` — the same as CSV.
//! - `GET /analytics/baskets` · `PUT /analytics/baskets/{id}` · `GET /analytics/baskets/{id}/series`
//!   — the tenant's basket indices, from the market's mids once a second.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Json, Query};
use super::rfq::db;
use orion_services::analytics::{
    Basket, BasketDefinition, BasketSeries, LpScore, Scope, Tca, VwapPoint,
};
use orion_services::identity::Claims;

/// Who may read analytics, and what: the tenant's, or a trader's own.
fn scope(claims: &Claims) -> Result<Scope, AppError> {
    let tenant_wide = ["ROLE_ANALYST", "ROLE_SALES", "ROLE_RISK"]
        .iter()
        .any(|r| claims.has_role(r));
    if tenant_wide {
        return Ok(Scope {
            tenant: claims.tenant.clone(),
            own: None,
        });
    }
    if claims.has_role("ROLE_TRADER") {
        return Ok(Scope {
            tenant: claims.tenant.clone(),
            own: Some(claims.sub.clone()),
        });
    }
    Err(AppError::Forbidden(
        "analytics need ROLE_ANALYST, ROLE_SALES, ROLE_RISK or ROLE_TRADER".into(),
    ))
}

/// ns since the epoch of an RFC 3339 parameter.
fn instant(text: Option<&str>, field: &str, default: i64) -> Result<i64, AppError> {
    let Some(text) = text else {
        return Ok(default);
    };
    humantime::parse_rfc3339_weak(text)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_nanos()).ok())
        .ok_or_else(|| AppError::BadRequest(format!("{field} must be an RFC 3339 time")))
}

/// `GET /analytics/tca` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcaQuery {
    from: Option<String>,
    to: Option<String>,
    instrument_id: Option<String>,
}

async fn tca_of(state: &AppState, claims: &Claims, q: &TcaQuery) -> Result<Tca, AppError> {
    let scope = scope(claims)?;
    let range = (
        instant(q.from.as_deref(), "from", 0)?,
        instant(q.to.as_deref(), "to", i64::MAX)?,
    );
    let trades = state
        .analytics
        .trades(&scope, range, q.instrument_id.as_deref())
        .await
        .map_err(db)?;
    Ok(Tca::of(&trades))
}

/// `GET /analytics/tca`.
pub async fn tca(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(q): Query<TcaQuery>,
) -> Result<axum::Json<Tca>, AppError> {
    Ok(axum::Json(tca_of(&state, &claims, &q).await?))
}

/// `GET /analytics/lp-scorecard`.
pub async fn lp_scorecard(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Vec<LpScore>>, AppError> {
    let scope = scope(&claims)?;
    Ok(axum::Json(
        state.analytics.scorecard(&scope).await.map_err(db)?,
    ))
}

/// `GET /analytics/vwap` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VwapQuery {
    instrument_id: String,
    window_seconds: Option<u32>,
}

/// `GET /analytics/vwap`: the rolling VWAP of one instrument's trades, a point per trade.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vwap {
    instrument_id: String,
    window_seconds: u32,
    points: Vec<VwapPoint>,
}

async fn vwap_of(state: &AppState, claims: &Claims, q: &VwapQuery) -> Result<Vwap, AppError> {
    let scope = scope(claims)?;
    let window_seconds = q.window_seconds.unwrap_or(300);
    if window_seconds == 0 || window_seconds > 86_400 {
        return Err(AppError::BadRequest(
            "windowSeconds must be 1..=86400".into(),
        ));
    }
    let trades = state
        .analytics
        .trades(&scope, (0, i64::MAX), Some(&q.instrument_id))
        .await
        .map_err(db)?;
    Ok(Vwap {
        instrument_id: q.instrument_id.clone(),
        window_seconds,
        points: orion_services::analytics::vwap(&trades, i64::from(window_seconds) * 1_000),
    })
}

/// `GET /analytics/vwap`.
pub async fn vwap(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(q): Query<VwapQuery>,
) -> Result<axum::Json<Vwap>, AppError> {
    Ok(axum::Json(vwap_of(&state, &claims, &q).await?))
}

/// `GET /analytics/export.csv` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportQuery {
    kind: String,
    instrument_id: Option<String>,
    window_seconds: Option<u32>,
    from: Option<String>,
    to: Option<String>,
}

fn cell<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// `GET /analytics/export.csv?kind=tca|lp-scorecard|vwap`.
pub async fn export_csv(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(q): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let mut csv = String::new();
    match q.kind.as_str() {
        "tca" => {
            let query = TcaQuery {
                from: q.from,
                to: q.to,
                instrument_id: q.instrument_id,
            };
            let tca = tca_of(&state, &claims, &query).await?;
            csv.push_str("tradeId,instrumentId,venue,lpId,side,size,price,midAtDecision,slippageBps,spreadCaptureBps,timeToExecutionMs,executedAt\n");
            for t in tca.trades {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{},{},{},{},{},{},{}",
                    t.trade_id,
                    t.instrument_id,
                    t.venue,
                    t.lp_id,
                    t.side,
                    t.size,
                    t.price,
                    cell(t.mid_at_decision),
                    cell(t.slippage_bps),
                    cell(t.spread_capture_bps),
                    t.time_to_execution_ms,
                    t.executed_at
                );
            }
        }
        "lp-scorecard" => {
            let scope = scope(&claims)?;
            csv.push_str("lpId,rfqsReceived,quotes,wins,hitRatio,responseP50Ms,responseP90Ms,meanDistanceToBestBps\n");
            for lp in state.analytics.scorecard(&scope).await.map_err(db)? {
                let _ = writeln!(
                    csv,
                    "{},{},{},{},{},{},{},{}",
                    lp.lp_id,
                    lp.rfqs_received,
                    lp.quotes,
                    lp.wins,
                    lp.hit_ratio,
                    cell(lp.response_p50_ms),
                    cell(lp.response_p90_ms),
                    cell(lp.mean_distance_to_best_bps)
                );
            }
        }
        "vwap" => {
            let Some(instrument_id) = q.instrument_id else {
                return Err(AppError::BadRequest("kind=vwap needs instrumentId".into()));
            };
            let query = VwapQuery {
                instrument_id,
                window_seconds: q.window_seconds,
            };
            let series = vwap_of(&state, &claims, &query).await?;
            csv.push_str("t,vwap,volume\n");
            for p in series.points {
                let _ = writeln!(csv, "{},{},{}", p.t, p.vwap, p.volume);
            }
        }
        _ => {
            return Err(AppError::BadRequest(
                "kind must be tca, lp-scorecard or vwap".into(),
            ));
        }
    }
    let disposition = format!("attachment; filename=\"{}.csv\"", q.kind);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

/// `GET /analytics/baskets`.
pub async fn baskets(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Vec<Basket>>, AppError> {
    let scope = scope(&claims)?;
    Ok(axum::Json(
        state.analytics.baskets(&scope.tenant).await.map_err(db)?,
    ))
}

/// Why a basket definition is refused, if it is.
fn check_basket(
    state: &AppState,
    claims: &Claims,
    id: &str,
    definition: &BasketDefinition,
) -> Result<(), AppError> {
    let bad = |message: &str| Err(AppError::BadRequest(message.into()));
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return bad("a basket id is 1 to 64 letters, digits, '-' or '_'");
    }
    if definition.name.trim().is_empty() || definition.name.len() > 100 {
        return bad("name must be 1 to 100 characters");
    }
    if !definition
        .base
        .parse::<f64>()
        .is_ok_and(|b| b.is_finite() && b > 0.0)
    {
        return bad("base must be a positive decimal");
    }
    if definition.components.is_empty() || definition.components.len() > 20 {
        return bad("a basket has 1 to 20 components");
    }
    let mut seen = std::collections::HashSet::new();
    for c in &definition.components {
        if !(c.weight.is_finite() && c.weight > 0.0) {
            return bad("every weight must be positive");
        }
        if !seen.insert(c.instrument_id.as_str()) {
            return bad("an instrument appears twice");
        }
        super::market::entitled_instrument(state, claims, &c.instrument_id)?;
    }
    Ok(())
}

/// `PUT /analytics/baskets/{id}`: defines the basket (or redefines it, restarting the index at
/// `base`).
pub async fn define_basket(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
    Json(definition): Json<BasketDefinition>,
) -> Result<axum::Json<Basket>, AppError> {
    let scope = scope(&claims)?;
    check_basket(&state, &claims, &id, &definition)?;
    let now = orion_bridge::clock::unix_nanos() as i64;
    Ok(axum::Json(
        state
            .analytics
            .define_basket(&scope.tenant, &id, &definition, now)
            .await
            .map_err(db)?,
    ))
}

/// `GET /analytics/baskets/{id}/series`.
pub async fn basket_series(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<axum::Json<BasketSeries>, AppError> {
    let scope = scope(&claims)?;
    state
        .analytics
        .basket_series(&scope.tenant, &id)
        .await
        .map_err(db)?
        .map(axum::Json)
        .ok_or_else(|| AppError::NotFound("no such basket".into()))
}
