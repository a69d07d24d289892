//! The BFF's HTTP face: router, shared state, and the REST handlers by area.
//!
//! - [`error`] — `AppError` (the contract's error object) and the correlation-id middleware.
//! - [`decision`] — committed decisions and service errors rendered as statuses and bodies.
//! - [`auth`] — login, refresh, logout, `/me`, and the bearer-token extractor.
//! - [`admin`] — users, audit trail, LPs, venues, feature flags.
//! - [`market`] — instruments and snapshots.
//! - [`ops`] — health, readiness, metrics.
//! - [`request_metrics`] — request counts and durations by route template.
//! - [`rfq`] — RFQs, trades, kill switches and limits.
//! - [`workstation`] — preferences, spread/LP-response/volume charts, risk-panel reads.
//! - [`analytics`] — TCA, LP scorecard, VWAP and their CSV exports.
//! - [`openapi`] — `GET /openapi.json`.
//!
//! The WebSocket stream lives in [`crate::stream`].
//!
//! Handlers call the services and render their results; the only status mapping of engine
//! decisions is in [`decision`].

pub mod admin;
pub mod analytics;
pub mod auth;
pub mod decision;
pub mod error;
pub mod market;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod posttrade;
pub mod request_metrics;
pub mod rfq;
pub mod workstation;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Router;
use axum::routing::{get, post, put};

use metrics_exporter_prometheus::PrometheusHandle;
use orion_hotpath::{InstrumentTable, SnapshotTable};

use crate::stream::StreamHub;
use orion_services::admin::AdminService;
use orion_services::auth::AuthService;

/// What handlers share. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Interned instruments.
    pub instruments: Arc<InstrumentTable>,
    /// Latest values, read lock-free.
    pub snapshots: Arc<SnapshotTable>,
    /// Login, refresh, logout and token checks.
    pub auth: Arc<AuthService>,
    /// The directory (sessions of a disabled user close).
    pub directory: Arc<orion_services::directory::Directory>,
    /// Administration; `None` where the directory is read-only.
    pub admin: Option<Arc<AdminService>>,
    /// Prometheus registry.
    pub metrics: PrometheusHandle,
    /// WebSocket fan-out.
    pub hub: StreamHub,
    /// Set once everything runs; cleared when shutting down.
    pub ready: Arc<AtomicBool>,
    /// The RFQ service; `None` where trading is not enabled.
    pub rfqs: Option<Arc<orion_services::rfq::RfqService>>,
    /// Preferences, analytics and risk-panel reads.
    pub workstation: orion_services::workstation::WorkstationService,
    /// Confirmations, unsettled trades, reconciliation; `None` where there is no store.
    pub posttrade: Option<orion_services::posttrade::PostTradeService>,
    /// Dead letters and consumer state; `None` where no consumers run.
    pub ops: Option<orion_services::consumer::ops::OpsService>,
    /// The committed order books (depth); `None` where trading is not enabled.
    pub books: Option<orion_journal::orders::BookView>,
    /// TCA, LP scorecard and VWAP from the analytics read models.
    pub analytics: orion_services::analytics::AnalyticsService,
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
        .route("/auth/logout", post(auth::logout))
        .route(
            "/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/admin/users/{id}/disable", post(admin::disable_user))
        .route("/admin/users/{id}/enable", post(admin::enable_user))
        .route("/admin/audit", get(admin::audit))
        .route(
            "/admin/instruments",
            get(admin::list_instruments).post(admin::create_instrument),
        )
        .route("/admin/instruments/{id}", put(admin::update_instrument))
        .route("/admin/lps", get(admin::list_lps).post(admin::configure_lp))
        .route(
            "/admin/venues",
            get(admin::list_venues).post(admin::configure_venue),
        )
        .route(
            "/admin/feature-flags",
            get(admin::feature_flags).put(admin::set_feature_flags),
        )
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
        .route("/orders", post(orders::place).get(orders::list))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/orders/{id}/amend", post(orders::amend))
        .route("/market/depth", get(orders::depth))
        .route("/trades", get(rfq::trades))
        .route("/trades/{id}", get(rfq::trade))
        .route("/trades/{id}/confirmation", get(posttrade::confirmation))
        .route("/posttrade/unsettled", get(posttrade::unsettled))
        .route(
            "/posttrade/reconciliation.csv",
            get(posttrade::reconciliation_csv),
        )
        .route("/ops/dlq", get(posttrade::dead_letters))
        .route("/ops/dlq/{id}", get(posttrade::dead_letter))
        .route("/ops/dlq/{id}/replay", post(posttrade::replay))
        .route("/ops/consumers", get(posttrade::consumers))
        .route(
            "/ops/consumers/{name}/pause",
            post(posttrade::pause_consumer),
        )
        .route(
            "/ops/consumers/{name}/resume",
            post(posttrade::resume_consumer),
        )
        .route("/analytics/spreads", get(workstation::spreads))
        .route("/analytics/lp-response", get(workstation::lp_response))
        .route("/analytics/volume", get(workstation::volume))
        .route("/analytics/tca", get(analytics::tca))
        .route("/analytics/lp-scorecard", get(analytics::lp_scorecard))
        .route("/analytics/vwap", get(analytics::vwap))
        .route("/analytics/export.csv", get(analytics::export_csv))
        .route("/analytics/baskets", get(analytics::baskets))
        .route("/analytics/baskets/{id}", put(analytics::define_basket))
        .route(
            "/analytics/baskets/{id}/series",
            get(analytics::basket_series),
        )
        .route("/admin/killswitch", get(workstation::kill_switch_status))
        .route("/admin/killswitch/enable", post(rfq::kill_switch_enable))
        .route("/admin/killswitch/disable", post(rfq::kill_switch_disable))
        .route("/admin/limits", post(rfq::limits).get(workstation::limits))
        .route("/stream", get(crate::stream::upgrade))
        .route("/stream/market", get(crate::stream::upgrade))
        .route_layer(axum::middleware::from_fn(request_metrics::record))
        .fallback(error::not_found)
        .with_state(state)
}

/// The REST API alone with its correlation ids (what the core runs for its replicas).
pub fn api(state: AppState) -> Router {
    router(state).layer(axum::middleware::from_fn(error::correlation))
}

/// Health, readiness and metrics alone: what `orion core` serves on its HTTP address, so an
/// operator scrapes the engine, store and consumer metrics where they are recorded.
pub fn ops_router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route_layer(axum::middleware::from_fn(request_metrics::record))
        .fallback(error::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(error::correlation))
}

/// The whole BFF: the API router, the web bundle as its fallback, and the correlation id on
/// every response — API, static files and 404s alike.
pub fn app(state: AppState, web_dir: &std::path::Path) -> Router {
    crate::web::serve(router(state), web_dir).layer(axum::middleware::from_fn(error::correlation))
}
