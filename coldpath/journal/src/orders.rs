//! How the order book's decisions become rows: each order's latest state, its fills, CLOB
//! trades, the `oms.orders` events (`OrderPlaced`, `OrderAcknowledged`, `OrderFilled`,
//! `OrderAmended`, `OrderCancelled`, `OrderRejected`) and `TradeExecuted` with venue `CLOB`.
//!
//! The journal keeps every working order's facts in memory (loaded at start from the store) so
//! a fill does not read its order back. A batch changes them in an overlay that replaces the
//! kept state only once the batch has committed: a failed batch is rendered again from the
//! state before it.

use std::collections::HashMap;

use orion_hotpath::book::{BookEvent, CancelReason, NewOrder, OrderType, TimeInForce};
use orion_hotpath::rfq::{Reason, RequestId, TenantId};
use orion_hotpath::{Price, Qty};
use orion_store::batch::TradeInsert;
use orion_store::orders::{FillRecord, OrderRecord};
use serde_json::json;

use crate::{Committer, Decision, OrderSnapshot, OwnerUpdate, PendingInfo, RfqChange, side_str};
use orion_bridge::clock::rfc3339;

/// A working order's facts and running totals.
#[derive(Debug, Clone)]
pub struct OrderRow {
    /// The stored row (latest state).
    pub record: OrderRecord,
    /// Price decimals of its instrument.
    pub price_scale: u8,
    /// Size decimals of its instrument.
    pub size_scale: u8,
    /// Σ price × quantity of its fills, in units (for the average price).
    pub value: i128,
}

impl OrderRow {
    fn price(&self, units: i64) -> String {
        Price::new(units, self.price_scale).to_string()
    }

    fn qty(&self, units: i64) -> String {
        Qty::new(units, self.size_scale).to_string()
    }

    fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot::from(&self.record)
    }

    /// Re-renders the decimal columns from the units.
    fn refresh(&mut self, at: u64) {
        let r = &mut self.record;
        r.filled_qty = Qty::new(r.filled_units, self.size_scale).to_string();
        r.remaining_qty = Qty::new(r.remaining_units, self.size_scale).to_string();
        r.avg_price = (r.filled_units > 0).then(|| {
            let filled = i128::from(r.filled_units);
            let avg = (self.value + filled / 2) / filled;
            Price::new(avg as i64, self.price_scale).to_string()
        });
        r.updated_at = at as i64;
    }
}

/// What one batch changed about orders, kept apart until it commits.
#[derive(Debug, Default)]
pub(crate) struct OrderBatch {
    /// Orders changed in the batch, as they stand (filled and cancelled ones too).
    overlay: HashMap<i64, OrderRow>,
    /// The trade the fills that follow belong to.
    trade: i64,
}

impl OrderBatch {
    /// Forgets the batch (it is rendered again, or it committed and was merged).
    pub(crate) fn clear(&mut self) {
        self.overlay.clear();
        self.trade = 0;
    }
}

fn is_done(row: &OrderRow) -> bool {
    matches!(row.record.status.as_str(), "FILLED" | "CANCELLED")
}

fn order_type(t: OrderType) -> &'static str {
    match t {
        OrderType::Limit => "LIMIT",
        OrderType::Market => "MARKET",
    }
}

fn tif(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Gtc => "GTC",
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
    }
}

impl Committer {
    /// Remembers the working orders at start (recovery) and where resting priority resumes.
    pub fn resume_orders(&self, rows: Vec<OrderRow>, last_priority: i64) {
        let mut working = self.working_orders();
        for row in rows {
            working.insert(row.record.order_id, row);
        }
        self.next_priority
            .store(last_priority + 1, std::sync::atomic::Ordering::Release);
    }

    /// A read-only view of the committed books (depth, checksums).
    pub fn book_view(&self) -> BookView {
        BookView {
            orders: std::sync::Arc::clone(&self.orders),
            seq: std::sync::Arc::clone(&self.book_seq),
        }
    }

    fn working_orders(&self) -> std::sync::MutexGuard<'_, HashMap<i64, OrderRow>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn order_batch(&self) -> std::sync::MutexGuard<'_, OrderBatch> {
        self.order_batch.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes a committed batch's order changes the kept state.
    pub(crate) fn merge_orders(&self) {
        let mut batch = self.order_batch();
        let mut working = self.working_orders();
        if !batch.overlay.is_empty() {
            self.book_seq
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
        for (id, row) in batch.overlay.drain() {
            if is_done(&row) {
                working.remove(&id);
            } else {
                working.insert(id, row);
            }
        }
        batch.clear();
    }

    fn order_row(&self, id: i64) -> Option<OrderRow> {
        if let Some(row) = self.order_batch().overlay.get(&id) {
            return Some(row.clone());
        }
        self.working_orders().get(&id).cloned()
    }

    /// Stages `row` as its order's latest state (a filled or cancelled order leaves the working
    /// set when the batch commits).
    fn put_order(&self, row: OrderRow, updates: &mut Vec<OwnerUpdate>) {
        let id = row.record.order_id;
        self.stage().orders.insert(id, row.record.clone());
        updates.push(OwnerUpdate {
            tenant: row.record.tenant.clone(),
            user: row.record.user.clone(),
            change: RfqChange::Order(row.snapshot()),
        });
        self.order_batch().overlay.insert(id, row);
    }

    fn order_event(&self, event_type: &str, row: &OrderRow, payload: serde_json::Value, at: u64) {
        let id = row.record.order_id.to_string();
        self.outbox(
            event_type,
            "oms.orders",
            &id,
            &row.record.tenant,
            &row.record.correlation_id,
            "Order",
            &id,
            payload,
            at,
        );
    }

    /// Writes one of the book's events; the answer to its request (the state of the order the
    /// request is about, as it stands after this event).
    pub(crate) fn apply_order(
        &self,
        request: RequestId,
        tenant: TenantId,
        event: &BookEvent,
        at: u64,
        pending: Option<&PendingInfo>,
        updates: &mut Vec<OwnerUpdate>,
    ) -> Option<Decision> {
        let subject = match *event {
            BookEvent::Accepted { order, new } => {
                let row = self.accepted(order.0 as i64, tenant, new, at, pending)?;
                self.put_order(row, updates);
                Some(order.0 as i64)
            }
            BookEvent::Trade {
                seq,
                price,
                qty,
                maker,
                taker,
                aggressor,
                ..
            } => {
                self.order_batch().trade = seq as i64;
                let taker_row = self.order_row(taker.0 as i64)?;
                self.trade(
                    seq,
                    price,
                    qty,
                    (maker.0, taker.0),
                    aggressor,
                    &taker_row,
                    at,
                );
                None
            }
            BookEvent::Filled {
                order,
                price,
                qty,
                remaining,
                filled,
                maker,
                state,
                ..
            } => {
                let mut row = self.order_row(order.0 as i64)?;
                row.value += i128::from(price) * i128::from(qty);
                row.record.remaining_units = remaining;
                row.record.filled_units = filled;
                row.record.status = state.as_str().to_owned();
                if remaining == 0 {
                    row.record.resting = false;
                }
                row.refresh(at);
                let trade_id = self.order_batch().trade;
                let liquidity = if maker { "MAKER" } else { "TAKER" };
                self.stage().fills.push(FillRecord {
                    order_id: row.record.order_id,
                    trade_id,
                    tenant: row.record.tenant.clone(),
                    price: row.price(price),
                    qty: row.qty(qty),
                    liquidity,
                    executed_at: at as i64,
                });
                let payload = json!({
                    "orderId": row.record.order_id.to_string(), "tradeId": trade_id.to_string(),
                    "price": row.price(price), "qty": row.qty(qty), "filledQty": row.record.filled_qty,
                    "remainingQty": row.record.remaining_qty, "status": row.record.status, "liquidity": liquidity,
                });
                self.order_event("OrderFilled", &row, payload, at);
                self.put_order(row, updates);
                Some(order.0 as i64)
            }
            BookEvent::Rested {
                order, remaining, ..
            } => {
                let mut row = self.order_row(order.0 as i64)?;
                row.record.resting = true;
                row.record.remaining_units = remaining;
                row.record.priority = self
                    .next_priority
                    .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                row.refresh(at);
                self.put_order(row, updates);
                Some(order.0 as i64)
            }
            BookEvent::Amended {
                order,
                price,
                remaining,
                kept_priority,
            } => {
                let mut row = self.order_row(order.0 as i64)?;
                let cut = row.record.remaining_units - remaining;
                row.record.original_units -= cut;
                row.record.remaining_units = remaining;
                row.record.qty = row.qty(row.record.filled_units + remaining);
                row.record.price_units = price;
                row.record.limit_price = Some(row.price(price));
                if !kept_priority {
                    row.record.resting = false;
                    row.record.original_units = row.record.filled_units + remaining;
                }
                row.refresh(at);
                let payload = json!({
                    "orderId": row.record.order_id.to_string(), "limitPrice": row.record.limit_price,
                    "qty": row.record.qty, "remainingQty": row.record.remaining_qty, "keptPriority": kept_priority,
                });
                self.order_event("OrderAmended", &row, payload, at);
                if let Some(p) = pending {
                    self.audit(p, "ORDER_AMENDED", "Order", &order.0.to_string(), "", at);
                }
                self.put_order(row, updates);
                Some(order.0 as i64)
            }
            BookEvent::Cancelled {
                order,
                remaining,
                reason,
                ..
            } => {
                let by_kill_switch = reason == CancelReason::KillSwitch;
                let mut row = self.order_row(order.0 as i64)?;
                row.record.status = "CANCELLED".to_owned();
                row.record.cancel_reason = Some(reason.as_str().to_owned());
                row.record.resting = false;
                row.record.remaining_units = 0;
                row.refresh(at);
                let payload = json!({
                    "orderId": row.record.order_id.to_string(), "reason": reason.as_str(),
                    "cancelledQty": row.qty(remaining), "filledQty": row.record.filled_qty,
                });
                self.order_event("OrderCancelled", &row, payload, at);
                if let Some(p) = pending {
                    self.audit(
                        p,
                        "ORDER_CANCELLED",
                        "Order",
                        &order.0.to_string(),
                        reason.as_str(),
                        at,
                    );
                }
                self.put_order(row, updates);
                // A kill switch's cancellations answer nothing: its own event does.
                (!by_kill_switch).then_some(order.0 as i64)
            }
            BookEvent::Rejected { .. } => None,
        };
        // The order the request is about is the first its events name; the request is answered
        // at that order's last event of the command — never earlier, even when the command's
        // events are committed in two batches.
        let primary = {
            let mut requests = self
                .order_requests
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            match subject {
                Some(id) => *requests.entry(request).or_insert(id),
                None => *requests.get(&request)?,
            }
        };
        let last = match *event {
            BookEvent::Filled {
                order, remaining, ..
            } => order.0 as i64 == primary && remaining == 0,
            BookEvent::Rested { order, .. } | BookEvent::Cancelled { order, .. } => {
                order.0 as i64 == primary
            }
            BookEvent::Amended {
                order,
                kept_priority,
                ..
            } => order.0 as i64 == primary && kept_priority,
            _ => false,
        };
        if !last {
            return None;
        }
        pending?;
        self.order_row(primary)
            .map(|row| Decision::Order(Box::new(row.snapshot())))
    }

    /// The row of a newly accepted order; its `OrderPlaced` and `OrderAcknowledged`.
    fn accepted(
        &self,
        order_id: i64,
        tenant: TenantId,
        new: NewOrder,
        at: u64,
        pending: Option<&PendingInfo>,
    ) -> Option<OrderRow> {
        let spec = self.instruments.spec(new.instrument)?;
        let (tenant_name, user_name, correlation_id) = match pending {
            Some(p) => (p.tenant.clone(), p.user.clone(), p.correlation_id.clone()),
            None => (
                self.names.tenant(tenant)?,
                self.names.user(new.user)?,
                String::new(),
            ),
        };
        let limit = (new.order_type == OrderType::Limit)
            .then(|| Price::new(new.price, spec.price_scale).to_string());
        let mut row = OrderRow {
            record: OrderRecord {
                order_id,
                tenant: tenant_name,
                user: user_name,
                instrument: spec.symbol.clone(),
                side: side_str(new.side).to_owned(),
                order_type: order_type(new.order_type).to_owned(),
                time_in_force: tif(new.tif).to_owned(),
                limit_price: limit.clone(),
                qty: Qty::new(new.qty, spec.size_scale).to_string(),
                filled_qty: String::new(),
                remaining_qty: String::new(),
                avg_price: None,
                status: "ACK".to_owned(),
                cancel_reason: None,
                price_units: if new.order_type == OrderType::Limit {
                    new.price
                } else {
                    0
                },
                original_units: new.qty,
                remaining_units: new.qty,
                filled_units: 0,
                priority: 0,
                resting: false,
                correlation_id,
                created_at: at as i64,
                updated_at: at as i64,
            },
            price_scale: spec.price_scale,
            size_scale: spec.size_scale,
            value: 0,
        };
        row.refresh(at);
        let r = &row.record;
        let placed = json!({
            "orderId": r.order_id.to_string(), "instrumentId": r.instrument, "side": r.side,
            "type": r.order_type, "timeInForce": r.time_in_force, "qty": r.qty, "limitPrice": limit,
            "userId": r.user,
        });
        self.order_event("OrderPlaced", &row, placed, at);
        let acknowledged = json!({"orderId": r.order_id.to_string(), "status": "ACK", "instrumentId": r.instrument});
        self.order_event("OrderAcknowledged", &row, acknowledged, at);
        if let Some(p) = pending {
            self.audit(p, "ORDER_PLACED", "Order", &order_id.to_string(), "", at);
        }
        Some(row)
    }

    /// Stages a CLOB trade (the taker's view; the maker sees it through its order's fills).
    #[allow(clippy::too_many_arguments)]
    fn trade(
        &self,
        trade_id: u64,
        price: i64,
        qty: i64,
        (maker, taker): (u64, u64),
        aggressor: orion_hotpath::rfq::Side,
        taker_row: &OrderRow,
        at: u64,
    ) {
        let t = &taker_row.record;
        let (price_text, size) = (taker_row.price(price), taker_row.qty(qty));
        self.stage().trades.push(TradeInsert {
            trade_id: trade_id as i64,
            tenant: t.tenant.clone(),
            rfq_id: 0,
            quote_id: trade_id as i64,
            user: t.user.clone(),
            lp_id: "CLOB".to_owned(),
            instrument: t.instrument.clone(),
            side: side_str(aggressor).to_owned(),
            price: price_text.clone(),
            size: size.clone(),
            executed_at: at as i64,
            correlation_id: t.correlation_id.clone(),
            partial: false,
            venue: "CLOB",
            orders: Some((maker as i64, taker as i64)),
        });
        let mut payload = json!({
            "tradeId": trade_id.to_string(), "venue": "CLOB", "lpId": "CLOB",
            "makerOrderId": maker.to_string(), "takerOrderId": taker.to_string(),
            "aggressorSide": side_str(aggressor), "price": price_text, "executedAt": rfc3339(at),
            "instrumentId": t.instrument, "side": side_str(aggressor), "size": size,
            "requester": t.user, "partial": false,
            "requestedAt": rfc3339(t.created_at.max(0) as u64),
        });
        self.stamp_market(&mut payload, &t.instrument);
        self.outbox(
            "TradeExecuted",
            "execution.trades",
            &trade_id.to_string(),
            &t.tenant,
            &t.correlation_id,
            "Trade",
            &trade_id.to_string(),
            payload,
            at,
        );
    }

    /// Writes a refused order: `OrderRejected` and an audit entry; answers the refusal.
    pub(crate) fn apply_order_rejected(
        &self,
        order: &NewOrder,
        reason: Reason,
        at: u64,
        pending: Option<&PendingInfo>,
    ) -> Option<Decision> {
        let p = pending?;
        let spec = self.instruments.spec(order.instrument)?;
        let limit = (order.order_type == OrderType::Limit)
            .then(|| Price::new(order.price, spec.price_scale).to_string());
        let payload = json!({
            "instrumentId": spec.symbol, "side": side_str(order.side), "type": order_type(order.order_type),
            "timeInForce": tif(order.tif), "qty": Qty::new(order.qty, spec.size_scale).to_string(),
            "limitPrice": limit, "userId": p.user, "reason": reason.as_str(),
        });
        self.outbox(
            "OrderRejected",
            "oms.orders",
            &p.correlation_id,
            &p.tenant,
            &p.correlation_id,
            "Order",
            &p.correlation_id,
            payload,
            at,
        );
        self.audit(p, "ORDER_REJECTED", "Order", "", reason.as_str(), at);
        Some(Decision::Refused { reason })
    }
}

/// A resting order as the depth and checksum read it.
struct Resting {
    id: i64,
    buy: bool,
    price: i64,
    remaining: i64,
    priority: i64,
}

/// One price level of a depth view.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DepthLevel {
    /// Price (decimal).
    pub price: String,
    /// Quantity resting at it (decimal).
    pub qty: String,
    /// Orders resting at it.
    pub orders: u32,
}

/// The committed book of one instrument, best levels first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Depth {
    /// Increases with every committed change to any book.
    pub seq: u64,
    /// Bids, highest first.
    pub bids: Vec<DepthLevel>,
    /// Asks, lowest first.
    pub asks: Vec<DepthLevel>,
}

/// The committed order books, as the journal keeps them: what a restart rebuilds the engine's
/// books from, so depth served from here never shows an order that is not durable.
#[derive(Clone)]
pub struct BookView {
    orders: std::sync::Arc<std::sync::Mutex<HashMap<i64, OrderRow>>>,
    seq: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl BookView {
    /// The sequence of the last committed change.
    pub fn seq(&self) -> u64 {
        self.seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// `instrument`'s resting orders in time priority per side, bids best first then asks best
    /// first, with the instrument's price and size scales.
    fn resting(&self, instrument: &str) -> (Vec<Resting>, u8, u8) {
        let orders = self.orders.lock().unwrap_or_else(|p| p.into_inner());
        let mut scales = (0, 0);
        let mut rows: Vec<Resting> = orders
            .values()
            .filter(|r| r.record.resting && r.record.instrument == instrument)
            .map(|r| {
                scales = (r.price_scale, r.size_scale);
                let o = &r.record;
                Resting {
                    id: o.order_id,
                    buy: o.side == "BUY",
                    price: o.price_units,
                    remaining: o.remaining_units,
                    priority: o.priority,
                }
            })
            .collect();
        // Bids first, best price first, then time priority.
        rows.sort_by_key(|r| (!r.buy, if r.buy { -r.price } else { r.price }, r.priority));
        (rows, scales.0, scales.1)
    }

    /// Up to `levels` levels per side.
    pub fn depth(&self, instrument: &str, levels: usize) -> Depth {
        let seq = self.seq();
        let (rows, price_scale, size_scale) = self.resting(instrument);
        let mut bids: Vec<DepthLevel> = Vec::new();
        let mut asks: Vec<DepthLevel> = Vec::new();
        let mut last: Option<(bool, i64, i64, u32)> = None;
        let flush = |level: (bool, i64, i64, u32),
                     bids: &mut Vec<DepthLevel>,
                     asks: &mut Vec<DepthLevel>| {
            let side = if level.0 { bids } else { asks };
            if side.len() < levels {
                side.push(DepthLevel {
                    price: Price::new(level.1, price_scale).to_string(),
                    qty: Qty::new(level.2, size_scale).to_string(),
                    orders: level.3,
                });
            }
        };
        for Resting {
            buy,
            price,
            remaining,
            ..
        } in rows
        {
            match &mut last {
                Some(l) if l.0 == buy && l.1 == price => {
                    l.2 += remaining;
                    l.3 += 1;
                }
                _ => {
                    if let Some(l) = last.take() {
                        flush(l, &mut bids, &mut asks);
                    }
                    last = Some((buy, price, remaining, 1));
                }
            }
        }
        if let Some(l) = last {
            flush(l, &mut bids, &mut asks);
        }
        Depth { seq, bids, asks }
    }

    /// The checksum of `instrument`'s book, computed as the engine computes it
    /// (`OrderBooks::checksum`): equal checksums mean the same orders in the same queues.
    pub fn checksum(&self, instrument: &str) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |value: u64| {
            for byte in value.to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for r in self.resting(instrument).0 {
            eat(r.id as u64);
            eat(if r.buy { 1 } else { 2 });
            eat(r.price as u64);
            eat(r.remaining as u64);
        }
        hash
    }
}
