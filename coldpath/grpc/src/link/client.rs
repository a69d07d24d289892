//! The replica's side of the link: one lazily connected HTTP/2 channel to the core, with the
//! internal credential on every call. A call made while the core is away fails at once with
//! `UNAVAILABLE` (connection refused) or within the connect timeout; the channel reconnects by
//! itself on the next call.

use std::time::Duration;

use orion_services::identity::{Claims, TokenKind};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Status, Streaming};

use super::pb::{self, core_link_client::CoreLinkClient};
use super::{INTERNAL_TOKEN, InternalCredential, SECURITY_CONTEXT, encode_security_context};
use crate::pb::market_data_service_client::MarketDataServiceClient;

/// How long a connection attempt to the core may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Largest message either way (forwarded REST bodies).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A replica's connection to the core.
#[derive(Clone)]
pub struct CoreClient {
    channel: Channel,
    credential: InternalCredential,
    /// Who the replica is when it calls a public service (the tick stream).
    principal: String,
}

/// Why the core's address is unusable.
#[derive(Debug, thiserror::Error)]
#[error("bad core URL {url}: {cause}")]
pub struct BadCoreUrl {
    url: String,
    cause: String,
}

impl CoreClient {
    /// A client of the core at `url` (`http://host:port`); connects on first use.
    pub fn new(url: &str, credential: InternalCredential) -> Result<Self, BadCoreUrl> {
        let bad = |cause: String| BadCoreUrl {
            url: url.to_owned(),
            cause,
        };
        let channel = Endpoint::from_shared(url.to_owned())
            .map_err(|e| bad(e.to_string()))?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(1))
            .keep_alive_timeout(Duration::from_secs(2))
            .keep_alive_while_idle(true)
            .connect_lazy();
        let principal = encode_security_context(&Claims {
            sub: "bff-replica".to_owned(),
            tenant: "orion".to_owned(),
            roles: vec!["ROLE_SERVICE".to_owned()],
            ent: ["fx", "rates", "credit"].map(str::to_owned).to_vec(),
            ins: Vec::new(),
            typ: TokenKind::Access,
            iss: "orion".to_owned(),
            iat: 0,
            exp: u64::MAX,
            jti: String::new(),
        });
        Ok(Self {
            channel,
            credential,
            principal,
        })
    }

    /// A request bearing the internal credential and, when the caller is traced, its span's
    /// `traceparent`, so the core's work continues the caller's trace.
    fn request<T>(&self, message: T) -> Request<T> {
        let mut request = Request::new(message);
        if let Ok(value) = MetadataValue::try_from(self.credential.secret()) {
            request.metadata_mut().insert(INTERNAL_TOKEN, value);
        }
        let traceparent = orion_journal::trace::current();
        if !traceparent.is_empty() {
            if let Ok(value) = MetadataValue::try_from(traceparent.as_str()) {
                request
                    .metadata_mut()
                    .insert(orion_journal::trace::TRACEPARENT, value);
            }
        }
        request
    }

    fn link(&self) -> CoreLinkClient<Channel> {
        CoreLinkClient::new(self.channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE)
    }

    /// The core's instruments by slot.
    pub async fn describe(&self) -> Result<pb::CoreDescription, Status> {
        let request = self.request(pb::DescribeRequest {});
        Ok(self.link().describe(request).await?.into_inner())
    }

    /// The claims of an access token, as the core checks it.
    pub async fn authenticate(&self, token: &str) -> Result<Claims, Status> {
        let request = self.request(pb::AuthenticateRequest {
            token: token.to_owned(),
        });
        let principal = self.link().authenticate(request).await?.into_inner();
        serde_json::from_str(&principal.claims_json)
            .map_err(|err| Status::internal(format!("unreadable claims: {err}")))
    }

    /// Runs one REST request through the core's API, bounded by `timeout`.
    pub async fn forward(
        &self,
        forwarded: pb::HttpRequest,
        timeout: Duration,
    ) -> Result<pb::HttpResponse, Status> {
        let mut request = self.request(forwarded);
        request.set_timeout(timeout);
        Ok(self.link().forward(request).await?.into_inner())
    }

    /// Whether the core reports SERVING on `grpc.health.v1` (commands can be made durable),
    /// asked within `timeout`.
    pub async fn serving(&self, timeout: Duration) -> bool {
        let mut health = tonic_health::pb::health_client::HealthClient::new(self.channel.clone());
        let mut request = Request::new(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        });
        request.set_timeout(timeout);
        health.check(request).await.is_ok_and(|reply| {
            reply.into_inner().status
                == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
        })
    }

    /// The core's stream of updates (owner frames, notices, disabled users, depth).
    pub async fn watch_updates(&self) -> Result<Streaming<pb::CoreUpdate>, Status> {
        let request = self.request(pb::WatchUpdatesRequest {});
        Ok(self.link().watch_updates(request).await?.into_inner())
    }

    /// Ticks of `symbols`: a snapshot of each first, then changes, at most `max_rate_hz` per
    /// instrument when set. Called as the replica itself (`x-security-context`).
    pub async fn stream_ticks(
        &self,
        symbols: Vec<String>,
        max_rate_hz: Option<u32>,
    ) -> Result<Streaming<crate::pb::TickUpdate>, Status> {
        let mut request = self.request(crate::pb::StreamTicksRequest {
            instrument_ids: symbols,
            max_rate_hz,
        });
        if let Ok(value) = MetadataValue::try_from(self.principal.as_str()) {
            request.metadata_mut().insert(SECURITY_CONTEXT, value);
        }
        let mut client = MarketDataServiceClient::new(self.channel.clone());
        Ok(client.stream_ticks(request).await?.into_inner())
    }
}
