//! The market-data pipeline on `disruptor` rings: configuration, layouts, start and stop.
//!
//! ```text
//! fused:  input ring ─▶ [normalize → coalesce] ─▶ output ring
//! split:  input ring ─▶ [normalize] ─▶ stage ring ─▶ [coalesce] ─▶ output ring
//! ```
//!
//! Which layout runs, on which cores, with which wait strategy and ring sizes is
//! [`PipelineConfig`]. The split layout forwards normalized ticks in batches of up to
//! [`STAGE_BATCH`] with one `batch_publish`, so the second ring costs one sequence claim per
//! batch, not per tick. Every stage flushes its latest values at the end of each ring batch.
//!
//! The last stage also runs the RFQ engine when one is given: commands travel the same rings as
//! ticks (so the engine sees mids and commands in one total order), and its decisions leave on
//! the output ring.
//!
//! Producers are the disruptor's own: [`Pipeline::start_single_producer`] for one publishing
//! thread (benchmarks, replay), [`Pipeline::start_multi_producer`] for several (simulator, UDP
//! feed and timer at once). Dropping every producer drains the rings and joins the stage threads;
//! the output poller then reports [`disruptor::Polling::Shutdown`].

use std::sync::Arc;
use std::time::Duration;

use disruptor::{
    BusySpin, BusySpinWithSpinLoopHint, EventPoller, MultiProducer, ProcessorSettings, Producer,
    Sequence, SingleConsumerBarrier, SingleProducer, SingleProducerBarrier, Sleep,
    build_multi_producer, build_single_producer, wait_strategies::WaitStrategy,
};

use crate::coalesce::{CoalesceStage, TickObserver};
use crate::counters::PipelineCounters;
use crate::event::{
    InputEvent, InputPayload, OutputEvent, OutputPayload, StageEvent, StagePayload,
};
use crate::instrument::InstrumentTable;
use crate::normalize::NormalizeStage;
use crate::rfq::RfqEngine;
use crate::snapshot::SnapshotTable;

/// Largest run of normalized ticks the split layout forwards with one `batch_publish`.
pub const STAGE_BATCH: usize = 64;

/// Which stage runs on which thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Normalize and coalesce in sequence on one thread (the right choice on 2 cores).
    Fused {
        /// Core to pin the stage thread to.
        core: Option<usize>,
    },
    /// Each stage on its own thread, joined by a second ring.
    Split {
        /// Core for normalize.
        normalize_core: Option<usize>,
        /// Core for coalesce.
        coalesce_core: Option<usize>,
    },
}

/// How an idle stage waits for the next event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStrategyKind {
    /// Spin without pause: lowest latency, burns a core.
    BusySpin,
    /// Spin with the CPU's spin-loop hint.
    SpinLoopHint,
    /// Give the core away with `yield` between polls: for cores shared with other work.
    Yield,
    /// Sleep between polls: least CPU, adds up to the sleep to latency.
    Sleep(Duration),
}

/// A wait strategy that yields the core between polls.
#[derive(Debug, Clone, Copy)]
pub struct YieldWait;

impl WaitStrategy for YieldWait {
    fn wait_for(&self, _sequence: Sequence) {
        std::thread::yield_now();
    }
}

/// Everything about the pipeline's shape that is configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PipelineConfig {
    /// Stage → thread → core mapping.
    pub layout: Layout,
    /// Wait strategy of every stage.
    pub wait: WaitStrategyKind,
    /// Input ring slots (power of two).
    pub input_ring_size: usize,
    /// Slots of the ring between stages in the split layout (power of two).
    pub stage_ring_size: usize,
    /// Output ring slots (power of two).
    pub output_ring_size: usize,
    /// A tick whose source timestamp trails its receive timestamp by more than this is late.
    pub late_after: Duration,
    /// An instrument without a tick for longer than this is stale.
    pub stale_after: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            layout: Layout::Fused { core: None },
            wait: WaitStrategyKind::Sleep(Duration::from_micros(50)),
            input_ring_size: 1 << 16,
            stage_ring_size: 1 << 14,
            output_ring_size: 1 << 12,
            late_after: Duration::from_millis(500),
            stale_after: Duration::from_secs(5),
        }
    }
}

/// A pipeline configuration that cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A ring size is zero or not a power of two.
    #[error("ring size {0} is not a power of two")]
    RingSize(usize),
    /// A core id is not in this thread's affinity mask.
    #[error("core {0} is not available")]
    Core(usize),
    /// The instrument table is empty.
    #[error("no instruments")]
    NoInstruments,
}

impl PipelineConfig {
    /// Checks ring sizes and that every configured core exists.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for size in [
            self.input_ring_size,
            self.stage_ring_size,
            self.output_ring_size,
        ] {
            if !size.is_power_of_two() {
                return Err(ConfigError::RingSize(size));
            }
        }
        let cores = match self.layout {
            Layout::Fused { core } => [core, None],
            Layout::Split {
                normalize_core,
                coalesce_core,
            } => [normalize_core, coalesce_core],
        };
        let available = core_affinity::get_core_ids().unwrap_or_default();
        for core in cores.into_iter().flatten() {
            if !available.iter().any(|c| c.id == core) {
                return Err(ConfigError::Core(core));
            }
        }
        Ok(())
    }
}

/// The producer handle of a single-producer input ring.
pub type SingleInput = SingleProducer<InputEvent, SingleConsumerBarrier>;
/// The producer handle of a multi-producer input ring (clone one per publishing thread).
pub type MultiInput = MultiProducer<InputEvent, SingleConsumerBarrier>;
/// The bridge's handle on the output ring.
pub type OutputPoller = EventPoller<OutputEvent, SingleProducerBarrier>;
type OutputProducer = SingleProducer<OutputEvent, SingleConsumerBarrier>;
type StageProducer = SingleProducer<StageEvent, SingleConsumerBarrier>;

/// A running pipeline: the input producer, the output poller and the shared read side.
pub struct Pipeline<P> {
    /// Publishes into the input ring.
    pub input: P,
    /// Drains the output ring (stale/recovered events).
    pub outputs: OutputPoller,
    /// Latest value per instrument, readable without locks.
    pub snapshots: Arc<SnapshotTable>,
    /// Stage counters, readable without locks.
    pub counters: Arc<PipelineCounters>,
}

/// What every layout needs to build its handlers.
struct Parts<O> {
    normalize: NormalizeStage,
    coalesce: CoalesceStage<O>,
    engine: Option<RfqEngine>,
    output: OutputProducer,
    counters: Arc<PipelineCounters>,
}

macro_rules! wire_and_build {
    ($builder:expr, $config:expr, $parts:expr, $wait:expr) => {{
        let config: &PipelineConfig = $config;
        let Parts {
            mut normalize,
            coalesce,
            engine,
            output,
            counters,
        } = $parts;
        match config.layout {
            Layout::Fused { core } => {
                let consumed = Arc::clone(&counters);
                let mut sink = CoalesceSink::new(coalesce, engine, output, counters);
                let builder = $builder.thread_name("orion-md-fused");
                let builder = match core {
                    Some(id) => builder.pin_at_core(id),
                    None => builder,
                };
                builder
                    .handle_events_with(
                        move |event: &InputEvent, sequence: Sequence, end_of_batch: bool| {
                            match event.payload {
                                InputPayload::Tick(raw) => {
                                    if let Some(tick) = normalize.handle_tick(&raw) {
                                        sink.handle(StagePayload::Tick(tick));
                                    }
                                }
                                InputPayload::Timer(timer) => {
                                    sink.handle(StagePayload::Timer(timer))
                                }
                                InputPayload::Command(command) => {
                                    normalize.handle_command(&command);
                                    sink.handle(StagePayload::Command(command))
                                }
                                InputPayload::Empty => {}
                            }
                            if end_of_batch {
                                sink.flush();
                                consumed.input_consumed.set(sequence as u64 + 1);
                            }
                        },
                    )
                    .build()
            }
            Layout::Split {
                normalize_core,
                coalesce_core,
            } => {
                let consumed = Arc::clone(&counters);
                let mut sink = CoalesceSink::new(coalesce, engine, output, counters);
                let stage_builder =
                    build_single_producer(config.stage_ring_size, StageEvent::default, $wait)
                        .thread_name("orion-md-coalesce");
                let stage_builder = match coalesce_core {
                    Some(id) => stage_builder.pin_at_core(id),
                    None => stage_builder,
                };
                let stage: StageProducer = stage_builder
                    .handle_events_with(
                        move |event: &StageEvent, _: Sequence, end_of_batch: bool| {
                            sink.handle(event.payload);
                            if end_of_batch {
                                sink.flush();
                            }
                        },
                    )
                    .build();
                let mut forward = StageForwarder::new(stage);
                let builder = $builder.thread_name("orion-md-normalize");
                let builder = match normalize_core {
                    Some(id) => builder.pin_at_core(id),
                    None => builder,
                };
                builder
                    .handle_events_with(
                        move |event: &InputEvent, sequence: Sequence, end_of_batch: bool| {
                            match event.payload {
                                InputPayload::Tick(raw) => {
                                    if let Some(tick) = normalize.handle_tick(&raw) {
                                        forward.push(StagePayload::Tick(tick));
                                    }
                                }
                                InputPayload::Timer(timer) => {
                                    forward.push(StagePayload::Timer(timer))
                                }
                                InputPayload::Command(command) => {
                                    normalize.handle_command(&command);
                                    forward.push(StagePayload::Command(command))
                                }
                                InputPayload::Empty => {}
                            }
                            if end_of_batch {
                                forward.flush();
                                consumed.input_consumed.set(sequence as u64 + 1);
                            }
                        },
                    )
                    .build()
            }
        }
    }};
}

macro_rules! dispatch_wait {
    ($config:expr, $start:ident, $($arg:expr),*) => {
        match $config.wait {
            WaitStrategyKind::BusySpin => $start(BusySpin, $($arg),*),
            WaitStrategyKind::SpinLoopHint => $start(BusySpinWithSpinLoopHint, $($arg),*),
            WaitStrategyKind::Yield => $start(YieldWait, $($arg),*),
            WaitStrategyKind::Sleep(d) => $start(Sleep::new(d), $($arg),*),
        }
    };
}

impl Pipeline<SingleInput> {
    /// Starts the stage threads behind a single-producer input ring.
    pub fn start_single_producer<O: TickObserver>(
        config: &PipelineConfig,
        instruments: &InstrumentTable,
        engine: Option<RfqEngine>,
        observer: O,
    ) -> Result<Self, ConfigError> {
        fn start<W: WaitStrategy + 'static, O: TickObserver>(
            wait: W,
            config: &PipelineConfig,
            parts: Parts<O>,
        ) -> SingleInput {
            let builder = build_single_producer(config.input_ring_size, InputEvent::default, wait);
            wire_and_build!(builder, config, parts, wait)
        }
        let (parts, outputs, snapshots, counters) = prepare(config, instruments, engine, observer)?;
        let input = dispatch_wait!(config, start, config, parts);
        Ok(Pipeline {
            input,
            outputs,
            snapshots,
            counters,
        })
    }
}

impl Pipeline<MultiInput> {
    /// Starts the stage threads behind a multi-producer input ring.
    pub fn start_multi_producer<O: TickObserver>(
        config: &PipelineConfig,
        instruments: &InstrumentTable,
        engine: Option<RfqEngine>,
        observer: O,
    ) -> Result<Self, ConfigError> {
        fn start<W: WaitStrategy + 'static, O: TickObserver>(
            wait: W,
            config: &PipelineConfig,
            parts: Parts<O>,
        ) -> MultiInput {
            let builder = build_multi_producer(config.input_ring_size, InputEvent::default, wait);
            wire_and_build!(builder, config, parts, wait)
        }
        let (parts, outputs, snapshots, counters) = prepare(config, instruments, engine, observer)?;
        let input = dispatch_wait!(config, start, config, parts);
        Ok(Pipeline {
            input,
            outputs,
            snapshots,
            counters,
        })
    }
}

type Prepared<O> = (
    Parts<O>,
    OutputPoller,
    Arc<SnapshotTable>,
    Arc<PipelineCounters>,
);

fn prepare<O: TickObserver>(
    config: &PipelineConfig,
    instruments: &InstrumentTable,
    engine: Option<RfqEngine>,
    observer: O,
) -> Result<Prepared<O>, ConfigError> {
    config.validate()?;
    if instruments.is_empty() {
        return Err(ConfigError::NoInstruments);
    }
    let counters = Arc::new(PipelineCounters::default());
    let snapshots = Arc::new(SnapshotTable::new(instruments.len()));
    let normalize = NormalizeStage::new(
        instruments,
        duration_ns(config.late_after),
        Arc::clone(&counters),
    );
    let coalesce = CoalesceStage::new(
        Arc::clone(&snapshots),
        duration_ns(config.stale_after),
        Arc::clone(&counters),
        observer,
    );
    let (outputs, output_builder) =
        build_single_producer(config.output_ring_size, OutputEvent::default, BusySpin)
            .new_event_poller();
    let parts = Parts {
        normalize,
        coalesce,
        engine,
        output: output_builder.build(),
        counters: Arc::clone(&counters),
    };
    Ok((parts, outputs, snapshots, counters))
}

fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The last stage: coalesce, then the RFQ engine, with the output ring.
///
/// Market-data outputs (stale/recovered) are published with `try_publish`: if the bridge is
/// behind they are dropped and counted — the stale flag in the snapshot table still tells.
/// Engine decisions are never dropped: they are what the cold path makes durable, so a full
/// output ring makes this stage wait for the bridge (the journal-first rule of an exchange core).
struct CoalesceSink<O> {
    coalesce: CoalesceStage<O>,
    engine: Option<RfqEngine>,
    output: OutputProducer,
    counters: Arc<PipelineCounters>,
}

impl<O: TickObserver> CoalesceSink<O> {
    fn new(
        coalesce: CoalesceStage<O>,
        engine: Option<RfqEngine>,
        output: OutputProducer,
        counters: Arc<PipelineCounters>,
    ) -> Self {
        Self {
            coalesce,
            engine,
            output,
            counters,
        }
    }

    #[inline]
    fn handle(&mut self, payload: StagePayload) {
        let (output, counters) = (&mut self.output, &self.counters);
        let mut emit = |event: OutputPayload| {
            if output.try_publish(|slot| slot.payload = event).is_err() {
                counters.outputs_dropped.incr();
            }
        };
        match payload {
            StagePayload::Tick(tick) => {
                self.coalesce.handle_tick(&tick, &mut emit);
                if let Some(engine) = &mut self.engine {
                    engine.handle_mid(tick.instrument, tick.mid_x2);
                }
            }
            StagePayload::Timer(timer) => {
                self.coalesce.handle_timer(timer.now, &mut emit);
                if let Some(engine) = &mut self.engine {
                    engine.handle_timer(timer.now, &mut |event| {
                        output.publish(|slot| slot.payload = OutputPayload::Rfq(event))
                    });
                }
            }
            StagePayload::Command(command) => {
                self.counters.commands.incr();
                match &mut self.engine {
                    Some(engine) => engine.handle(&command, &mut |event| {
                        output.publish(|slot| slot.payload = OutputPayload::Rfq(event))
                    }),
                    None => self.counters.commands_ignored.incr(),
                }
            }
            StagePayload::Empty => {}
        }
    }

    #[inline]
    fn flush(&mut self) {
        self.coalesce.flush();
    }
}

/// Buffers normalized events and forwards them to the stage ring in batches.
struct StageForwarder {
    producer: StageProducer,
    buffer: [StagePayload; STAGE_BATCH],
    len: usize,
}

impl StageForwarder {
    fn new(producer: StageProducer) -> Self {
        Self {
            producer,
            buffer: [StagePayload::Empty; STAGE_BATCH],
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, payload: StagePayload) {
        self.buffer[self.len] = payload;
        self.len += 1;
        if self.len == STAGE_BATCH {
            self.flush();
        }
    }

    #[inline]
    fn flush(&mut self) {
        if self.len == 0 {
            return;
        }
        let buffer = &self.buffer[..self.len];
        self.producer.batch_publish(self.len, |slots| {
            for (slot, payload) in slots.zip(buffer) {
                slot.payload = *payload;
            }
        });
        self.len = 0;
    }
}
