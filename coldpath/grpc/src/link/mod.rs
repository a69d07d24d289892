//! The link between Orion's own processes (`proto/internal/v1`, package `orion.internal.v1`):
//! what a BFF replica needs from the core — its instruments, token checks, REST requests run
//! through the core's API, and one stream of everything a replica fans out besides ticks.
//!
//! - [`InternalCredential`] — the shared secret of Orion's processes (`x-internal-token`). Only
//!   a call bearing it reaches `CoreLink`, and only such a call may carry the caller's identity
//!   as `x-security-context`; a public client's `x-security-context` is refused.
//! - `server` — `CoreLink` on the core's gRPC port.
//! - [`client`] — the replica's side: one lazily connected channel to the core.

pub mod client;
pub(crate) mod server;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use orion_services::identity::Claims;

/// The generated code of `proto/internal/v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("orion.internal.v1");
}

/// One instrument at its slot, as the core describes it to replicas.
pub fn instrument_slot(
    id: orion_hotpath::InstrumentId,
    spec: &orion_hotpath::InstrumentSpec,
) -> pb::InstrumentSlot {
    pb::InstrumentSlot {
        slot: id.raw(),
        symbol: spec.symbol.clone(),
        asset_class: spec.asset_class.as_str().to_owned(),
        price_scale: u32::from(spec.price_scale),
        tick_size: spec.tick_size,
        size_scale: u32::from(spec.size_scale),
    }
}

/// Metadata key of the internal credential.
pub const INTERNAL_TOKEN: &str = "x-internal-token";
/// Metadata key of the caller's identity between Orion's processes (base64 JSON claims).
pub const SECURITY_CONTEXT: &str = "x-security-context";

/// The shared secret Orion's own processes present to each other.
#[derive(Clone)]
pub struct InternalCredential(Arc<str>);

impl std::fmt::Debug for InternalCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalCredential(…)")
    }
}

impl InternalCredential {
    /// A credential from its secret text.
    pub fn new(secret: &str) -> Self {
        Self(Arc::from(secret.trim()))
    }

    /// The secret, to present.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// True when `presented` is this secret (compared in constant time).
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// `claims` as an `x-security-context` value.
pub fn encode_security_context(claims: &Claims) -> String {
    STANDARD.encode(serde_json::to_vec(claims).expect("claims serialise"))
}

/// The claims an `x-security-context` value carries.
pub fn decode_security_context(value: &str) -> Option<Claims> {
    let bytes = STANDARD.decode(value).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A REST request as the core's API takes it: the request and the browser's address.
pub type ApiRequest = (
    tonic::codegen::http::Request<bytes::Bytes>,
    Option<std::net::SocketAddr>,
);

/// The core's REST API, run without a socket.
pub type Api = Arc<
    dyn Fn(
            ApiRequest,
        )
            -> Pin<Box<dyn Future<Output = tonic::codegen::http::Response<bytes::Bytes>> + Send>>
        + Send
        + Sync,
>;

/// What `CoreLink` serves from.
#[derive(Clone)]
pub struct LinkContext {
    /// The core's REST API.
    pub api: Api,
    /// Every update a replica fans out besides ticks, as the core produces them.
    pub updates: tokio::sync::broadcast::Sender<pb::CoreUpdate>,
    /// What a replica that (re)attaches gets first: the state the updates change (depth).
    pub initial: Arc<dyn Fn() -> Vec<pb::CoreUpdate> + Send + Sync>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_security_context_round_trips_and_garbage_is_refused() {
        let claims = Claims {
            sub: "trader@acme".into(),
            tenant: "acme".into(),
            roles: vec!["ROLE_TRADER".into()],
            ent: vec!["fx".into()],
            ins: Vec::new(),
            typ: orion_services::identity::TokenKind::Access,
            iss: "orion".into(),
            iat: 1,
            exp: 2,
            jti: "j".into(),
        };
        let encoded = encode_security_context(&claims);
        assert_eq!(decode_security_context(&encoded), Some(claims));
        assert_eq!(decode_security_context("not base64!"), None);
        assert_eq!(decode_security_context(&STANDARD.encode(b"{}")), None);
    }

    #[test]
    fn the_credential_matches_only_its_own_secret() {
        let credential = InternalCredential::new("s3cret\n");
        assert!(credential.matches("s3cret"));
        assert!(!credential.matches("s3cre"));
        assert!(!credential.matches("s3cret "));
        assert!(!credential.matches(""));
    }
}
