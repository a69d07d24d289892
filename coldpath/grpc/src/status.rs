//! How Orion's outcomes become gRPC statuses (`INVALID_ARGUMENT` 400, `UNAUTHENTICATED` 401,
//! `PERMISSION_DENIED` 403, `NOT_FOUND` 404, `FAILED_PRECONDITION` 409 and risk refusals,
//! `RESOURCE_EXHAUSTED` 429 and rate refusals, `UNAVAILABLE` 503), the Orion code as the message's
//! first word and as `google.rpc.ErrorInfo.reason`.

use orion_hotpath::rfq::Reason;
use orion_services::rfq::ServiceError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// A status with `reason` in `ErrorInfo`.
pub fn coded(code: Code, reason: &str, message: &str) -> Status {
    Status::with_error_details(
        code,
        format!("{reason}: {message}"),
        ErrorDetails::with_error_info(reason, "orion", std::collections::HashMap::new()),
    )
}

/// An engine refusal.
pub fn refusal(reason: Reason) -> Status {
    let code = match reason {
        Reason::Invalid | Reason::BadPrice => Code::InvalidArgument,
        Reason::UnknownOrder | Reason::NotOwner | Reason::UnknownRfq | Reason::UnknownQuote => {
            Code::NotFound
        }
        Reason::NotEntitled => Code::PermissionDenied,
        Reason::RateLimited => Code::ResourceExhausted,
        Reason::Capacity => Code::Unavailable,
        _ => Code::FailedPrecondition,
    };
    coded(code, reason.as_str(), "refused")
}

/// A service failure.
pub fn service(err: ServiceError) -> Status {
    match err {
        ServiceError::Invalid { code, message } => coded(Code::InvalidArgument, code, &message),
        ServiceError::NotFound(message) => coded(Code::NotFound, "NOT_FOUND", message),
        ServiceError::NotEntitled(message) => {
            coded(Code::PermissionDenied, "NOT_ENTITLED", &message)
        }
        ServiceError::Forbidden(message) => coded(Code::PermissionDenied, "FORBIDDEN", &message),
        ServiceError::Conflict { code, message } => coded(Code::FailedPrecondition, code, &message),
        ServiceError::InProgress => coded(
            Code::FailedPrecondition,
            "IDEMPOTENCY_IN_PROGRESS",
            "a request with this idempotency key is in progress",
        ),
        ServiceError::Unavailable(message) => coded(Code::Unavailable, "UNAVAILABLE", message),
        ServiceError::Store(cause) => {
            tracing::error!(cause = %cause, "store call failed");
            coded(Code::Unavailable, "UNAVAILABLE", "the store is unavailable")
        }
        ServiceError::StoredAnswer(cause) => {
            tracing::error!(cause = %cause, "stored answer unreadable");
            coded(Code::Internal, "INTERNAL", "stored answer unreadable")
        }
    }
}

/// A command's idempotency key: required, 1 to 128 characters.
pub fn require_key(key: &str) -> Result<(), Status> {
    if key.is_empty() || key.len() > 128 {
        return Err(coded(
            Code::InvalidArgument,
            "BAD_REQUEST",
            "idempotency_key is required (1 to 128 characters)",
        ));
    }
    Ok(())
}
