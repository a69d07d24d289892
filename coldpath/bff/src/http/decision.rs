//! How REST renders what the engine decided: a committed [`Answer`] becomes a status and a JSON
//! body, a [`ServiceError`] becomes the contract's error object. The only place that maps an
//! engine refusal reason to an HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orion_hotpath::rfq::Reason;
use serde::Serialize;

use super::error::{AppError, ErrorBody, current_correlation_id};
use orion_journal::{Answer, Decision, OrderSnapshot};
use orion_services::rfq::ServiceError;

/// `POST /rfqs`, `/rfqs/{id}/accept`, `/rfqs/{id}/cancel`: the RFQ's status once durable.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RfqAnswer {
    rfq_id: String,
    /// `SENT`, `TRADED` or `CANCELLED`.
    status: &'static str,
    /// The trade, once `TRADED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    trade_id: Option<String>,
    correlation_id: String,
}

/// `POST /admin/killswitch/enable` and `/disable`: the switch as it now stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillSwitchAnswer {
    /// `tenant` or `global`.
    scope: &'static str,
    /// The tenant whose switch changed (`*` for the global one).
    tenant_id: String,
    enabled: bool,
}

/// `POST /admin/limits`: the limits apply.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LimitsAnswer {
    /// `APPLIED`.
    status: &'static str,
    correlation_id: String,
}

/// An order as REST and the WebSocket show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    order_id: String,
    instrument_id: String,
    /// `BUY` or `SELL`.
    side: String,
    /// `LIMIT` or `MARKET`.
    #[serde(rename = "type")]
    order_type: String,
    /// `GTC`, `IOC` or `FOK`.
    time_in_force: String,
    /// Quantity asked (decimal).
    qty: String,
    /// `ACK`, `PARTIAL_FILL`, `FILLED` or `CANCELLED`.
    status: String,
    /// Filled so far (decimal).
    filled_qty: String,
    /// Still working (decimal; 0 once filled or cancelled).
    remaining_qty: String,
    /// Last change (RFC 3339).
    updated_at: String,
    /// Limit price (decimal); absent for MARKET.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_price: Option<String>,
    /// Average fill price (decimal); absent before a fill.
    #[serde(skip_serializing_if = "Option::is_none")]
    avg_price: Option<String>,
    /// The request that placed or last changed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
}

impl OrderView {
    /// `order` as shown, with `correlation_id` when known.
    pub fn new(order: &OrderSnapshot, correlation_id: &str) -> Self {
        Self {
            order_id: order.order_id.to_string(),
            instrument_id: order.instrument_id.clone(),
            side: order.side.clone(),
            order_type: order.order_type.clone(),
            time_in_force: order.time_in_force.clone(),
            qty: order.qty.clone(),
            status: order.status.clone(),
            filled_qty: order.filled_qty.clone(),
            remaining_qty: order.remaining_qty.clone(),
            updated_at: crate::market_view::rfc3339(order.updated_at),
            limit_price: order.limit_price.clone(),
            avg_price: order.avg_price.clone(),
            correlation_id: (!correlation_id.is_empty()).then(|| correlation_id.to_owned()),
        }
    }
}

/// Renders a command's result.
pub fn respond(result: Result<Answer, ServiceError>) -> Result<Response, AppError> {
    let answer = result.map_err(service_error)?;
    let id = |n: u64| n.to_string();
    let correlation_id = answer.correlation_id;
    let rfq = |rfq_id: u64, status, trade_id: Option<u64>, correlation_id: String| {
        axum::Json(RfqAnswer {
            rfq_id: id(rfq_id),
            status,
            trade_id: trade_id.map(id),
            correlation_id,
        })
        .into_response()
    };
    let (status, body) = match answer.decision {
        Decision::RfqCreated { rfq_id } => (
            StatusCode::CREATED,
            rfq(rfq_id, "SENT", None, correlation_id),
        ),
        Decision::Traded { rfq_id, trade_id } => (
            StatusCode::OK,
            rfq(rfq_id, "TRADED", Some(trade_id), correlation_id),
        ),
        Decision::Cancelled { rfq_id } => (
            StatusCode::OK,
            rfq(rfq_id, "CANCELLED", None, correlation_id),
        ),
        Decision::KillSwitchSet {
            global,
            tenant_id,
            enabled,
        } => (
            StatusCode::OK,
            axum::Json(KillSwitchAnswer {
                scope: if global { "global" } else { "tenant" },
                tenant_id,
                enabled,
            })
            .into_response(),
        ),
        Decision::LimitsApplied => (
            StatusCode::OK,
            axum::Json(LimitsAnswer {
                status: "APPLIED",
                correlation_id,
            })
            .into_response(),
        ),
        Decision::Order(order) => (
            StatusCode::OK,
            axum::Json(OrderView::new(&order, &correlation_id)).into_response(),
        ),
        Decision::LastLookRejected { reason, .. } => (
            StatusCode::CONFLICT,
            error_body(
                "QUOTE_REJECTED",
                &format!("the LP rejected the acceptance ({})", reason.as_str()),
                &correlation_id,
            ),
        ),
        Decision::Refused { reason } => {
            let (status, message) = refusal(reason);
            (
                status,
                error_body(reason.as_str(), message, &correlation_id),
            )
        }
    };
    Ok((status, body).into_response())
}

/// The status and message for an engine refusal (409 state, 422 risk, 429 rate, …).
pub fn refusal(reason: Reason) -> (StatusCode, &'static str) {
    match reason {
        Reason::UnknownRfq | Reason::NotOpen => (StatusCode::CONFLICT, "the RFQ is no longer open"),
        Reason::RfqExpired => (StatusCode::CONFLICT, "the RFQ has expired"),
        Reason::QuoteExpired => (StatusCode::CONFLICT, "the quote has expired"),
        Reason::NotOwner => (StatusCode::NOT_FOUND, "no such RFQ"),
        Reason::UnknownQuote => (StatusCode::NOT_FOUND, "no such quote on this RFQ"),
        Reason::NotEntitled => (StatusCode::FORBIDDEN, "not entitled to this instrument"),
        Reason::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "too many RFQs; slow down"),
        Reason::KillSwitchTenant => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "trading is halted for your tenant (kill switch)",
        ),
        Reason::KillSwitchGlobal => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "trading is halted (global kill switch)",
        ),
        Reason::UserNotionalLimit => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the RFQ's notional is above your limit",
        ),
        Reason::TenantNotionalLimit => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "your tenant's open notional limit would be exceeded",
        ),
        Reason::NoMarketData => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "no market data to value the RFQ",
        ),
        Reason::NoEligibleLp => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "no liquidity provider can quote this request now",
        ),
        Reason::Capacity => (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many open RFQs; try again",
        ),
        Reason::Invalid => (StatusCode::BAD_REQUEST, "invalid request"),
        Reason::QuoteTooSmall => (
            StatusCode::CONFLICT,
            "the quote covers less than the size asked",
        ),
        Reason::PartialNotAllowed => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "this RFQ does not allow partial fills",
        ),
        Reason::MaxOrderQty => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the order is larger than the largest order allowed",
        ),
        Reason::MaxOpenOrders => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "you have as many working orders as allowed",
        ),
        Reason::NotionalLimit => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the order would take open notional over its limit",
        ),
        Reason::PriceBand => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the limit price is too far from the market",
        ),
        Reason::BadPrice => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "the price is not on the instrument's tick grid",
        ),
        Reason::UnknownOrder => (StatusCode::NOT_FOUND, "no such working order"),
        Reason::LastLookQuoteAge
        | Reason::LastLookPriceDrift
        | Reason::LateQuote
        | Reason::DuplicateQuote
        | Reason::QuoteNotRequested
        | Reason::TooManyQuotes => (StatusCode::CONFLICT, "refused"),
    }
}

/// A service failure as the contract's error object; store causes are logged, not sent.
pub fn service_error(err: ServiceError) -> AppError {
    match err {
        ServiceError::Invalid { code, message } => AppError::Coded {
            status: StatusCode::BAD_REQUEST,
            code,
            message,
        },
        ServiceError::NotFound(message) => AppError::NotFound(message.into()),
        ServiceError::Conflict { code, message } => AppError::Coded {
            status: StatusCode::CONFLICT,
            code,
            message,
        },
        ServiceError::NotEntitled(message) => AppError::Coded {
            status: StatusCode::FORBIDDEN,
            code: "NOT_ENTITLED",
            message,
        },
        ServiceError::Forbidden(message) => AppError::Forbidden(message),
        ServiceError::InProgress => AppError::Coded {
            status: StatusCode::CONFLICT,
            code: "IDEMPOTENCY_IN_PROGRESS",
            message: err_text(&ServiceError::InProgress),
        },
        ServiceError::Unavailable(message) => AppError::Unavailable(message.into()),
        ServiceError::Store(cause) => super::rfq::db(cause),
        ServiceError::StoredAnswer(cause) => {
            AppError::Internal(anyhow::anyhow!("stored answer: {cause}"))
        }
    }
}

fn err_text(err: &ServiceError) -> String {
    err.to_string()
}

/// The error object for a refused decision.
pub fn error_body(code: &str, message: &str, correlation_id: &str) -> Response {
    let correlation_id = if correlation_id.is_empty() {
        current_correlation_id()
    } else {
        correlation_id.to_owned()
    };
    axum::Json(ErrorBody::new(code, message.to_owned(), correlation_id)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_map_to_the_contract_statuses() {
        assert_eq!(refusal(Reason::NotOpen).0, StatusCode::CONFLICT);
        assert_eq!(
            refusal(Reason::KillSwitchTenant).0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            refusal(Reason::RateLimited).0,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(refusal(Reason::NotEntitled).0, StatusCode::FORBIDDEN);
        assert_eq!(refusal(Reason::NotOwner).0, StatusCode::NOT_FOUND);
    }
}
