//! `GET /openapi.json`: the BFF's REST surface as an OpenAPI 3.1 document, built with utoipa
//! from one table (`ROUTES`) that mirrors the router, so the two are reviewed side by side
//! (a unit test checks that every routed path is documented). Request bodies and the responses
//! that have a Rust type carry component schemas derived from those types (`SCHEMAS`); every
//! parameter has a schema, and every error response is the error object. The document validates
//! as OpenAPI 3.1 and schemathesis fuzzes the API from it (`coldpath/node/tests/openapi.rs`).

use std::sync::OnceLock;

use axum::response::IntoResponse;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, Content, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem,
    PathsBuilder, Ref, RefOr, Required, ResponseBuilder,
};

/// One documented operation.
struct Route {
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    /// Needs a bearer token.
    auth: bool,
    /// Status codes besides the error object's 400/401/403/404.
    ok: &'static [&'static str],
    /// Query parameters.
    query: &'static [&'static str],
}

/// What a successful response carries.
#[derive(Clone, Copy)]
enum Returns {
    /// One value of a component schema.
    One(&'static str),
    /// An array of them.
    List(&'static str),
    /// One value when the query names one, else an array of them.
    OneOrList(&'static str),
    /// A JSON object whose members the caller chose (preferences) or that is a stored
    /// document (a confirmation).
    Document,
    /// Text of a media type (`text/csv`, the Prometheus exposition format).
    Text(&'static str),
}

const fn route(
    method: HttpMethod,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    ok: &'static [&'static str],
) -> Route {
    Route {
        method,
        path,
        tag,
        summary,
        auth: true,
        ok,
        query: &[],
    }
}

use HttpMethod::{Get, Post, Put};

/// Every REST route of the BFF.
const ROUTES: &[Route] = &[
    Route {
        auth: false,
        ..route(Get, "/healthz", "ops", "Liveness", &["200"])
    },
    Route {
        auth: false,
        ..route(
            Get,
            "/readyz",
            "ops",
            "Readiness: 503 while starting, stopping or while the store is down",
            &["200", "503"],
        )
    },
    Route {
        auth: false,
        ..route(Get, "/metrics", "ops", "Prometheus metrics", &["200"])
    },
    Route {
        auth: false,
        ..route(Get, "/openapi.json", "ops", "This document", &["200"])
    },
    Route {
        auth: false,
        ..route(
            Post,
            "/auth/login",
            "auth",
            "Embedded identity provider: {username, password} → {accessToken, refreshToken, expiresIn}",
            &["200"],
        )
    },
    Route {
        auth: false,
        ..route(
            Post,
            "/auth/refresh",
            "auth",
            "{refreshToken} → a new token pair",
            &["200"],
        )
    },
    Route {
        auth: false,
        ..route(
            Post,
            "/auth/logout",
            "auth",
            "{refreshToken}: revokes the refresh token; audited",
            &["204"],
        )
    },
    route(
        Get,
        "/admin/users",
        "admin",
        "The tenant's users (ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Post,
        "/admin/users",
        "admin",
        "Create a user {userId, password, roles[], entitlements: {assetClasses[]}, maxNotional?, maxRfqsPerSec?} (ROLE_ADMIN); the user can log in at once",
        &["201", "409"],
    ),
    route(
        Post,
        "/admin/users/{id}/disable",
        "admin",
        "Disable a user: their tokens get 401 USER_DISABLED, their WebSockets close, login is refused (ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Post,
        "/admin/users/{id}/enable",
        "admin",
        "Enable a user again (ROLE_ADMIN)",
        &["200"],
    ),
    Route {
        query: &["userId", "action", "correlationId", "limit"],
        ..route(
            Get,
            "/admin/audit",
            "admin",
            "The tenant's audit trail, newest first (ROLE_ADMIN, ROLE_RISK)",
            &["200"],
        )
    },
    route(
        Get,
        "/admin/instruments",
        "admin",
        "Every instrument's reference data (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/admin/instruments",
        "admin",
        "Define an instrument {instrumentId, assetClass, symbol, currency, tickSize, lotSize, tenor?, tradingHours?, referencePrice}: priced by the simulator, streamed and tradable by RFQ at once (ROLE_PLATFORM)",
        &["201", "409"],
    ),
    route(
        Put,
        "/admin/instruments/{id}",
        "admin",
        "Change an instrument's descriptive reference data; asset class and tick size stay (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Get,
        "/admin/lps",
        "admin",
        "Liquidity providers (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/admin/lps",
        "admin",
        "Create or reconfigure an LP {lpId, enabled, assetClasses[], maxQuotesPerSec, spreadBps?}; a disabled LP gets no RFQs (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Get,
        "/admin/venues",
        "admin",
        "Venues (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/admin/venues",
        "admin",
        "Create or reconfigure a venue {venueId, executionType: RFQ|CLOB, instruments[], sessionWindows?} (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Get,
        "/admin/feature-flags",
        "admin",
        "The tenant's feature flags {oms, clob, replay} (ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Put,
        "/admin/feature-flags",
        "admin",
        "Set the tenant's feature flags {oms, clob, replay} (ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Get,
        "/me",
        "auth",
        "User, tenant, roles, entitlements",
        &["200"],
    ),
    route(
        Get,
        "/me/preferences",
        "workstation",
        "The caller's workstation preferences (watchlists, pinned instruments, layout, theme); {} when none",
        &["200"],
    ),
    route(
        Put,
        "/me/preferences",
        "workstation",
        "Replace the caller's preferences (a JSON object, ≤ 64 KiB)",
        &["200"],
    ),
    route(
        Get,
        "/instruments",
        "market",
        "Reference data the caller is entitled to",
        &["200"],
    ),
    Route {
        query: &["instrumentId"],
        ..route(
            Get,
            "/market/snapshot",
            "market",
            "Latest bid/ask/mid/spread, timestamps, age, quality flags, stale",
            &["200"],
        )
    },
    route(
        Post,
        "/rfqs",
        "rfq",
        "Create an RFQ {instrumentId, side, size, expirySeconds, minSize?, partialAllowed?} with an optional Idempotency-Key",
        &["201", "409", "422", "429", "503"],
    ),
    Route {
        query: &["status", "instrumentId", "limit", "cursor"],
        ..route(
            Get,
            "/rfqs",
            "rfq",
            "RFQ blotter (read model), newest first, paged: `limit` (1..=1000, default 500); when more rows exist the response carries `x-next-cursor`, passed back as `cursor`",
            &["200"],
        )
    },
    route(
        Get,
        "/rfqs/{id}",
        "rfq",
        "One RFQ with its quotes ranked best first and time remaining",
        &["200"],
    ),
    route(
        Post,
        "/rfqs/{id}/accept",
        "rfq",
        "Accept a quote {quoteId} with an Idempotency-Key; 200 once the trade is durable",
        &["200", "409", "503"],
    ),
    route(
        Post,
        "/rfqs/{id}/cancel",
        "rfq",
        "Cancel an open RFQ",
        &["200", "409", "503"],
    ),
    route(
        Post,
        "/orders",
        "orders",
        "Place an order {instrumentId, side, type: LIMIT|MARKET, qty, limitPrice?, timeInForce: GTC|IOC|FOK}; the Idempotency-Key is required (400 without). 201 {orderId, status, filledQty, remainingQty, avgPrice?, correlationId} once durable; a refusal is 422 with its reason (MAX_ORDER_QTY, MAX_OPEN_ORDERS, NOTIONAL_LIMIT, PRICE_BAND, KILL_SWITCH_*, NOT_ENTITLED, …)",
        &["201", "422", "503"],
    ),
    Route {
        query: &["status", "instrumentId", "limit", "cursor"],
        ..route(
            Get,
            "/orders",
            "orders",
            "The tenant's orders, newest first: {items, nextCursor}; `status` is a state, WORKING or DONE",
            &["200"],
        )
    },
    route(
        Get,
        "/orders/{id}",
        "orders",
        "One order with its fills (tradeId, price, qty, liquidity MAKER|TAKER, executedAt)",
        &["200"],
    ),
    route(
        Post,
        "/orders/{id}/cancel",
        "orders",
        "Cancel a working order: 200 {orderId, status: CANCELLED}; again the same 200; 409 ORDER_FILLED after a full fill",
        &["200", "409", "503"],
    ),
    route(
        Post,
        "/orders/{id}/amend",
        "orders",
        "Amend a working order {qty?, limitPrice?}: qty is the new remaining quantity; a price change or a larger qty loses time priority; 409 once filled or cancelled",
        &["200", "409", "422", "503"],
    ),
    Route {
        query: &["instrumentId", "levels"],
        ..route(
            Get,
            "/market/depth",
            "market",
            "The committed order book: {instrumentId, seq, bids: [{price, qty, orders}], asks}, best first (levels 1..=100, default 10)",
            &["200"],
        )
    },
    Route {
        query: &["instrumentId", "from", "to", "limit", "cursor"],
        ..route(
            Get,
            "/trades",
            "trades",
            "Trade blotter (read model) with confirmation and settlement status, newest first; executed in [from, to) (RFC 3339); paged like /rfqs (`x-next-cursor`)",
            &["200"],
        )
    },
    route(
        Get,
        "/trades/{id}",
        "trades",
        "One trade with confirmationStatus, settlementStatus and settlementAttempts",
        &["200"],
    ),
    route(
        Get,
        "/trades/{id}/confirmation",
        "post-trade",
        "The trade's stored confirmation document (trade, parties, venue, economics, timestamps); 404 until confirmed",
        &["200"],
    ),
    route(
        Get,
        "/posttrade/unsettled",
        "post-trade",
        "The tenant's trades that are not SETTLED, oldest first, with saga state and next attempt",
        &["200"],
    ),
    route(
        Get,
        "/posttrade/reconciliation.csv",
        "post-trade",
        "The unsettled trades as a CSV export (text/csv)",
        &["200"],
    ),
    Route {
        query: &["consumer"],
        ..route(
            Get,
            "/ops/dlq",
            "ops",
            "Dead letters not yet replayed: consumer, event type, error, attempts, first/last failure (ROLE_PLATFORM)",
            &["200"],
        )
    },
    route(
        Get,
        "/ops/dlq/{id}",
        "ops",
        "One dead letter in full: original bytes, key, headers, error and stack (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/ops/dlq/{id}/replay",
        "ops",
        "Deliver a dead letter to its consumer again; it leaves the list once applied (ROLE_PLATFORM)",
        &["202", "409"],
    ),
    route(
        Get,
        "/ops/consumers",
        "ops",
        "Per consumer: position, lag, processed, duplicates, retried, dead-lettered (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/ops/consumers/{name}/pause",
        "ops",
        "Pause a consumer: it takes no further message until resumed, its lag grows, trading is unaffected (ROLE_PLATFORM)",
        &["200"],
    ),
    route(
        Post,
        "/ops/consumers/{name}/resume",
        "ops",
        "Resume a paused consumer: it catches up from where it stopped (ROLE_PLATFORM)",
        &["200"],
    ),
    Route {
        query: &["instrumentId"],
        ..route(
            Get,
            "/analytics/spreads",
            "analytics",
            "Spread samples of one instrument, one per second, last 15 minutes",
            &["200"],
        )
    },
    route(
        Get,
        "/analytics/lp-response",
        "analytics",
        "Per-LP time from RFQ creation to quote over the tenant's latest 5,000 quotes: p50/p90/p99 and buckets",
        &["200"],
    ),
    route(
        Get,
        "/analytics/volume",
        "analytics",
        "The tenant's trades and notional per minute over the last hour, and per instrument",
        &["200"],
    ),
    Route {
        query: &["from", "to", "instrumentId"],
        ..route(
            Get,
            "/analytics/tca",
            "analytics",
            "Per trade: the mid when it was recorded, slippage and spread capture in bp, time to execution; a summary by LP and instrument (ROLE_ANALYST, ROLE_SALES, ROLE_RISK: the tenant's trades; ROLE_TRADER: their own)",
            &["200"],
        )
    },
    route(
        Get,
        "/analytics/lp-scorecard",
        "analytics",
        "Per LP: RFQs received, quotes, wins, hit ratio, response p50/p90, mean distance to the best quote in bp",
        &["200"],
    ),
    Route {
        query: &["instrumentId", "windowSeconds"],
        ..route(
            Get,
            "/analytics/vwap",
            "analytics",
            "The rolling VWAP of one instrument's trades over windowSeconds (default 300), a point per trade",
            &["200"],
        )
    },
    Route {
        query: &["kind", "instrumentId", "windowSeconds", "from", "to"],
        ..route(
            Get,
            "/analytics/export.csv",
            "analytics",
            "TCA, the LP scorecard or a VWAP series as CSV: kind=tca|lp-scorecard|vwap",
            &["200"],
        )
    },
    route(
        Get,
        "/analytics/baskets",
        "analytics",
        "The tenant's baskets",
        &["200"],
    ),
    route(
        Put,
        "/analytics/baskets/{id}",
        "analytics",
        "Define or redefine a basket {name, base, components: [{instrumentId, weight}]}: its index starts at base now",
        &["200"],
    ),
    route(
        Get,
        "/analytics/baskets/{id}/series",
        "analytics",
        "The basket's index once a second since its definition (the latest hour), with the components' mids",
        &["200"],
    ),
    route(
        Get,
        "/admin/killswitch",
        "admin",
        "Kill switch state for the caller's tenant and global (ROLE_RISK or ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Post,
        "/admin/killswitch/enable",
        "admin",
        "Enable a kill switch {scope: tenant|global} (ROLE_RISK or ROLE_ADMIN)",
        &["200", "503"],
    ),
    route(
        Post,
        "/admin/killswitch/disable",
        "admin",
        "Disable a kill switch {scope: tenant|global} (ROLE_RISK or ROLE_ADMIN)",
        &["200", "503"],
    ),
    route(
        Get,
        "/admin/limits",
        "admin",
        "The tenant's open-notional limit and each user's limits (ROLE_RISK or ROLE_ADMIN)",
        &["200"],
    ),
    route(
        Post,
        "/admin/limits",
        "admin",
        "Set a user's limits or the tenant's open-notional limit (ROLE_RISK or ROLE_ADMIN)",
        &["200", "503"],
    ),
];

/// The documented template (`/rfqs/{id}/accept`) of a request to `path` with `method`: what
/// names its span, also in a replica, which forwards such requests without routing them.
pub fn route_template(method: &axum::http::Method, path: &str) -> Option<&'static str> {
    let method = match *method {
        axum::http::Method::GET => Get,
        axum::http::Method::POST => Post,
        axum::http::Method::PUT => Put,
        _ => return None,
    };
    ROUTES
        .iter()
        .filter(|r| r.method == method)
        .map(|r| r.path)
        .find(|template| {
            let mut given = path.split('/');
            let mut wanted = template.split('/');
            loop {
                match (given.next(), wanted.next()) {
                    (None, None) => return true,
                    (Some(g), Some(w)) if w == g || (w.starts_with('{') && !g.is_empty()) => {}
                    _ => return false,
                }
            }
        })
}

/// Request and response schemas by operation: component schemas generated from the Rust types
/// the handlers read and write (`utoipa::ToSchema` derives).
const SCHEMAS: &[(HttpMethod, &str, Option<&str>, Option<Returns>)] = &[
    (
        Post,
        "/auth/login",
        Some("LoginRequest"),
        Some(Returns::One("TokenPair")),
    ),
    (
        Post,
        "/auth/refresh",
        Some("RefreshRequest"),
        Some(Returns::One("TokenPair")),
    ),
    (Post, "/auth/logout", Some("RefreshRequest"), None),
    (Get, "/me", None, Some(Returns::One("Me"))),
    (Get, "/admin/users", None, Some(Returns::List("UserView"))),
    (
        Post,
        "/admin/users",
        Some("CreateUserBody"),
        Some(Returns::One("UserView")),
    ),
    (
        Post,
        "/admin/users/{id}/disable",
        None,
        Some(Returns::One("UserView")),
    ),
    (
        Post,
        "/admin/users/{id}/enable",
        None,
        Some(Returns::One("UserView")),
    ),
    (Get, "/admin/audit", None, Some(Returns::List("AuditView"))),
    (
        Get,
        "/admin/instruments",
        None,
        Some(Returns::List("InstrumentBody")),
    ),
    (
        Post,
        "/admin/instruments",
        Some("InstrumentBody"),
        Some(Returns::One("InstrumentBody")),
    ),
    (
        Put,
        "/admin/instruments/{id}",
        Some("InstrumentBody"),
        Some(Returns::One("InstrumentBody")),
    ),
    (Get, "/admin/lps", None, Some(Returns::List("LpBody"))),
    (
        Post,
        "/admin/lps",
        Some("LpBody"),
        Some(Returns::One("LpBody")),
    ),
    (Get, "/admin/venues", None, Some(Returns::List("VenueBody"))),
    (
        Post,
        "/admin/venues",
        Some("VenueBody"),
        Some(Returns::One("VenueBody")),
    ),
    (
        Get,
        "/admin/feature-flags",
        None,
        Some(Returns::One("FlagsBody")),
    ),
    (
        Put,
        "/admin/feature-flags",
        Some("FlagsBody"),
        Some(Returns::One("FlagsBody")),
    ),
    (
        Get,
        "/instruments",
        None,
        Some(Returns::List("InstrumentView")),
    ),
    (Get, "/healthz", None, Some(Returns::One("Status"))),
    (Get, "/readyz", None, Some(Returns::One("Status"))),
    (
        Get,
        "/metrics",
        None,
        Some(Returns::Text("text/plain; version=0.0.4")),
    ),
    (Get, "/openapi.json", None, Some(Returns::Document)),
    (Get, "/me/preferences", None, Some(Returns::Document)),
    (Put, "/me/preferences", None, Some(Returns::Document)),
    (
        Get,
        "/market/snapshot",
        None,
        Some(Returns::OneOrList("MarketView")),
    ),
    (Get, "/market/depth", None, Some(Returns::One("DepthView"))),
    (
        Post,
        "/rfqs",
        Some("CreateRfq"),
        Some(Returns::One("RfqAnswer")),
    ),
    (Get, "/rfqs", None, Some(Returns::List("RfqBlotterView"))),
    (Get, "/rfqs/{id}", None, Some(Returns::One("RfqView"))),
    (
        Post,
        "/rfqs/{id}/accept",
        Some("AcceptBody"),
        Some(Returns::One("RfqAnswer")),
    ),
    (
        Post,
        "/rfqs/{id}/cancel",
        None,
        Some(Returns::One("RfqAnswer")),
    ),
    (
        Post,
        "/orders",
        Some("PlaceOrderBody"),
        Some(Returns::One("OrderView")),
    ),
    (Get, "/orders", None, Some(Returns::One("OrderPage"))),
    (Get, "/orders/{id}", None, Some(Returns::One("OrderDetail"))),
    (
        Post,
        "/orders/{id}/cancel",
        None,
        Some(Returns::One("OrderView")),
    ),
    (
        Post,
        "/orders/{id}/amend",
        Some("AmendBody"),
        Some(Returns::One("OrderView")),
    ),
    (
        Get,
        "/trades",
        None,
        Some(Returns::List("TradeBlotterView")),
    ),
    (Get, "/trades/{id}", None, Some(Returns::One("TradeView"))),
    (
        Get,
        "/trades/{id}/confirmation",
        None,
        Some(Returns::Document),
    ),
    (
        Get,
        "/posttrade/unsettled",
        None,
        Some(Returns::One("Unsettled")),
    ),
    (
        Get,
        "/posttrade/reconciliation.csv",
        None,
        Some(Returns::Text("text/csv")),
    ),
    (Get, "/ops/dlq", None, Some(Returns::One("DeadLetters"))),
    (
        Get,
        "/ops/dlq/{id}",
        None,
        Some(Returns::One("DeadLetterView")),
    ),
    (
        Post,
        "/ops/dlq/{id}/replay",
        None,
        Some(Returns::One("ReplayRequested")),
    ),
    (Get, "/ops/consumers", None, Some(Returns::One("Consumers"))),
    (
        Post,
        "/ops/consumers/{name}/pause",
        None,
        Some(Returns::One("ConsumerView")),
    ),
    (
        Post,
        "/ops/consumers/{name}/resume",
        None,
        Some(Returns::One("ConsumerView")),
    ),
    (
        Get,
        "/analytics/spreads",
        None,
        Some(Returns::One("Spreads")),
    ),
    (
        Get,
        "/analytics/lp-response",
        None,
        Some(Returns::One("LpResponses")),
    ),
    (Get, "/analytics/volume", None, Some(Returns::One("Volume"))),
    (Get, "/analytics/tca", None, Some(Returns::One("Tca"))),
    (
        Get,
        "/analytics/lp-scorecard",
        None,
        Some(Returns::List("LpScore")),
    ),
    (Get, "/analytics/vwap", None, Some(Returns::One("Vwap"))),
    (
        Get,
        "/analytics/baskets",
        None,
        Some(Returns::List("Basket")),
    ),
    (
        Put,
        "/analytics/baskets/{id}",
        Some("BasketDefinition"),
        Some(Returns::One("Basket")),
    ),
    (
        Get,
        "/analytics/baskets/{id}/series",
        None,
        Some(Returns::One("BasketSeries")),
    ),
    (
        Get,
        "/analytics/export.csv",
        None,
        Some(Returns::Text("text/csv")),
    ),
    (
        Get,
        "/admin/killswitch",
        None,
        Some(Returns::One("KillSwitches")),
    ),
    (
        Post,
        "/admin/killswitch/enable",
        Some("KillSwitchBody"),
        Some(Returns::One("KillSwitchAnswer")),
    ),
    (
        Post,
        "/admin/killswitch/disable",
        Some("KillSwitchBody"),
        Some(Returns::One("KillSwitchAnswer")),
    ),
    (Get, "/admin/limits", None, Some(Returns::One("Limits"))),
    (
        Post,
        "/admin/limits",
        Some("LimitsBody"),
        Some(Returns::One("LimitsAnswer")),
    ),
];

/// The component schemas `SCHEMAS` names, and the error object.
fn components() -> ComponentsBuilder {
    use super::{admin, auth, decision, error, market, ops, orders, posttrade, rfq, workstation};
    use orion_services::rfq as rfq_views;
    ComponentsBuilder::new()
        .schema_from::<error::ErrorBody<'static>>()
        .schema_from::<error::ErrorObject<'static>>()
        .schema_from::<auth::LoginRequest>()
        .schema_from::<auth::RefreshRequest>()
        .schema_from::<orion_services::identity::TokenPair>()
        .schema_from::<auth::Me>()
        .schema_from::<admin::UserView>()
        .schema_from::<admin::EntitlementsView>()
        .schema_from::<admin::CreateUserBody>()
        .schema_from::<admin::AuditView>()
        .schema_from::<admin::InstrumentBody>()
        .schema_from::<admin::LpBody>()
        .schema_from::<admin::VenueBody>()
        .schema_from::<admin::FlagsBody>()
        .schema_from::<market::InstrumentView>()
        .schema_from::<orion_services::rfq::CreateRfq>()
        .schema_from::<rfq::AcceptBody>()
        .schema_from::<rfq::KillSwitchBody>()
        .schema_from::<rfq::LimitsBody>()
        .schema_from::<orders::PlaceOrderBody>()
        .schema_from::<orders::AmendBody>()
        .schema_from::<orders::Decimal>()
        .schema_from::<ops::Status>()
        .schema_from::<crate::market_view::MarketView<'static>>()
        .schema_from::<orders::DepthView>()
        .schema_from::<orion_journal::orders::DepthLevel>()
        .schema_from::<decision::RfqAnswer>()
        .schema_from::<decision::KillSwitchAnswer>()
        .schema_from::<decision::LimitsAnswer>()
        .schema_from::<decision::OrderView>()
        .schema_from::<orders::OrderPage>()
        .schema_from::<orders::OrderDetail>()
        .schema_from::<orders::FillView>()
        .schema_from::<rfq_views::RfqView>()
        .schema_from::<rfq_views::QuoteView>()
        .schema_from::<rfq_views::RfqBlotterView>()
        .schema_from::<rfq_views::TradeView>()
        .schema_from::<rfq_views::TradeBlotterView>()
        .schema_from::<posttrade::Unsettled>()
        .schema_from::<orion_services::posttrade::UnsettledTrade>()
        .schema_from::<posttrade::DeadLetters>()
        .schema_from::<orion_services::consumer::ops::DeadLetterView>()
        .schema_from::<posttrade::ReplayRequested>()
        .schema_from::<posttrade::Consumers>()
        .schema_from::<orion_services::consumer::ops::ConsumerView>()
        .schema_from::<workstation::Spreads>()
        .schema_from::<workstation::SpreadPoint>()
        .schema_from::<workstation::LpResponses>()
        .schema_from::<workstation::LpResponse>()
        .schema_from::<workstation::ResponseBucket>()
        .schema_from::<workstation::Volume>()
        .schema_from::<workstation::VolumeBucket>()
        .schema_from::<workstation::InstrumentVolume>()
        .schema_from::<workstation::KillSwitches>()
        .schema_from::<workstation::KillSwitchState>()
        .schema_from::<workstation::Limits>()
        .schema_from::<workstation::UserLimits>()
        .schema_from::<orion_services::analytics::Tca>()
        .schema_from::<orion_services::analytics::TcaTrade>()
        .schema_from::<orion_services::analytics::TcaSummary>()
        .schema_from::<orion_services::analytics::SlippageStats>()
        .schema_from::<orion_services::analytics::LpScore>()
        .schema_from::<super::analytics::Vwap>()
        .schema_from::<orion_services::analytics::VwapPoint>()
        .schema_from::<orion_services::analytics::BasketDefinition>()
        .schema_from::<orion_services::analytics::BasketComponent>()
        .schema_from::<orion_services::analytics::Basket>()
        .schema_from::<orion_services::analytics::BasketSeries>()
        .schema_from::<orion_services::analytics::BasketPoint>()
}

/// A JSON body of component `name`.
fn json(schema: RefOr<Schema>) -> Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

/// The media type and schema of a successful response.
fn success(returns: Returns) -> (&'static str, RefOr<Schema>) {
    let list = |name| ArrayBuilder::new().items(Ref::from_schema_name(name));
    match returns {
        Returns::One(name) => ("application/json", Ref::from_schema_name(name).into()),
        Returns::List(name) => ("application/json", list(name).into()),
        Returns::OneOrList(name) => (
            "application/json",
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(Ref::from_schema_name(name))
                .item(list(name))
                .into(),
        ),
        Returns::Document => (
            "application/json",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(
                    utoipa::openapi::schema::AdditionalProperties::FreeForm(true),
                ))
                .into(),
        ),
        Returns::Text(media) => (media, ObjectBuilder::new().schema_type(Type::String).into()),
    }
}

/// The schema of a query or path parameter: integers for counts, strings otherwise.
fn parameter_schema(name: &str) -> Schema {
    let kind = match name {
        "limit" | "levels" | "windowSeconds" => Type::Integer,
        _ => Type::String,
    };
    Schema::Object(ObjectBuilder::new().schema_type(kind).build())
}

fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for r in ROUTES {
        let schemas = SCHEMAS
            .iter()
            .find(|(method, path, _, _)| *method == r.method && *path == r.path);
        let body = schemas.and_then(|s| s.2);
        let returns = schemas.and_then(|s| s.3);
        let error = json(Ref::from_schema_name("ErrorBody").into());
        let mut op = OperationBuilder::new()
            .summary(Some(r.summary))
            .tag(r.tag)
            .response(
                "default",
                ResponseBuilder::new()
                    .description("The error object (400, 401, 403, 404, 409, 422, 429, 503)")
                    .content("application/json", error),
            );
        for code in r.ok {
            let mut response = ResponseBuilder::new().description(*code);
            if code.starts_with('2') {
                if let Some(returns) = returns {
                    let (media, schema) = success(returns);
                    response = response.content(media, json(schema));
                }
            } else {
                response = response.content(
                    "application/json",
                    json(Ref::from_schema_name("ErrorBody").into()),
                );
            }
            op = op.response(*code, response);
        }
        if let Some(name) = body {
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(Ref::from_schema_name(name).into()))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        if r.auth {
            op = op.security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        }
        for name in ["id", "name"] {
            if r.path.contains(&format!("{{{name}}}")) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(parameter_schema(name))),
                );
            }
        }
        for q in r.query {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(*q)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .schema(Some(parameter_schema(q))),
            );
        }
        paths = paths.path(r.path, PathItem::new(r.method.clone(), op.build()));
    }
    let bearer = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .build(),
    );
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Orion BFF")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "REST face of Orion. Every response carries x-correlation-id. Prices and sizes are \
                     decimal strings. The WebSocket stream (GET /stream?access_token=…) is described in docs/api.md.",
                )),
        )
        .paths(paths.build())
        .components(Some(components().security_scheme("bearer", bearer).build()))
        .build()
}

/// The document as JSON (what `GET /openapi.json` serves and `orion openapi` prints).
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        document()
            .to_pretty_json()
            .expect("the document serialises")
    })
}

/// `GET /openapi.json`.
pub async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        document_json(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_is_attached_to_a_route_and_every_reference_resolves() {
        for (method, path, _, _) in SCHEMAS {
            assert!(
                ROUTES
                    .iter()
                    .any(|r| r.method == *method && r.path == *path),
                "{path} has schemas but no route"
            );
        }
        let text = document().to_json().unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is referenced but not a component"
            );
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for parameter in op["parameters"].as_array().into_iter().flatten() {
                    assert!(
                        parameter["schema"].is_object(),
                        "{method} {path}: parameter {} has no schema",
                        parameter["name"]
                    );
                }
                assert_eq!(
                    op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path}: errors are the error object"
                );
                for (code, response) in op["responses"].as_object().unwrap() {
                    if code.starts_with('2') && code != "204" {
                        let content = response["content"].as_object();
                        assert!(
                            content.is_some_and(|c| c.values().all(|m| m["schema"].is_object())),
                            "{method} {path}: {code} has no schema"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_request_body_has_an_example_its_handler_accepts() {
        use super::super::{admin, auth, orders, rfq};
        fn accepts<T: serde::de::DeserializeOwned>(doc: &serde_json::Value, name: &str) {
            let example = &doc["components"]["schemas"][name]["example"];
            assert!(example.is_object(), "{name} has no example");
            if let Err(err) = serde_json::from_value::<T>(example.clone()) {
                panic!("{name}'s example is refused by its handler: {err}");
            }
        }
        let doc: serde_json::Value = serde_json::from_str(document_json()).unwrap();
        accepts::<auth::LoginRequest>(&doc, "LoginRequest");
        accepts::<auth::RefreshRequest>(&doc, "RefreshRequest");
        accepts::<orion_services::rfq::CreateRfq>(&doc, "CreateRfq");
        accepts::<rfq::AcceptBody>(&doc, "AcceptBody");
        accepts::<rfq::KillSwitchBody>(&doc, "KillSwitchBody");
        accepts::<rfq::LimitsBody>(&doc, "LimitsBody");
        accepts::<orders::PlaceOrderBody>(&doc, "PlaceOrderBody");
        accepts::<orders::AmendBody>(&doc, "AmendBody");
        accepts::<admin::CreateUserBody>(&doc, "CreateUserBody");
        accepts::<admin::InstrumentBody>(&doc, "InstrumentBody");
        accepts::<admin::LpBody>(&doc, "LpBody");
        accepts::<admin::VenueBody>(&doc, "VenueBody");
        accepts::<admin::FlagsBody>(&doc, "FlagsBody");
        accepts::<orion_services::analytics::BasketDefinition>(&doc, "BasketDefinition");
        // Every body an operation takes is one of those.
        for (_, path, body, _) in SCHEMAS {
            if let Some(name) = body {
                assert!(
                    doc["components"]["schemas"][name]["example"].is_object(),
                    "{path}: {name} has no example"
                );
            }
        }
    }

    #[test]
    fn requests_are_named_by_their_template() {
        use axum::http::Method;
        let cases = [
            (Method::POST, "/rfqs/42/accept", Some("/rfqs/{id}/accept")),
            (Method::GET, "/rfqs/42", Some("/rfqs/{id}")),
            (Method::GET, "/rfqs", Some("/rfqs")),
            (Method::POST, "/rfqs", Some("/rfqs")),
            (
                Method::PUT,
                "/admin/instruments/EUR%2FUSD",
                Some("/admin/instruments/{id}"),
            ),
            (Method::GET, "/rfqs//accept", None),
            (Method::DELETE, "/rfqs", None),
            (Method::GET, "/nowhere", None),
            (Method::GET, "/rfqs/42/accept/more", None),
        ];
        for (method, path, template) in cases {
            assert_eq!(route_template(&method, path), template, "{method} {path}");
        }
    }

    #[test]
    fn every_routed_path_is_documented() {
        let source = include_str!("mod.rs");
        let doc: serde_json::Value = serde_json::from_str(&document().to_json().unwrap()).unwrap();
        for line in source
            .lines()
            .filter(|l| l.trim_start().starts_with(".route(\""))
        {
            let path = line.split('"').nth(1).unwrap();
            if path.starts_with("/stream") {
                continue;
            }
            assert!(
                doc["paths"][path].is_object(),
                "{path} is routed but not documented"
            );
        }
        assert!(doc["paths"]["/rfqs/{id}/accept"]["post"]["security"].is_array());
        assert_eq!(
            doc["paths"]["/rfqs"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateRfq"
        );
        assert_eq!(
            doc["components"]["schemas"]["CreateRfq"]["required"],
            serde_json::json!(["instrumentId", "side", "size", "expirySeconds"])
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
