//! Serving gRPC connections (HTTP/2 with prior knowledge), every call bounded by its
//! `grpc-timeout`: when the deadline passes before the answer, the call ends with
//! `DEADLINE_EXCEEDED`. The handler stops waiting, but a command already in the engine is not
//! undone: it commits, and a retry with the same idempotency key gets its outcome. Each call
//! runs in its server span, continuing the caller's W3C `traceparent` metadata.

use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tonic::codegen::Service;
use tonic::service::Routes;
use tracing::Instrument;

/// The `grpc-timeout` header's duration: digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
pub fn grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3_600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// The server span of one call: named after its method, the child of the caller's
/// `traceparent` metadata when it sent one; the interceptor records `tenantId` and
/// `correlationId` once it knows the caller.
fn call_span<B>(request: &hyper::Request<B>) -> tracing::Span {
    let method = request.uri().path().trim_start_matches('/');
    let span = tracing::info_span!(
        "grpc.request",
        otel.name = method,
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.method = method,
        tenantId = tracing::field::Empty,
        correlationId = tracing::field::Empty,
    );
    if let Some(parent) = request
        .headers()
        .get(orion_journal::trace::TRACEPARENT)
        .and_then(|v| v.to_str().ok())
    {
        orion_journal::trace::follow(&span, parent);
    }
    span
}

/// Serves one connection until the client closes it.
pub async fn serve_connection(stream: tokio::net::TcpStream, routes: Routes) {
    let service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut routes = routes.clone();
            async move {
                let deadline = request
                    .headers()
                    .get("grpc-timeout")
                    .and_then(|v| v.to_str().ok())
                    .and_then(grpc_timeout);
                let span = call_span(&request);
                std::future::poll_fn(|cx| {
                    Service::<hyper::Request<hyper::body::Incoming>>::poll_ready(&mut routes, cx)
                })
                .await?;
                // The interceptors run in `call`: inside the span, so they can record the caller.
                let call = span.in_scope(|| routes.call(request)).instrument(span);
                match deadline {
                    None => call.await,
                    Some(deadline) => match tokio::time::timeout(deadline, call).await {
                        Ok(answer) => answer,
                        Err(_) => Ok(tonic::Status::deadline_exceeded(
                            "the deadline passed before the answer; a command already sent still \
                         completes: retry with the same idempotency key for its outcome",
                        )
                        .into_http()),
                    },
                }
            }
        });
    let served = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .http2_only()
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(err) = served {
        tracing::debug!(cause = %err, "gRPC connection ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(grpc_timeout("1m"), Some(Duration::from_millis(1)));
        assert_eq!(grpc_timeout("250u"), Some(Duration::from_micros(250)));
        assert_eq!(grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(grpc_timeout("1H"), Some(Duration::from_secs(3_600)));
        assert_eq!(
            grpc_timeout("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        for bad in ["", "m", "1x", "123456789m", "-1m", "1.5S"] {
            assert_eq!(grpc_timeout(bad), None, "{bad:?}");
        }
    }
}
