//! A BFF replica (`orion bff --core-url …`): REST, WebSocket and the web bundle with no engine
//! and no store. Everything it knows comes from the core over gRPC:
//!
//! - REST requests are forwarded through the core link and answered by the core's own API, so
//!   every replica answers exactly as `orion up` does; while the core is unreachable they answer
//!   503 `CORE_UNAVAILABLE` at once.
//! - One `StreamTicks` mirrors the core's latest values into this replica's snapshot table, and
//!   the same per-window fan-out as `orion up` serialises each change once for all sessions.
//! - One `WatchUpdates` stream brings owner frames, notifications, disabled users and depth.
//!
//! Losing the core, the replica keeps its sessions, flags every last value stale, reconnects with
//! backoff and resumes both streams (snapshot first) without a restart — see [`feed`].

pub mod feed;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::counter;
use metrics_exporter_prometheus::PrometheusHandle;
use orion_grpc::link::client::CoreClient;
use orion_grpc::link::pb;

use orion_bridge::drain::MarketDrain;
use orion_hotpath::SnapshotTable;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::http::error::{AppError, CORRELATION_HEADER, current_correlation_id};
use crate::stream::StreamHub;
use crate::stream::fanout::{FrameTable, run_market_fanout};
use crate::stream::state::{DepthMirror, DepthSource, Gate, RemoteGate, StreamState};

/// Longest a forwarded request may take at the core (a command waits for its commit).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request body forwarded.
const MAX_REQUEST: usize = 1024 * 1024;

/// Whether the replica's links to the core are up.
#[derive(Debug, Default)]
pub struct LinkStatus {
    /// The tick stream is connected.
    pub ticks: AtomicBool,
    /// The update stream is connected.
    pub updates: AtomicBool,
    /// The core defined an instrument: the tick stream resubscribes to include it.
    pub instruments_defined: tokio::sync::Notify,
}

impl LinkStatus {
    /// Both streams are connected.
    pub fn is_up(&self) -> bool {
        self.ticks.load(Ordering::Acquire) && self.updates.load(Ordering::Acquire)
    }
}

/// What the replica's handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ReplicaState {
    /// What sessions read.
    pub stream: StreamState,
    /// The core.
    pub core: CoreClient,
    /// This replica's Prometheus registry.
    pub metrics: PrometheusHandle,
    /// Set once serving; cleared when shutting down.
    pub ready: Arc<AtomicBool>,
    /// The streams from the core.
    pub link: Arc<LinkStatus>,
}

impl axum::extract::FromRef<ReplicaState> for StreamState {
    fn from_ref(state: &ReplicaState) -> Self {
        state.stream.clone()
    }
}

/// Attaches to the core (waiting for it) and starts the replica's fan-out and both streams;
/// `None` when `shutdown` came first. The state returned is not ready yet.
pub async fn start(
    core: CoreClient,
    window: Duration,
    metrics: PrometheusHandle,
    shutdown: watch::Receiver<bool>,
) -> Option<(ReplicaState, Vec<JoinHandle<()>>)> {
    let instruments = Arc::new(feed::describe(&core, &shutdown).await?);
    let snapshots = Arc::new(SnapshotTable::new(instruments.len()));
    let (frames_tx, frames_rx) = watch::channel(Arc::new(FrameTable {
        window: 0,
        frames: vec![None; instruments.len()],
    }));
    let (notifications, _) = broadcast::channel(1_024);
    let (updates, _) = broadcast::channel(4_096);
    let gate = Arc::new(RemoteGate::new(core.clone()));
    let depth = Arc::new(DepthMirror::default());
    let link = Arc::new(LinkStatus::default());
    let tasks = vec![
        tokio::spawn(run_market_fanout(
            MarketDrain::new(Arc::clone(&snapshots), Arc::default()),
            Arc::clone(&instruments),
            frames_tx,
            window,
            shutdown.clone(),
        )),
        tokio::spawn(feed::mirror_ticks(
            core.clone(),
            Arc::clone(&instruments),
            Arc::clone(&snapshots),
            Arc::clone(&link),
            shutdown.clone(),
        )),
        tokio::spawn(feed::mirror_updates(
            core.clone(),
            feed::UpdateSinks {
                updates: updates.clone(),
                notifications: notifications.clone(),
                gate: Arc::clone(&gate),
                depth: Arc::clone(&depth),
                instruments: Arc::clone(&instruments),
            },
            Arc::clone(&link),
            shutdown.clone(),
        )),
    ];
    let stream = StreamState {
        instruments,
        snapshots,
        hub: StreamHub::new(frames_rx, notifications, updates, shutdown),
        gate: Gate::Remote(gate),
        depth: Some(DepthSource::Mirror(depth)),
    };
    let state = ReplicaState {
        stream,
        core,
        metrics,
        ready: Arc::default(),
        link,
    };
    Some((state, tasks))
}

/// The replica's app: its own health, readiness, metrics and WebSocket; the web bundle; every
/// other request forwarded to the core.
pub fn app(state: ReplicaState, web_dir: &std::path::Path) -> Router {
    let forward = axum::handler::Handler::with_state(forward, state.clone());
    let routes = Router::new()
        .route("/healthz", get(crate::http::ops::healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/stream", get(crate::stream::upgrade))
        .route("/stream/market", get(crate::stream::upgrade))
        .with_state(state);
    crate::web::serve_with_fallback(routes, web_dir, forward)
        .layer(axum::middleware::from_fn(crate::http::error::correlation))
}

/// `GET /readyz`: 200 while serving with both streams from the core connected.
async fn readyz(State(state): State<ReplicaState>) -> Result<impl IntoResponse, AppError> {
    if !state.ready.load(Ordering::Acquire) {
        return Err(AppError::Unavailable("not ready".into()));
    }
    if !state.link.is_up() {
        return Err(AppError::Unavailable(
            "the trading core is unreachable".into(),
        ));
    }
    if !state.core.serving(Duration::from_secs(1)).await {
        return Err(AppError::Unavailable(
            "the trading core cannot make commands durable".into(),
        ));
    }
    Ok(axum::Json(serde_json::json!({"status": "ready"})))
}

async fn metrics(State(state): State<ReplicaState>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// Headers that belong to one connection, never forwarded.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "content-length"
    )
}

/// The core unreachable, as a client sees it.
fn core_unavailable() -> Response {
    let mut response = AppError::Coded {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "CORE_UNAVAILABLE",
        message: "the trading core is unreachable; retry shortly".into(),
    }
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Any request the replica does not answer itself: run by the core's API.
async fn forward(State(state): State<ReplicaState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.to_string())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST).await else {
        return AppError::Coded {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "PAYLOAD_TOO_LARGE",
            message: format!("request bodies are limited to {MAX_REQUEST} bytes"),
        }
        .into_response();
    };
    let mut headers: Vec<pb::Header> = parts
        .headers
        .iter()
        .filter(|(name, _)| !hop_by_hop(name) && name.as_str() != CORRELATION_HEADER)
        .map(|(name, value)| pb::Header {
            name: name.as_str().to_owned(),
            value: value.as_bytes().to_vec(),
        })
        .collect();
    // The id this replica adopted or minted, so the core's events and logs carry the same one.
    headers.push(pb::Header {
        name: CORRELATION_HEADER.to_owned(),
        value: current_correlation_id().into_bytes(),
    });
    let forwarded = pb::HttpRequest {
        method: parts.method.as_str().to_owned(),
        uri: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers,
        body: body.to_vec(),
        peer,
    };
    let call = tracing::info_span!(
        "forward",
        otel.name = "orion.internal.v1.CoreLink/Forward",
        otel.kind = "client",
        rpc.system = "grpc",
    );
    let answer = match state
        .core
        .forward(forwarded, FORWARD_TIMEOUT)
        .instrument(call)
        .await
    {
        Ok(answer) => answer,
        Err(status) => {
            counter!("orion_bff_forward_failures_total", "code" => format!("{:?}", status.code()))
                .increment(1);
            tracing::warn!(code = ?status.code(), cause = %status.message(), "forwarding to the core failed");
            return core_unavailable();
        }
    };
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status as u16).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers: &mut HeaderMap = response.headers_mut();
    for header in answer.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(header.name.as_bytes()),
            HeaderValue::from_bytes(&header.value),
        ) else {
            continue;
        };
        if !hop_by_hop(&name) {
            headers.append(name, value);
        }
    }
    response
}
