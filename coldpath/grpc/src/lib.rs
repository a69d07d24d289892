//! Orion's gRPC faces (`proto/v1`, package `orion.v1`): `MarketDataService`, `OrderService`,
//! `RFQService`, `ExecutionService`, `PostTradeService` and `AdminService` over the same services the REST handlers use — no rule is implemented twice — plus
//! `grpc.health.v1` (overall and per service, NOT_SERVING while the store is down) and server
//! reflection (v1 and v1alpha).
//!
//! - [`pb`] — the generated messages, servers and clients.
//! - `auth` — the bearer-token interceptor: a call without a valid access token is
//!   UNAUTHENTICATED before it reaches a service.
//! - `deadline` — serving HTTP/2 connections, each call bounded by the client's `grpc-timeout`:
//!   a call whose deadline passes answers `DEADLINE_EXCEEDED` (the command, if sent, still
//!   completes and stays retrievable by its idempotency key).
//! - `status` — how a refusal or a service error becomes a gRPC status with
//!   `google.rpc.ErrorInfo` (the Orion code as the reason).
//! - [`link`] — the internal `CoreLink` a BFF replica attaches through, and its client.
//! - `market`, `orders`, `rfq`, `execution`, `posttrade`, `admin` — the services.
//!
//! The contract only grows within `v1`: a test compares the compiled descriptors with the
//! committed baseline `proto/baseline/v1/descriptors.json` and fails when a message, a field or
//! an RPC is removed, renumbered or retyped (`ORION_UPDATE_PROTO_BASELINE=1` rewrites the
//! baseline after a deliberate, compatible addition).

mod admin;
mod auth;
#[cfg(test)]
mod contract;
mod deadline;
mod execution;
pub mod link;
mod market;
mod orders;
mod posttrade;
mod rfq;
mod status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use orion_hotpath::{InstrumentTable, SnapshotTable};
use orion_journal::Ledger;
use orion_journal::orders::BookView;
use orion_services::auth::AuthService;
use orion_services::directory::Directory;
use orion_services::rfq::RfqService;
use tonic_health::ServingStatus;

/// The generated code of `proto/v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("orion.v1");

    /// The encoded descriptors of every message and service, for reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("orion_v1_descriptor");
}

use pb::admin_service_server::AdminServiceServer;
use pb::execution_service_server::ExecutionServiceServer;
use pb::market_data_service_server::MarketDataServiceServer;
use pb::order_service_server::OrderServiceServer;
use pb::post_trade_service_server::PostTradeServiceServer;
use pb::rfq_service_server::RfqServiceServer;

/// What the gRPC services read and call.
#[derive(Clone)]
pub struct GrpcContext {
    /// Token checks.
    pub auth: Arc<AuthService>,
    /// Users and tenants.
    pub directory: Arc<Directory>,
    /// Commands and queries (orders, RFQs).
    pub commands: Arc<RfqService>,
    /// Committed decisions, health.
    pub ledger: Arc<Ledger>,
    /// Instruments.
    pub instruments: Arc<InstrumentTable>,
    /// Latest market values, read lock-free.
    pub snapshots: Arc<SnapshotTable>,
    /// The committed order books.
    pub books: BookView,
    /// Confirmations and settlement sagas.
    pub posttrade: orion_services::posttrade::PostTradeService,
    /// Instruments, venues, LPs, users.
    pub admin: Arc<orion_services::admin::AdminService>,
    /// The credential of Orion's own processes; `None` accepts no internal caller.
    pub internal: Option<link::InternalCredential>,
    /// The core link for BFF replicas; `None` where no replica may attach.
    pub link: Option<link::LinkContext>,
}

/// The services' names, as health and reflection list them.
pub const SERVICES: [&str; 6] = [
    "orion.v1.MarketDataService",
    "orion.v1.OrderService",
    "orion.v1.RFQService",
    "orion.v1.ExecutionService",
    "orion.v1.PostTradeService",
    "orion.v1.AdminService",
];

/// A bound gRPC server: its address and the task serving it.
pub struct GrpcServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Serves until the shutdown signal.
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `addr` and serves every service until `shutdown` turns true.
pub async fn serve(
    addr: SocketAddr,
    context: GrpcContext,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<GrpcServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (health, health_service) = tonic_health::server::health_reporter();
    tokio::spawn(report_health(health, Arc::clone(&context.ledger)));
    // Both reflection versions list everything served, each other included.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            )
    };
    let reflection_v1 = reflection().build_v1().map_err(std::io::Error::other)?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(std::io::Error::other)?;
    let interceptor = auth::Authenticate::new(Arc::clone(&context.auth), context.internal.clone());
    let mut routes = tonic::service::Routes::new(health_service);
    if let (Some(link), Some(credential)) = (context.link.clone(), context.internal.clone()) {
        let server = link::pb::core_link_server::CoreLinkServer::new(link::server::Link {
            auth: Arc::clone(&context.auth),
            instruments: Arc::clone(&context.instruments),
            context: link,
        })
        .max_decoding_message_size(link::server::max_message())
        .max_encoding_message_size(link::server::max_message());
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            server,
            link::server::RequireInternal(credential),
        ));
    }
    let routes = routes
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(MarketDataServiceServer::with_interceptor(
            market::MarketData::new(context.clone()),
            interceptor.clone(),
        ))
        .add_service(OrderServiceServer::with_interceptor(
            orders::Orders::new(context.clone()),
            interceptor.clone(),
        ))
        .add_service(RfqServiceServer::with_interceptor(
            rfq::Rfqs::new(context.clone()),
            interceptor.clone(),
        ))
        .add_service(ExecutionServiceServer::with_interceptor(
            execution::Execution::new(context.clone()),
            interceptor.clone(),
        ))
        .add_service(PostTradeServiceServer::with_interceptor(
            posttrade::PostTrade::new(context.clone()),
            interceptor.clone(),
        ))
        .add_service(AdminServiceServer::with_interceptor(
            admin::Admin::new(context),
            interceptor,
        ))
        .prepare();
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = shutdown.changed() => return,
            };
            let Ok((stream, _)) = accepted else { continue };
            tokio::spawn(deadline::serve_connection(stream, routes.clone()));
        }
    });
    Ok(GrpcServer { addr, task })
}

/// Keeps health current: every service SERVING while commands can be made durable,
/// NOT_SERVING while the store is down.
async fn report_health(health: tonic_health::server::HealthReporter, ledger: Arc<Ledger>) {
    let mut last = None;
    loop {
        let status = if ledger.is_healthy() {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        if last != Some(status) {
            health.set_service_status("", status).await;
            for service in SERVICES {
                health.set_service_status(service, status).await;
            }
            last = Some(status);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
