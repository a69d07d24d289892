//! The order book under exchange-core's benchmark mix (`orion_bench::clob`): operations per
//! second on one core, replaying a million pre-generated operations on a warmed book — Orion's
//! book, and in the same run the same stream through `orderbook-rs` (crates.io).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use orderbook_rs::OrderBook;
use orion_bench::clob::{self, Op};
use orion_hotpath::book::{NewOrder, TimeInForce};
use orion_hotpath::rfq::Side;
use pricelevel::{Id, OrderUpdate, Price};

const OPS: usize = 1_000_000;

fn side(side: Side) -> pricelevel::Side {
    match side {
        Side::Buy => pricelevel::Side::Buy,
        Side::Sell => pricelevel::Side::Sell,
    }
}

fn place(book: &OrderBook<()>, new: &NewOrder, id: u64) {
    let tif = match new.tif {
        TimeInForce::Ioc => pricelevel::TimeInForce::Ioc,
        TimeInForce::Fok => pricelevel::TimeInForce::Fok,
        TimeInForce::Gtc => pricelevel::TimeInForce::Gtc,
    };
    let _ = black_box(book.add_limit_order(
        Id::from_u64(id),
        new.price as u128,
        new.qty as u64,
        side(new.side),
        tif,
        None,
    ));
}

/// Replays the stream through `orderbook-rs`; rejected operations (an order its matching
/// removed differently) count as operations too.
fn orderbook_rs(warm: &[(NewOrder, u64)], stream: &[Op]) -> Duration {
    let book = OrderBook::<()>::new("EUR/USD");
    for (new, id) in warm {
        place(&book, new, *id);
    }
    let start = Instant::now();
    for op in stream {
        match *op {
            Op::Place(new, id) => place(&book, &new, id),
            Op::Cancel(_, id) => {
                let _ = black_box(book.cancel_order(Id::from_u64(id.0)));
            }
            Op::Move(_, id, price) => {
                let _ = black_box(book.update_order(OrderUpdate::UpdatePrice {
                    order_id: Id::from_u64(id.0),
                    new_price: Price::new(price as u128),
                }));
            }
        }
    }
    start.elapsed()
}

fn exchange_core_mix(c: &mut Criterion) {
    let (warm, stream) = clob::workload(42, OPS);
    let mut group = c.benchmark_group("clob");
    group.throughput(Throughput::Elements(OPS as u64));
    group.sample_size(10);
    group.bench_function("exchange-core-mix", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut book = clob::books();
                clob::warm(&mut book, &warm);
                let start = Instant::now();
                black_box(clob::run(&mut book, &stream));
                total += start.elapsed();
            }
            total
        })
    });
    group.bench_function("orderbook-rs/exchange-core-mix", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| orderbook_rs(&warm, &stream)).sum())
    });
    group.finish();
}

criterion_group!(benches, exchange_core_mix);
criterion_main!(benches);
