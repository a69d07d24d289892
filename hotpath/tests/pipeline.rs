//! The pipeline end to end in both layouts: ticks in, latest values and outputs out.

mod common;

use std::time::Duration;

use common::{instruments, raw, wait_until};
use orion_hotpath::{
    InputPayload, InstrumentId, Layout, OutputPayload, Pipeline, PipelineConfig, Polling, Producer,
    Timer, WaitStrategyKind,
};

fn config(layout: Layout) -> PipelineConfig {
    PipelineConfig {
        layout,
        wait: WaitStrategyKind::Yield,
        input_ring_size: 1024,
        stage_ring_size: 256,
        output_ring_size: 128,
        stale_after: Duration::from_nanos(1_000),
        ..PipelineConfig::default()
    }
}

fn run_layout(layout: Layout) {
    let table = instruments(100);
    let mut pipeline = Pipeline::start_single_producer(&config(layout), &table, None, ()).unwrap();
    for i in 0..10_000u64 {
        let tick = raw((i % 100) as u32, 100_000 + i as i64, 1 + i);
        pipeline
            .input
            .publish(|slot| slot.payload = InputPayload::Tick(tick));
    }
    pipeline
        .input
        .publish(|slot| slot.payload = InputPayload::Tick(raw(999, 1, 1)));
    let counters = pipeline.counters.clone();
    wait_until(|| counters.ticks_out.get() == 10_000 && counters.malformed.get() == 1);
    wait_until(|| counters.input_consumed.get() == 10_001);
    // Values become visible when the stage flushes at the end of its batch.
    wait_until(|| {
        (0..100u32).all(|id| {
            pipeline
                .snapshots
                .read(InstrumentId::from_index(id))
                .is_some_and(|s| s.seq == 100)
        })
    });

    for id in 0..100u32 {
        let snap = pipeline
            .snapshots
            .read(InstrumentId::from_index(id))
            .unwrap();
        assert_eq!(snap.seq, 100, "one sequence step per applied tick");
        assert_eq!(
            snap.bid,
            100_000 + 9_900 + i64::from(id),
            "latest value wins"
        );
    }

    pipeline
        .input
        .publish(|slot| slot.payload = InputPayload::Timer(Timer { now: 1_000_000 }));
    wait_until(|| counters.stale_detected.get() == 100);
    let mut stale = 0;
    while stale < 100 {
        match pipeline.outputs.poll() {
            Ok(mut events) => {
                for event in &mut events {
                    assert!(matches!(
                        event.payload,
                        OutputPayload::MarketDataStaleDetected { .. }
                    ));
                    stale += 1;
                }
            }
            Err(Polling::NoEvents) => std::thread::yield_now(),
            Err(Polling::Shutdown) => panic!("shut down early"),
        }
    }
    assert!(
        pipeline
            .snapshots
            .read(InstrumentId::from_index(5))
            .unwrap()
            .is_stale()
    );

    let Pipeline {
        input, mut outputs, ..
    } = pipeline;
    drop(input);
    assert!(matches!(outputs.poll(), Err(Polling::Shutdown)));
}

#[test]
fn fused_layout_coalesces_and_detects_stale() {
    run_layout(Layout::Fused { core: None });
}

#[test]
fn split_layout_coalesces_and_detects_stale() {
    run_layout(Layout::Split {
        normalize_core: None,
        coalesce_core: None,
    });
}

#[test]
fn multi_producer_accepts_publishers_on_several_threads() {
    let table = instruments(8);
    let pipeline =
        Pipeline::start_multi_producer(&config(Layout::Fused { core: None }), &table, None, ())
            .unwrap();
    let counters = pipeline.counters.clone();
    let handles: Vec<_> = (0..4u32)
        .map(|t| {
            let mut input = pipeline.input.clone();
            std::thread::spawn(move || {
                for i in 0..5_000u64 {
                    let tick = raw(t * 2, 10 + i as i64, 1 + i);
                    input.publish(|slot| slot.payload = InputPayload::Tick(tick));
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    wait_until(|| counters.ticks_out.get() == 20_000);
    wait_until(|| {
        pipeline
            .snapshots
            .read(InstrumentId::from_index(6))
            .is_some_and(|s| s.seq == 5_000)
    });
    let snap = pipeline
        .snapshots
        .read(InstrumentId::from_index(6))
        .unwrap();
    assert_eq!((snap.seq, snap.bid), (5_000, 10 + 4_999));
}

#[test]
fn invalid_configuration_is_refused() {
    let table = instruments(1);
    let mut bad = config(Layout::Fused { core: None });
    bad.input_ring_size = 1000;
    assert!(Pipeline::start_single_producer(&bad, &table, None, ()).is_err());
    let bad_core = config(Layout::Fused { core: Some(4096) });
    assert!(Pipeline::start_single_producer(&bad_core, &table, None, ()).is_err());
}
