//! Orders and the order book over REST: place (with a required `Idempotency-Key`), cancel,
//! amend, the tenant's orders paged, one order with its fills, and the depth of a book.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use orion_hotpath::rfq::Reason;
use orion_journal::OrderSnapshot;
use orion_journal::{Answer, Decision};
use orion_services::rfq::ServiceError;
use orion_services::rfq::orders::OrderRequest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::AuthUser;
use super::decision::{order_json, refusal, respond, service_error};
use super::error::{AppError, Json, Query, current_correlation_id};
use super::rfq::{caller, service, trader};

/// A decimal given as a JSON string or number.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Decimal {
    /// `"3000000"`.
    Text(String),
    /// `3000000`.
    #[schema(value_type = f64)]
    Number(serde_json::Number),
}

impl Decimal {
    fn text(&self) -> String {
        match self {
            Decimal::Text(t) => t.clone(),
            Decimal::Number(n) => n.to_string(),
        }
    }
}

/// `POST /orders` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaceOrderBody {
    instrument_id: String,
    side: String,
    #[serde(rename = "type")]
    order_type: String,
    qty: Decimal,
    #[serde(default)]
    limit_price: Option<Decimal>,
    #[serde(default)]
    time_in_force: Option<String>,
}

/// `POST /orders/{id}/amend` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AmendBody {
    #[serde(default)]
    qty: Option<Decimal>,
    #[serde(default)]
    limit_price: Option<Decimal>,
}

/// `POST /orders`: 201 with the order once durable; a refusal is 422 with its reason.
pub async fn place(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    headers: HeaderMap,
    Json(body): Json<PlaceOrderBody>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    let Some(key) = super::rfq::idempotency_key(&headers)? else {
        return Err(AppError::BadRequest(
            "POST /orders needs an Idempotency-Key header".into(),
        ));
    };
    let request = OrderRequest {
        instrument_id: body.instrument_id,
        side: body.side,
        order_type: body.order_type,
        qty: body.qty.text(),
        limit_price: body.limit_price.as_ref().map(Decimal::text),
        time_in_force: body.time_in_force.unwrap_or_else(|| "GTC".into()),
    };
    let result = service(&state)?
        .place_order(&caller, &request, key, &current_correlation_id())
        .await;
    order_response(result, StatusCode::CREATED)
}

/// Renders an order command's answer: the order with `status`, or the refusal (an order
/// refusal is 422 whatever the rule, as the contract says; an unknown order 404).
fn order_response(
    result: Result<Answer, ServiceError>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let answer = result.map_err(service_error)?;
    match &answer.decision {
        Decision::Order(order) => Ok((
            status,
            axum::Json(order_json(order, &answer.correlation_id)),
        )
            .into_response()),
        Decision::Refused { reason } => {
            let (code, message) = refusal(*reason);
            let code = match reason {
                Reason::Invalid => StatusCode::BAD_REQUEST,
                Reason::UnknownOrder | Reason::NotOwner => StatusCode::NOT_FOUND,
                Reason::Capacity => StatusCode::SERVICE_UNAVAILABLE,
                _ if code.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
                _ => code,
            };
            let body = json!({"error": {"code": reason.as_str(), "message": message, "correlationId": answer.correlation_id}});
            Ok((code, axum::Json(body)).into_response())
        }
        _ => respond(Ok(answer)),
    }
}

fn order_id(text: &str) -> Result<u64, AppError> {
    text.parse()
        .map_err(|_| AppError::NotFound("no such order".into()))
}

/// `POST /orders/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    let id = order_id(&id)?;
    let result = service(&state)?
        .cancel_order(&caller, id, &current_correlation_id())
        .await;
    order_response(result, StatusCode::OK)
}

/// `POST /orders/{id}/amend`.
pub async fn amend(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
    Json(body): Json<AmendBody>,
) -> Result<Response, AppError> {
    let caller = trader(&state, claims)?;
    let id = order_id(&id)?;
    let (qty, price) = (
        body.qty.as_ref().map(Decimal::text),
        body.limit_price.as_ref().map(Decimal::text),
    );
    let result = service(&state)?
        .amend_order(
            &caller,
            id,
            qty.as_deref(),
            price.as_deref(),
            &current_correlation_id(),
        )
        .await;
    order_response(result, StatusCode::OK)
}

/// `GET /orders` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    instrument_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /orders`: `{items, nextCursor}`, newest first.
pub async fn list(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let filter = orion_services::rfq::orders::OrderFilter {
        status: query.status.unwrap_or_default(),
        instrument: query.instrument_id.unwrap_or_default(),
    };
    let page = orion_services::rfq::PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    let page = service(&state)?
        .list_orders(&caller, &filter, &page)
        .await
        .map_err(service_error)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|r| order_json(&OrderSnapshot::from(r), &r.correlation_id))
        .collect();
    Ok(axum::Json(json!({"items": items, "nextCursor": page.next_cursor})).into_response())
}

/// `GET /orders/{id}`: the order with its fills.
pub async fn get(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let caller = caller(&state, claims)?;
    let id = order_id(&id)?;
    let (record, fills) = service(&state)?
        .order_with_fills(&caller, id)
        .await
        .map_err(service_error)?;
    let mut body = order_json(&OrderSnapshot::from(&record), &record.correlation_id);
    if let Some(reason) = &record.cancel_reason {
        body["cancelReason"] = json!(reason);
    }
    body["createdAt"] = json!(crate::market_view::rfc3339(record.created_at as u64));
    body["fills"] = fills
        .iter()
        .map(|f| {
            json!({
                "tradeId": f.trade_id.to_string(), "price": f.price, "qty": f.qty,
                "liquidity": f.liquidity, "executedAt": crate::market_view::rfc3339(f.executed_at as u64),
            })
        })
        .collect();
    Ok(axum::Json(body).into_response())
}

/// `GET /market/depth` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepthQuery {
    instrument_id: String,
    levels: Option<usize>,
}

/// `GET /market/depth`: the committed book, best levels first.
pub async fn depth(
    State(state): State<AppState>,
    AuthUser(_claims): AuthUser,
    Query(query): Query<DepthQuery>,
) -> Result<Response, AppError> {
    let Some(books) = &state.books else {
        return Err(AppError::Unavailable(
            "the order book is not enabled".into(),
        ));
    };
    if state.instruments.id(&query.instrument_id).is_none() {
        return Err(AppError::NotFound(format!(
            "unknown instrument {}",
            query.instrument_id
        )));
    }
    let levels = query.levels.unwrap_or(10);
    if levels == 0 || levels > 100 {
        return Err(AppError::BadRequest("levels must be 1..=100".into()));
    }
    let depth = books.depth(&query.instrument_id, levels);
    Ok(axum::Json(json!({
        "instrumentId": query.instrument_id, "seq": depth.seq, "bids": depth.bids, "asks": depth.asks,
    }))
    .into_response())
}
