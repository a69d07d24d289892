//! `ExecutionService`: the tenant's trades (RFQ and order book) with their post-trade state.

use orion_services::rfq::{PageQuery, TradeBlotterView};
use tonic::{Code, Request, Response, Status};

use crate::GrpcContext;
use crate::pb::{self, execution_service_server::ExecutionService};
use crate::rfq::{caller, side};
use crate::status::{coded, service};

pub struct Execution {
    context: GrpcContext,
}

impl Execution {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }
}

fn trade(t: &TradeBlotterView) -> pb::Trade {
    pb::Trade {
        trade_id: t.trade_id.clone(),
        rfq_id: t.rfq_id.clone(),
        instrument_id: t.instrument_id.clone(),
        side: side(&t.side),
        price: t.price.clone(),
        size: t.size.clone(),
        lp_id: t.lp_id.clone(),
        user_id: t.user_id.clone(),
        executed_at: t.executed_at.clone(),
        correlation_id: t.correlation_id.clone(),
        confirmation_status: t.confirmation_status.clone(),
        settlement_status: t.settlement_status.clone(),
        settlement_attempts: t.settlement_attempts,
    }
}

#[tonic::async_trait]
impl ExecutionService for Execution {
    async fn get_trade(
        &self,
        request: Request<pb::GetTradeRequest>,
    ) -> Result<Response<pb::Trade>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let t = self
            .context
            .commands
            .get_trade(&caller, &request.get_ref().trade_id)
            .await
            .map_err(service)?
            .ok_or_else(|| coded(Code::NotFound, "NOT_FOUND", "no such trade"))?;
        // An order-book trade has no RFQ.
        let rfq_id = if t.lp_id == "CLOB" {
            String::new()
        } else {
            t.rfq_id
        };
        Ok(Response::new(pb::Trade {
            trade_id: t.trade_id,
            rfq_id,
            instrument_id: t.instrument_id,
            side: side(&t.side),
            price: t.price,
            size: t.size,
            lp_id: t.lp_id,
            user_id: t.user_id,
            executed_at: t.executed_at,
            correlation_id: t.correlation_id,
            confirmation_status: t.confirmation_status,
            settlement_status: t.settlement_status,
            settlement_attempts: t.settlement_attempts,
        }))
    }

    async fn list_trades(
        &self,
        request: Request<pb::ListTradesRequest>,
    ) -> Result<Response<pb::ListTradesResponse>, Status> {
        let caller = caller(&self.context, &request, false)?;
        let r = request.into_inner();
        let non_empty = |s: &str| (!s.is_empty()).then_some(s.to_owned());
        let (instrument, from, to) = (
            non_empty(&r.instrument_id),
            non_empty(&r.from),
            non_empty(&r.to),
        );
        let page = PageQuery {
            limit: r.limit,
            cursor: r.cursor,
        };
        let page = self
            .context
            .commands
            .list_trades(
                &caller,
                instrument.as_deref(),
                from.as_deref(),
                to.as_deref(),
                &page,
            )
            .await
            .map_err(service)?;
        Ok(Response::new(pb::ListTradesResponse {
            trades: page.items.iter().map(trade).collect(),
            next_cursor: page.next_cursor,
        }))
    }
}
