//! The benchmark's comparison is like for like: the exchange-core stream replayed through
//! `orderbook-rs` is accepted operation by operation and ends with the same best bid and ask as
//! Orion's book.

use orderbook_rs::OrderBook;
use orion_bench::clob::{self, Op};
use orion_hotpath::InstrumentId;
use orion_hotpath::book::TimeInForce;
use orion_hotpath::rfq::Side;
use pricelevel::{Id, OrderUpdate, Price};

#[test]
fn orderbook_rs_replays_the_stream_to_the_same_top_of_book() {
    let (warm, stream) = clob::workload(7, 50_000);
    let mut ours = clob::books();
    clob::warm(&mut ours, &warm);
    clob::run(&mut ours, &stream);

    let theirs = OrderBook::<()>::new("EUR/USD");
    let side = |s: Side| match s {
        Side::Buy => pricelevel::Side::Buy,
        Side::Sell => pricelevel::Side::Sell,
    };
    // Refusals of cancels and moves: an order one book still has and the other does not.
    let mut refused = 0;
    let place = |new: &orion_hotpath::book::NewOrder, id: u64| {
        let tif = match new.tif {
            TimeInForce::Ioc => pricelevel::TimeInForce::Ioc,
            _ => pricelevel::TimeInForce::Gtc,
        };
        theirs
            .add_limit_order(
                Id::from_u64(id),
                new.price as u128,
                new.qty as u64,
                side(new.side),
                tif,
                None,
            )
            .is_err()
    };
    for (new, id) in &warm {
        assert!(!place(new, *id), "warm-up orders rest");
    }
    for op in &stream {
        let failed = match *op {
            // orderbook-rs answers an IOC whose remainder it cancelled with an error; the
            // order did what an IOC does all the same.
            Op::Place(new, id) => {
                let _ = place(&new, id);
                false
            }
            Op::Cancel(_, id) => theirs.cancel_order(Id::from_u64(id.0)).is_err(),
            Op::Move(_, id, price) => theirs
                .update_order(OrderUpdate::UpdatePrice {
                    order_id: Id::from_u64(id.0),
                    new_price: Price::new(price as u128),
                })
                .is_err(),
        };
        refused += usize::from(failed);
    }
    assert!(
        refused < stream.len() / 100,
        "{refused} of {} refused",
        stream.len()
    );
    let eur = InstrumentId::from_index(0);
    assert_eq!(
        (
            ours.best(eur, Side::Buy).map(|(p, _)| p as u128),
            ours.best(eur, Side::Sell).map(|(p, _)| p as u128)
        ),
        (theirs.best_bid(), theirs.best_ask())
    );
}
