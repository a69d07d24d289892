//! What the web workstation needs beyond the trading API: per-user preferences, the analytics
//! series, and read access to kill switches and limits for the risk panel.
//!
//! - `GET /me/preferences` · `PUT /me/preferences` — the caller's workstation document
//!   (watchlists, pinned instruments, layout, theme), stored whole, at most [`MAX_PREFS_BYTES`].
//! - `GET /analytics/spreads?instrumentId=` — spread samples, one per second, last 15 minutes.
//! - `GET /analytics/lp-response` — per-LP time from RFQ creation to quote, over the tenant's
//!   latest quotes: count, p50/p90/p99 and a bucketed distribution.
//! - `GET /analytics/volume` — the tenant's trades per minute over the last hour, and per
//!   instrument (count and notional in whole currency units).
//! - `GET /admin/killswitch` · `GET /admin/limits` — current state (ROLE_RISK or ROLE_ADMIN).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Json, Query};
use super::market::entitled_instrument;
use super::rfq::{db, require_risk_role, service};
use orion_bridge::clock::rfc3339;
use orion_services::recovery::{DEFAULT_MAX_NOTIONAL, DEFAULT_MAX_RFQS_PER_SEC};
use orion_services::workstation::WorkstationService;

/// Largest preferences document accepted.
pub const MAX_PREFS_BYTES: usize = 64 * 1024;
/// The spread history `GET /analytics/spreads` shows.
const SPREAD_WINDOW_SECONDS: i64 = 15 * 60;
/// Quotes considered by `GET /analytics/lp-response`.
const LP_RESPONSE_SAMPLE: i64 = 5_000;
/// Upper edges of the response-time buckets, ms (the last bucket is open).
const RESPONSE_BUCKETS_MS: &[u64] = &[10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1_000];

fn store(state: &AppState) -> Result<&WorkstationService, AppError> {
    service(state)?;
    Ok(&state.workstation)
}

fn now_nanos() -> u64 {
    orion_bridge::clock::unix_nanos()
}

/// `GET /me/preferences`: the stored document, or `{}`.
pub async fn get_preferences(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Value>, AppError> {
    let row = store(&state)?
        .preferences(&claims.tenant, &claims.sub)
        .await
        .map_err(db)?;
    let prefs = row
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_else(|| json!({}));
    Ok(axum::Json(prefs))
}

/// `PUT /me/preferences`: replaces the document; it must be a JSON object.
pub async fn put_preferences(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Json(prefs): Json<Value>,
) -> Result<axum::Json<Value>, AppError> {
    if !prefs.is_object() {
        return Err(AppError::BadRequest(
            "preferences must be a JSON object".into(),
        ));
    }
    let text = prefs.to_string();
    if text.len() > MAX_PREFS_BYTES {
        return Err(AppError::BadRequest(format!(
            "preferences are limited to {MAX_PREFS_BYTES} bytes"
        )));
    }
    store(&state)?
        .save_preferences(&claims.tenant, &claims.sub, &text, now_nanos() as i64)
        .await
        .map_err(db)?;
    Ok(axum::Json(prefs))
}

/// `GET /analytics/spreads` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpreadQuery {
    instrument_id: String,
}

/// `GET /analytics/spreads?instrumentId=`.
pub async fn spreads(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<SpreadQuery>,
) -> Result<axum::Json<Spreads>, AppError> {
    let symbol = query.instrument_id;
    entitled_instrument(&state, &claims, &symbol)?;
    let since = (orion_bridge::clock::unix_nanos() / 1_000_000_000) as i64 - SPREAD_WINDOW_SECONDS;
    let points = store(&state)?
        .samples(&symbol, since)
        .await
        .map_err(db)?
        .into_iter()
        .map(|s| SpreadPoint {
            t: (s.t * 1_000) as u64,
            spread: s.spread,
        })
        .collect();
    Ok(axum::Json(Spreads {
        instrument_id: symbol,
        interval_ms: 1_000,
        points,
    }))
}

/// `GET /analytics/spreads`: one instrument's spread, sampled once a second.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Spreads {
    instrument_id: String,
    interval_ms: u64,
    points: Vec<SpreadPoint>,
}

/// One spread sample.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SpreadPoint {
    /// Unix milliseconds.
    t: u64,
    /// Ask minus bid (decimal).
    spread: String,
}

/// The `q` quantile of sorted `values` (nearest rank).
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Per-LP summary of response times (ms).
fn lp_summary(lp: &str, mut ms: Vec<u64>) -> LpResponse {
    ms.sort_unstable();
    let mut counts = vec![0u64; RESPONSE_BUCKETS_MS.len() + 1];
    for &v in &ms {
        let bucket = RESPONSE_BUCKETS_MS
            .iter()
            .position(|&edge| v <= edge)
            .unwrap_or(RESPONSE_BUCKETS_MS.len());
        counts[bucket] += 1;
    }
    let buckets = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| ResponseBucket {
            le_ms: RESPONSE_BUCKETS_MS.get(i).copied(),
            count,
        })
        .collect();
    LpResponse {
        lp_id: lp.to_owned(),
        quotes: ms.len(),
        p50_ms: quantile(&ms, 0.5),
        p90_ms: quantile(&ms, 0.9),
        p99_ms: quantile(&ms, 0.99),
        buckets,
    }
}

/// `GET /analytics/lp-response`: per LP, the time from RFQ creation to its quote.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LpResponses {
    /// Quotes considered (the tenant's latest).
    sample_size: usize,
    lps: Vec<LpResponse>,
}

/// One LP's response times, ms.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LpResponse {
    lp_id: String,
    quotes: usize,
    p50_ms: u64,
    p90_ms: u64,
    p99_ms: u64,
    buckets: Vec<ResponseBucket>,
}

/// Quotes answered within `leMs` (and above the previous edge); null = the open last bucket.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResponseBucket {
    le_ms: Option<u64>,
    count: u64,
}

/// `GET /analytics/lp-response`.
pub async fn lp_response(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<LpResponses>, AppError> {
    let rows = store(&state)?
        .quote_response_times(&claims.tenant, LP_RESPONSE_SAMPLE)
        .await
        .map_err(db)?;
    let mut by_lp: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for (lp, nanos) in &rows {
        by_lp
            .entry(lp.clone())
            .or_default()
            .push((*nanos).max(0) as u64 / 1_000_000);
    }
    let lps = by_lp
        .into_iter()
        .map(|(lp, ms)| lp_summary(&lp, ms))
        .collect();
    Ok(axum::Json(LpResponses {
        sample_size: rows.len(),
        lps,
    }))
}

/// `GET /analytics/volume`: the tenant's trades per minute over the last hour, and per
/// instrument.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    bucket_ms: u64,
    buckets: Vec<VolumeBucket>,
    by_instrument: Vec<InstrumentVolume>,
}

/// Trades in the minute starting at `t` (unix ms).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VolumeBucket {
    t: u64,
    trades: u64,
    /// Whole currency units (decimal).
    notional: String,
}

/// One instrument's trades over the hour.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentVolume {
    instrument_id: String,
    trades: u64,
    /// Whole currency units (decimal).
    notional: String,
}

/// `GET /analytics/volume`.
pub async fn volume(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Volume>, AppError> {
    const MINUTE: u64 = 60_000_000_000;
    let now = now_nanos();
    let since = (now / MINUTE).saturating_sub(59) * MINUTE;
    let rows = store(&state)?
        .trades_since(&claims.tenant, since as i64)
        .await
        .map_err(db)?;
    let mut minutes = vec![(0u64, 0i64); 60];
    let mut by_instrument: std::collections::BTreeMap<String, (u64, i64)> = Default::default();
    for (at, instrument, notional) in rows {
        let slot = ((at.saturating_sub(since)) / MINUTE).min(59) as usize;
        minutes[slot].0 += 1;
        minutes[slot].1 += notional;
        let e = by_instrument.entry(instrument).or_default();
        e.0 += 1;
        e.1 += notional;
    }
    let buckets = minutes
        .iter()
        .enumerate()
        .map(|(i, (trades, notional))| VolumeBucket {
            t: (since + i as u64 * MINUTE) / 1_000_000,
            trades: *trades,
            notional: notional.to_string(),
        })
        .collect();
    let by_instrument = by_instrument
        .into_iter()
        .map(|(instrument_id, (trades, notional))| InstrumentVolume {
            instrument_id,
            trades,
            notional: notional.to_string(),
        })
        .collect();
    Ok(axum::Json(Volume {
        bucket_ms: 60_000,
        buckets,
        by_instrument,
    }))
}

/// `GET /admin/killswitch`: the caller's tenant switch and the global one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitches {
    tenant_id: String,
    tenant: KillSwitchState,
    global: KillSwitchState,
}

/// One kill switch; when and by whom it last changed, once it has.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitchState {
    enabled: bool,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_by: Option<String>,
}

/// `GET /admin/killswitch`: the caller's tenant switch and the global one (risk roles, and the
/// platform operator who holds the global one).
pub async fn kill_switch_status(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    if !claims.has_role("ROLE_PLATFORM") {
        require_risk_role(&claims)?;
    }
    let rows = store(&state)?
        .kill_switch_state(&claims.tenant)
        .await
        .map_err(db)?;
    let view = |scope: &str| {
        rows.iter().find(|r| r.scope == scope).map_or(
            KillSwitchState {
                enabled: false,
                changed_at: None,
                changed_by: None,
            },
            |r| KillSwitchState {
                enabled: r.enabled,
                changed_at: Some(rfc3339(r.changed_at)),
                changed_by: Some(r.changed_by.clone()),
            },
        )
    };
    Ok(axum::Json(KillSwitches {
        tenant: view(&format!("tenant:{}", claims.tenant)),
        global: view("global"),
        tenant_id: claims.tenant,
    })
    .into_response())
}

/// `GET /admin/limits`: the tenant's open-notional limit and every user's limits.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    tenant_id: String,
    /// The tenant's open-notional limit (decimal); null when none is set.
    max_open_notional: Option<String>,
    users: Vec<UserLimits>,
}

/// One user's limits.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserLimits {
    user_id: String,
    /// Decimal.
    max_notional: String,
    max_rfqs_per_second: i64,
}

/// `GET /admin/limits`: the tenant's open-notional limit and every user's limits.
pub async fn limits(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    require_risk_role(&claims)?;
    let (tenant, rows) = store(&state)?.limits(&claims.tenant).await.map_err(db)?;
    let users = state
        .directory
        .users_of(&claims.tenant)
        .iter()
        .map(|u| {
            let row = rows.iter().find(|r| r.user == u.user);
            UserLimits {
                user_id: u.user.clone(),
                max_notional: row
                    .map_or(DEFAULT_MAX_NOTIONAL, |r| r.max_notional)
                    .to_string(),
                max_rfqs_per_second: row
                    .map_or(i64::from(DEFAULT_MAX_RFQS_PER_SEC), |r| r.max_rfqs_per_sec),
            }
        })
        .collect();
    Ok(axum::Json(Limits {
        max_open_notional: tenant.map(|n| n.to_string()),
        users,
        tenant_id: claims.tenant,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), 50);
        assert_eq!(quantile(&v, 0.99), 99);
        assert_eq!(quantile(&[7], 0.99), 7);
        assert_eq!(quantile(&[], 0.5), 0);
    }

    #[test]
    fn response_times_fall_into_their_buckets() {
        let s = serde_json::to_value(lp_summary("lp-alpha", vec![5, 10, 11, 45, 2_000])).unwrap();
        assert_eq!(s["quotes"], 5);
        assert_eq!(s["buckets"][0]["count"], 2, "≤ 10 ms");
        assert_eq!(s["buckets"][1]["count"], 1, "≤ 20 ms");
        assert_eq!(s["buckets"][4]["count"], 1, "≤ 50 ms");
        let last = &s["buckets"][RESPONSE_BUCKETS_MS.len()];
        assert_eq!(last["count"], 1, "open bucket");
        assert!(last["leMs"].is_null());
        assert_eq!(s["p50Ms"], 11);
    }
}
