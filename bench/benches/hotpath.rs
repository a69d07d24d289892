//! Criterion benchmarks of the hot path.
//!
//! - `stages/*`: per-tick cost of each stage on one thread, with `base` measuring the harness
//!   (walking the prepared tick array) alone.
//! - `instruments/*`: fused normalize + coalesce per tick at 10, 1,000 and 10,000 instruments.
//! - `pipeline/*`: sustained publish → applied throughput of every [`Variant`], one by one and
//!   (disruptor) in batches of 64, all in the same run.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use orion_bench::harness::{self, Placement, Variant, wait_applied};
use orion_bench::workload::{instruments, ticks};
use orion_hotpath::{CoalesceStage, NormalizeStage, PipelineCounters, SnapshotTable};

const TICKS: usize = 1 << 14;

fn stages(c: &mut Criterion) {
    let table = instruments(25);
    let raw = ticks(25, TICKS);
    let counters = Arc::new(PipelineCounters::default());
    let mut normalize = NormalizeStage::new(&table, u64::MAX, Arc::clone(&counters));
    let normalized: Vec<_> = raw
        .iter()
        .filter_map(|t| normalize.handle_tick(t))
        .collect();
    let mut coalesce = CoalesceStage::new(
        Arc::new(SnapshotTable::new(25)),
        u64::MAX,
        Arc::clone(&counters),
        (),
    );
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("base", |b| {
        b.iter(|| {
            i = (i + 1) & (TICKS - 1);
            black_box(&raw[i]);
        })
    });
    group.bench_function("normalize", |b| {
        b.iter(|| {
            i = (i + 1) & (TICKS - 1);
            black_box(normalize.handle_tick(&raw[i]));
        })
    });
    group.bench_function("coalesce", |b| {
        b.iter(|| {
            i = (i + 1) & (TICKS - 1);
            coalesce.handle_tick(&normalized[i], &mut |_| {});
            if i & 63 == 0 {
                coalesce.flush();
            }
        })
    });
    group.bench_function("fused", |b| {
        b.iter(|| {
            i = (i + 1) & (TICKS - 1);
            if let Some(tick) = normalize.handle_tick(&raw[i]) {
                coalesce.handle_tick(&tick, &mut |_| {});
            }
            if i & 63 == 0 {
                coalesce.flush();
            }
        })
    });
    group.finish();
}

fn instrument_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("instruments");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 1_000, 10_000] {
        let table = instruments(n);
        let raw = ticks(n, TICKS);
        let counters = Arc::new(PipelineCounters::default());
        let mut normalize = NormalizeStage::new(&table, u64::MAX, Arc::clone(&counters));
        let mut coalesce =
            CoalesceStage::new(Arc::new(SnapshotTable::new(n)), u64::MAX, counters, ());
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::new("fused", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) & (TICKS - 1);
                if let Some(tick) = normalize.handle_tick(&raw[i]) {
                    coalesce.handle_tick(&tick, &mut |_| {});
                }
                if i & 63 == 0 {
                    coalesce.flush();
                }
            })
        });
        // Publishing every tick (no conflation inside a batch) isolates the per-instrument
        // state lookup from the coalescing win, which grows as instruments get fewer.
        group.bench_with_input(BenchmarkId::new("fused-flush-each", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) & (TICKS - 1);
                if let Some(tick) = normalize.handle_tick(&raw[i]) {
                    coalesce.handle_tick(&tick, &mut |_| {});
                }
                coalesce.flush();
            })
        });
    }
    group.finish();
}

fn pipelines(c: &mut Criterion) {
    let table = instruments(25);
    let raw = ticks(25, TICKS);
    let cores = orion_bench::machine::cores();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    let mut measure = |name: String, variant: Variant, batch: usize| {
        let mut pipeline =
            harness::start(variant, &table, (), Placement::for_machine(variant, cores));
        let mut published = 0u64;
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                let mut left = iters as usize;
                let mut i = 0usize;
                while left > 0 {
                    let n = batch.min(left).min(TICKS - i);
                    if batch == 1 {
                        pipeline.publish(&raw[i]);
                    } else {
                        pipeline.publish_batch(&raw[i..i + n]);
                    }
                    left -= n;
                    i = (i + n) & (TICKS - 1);
                }
                published += iters;
                wait_applied(pipeline.as_ref(), published);
                start.elapsed()
            })
        });
        pipeline.shutdown();
    };
    for variant in Variant::ALL {
        measure(format!("{}/one-by-one", variant.name()), variant, 1);
    }
    measure(
        "disruptor-fused/batch-64".into(),
        Variant::DisruptorFused,
        64,
    );
    measure(
        "disruptor-split/batch-64".into(),
        Variant::DisruptorSplit,
        64,
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = stages, instrument_scaling, pipelines
}
criterion_main!(benches);
