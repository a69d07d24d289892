//! How REST renders what the engine decided: a committed [`Answer`] becomes a status and a JSON
//! body, a [`ServiceError`] becomes the contract's error object. The only place that maps an
//! engine refusal reason to an HTTP status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orion_hotpath::rfq::Reason;
use serde_json::json;

use super::error::{AppError, current_correlation_id};
use orion_journal::{Answer, Decision, OrderSnapshot};
use orion_services::rfq::ServiceError;

/// Renders a command's result.
pub fn respond(result: Result<Answer, ServiceError>) -> Result<Response, AppError> {
    let answer = result.map_err(service_error)?;
    let id = |n: u64| n.to_string();
    let correlation_id = answer.correlation_id;
    let (status, body) = match answer.decision {
        Decision::RfqCreated { rfq_id } => (
            StatusCode::CREATED,
            json!({"rfqId": id(rfq_id), "status": "SENT", "correlationId": correlation_id}),
        ),
        Decision::Traded { rfq_id, trade_id } => (
            StatusCode::OK,
            json!({"rfqId": id(rfq_id), "status": "TRADED", "tradeId": id(trade_id), "correlationId": correlation_id}),
        ),
        Decision::Cancelled { rfq_id } => (
            StatusCode::OK,
            json!({"rfqId": id(rfq_id), "status": "CANCELLED", "correlationId": correlation_id}),
        ),
        Decision::KillSwitchSet {
            global,
            tenant_id,
            enabled,
        } => (
            StatusCode::OK,
            json!({"scope": if global { "global" } else { "tenant" }, "tenantId": tenant_id, "enabled": enabled}),
        ),
        Decision::LimitsApplied => (
            StatusCode::OK,
            json!({"status": "APPLIED", "correlationId": correlation_id}),
        ),
        Decision::Order(order) => (StatusCode::OK, order_json(&order, &correlation_id)),
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
    Ok((status, axum::Json(body)).into_response())
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

/// An order as REST and the WebSocket show it.
pub fn order_json(order: &OrderSnapshot, correlation_id: &str) -> serde_json::Value {
    let mut body = json!({
        "orderId": order.order_id.to_string(), "instrumentId": order.instrument_id, "side": order.side,
        "type": order.order_type, "timeInForce": order.time_in_force, "qty": order.qty,
        "status": order.status, "filledQty": order.filled_qty, "remainingQty": order.remaining_qty,
        "updatedAt": crate::market_view::rfc3339(order.updated_at),
    });
    if let Some(price) = &order.limit_price {
        body["limitPrice"] = json!(price);
    }
    if let Some(price) = &order.avg_price {
        body["avgPrice"] = json!(price);
    }
    if !correlation_id.is_empty() {
        body["correlationId"] = json!(correlation_id);
    }
    body
}

fn err_text(err: &ServiceError) -> String {
    err.to_string()
}

fn error_body(code: &str, message: &str, correlation_id: &str) -> serde_json::Value {
    let correlation_id = if correlation_id.is_empty() {
        current_correlation_id()
    } else {
        correlation_id.to_owned()
    };
    json!({"error": {"code": code, "message": message, "correlationId": correlation_id}})
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
