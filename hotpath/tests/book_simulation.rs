//! Deterministic simulation of the order book: a million seeded steps — LIMIT and MARKET orders
//! of every time in force, cancels (stale and twice), amends (size down, size up, reprice),
//! strangers' ids, kill switches — run against the book and against a naive reference book that
//! keeps a plain list and searches it for the best order every time. Every event must match the
//! reference's; the book must never be crossed; every order's quantity must be conserved
//! (filled + cancelled = ordered); states only move forward; the same seed replays byte for byte.

mod common;

use std::collections::HashMap;

use common::Rng;

use orion_hotpath::InstrumentId;
use orion_hotpath::book::ladder::Ladder;
use orion_hotpath::book::*;
use orion_hotpath::rfq::{Side, UserId};

const STEPS: u64 = 1_000_000;
const TICK: i64 = 5;
const MID: i64 = 108_425;
const LEVELS: u32 = 512;
const INSTRUMENTS: u32 = 2;

/// What both books report, with orders named by the sequence number of the step that placed
/// them (the two books number orders differently).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Ev {
    Accepted(u64),
    Rejected(Option<u64>, BookReject),
    Trade {
        price: i64,
        qty: i64,
        maker: u64,
        taker: u64,
    },
    Filled {
        order: u64,
        qty: i64,
        remaining: i64,
        maker: bool,
        state: OrderState,
    },
    Cancelled {
        order: u64,
        remaining: i64,
        reason: CancelReason,
    },
    Amended {
        order: u64,
        price: i64,
        remaining: i64,
        kept: bool,
    },
    Rested {
        order: u64,
        price: i64,
        remaining: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct RefOrder {
    seq: u64,
    instrument: u32,
    user: UserId,
    side: Side,
    price: i64,
    remaining: i64,
    filled: i64,
    time: u64,
}

/// The naive reference: resting orders in a list; the best is found by scanning.
#[derive(Default)]
struct Reference {
    resting: Vec<RefOrder>,
    time: u64,
    windows: Vec<Ladder>,
}

fn better(side: Side, a: &RefOrder, b: &RefOrder) -> bool {
    // `side` is the resting side: bids best high, asks best low; then time.
    match side {
        Side::Buy => (a.price, std::cmp::Reverse(a.time)) > (b.price, std::cmp::Reverse(b.time)),
        Side::Sell => (a.price, a.time) < (b.price, b.time),
    }
}

fn crosses(side: Side, limit: Option<i64>, price: i64) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => price <= l,
        (Side::Sell, Some(l)) => price >= l,
    }
}

fn other(side: Side) -> Side {
    if side == Side::Buy {
        Side::Sell
    } else {
        Side::Buy
    }
}

impl Reference {
    fn new() -> Self {
        Self {
            windows: (0..INSTRUMENTS)
                .map(|_| Ladder::new(MID, TICK, LEVELS))
                .collect(),
            ..Self::default()
        }
    }

    fn best(&self, instrument: u32, side: Side) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, o) in self.resting.iter().enumerate() {
            if o.instrument == instrument
                && o.side == side
                && best.is_none_or(|b| better(side, o, &self.resting[b]))
            {
                best = Some(i);
            }
        }
        best
    }

    fn take(&mut self, taker: &mut RefOrder, limit: Option<i64>, out: &mut Vec<Ev>) {
        while taker.remaining > 0 {
            let Some(i) = self.best(taker.instrument, other(taker.side)) else {
                break;
            };
            let maker = self.resting[i];
            if !crosses(taker.side, limit, maker.price) {
                break;
            }
            if maker.user == taker.user {
                self.resting.remove(i);
                out.push(Ev::Cancelled {
                    order: maker.seq,
                    remaining: maker.remaining,
                    reason: CancelReason::SelfTrade,
                });
                continue;
            }
            let qty = taker.remaining.min(maker.remaining);
            out.push(Ev::Trade {
                price: maker.price,
                qty,
                maker: maker.seq,
                taker: taker.seq,
            });
            let m = &mut self.resting[i];
            m.remaining -= qty;
            m.filled += qty;
            let state = if m.remaining == 0 {
                OrderState::Filled
            } else {
                OrderState::PartialFill
            };
            out.push(Ev::Filled {
                order: maker.seq,
                qty,
                remaining: m.remaining,
                maker: true,
                state,
            });
            if m.remaining == 0 {
                self.resting.remove(i);
            }
            taker.remaining -= qty;
            taker.filled += qty;
            let state = if taker.remaining == 0 {
                OrderState::Filled
            } else {
                OrderState::PartialFill
            };
            out.push(Ev::Filled {
                order: taker.seq,
                qty,
                remaining: taker.remaining,
                maker: false,
                state,
            });
        }
    }

    fn rest(&mut self, mut o: RefOrder, out: &mut Vec<Ev>) {
        self.time += 1;
        o.time = self.time;
        out.push(Ev::Rested {
            order: o.seq,
            price: o.price,
            remaining: o.remaining,
        });
        self.resting.push(o);
    }

    fn place(&mut self, seq: u64, new: &NewOrder, out: &mut Vec<Ev>) {
        let window = &self.windows[new.instrument.index()];
        if new.qty <= 0 {
            return out.push(Ev::Rejected(None, BookReject::BadQuantity));
        }
        let limit = match new.order_type {
            OrderType::Market => None,
            OrderType::Limit => {
                if !window.on_grid(new.price) {
                    return out.push(Ev::Rejected(None, BookReject::BadPrice));
                }
                if new.tif == TimeInForce::Gtc && window.index(new.price).is_none() {
                    return out.push(Ev::Rejected(None, BookReject::PriceOutOfRange));
                }
                Some(new.price)
            }
        };
        let instrument = new.instrument.index() as u32;
        let mut o = RefOrder {
            seq,
            instrument,
            user: new.user,
            side: new.side,
            price: limit.unwrap_or(0),
            remaining: new.qty,
            filled: 0,
            time: 0,
        };
        out.push(Ev::Accepted(seq));
        if new.tif == TimeInForce::Fok {
            let fillable: i64 = self
                .resting
                .iter()
                .filter(|r| {
                    r.instrument == instrument
                        && r.side == other(new.side)
                        && r.user != new.user
                        && crosses(new.side, limit, r.price)
                })
                .map(|r| r.remaining)
                .sum();
            if fillable < new.qty {
                return out.push(Ev::Cancelled {
                    order: seq,
                    remaining: new.qty,
                    reason: CancelReason::FillOrKill,
                });
            }
        }
        self.take(&mut o, limit, out);
        if o.remaining == 0 {
            return;
        }
        if new.order_type == OrderType::Market || new.tif != TimeInForce::Gtc {
            out.push(Ev::Cancelled {
                order: seq,
                remaining: o.remaining,
                reason: CancelReason::Unfilled,
            });
        } else {
            self.rest(o, out);
        }
    }

    fn find(&self, seq: u64) -> Option<usize> {
        self.resting.iter().position(|o| o.seq == seq)
    }

    fn cancel(&mut self, user: UserId, seq: u64, out: &mut Vec<Ev>) {
        match self.find(seq) {
            None => out.push(Ev::Rejected(Some(seq), BookReject::UnknownOrder)),
            Some(i) if self.resting[i].user != user => {
                out.push(Ev::Rejected(Some(seq), BookReject::NotOwner))
            }
            Some(i) => {
                let o = self.resting.remove(i);
                out.push(Ev::Cancelled {
                    order: seq,
                    remaining: o.remaining,
                    reason: CancelReason::Requested,
                });
            }
        }
    }

    fn amend(
        &mut self,
        user: UserId,
        seq: u64,
        qty: Option<i64>,
        price: Option<i64>,
        out: &mut Vec<Ev>,
    ) {
        let Some(i) = self.find(seq) else {
            return out.push(Ev::Rejected(Some(seq), BookReject::UnknownOrder));
        };
        let o = self.resting[i];
        if o.user != user {
            return out.push(Ev::Rejected(Some(seq), BookReject::NotOwner));
        }
        let (new_qty, new_price) = (qty.unwrap_or(o.remaining), price.unwrap_or(o.price));
        if new_qty <= 0 {
            return out.push(Ev::Rejected(Some(seq), BookReject::BadQuantity));
        }
        if new_qty == o.remaining && new_price == o.price {
            return out.push(Ev::Rejected(Some(seq), BookReject::BadAmend));
        }
        let window = &self.windows[o.instrument as usize];
        if window.index(new_price).is_none() {
            let reason = if window.on_grid(new_price) {
                BookReject::PriceOutOfRange
            } else {
                BookReject::BadPrice
            };
            return out.push(Ev::Rejected(Some(seq), reason));
        }
        if new_price == o.price && new_qty < o.remaining {
            self.resting[i].remaining = new_qty;
            return out.push(Ev::Amended {
                order: seq,
                price: new_price,
                remaining: new_qty,
                kept: true,
            });
        }
        let mut o = self.resting.remove(i);
        o.remaining = new_qty;
        o.price = new_price;
        out.push(Ev::Amended {
            order: seq,
            price: new_price,
            remaining: new_qty,
            kept: false,
        });
        self.take(&mut o, Some(new_price), out);
        if o.remaining > 0 {
            self.rest(o, out);
        }
    }

    fn kill(&mut self, user: UserId, out: &mut Vec<Ev>) {
        // The book cancels in slot order; the test sorts both sides' kill-switch events.
        let (gone, kept): (Vec<RefOrder>, Vec<RefOrder>) =
            self.resting.iter().partition(|o| o.user == user);
        self.resting = kept;
        for o in gone {
            out.push(Ev::Cancelled {
                order: o.seq,
                remaining: o.remaining,
                reason: CancelReason::KillSwitch,
            });
        }
    }
}

/// Per order: what was ordered, filled and cancelled, and its last state.
#[derive(Default, Clone, Copy)]
struct Ledger {
    ordered: i64,
    filled: i64,
    cancelled: i64,
    last: Option<OrderState>,
    done: bool,
}

/// The orders resting now, to pick from in O(1).
#[derive(Default)]
struct Working {
    list: Vec<(u64, UserId)>,
    at: HashMap<u64, usize>,
}

impl Working {
    fn insert(&mut self, seq: u64, owner: UserId) {
        if !self.at.contains_key(&seq) {
            self.at.insert(seq, self.list.len());
            self.list.push((seq, owner));
        }
    }

    fn remove(&mut self, seq: u64) {
        if let Some(i) = self.at.remove(&seq) {
            self.list.swap_remove(i);
            if let Some((moved, _)) = self.list.get(i) {
                self.at.insert(*moved, i);
            }
        }
    }
}

/// How often each kind of event happened, to show the run exercised every path.
#[derive(Debug, Default)]
struct Coverage {
    trades: u64,
    partial: u64,
    by_reason: HashMap<CancelReason, u64>,
    kept_priority: u64,
    lost_priority: u64,
    rejected: HashMap<BookReject, u64>,
    max_working: usize,
}

/// Runs `steps` seeded steps; returns a digest of every event and what was covered.
fn run(seed: u64, steps: u64) -> (u64, Coverage) {
    let mut coverage = Coverage::default();
    let mut rng = Rng(seed);
    let mut books = OrderBooks::new(
        INSTRUMENTS as usize,
        BookConfig {
            capacity: 4_096,
            levels: LEVELS,
        },
    );
    for i in 0..INSTRUMENTS {
        books.open(InstrumentId::from_index(i), MID, TICK);
    }
    let mut reference = Reference::new();
    let mut ids: HashMap<u64, OrderId> = HashMap::new();
    let mut seqs: HashMap<OrderId, u64> = HashMap::new();
    let mut ledgers: HashMap<u64, Ledger> = HashMap::new();
    let mut placed: Vec<(u64, UserId)> = Vec::new();
    let mut working = Working::default();
    let mut owners: HashMap<u64, UserId> = HashMap::new();
    let mut sides: HashMap<u64, Side> = HashMap::new();
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut real = Vec::new();
    let mut expected = Vec::new();
    for step in 1..=steps {
        real.clear();
        expected.clear();
        let user = UserId(rng.below(4) as u32);
        let roll = rng.below(100);
        let mut events = Vec::new();
        let mut kill = false;
        if roll < 45 {
            // New order around the mid: sometimes off the grid, out of the window, or bad.
            let side = if rng.chance(50) {
                Side::Buy
            } else {
                Side::Sell
            };
            let (order_type, tif) = match rng.below(20) {
                0 => (OrderType::Market, TimeInForce::Ioc),
                1 => (OrderType::Market, TimeInForce::Fok),
                2..=4 => (OrderType::Limit, TimeInForce::Ioc),
                5..=6 => (OrderType::Limit, TimeInForce::Fok),
                _ => (OrderType::Limit, TimeInForce::Gtc),
            };
            // Resting orders mostly on their own side of the mid (a deep book); orders that take
            // liquidity mostly through it.
            let distance = rng.below(40) as i64;
            let through = tif != TimeInForce::Gtc || rng.chance(10);
            let toward = if through { -distance / 4 } else { distance };
            let mut price = match side {
                Side::Buy => MID - toward * TICK,
                Side::Sell => MID + toward * TICK,
            };
            match rng.below(200) {
                0 => price += 2,
                1 => price += i64::from(LEVELS) * TICK,
                _ => {}
            }
            let qty = if rng.below(500) == 0 {
                0
            } else {
                1 + rng.below(20) as i64 * 5
            };
            let new = NewOrder {
                instrument: InstrumentId::from_index(rng.below(u64::from(INSTRUMENTS)) as u32),
                user,
                side,
                order_type,
                tif,
                price,
                qty,
            };
            books.place(new, &mut |e| events.push(e));
            if let Some(BookEvent::Accepted { order, .. }) = events.first() {
                ids.insert(step, *order);
                seqs.insert(*order, step);
                ledgers.insert(
                    step,
                    Ledger {
                        ordered: qty,
                        ..Ledger::default()
                    },
                );
                placed.push((step, user));
                owners.insert(step, user);
                sides.insert(step, side);
            }
            reference.place(step, &new, &mut expected);
        } else if roll < 99 && !placed.is_empty() {
            // Cancel or amend a working order (now and then a departed one): mostly its owner,
            // sometimes a stranger.
            let (seq, owner) = if !working.list.is_empty() && rng.chance(90) {
                working.list[rng.below(working.list.len() as u64) as usize]
            } else {
                placed[placed.len() - 1 - rng.below(placed.len().min(300) as u64) as usize]
            };
            let who = if rng.chance(95) { owner } else { user };
            let id = ids[&seq];
            if roll < 55 {
                books.cancel(who, id, &mut |e| events.push(e));
                reference.cancel(who, seq, &mut expected);
            } else {
                let qty = match rng.below(3) {
                    0 => None,
                    1 => Some(1 + rng.below(20) as i64 * 5),
                    _ => Some(rng.below(4) as i64),
                };
                // Mostly a move on its own side of the mid; now and then through it.
                let distance = rng.below(40) as i64 - if rng.chance(10) { 10 } else { 0 };
                let price = if qty.is_none() || rng.chance(60) {
                    Some(match sides[&seq] {
                        Side::Buy => MID - distance * TICK,
                        Side::Sell => MID + distance * TICK,
                    })
                } else {
                    None
                };
                books.amend(who, id, qty, price, &mut |e| events.push(e));
                reference.amend(who, seq, qty, price, &mut expected);
                if let Some(l) = ledgers.get_mut(&seq) {
                    if let Some(BookEvent::Amended { remaining, .. }) = events.first() {
                        // The order now stands for what it filled plus its new remainder.
                        l.ordered = l.filled + remaining;
                    }
                }
            }
        } else if rng.chance(10) {
            kill = true;
            books.cancel_where(|u| u == user, &mut |e| events.push(e));
            reference.kill(user, &mut expected);
        } else {
            // Nothing this step: a stranger's made-up id.
            let id = OrderId(rng.next());
            books.cancel(user, id, &mut |e| events.push(e));
            expected.push(Ev::Rejected(Some(u64::MAX), BookReject::UnknownOrder));
        }
        for e in &events {
            let name = |id: &OrderId| seqs.get(id).copied().unwrap_or(u64::MAX);
            real.push(match e {
                BookEvent::Accepted { order, .. } => Ev::Accepted(name(order)),
                BookEvent::Rejected { order, reason } => {
                    Ev::Rejected(order.map(|o| name(&o)), *reason)
                }
                BookEvent::Trade {
                    price,
                    qty,
                    maker,
                    taker,
                    ..
                } => Ev::Trade {
                    price: *price,
                    qty: *qty,
                    maker: name(maker),
                    taker: name(taker),
                },
                BookEvent::Filled {
                    order,
                    qty,
                    remaining,
                    maker,
                    state,
                    ..
                } => Ev::Filled {
                    order: name(order),
                    qty: *qty,
                    remaining: *remaining,
                    maker: *maker,
                    state: *state,
                },
                BookEvent::Cancelled {
                    order,
                    remaining,
                    reason,
                    ..
                } => Ev::Cancelled {
                    order: name(order),
                    remaining: *remaining,
                    reason: *reason,
                },
                BookEvent::Amended {
                    order,
                    price,
                    remaining,
                    kept_priority,
                } => Ev::Amended {
                    order: name(order),
                    price: *price,
                    remaining: *remaining,
                    kept: *kept_priority,
                },
                BookEvent::Rested {
                    order,
                    price,
                    remaining,
                } => Ev::Rested {
                    order: name(order),
                    price: *price,
                    remaining: *remaining,
                },
            });
        }
        if kill {
            real.sort_by_key(|e| format!("{e:?}"));
            expected.sort_by_key(|e| format!("{e:?}"));
        }
        assert_eq!(real, expected, "step {step} (seed {seed})");
        // Quantities conserved, states forward only, nothing after the end.
        for e in &real {
            let (order, qty_filled, qty_cancelled, state) = match e {
                Ev::Filled {
                    order, qty, state, ..
                } => (*order, *qty, 0, Some(*state)),
                Ev::Cancelled {
                    order, remaining, ..
                } => (*order, 0, *remaining, Some(OrderState::Cancelled)),
                _ => continue,
            };
            let l = ledgers.get_mut(&order).expect("events name known orders");
            assert!(!l.done, "step {step}: event after the end of order {order}");
            l.filled += qty_filled;
            l.cancelled += qty_cancelled;
            if let (Some(OrderState::Filled), Some(OrderState::PartialFill | OrderState::Ack)) =
                (l.last, state)
            {
                panic!("step {step}: order {order} went back from FILLED");
            }
            l.last = state;
            if state.is_some_and(OrderState::is_terminal) {
                l.done = true;
                assert_eq!(
                    l.filled + l.cancelled,
                    l.ordered,
                    "step {step}: order {order} conserves its quantity"
                );
            }
        }
        // Never crossed.
        for i in 0..INSTRUMENTS {
            let id = InstrumentId::from_index(i);
            if let (Some((bid, _)), Some((ask, _))) =
                (books.best(id, Side::Buy), books.best(id, Side::Sell))
            {
                assert!(bid < ask, "step {step}: crossed {bid} / {ask}");
            }
        }
        // Now and then the whole book, order by order, against the reference.
        if step % 10_000 == 0 {
            for i in 0..INSTRUMENTS {
                let mut book = Vec::new();
                books.resting(InstrumentId::from_index(i), |id, side, price, remaining| {
                    book.push((seqs[&id], side, price, remaining))
                });
                let mut expect: Vec<RefOrder> = reference
                    .resting
                    .iter()
                    .filter(|o| o.instrument == i)
                    .copied()
                    .collect();
                expect.sort_by(|a, b| {
                    if a.side != b.side {
                        return (a.side == Side::Sell).cmp(&(b.side == Side::Sell));
                    }
                    if better(a.side, a, b) {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                });
                let expect: Vec<(u64, Side, i64, i64)> = expect
                    .iter()
                    .map(|o| (o.seq, o.side, o.price, o.remaining))
                    .collect();
                assert_eq!(book, expect, "step {step}: book {i} in priority order");
            }
            assert_eq!(
                books.working(),
                reference.resting.len(),
                "step {step}: working orders"
            );
        }
        for e in &real {
            match e {
                Ev::Trade { .. } => coverage.trades += 1,
                Ev::Filled {
                    state: OrderState::PartialFill,
                    ..
                } => coverage.partial += 1,
                Ev::Cancelled { reason, .. } => {
                    *coverage.by_reason.entry(*reason).or_default() += 1
                }
                Ev::Amended { kept: true, .. } => coverage.kept_priority += 1,
                Ev::Amended { kept: false, .. } => coverage.lost_priority += 1,
                Ev::Rejected(_, reason) => *coverage.rejected.entry(*reason).or_default() += 1,
                _ => {}
            }
            for b in format!("{e:?}").bytes() {
                digest = (digest ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        for e in &real {
            match e {
                Ev::Rested { order, .. } => working.insert(*order, owners[order]),
                Ev::Cancelled { order, .. }
                | Ev::Filled {
                    order,
                    state: OrderState::Filled,
                    ..
                } => {
                    working.remove(*order);
                }
                _ => {}
            }
        }
        coverage.max_working = coverage.max_working.max(books.working());
    }
    (digest, coverage)
}

#[test]
fn a_million_seeded_steps_match_the_reference_book_and_keep_every_invariant() {
    let (digest, coverage) = run(0x5EED_0001, STEPS);
    eprintln!("{coverage:?}");
    // Every path was taken, many times.
    assert!(coverage.trades > 100_000, "{coverage:?}");
    assert!(coverage.partial > 10_000, "{coverage:?}");
    for reason in [
        CancelReason::Requested,
        CancelReason::Unfilled,
        CancelReason::FillOrKill,
        CancelReason::SelfTrade,
        CancelReason::KillSwitch,
    ] {
        assert!(
            coverage.by_reason.get(&reason).copied().unwrap_or(0) > 1_000,
            "{reason:?}: {coverage:?}"
        );
    }
    assert!(
        coverage.kept_priority > 1_000 && coverage.lost_priority > 10_000,
        "{coverage:?}"
    );
    for reason in [
        BookReject::BadQuantity,
        BookReject::BadPrice,
        BookReject::PriceOutOfRange,
        BookReject::UnknownOrder,
        BookReject::NotOwner,
        BookReject::BadAmend,
    ] {
        assert!(
            coverage.rejected.get(&reason).copied().unwrap_or(0) > 100,
            "{reason:?}: {coverage:?}"
        );
    }
    assert!(coverage.max_working > 200, "a deep book: {coverage:?}");
    assert_eq!(digest, run(0x5EED_0001, STEPS).0, "same seed, same events");
    assert_ne!(
        digest,
        run(0x5EED_0002, 10_000).0,
        "another seed, other events"
    );
}
