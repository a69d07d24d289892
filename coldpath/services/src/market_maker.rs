//! Market-maker bots: a house trader (`mm@orion`) that rests two-sided orders around the
//! simulator's price for every order book, so `orion up` always has a live book.
//!
//! For each instrument the bot keeps [`MarketMakerConfig::levels`] bids and as many asks, the
//! best ones at the simulator's bid and ask, the others one spread further out each. It skews
//! every price against its inventory (long ⇒ lower prices, to sell; short ⇒ higher), and when
//! the market moves by at least a spread it moves its orders with amends — not cancel and
//! replace — so a level that did not move keeps its time priority. Its orders are real order
//! flow: the same service, risk, journal and events as any trader's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use orion_hotpath::{InstrumentId, InstrumentTable, Price, Qty, SnapshotTable};
use orion_journal::Decision;

use crate::rfq::orders::OrderRequest;
use crate::rfq::{Caller, RfqService};

/// How the bots quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketMakerConfig {
    /// Orders per side and instrument.
    pub levels: usize,
    /// How often each book is looked at.
    pub refresh: Duration,
    /// Quote-currency notional of one order (its quantity is this over the mid, rounded).
    pub notional_per_order: i64,
}

impl Default for MarketMakerConfig {
    fn default() -> Self {
        Self {
            levels: 5,
            refresh: Duration::from_millis(1_000),
            notional_per_order: 2_000_000,
        }
    }
}

/// The house trader the bots act as.
pub const MARKET_MAKER: (&str, &str) = ("orion", "mm@orion");

/// One resting order the bot holds: its id and where it stands.
#[derive(Debug, Clone, Copy)]
struct Held {
    order_id: u64,
    price: i64,
    filled: i64,
}

/// One instrument's quoting state.
#[derive(Debug, Default)]
struct Book {
    /// `(side: 0 bid / 1 ask, level)` → order.
    held: HashMap<(u8, usize), Held>,
    /// Net position in size units (bought − sold).
    inventory: i64,
    /// The reference (bid, ask) the orders were last placed around.
    anchor: Option<(i64, i64)>,
}

/// A quantity of about `notional / mid`, rounded down to one significant figure, in size
/// units; at least one whole unit.
fn order_qty(notional: i64, mid: i64, price_scale: u8, size_scale: u8) -> i64 {
    let mid = (mid as f64) / 10f64.powi(i32::from(price_scale));
    let whole = (notional as f64 / mid.max(1e-9)).max(1.0);
    let magnitude = 10f64.powi(whole.log10().floor() as i32);
    let rounded = ((whole / magnitude).floor() * magnitude).max(1.0) as i64;
    rounded.saturating_mul(10i64.pow(u32::from(size_scale)))
}

/// The bot's price for `level` of `side` (0 bid, 1 ask) around `(bid, ask)`, skewed by
/// `skew` ticks (positive: lower).
fn level_price(side: u8, level: usize, (bid, ask): (i64, i64), tick: i64, skew: i64) -> i64 {
    let spread = (ask - bid).max(tick);
    let away = spread * level as i64;
    let price = if side == 0 { bid - away } else { ask + away } - skew * tick;
    (price / tick * tick).max(tick)
}

/// Runs the bots until `stop` turns true.
pub async fn run(
    service: Arc<RfqService>,
    caller: Caller,
    instruments: Arc<InstrumentTable>,
    snapshots: Arc<SnapshotTable>,
    config: MarketMakerConfig,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    cancel_leftovers(&service, &caller).await;
    let mut books: HashMap<InstrumentId, Book> = HashMap::new();
    let mut every = tokio::time::interval(config.refresh);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let ids: Vec<(InstrumentId, orion_hotpath::InstrumentSpec)> = instruments
            .iter()
            .map(|(id, spec)| (id, spec.clone()))
            .collect();
        for (id, spec) in ids {
            let Some(snapshot) = snapshots.read(id) else {
                continue;
            };
            if snapshot.bid <= 0 || snapshot.ask <= snapshot.bid {
                continue;
            }
            let book = books.entry(id).or_default();
            requote(
                &service,
                &caller,
                &spec,
                (snapshot.bid, snapshot.ask),
                book,
                config,
            )
            .await;
        }
    }
}

/// Cancels the house's working orders left from an earlier run: the bots start flat and
/// quote afresh rather than adopt orders they do not know the levels of.
async fn cancel_leftovers(service: &RfqService, caller: &Caller) {
    let filter = crate::rfq::orders::OrderFilter {
        status: "WORKING".into(),
        instrument: String::new(),
    };
    let mut cursor = None;
    loop {
        let page = crate::rfq::PageQuery {
            limit: Some(500),
            cursor: cursor.take(),
        };
        let page = match service.list_orders(caller, &filter, &page).await {
            Ok(page) => page,
            Err(err) => {
                tracing::warn!(cause = %err, "market maker could not list its orders");
                return;
            }
        };
        for order in &page.items {
            let correlation_id = uuid::Uuid::new_v4().to_string();
            let cancelled = service
                .cancel_order(caller, order.order_id as u64, &correlation_id)
                .await;
            if let Err(err) = cancelled {
                tracing::debug!(order = order.order_id, cause = %err, "leftover order not cancelled");
            }
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return,
        }
    }
}

/// Brings one instrument's orders to where they should be.
async fn requote(
    service: &RfqService,
    caller: &Caller,
    spec: &orion_hotpath::InstrumentSpec,
    market: (i64, i64),
    book: &mut Book,
    config: MarketMakerConfig,
) {
    let tick = spec.tick_size.max(1);
    let spread = (market.1 - market.0).max(tick);
    let moved = book.anchor.is_none_or(|(bid, ask)| {
        (bid - market.0).abs() >= spread || (ask - market.1).abs() >= spread
    });
    let incomplete = book.held.len() < 2 * config.levels;
    if !moved && !incomplete {
        return;
    }
    let qty = order_qty(
        config.notional_per_order,
        (market.0 + market.1) / 2,
        spec.price_scale,
        spec.size_scale,
    );
    // One tick of skew per order's worth of inventory, at most three.
    let skew = (book.inventory / qty.max(1)).clamp(-3, 3);
    // Move the side the market moves towards first, so the bot's own bids and asks never
    // cross on the way.
    let rising = book.anchor.is_some_and(|(bid, _)| market.0 > bid);
    book.anchor = Some(market);
    let qty_text = Qty::new(qty, spec.size_scale).to_string();
    let sides = if rising { [1u8, 0] } else { [0u8, 1] };
    for side in sides {
        for level in 0..config.levels {
            let price = level_price(side, level, market, tick, skew);
            let price_text = Price::new(price, spec.price_scale).to_string();
            let held = book.held.get(&(side, level)).copied();
            let correlation_id = uuid::Uuid::new_v4().to_string();
            let answer = match held {
                Some(h) if h.price == price => continue,
                Some(h) => {
                    service
                        .amend_order(
                            caller,
                            h.order_id,
                            Some(&qty_text),
                            Some(&price_text),
                            &correlation_id,
                        )
                        .await
                }
                None => {
                    let request = OrderRequest {
                        instrument_id: spec.symbol.clone(),
                        side: if side == 0 { "BUY" } else { "SELL" }.into(),
                        order_type: "LIMIT".into(),
                        qty: qty_text.clone(),
                        limit_price: Some(price_text),
                        time_in_force: "GTC".into(),
                    };
                    let key = uuid::Uuid::new_v4().to_string();
                    service
                        .place_order(caller, &request, key, &correlation_id)
                        .await
                }
            };
            let order = match answer.map(|a| a.decision) {
                Ok(Decision::Order(order)) => order,
                Ok(other) => {
                    tracing::debug!(instrument = spec.symbol, decision = ?other, "market maker order refused");
                    book.held.remove(&(side, level));
                    continue;
                }
                Err(err) => {
                    tracing::debug!(instrument = spec.symbol, cause = %err, "market maker order failed");
                    book.held.remove(&(side, level));
                    continue;
                }
            };
            let filled = Qty::parse(&order.filled_qty, spec.size_scale).map_or(0, |q| q.units());
            let before = held
                .filter(|h| h.order_id == order.order_id)
                .map_or(0, |h| h.filled);
            let sign = if side == 0 { 1 } else { -1 };
            book.inventory += sign * (filled - before);
            if matches!(order.status.as_str(), "ACK" | "PARTIAL_FILL") {
                book.held.insert(
                    (side, level),
                    Held {
                        order_id: order.order_id,
                        price,
                        filled,
                    },
                );
            } else {
                book.held.remove(&(side, level));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_sizes_are_round_and_about_the_notional() {
        // EUR/USD at 1.08425: 2M / 1.08 ≈ 1.84M → 1M (one significant figure, rounded down).
        assert_eq!(order_qty(2_000_000, 108_425, 5, 2), 1_000_000 * 100);
        // USD/JPY at 151.235: ≈ 13,224 → 10,000.
        assert_eq!(order_qty(2_000_000, 151_235, 3, 2), 10_000 * 100);
        // A 10Y at 97.53: ≈ 20,506 → 20,000.
        assert_eq!(order_qty(2_000_000, 97_531_250, 6, 0), 20_000);
    }

    #[test]
    fn levels_step_out_by_the_spread_and_skew_against_inventory() {
        let market = (108_420, 108_422);
        assert_eq!(level_price(0, 0, market, 1, 0), 108_420);
        assert_eq!(level_price(1, 0, market, 1, 0), 108_422);
        assert_eq!(level_price(0, 2, market, 1, 0), 108_416);
        assert_eq!(level_price(1, 2, market, 1, 0), 108_426);
        // Long two orders' worth: both sides two ticks lower.
        assert_eq!(level_price(0, 0, market, 1, 2), 108_418);
        assert_eq!(level_price(1, 0, market, 1, 2), 108_420);
    }
}
