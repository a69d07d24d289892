//! The bearer-token interceptor: `authorization: Bearer <jwt>` (the same tokens as REST) is
//! checked before a call reaches a service, and the caller's claims travel in the request's
//! extensions.

use std::sync::Arc;

use orion_services::auth::AuthService;
use orion_services::identity::Claims;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// Checks the access token of every call.
#[derive(Clone)]
pub struct Authenticate {
    auth: Arc<AuthService>,
}

impl Authenticate {
    pub fn new(auth: Arc<AuthService>) -> Self {
        Self { auth }
    }
}

impl Interceptor for Authenticate {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Status::unauthenticated("authorization: Bearer <token> is required"))?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or_else(|| Status::unauthenticated("authorization must be a Bearer token"))?;
        let claims = self
            .auth
            .authenticate(token)
            .map_err(|err| Status::unauthenticated(err.to_string()))?;
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

/// The request's correlation id: `x-correlation-id` when sent, else a new one.
pub fn correlation_id<T>(request: &Request<T>) -> String {
    request
        .metadata()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}
