//! The order-book workload of exchange-core's benchmarks, generated deterministically: about
//! 1,000 resting orders over about 750 price levels, then a stream of 9 % GTC orders, 3 % IOC
//! orders, 6 % cancels and 82 % moves (a resting order repriced by a few ticks). The stream is
//! generated against a book (so every cancel and move names a working order) and replayed on a
//! fresh book, which assigns the same ids: the book is deterministic.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use orion_hotpath::InstrumentId;
use orion_hotpath::book::{
    BookConfig, BookEvent, NewOrder, OrderBooks, OrderId, OrderType, TimeInForce,
};
use orion_hotpath::rfq::{Side, UserId};

/// Price units per tick.
pub const TICK: i64 = 1;
/// The book's centre.
pub const MID: i64 = 100_000;
/// Levels either side of the mid that orders are spread over (≈ 750 in all).
pub const SPREAD_LEVELS: i64 = 375;

/// One operation of the stream.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    /// A new order, and the id the book gives it (the same on every replay).
    Place(NewOrder, u64),
    /// Cancel a working order.
    Cancel(UserId, OrderId),
    /// Reprice a working order.
    Move(UserId, OrderId, i64),
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A fresh book set with the one book the workload uses.
pub fn books() -> OrderBooks {
    let mut books = OrderBooks::new(
        1,
        BookConfig {
            capacity: 1 << 16,
            levels: 4_096,
        },
    );
    books.open(InstrumentId::from_index(0), MID, TICK);
    books
}

fn resting(rng: &mut Rng, user: UserId) -> NewOrder {
    let side = if rng.below(2) == 0 {
        Side::Buy
    } else {
        Side::Sell
    };
    // Bids below the mid, asks above: resting orders do not cross.
    let distance = 1 + rng.below(SPREAD_LEVELS as u64) as i64;
    let price = match side {
        Side::Buy => MID - distance * TICK,
        Side::Sell => MID + distance * TICK,
    };
    NewOrder {
        instrument: InstrumentId::from_index(0),
        user,
        side,
        order_type: OrderType::Limit,
        tif: TimeInForce::Gtc,
        price,
        qty: 1 + rng.below(10) as i64,
    }
}

/// The warm-up orders (with the ids the book gives them) and the measured stream of `ops`
/// operations, for seed `seed`. Every order has a user of its own, so self-trade prevention
/// never fires and any book can replay the stream the same way.
pub fn workload(seed: u64, ops: usize) -> (Vec<(NewOrder, u64)>, Vec<Op>) {
    let mut rng = Rng(seed);
    let mut book = books();
    let mut working: Vec<(UserId, OrderId)> = Vec::with_capacity(4_096);
    let mut gone = Vec::new();
    let mut apply = |book: &mut OrderBooks, op: &Op, working: &mut Vec<(UserId, OrderId)>| {
        gone.clear();
        let (mut placed, mut accepted) = (None, 0);
        let mut sink = |e: BookEvent| match e {
            BookEvent::Accepted { order, .. } => accepted = order.0,
            BookEvent::Rested { order, .. } => placed = Some(order),
            BookEvent::Cancelled { order, .. } => gone.push(order),
            BookEvent::Filled {
                order,
                remaining: 0,
                ..
            } => gone.push(order),
            _ => {}
        };
        match *op {
            Op::Place(new, _) => {
                book.place(new, &mut sink);
            }
            Op::Cancel(user, id) => book.cancel(user, id, &mut sink),
            Op::Move(user, id, price) => book.amend(user, id, None, Some(price), &mut sink),
        }
        if let Op::Place(new, _) = op {
            if let Some(id) = placed {
                working.push((new.user, id));
            }
        }
        working.retain(|(_, id)| !gone.contains(id));
        accepted
    };
    let mut next_user = 0u32;
    let mut user = || {
        next_user += 1;
        UserId(next_user)
    };
    let mut warm = Vec::with_capacity(1_000);
    for _ in 0..1_000 {
        let new = resting(&mut rng, user());
        let id = apply(&mut book, &Op::Place(new, 0), &mut working);
        warm.push((new, id));
    }
    let mut stream = Vec::with_capacity(ops);
    while stream.len() < ops {
        let roll = rng.below(100);
        let op = if roll < 9 || working.is_empty() {
            Op::Place(resting(&mut rng, user()), 0)
        } else if roll < 12 {
            // IOC at a price a few ticks through the other side: takes some liquidity.
            let mut new = resting(&mut rng, user());
            new.tif = TimeInForce::Ioc;
            new.price = match new.side {
                Side::Buy => MID + (1 + rng.below(5) as i64) * TICK,
                Side::Sell => MID - (1 + rng.below(5) as i64) * TICK,
            };
            Op::Place(new, 0)
        } else if roll < 18 {
            let (user, id) = working[rng.below(working.len() as u64) as usize];
            Op::Cancel(user, id)
        } else {
            let (user, id) = working[rng.below(working.len() as u64) as usize];
            let order = book.order(id).expect("working orders are in the book");
            // A few ticks, staying on its side of the mid.
            let step = rng.below(7) as i64 - 3;
            let price = match order.side {
                Side::Buy => (order.price + step * TICK).min(MID - TICK),
                Side::Sell => (order.price + step * TICK).max(MID + TICK),
            };
            let price = if price == order.price {
                price + if order.side == Side::Buy { -TICK } else { TICK }
            } else {
                price
            };
            Op::Move(user, id, price)
        };
        let id = apply(&mut book, &op, &mut working);
        stream.push(match op {
            Op::Place(new, _) => Op::Place(new, id),
            other => other,
        });
    }
    (warm, stream)
}

/// Places the warm-up orders on `book`.
pub fn warm(book: &mut OrderBooks, warm: &[(NewOrder, u64)]) {
    let mut sink = |_e: BookEvent| {};
    for (new, _) in warm {
        book.place(*new, &mut sink);
    }
}

/// Applies one operation.
#[inline]
fn apply(book: &mut OrderBooks, op: &Op, sink: &mut impl FnMut(BookEvent)) {
    match *op {
        Op::Place(new, _) => {
            book.place(new, sink);
        }
        Op::Cancel(user, id) => book.cancel(user, id, sink),
        Op::Move(user, id, price) => book.amend(user, id, None, Some(price), sink),
    }
}

/// Replays `stream` on a warmed `book`; returns how many events it produced.
pub fn run(book: &mut OrderBooks, stream: &[Op]) -> u64 {
    let mut events = 0u64;
    let mut count = |_e: BookEvent| events += 1;
    for op in stream {
        apply(book, op, &mut count);
    }
    events
}

/// Latency at an offered rate, with intended-time stamping: operation `i` is due at
/// `i / ops_per_sec` after the start; each is applied as soon as it is due (or at once when the
/// book is behind) and recorded as completion minus due time, so time spent queued behind a slow
/// operation counts — no coordinated omission. Nanoseconds; each figure includes one clock read.
pub fn offered_latency(
    warm: &[(NewOrder, u64)],
    stream: &[Op],
    ops_per_sec: u64,
) -> Histogram<u64> {
    let mut book = books();
    self::warm(&mut book, warm);
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("static bounds");
    let interval = 1e9 / ops_per_sec.max(1) as f64;
    let mut sink = |e: BookEvent| {
        std::hint::black_box(e);
    };
    let start = Instant::now();
    for (i, op) in stream.iter().enumerate() {
        let due = Duration::from_nanos((i as f64 * interval) as u64);
        while start.elapsed() < due {
            std::hint::spin_loop();
        }
        apply(&mut book, op, &mut sink);
        let late = start.elapsed().saturating_sub(due);
        histogram.saturating_record(late.as_nanos().max(1) as u64);
    }
    histogram
}
