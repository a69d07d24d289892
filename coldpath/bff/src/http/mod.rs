//! The BFF's HTTP face: router, shared state, and the REST handlers by area.
//!
//! - [`error`] — `AppError` (the contract's error object) and the correlation-id middleware.
//! - [`decision`] — committed decisions and service errors rendered as statuses and bodies.
//! - [`auth`] — login, refresh, `/me`, and the bearer-token extractor.
//! - [`market`] — instruments and snapshots.
//! - [`ops`] — health, readiness, metrics.
//! - [`rfq`] — RFQs, trades, kill switches and limits.
//! - [`workstation`] — preferences, analytics, risk-panel reads for the web workstation.
//! - [`openapi`] — `GET /openapi.json`.
//!
//! The WebSocket stream lives in [`crate::stream`].
//!
//! Handlers call the services and render their results; the only status mapping of engine
//! decisions is in [`decision`].

pub mod auth;
pub mod decision;
pub mod error;
pub mod market;
pub mod openapi;
pub mod ops;
pub mod rfq;
pub mod workstation;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::routing::{get, post};

use metrics_exporter_prometheus::PrometheusHandle;
use orion_hotpath::{InstrumentTable, SnapshotTable};
use orion_services::spread_history::SpreadHistory;

use crate::stream::StreamHub;
use orion_services::identity::Identity;

/// What handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Interned instruments.
    pub instruments: Arc<InstrumentTable>,
    /// Latest values, read lock-free.
    pub snapshots: Arc<SnapshotTable>,
    /// Token issuer and validator.
    pub identity: Arc<Identity>,
    /// Prometheus registry.
    pub metrics: PrometheusHandle,
    /// WebSocket fan-out.
    pub hub: StreamHub,
    /// Set once everything runs; cleared when shutting down.
    pub ready: Arc<AtomicBool>,
    /// The RFQ service; `None` where trading is not enabled.
    pub rfqs: Option<Arc<orion_services::rfq::RfqService>>,
    /// Spread samples for the analytics panel.
    pub spreads: Arc<SpreadHistory>,
    /// Preferences, analytics and risk-panel reads.
    pub workstation: orion_services::workstation::WorkstationService,
}

/// The BFF router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/me", get(auth::me))
        .route(
            "/me/preferences",
            get(workstation::get_preferences).put(workstation::put_preferences),
        )
        .route("/instruments", get(market::instruments))
        .route("/market/snapshot", get(market::snapshot))
        .route("/rfqs", post(rfq::create).get(rfq::list))
        .route("/rfqs/{id}", get(rfq::get))
        .route("/rfqs/{id}/accept", post(rfq::accept))
        .route("/rfqs/{id}/cancel", post(rfq::cancel))
        .route("/trades", get(rfq::trades))
        .route("/trades/{id}", get(rfq::trade))
        .route("/analytics/spreads", get(workstation::spreads))
        .route("/analytics/lp-response", get(workstation::lp_response))
        .route("/analytics/volume", get(workstation::volume))
        .route("/admin/killswitch", get(workstation::kill_switch_status))
        .route("/admin/killswitch/enable", post(rfq::kill_switch_enable))
        .route("/admin/killswitch/disable", post(rfq::kill_switch_disable))
        .route("/admin/limits", post(rfq::limits).get(workstation::limits))
        .route("/stream", get(crate::stream::upgrade))
        .route("/stream/market", get(crate::stream::upgrade))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(error::correlation))
        .with_state(state)
}
