//! Criterion benchmarks of the RFQ engine on one core: a whole RFQ round (create, ten quotes,
//! accept and trade) and the quote path alone.
#![allow(missing_docs)]

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use orion_bench::engine::{QUOTES_PER_RFQ, engine, round};

fn engine_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    let base = 1_700_000_000_000_000_000u64;
    let mut e = engine();
    let mut i = 0u64;
    group.throughput(Throughput::Elements(QUOTES_PER_RFQ as u64 + 2));
    group.bench_function("rfq-round", |b| {
        b.iter(|| {
            i += 1;
            round(&mut e, base + i * 10, i)
        })
    });
    group.throughput(Throughput::Elements(QUOTES_PER_RFQ as u64));
    group.bench_function("quotes", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                i += 1;
                let (quoting, _) = round(&mut e, base + i * 10, i);
                spent += Duration::from_nanos(quoting);
            }
            spent
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = engine_benches
}
criterion_main!(benches);
