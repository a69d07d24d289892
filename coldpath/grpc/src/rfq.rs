//! `RFQService`: create, get, list, accept, cancel and watch RFQs through the same command
//! service as REST `/rfqs`.

use orion_journal::{Decision, RfqChange};
use orion_services::rfq::{Caller, CreateRfq, PageQuery, QuoteView, RfqBlotterView, RfqView};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status};

use crate::GrpcContext;
use crate::auth::{claims, correlation_id};
use crate::pb::{self, rfq_service_server::RfqService};
use crate::status::{coded, refusal, require_key, service};

pub struct Rfqs {
    context: GrpcContext,
}

impl Rfqs {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }

    fn caller<T>(&self, request: &Request<T>, trading: bool) -> Result<Caller, Status> {
        caller(&self.context, request, trading)
    }

    /// An RFQ of the caller's tenant, or NOT_FOUND.
    async fn view(&self, caller: &Caller, id: &str) -> Result<RfqView, Status> {
        self.context
            .commands
            .get_rfq(caller, id)
            .await
            .map_err(service)?
            .ok_or_else(|| coded(Code::NotFound, "NOT_FOUND", "no such RFQ"))
    }
}

/// The caller, who must be a trader for commands.
pub fn caller<T>(
    context: &GrpcContext,
    request: &Request<T>,
    trading: bool,
) -> Result<Caller, Status> {
    let claims = claims(request)?;
    if trading && !claims.has_role("ROLE_TRADER") {
        return Err(coded(
            Code::PermissionDenied,
            "FORBIDDEN",
            "trading needs ROLE_TRADER",
        ));
    }
    Caller::resolve(claims, &context.directory)
        .ok_or_else(|| coded(Code::PermissionDenied, "FORBIDDEN", "unknown user"))
}

/// `BUY`/`SELL` as the enum.
pub fn side(text: &str) -> i32 {
    match text {
        "BUY" => pb::Side::Buy as i32,
        "SELL" => pb::Side::Sell as i32,
        _ => pb::Side::Unspecified as i32,
    }
}

fn quote(q: &QuoteView) -> pb::Quote {
    pb::Quote {
        quote_id: q.quote_id.clone(),
        lp_id: q.lp_id.clone(),
        price: q.price.clone(),
        size: q.size.clone(),
        rank: q.rank as u32,
        status: q.status.clone(),
        valid_for_ms: q.valid_for_ms,
    }
}

fn rfq(v: &RfqView) -> pb::Rfq {
    pb::Rfq {
        rfq_id: v.rfq_id.clone(),
        status: v.status.clone(),
        instrument_id: v.instrument_id.clone(),
        side: side(&v.side),
        size: v.size.clone(),
        time_remaining_ms: v.time_remaining_ms,
        trade_id: v.trade_id.clone(),
        quotes: v.quotes.iter().map(quote).collect(),
        correlation_id: v.correlation_id.clone(),
    }
}

fn listed(v: &RfqBlotterView) -> pb::Rfq {
    pb::Rfq {
        rfq_id: v.rfq_id.clone(),
        status: v.status.clone(),
        instrument_id: v.instrument_id.clone(),
        side: side(&v.side),
        size: v.size.clone(),
        time_remaining_ms: 0,
        trade_id: v.trade_id.clone(),
        quotes: Vec::new(),
        correlation_id: v.correlation_id.clone(),
    }
}

/// What a command decided, or why not.
fn decision(
    result: Result<orion_journal::Answer, orion_services::rfq::ServiceError>,
) -> Result<(Decision, String), Status> {
    let answer = result.map_err(service)?;
    match answer.decision {
        Decision::Refused { reason } => Err(refusal(reason)),
        Decision::LastLookRejected { reason, .. } => Err(coded(
            Code::FailedPrecondition,
            "QUOTE_REJECTED",
            &format!("the LP rejected the acceptance ({})", reason.as_str()),
        )),
        other => Ok((other, answer.correlation_id)),
    }
}

#[tonic::async_trait]
impl RfqService for Rfqs {
    async fn create_rfq(
        &self,
        request: Request<pb::CreateRfqRequest>,
    ) -> Result<Response<pb::Rfq>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let r = request.into_inner();
        let side = match pb::Side::try_from(r.side) {
            Ok(pb::Side::Buy) => "BUY",
            Ok(pb::Side::Sell) => "SELL",
            _ => {
                return Err(coded(
                    Code::InvalidArgument,
                    "BAD_REQUEST",
                    "side must be BUY or SELL",
                ));
            }
        };
        let body = CreateRfq {
            instrument_id: r.instrument_id.clone(),
            side: side.into(),
            size: r.size.clone(),
            expiry_seconds: r.expiry_seconds,
            min_size: r.min_size,
            partial_allowed: r.partial_allowed,
        };
        let result = self
            .context
            .commands
            .create_rfq(&caller, body, r.idempotency_key, &correlation)
            .await;
        match decision(result)? {
            (Decision::RfqCreated { rfq_id }, correlation_id) => Ok(Response::new(pb::Rfq {
                rfq_id: rfq_id.to_string(),
                status: "SENT".into(),
                instrument_id: r.instrument_id,
                side: self::side(side),
                size: r.size,
                time_remaining_ms: r.expiry_seconds * 1_000,
                trade_id: None,
                quotes: Vec::new(),
                correlation_id,
            })),
            (other, _) => Err(unexpected(&other)),
        }
    }

    async fn get_rfq(
        &self,
        request: Request<pb::GetRfqRequest>,
    ) -> Result<Response<pb::Rfq>, Status> {
        let caller = self.caller(&request, false)?;
        let view = self.view(&caller, &request.get_ref().rfq_id).await?;
        Ok(Response::new(rfq(&view)))
    }

    async fn list_rf_qs(
        &self,
        request: Request<pb::ListRfQsRequest>,
    ) -> Result<Response<pb::ListRfQsResponse>, Status> {
        let caller = self.caller(&request, false)?;
        let r = request.into_inner();
        let page = PageQuery {
            limit: r.limit,
            cursor: r.cursor,
        };
        let non_empty = |s: &str| (!s.is_empty()).then_some(s.to_owned());
        let (status, instrument) = (non_empty(&r.status), non_empty(&r.instrument_id));
        let page = self
            .context
            .commands
            .list_rfqs(&caller, status.as_deref(), instrument.as_deref(), &page)
            .await
            .map_err(service)?;
        Ok(Response::new(pb::ListRfQsResponse {
            rfqs: page.items.iter().map(listed).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    async fn accept_quote(
        &self,
        request: Request<pb::AcceptQuoteRequest>,
    ) -> Result<Response<pb::AcceptQuoteResponse>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let r = request.into_inner();
        require_key(&r.idempotency_key)?;
        let result = self
            .context
            .commands
            .accept_quote(
                &caller,
                &r.rfq_id,
                &r.quote_id,
                r.size.as_deref(),
                Some(r.idempotency_key),
                &correlation,
            )
            .await;
        match decision(result)? {
            (Decision::Traded { rfq_id, trade_id }, correlation_id) => {
                Ok(Response::new(pb::AcceptQuoteResponse {
                    rfq_id: rfq_id.to_string(),
                    trade_id: trade_id.to_string(),
                    status: "TRADED".into(),
                    correlation_id,
                }))
            }
            (other, _) => Err(unexpected(&other)),
        }
    }

    async fn cancel_rfq(
        &self,
        request: Request<pb::CancelRfqRequest>,
    ) -> Result<Response<pb::Rfq>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let id = request.get_ref().rfq_id.clone();
        let result = self
            .context
            .commands
            .cancel_rfq(&caller, &id, &correlation)
            .await;
        match decision(result)? {
            (Decision::Cancelled { .. }, _) => {
                let view = self.view(&caller, &id).await?;
                Ok(Response::new(rfq(&view)))
            }
            (other, _) => Err(unexpected(&other)),
        }
    }

    type WatchRFQStream = ReceiverStream<Result<pb::RfqUpdate, Status>>;

    async fn watch_rfq(
        &self,
        request: Request<pb::WatchRfqRequest>,
    ) -> Result<Response<Self::WatchRFQStream>, Status> {
        let caller = self.caller(&request, false)?;
        let id = request.get_ref().rfq_id.clone();
        // Subscribe first, then read the state: a change in between is seen twice, never lost.
        let mut updates = self.context.ledger.subscribe_updates();
        let view = self.view(&caller, &id).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let ended = matches!(view.status.as_str(), "TRADED" | "EXPIRED" | "CANCELLED");
        let mut first = vec![pb::RfqUpdate {
            rfq_id: id.clone(),
            event: "RFQState".into(),
            status: view.status.clone(),
            detail: view.trade_id.clone().map(pb::rfq_update::Detail::TradeId),
        }];
        first.extend(view.quotes.iter().map(|q| pb::RfqUpdate {
            rfq_id: id.clone(),
            event: "QuoteReceived".into(),
            status: view.status.clone(),
            detail: Some(pb::rfq_update::Detail::Quote(quote(q))),
        }));
        let rfq_id: u64 = id.parse().unwrap_or_default();
        tokio::spawn(async move {
            for update in first {
                if tx.send(Ok(update)).await.is_err() {
                    return;
                }
            }
            if ended {
                return;
            }
            loop {
                let update = match updates.recv().await {
                    Ok(update) => update,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                if update.tenant != caller.claims.tenant || update.user != caller.claims.sub {
                    continue;
                }
                let Some((frame, last)) = rfq_update(rfq_id, &update.change) else {
                    continue;
                };
                if tx.send(Ok(frame)).await.is_err() || last {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

fn unexpected(decision: &Decision) -> Status {
    coded(
        Code::Internal,
        "INTERNAL",
        &format!("unexpected decision {decision:?}"),
    )
}

/// The update of RFQ `id` in a committed change, and whether it ends the RFQ.
fn rfq_update(id: u64, change: &RfqChange) -> Option<(pb::RfqUpdate, bool)> {
    use pb::rfq_update::Detail;
    let update = |event: &str, status: &str, detail| pb::RfqUpdate {
        rfq_id: id.to_string(),
        event: event.into(),
        status: status.into(),
        detail,
    };
    match change {
        RfqChange::QuoteReceived {
            rfq_id,
            quote_id,
            lp_id,
            price,
            size,
            valid_until,
        } if *rfq_id == id => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            let quote = pb::Quote {
                quote_id: quote_id.to_string(),
                lp_id: lp_id.clone(),
                price: price.clone(),
                size: size.clone(),
                rank: 0,
                status: "LIVE".into(),
                valid_for_ms: valid_until.saturating_sub(now) / 1_000_000,
            };
            Some((
                update("QuoteReceived", "QUOTING", Some(Detail::Quote(quote))),
                false,
            ))
        }
        RfqChange::QuoteRejected { rfq_id, reason, .. } if *rfq_id == id => Some((
            update(
                "QuoteAcceptanceRejected",
                "QUOTING",
                Some(Detail::Reason(reason.as_str().into())),
            ),
            false,
        )),
        RfqChange::Traded {
            rfq_id, trade_id, ..
        } if *rfq_id == id => Some((
            update(
                "TradeExecuted",
                "TRADED",
                Some(Detail::TradeId(trade_id.to_string())),
            ),
            true,
        )),
        RfqChange::Closed { rfq_id, state } if *rfq_id == id => {
            let (event, status) = match state {
                orion_hotpath::rfq::RfqState::Expired => ("RFQExpired", "EXPIRED"),
                _ => ("RFQCancelled", "CANCELLED"),
            };
            Some((update(event, status, None), true))
        }
        _ => None,
    }
}
