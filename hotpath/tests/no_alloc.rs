//! Zero heap allocations per event: the whole pipeline (normalize, coalesce, flush, stale
//! detection, output ring) runs under a counting global allocator.

mod common;

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{instruments, raw, wait_until};
use orion_hotpath::{
    InputPayload, Layout, Pipeline, PipelineConfig, Producer, Timer, WaitStrategyKind,
};

struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: AllocLayout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`/`dealloc`; the contract is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

fn assert_no_allocations(layout: Layout) {
    let table = instruments(1_000);
    let config = PipelineConfig {
        layout,
        wait: WaitStrategyKind::Yield,
        stale_after: Duration::from_nanos(10),
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::start_single_producer(&config, &table, ()).unwrap();
    let counters = pipeline.counters.clone();
    let mut publish = |from: u64, to: u64| {
        for i in from..to {
            let tick = raw((i % 1_000) as u32, 100 + (i % 50) as i64, 1 + i);
            pipeline
                .input
                .publish(|slot| slot.payload = InputPayload::Tick(tick));
            if i % 10_000 == 0 {
                pipeline
                    .input
                    .publish(|slot| slot.payload = InputPayload::Timer(Timer { now: 1 + i }));
            }
        }
    };
    publish(0, 50_000);
    wait_until(|| counters.ticks_out.get() == 50_000);

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    publish(50_000, 1_050_000);
    wait_until(|| counters.ticks_out.get() == 1_050_000);
    let mut drained = 0u64;
    while let Ok(mut events) = pipeline.outputs.poll() {
        drained += (&mut events).count() as u64;
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocations, 0,
        "1,000,000 events allocated {allocations} times"
    );
    assert!(
        counters.stale_detected.get() > 0 && drained > 0,
        "stale path exercised"
    );
}

/// One test, both layouts in turn: the allocation counter is process-wide, so nothing else may
/// run beside the measured window.
#[test]
fn pipeline_never_allocates_per_event() {
    assert_no_allocations(Layout::Fused { core: None });
    assert_no_allocations(Layout::Split {
        normalize_core: None,
        coalesce_core: None,
    });
}
