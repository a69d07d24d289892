//! Orders through the command service: validate and resolve a request, send the command to the
//! engine, answer once its decision is durable. Placing requires an idempotency key (a retry is
//! answered from the stored decision); cancelling an order that is already cancelled answers as
//! the first cancel did, and changing an order that is filled or cancelled is a conflict decided
//! from the stored state — the engine only sees commands for working orders.

use orion_hotpath::book::{NewOrder, OrderId, OrderType, TimeInForce};
use orion_hotpath::rfq::{Command, Reason, Side};
use orion_hotpath::{Price, Qty};
use orion_journal::{Answer, Decision, OrderSnapshot};
pub use orion_store::orders::{FillRecord, OrderFilter, OrderRecord};

use super::{Caller, RfqService, ServiceError, invalid};

/// A new order as a client asks for it (decimals as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    /// Instrument id.
    pub instrument_id: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// `LIMIT` or `MARKET`.
    pub order_type: String,
    /// Quantity (decimal).
    pub qty: String,
    /// Limit price (decimal); required for LIMIT, refused for MARKET.
    pub limit_price: Option<String>,
    /// `GTC`, `IOC` or `FOK`.
    pub time_in_force: String,
}

impl RfqService {
    /// Places an order; the answer is the order's state once durable.
    pub async fn place_order(
        &self,
        caller: &Caller,
        req: &OrderRequest,
        key: String,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let Some(instrument) = self.instruments.id(&req.instrument_id) else {
            return Err(invalid(
                "UNKNOWN_INSTRUMENT",
                format!("unknown instrument {}", req.instrument_id),
            ));
        };
        let spec = self
            .instruments
            .spec(instrument)
            .expect("id from this table");
        let named = &caller.claims.ins;
        if !named.is_empty() && !named.contains(&spec.symbol) {
            return Err(ServiceError::NotEntitled(format!(
                "not entitled to {}",
                spec.symbol
            )));
        }
        let side = match req.side.as_str() {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            _ => return Err(invalid("BAD_REQUEST", "side must be BUY or SELL")),
        };
        let order_type = match req.order_type.as_str() {
            "LIMIT" => OrderType::Limit,
            "MARKET" => OrderType::Market,
            _ => return Err(invalid("BAD_REQUEST", "type must be LIMIT or MARKET")),
        };
        let tif = match req.time_in_force.as_str() {
            "GTC" => TimeInForce::Gtc,
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            _ => {
                return Err(invalid(
                    "BAD_REQUEST",
                    "timeInForce must be GTC, IOC or FOK",
                ));
            }
        };
        let qty = match Qty::parse(&req.qty, spec.size_scale) {
            Ok(q) if q.units() > 0 => q.units(),
            _ => {
                return Err(invalid(
                    "BAD_REQUEST",
                    format!(
                        "qty must be a positive decimal with at most {} places",
                        spec.size_scale
                    ),
                ));
            }
        };
        let price = match (order_type, &req.limit_price) {
            (OrderType::Limit, Some(text)) => match Price::parse(text, spec.price_scale) {
                Ok(p) if p.units() > 0 => p.units(),
                _ => {
                    return Err(invalid(
                        "BAD_REQUEST",
                        format!(
                            "limitPrice must be a positive decimal with at most {} places",
                            spec.price_scale
                        ),
                    ));
                }
            },
            (OrderType::Limit, None) => {
                return Err(invalid("BAD_REQUEST", "a LIMIT order needs limitPrice"));
            }
            (OrderType::Market, Some(_)) => {
                return Err(invalid("BAD_REQUEST", "a MARKET order has no limitPrice"));
            }
            (OrderType::Market, None) => 0,
        };
        let (tenant, user) = (caller.tenant, caller.user);
        let order = NewOrder {
            instrument,
            user,
            side,
            order_type,
            tif,
            price,
            qty,
        };
        self.decide(
            caller,
            "place_order",
            Some(key),
            correlation_id,
            move |request| Command::PlaceOrder {
                request,
                tenant,
                order,
            },
        )
        .await
    }

    /// Cancels a working order of the caller's tenant. Already cancelled: the same answer;
    /// filled: `ORDER_FILLED`.
    pub async fn cancel_order(
        &self,
        caller: &Caller,
        order_id: u64,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        self.change_order(caller, order_id, None, correlation_id)
            .await
    }

    /// Amends a working order: `qty` is the new remaining quantity, `limit_price` the new
    /// price (either may be left out, not both).
    pub async fn amend_order(
        &self,
        caller: &Caller,
        order_id: u64,
        qty: Option<&str>,
        limit_price: Option<&str>,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        if qty.is_none() && limit_price.is_none() {
            return Err(invalid("BAD_REQUEST", "give qty, limitPrice or both"));
        }
        let record = self.stored_order(caller, order_id).await?;
        let spec = self
            .instruments
            .id(&record.instrument)
            .and_then(|id| self.instruments.spec(id))
            .ok_or(ServiceError::NotFound("no such order"))?;
        let qty = match qty {
            None => 0,
            Some(text) => match Qty::parse(text, spec.size_scale) {
                Ok(q) if q.units() > 0 => q.units(),
                _ => return Err(invalid("BAD_REQUEST", "qty must be a positive decimal")),
            },
        };
        let price = match limit_price {
            None => 0,
            Some(_) if record.order_type == "MARKET" => {
                return Err(invalid("BAD_REQUEST", "a MARKET order has no limitPrice"));
            }
            Some(text) => match Price::parse(text, spec.price_scale) {
                Ok(p) if p.units() > 0 => p.units(),
                _ => {
                    return Err(invalid(
                        "BAD_REQUEST",
                        "limitPrice must be a positive decimal",
                    ));
                }
            },
        };
        self.change_order(caller, order_id, Some((qty, price)), correlation_id)
            .await
    }

    async fn stored_order(
        &self,
        caller: &Caller,
        order_id: u64,
    ) -> Result<OrderRecord, ServiceError> {
        let id = i64::try_from(order_id).map_err(|_| ServiceError::NotFound("no such order"))?;
        self.store
            .order(&caller.claims.tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("no such order"))
    }

    async fn change_order(
        &self,
        caller: &Caller,
        order_id: u64,
        change: Option<(i64, i64)>,
        correlation_id: &str,
    ) -> Result<Answer, ServiceError> {
        let record = self.stored_order(caller, order_id).await?;
        if let Some(done) = self.finished(&record, change.is_none(), correlation_id)? {
            return Ok(done);
        }
        let (tenant, user, order) = (caller.tenant, caller.user, OrderId(order_id));
        let operation = if change.is_some() {
            "amend_order"
        } else {
            "cancel_order"
        };
        let answer = self
            .decide(
                caller,
                operation,
                None,
                correlation_id,
                move |request| match change {
                    None => Command::CancelOrder {
                        request,
                        tenant,
                        user,
                        order,
                    },
                    Some((qty, price)) => Command::AmendOrder {
                        request,
                        tenant,
                        user,
                        order,
                        qty,
                        price,
                    },
                },
            )
            .await?;
        match answer.decision {
            // It finished between the read and the engine: answer from what is stored now.
            Decision::Refused {
                reason: Reason::UnknownOrder,
            } => {
                let record = self.stored_order(caller, order_id).await?;
                Ok(self
                    .finished(&record, change.is_none(), correlation_id)?
                    .unwrap_or(answer))
            }
            Decision::Refused {
                reason: Reason::NotOwner,
            } => Err(ServiceError::NotFound("no such order")),
            _ => Ok(answer),
        }
    }

    /// The answer for an order that is no longer working: the cancelled order for a repeated
    /// cancel, a conflict otherwise; `None` while it works.
    fn finished(
        &self,
        record: &OrderRecord,
        cancelling: bool,
        correlation_id: &str,
    ) -> Result<Option<Answer>, ServiceError> {
        match record.status.as_str() {
            "FILLED" => Err(ServiceError::Conflict {
                code: "ORDER_FILLED",
                message: "the order is filled".into(),
            }),
            "CANCELLED" if cancelling => Ok(Some(Answer {
                correlation_id: correlation_id.to_owned(),
                decision: Decision::Order(Box::new(OrderSnapshot::from(record))),
            })),
            "CANCELLED" => Err(ServiceError::Conflict {
                code: "ORDER_CANCELLED",
                message: "the order is cancelled".into(),
            }),
            _ => Ok(None),
        }
    }
}

impl RfqService {
    /// The caller's tenant's orders, newest first, one page (`status`: a state, `WORKING` or
    /// `DONE`).
    pub async fn list_orders(
        &self,
        caller: &Caller,
        filter: &OrderFilter,
        page: &super::PageQuery,
    ) -> Result<super::Paged<OrderRecord>, ServiceError> {
        let request = page.request()?;
        let limit = request.limit as usize;
        let mut rows = self
            .store
            .orders(
                &caller.claims.tenant,
                filter,
                &orion_store::rfqs::PageRequest {
                    limit: request.limit + 1,
                    after: request.after,
                },
            )
            .await?;
        let next_cursor = (rows.len() > limit).then(|| {
            rows.truncate(limit);
            let last = rows.last().expect("a full page");
            super::encode_cursor("", last.order_id)
        });
        Ok(super::Paged {
            items: rows,
            next_cursor,
        })
    }

    /// One order of the caller's tenant with its fills.
    pub async fn order_with_fills(
        &self,
        caller: &Caller,
        order_id: u64,
    ) -> Result<(OrderRecord, Vec<FillRecord>), ServiceError> {
        let record = self.stored_order(caller, order_id).await?;
        let fills = self.store.fills(record.order_id).await?;
        Ok((record, fills))
    }
}
