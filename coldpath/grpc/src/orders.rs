//! `OrderService`: place, cancel, amend, get, list and watch orders through the same command
//! service as `POST /orders` — one implementation of every rule. Placing requires an
//! idempotency key; a retry with it is answered from the stored decision.

use orion_journal::{Decision, OrderSnapshot, RfqChange};
use orion_services::rfq::orders::{OrderFilter, OrderRecord, OrderRequest};
use orion_services::rfq::{Caller, PageQuery};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status};

use crate::GrpcContext;
use crate::auth::correlation_id;
use crate::pb::{self, order_service_server::OrderService};
use crate::rfq::side;
use crate::status::{coded, refusal, require_key, service};

pub struct Orders {
    context: GrpcContext,
}

impl Orders {
    pub fn new(context: GrpcContext) -> Self {
        Self { context }
    }

    fn caller<T>(&self, request: &Request<T>, trading: bool) -> Result<Caller, Status> {
        crate::rfq::caller(&self.context, request, trading)
    }
}

fn order_type(s: &str) -> i32 {
    match s {
        "LIMIT" => pb::OrderType::Limit as i32,
        "MARKET" => pb::OrderType::Market as i32,
        _ => pb::OrderType::Unspecified as i32,
    }
}

fn tif(s: &str) -> i32 {
    match s {
        "GTC" => pb::TimeInForce::Gtc as i32,
        "IOC" => pb::TimeInForce::Ioc as i32,
        "FOK" => pb::TimeInForce::Fok as i32,
        _ => pb::TimeInForce::Unspecified as i32,
    }
}

/// An order as the API shows it.
fn order(o: &OrderSnapshot, correlation_id: &str) -> pb::Order {
    pb::Order {
        order_id: o.order_id.to_string(),
        instrument_id: o.instrument_id.clone(),
        side: side(&o.side),
        r#type: order_type(&o.order_type),
        time_in_force: tif(&o.time_in_force),
        qty: o.qty.clone(),
        limit_price: o.limit_price.clone(),
        status: o.status.clone(),
        filled_qty: o.filled_qty.clone(),
        remaining_qty: o.remaining_qty.clone(),
        avg_price: o.avg_price.clone(),
        updated_at_ns: o.updated_at,
        correlation_id: correlation_id.to_owned(),
    }
}

fn stored(r: &OrderRecord) -> pb::Order {
    order(&OrderSnapshot::from(r), &r.correlation_id)
}

/// The order a command answered with, or its refusal.
fn answered(
    result: Result<orion_journal::Answer, orion_services::rfq::ServiceError>,
) -> Result<Response<pb::Order>, Status> {
    let answer = result.map_err(service)?;
    match answer.decision {
        Decision::Order(o) => Ok(Response::new(order(&o, &answer.correlation_id))),
        Decision::Refused { reason } => Err(refusal(reason)),
        other => Err(coded(
            Code::Internal,
            "INTERNAL",
            &format!("unexpected decision {other:?}"),
        )),
    }
}

fn order_id(text: &str) -> Result<u64, Status> {
    text.parse()
        .map_err(|_| coded(Code::NotFound, "NOT_FOUND", "no such order"))
}

/// The API name of an enum value, among `names`; `None` for unspecified or unknown values.
fn name<T>(value: i32, names: &[(T, &'static str)]) -> Option<&'static str>
where
    T: TryFrom<i32> + PartialEq,
{
    let value = T::try_from(value).ok()?;
    names.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
}

#[tonic::async_trait]
impl OrderService for Orders {
    async fn place_order(
        &self,
        request: Request<pb::PlaceOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let r = request.into_inner();
        require_key(&r.idempotency_key)?;
        let bad = |what: &str| coded(Code::InvalidArgument, "BAD_REQUEST", what);
        let side = name(r.side, &[(pb::Side::Buy, "BUY"), (pb::Side::Sell, "SELL")])
            .ok_or_else(|| bad("side must be BUY or SELL"))?;
        let order_type = name(
            r.r#type,
            &[
                (pb::OrderType::Limit, "LIMIT"),
                (pb::OrderType::Market, "MARKET"),
            ],
        )
        .ok_or_else(|| bad("type must be LIMIT or MARKET"))?;
        let time_in_force = name(
            r.time_in_force,
            &[
                (pb::TimeInForce::Gtc, "GTC"),
                (pb::TimeInForce::Ioc, "IOC"),
                (pb::TimeInForce::Fok, "FOK"),
            ],
        )
        .unwrap_or("GTC");
        let request = OrderRequest {
            instrument_id: r.instrument_id,
            side: side.into(),
            order_type: order_type.into(),
            qty: r.qty,
            limit_price: r.limit_price,
            time_in_force: time_in_force.into(),
        };
        answered(
            self.context
                .commands
                .place_order(&caller, &request, r.idempotency_key, &correlation)
                .await,
        )
    }

    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let id = order_id(&request.get_ref().order_id)?;
        answered(
            self.context
                .commands
                .cancel_order(&caller, id, &correlation)
                .await,
        )
    }

    async fn amend_order(
        &self,
        request: Request<pb::AmendOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let caller = self.caller(&request, true)?;
        let correlation = correlation_id(&request);
        let r = request.into_inner();
        let id = order_id(&r.order_id)?;
        answered(
            self.context
                .commands
                .amend_order(
                    &caller,
                    id,
                    r.qty.as_deref(),
                    r.limit_price.as_deref(),
                    &correlation,
                )
                .await,
        )
    }

    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::OrderWithFills>, Status> {
        let caller = self.caller(&request, false)?;
        let id = order_id(&request.get_ref().order_id)?;
        let (record, fills) = self
            .context
            .commands
            .order_with_fills(&caller, id)
            .await
            .map_err(service)?;
        Ok(Response::new(pb::OrderWithFills {
            order: Some(stored(&record)),
            fills: fills
                .iter()
                .map(|f| pb::Fill {
                    trade_id: f.trade_id.to_string(),
                    price: f.price.clone(),
                    qty: f.qty.clone(),
                    liquidity: f.liquidity.to_owned(),
                    executed_at_ns: f.executed_at as u64,
                })
                .collect(),
        }))
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        let caller = self.caller(&request, false)?;
        let r = request.into_inner();
        let filter = OrderFilter {
            status: r.status,
            instrument: r.instrument_id,
        };
        let page = PageQuery {
            limit: r.limit,
            cursor: r.cursor,
        };
        let page = self
            .context
            .commands
            .list_orders(&caller, &filter, &page)
            .await
            .map_err(service)?;
        Ok(Response::new(pb::ListOrdersResponse {
            orders: page.items.iter().map(stored).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    type WatchOrdersStream = ReceiverStream<Result<pb::Order, Status>>;

    async fn watch_orders(
        &self,
        request: Request<pb::WatchOrdersRequest>,
    ) -> Result<Response<Self::WatchOrdersStream>, Status> {
        let caller = self.caller(&request, false)?;
        let mut updates = self.context.ledger.subscribe_updates();
        let (tx, rx) = tokio::sync::mpsc::channel(256);
        tokio::spawn(async move {
            loop {
                let update = match updates.recv().await {
                    Ok(update) => update,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(skipped)) => {
                        tracing::debug!(skipped, "order watcher fell behind");
                        continue;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                };
                let RfqChange::Order(o) = &update.change else {
                    continue;
                };
                if update.tenant != caller.claims.tenant || update.user != caller.claims.sub {
                    continue;
                }
                if tx.send(Ok(order(o, ""))).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
