//! `CoreLink` on the core's gRPC port: answers only callers holding the internal credential.

use std::sync::Arc;

use orion_hotpath::InstrumentTable;
use orion_services::auth::AuthService;
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::http;
use tonic::service::Interceptor;
use tonic::{Request, Response, Status};

use super::pb::core_link_server::CoreLink;
use super::pb::{self};
use super::{INTERNAL_TOKEN, InternalCredential, LinkContext};

/// Largest REST body forwarded either way (the BFF's own limit is lower).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Refuses every call without the internal credential.
#[derive(Clone)]
pub struct RequireInternal(pub InternalCredential);

impl Interceptor for RequireInternal {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let presented = request
            .metadata()
            .get(INTERNAL_TOKEN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if self.0.matches(presented) {
            Ok(request)
        } else {
            Err(Status::unauthenticated(
                "the core link is for Orion's own processes",
            ))
        }
    }
}

pub struct Link {
    pub auth: Arc<AuthService>,
    pub instruments: Arc<InstrumentTable>,
    pub context: LinkContext,
}

#[tonic::async_trait]
impl CoreLink for Link {
    async fn describe(
        &self,
        _request: Request<pb::DescribeRequest>,
    ) -> Result<Response<pb::CoreDescription>, Status> {
        let instruments = self
            .instruments
            .iter()
            .map(|(id, spec)| super::instrument_slot(id, spec))
            .collect();
        Ok(Response::new(pb::CoreDescription {
            instruments,
            capacity: self.instruments.len() as u32,
        }))
    }

    async fn authenticate(
        &self,
        request: Request<pb::AuthenticateRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        let claims = self
            .auth
            .authenticate(&request.get_ref().token)
            .map_err(|err| {
                let reason = match err {
                    orion_services::identity::AuthError::UserDisabled => "USER_DISABLED",
                    _ => "UNAUTHORIZED",
                };
                crate::status::coded(tonic::Code::Unauthenticated, reason, &err.to_string())
            })?;
        let claims_json = serde_json::to_string(&claims).expect("claims serialise");
        Ok(Response::new(pb::Principal { claims_json }))
    }

    async fn forward(
        &self,
        request: Request<pb::HttpRequest>,
    ) -> Result<Response<pb::HttpResponse>, Status> {
        let forwarded = request.into_inner();
        if forwarded.body.len() > MAX_BODY {
            return Err(Status::invalid_argument("body too large"));
        }
        let mut builder = http::Request::builder()
            .method(forwarded.method.as_str())
            .uri(forwarded.uri.as_str());
        // The API's request span is a child of this call's span (the replica's trace), not
        // of whatever context the client gave the replica.
        let traceparent = orion_journal::trace::current();
        for header in &forwarded.headers {
            if header
                .name
                .eq_ignore_ascii_case(orion_journal::trace::TRACEPARENT)
            {
                continue;
            }
            builder = builder.header(header.name.as_str(), header.value.as_slice());
        }
        if !traceparent.is_empty() {
            builder = builder.header(orion_journal::trace::TRACEPARENT, traceparent);
        }
        let api_request = builder
            .body(bytes::Bytes::from(forwarded.body))
            .map_err(|err| Status::invalid_argument(format!("not an HTTP request: {err}")))?;
        let peer = forwarded.peer.parse().ok();
        let response = (self.context.api)((api_request, peer)).await;
        let (parts, body) = response.into_parts();
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| pb::Header {
                name: name.as_str().to_owned(),
                value: value.as_bytes().to_vec(),
            })
            .collect();
        Ok(Response::new(pb::HttpResponse {
            status: u32::from(parts.status.as_u16()),
            headers,
            body: body.to_vec(),
        }))
    }

    type WatchUpdatesStream = ReceiverStream<Result<pb::CoreUpdate, Status>>;

    async fn watch_updates(
        &self,
        _request: Request<pb::WatchUpdatesRequest>,
    ) -> Result<Response<Self::WatchUpdatesStream>, Status> {
        let mut updates = self.context.updates.subscribe();
        let initial = (self.context.initial)();
        let (tx, rx) = tokio::sync::mpsc::channel(1_024);
        tokio::spawn(async move {
            for update in initial {
                if tx.send(Ok(update)).await.is_err() {
                    return;
                }
            }
            loop {
                let update = match updates.recv().await {
                    Ok(update) => update,
                    // A replica that cannot keep up skips updates, as a slow WebSocket does.
                    Err(RecvError::Lagged(n)) => {
                        metrics_lagged(n);
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if tx.send(Ok(update)).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

fn metrics_lagged(n: u64) {
    tracing::warn!(skipped = n, "a replica's update stream fell behind");
}

/// Largest body forwarded, for the server's message limits.
pub const fn max_message() -> usize {
    MAX_BODY + 64 * 1024
}
