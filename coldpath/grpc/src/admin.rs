//! `AdminService`: instruments, venues, LPs, users, limits and kill switches through the same
//! administration and risk services as REST `/admin/…`. Those services check the caller's roles;
//! a refusal is `PERMISSION_DENIED` with reason `FORBIDDEN`.

use orion_journal::Decision;
use orion_services::admin::{Actor, AdminError, LpConfig};
use orion_services::directory::{InstrumentRecord, LpRecord, UserRecord, VenueRecord};
use tonic::{Code, Request, Response, Status};

use crate::GrpcContext;
use crate::auth::{claims, correlation_id};
use crate::pb::{self, admin_service_server::AdminService};
use crate::rfq::caller;
use crate::status::{coded, refusal, service};

pub struct Admin {
    context: GrpcContext,
}

impl Admin {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }
}

fn actor<T>(request: &Request<T>) -> Result<Actor, Status> {
    Ok(Actor::from_claims(
        &claims(request)?,
        correlation_id(request),
    ))
}

/// An administration failure as a status.
fn admin_error(err: AdminError) -> Status {
    match err {
        AdminError::Invalid(message) => coded(Code::InvalidArgument, "BAD_REQUEST", &message),
        AdminError::Forbidden(message) => coded(Code::PermissionDenied, "FORBIDDEN", &message),
        AdminError::NotFound(message) => coded(Code::NotFound, "NOT_FOUND", message),
        AdminError::Conflict(message) => coded(Code::FailedPrecondition, "CONFLICT", &message),
        AdminError::Unavailable => coded(
            Code::Unavailable,
            "UNAVAILABLE",
            "the change could not be made durable; nothing was done",
        ),
        AdminError::Store(cause) => {
            tracing::error!(cause = %cause, "store call failed");
            coded(Code::Unavailable, "UNAVAILABLE", "the store is unavailable")
        }
    }
}

fn instrument(i: InstrumentRecord) -> pb::InstrumentDefinition {
    pb::InstrumentDefinition {
        symbol: if i.symbol.is_empty() {
            i.instrument_id.clone()
        } else {
            i.symbol
        },
        instrument_id: i.instrument_id,
        asset_class: i.asset_class,
        currency: i.currency,
        tick_size: i.tick_size,
        lot_size: i.lot_size,
        tenor: i.tenor,
        trading_hours: i.trading_hours,
        reference_price: i.reference_price,
    }
}

fn venue(v: VenueRecord) -> pb::Venue {
    pb::Venue {
        venue_id: v.venue_id,
        execution_type: v.execution_type,
        instrument_ids: v.instruments,
    }
}

fn lp(lp: LpRecord) -> pb::LiquidityProvider {
    pb::LiquidityProvider {
        lp_id: lp.lp_id,
        enabled: lp.enabled,
        asset_classes: lp.asset_classes,
        max_quotes_per_sec: lp.max_quotes_per_sec.clamp(0, i64::from(u32::MAX)) as u32,
        spread_bps: lp.spread_bps,
    }
}

fn user(u: UserRecord) -> pb::User {
    pb::User {
        user_id: u.user,
        tenant_id: u.tenant,
        roles: u.roles,
        asset_classes: u.asset_classes,
        instrument_ids: u.instruments,
        enabled: u.enabled,
    }
}

#[tonic::async_trait]
impl AdminService for Admin {
    async fn list_instruments(
        &self,
        request: Request<pb::ListInstrumentsRequest>,
    ) -> Result<Response<pb::ListInstrumentsResponse>, Status> {
        let instruments = self.context.admin.list_instruments(&actor(&request)?);
        Ok(Response::new(pb::ListInstrumentsResponse {
            instruments: instruments
                .map_err(admin_error)?
                .into_iter()
                .map(instrument)
                .collect(),
        }))
    }

    async fn list_venues(
        &self,
        request: Request<pb::ListVenuesRequest>,
    ) -> Result<Response<pb::ListVenuesResponse>, Status> {
        let venues = self.context.admin.list_venues(&actor(&request)?);
        Ok(Response::new(pb::ListVenuesResponse {
            venues: venues
                .map_err(admin_error)?
                .into_iter()
                .map(venue)
                .collect(),
        }))
    }

    async fn list_l_ps(
        &self,
        request: Request<pb::ListLPsRequest>,
    ) -> Result<Response<pb::ListLPsResponse>, Status> {
        let lps = self.context.admin.list_lps(&actor(&request)?);
        Ok(Response::new(pb::ListLPsResponse {
            lps: lps.map_err(admin_error)?.into_iter().map(lp).collect(),
        }))
    }

    async fn configure_lp(
        &self,
        request: Request<pb::ConfigureLpRequest>,
    ) -> Result<Response<pb::LiquidityProvider>, Status> {
        let actor = actor(&request)?;
        let Some(config) = request.into_inner().lp else {
            return Err(coded(
                Code::InvalidArgument,
                "BAD_REQUEST",
                "lp is required",
            ));
        };
        let configured = self
            .context
            .admin
            .configure_lp(
                &actor,
                LpConfig {
                    lp_id: config.lp_id,
                    enabled: config.enabled,
                    asset_classes: config.asset_classes,
                    max_quotes_per_sec: config.max_quotes_per_sec,
                    spread_bps: config.spread_bps,
                },
            )
            .await
            .map_err(admin_error)?;
        Ok(Response::new(lp(configured)))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let users = self.context.admin.list_users(&actor(&request)?);
        Ok(Response::new(pb::ListUsersResponse {
            users: users.map_err(admin_error)?.into_iter().map(user).collect(),
        }))
    }

    async fn set_user_enabled(
        &self,
        request: Request<pb::SetUserEnabledRequest>,
    ) -> Result<Response<pb::User>, Status> {
        let actor = actor(&request)?;
        let pb::SetUserEnabledRequest { user_id, enabled } = request.into_inner();
        let record = self
            .context
            .admin
            .set_user_enabled(&actor, &user_id, enabled)
            .await
            .map_err(admin_error)?;
        Ok(Response::new(user(record)))
    }

    async fn set_limits(
        &self,
        request: Request<pb::SetLimitsRequest>,
    ) -> Result<Response<pb::SetLimitsResponse>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let correlation = correlation_id(&request);
        let rfqs = &self.context.commands;
        let answer = match request.into_inner().limits {
            Some(pb::set_limits_request::Limits::User(limits))
                if limits.max_notional >= 0 && limits.max_rfqs_per_sec > 0 =>
            {
                rfqs.set_user_limits(
                    &caller,
                    &limits.user_id,
                    limits.max_notional,
                    limits.max_rfqs_per_sec,
                    &correlation,
                )
                .await
            }
            Some(pb::set_limits_request::Limits::Tenant(limit)) if limit.max_open_notional >= 0 => {
                rfqs.set_tenant_limit(&caller, limit.max_open_notional, &correlation)
                    .await
            }
            _ => {
                return Err(coded(
                    Code::InvalidArgument,
                    "BAD_REQUEST",
                    "send user limits (max_notional >= 0, max_rfqs_per_sec > 0) or a tenant limit >= 0",
                ));
            }
        };
        let answer = answer.map_err(service)?;
        match answer.decision {
            Decision::LimitsApplied => Ok(Response::new(pb::SetLimitsResponse {
                correlation_id: answer.correlation_id,
            })),
            Decision::Refused { reason } => Err(refusal(reason)),
            other => Err(unexpected(&other)),
        }
    }

    async fn set_kill_switch(
        &self,
        request: Request<pb::SetKillSwitchRequest>,
    ) -> Result<Response<pb::KillSwitchState>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let correlation = correlation_id(&request);
        let asked = request.into_inner();
        let global = match pb::KillSwitchScope::try_from(asked.scope) {
            Ok(pb::KillSwitchScope::Tenant) => false,
            Ok(pb::KillSwitchScope::Global) => true,
            _ => {
                return Err(coded(
                    Code::InvalidArgument,
                    "BAD_REQUEST",
                    "scope must be TENANT or GLOBAL",
                ));
            }
        };
        let answer = self
            .context
            .commands
            .set_kill_switch(
                &caller,
                global,
                asked.enabled,
                asked.enabled && asked.cancel_resting.unwrap_or(false),
                &correlation,
            )
            .await
            .map_err(service)?;
        match answer.decision {
            Decision::KillSwitchSet {
                global,
                tenant_id,
                enabled,
            } => Ok(Response::new(pb::KillSwitchState {
                scope: if global {
                    pb::KillSwitchScope::Global
                } else {
                    pb::KillSwitchScope::Tenant
                } as i32,
                tenant_id,
                enabled,
                correlation_id: answer.correlation_id,
            })),
            Decision::Refused { reason } => Err(refusal(reason)),
            other => Err(unexpected(&other)),
        }
    }
}

fn unexpected(decision: &Decision) -> Status {
    tracing::error!(
        ?decision,
        "unexpected decision for an administration command"
    );
    coded(Code::Internal, "INTERNAL", "unexpected decision")
}
