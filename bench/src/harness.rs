//! The pipelines under test behind one interface.
//!
//! Every variant runs the very same [`NormalizeStage`] and [`CoalesceStage`]; only the
//! transport and thread layout differ:
//!
//! | variant | transport | threads after the publisher |
//! |---|---|---|
//! | `disruptor-fused` | one disruptor ring | 1: normalize → coalesce |
//! | `disruptor-split` | two disruptor rings | 2: normalize, coalesce |
//! | `crossbeam-fused` / `mpsc-fused` | one bounded channel | 1 |
//! | `crossbeam-split` / `mpsc-split` | two bounded channels | 2 |
//!
//! Channel consumers drain what is queued and flush the coalesce stage when the queue runs
//! dry or every 64 events — the same batching the disruptor's end-of-batch flag gives — and
//! idle the same way as the disruptor's wait strategy (spin hint or yield).

use std::sync::Arc;
use std::thread::JoinHandle;

use orion_hotpath::pipeline::SingleInput;
use orion_hotpath::{
    CoalesceStage, InputPayload, InstrumentTable, Layout, NormalizeStage, Pipeline, PipelineConfig,
    PipelineCounters, Producer, RawTick, SnapshotTable, TickObserver, WaitStrategyKind,
    event::StagePayload,
};

/// Capacity of every ring and channel in the comparison.
pub const CAPACITY: usize = 1 << 16;
const FLUSH_EVERY: usize = 64;

/// A pipeline variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Disruptor, both stages on one thread.
    DisruptorFused,
    /// Disruptor, a thread per stage.
    DisruptorSplit,
    /// crossbeam bounded channel, one stage thread.
    CrossbeamFused,
    /// crossbeam bounded channels, a thread per stage.
    CrossbeamSplit,
    /// std `sync_channel`, one stage thread.
    MpscFused,
    /// std `sync_channel`s, a thread per stage.
    MpscSplit,
}

impl Variant {
    /// Every variant, in report order.
    pub const ALL: [Variant; 6] = [
        Variant::DisruptorFused,
        Variant::DisruptorSplit,
        Variant::CrossbeamFused,
        Variant::CrossbeamSplit,
        Variant::MpscFused,
        Variant::MpscSplit,
    ];

    /// Short name used in bench ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::DisruptorFused => "disruptor-fused",
            Variant::DisruptorSplit => "disruptor-split",
            Variant::CrossbeamFused => "crossbeam-fused",
            Variant::CrossbeamSplit => "crossbeam-split",
            Variant::MpscFused => "mpsc-fused",
            Variant::MpscSplit => "mpsc-split",
        }
    }

    /// True for the two-thread layouts.
    pub fn is_split(self) -> bool {
        matches!(
            self,
            Variant::DisruptorSplit | Variant::CrossbeamSplit | Variant::MpscSplit
        )
    }
}

/// How idle stage threads wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Busy-spin with the spin-loop hint.
    Spin,
    /// `thread::yield_now` between polls.
    Yield,
}

/// Where the stage threads run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// First stage's core.
    pub first: Option<usize>,
    /// Second stage's core (split layouts).
    pub second: Option<usize>,
    /// Wait strategy.
    pub idle: Idle,
}

impl Placement {
    /// The layout this report uses on a machine with `cores` cores: the publisher stays
    /// unpinned; the fused stage thread (or the first split stage) is pinned to the last core;
    /// split layouts yield (three threads share two cores), fused ones spin.
    pub fn for_machine(variant: Variant, cores: usize) -> Self {
        let last = cores.checked_sub(1).filter(|&c| c > 0);
        if variant.is_split() {
            let (first, second) = if cores >= 3 {
                (Some(1), Some(2))
            } else {
                (last, None)
            };
            Placement {
                first,
                second,
                idle: Idle::Yield,
            }
        } else {
            Placement {
                first: last,
                second: None,
                idle: Idle::Spin,
            }
        }
    }
}

/// A running pipeline the benchmarks publish into.
pub trait Harness: Send {
    /// Publishes one tick (blocking when full: the benchmarks measure sustained throughput).
    fn publish(&mut self, tick: &RawTick);
    /// Publishes ticks as one batch where the transport can (disruptor `batch_publish`).
    fn publish_batch(&mut self, ticks: &[RawTick]);
    /// Ticks applied by the coalesce stage so far.
    fn applied(&self) -> u64;
    /// Stops the stage threads after they drained everything.
    fn shutdown(self: Box<Self>);
}

/// Starts `variant` over `instruments` with `observer` on the coalesce stage.
pub fn start<O: TickObserver>(
    variant: Variant,
    instruments: &InstrumentTable,
    observer: O,
    placement: Placement,
) -> Box<dyn Harness> {
    match variant {
        Variant::DisruptorFused | Variant::DisruptorSplit => {
            let config = PipelineConfig {
                layout: if variant.is_split() {
                    Layout::Split {
                        normalize_core: placement.first,
                        coalesce_core: placement.second,
                    }
                } else {
                    Layout::Fused {
                        core: placement.first,
                    }
                },
                wait: match placement.idle {
                    Idle::Spin => WaitStrategyKind::SpinLoopHint,
                    Idle::Yield => WaitStrategyKind::Yield,
                },
                input_ring_size: CAPACITY,
                stage_ring_size: CAPACITY,
                ..PipelineConfig::default()
            };
            let pipeline = Pipeline::start_single_producer(&config, instruments, None, observer)
                .expect("valid benchmark configuration");
            Box::new(DisruptorHarness { pipeline })
        }
        Variant::CrossbeamFused | Variant::CrossbeamSplit => {
            Box::new(ChannelHarness::<Crossbeam>::start(
                variant.is_split(),
                instruments,
                observer,
                placement,
            ))
        }
        Variant::MpscFused | Variant::MpscSplit => Box::new(ChannelHarness::<Mpsc>::start(
            variant.is_split(),
            instruments,
            observer,
            placement,
        )),
    }
}

struct DisruptorHarness {
    pipeline: Pipeline<SingleInput>,
}

impl Harness for DisruptorHarness {
    #[inline]
    fn publish(&mut self, tick: &RawTick) {
        let tick = *tick;
        self.pipeline
            .input
            .publish(|slot| slot.payload = InputPayload::Tick(tick));
    }

    #[inline]
    fn publish_batch(&mut self, ticks: &[RawTick]) {
        self.pipeline.input.batch_publish(ticks.len(), |slots| {
            for (slot, tick) in slots.zip(ticks) {
                slot.payload = InputPayload::Tick(*tick);
            }
        });
    }

    fn applied(&self) -> u64 {
        self.pipeline.counters.ticks_out.get()
    }

    fn shutdown(self: Box<Self>) {
        drop(self.pipeline);
    }
}

enum Recv<T> {
    Item(T),
    Empty,
    Closed,
}

trait Chan: 'static {
    type Tx<T: Send + 'static>: Send + 'static;
    type Rx<T: Send + 'static>: Send + 'static;
    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>);
    fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T);
    fn try_recv<T: Send + 'static>(rx: &Self::Rx<T>) -> Recv<T>;
}

struct Crossbeam;

impl Chan for Crossbeam {
    type Tx<T: Send + 'static> = crossbeam_channel::Sender<T>;
    type Rx<T: Send + 'static> = crossbeam_channel::Receiver<T>;

    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        crossbeam_channel::bounded(capacity)
    }

    #[inline]
    fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) {
        let _ = tx.send(value);
    }

    #[inline]
    fn try_recv<T: Send + 'static>(rx: &Self::Rx<T>) -> Recv<T> {
        match rx.try_recv() {
            Ok(v) => Recv::Item(v),
            Err(crossbeam_channel::TryRecvError::Empty) => Recv::Empty,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Recv::Closed,
        }
    }
}

struct Mpsc;

impl Chan for Mpsc {
    type Tx<T: Send + 'static> = std::sync::mpsc::SyncSender<T>;
    type Rx<T: Send + 'static> = std::sync::mpsc::Receiver<T>;

    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::Tx<T>, Self::Rx<T>) {
        std::sync::mpsc::sync_channel(capacity)
    }

    #[inline]
    fn send<T: Send + 'static>(tx: &Self::Tx<T>, value: T) {
        let _ = tx.send(value);
    }

    #[inline]
    fn try_recv<T: Send + 'static>(rx: &Self::Rx<T>) -> Recv<T> {
        match rx.try_recv() {
            Ok(v) => Recv::Item(v),
            Err(std::sync::mpsc::TryRecvError::Empty) => Recv::Empty,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Recv::Closed,
        }
    }
}

struct ChannelHarness<C: Chan> {
    tx: Option<C::Tx<InputPayload>>,
    threads: Vec<JoinHandle<()>>,
    counters: Arc<PipelineCounters>,
}

fn spawn_stage(
    name: &str,
    core: Option<usize>,
    body: impl FnOnce() + Send + 'static,
) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Some(id) = core {
                core_affinity::set_for_current(core_affinity::CoreId { id });
            }
            body();
        })
        .expect("spawn stage thread")
}

#[inline]
fn idle(how: Idle) {
    match how {
        Idle::Spin => std::hint::spin_loop(),
        Idle::Yield => std::thread::yield_now(),
    }
}

/// Drains `rx`, handing items to `handle` and calling `flush` at the end of each run.
fn consume<C: Chan, T: Send + 'static>(
    rx: C::Rx<T>,
    how: Idle,
    mut handle: impl FnMut(T),
    mut flush: impl FnMut(),
) {
    let mut pending = 0usize;
    loop {
        match C::try_recv(&rx) {
            Recv::Item(item) => {
                handle(item);
                pending += 1;
                if pending == FLUSH_EVERY {
                    flush();
                    pending = 0;
                }
            }
            Recv::Empty => {
                if pending > 0 {
                    flush();
                    pending = 0;
                }
                idle(how);
            }
            Recv::Closed => {
                flush();
                return;
            }
        }
    }
}

impl<C: Chan> ChannelHarness<C> {
    fn start<O: TickObserver>(
        split: bool,
        instruments: &InstrumentTable,
        observer: O,
        placement: Placement,
    ) -> Self {
        let counters = Arc::new(PipelineCounters::default());
        let mut normalize = NormalizeStage::new(instruments, u64::MAX, Arc::clone(&counters));
        let coalesce = CoalesceStage::new(
            Arc::new(SnapshotTable::new(instruments.len())),
            u64::MAX,
            Arc::clone(&counters),
            observer,
        );
        let (tx, rx) = C::bounded::<InputPayload>(CAPACITY);
        let how = placement.idle;
        let threads = if split {
            let (stage_tx, stage_rx) = C::bounded::<StagePayload>(CAPACITY);
            let second = spawn_stage("bench-coalesce", placement.second, move || {
                let mut emit = |_| {};
                let coalesce = std::cell::RefCell::new(coalesce);
                consume::<C, _>(
                    stage_rx,
                    how,
                    |payload| {
                        if let StagePayload::Tick(tick) = payload {
                            coalesce.borrow_mut().handle_tick(&tick, &mut emit);
                        }
                    },
                    || coalesce.borrow_mut().flush(),
                );
            });
            let first = spawn_stage("bench-normalize", placement.first, move || {
                consume::<C, _>(
                    rx,
                    how,
                    |payload| {
                        if let InputPayload::Tick(raw) = payload {
                            if let Some(tick) = normalize.handle_tick(&raw) {
                                C::send(&stage_tx, StagePayload::Tick(tick));
                            }
                        }
                    },
                    || {},
                );
            });
            vec![first, second]
        } else {
            vec![spawn_stage("bench-fused", placement.first, move || {
                let mut emit = |_| {};
                let coalesce = std::cell::RefCell::new(coalesce);
                consume::<C, _>(
                    rx,
                    how,
                    |payload| {
                        if let InputPayload::Tick(raw) = payload {
                            if let Some(tick) = normalize.handle_tick(&raw) {
                                coalesce.borrow_mut().handle_tick(&tick, &mut emit);
                            }
                        }
                    },
                    || coalesce.borrow_mut().flush(),
                );
            })]
        };
        Self {
            tx: Some(tx),
            threads,
            counters,
        }
    }
}

impl<C: Chan> Harness for ChannelHarness<C> {
    #[inline]
    fn publish(&mut self, tick: &RawTick) {
        if let Some(tx) = &self.tx {
            C::send(tx, InputPayload::Tick(*tick));
        }
    }

    fn publish_batch(&mut self, ticks: &[RawTick]) {
        for tick in ticks {
            self.publish(tick);
        }
    }

    fn applied(&self) -> u64 {
        self.counters.ticks_out.get()
    }

    fn shutdown(mut self: Box<Self>) {
        drop(self.tx.take());
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Spins until the harness applied `target` ticks.
pub fn wait_applied(harness: &dyn Harness, target: u64) {
    while harness.applied() < target {
        std::hint::spin_loop();
    }
}
