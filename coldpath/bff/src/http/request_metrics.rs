//! HTTP metrics: `orion_http_requests_total` and `orion_http_request_duration_seconds` by
//! route template (`/rfqs/{id}`, never the id itself, so the number of series stays bounded),
//! method and status. Applied with `route_layer`, so only routed requests are counted; the web
//! bundle's static files are not API traffic.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Times one routed request and counts it.
pub async fn record(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("orion_http_requests_total", &labels).increment(1);
    metrics::histogram!("orion_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
