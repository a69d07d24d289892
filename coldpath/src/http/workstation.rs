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
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::Row;

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Json, Query};
use super::market::entitled_instrument;
use super::rfq::{db, require_risk_role, service};
use crate::market_view::rfc3339;
use crate::recovery::{DEFAULT_MAX_NOTIONAL, DEFAULT_MAX_RFQS_PER_SEC};

/// Largest preferences document accepted.
pub const MAX_PREFS_BYTES: usize = 64 * 1024;
/// Quotes considered by `GET /analytics/lp-response`.
const LP_RESPONSE_SAMPLE: i64 = 5_000;
/// Upper edges of the response-time buckets, ms (the last bucket is open).
const RESPONSE_BUCKETS_MS: &[u64] = &[10, 20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 500, 1_000];

fn store(state: &AppState) -> Result<&crate::store::Store, AppError> {
    service(state).map(|s| s.store())
}

fn now_nanos() -> u64 {
    orion_bridge::clock::unix_nanos()
}

/// `GET /me/preferences`: the stored document, or `{}`.
pub async fn get_preferences(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Value>, AppError> {
    let row =
        sqlx::query("SELECT prefs FROM user_preferences WHERE tenant_id = $1 AND user_id = $2")
            .bind(claims.tenant.as_str())
            .bind(claims.sub.as_str())
            .fetch_optional(store(&state)?.pool())
            .await
            .map_err(db)?;
    let prefs = row
        .and_then(|r| serde_json::from_str(&r.get::<String, _>(0)).ok())
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
    sqlx::query(
        "INSERT INTO user_preferences (tenant_id, user_id, prefs, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET prefs = excluded.prefs, updated_at = excluded.updated_at",
    )
    .bind(claims.tenant.as_str())
    .bind(claims.sub.as_str())
    .bind(text)
    .bind(now_nanos() as i64)
    .execute(store(&state)?.pool())
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
) -> Result<axum::Json<Value>, AppError> {
    let symbol = query.instrument_id;
    let id = entitled_instrument(&state, &claims, &symbol)?;
    Ok(axum::Json(json!({
        "instrumentId": symbol,
        "intervalMs": 1_000,
        "points": state.spreads.json(&state.instruments, id),
    })))
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
fn lp_summary(lp: &str, mut ms: Vec<u64>) -> Value {
    ms.sort_unstable();
    let mut counts = vec![0u64; RESPONSE_BUCKETS_MS.len() + 1];
    for &v in &ms {
        let bucket = RESPONSE_BUCKETS_MS
            .iter()
            .position(|&edge| v <= edge)
            .unwrap_or(RESPONSE_BUCKETS_MS.len());
        counts[bucket] += 1;
    }
    let buckets: Vec<Value> = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| json!({"leMs": RESPONSE_BUCKETS_MS.get(i), "count": count}))
        .collect();
    json!({
        "lpId": lp,
        "quotes": ms.len(),
        "p50Ms": quantile(&ms, 0.5),
        "p90Ms": quantile(&ms, 0.9),
        "p99Ms": quantile(&ms, 0.99),
        "buckets": buckets,
    })
}

/// `GET /analytics/lp-response`.
pub async fn lp_response(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Value>, AppError> {
    let rows = sqlx::query(
        "SELECT q.lp_id, q.received_at - r.created_at FROM quotes q JOIN rfqs r ON r.rfq_id = q.rfq_id \
         WHERE q.tenant_id = $1 ORDER BY q.received_at DESC LIMIT $2",
    )
    .bind(claims.tenant.as_str())
    .bind(LP_RESPONSE_SAMPLE)
    .fetch_all(store(&state)?.pool())
    .await
    .map_err(db)?;
    let mut by_lp: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for r in &rows {
        let nanos: i64 = r.get(1);
        by_lp
            .entry(r.get::<String, _>(0))
            .or_default()
            .push(nanos.max(0) as u64 / 1_000_000);
    }
    let lps: Vec<Value> = by_lp
        .into_iter()
        .map(|(lp, ms)| lp_summary(&lp, ms))
        .collect();
    Ok(axum::Json(json!({"sampleSize": rows.len(), "lps": lps})))
}

/// `GET /analytics/volume`.
pub async fn volume(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<axum::Json<Value>, AppError> {
    const MINUTE: u64 = 60_000_000_000;
    let now = now_nanos();
    let since = (now / MINUTE).saturating_sub(59) * MINUTE;
    let rows = sqlx::query(
        "SELECT t.executed_at, t.instrument_id, r.notional FROM trades t JOIN rfqs r ON r.rfq_id = t.rfq_id \
         WHERE t.tenant_id = $1 AND t.executed_at >= $2",
    )
    .bind(claims.tenant.as_str())
    .bind(since as i64)
    .fetch_all(store(&state)?.pool())
    .await
    .map_err(db)?;
    let mut minutes = vec![(0u64, 0i64); 60];
    let mut by_instrument: std::collections::BTreeMap<String, (u64, i64)> = Default::default();
    for r in &rows {
        let at = r.get::<i64, _>(0) as u64;
        let notional: i64 = r.get(2);
        let slot = ((at.saturating_sub(since)) / MINUTE).min(59) as usize;
        minutes[slot].0 += 1;
        minutes[slot].1 += notional;
        let e = by_instrument.entry(r.get::<String, _>(1)).or_default();
        e.0 += 1;
        e.1 += notional;
    }
    let buckets: Vec<Value> = minutes
        .iter()
        .enumerate()
        .map(|(i, (trades, notional))| {
            json!({"t": (since + i as u64 * MINUTE) / 1_000_000, "trades": trades, "notional": notional.to_string()})
        })
        .collect();
    let instruments: Vec<Value> = by_instrument
        .into_iter()
        .map(|(id, (trades, notional))| json!({"instrumentId": id, "trades": trades, "notional": notional.to_string()}))
        .collect();
    Ok(axum::Json(
        json!({"bucketMs": 60_000, "buckets": buckets, "byInstrument": instruments}),
    ))
}

/// `GET /admin/killswitch`: the caller's tenant switch and the global one.
pub async fn kill_switch_status(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    require_risk_role(&claims)?;
    let rows = sqlx::query(
        "SELECT scope, enabled, changed_at, changed_by FROM kill_switches WHERE scope = $1 OR scope = 'global'",
    )
    .bind(format!("tenant:{}", claims.tenant))
    .fetch_all(store(&state)?.pool())
    .await
    .map_err(db)?;
    let view = |scope: &str| {
        rows.iter().find(|r| r.get::<String, _>(0) == scope).map_or(
            json!({"enabled": false}),
            |r| {
                json!({
                    "enabled": r.get::<i64, _>(1) != 0,
                    "changedAt": rfc3339(r.get::<i64, _>(2) as u64),
                    "changedBy": r.get::<String, _>(3),
                })
            },
        )
    };
    Ok(axum::Json(json!({
        "tenantId": claims.tenant,
        "tenant": view(&format!("tenant:{}", claims.tenant)),
        "global": view("global"),
    }))
    .into_response())
}

/// `GET /admin/limits`: the tenant's open-notional limit and every user's limits.
pub async fn limits(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, AppError> {
    require_risk_role(&claims)?;
    let pool = store(&state)?.pool();
    let tenant = sqlx::query("SELECT max_open_notional FROM tenant_limits WHERE tenant_id = $1")
        .bind(claims.tenant.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db)?
        .map(|r| r.get::<i64, _>(0));
    let rows = sqlx::query(
        "SELECT user_id, max_notional, max_rfqs_per_sec FROM risk_limits WHERE tenant_id = $1",
    )
    .bind(claims.tenant.as_str())
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let users: Vec<Value> = crate::identity::DEMO_USERS
        .iter()
        .filter(|u| u.tenant == claims.tenant)
        .map(|u| {
            let row = rows.iter().find(|r| r.get::<String, _>(0) == u.username);
            json!({
                "userId": u.username,
                "maxNotional": row.map_or(DEFAULT_MAX_NOTIONAL, |r| r.get::<i64, _>(1)).to_string(),
                "maxRfqsPerSecond": row.map_or(i64::from(DEFAULT_MAX_RFQS_PER_SEC), |r| r.get::<i64, _>(2)),
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "tenantId": claims.tenant,
        "maxOpenNotional": tenant.map(|n| n.to_string()),
        "users": users,
    }))
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
        let s = lp_summary("lp-alpha", vec![5, 10, 11, 45, 2_000]);
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
