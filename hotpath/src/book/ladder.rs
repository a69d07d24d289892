//! One book's price levels: a dense array over a window of ticks around the price the book was
//! opened at, each level an intrusive FIFO of order slots with its total quantity, and one
//! occupancy bitmap per side. The best bid is the highest set bid bit, the best ask the lowest set
//! ask bit; both are cached and moved by scanning the bitmap a word (64 levels) at a time when
//! their level empties. A level holds one side only: after matching the book is never crossed.

use super::pool::{NIL, OrderPool};
use crate::rfq::Side;

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    /// First order in time priority, or [`NIL`].
    pub head: u32,
    /// Last order, or [`NIL`].
    pub tail: u32,
    /// Total remaining quantity resting here.
    pub qty: i64,
    /// Orders resting here.
    pub orders: u32,
}

impl Level {
    const EMPTY: Level = Level {
        head: NIL,
        tail: NIL,
        qty: 0,
        orders: 0,
    };
}

/// The levels of one instrument.
#[derive(Debug)]
pub struct Ladder {
    base: i64,
    tick: i64,
    levels: Box<[Level]>,
    bids: Box<[u64]>,
    asks: Box<[u64]>,
    best_bid: Option<u32>,
    best_ask: Option<u32>,
}

impl Ladder {
    /// `count` levels of `tick` price units centred on `center` (rounded to the grid).
    pub fn new(center: i64, tick: i64, count: u32) -> Self {
        let tick = tick.max(1);
        let count = count.max(64).next_multiple_of(64);
        let base = (center / tick - i64::from(count / 2)).max(1) * tick;
        let words = (count / 64) as usize;
        Self {
            base,
            tick,
            levels: vec![Level::EMPTY; count as usize].into_boxed_slice(),
            bids: vec![0; words].into_boxed_slice(),
            asks: vec![0; words].into_boxed_slice(),
            best_bid: None,
            best_ask: None,
        }
    }

    /// The level index of `price`, or `None` when it is off the tick grid or out of the window.
    #[inline]
    pub fn index(&self, price: i64) -> Option<u32> {
        if price <= 0 || price % self.tick != 0 || price < self.base {
            return None;
        }
        let index = (price - self.base) / self.tick;
        (index < self.levels.len() as i64).then_some(index as u32)
    }

    /// Whether `price` is on the grid (wherever the window is).
    pub fn on_grid(&self, price: i64) -> bool {
        price > 0 && price % self.tick == 0
    }

    /// The price of level `index`.
    #[inline]
    pub fn price(&self, index: u32) -> i64 {
        self.base + i64::from(index) * self.tick
    }

    /// A level.
    #[inline]
    pub fn level(&self, index: u32) -> &Level {
        &self.levels[index as usize]
    }

    /// The best level of `side`'s resting orders.
    #[inline]
    pub fn best(&self, side: Side) -> Option<u32> {
        match side {
            Side::Buy => self.best_bid,
            Side::Sell => self.best_ask,
        }
    }

    /// Appends `slot` (resting on `side`) to the back of level `index`.
    #[inline]
    pub fn push_back(&mut self, pool: &mut OrderPool, index: u32, slot: u32, side: Side) {
        let level = &mut self.levels[index as usize];
        let qty = pool.node(slot).remaining;
        {
            let node = pool.node_mut(slot);
            node.prev = level.tail;
            node.next = NIL;
            node.resting = true;
        }
        if level.tail == NIL {
            level.head = slot;
        } else {
            pool.node_mut(level.tail).next = slot;
        }
        level.tail = slot;
        level.qty += qty;
        level.orders += 1;
        if level.orders == 1 {
            self.occupy(index, side);
        }
    }

    /// Unlinks `slot` (resting on `side` at level `index`).
    #[inline]
    pub fn remove(&mut self, pool: &mut OrderPool, index: u32, slot: u32, side: Side) {
        let (prev, next, qty) = {
            let node = pool.node_mut(slot);
            node.resting = false;
            (node.prev, node.next, node.remaining)
        };
        let level = &mut self.levels[index as usize];
        if prev == NIL {
            level.head = next;
        } else {
            pool.node_mut(prev).next = next;
        }
        if next == NIL {
            level.tail = prev;
        } else {
            pool.node_mut(next).prev = prev;
        }
        level.qty -= qty;
        level.orders -= 1;
        if level.orders == 0 {
            self.vacate(index, side);
        }
    }

    /// Lowers the resting quantity of level `index` by `qty` (a fill or a size-down amendment
    /// of one of its orders, which stays where it is).
    #[inline]
    pub fn reduce(&mut self, index: u32, qty: i64) {
        self.levels[index as usize].qty -= qty;
    }

    fn occupy(&mut self, index: u32, side: Side) {
        let (map, best) = match side {
            Side::Buy => (&mut self.bids, &mut self.best_bid),
            Side::Sell => (&mut self.asks, &mut self.best_ask),
        };
        map[(index / 64) as usize] |= 1 << (index % 64);
        let better = match (side, *best) {
            (_, None) => true,
            (Side::Buy, Some(b)) => index > b,
            (Side::Sell, Some(b)) => index < b,
        };
        if better {
            *best = Some(index);
        }
    }

    fn vacate(&mut self, index: u32, side: Side) {
        let word = (index / 64) as usize;
        match side {
            Side::Buy => {
                self.bids[word] &= !(1 << (index % 64));
                if self.best_bid == Some(index) {
                    self.best_bid = highest_at_or_below(&self.bids, index);
                }
            }
            Side::Sell => {
                self.asks[word] &= !(1 << (index % 64));
                if self.best_ask == Some(index) {
                    self.best_ask = lowest_at_or_above(&self.asks, index);
                }
            }
        }
    }

    /// The next occupied level of `side` after `index`, going away from the best price.
    #[inline]
    pub fn next_level(&self, side: Side, index: u32) -> Option<u32> {
        match side {
            Side::Buy => index
                .checked_sub(1)
                .and_then(|i| highest_at_or_below(&self.bids, i)),
            Side::Sell => lowest_at_or_above(&self.asks, index + 1),
        }
    }

    /// Up to `n` levels of `side`, best first: `(price, qty, orders)`.
    pub fn depth(&self, side: Side, n: usize, mut out: impl FnMut(i64, i64, u32)) {
        let mut level = self.best(side);
        let mut seen = 0;
        while let (Some(index), true) = (level, seen < n) {
            let l = self.level(index);
            out(self.price(index), l.qty, l.orders);
            seen += 1;
            level = self.next_level(side, index);
        }
    }
}

/// The highest set bit at or below `index`.
fn highest_at_or_below(map: &[u64], index: u32) -> Option<u32> {
    let mut word = (index / 64) as usize;
    let mut bits = map[word] & (u64::MAX >> (63 - index % 64));
    loop {
        if bits != 0 {
            return Some(word as u32 * 64 + 63 - bits.leading_zeros());
        }
        if word == 0 {
            return None;
        }
        word -= 1;
        bits = map[word];
    }
}

/// The lowest set bit at or above `index`.
fn lowest_at_or_above(map: &[u64], index: u32) -> Option<u32> {
    let mut word = (index / 64) as usize;
    if word >= map.len() {
        return None;
    }
    let mut bits = map[word] & (u64::MAX << (index % 64));
    loop {
        if bits != 0 {
            return Some(word as u32 * 64 + bits.trailing_zeros());
        }
        word += 1;
        if word >= map.len() {
            return None;
        }
        bits = map[word];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_scans_find_the_nearest_occupied_level_across_words() {
        let mut map = [0u64; 3];
        for i in [3u32, 64, 130] {
            map[(i / 64) as usize] |= 1 << (i % 64);
        }
        assert_eq!(highest_at_or_below(&map, 191), Some(130));
        assert_eq!(highest_at_or_below(&map, 129), Some(64));
        assert_eq!(highest_at_or_below(&map, 63), Some(3));
        assert_eq!(highest_at_or_below(&map, 2), None);
        assert_eq!(lowest_at_or_above(&map, 0), Some(3));
        assert_eq!(lowest_at_or_above(&map, 4), Some(64));
        assert_eq!(lowest_at_or_above(&map, 65), Some(130));
        assert_eq!(lowest_at_or_above(&map, 131), None);
        assert_eq!(lowest_at_or_above(&map, 500), None);
    }

    #[test]
    fn prices_map_to_levels_on_the_grid_inside_the_window() {
        let ladder = Ladder::new(108_425, 5, 128);
        let center = ladder.index(108_425).unwrap();
        assert_eq!(ladder.price(center), 108_425);
        assert_eq!(ladder.index(108_427), None, "off the grid");
        assert_eq!(
            ladder.index(108_425 + 5 * 1_000),
            None,
            "outside the window"
        );
        assert!(ladder.on_grid(108_425 + 5 * 1_000));
    }
}
