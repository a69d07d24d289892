//! Orders in the engine: the order books beside the RFQs, behind the same risk state.
//!
//! A new order passes the pre-trade checks — entitlement, kill switches, largest order
//! quantity, working orders per user, a price band around the current mid (fat finger), and the
//! open notional of the user and of the tenant (shared with open RFQs) — before the book sees
//! it. The book's events then keep the risk state current: a resting order counts its remaining
//! notional against its user and tenant until it fills, is cancelled or is amended.
//! Everything here is as pure as the RFQ engine: no clock, no allocation, no hash map.

use super::*;
use crate::book::{
    BookConfig, BookEvent, BookReject, NewOrder, OrderId, OrderType, RestingOrder, TimeInForce,
};

/// Pre-trade rules and sizing of the order books.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRules {
    /// Book sizing: working orders across every book (the window is set per book).
    pub book: BookConfig,
    /// Largest order, in whole units of the instrument's size.
    pub max_order_qty: i64,
    /// Working orders one user may have.
    pub max_open_orders: u32,
    /// Largest distance of a limit price from the mid, in basis points of the mid.
    pub price_band_bp: i64,
}

impl Default for OrderRules {
    fn default() -> Self {
        Self {
            book: BookConfig::default(),
            max_order_qty: 10_000_000,
            max_open_orders: 1_000,
            price_band_bp: 500,
        }
    }
}

/// Widest book window, in price levels.
const MAX_LEVELS: i64 = 1 << 16;

/// What risk remembers of one working order (indexed by its book slot).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OrderRisk {
    tenant: u16,
    user: u32,
    instrument: u32,
    resting: bool,
    notional: i64,
}

/// A user's working orders, as risk counts them.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct UserOrders {
    open: u32,
    notional: i64,
}

/// Risk bookkeeping of working orders, apart from the books so both can be borrowed at once.
#[derive(Debug)]
pub(super) struct OrderLedger {
    slots: Box<[OrderRisk]>,
    users: Box<[UserOrders]>,
}

impl OrderLedger {
    pub(super) fn new(capacity: usize, users: usize) -> Self {
        Self {
            slots: vec![OrderRisk::default(); capacity].into_boxed_slice(),
            users: vec![UserOrders::default(); users].into_boxed_slice(),
        }
    }

    fn tenant_of(&self, order: OrderId) -> TenantId {
        TenantId(self.slots[order.slot() as usize].tenant)
    }

    /// Moves `slot`'s counted notional to `notional` (0 and not resting when it left the book).
    fn recount(&mut self, slot: u32, resting: bool, notional: i64, tenants: &mut [TenantState]) {
        let risk = &mut self.slots[slot as usize];
        let user = &mut self.users[risk.user as usize];
        let tenant = &mut tenants[usize::from(risk.tenant)];
        user.notional += notional - risk.notional;
        tenant.open_notional += notional - risk.notional;
        match (risk.resting, resting) {
            (false, true) => user.open += 1,
            (true, false) => user.open -= 1,
            _ => {}
        }
        risk.resting = resting;
        risk.notional = notional;
    }

    /// Keeps the counts current with one of the book's events.
    fn account(
        &mut self,
        event: &BookEvent,
        users: &[UserState],
        instruments: &[InstrumentRef],
        tenants: &mut [TenantState],
    ) {
        let value = |risk: &OrderRisk, qty: i64, price: i64| {
            notional(
                qty,
                price.saturating_mul(2),
                instruments[risk.instrument as usize],
            )
        };
        match *event {
            BookEvent::Accepted { order, new } => {
                self.slots[order.slot() as usize] = OrderRisk {
                    tenant: users[new.user.0 as usize].user.tenant.0,
                    user: new.user.0,
                    instrument: new.instrument.raw(),
                    resting: false,
                    notional: 0,
                };
            }
            BookEvent::Rested {
                order,
                price,
                remaining,
            } => {
                let n = value(&self.slots[order.slot() as usize], remaining, price);
                self.recount(order.slot(), true, n, tenants);
            }
            BookEvent::Filled {
                order,
                price,
                remaining,
                ..
            } => {
                let risk = self.slots[order.slot() as usize];
                // Only a resting order counts; it always trades at its own price.
                if risk.resting {
                    let n = value(&risk, remaining, price);
                    self.recount(order.slot(), remaining > 0, n, tenants);
                }
            }
            BookEvent::Amended {
                order,
                price,
                remaining,
                kept_priority,
            } => {
                let risk = self.slots[order.slot() as usize];
                if kept_priority {
                    let n = value(&risk, remaining, price);
                    self.recount(order.slot(), true, n, tenants);
                } else {
                    // It left its level; `Rested` counts it again if it rests.
                    self.recount(order.slot(), false, 0, tenants);
                }
            }
            BookEvent::Cancelled { order, .. } => {
                self.recount(order.slot(), false, 0, tenants);
            }
            BookEvent::Trade { .. } | BookEvent::Rejected { .. } => {}
        }
    }
}

/// The engine's reason for a refusal by the book.
fn book_reason(reject: BookReject) -> Reason {
    match reject {
        BookReject::UnknownInstrument | BookReject::BadQuantity | BookReject::BadAmend => {
            Reason::Invalid
        }
        BookReject::BadPrice => Reason::BadPrice,
        BookReject::PriceOutOfRange => Reason::PriceBand,
        BookReject::BookFull => Reason::Capacity,
        BookReject::UnknownOrder => Reason::UnknownOrder,
        BookReject::NotOwner => Reason::NotOwner,
    }
}

/// Hands the book's events on as engine events, after counting them; remembers a refusal.
struct Relay<'a, E> {
    ledger: &'a mut OrderLedger,
    users: &'a [UserState],
    instruments: &'a [InstrumentRef],
    tenants: &'a mut [TenantState],
    next_trade: &'a mut u64,
    request: RequestId,
    tenant: TenantId,
    at: u64,
    rejected: Option<BookReject>,
    emit: &'a mut E,
}

impl<E: FnMut(RfqEvent)> Relay<'_, E> {
    fn on(&mut self, mut event: BookEvent) {
        if let BookEvent::Rejected { reason, .. } = event {
            self.rejected = Some(reason);
            return;
        }
        self.ledger
            .account(&event, self.users, self.instruments, self.tenants);
        let tenant = match event {
            BookEvent::Accepted { .. } | BookEvent::Rejected { .. } => self.tenant,
            BookEvent::Filled { order, .. }
            | BookEvent::Cancelled { order, .. }
            | BookEvent::Amended { order, .. }
            | BookEvent::Rested { order, .. } => self.ledger.tenant_of(order),
            BookEvent::Trade { taker, .. } => self.ledger.tenant_of(taker),
        };
        if let BookEvent::Trade { seq, .. } = &mut event {
            *seq = *self.next_trade;
            *self.next_trade += 1;
        }
        (self.emit)(RfqEvent::Order {
            request: self.request,
            tenant,
            event,
            at: self.at,
        });
    }
}

impl RfqEngine {
    /// Opens `instrument`'s order book around `center` (price units) on its tick grid, wide
    /// enough for twice the price band either side (set-up time: allocates the levels once).
    pub fn open_book(&mut self, instrument: InstrumentId, center: i64, tick: i64) {
        if center <= 0 || tick <= 0 {
            return;
        }
        let reach = i128::from(center) * i128::from(self.config.orders.price_band_bp) * 2
            / 10_000
            / i128::from(tick);
        let levels = (2 * reach as i64 + 1).clamp(64, MAX_LEVELS) as u32;
        let center = center - center % tick;
        self.books.open_window(instrument, center, tick, levels);
    }

    /// The order books (depth, checksums, views).
    pub fn books(&self) -> &OrderBooks {
        &self.books
    }

    /// Puts a working order back (recovery), counting it against its user and tenant. Call in
    /// priority order.
    pub fn restore_order(&mut self, order: RestingOrder) -> Result<(), EngineError> {
        let Some(state) = self.users.get(order.user.0 as usize) else {
            return Err(EngineError::Restore);
        };
        if state.user == NO_USER {
            return Err(EngineError::Restore);
        }
        let tenant = state.user.tenant;
        self.books
            .restore(order)
            .map_err(|_| EngineError::Restore)?;
        let accepted = BookEvent::Accepted {
            order: order.id,
            new: NewOrder {
                instrument: order.instrument,
                user: order.user,
                side: order.side,
                order_type: OrderType::Limit,
                tif: TimeInForce::Gtc,
                price: order.price,
                qty: order.original,
            },
        };
        let rested = BookEvent::Rested {
            order: order.id,
            price: order.price,
            remaining: order.remaining,
        };
        for event in [accepted, rested] {
            self.order_ledger
                .account(&event, &self.users, &self.instruments, &mut self.tenants);
        }
        debug_assert_eq!(self.order_ledger.tenant_of(order.id), tenant);
        Ok(())
    }

    /// Pre-trade risk for a new order; the refusal, if any.
    fn order_risk(&self, tenant: TenantId, new: &NewOrder) -> Option<Reason> {
        let (Some(spec), Some(state)) = (
            self.instruments.get(new.instrument.index()).copied(),
            self.users.get(new.user.0 as usize),
        ) else {
            return Some(Reason::Invalid);
        };
        let user = state.user;
        if user.tenant != tenant || new.qty <= 0 || !self.books.is_open(new.instrument) {
            return Some(Reason::Invalid);
        }
        if self.global_kill {
            return Some(Reason::KillSwitchGlobal);
        }
        if self.tenants[usize::from(tenant.0)].killed {
            return Some(Reason::KillSwitchTenant);
        }
        if user.entitlements & class_bit(spec.asset_class) == 0 {
            return Some(Reason::NotEntitled);
        }
        let rules = self.config.orders;
        let max_qty = rules
            .max_order_qty
            .saturating_mul(crate::fixed::pow10(spec.size_scale));
        if new.qty > max_qty {
            return Some(Reason::MaxOrderQty);
        }
        let orders = self.order_ledger.users[new.user.0 as usize];
        if orders.open >= rules.max_open_orders {
            return Some(Reason::MaxOpenOrders);
        }
        let mid_x2 = self.mids_x2[new.instrument.index()];
        if mid_x2 <= 0 {
            return Some(Reason::NoMarketData);
        }
        let price_x2 = match new.order_type {
            OrderType::Market => mid_x2,
            OrderType::Limit => {
                if new.price <= 0 {
                    return Some(Reason::BadPrice);
                }
                if outside_band(new.price, mid_x2, rules.price_band_bp) {
                    return Some(Reason::PriceBand);
                }
                new.price.saturating_mul(2)
            }
        };
        let value = notional(new.qty, price_x2, spec);
        let tenant_state = &self.tenants[usize::from(tenant.0)];
        if orders.notional.saturating_add(value) > user.max_notional
            || tenant_state.open_notional.saturating_add(value) > tenant_state.max_open_notional
        {
            return Some(Reason::NotionalLimit);
        }
        None
    }

    /// Places an order: risk, then the book.
    pub(super) fn place_order(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        new: NewOrder,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        if let Some(reason) = self.order_risk(tenant, &new) {
            if reason.is_risk_breach() {
                emit(RfqEvent::RiskLimitBreached {
                    request,
                    tenant,
                    user: new.user,
                    reason,
                    at,
                });
            }
            return emit(RfqEvent::OrderRejected {
                request,
                tenant,
                order: new,
                reason,
                at,
            });
        }
        let rejected = self.with_books(request, tenant, at, emit, |books, relay| {
            books.place(new, &mut |e| relay.on(e));
        });
        if let Some(reject) = rejected {
            emit(RfqEvent::OrderRejected {
                request,
                tenant,
                order: new,
                reason: book_reason(reject),
                at,
            });
        }
    }

    /// Cancels or amends a working order of the caller.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn change_order(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        user: UserId,
        order: OrderId,
        change: Option<(i64, i64)>,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        let refuse = |reason| refused(request, None, reason, at);
        match self.users.get(user.0 as usize) {
            Some(state) if state.user.tenant == tenant => {}
            _ => return emit(refuse(Reason::Invalid)),
        }
        if let (Some((qty, price)), Some(view)) = (change, self.books.order(order)) {
            if let Some(reason) = self.amend_risk(tenant, user, view, qty, price) {
                return emit(refuse(reason));
            }
        }
        let rejected = self.with_books(request, tenant, at, emit, |books, relay| match change {
            None => books.cancel(user, order, &mut |e| relay.on(e)),
            Some((qty, price)) => books.amend(
                user,
                order,
                (qty != 0).then_some(qty),
                (price != 0).then_some(price),
                &mut |e| relay.on(e),
            ),
        });
        if let Some(reject) = rejected {
            emit(refuse(book_reason(reject)));
        }
    }

    /// Risk for an amendment: the new price within the band, the new size within the limits.
    fn amend_risk(
        &self,
        tenant: TenantId,
        user: UserId,
        view: crate::book::OrderView,
        qty: i64,
        price: i64,
    ) -> Option<Reason> {
        let spec = self.instruments[view.instrument.index()];
        let rules = self.config.orders;
        let (qty, price) = (
            if qty == 0 { view.remaining } else { qty },
            if price == 0 { view.price } else { price },
        );
        if qty
            > rules
                .max_order_qty
                .saturating_mul(crate::fixed::pow10(spec.size_scale))
        {
            return Some(Reason::MaxOrderQty);
        }
        let mid_x2 = self.mids_x2[view.instrument.index()];
        if price != view.price && mid_x2 > 0 && outside_band(price, mid_x2, rules.price_band_bp) {
            return Some(Reason::PriceBand);
        }
        let before = notional(view.remaining, view.price.saturating_mul(2), spec);
        let growth = notional(qty, price.saturating_mul(2), spec) - before;
        let orders = self.order_ledger.users[user.0 as usize];
        let tenant_state = &self.tenants[usize::from(tenant.0)];
        let limit = self.users[user.0 as usize].user.max_notional;
        if growth > 0
            && (orders.notional.saturating_add(growth) > limit
                || tenant_state.open_notional.saturating_add(growth)
                    > tenant_state.max_open_notional)
        {
            return Some(Reason::NotionalLimit);
        }
        None
    }

    /// Cancels the resting orders of `scope` (a kill switch with `cancelResting`).
    pub(super) fn cancel_resting(
        &mut self,
        request: RequestId,
        scope: KillScope,
        at: u64,
        emit: &mut impl FnMut(RfqEvent),
    ) {
        let users = &self.users;
        let tenant = match scope {
            KillScope::Tenant(t) => t,
            KillScope::Global => TenantId(u16::MAX),
        };
        let in_scope = |user: UserId| match scope {
            KillScope::Global => true,
            KillScope::Tenant(t) => users
                .get(user.0 as usize)
                .is_some_and(|state| state.user.tenant == t),
        };
        let mut relay = Relay {
            ledger: &mut self.order_ledger,
            users,
            instruments: &self.instruments,
            tenants: &mut self.tenants,
            next_trade: &mut self.next_trade,
            request,
            tenant,
            at,
            rejected: None,
            emit,
        };
        self.books.cancel_where(in_scope, &mut |e| relay.on(e));
    }

    /// Runs `f` on the books with a relay that accounts and forwards their events; the book's
    /// refusal, if it refused.
    fn with_books<E: FnMut(RfqEvent)>(
        &mut self,
        request: RequestId,
        tenant: TenantId,
        at: u64,
        emit: &mut E,
        f: impl FnOnce(&mut OrderBooks, &mut Relay<'_, E>),
    ) -> Option<BookReject> {
        let mut relay = Relay {
            ledger: &mut self.order_ledger,
            users: &self.users,
            instruments: &self.instruments,
            tenants: &mut self.tenants,
            next_trade: &mut self.next_trade,
            request,
            tenant,
            at,
            rejected: None,
            emit,
        };
        f(&mut self.books, &mut relay);
        relay.rejected
    }
}

/// True when `price` is further from the mid (×2) than `band_bp` basis points of it.
fn outside_band(price: i64, mid_x2: i64, band_bp: i64) -> bool {
    let distance = (i128::from(price) * 2 - i128::from(mid_x2)).abs();
    distance * 10_000 > i128::from(mid_x2) * i128::from(band_bp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{CancelReason, OrderState};
    use crate::instrument::AssetClass;

    const EUR: InstrumentId = InstrumentId::from_index(0);

    fn engine(rules: OrderRules) -> RfqEngine {
        let instruments = [InstrumentRef {
            asset_class: AssetClass::Fx,
            price_scale: 5,
            size_scale: 2,
        }];
        let user = |tenant| UserRef {
            tenant: TenantId(tenant),
            entitlements: class_bit(AssetClass::Fx),
            max_notional: 10_000_000,
            max_rfqs_per_sec: 100,
        };
        let config = EngineConfig {
            orders: rules,
            ..EngineConfig::default()
        };
        let mut engine =
            RfqEngine::new(config, &instruments, &[user(0), user(0), user(1)], 2, &[]).unwrap();
        engine.open_book(EUR, 108_000, 1);
        engine.handle_mid(EUR, 216_000);
        engine
    }

    fn place(
        engine: &mut RfqEngine,
        user: u32,
        side: Side,
        price: i64,
        qty_whole: i64,
    ) -> Vec<RfqEvent> {
        let tenant = TenantId(if user == 2 { 1 } else { 0 });
        let mut out = Vec::new();
        let order = NewOrder {
            instrument: EUR,
            user: UserId(user),
            side,
            order_type: OrderType::Limit,
            tif: TimeInForce::Gtc,
            price,
            qty: qty_whole * 100,
        };
        engine.handle(
            &EngineCommand {
                at: 1,
                command: Command::PlaceOrder {
                    request: RequestId(u64::from(user) * 1000 + out.len() as u64),
                    tenant,
                    order,
                },
            },
            &mut |e| out.push(e),
        );
        out
    }

    fn rejected(events: &[RfqEvent]) -> Option<Reason> {
        events.iter().find_map(|e| match e {
            RfqEvent::OrderRejected { reason, .. } => Some(*reason),
            _ => None,
        })
    }

    #[test]
    fn refusals_name_the_rule_and_breaches_are_reported() {
        let mut e = engine(OrderRules {
            max_open_orders: 2,
            ..OrderRules::default()
        });
        let oversize = place(&mut e, 0, Side::Buy, 108_000, 30_000_000);
        assert_eq!(rejected(&oversize), Some(Reason::MaxOrderQty));
        assert!(matches!(oversize[0], RfqEvent::RiskLimitBreached { .. }));
        assert_eq!(
            rejected(&place(&mut e, 0, Side::Buy, 120_000, 1_000)),
            Some(Reason::PriceBand),
            "11 % through the mid"
        );
        assert_eq!(
            rejected(&place(&mut e, 0, Side::Buy, 107_000, 60_000_000 / 100)),
            None
        );
        assert_eq!(
            rejected(&place(&mut e, 0, Side::Buy, 107_000, 9_000_000)),
            Some(Reason::NotionalLimit),
            "the resting order's notional counts"
        );
        assert_eq!(rejected(&place(&mut e, 0, Side::Buy, 107_001, 1)), None);
        assert_eq!(
            rejected(&place(&mut e, 0, Side::Buy, 107_002, 1)),
            Some(Reason::MaxOpenOrders)
        );
    }

    #[test]
    fn a_cross_between_tenants_trades_once_and_frees_the_makers_limits() {
        let mut e = engine(OrderRules::default());
        place(&mut e, 2, Side::Sell, 108_010, 3_000_000);
        assert_eq!(e.order_ledger.users[2].open, 1);
        assert!(e.tenants[1].open_notional > 3_000_000);
        let events = place(&mut e, 0, Side::Buy, 108_020, 3_000_000);
        let trades: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                RfqEvent::Order {
                    event: BookEvent::Trade { seq, price, .. },
                    tenant,
                    ..
                } => Some((*seq, *price, *tenant)),
                _ => None,
            })
            .collect();
        assert_eq!(trades, [(1, 108_010, TenantId(0))], "at the maker's price");
        let maker_fill = events.iter().any(|e| {
            matches!(
                e,
                RfqEvent::Order {
                    tenant: TenantId(1),
                    event: BookEvent::Filled {
                        maker: true,
                        state: OrderState::Filled,
                        ..
                    },
                    ..
                }
            )
        });
        assert!(maker_fill, "the maker's fill names the maker's tenant");
        assert_eq!(e.order_ledger.users[2].open, 0);
        assert_eq!(e.tenants[1].open_notional, 0);
        assert_eq!(e.tenants[0].open_notional, 0, "the taker never rested");
    }

    #[test]
    fn a_kill_switch_with_cancel_resting_cancels_only_its_tenant() {
        let mut e = engine(OrderRules::default());
        place(&mut e, 0, Side::Buy, 107_900, 1_000);
        place(&mut e, 2, Side::Buy, 107_900, 1_000);
        let mut out = Vec::new();
        e.handle(
            &EngineCommand {
                at: 2,
                command: Command::SetKillSwitch {
                    request: RequestId(9),
                    scope: KillScope::Tenant(TenantId(0)),
                    enabled: true,
                    cancel_resting: true,
                },
            },
            &mut |ev| out.push(ev),
        );
        let cancelled: Vec<_> = out
            .iter()
            .filter_map(|ev| match ev {
                RfqEvent::Order {
                    tenant,
                    event:
                        BookEvent::Cancelled {
                            reason: CancelReason::KillSwitch,
                            ..
                        },
                    ..
                } => Some(*tenant),
                _ => None,
            })
            .collect();
        assert_eq!(cancelled, [TenantId(0)]);
        assert!(matches!(
            out.last(),
            Some(RfqEvent::KillSwitchChanged { .. })
        ));
        assert_eq!(
            rejected(&place(&mut e, 0, Side::Buy, 107_900, 1)),
            Some(Reason::KillSwitchTenant)
        );
        assert_eq!(e.books().working(), 1);
    }

    #[test]
    fn restored_orders_keep_their_ids_and_count_against_limits() {
        let mut e = engine(OrderRules::default());
        place(&mut e, 0, Side::Buy, 107_900, 1_000);
        place(&mut e, 0, Side::Buy, 107_900, 2_000);
        let mut resting = Vec::new();
        e.books().resting(EUR, |id, side, price, remaining| {
            resting.push((id, side, price, remaining))
        });
        let mut fresh = engine(OrderRules::default());
        for (id, side, price, remaining) in &resting {
            fresh
                .restore_order(RestingOrder {
                    id: *id,
                    instrument: EUR,
                    user: UserId(0),
                    side: *side,
                    price: *price,
                    original: *remaining,
                    remaining: *remaining,
                    filled: 0,
                })
                .unwrap();
        }
        assert_eq!(fresh.books().checksum(EUR), e.books().checksum(EUR));
        assert_eq!(fresh.order_ledger.users[0].open, 2);
        assert_eq!(fresh.tenants[0].open_notional, e.tenants[0].open_notional);
        let next = place(&mut fresh, 0, Side::Buy, 107_900, 1);
        let accepted = next.iter().find_map(|ev| match ev {
            RfqEvent::Order {
                event: BookEvent::Accepted { order, .. },
                ..
            } => Some(*order),
            _ => None,
        });
        assert!(
            accepted.unwrap().generation() > resting[1].0.generation(),
            "serials continue after the restored ones"
        );
    }
}
