//! Orders and the order book over REST: place (with a required `Idempotency-Key`), cancel,
//! amend, the tenant's orders paged, one order with its fills, and the depth of a book.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use orion_hotpath::rfq::Reason;
use orion_journal::orders::DepthLevel;
use orion_journal::{Answer, Decision, OrderSnapshot};
use orion_services::rfq::ServiceError;
use orion_services::rfq::orders::OrderRequest;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::AuthUser;
use super::decision::{OrderView, error_body, refusal, respond, service_error};
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
#[schema(example = json!({"instrumentId": "EUR/USD", "side": "BUY", "type": "LIMIT", "qty": "1000000", "limitPrice": "1.08420", "timeInForce": "GTC"}))]
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
#[schema(example = json!({"qty": "500000", "limitPrice": "1.08415"}))]
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
            axum::Json(OrderView::new(order, &answer.correlation_id)),
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
            let body = error_body(reason.as_str(), message, &answer.correlation_id);
            Ok((code, body).into_response())
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
    let items = page
        .items
        .iter()
        .map(|r| OrderView::new(&OrderSnapshot::from(r), &r.correlation_id))
        .collect();
    Ok(axum::Json(OrderPage {
        items,
        next_cursor: page.next_cursor,
    })
    .into_response())
}

/// `GET /orders`: a page of orders, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    items: Vec<OrderView>,
    /// Passed back as `cursor` for the next page; null on the last.
    next_cursor: Option<String>,
}

/// `GET /orders/{id}`: the order, when it was placed, why it was cancelled, and its fills.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    #[serde(flatten)]
    order: OrderView,
    /// Placement (RFC 3339).
    created_at: String,
    /// Why it was cancelled, once cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_reason: Option<String>,
    fills: Vec<FillView>,
}

/// One fill of an order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FillView {
    trade_id: String,
    /// Decimal price.
    price: String,
    /// Decimal quantity.
    qty: String,
    /// `MAKER` or `TAKER`.
    liquidity: String,
    /// Execution (RFC 3339).
    executed_at: String,
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
    let fills = fills
        .iter()
        .map(|f| FillView {
            trade_id: f.trade_id.to_string(),
            price: f.price.clone(),
            qty: f.qty.clone(),
            liquidity: f.liquidity.to_owned(),
            executed_at: crate::market_view::rfc3339(f.executed_at as u64),
        })
        .collect();
    Ok(axum::Json(OrderDetail {
        order: OrderView::new(&OrderSnapshot::from(&record), &record.correlation_id),
        created_at: crate::market_view::rfc3339(record.created_at as u64),
        cancel_reason: record.cancel_reason.clone(),
        fills,
    })
    .into_response())
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
    Ok(axum::Json(DepthView {
        instrument_id: query.instrument_id,
        seq: depth.seq,
        bids: depth.bids,
        asks: depth.asks,
    })
    .into_response())
}

/// `GET /market/depth`: the committed book, best levels first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DepthView {
    instrument_id: String,
    /// Bumped by every committed batch that changed an order.
    seq: u64,
    bids: Vec<DepthLevel>,
    asks: Vec<DepthLevel>,
}
