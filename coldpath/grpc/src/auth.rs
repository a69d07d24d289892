//! The caller interceptor: `authorization: Bearer <jwt>` (the same tokens as REST) is checked
//! before a call reaches a service, and the caller's claims travel in the request's extensions.
//! Between Orion's own processes the caller's identity may instead travel as
//! `x-security-context`, trusted only beside the internal credential; `x-tenant-id` and
//! `x-user-id`, when sent, must name the caller.

use std::sync::Arc;

use orion_services::auth::AuthService;
use orion_services::identity::Claims;
use tonic::service::Interceptor;

use crate::link::{INTERNAL_TOKEN, InternalCredential, SECURITY_CONTEXT, decode_security_context};
use tonic::{Request, Status};

/// Checks the access token (or the internal security context) of every call.
#[derive(Clone)]
pub struct Authenticate {
    auth: Arc<AuthService>,
    internal: Option<InternalCredential>,
}

impl Authenticate {
    pub fn new(auth: Arc<AuthService>, internal: Option<InternalCredential>) -> Self {
        Self { auth, internal }
    }

    /// The caller's claims: from `x-security-context` for a peer holding the internal
    /// credential, else from the bearer token.
    fn caller(&self, request: &Request<()>) -> Result<Claims, Status> {
        let metadata = request.metadata();
        if let Some(context) = metadata.get(SECURITY_CONTEXT) {
            let presented = metadata
                .get(INTERNAL_TOKEN)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !self.internal.as_ref().is_some_and(|c| c.matches(presented)) {
                return Err(Status::unauthenticated(
                    "x-security-context is accepted only from Orion's own processes",
                ));
            }
            return context
                .to_str()
                .ok()
                .and_then(decode_security_context)
                .ok_or_else(|| Status::unauthenticated("unreadable x-security-context"));
        }
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Status::unauthenticated("authorization: Bearer <token> is required"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| Status::unauthenticated("authorization must be a Bearer token"))?;
        self.auth
            .authenticate(token)
            .map_err(|err| Status::unauthenticated(err.to_string()))
    }
}

impl Interceptor for Authenticate {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let claims = self.caller(&request)?;
        let named = |key: &str| {
            request
                .metadata()
                .get(key)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if named("x-tenant-id").is_some_and(|t| t != claims.tenant)
            || named("x-user-id").is_some_and(|u| u != claims.sub)
        {
            return Err(Status::permission_denied(
                "x-tenant-id / x-user-id do not name the caller",
            ));
        }
        tracing::Span::current().record("tenantId", claims.tenant.as_str());
        request.extensions_mut().insert(claims);
        Ok(request)
    }
}

/// The authenticated caller's claims (the interceptor put them there).
pub fn claims<T>(request: &Request<T>) -> Result<Claims, Status> {
    request
        .extensions()
        .get::<Claims>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated("no caller"))
}

/// The request's correlation id: `x-correlation-id` when sent, else a new one (recorded on
/// the call's span either way).
pub fn correlation_id<T>(request: &Request<T>) -> String {
    let id = request
        .metadata()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    tracing::Span::current().record("correlationId", id.as_str());
    id
}
