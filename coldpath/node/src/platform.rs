//! The market-data platform in one process: instruments, the hot-path pipeline and every
//! bridge producer and drain, started together and stopped in order.
//!
//! Stopping stops the producers (simulator, replay, feed, timer), then drops the last input
//! producer, which lets the stage threads drain the rings and exit (the disruptor joins them).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use orion_bridge::catalog::{CatalogEntry, default_catalog, instrument_table};
use orion_bridge::drain::{MarketDrain, OutputDrain};
use orion_bridge::feed::FeedHandler;
use orion_bridge::simulator::{Simulator, SimulatorConfig, SimulatorDriver};
use orion_bridge::stats::{FeedCounters, SharedCounter, SourceCounters};
use orion_bridge::timer::TimerDriver;
use orion_hotpath::pipeline::MultiInput;
use orion_hotpath::{InstrumentTable, Pipeline, PipelineConfig, PipelineCounters, SnapshotTable};

/// How often the timer hands the clock to the stages (stale detection resolution).
pub const TIMER_INTERVAL: Duration = Duration::from_millis(100);

/// What to start.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Hot-path shape.
    pub pipeline: PipelineConfig,
    /// Simulator settings; `None` runs without it.
    pub simulator: Option<SimulatorConfig>,
    /// UDP feed address; `None` runs without it.
    pub feed_addr: Option<SocketAddr>,
    /// Where copies of every tick a source publishes go (`marketdata.ticks`); `None` = nowhere.
    pub tick_tap: Option<Arc<orion_bridge::tap::TickTap>>,
}

/// Counters of every source and drain, shared with the metrics exporter.
#[derive(Debug, Default)]
pub struct BridgeStats {
    /// Simulator ticks.
    pub simulator: Arc<SourceCounters>,
    /// UDP feed ticks.
    pub feed_source: Arc<SourceCounters>,
    /// Replayed ticks.
    pub replay: Arc<SourceCounters>,
    /// Timer events.
    pub timer: Arc<SourceCounters>,
    /// UDP datagrams by outcome.
    pub feed: Arc<FeedCounters>,
    /// Updates conflated away by the market drain before reaching the cold path.
    pub drain_skipped: Arc<SharedCounter>,
}

impl BridgeStats {
    /// Events published into the input ring by every source.
    pub fn published(&self) -> u64 {
        [
            &self.simulator,
            &self.feed_source,
            &self.replay,
            &self.timer,
        ]
        .iter()
        .map(|c| c.published.get())
        .sum()
    }

    /// Ticks refused by a full input ring, all sources.
    pub fn ring_full(&self) -> u64 {
        [
            &self.simulator,
            &self.feed_source,
            &self.replay,
            &self.timer,
        ]
        .iter()
        .map(|c| c.ring_full.get())
        .sum()
    }
}

/// The running market-data platform.
pub struct MarketPlatform {
    /// The demo catalog the instruments came from.
    pub catalog: Vec<CatalogEntry>,
    /// Interned instruments.
    pub instruments: Arc<InstrumentTable>,
    /// Latest value per instrument.
    pub snapshots: Arc<SnapshotTable>,
    /// Hot-path counters.
    pub counters: Arc<PipelineCounters>,
    /// Bridge counters.
    pub stats: Arc<BridgeStats>,
    /// The tick tap the sources copy into, when configured.
    pub tick_tap: Option<Arc<orion_bridge::tap::TickTap>>,
    /// Ring size, for the occupancy gauge.
    pub input_ring_size: usize,
    input: Option<MultiInput>,
    market_drain: Option<MarketDrain>,
    output_drain: Option<OutputDrain>,
    simulator: Option<SimulatorDriver>,
    feed: Option<FeedHandler>,
    timer: Option<TimerDriver>,
}

impl MarketPlatform {
    /// Builds the instruments and starts the pipeline and the configured producers.
    pub fn start(
        config: &PlatformConfig,
        engine: Option<orion_hotpath::rfq::RfqEngine>,
    ) -> anyhow::Result<Self> {
        let catalog = default_catalog();
        let instruments = Arc::new(instrument_table(&catalog));
        Self::start_with(config, catalog, instruments, engine)
    }

    /// Starts with a given catalog and its interned table (the engine was built against it).
    pub fn start_with(
        config: &PlatformConfig,
        catalog: Vec<CatalogEntry>,
        instruments: Arc<InstrumentTable>,
        engine: Option<orion_hotpath::rfq::RfqEngine>,
    ) -> anyhow::Result<Self> {
        let pipeline = Pipeline::start_multi_producer(&config.pipeline, &instruments, engine, ())?;
        let Pipeline {
            input,
            outputs,
            snapshots,
            counters,
        } = pipeline;
        let stats = Arc::new(BridgeStats::default());
        let simulator = config.simulator.map(|sim| {
            SimulatorDriver::start(
                Simulator::new(&catalog, sim),
                input.clone(),
                Arc::clone(&stats.simulator),
                config.tick_tap.clone(),
            )
        });
        let feed = config
            .feed_addr
            .map(|addr| {
                FeedHandler::start(
                    addr,
                    input.clone(),
                    Arc::clone(&stats.feed),
                    Arc::clone(&stats.feed_source),
                    config.tick_tap.clone(),
                )
            })
            .transpose()?;
        if let Some(feed) = &feed {
            tracing::info!(addr = %feed.local_addr(), "udp feed listening");
        }
        let timer = TimerDriver::start(TIMER_INTERVAL, input.clone(), Arc::clone(&stats.timer));
        let market_drain =
            MarketDrain::new(Arc::clone(&snapshots), Arc::clone(&stats.drain_skipped));
        Ok(Self {
            catalog,
            instruments,
            snapshots,
            counters,
            stats,
            tick_tap: config.tick_tap.clone(),
            input_ring_size: config.pipeline.input_ring_size,
            input: Some(input),
            market_drain: Some(market_drain),
            output_drain: Some(OutputDrain::new(outputs)),
            simulator,
            feed,
            timer: Some(timer),
        })
    }

    /// A handle that adds instruments to the running simulator, when one runs.
    pub fn simulator(&self) -> Option<orion_bridge::simulator::SimulatorHandle> {
        self.simulator.as_ref().map(SimulatorDriver::handle)
    }

    /// A producer handle for another source (replay).
    pub fn input(&self) -> Option<MultiInput> {
        self.input.clone()
    }

    /// The market drain; taken once by the fan-out.
    pub fn take_market_drain(&mut self) -> Option<MarketDrain> {
        self.market_drain.take()
    }

    /// The output drain; taken once by the notifier.
    pub fn take_output_drain(&mut self) -> Option<OutputDrain> {
        self.output_drain.take()
    }

    /// The UDP feed's bound address, when running.
    pub fn feed_addr(&self) -> Option<SocketAddr> {
        self.feed.as_ref().map(FeedHandler::local_addr)
    }

    /// Stops producers, then lets the stages drain the rings and exit.
    pub fn stop(&mut self) {
        if let Some(mut simulator) = self.simulator.take() {
            simulator.stop();
        }
        if let Some(mut feed) = self.feed.take() {
            feed.stop();
        }
        if let Some(mut timer) = self.timer.take() {
            timer.stop();
        }
        drop(self.input.take());
    }
}

impl Drop for MarketPlatform {
    fn drop(&mut self) {
        self.stop();
    }
}
