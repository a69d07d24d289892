//! Reference and market data over REST: `GET /instruments`, `GET /market/snapshot`.

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use super::error::{AppError, Query};
use crate::market_view::MarketView;

/// One instrument as `GET /instruments` lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentView {
    /// Instrument id, e.g. `EUR/USD`.
    instrument_id: String,
    /// `fx`, `rates` or `credit`.
    asset_class: &'static str,
    /// Minimum price increment, decimal string.
    tick_size: String,
    /// Decimal places of a price.
    price_scale: u8,
    /// Decimal places of a size.
    size_scale: u8,
    /// Dense index used by the UDP feed's wire format.
    feed_index: u32,
}

/// `GET /instruments`: reference data the caller is entitled to.
pub async fn instruments(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> axum::Json<Vec<InstrumentView>> {
    axum::Json(
        state
            .instruments
            .iter()
            .filter(|(_, spec)| claims.may_see(spec))
            .map(|(id, spec)| InstrumentView {
                instrument_id: spec.symbol.clone(),
                asset_class: spec.asset_class.as_str(),
                tick_size: spec.tick_size_decimal(),
                price_scale: spec.price_scale,
                size_scale: spec.size_scale,
                feed_index: id.raw(),
            })
            .collect(),
    )
}

/// `GET /market/snapshot` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotQuery {
    instrument_id: Option<String>,
}

/// `GET /market/snapshot?instrumentId=…`: one instrument's latest value; without the
/// parameter, every entitled instrument that has data.
pub async fn snapshot(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<SnapshotQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let now = orion_bridge::clock::unix_nanos();
    let view = |id: orion_hotpath::InstrumentId| {
        let spec = state.instruments.spec(id)?;
        let snapshot = state.snapshots.read(id)?;
        let mut view = MarketView::new(spec, &snapshot, None);
        view.age_ms = Some(now.saturating_sub(snapshot.receive_ts) / 1_000_000);
        Some(view)
    };
    match query.instrument_id {
        Some(symbol) => {
            let id = entitled_instrument(&state, &claims, &symbol)?;
            let value = view(id)
                .ok_or_else(|| AppError::NotFound(format!("no market data yet for {symbol}")))?;
            Ok(axum::Json(value).into_response())
        }
        None => {
            let all: Vec<_> = state
                .instruments
                .iter()
                .filter(|(_, spec)| claims.may_see(spec))
                .filter_map(|(id, _)| view(id))
                .collect();
            Ok(axum::Json(all).into_response())
        }
    }
}

/// The id of instrument `symbol`: 404 when unknown, 403 when `claims` are not entitled to it.
pub(super) fn entitled_instrument(
    state: &AppState,
    claims: &orion_services::identity::Claims,
    symbol: &str,
) -> Result<orion_hotpath::InstrumentId, AppError> {
    let id = state
        .instruments
        .id(symbol)
        .ok_or_else(|| AppError::NotFound(format!("unknown instrument {symbol}")))?;
    let spec = state.instruments.spec(id).expect("id from this table");
    if !claims.may_see(spec) {
        return Err(AppError::Forbidden(format!("not entitled to {symbol}")));
    }
    Ok(id)
}
