//! The order book under exchange-core's benchmark mix (`orion_bench::clob`): operations per
//! second on one core, replaying a million pre-generated operations on a warmed book.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use orion_bench::clob;

const OPS: usize = 1_000_000;

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
    group.finish();
}

criterion_group!(benches, exchange_core_mix);
criterion_main!(benches);
