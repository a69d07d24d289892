//! `PostTradeService`: confirmations, settlement sagas and the unsettled trades of the caller's
//! tenant, read through the same service as REST `/trades/{id}/confirmation` and `/posttrade`.

use tonic::{Code, Request, Response, Status};

use crate::GrpcContext;
use crate::pb::{self, post_trade_service_server::PostTradeService};
use crate::rfq::{caller, side};
use crate::status::{coded, service};

pub struct PostTrade {
    context: GrpcContext,
}

impl PostTrade {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }
}

fn no_trade() -> Status {
    coded(
        Code::NotFound,
        "NOT_FOUND",
        "no such trade, or not confirmed yet",
    )
}

#[tonic::async_trait]
impl PostTradeService for PostTrade {
    async fn get_confirmation(
        &self,
        request: Request<pb::GetConfirmationRequest>,
    ) -> Result<Response<pb::Confirmation>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let id = &request.get_ref().trade_id;
        let document = self
            .context
            .posttrade
            .confirmation(&caller, id)
            .await
            .map_err(|e| service(e.into()))?
            .ok_or_else(no_trade)?;
        let text = |key: &str| document[key].as_str().unwrap_or_default().to_owned();
        Ok(Response::new(pb::Confirmation {
            trade_id: id.clone(),
            confirmation_id: text("confirmationId"),
            venue: text("venue"),
            document_json: document.to_string(),
        }))
    }

    async fn get_settlement_status(
        &self,
        request: Request<pb::GetSettlementStatusRequest>,
    ) -> Result<Response<pb::SettlementStatus>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let id: u64 = request.get_ref().trade_id.parse().map_err(|_| no_trade())?;
        let saga = self
            .context
            .posttrade
            .settlement(&caller, id)
            .await
            .map_err(|e| service(e.into()))?
            .ok_or_else(no_trade)?;
        let ended = matches!(saga.state.as_str(), "SETTLED" | "FAILED_FINAL");
        Ok(Response::new(pb::SettlementStatus {
            trade_id: saga.trade_id.to_string(),
            state: saga.state,
            attempt: saga.attempt,
            next_attempt_at_ns: (!ended).then_some(saga.next_attempt_at.max(0) as u64),
            updated_at_ns: saga.updated_at.max(0) as u64,
        }))
    }

    async fn list_unsettled(
        &self,
        request: Request<pb::ListUnsettledRequest>,
    ) -> Result<Response<pb::ListUnsettledResponse>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let trades = self
            .context
            .posttrade
            .unsettled(&caller)
            .await
            .map_err(|e| service(e.into()))?;
        Ok(Response::new(pb::ListUnsettledResponse {
            trades: trades
                .into_iter()
                .map(|t| pb::UnsettledTrade {
                    side: side(&t.side),
                    trade_id: t.trade_id,
                    rfq_id: t.rfq_id,
                    instrument_id: t.instrument_id,
                    size: t.size,
                    price: t.price,
                    lp_id: t.lp_id,
                    user_id: t.user_id,
                    executed_at: t.executed_at,
                    confirmation_status: t.confirmation_status,
                    settlement_status: t.settlement_status,
                    settlement_attempts: t.settlement_attempts,
                    next_attempt_at: t.next_attempt_at,
                })
                .collect(),
        }))
    }
}
