//! The order slab: every order lives in one preallocated slot from acceptance until it leaves
//! the book, so placing, matching and cancelling never allocate. Free slots are a LIFO stack
//! (deterministic reuse); an [`OrderId`] carries its slot and its order's serial (the slot's
//! generation). Serials only grow — across restarts too, when the book resumes from the last one
//! issued — so an order id is unique for good and a stale id never reaches the slot's next tenant.

use super::types::{OrderId, OrderState};
use crate::rfq::{Side, UserId};

/// "No slot" in the intrusive links.
pub const NIL: u32 = u32::MAX;

/// One order's slot.
#[derive(Debug, Clone, Copy)]
pub struct OrderNode {
    /// Bumped each time the slot is released.
    pub generation: u32,
    /// Holds a working order.
    pub live: bool,
    /// The book's instrument index.
    pub instrument: u32,
    /// Owner.
    pub user: UserId,
    /// Side.
    pub side: Side,
    /// Limit price in units (0 for MARKET, which never rests).
    pub price: i64,
    /// Quantity ordered (adjusted by amendments).
    pub original: i64,
    /// Quantity left to fill.
    pub remaining: i64,
    /// Quantity filled.
    pub filled: i64,
    /// State.
    pub state: OrderState,
    /// Resting in a level (linked), rather than still matching.
    pub resting: bool,
    /// Previous order in its level (towards the head), or [`NIL`].
    pub prev: u32,
    /// Next order in its level (towards the tail), or [`NIL`].
    pub next: u32,
}

impl OrderNode {
    const EMPTY: OrderNode = OrderNode {
        generation: 0,
        live: false,
        instrument: 0,
        user: UserId(0),
        side: Side::Buy,
        price: 0,
        original: 0,
        remaining: 0,
        filled: 0,
        state: OrderState::Ack,
        resting: false,
        prev: NIL,
        next: NIL,
    };
}

/// The slab.
#[derive(Debug)]
pub struct OrderPool {
    nodes: Box<[OrderNode]>,
    free: Box<[u32]>,
    free_len: usize,
}

impl OrderPool {
    /// A pool of `capacity` slots (allocated once, here).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.min(NIL as usize);
        Self {
            nodes: vec![OrderNode::EMPTY; capacity].into_boxed_slice(),
            // Popped from the end: slot 0 first.
            free: (0..capacity as u32).rev().collect(),
            free_len: capacity,
        }
    }

    /// Takes a free slot for the order with serial `serial`, or `None` when all are in use.
    pub fn alloc(&mut self, serial: u32) -> Option<u32> {
        if self.free_len == 0 {
            return None;
        }
        self.free_len -= 1;
        let slot = self.free[self.free_len];
        self.occupy(slot, serial);
        Some(slot)
    }

    /// Takes the free slot `slot` for the order with serial `serial` (recovery puts an order
    /// back where it was); false when the slot is out of range or taken.
    pub fn claim(&mut self, slot: u32, serial: u32) -> bool {
        let Some(position) = self.free[..self.free_len].iter().rposition(|&s| s == slot) else {
            return false;
        };
        self.free.copy_within(position + 1..self.free_len, position);
        self.free_len -= 1;
        self.occupy(slot, serial);
        true
    }

    fn occupy(&mut self, slot: u32, serial: u32) {
        let node = &mut self.nodes[slot as usize];
        node.generation = serial;
        node.live = true;
        node.resting = false;
        node.prev = NIL;
        node.next = NIL;
    }

    /// Frees a slot: its order left the book.
    pub fn release(&mut self, slot: u32) {
        let node = &mut self.nodes[slot as usize];
        debug_assert!(node.live, "released twice");
        node.live = false;
        node.resting = false;
        self.free[self.free_len] = slot;
        self.free_len += 1;
    }

    /// The slot of a working order, or `None` for an unknown or departed one.
    pub fn find(&self, id: OrderId) -> Option<u32> {
        let node = self.nodes.get(id.slot() as usize)?;
        (node.live && node.generation == id.generation()).then_some(id.slot())
    }

    /// The id of the order in `slot`.
    pub fn id(&self, slot: u32) -> OrderId {
        OrderId::new(slot, self.nodes[slot as usize].generation)
    }

    /// A slot.
    pub fn node(&self, slot: u32) -> &OrderNode {
        &self.nodes[slot as usize]
    }

    /// A slot, to change.
    pub fn node_mut(&mut self, slot: u32) -> &mut OrderNode {
        &mut self.nodes[slot as usize]
    }

    /// Working orders.
    pub fn live(&self) -> usize {
        self.nodes.len() - self.free_len
    }

    /// Slots in all.
    pub fn capacity(&self) -> usize {
        self.nodes.len()
    }

    /// Every slot, for scans (kill switches, recovery checks).
    pub fn nodes(&self) -> &[OrderNode] {
        &self.nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_departed_orders_never_resolve_to_the_slots_next_order() {
        let mut pool = OrderPool::new(2);
        let a = pool.alloc(1).unwrap();
        let id_a = pool.id(a);
        assert_eq!(pool.find(id_a), Some(a));
        pool.release(a);
        assert_eq!(pool.find(id_a), None);
        let b = pool.alloc(2).unwrap();
        assert_eq!(b, a, "LIFO reuse");
        assert_ne!(pool.id(b), id_a);
        assert!(pool.alloc(3).is_some());
        assert!(pool.alloc(4).is_none(), "bounded");
        assert_eq!(pool.live(), 2);
    }

    #[test]
    fn recovery_claims_the_slot_an_order_had() {
        let mut pool = OrderPool::new(4);
        assert!(pool.claim(2, 41));
        assert!(!pool.claim(2, 42), "taken");
        assert!(!pool.claim(9, 42), "out of range");
        assert_eq!(pool.find(OrderId::new(2, 41)), Some(2));
        let others: Vec<u32> = (0..3).map(|n| pool.alloc(50 + n).unwrap()).collect();
        assert_eq!(
            others,
            [0, 1, 3],
            "the rest are handed out in their usual order"
        );
    }
}
