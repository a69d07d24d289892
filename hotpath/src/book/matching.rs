//! Matching. One [`OrderBooks`] holds a [`Ladder`] per instrument and one [`OrderPool`] for all
//! of them; every command runs to completion and reports what it did through `emit`, in a fixed
//! order, without allocating.
//!
//! An arriving order (new, or amended to a new price or a larger size) is a **taker**: it walks
//! the opposite side from the best level while the price crosses (any price for MARKET), and
//! within a level from the head (time priority). Each match is one trade at the resting order's
//! price: `Trade`, then `Filled` for the maker, then for the taker. A resting order of the
//! taker's own user is cancelled instead of traded against (self-trade prevention). FOK checks
//! first that the whole quantity can fill against other users' orders and does nothing
//! otherwise; IOC and MARKET cancel what did not fill; GTC LIMIT rests the remainder at the back
//! of its level.

use super::ladder::Ladder;
use super::pool::{NIL, OrderPool};
use super::types::*;
use crate::instrument::InstrumentId;
use crate::rfq::{Side, UserId};

/// Sizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookConfig {
    /// Working orders across every book.
    pub capacity: usize,
    /// Price levels per book (a window of ticks around the price it opened at).
    pub levels: u32,
}

impl Default for BookConfig {
    fn default() -> Self {
        Self {
            capacity: 1 << 16,
            levels: 8_192,
        }
    }
}

/// What a working order looks like from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    /// Id.
    pub id: OrderId,
    /// Instrument index.
    pub instrument: InstrumentId,
    /// Owner.
    pub user: UserId,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: i64,
    /// Quantity ordered.
    pub original: i64,
    /// Left to fill.
    pub remaining: i64,
    /// Filled.
    pub filled: i64,
    /// State.
    pub state: OrderState,
}

/// Every instrument's book.
#[derive(Debug)]
pub struct OrderBooks {
    books: Box<[Option<Ladder>]>,
    pool: OrderPool,
    levels: u32,
    trades: u64,
    /// The next order's serial (the high half of its id).
    next_serial: u32,
}

/// A working order put back by recovery, exactly as it stood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    /// Its id (slot and serial).
    pub id: OrderId,
    /// Instrument.
    pub instrument: InstrumentId,
    /// Owner.
    pub user: UserId,
    /// Side.
    pub side: Side,
    /// Limit price (price units).
    pub price: i64,
    /// Quantity it was placed (or last re-prioritised) for.
    pub original: i64,
    /// Still to fill.
    pub remaining: i64,
    /// Filled so far.
    pub filled: i64,
}

fn crosses(taker: Side, limit: Option<i64>, level_price: i64) -> bool {
    match (taker, limit) {
        (_, None) => true,
        (Side::Buy, Some(limit)) => level_price <= limit,
        (Side::Sell, Some(limit)) => level_price >= limit,
    }
}

fn opposite(side: Side) -> Side {
    match side {
        Side::Buy => Side::Sell,
        Side::Sell => Side::Buy,
    }
}

impl OrderBooks {
    /// Room for `instruments` books (opened one by one) and `config.capacity` working orders.
    pub fn new(instruments: usize, config: BookConfig) -> Self {
        Self {
            books: (0..instruments).map(|_| None).collect(),
            pool: OrderPool::new(config.capacity),
            levels: config.levels,
            trades: 0,
            next_serial: 1,
        }
    }

    /// Opens `instrument`'s book around `center` with `levels` price levels of `tick` (set-up
    /// time: this allocates the book's levels once).
    pub fn open_window(&mut self, instrument: InstrumentId, center: i64, tick: i64, levels: u32) {
        if let Some(slot) = self.books.get_mut(instrument.index()) {
            if slot.is_none() {
                *slot = Some(Ladder::new(center, tick, levels));
            }
        }
    }

    /// The serial the next accepted order gets.
    pub fn next_serial(&self) -> u32 {
        self.next_serial
    }

    /// Resumes order serials after a restart (never below the current one).
    pub fn resume_serials(&mut self, next: u32) {
        self.next_serial = self.next_serial.max(next);
    }

    /// Puts a working order back into its book at the back of its level, with its old id.
    /// Recovery calls this in priority order, so each level's queue is what it was.
    pub fn restore(&mut self, order: RestingOrder) -> Result<(), BookReject> {
        let Some(book) = self.book(order.instrument) else {
            return Err(BookReject::UnknownInstrument);
        };
        if order.remaining <= 0 || order.filled < 0 {
            return Err(BookReject::BadQuantity);
        }
        if book.index(order.price).is_none() {
            return Err(BookReject::PriceOutOfRange);
        }
        let slot = order.id.slot();
        if !self.pool.claim(slot, order.id.generation()) {
            return Err(BookReject::BookFull);
        }
        let node = self.pool.node_mut(slot);
        node.instrument = order.instrument.index() as u32;
        node.user = order.user;
        node.side = order.side;
        node.price = order.price;
        node.original = order.original;
        node.remaining = order.remaining;
        node.filled = order.filled;
        node.state = if order.filled > 0 {
            OrderState::PartialFill
        } else {
            OrderState::Ack
        };
        self.resume_serials(order.id.generation().saturating_add(1));
        self.rest(slot, &mut |_| {});
        Ok(())
    }

    /// A checksum of `instrument`'s resting orders in priority order (id, side, price,
    /// remaining): two books with the same checksum hold the same orders in the same queues.
    pub fn checksum(&self, instrument: InstrumentId) -> u64 {
        // FNV-1a over the fields' bytes.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |value: u64| {
            for byte in value.to_le_bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        self.resting(instrument, |id, side, price, remaining| {
            eat(id.0);
            eat(side as u64);
            eat(price as u64);
            eat(remaining as u64);
        });
        hash
    }

    /// Opens `instrument`'s book around `center` (price units) on a grid of `tick` (set-up time:
    /// this allocates the book's levels once).
    pub fn open(&mut self, instrument: InstrumentId, center: i64, tick: i64) {
        if let Some(slot) = self.books.get_mut(instrument.index()) {
            if slot.is_none() {
                *slot = Some(Ladder::new(center, tick, self.levels));
            }
        }
    }

    /// Whether `instrument` has a book.
    pub fn is_open(&self, instrument: InstrumentId) -> bool {
        self.book(instrument).is_some()
    }

    fn book(&self, instrument: InstrumentId) -> Option<&Ladder> {
        self.books.get(instrument.index()).and_then(Option::as_ref)
    }

    /// Working orders across every book.
    pub fn working(&self) -> usize {
        self.pool.live()
    }

    /// Trades so far (the last trade's sequence number).
    pub fn trades(&self) -> u64 {
        self.trades
    }

    /// Places an order; returns its id when it was accepted.
    pub fn place(&mut self, new: NewOrder, emit: &mut impl FnMut(BookEvent)) -> Option<OrderId> {
        let reject = |reason, emit: &mut dyn FnMut(BookEvent)| {
            emit(BookEvent::Rejected {
                order: None,
                reason,
            });
            None
        };
        let Some(book) = self
            .books
            .get(new.instrument.index())
            .and_then(Option::as_ref)
        else {
            return reject(BookReject::UnknownInstrument, emit);
        };
        if new.qty <= 0 {
            return reject(BookReject::BadQuantity, emit);
        }
        let limit = match new.order_type {
            OrderType::Market => None,
            OrderType::Limit => {
                if !book.on_grid(new.price) {
                    return reject(BookReject::BadPrice, emit);
                }
                if new.tif == TimeInForce::Gtc && book.index(new.price).is_none() {
                    return reject(BookReject::PriceOutOfRange, emit);
                }
                Some(new.price)
            }
        };
        let fillable = new.tif != TimeInForce::Fok
            || self.fillable(new.instrument, new.side, limit, new.user, new.qty) >= new.qty;
        let Some(slot) = self.pool.alloc(self.next_serial) else {
            return reject(BookReject::BookFull, emit);
        };
        self.next_serial = self.next_serial.wrapping_add(1).max(1);
        {
            let node = self.pool.node_mut(slot);
            node.instrument = new.instrument.index() as u32;
            node.user = new.user;
            node.side = new.side;
            node.price = limit.unwrap_or(0);
            node.original = new.qty;
            node.remaining = new.qty;
            node.filled = 0;
            node.state = OrderState::Ack;
        }
        let id = self.pool.id(slot);
        emit(BookEvent::Accepted { order: id, new });
        if !fillable {
            self.finish(slot, CancelReason::FillOrKill, emit);
            return Some(id);
        }
        self.take(slot, limit, emit);
        let remaining = self.pool.node(slot).remaining;
        if remaining == 0 {
            self.pool.release(slot);
        } else if new.order_type == OrderType::Market || new.tif != TimeInForce::Gtc {
            self.finish(slot, CancelReason::Unfilled, emit);
        } else {
            self.rest(slot, emit);
        }
        Some(id)
    }

    /// Cancels a working order of `user`.
    pub fn cancel(&mut self, user: UserId, id: OrderId, emit: &mut impl FnMut(BookEvent)) {
        let Some(slot) = self.owned(user, id, emit) else {
            return;
        };
        self.unlink(slot);
        self.finish(slot, CancelReason::Requested, emit);
    }

    /// Amends a working order of `user`: a new remaining quantity and/or price. A smaller
    /// quantity at the same price keeps time priority; anything else moves the order to the back
    /// of its (new) level, after matching what it now crosses.
    pub fn amend(
        &mut self,
        user: UserId,
        id: OrderId,
        qty: Option<i64>,
        price: Option<i64>,
        emit: &mut impl FnMut(BookEvent),
    ) {
        let Some(slot) = self.owned(user, id, emit) else {
            return;
        };
        let node = *self.pool.node(slot);
        let (new_qty, new_price) = (qty.unwrap_or(node.remaining), price.unwrap_or(node.price));
        let reject = |reason, emit: &mut dyn FnMut(BookEvent)| {
            emit(BookEvent::Rejected {
                order: Some(id),
                reason,
            });
        };
        if new_qty <= 0 {
            return reject(BookReject::BadQuantity, emit);
        }
        if new_qty == node.remaining && new_price == node.price {
            return reject(BookReject::BadAmend, emit);
        }
        let book = self.books[node.instrument as usize]
            .as_ref()
            .expect("a working order has a book");
        let Some(index) = book.index(new_price) else {
            return reject(
                if book.on_grid(new_price) {
                    BookReject::PriceOutOfRange
                } else {
                    BookReject::BadPrice
                },
                emit,
            );
        };
        if new_price == node.price && new_qty < node.remaining {
            let cut = node.remaining - new_qty;
            self.books[node.instrument as usize]
                .as_mut()
                .expect("a working order has a book")
                .reduce(index, cut);
            let n = self.pool.node_mut(slot);
            n.remaining = new_qty;
            n.original -= cut;
            emit(BookEvent::Amended {
                order: id,
                price: new_price,
                remaining: new_qty,
                kept_priority: true,
            });
            return;
        }
        self.unlink(slot);
        {
            let n = self.pool.node_mut(slot);
            n.original = n.filled + new_qty;
            n.remaining = new_qty;
            n.price = new_price;
        }
        emit(BookEvent::Amended {
            order: id,
            price: new_price,
            remaining: new_qty,
            kept_priority: false,
        });
        self.take(slot, Some(new_price), emit);
        if self.pool.node(slot).remaining == 0 {
            self.pool.release(slot);
        } else {
            self.rest(slot, emit);
        }
    }

    /// Cancels every resting order whose owner `matches` (a kill switch), in slot order.
    pub fn cancel_where(
        &mut self,
        matches: impl Fn(UserId) -> bool,
        emit: &mut impl FnMut(BookEvent),
    ) -> usize {
        let mut cancelled = 0;
        for slot in 0..self.pool.capacity() as u32 {
            let node = self.pool.node(slot);
            if node.live && node.resting && matches(node.user) {
                self.unlink(slot);
                self.finish(slot, CancelReason::KillSwitch, emit);
                cancelled += 1;
            }
        }
        cancelled
    }

    /// A working order.
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        let slot = self.pool.find(id)?;
        let n = self.pool.node(slot);
        Some(OrderView {
            id,
            instrument: InstrumentId::from_index(n.instrument),
            user: n.user,
            side: n.side,
            price: n.price,
            original: n.original,
            remaining: n.remaining,
            filled: n.filled,
            state: n.state,
        })
    }

    /// Best price and quantity of `side`'s resting orders.
    pub fn best(&self, instrument: InstrumentId, side: Side) -> Option<(i64, i64)> {
        let book = self.book(instrument)?;
        let index = book.best(side)?;
        Some((book.price(index), book.level(index).qty))
    }

    /// Up to `n` levels of `side`, best first: `(price, qty, orders)`.
    pub fn depth(
        &self,
        instrument: InstrumentId,
        side: Side,
        n: usize,
        out: impl FnMut(i64, i64, u32),
    ) {
        if let Some(book) = self.book(instrument) {
            book.depth(side, n, out);
        }
    }

    /// Every resting order of `instrument` in priority order (bids best first, then asks best
    /// first), for checksums and recovery checks: `(id, side, price, remaining)`.
    pub fn resting(&self, instrument: InstrumentId, mut out: impl FnMut(OrderId, Side, i64, i64)) {
        let Some(book) = self.book(instrument) else {
            return;
        };
        for side in [Side::Buy, Side::Sell] {
            let mut level = book.best(side);
            while let Some(index) = level {
                let mut slot = book.level(index).head;
                while slot != NIL {
                    let n = self.pool.node(slot);
                    out(self.pool.id(slot), side, n.price, n.remaining);
                    slot = n.next;
                }
                level = book.next_level(side, index);
            }
        }
    }

    /// The working order `id` when it belongs to `user`; emits the refusal otherwise.
    fn owned(
        &mut self,
        user: UserId,
        id: OrderId,
        emit: &mut impl FnMut(BookEvent),
    ) -> Option<u32> {
        let refusal = match self.pool.find(id) {
            None => BookReject::UnknownOrder,
            Some(slot) if self.pool.node(slot).user != user => BookReject::NotOwner,
            Some(slot) => return Some(slot),
        };
        emit(BookEvent::Rejected {
            order: Some(id),
            reason: refusal,
        });
        None
    }

    /// What `side` at `limit` could fill right now against other users' resting orders, up to
    /// `want`.
    fn fillable(
        &self,
        instrument: InstrumentId,
        side: Side,
        limit: Option<i64>,
        user: UserId,
        want: i64,
    ) -> i64 {
        let Some(book) = self.book(instrument) else {
            return 0;
        };
        let resting = opposite(side);
        let mut total = 0;
        let mut level = book.best(resting);
        while let Some(index) = level {
            if total >= want || !crosses(side, limit, book.price(index)) {
                break;
            }
            let mut slot = book.level(index).head;
            while slot != NIL && total < want {
                let n = self.pool.node(slot);
                if n.user != user {
                    total += n.remaining;
                }
                slot = n.next;
            }
            level = book.next_level(resting, index);
        }
        total
    }

    /// Matches the order in `slot` against the opposite side while it crosses.
    fn take(&mut self, slot: u32, limit: Option<i64>, emit: &mut impl FnMut(BookEvent)) {
        let taker = *self.pool.node(slot);
        let taker_id = self.pool.id(slot);
        let instrument = taker.instrument as usize;
        let resting = opposite(taker.side);
        let mut remaining = taker.remaining;
        while remaining > 0 {
            let book = self.books[instrument].as_ref().expect("open book");
            let Some(index) = book.best(resting) else {
                break;
            };
            let price = book.price(index);
            if !crosses(taker.side, limit, price) {
                break;
            }
            let maker_slot = book.level(index).head;
            let maker = *self.pool.node(maker_slot);
            let maker_id = self.pool.id(maker_slot);
            if maker.user == taker.user {
                self.books[instrument].as_mut().expect("open book").remove(
                    &mut self.pool,
                    index,
                    maker_slot,
                    resting,
                );
                self.finish(maker_slot, CancelReason::SelfTrade, emit);
                continue;
            }
            let qty = remaining.min(maker.remaining);
            remaining -= qty;
            self.trades += 1;
            emit(BookEvent::Trade {
                seq: self.trades,
                instrument: InstrumentId::from_index(taker.instrument),
                price,
                qty,
                maker: maker_id,
                taker: taker_id,
                aggressor: taker.side,
            });
            let maker_state = self.fill(maker_slot, qty);
            emit(BookEvent::Filled {
                order: maker_id,
                user: maker.user,
                price,
                qty,
                remaining: maker.remaining - qty,
                filled: maker.filled + qty,
                maker: true,
                state: maker_state,
            });
            let book = self.books[instrument].as_mut().expect("open book");
            if maker_state == OrderState::Filled {
                // Its remaining is already 0: unlinking takes nothing more off the level.
                book.reduce(index, qty);
                book.remove(&mut self.pool, index, maker_slot, resting);
                self.pool.release(maker_slot);
            } else {
                book.reduce(index, qty);
            }
            let taker_state = self.fill(slot, qty);
            let t = self.pool.node(slot);
            emit(BookEvent::Filled {
                order: taker_id,
                user: taker.user,
                price,
                qty,
                remaining: t.remaining,
                filled: t.filled,
                maker: false,
                state: taker_state,
            });
        }
    }

    /// Records a fill of `qty` on `slot`; its new state.
    fn fill(&mut self, slot: u32, qty: i64) -> OrderState {
        let n = self.pool.node_mut(slot);
        n.remaining -= qty;
        n.filled += qty;
        n.state = if n.remaining == 0 {
            OrderState::Filled
        } else {
            OrderState::PartialFill
        };
        n.state
    }

    /// Rests the order in `slot` at the back of its level.
    fn rest(&mut self, slot: u32, emit: &mut impl FnMut(BookEvent)) {
        let n = *self.pool.node(slot);
        let book = self.books[n.instrument as usize]
            .as_mut()
            .expect("open book");
        let index = book
            .index(n.price)
            .expect("a resting price was checked against the window");
        book.push_back(&mut self.pool, index, slot, n.side);
        emit(BookEvent::Rested {
            order: self.pool.id(slot),
            price: n.price,
            remaining: n.remaining,
        });
    }

    /// Takes a resting order out of its level (it stays in the pool).
    fn unlink(&mut self, slot: u32) {
        let n = *self.pool.node(slot);
        if !n.resting {
            return;
        }
        let book = self.books[n.instrument as usize]
            .as_mut()
            .expect("open book");
        let index = book
            .index(n.price)
            .expect("resting orders are in the window");
        book.remove(&mut self.pool, index, slot, n.side);
    }

    /// Cancels what is left of the (unlinked) order in `slot` and frees the slot.
    fn finish(&mut self, slot: u32, reason: CancelReason, emit: &mut impl FnMut(BookEvent)) {
        let id = self.pool.id(slot);
        let n = self.pool.node_mut(slot);
        n.state = OrderState::Cancelled;
        let (user, remaining) = (n.user, n.remaining);
        emit(BookEvent::Cancelled {
            order: id,
            user,
            remaining,
            reason,
        });
        self.pool.release(slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: InstrumentId = InstrumentId::from_index(0);

    fn books() -> OrderBooks {
        let mut b = OrderBooks::new(
            1,
            BookConfig {
                capacity: 64,
                levels: 256,
            },
        );
        b.open(EUR, 1_000, 5);
        b
    }

    fn limit(user: u32, side: Side, price: i64, qty: i64, tif: TimeInForce) -> NewOrder {
        NewOrder {
            instrument: EUR,
            user: UserId(user),
            side,
            order_type: OrderType::Limit,
            tif,
            price,
            qty,
        }
    }

    fn place(b: &mut OrderBooks, new: NewOrder) -> (Option<OrderId>, Vec<BookEvent>) {
        let mut events = Vec::new();
        let id = b.place(new, &mut |e| events.push(e));
        (id, events)
    }

    fn trades(events: &[BookEvent]) -> Vec<(i64, i64, OrderId)> {
        events
            .iter()
            .filter_map(|e| match e {
                BookEvent::Trade {
                    price, qty, maker, ..
                } => Some((*price, *qty, *maker)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn price_then_time_priority_and_trades_at_the_resting_price() {
        let mut b = books();
        let (a, _) = place(&mut b, limit(1, Side::Sell, 1_010, 5, TimeInForce::Gtc));
        let (c, _) = place(&mut b, limit(2, Side::Sell, 1_005, 5, TimeInForce::Gtc));
        let (d, _) = place(&mut b, limit(3, Side::Sell, 1_005, 5, TimeInForce::Gtc));
        assert_eq!(b.best(EUR, Side::Sell), Some((1_005, 10)));
        let (_, events) = place(&mut b, limit(4, Side::Buy, 1_010, 12, TimeInForce::Gtc));
        assert_eq!(
            trades(&events),
            [
                (1_005, 5, c.unwrap()),
                (1_005, 5, d.unwrap()),
                (1_010, 2, a.unwrap())
            ]
        );
        assert_eq!(b.best(EUR, Side::Sell), Some((1_010, 3)));
        assert_eq!(b.best(EUR, Side::Buy), None, "the buyer filled completely");
        assert_eq!(b.order(a.unwrap()).unwrap().state, OrderState::PartialFill);
        assert!(
            b.order(c.unwrap()).is_none(),
            "filled orders leave the book"
        );
    }

    #[test]
    fn ioc_cancels_its_rest_fok_does_all_or_nothing_market_never_rests() {
        let mut b = books();
        place(&mut b, limit(1, Side::Sell, 1_000, 5, TimeInForce::Gtc));
        let (_, events) = place(&mut b, limit(2, Side::Buy, 1_000, 8, TimeInForce::Fok));
        assert!(trades(&events).is_empty());
        assert!(matches!(
            events.last(),
            Some(BookEvent::Cancelled {
                reason: CancelReason::FillOrKill,
                remaining: 8,
                ..
            })
        ));
        assert_eq!(
            b.best(EUR, Side::Sell),
            Some((1_000, 5)),
            "FOK touched nothing"
        );
        let (_, events) = place(&mut b, limit(2, Side::Buy, 1_000, 8, TimeInForce::Ioc));
        assert_eq!(trades(&events).len(), 1);
        assert!(matches!(
            events.last(),
            Some(BookEvent::Cancelled {
                reason: CancelReason::Unfilled,
                remaining: 3,
                ..
            })
        ));
        let mut market = limit(3, Side::Sell, 0, 4, TimeInForce::Ioc);
        market.order_type = OrderType::Market;
        let (_, events) = place(&mut b, market);
        assert!(trades(&events).is_empty(), "no bids to sell into");
        assert_eq!(b.working(), 0);
    }

    #[test]
    fn a_users_own_resting_order_is_cancelled_not_traded() {
        let mut b = books();
        let (own, _) = place(&mut b, limit(7, Side::Sell, 1_000, 5, TimeInForce::Gtc));
        let (other, _) = place(&mut b, limit(8, Side::Sell, 1_005, 5, TimeInForce::Gtc));
        let (_, events) = place(&mut b, limit(7, Side::Buy, 1_005, 5, TimeInForce::Gtc));
        assert!(events.contains(&BookEvent::Cancelled {
            order: own.unwrap(),
            user: UserId(7),
            remaining: 5,
            reason: CancelReason::SelfTrade,
        }));
        assert_eq!(trades(&events), [(1_005, 5, other.unwrap())]);
    }

    #[test]
    fn size_down_keeps_priority_price_or_size_up_loses_it() {
        let mut b = books();
        let (first, _) = place(&mut b, limit(1, Side::Buy, 1_000, 10, TimeInForce::Gtc));
        let (second, _) = place(&mut b, limit(2, Side::Buy, 1_000, 10, TimeInForce::Gtc));
        let mut events = Vec::new();
        b.amend(UserId(1), first.unwrap(), Some(4), None, &mut |e| {
            events.push(e)
        });
        assert!(matches!(
            events[0],
            BookEvent::Amended {
                kept_priority: true,
                ..
            }
        ));
        let (_, events) = place(&mut b, limit(3, Side::Sell, 1_000, 4, TimeInForce::Ioc));
        assert_eq!(trades(&events)[0].2, first.unwrap(), "still first");
        // `second` grows: it goes behind a newer order at its price.
        let (third, _) = place(&mut b, limit(4, Side::Buy, 1_000, 1, TimeInForce::Gtc));
        let mut events = Vec::new();
        b.amend(UserId(2), second.unwrap(), Some(20), None, &mut |e| {
            events.push(e)
        });
        assert!(matches!(
            events[0],
            BookEvent::Amended {
                kept_priority: false,
                ..
            }
        ));
        let (_, events) = place(&mut b, limit(5, Side::Sell, 1_000, 1, TimeInForce::Ioc));
        assert_eq!(trades(&events)[0].2, third.unwrap());
        // A reprice through the other side trades at once.
        place(&mut b, limit(6, Side::Sell, 1_010, 5, TimeInForce::Gtc));
        let mut events = Vec::new();
        b.amend(UserId(2), second.unwrap(), None, Some(1_010), &mut |e| {
            events.push(e)
        });
        assert_eq!(trades(&events).len(), 1);
    }

    #[test]
    fn refusals_change_nothing() {
        let mut b = books();
        let (id, _) = place(&mut b, limit(1, Side::Buy, 1_000, 10, TimeInForce::Gtc));
        let id = id.unwrap();
        let refused = |events: &[BookEvent]| match events {
            [BookEvent::Rejected { reason, .. }] => Some(*reason),
            _ => None,
        };
        let cases = [
            (
                limit(1, Side::Buy, 1_003, 1, TimeInForce::Gtc),
                BookReject::BadPrice,
            ),
            (
                limit(1, Side::Buy, 1_000, 0, TimeInForce::Gtc),
                BookReject::BadQuantity,
            ),
            (
                limit(1, Side::Buy, 100_000, 1, TimeInForce::Gtc),
                BookReject::PriceOutOfRange,
            ),
        ];
        for (new, reason) in cases {
            assert_eq!(refused(&place(&mut b, new).1), Some(reason));
        }
        let mut events = Vec::new();
        b.cancel(UserId(2), id, &mut |e| events.push(e));
        assert_eq!(refused(&events), Some(BookReject::NotOwner));
        events.clear();
        b.amend(UserId(1), id, Some(10), Some(1_000), &mut |e| {
            events.push(e)
        });
        assert_eq!(refused(&events), Some(BookReject::BadAmend));
        events.clear();
        b.cancel(UserId(1), id, &mut |e| events.push(e));
        events.clear();
        b.cancel(UserId(1), id, &mut |e| events.push(e));
        assert_eq!(
            refused(&events),
            Some(BookReject::UnknownOrder),
            "cancelled twice"
        );
        assert_eq!(b.working(), 0);
    }
}
