//! The seeded market-data simulator.
//!
//! [`Simulator`] is a pure generator: the same seed and catalog give the same tick sequence.
//! Each instrument's mid follows a random walk on its tick grid (Gaussian steps, in ticks);
//! each instrument switches between a calm and a volatile regime (a two-state Markov chain);
//! in the volatile regime steps are larger and the spread widens, and occasional one-tick
//! spread blips happen in either. [`SimulatorDriver`] runs it on a thread at a configured rate,
//! publishing in batches with `try_batch_publish`: a full ring drops the batch and counts it,
//! it never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use orion_hotpath::{InputEvent, InputPayload, Producer, RawTick, SourceId};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::catalog::CatalogEntry;
use crate::clock::unix_nanos;
use crate::stats::SourceCounters;
use crate::tap::TickTap;

/// Simulator behaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatorConfig {
    /// RNG seed: the same seed gives the same ticks.
    pub seed: u64,
    /// Ticks per second across all instruments.
    pub rate_per_sec: u64,
    /// Multiplier on every instrument's step size.
    pub volatility: f64,
    /// Multiplier on every instrument's spread.
    pub spread_scale: f64,
    /// Per-tick probability of a calm instrument turning volatile.
    pub p_turn_volatile: f64,
    /// Per-tick probability of a volatile instrument calming down.
    pub p_calm_down: f64,
    /// Step multiplier in the volatile regime.
    pub volatile_step_factor: f64,
    /// Spread multiplier in the volatile regime.
    pub volatile_spread_factor: f64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            rate_per_sec: 2_000,
            volatility: 1.0,
            spread_scale: 1.0,
            p_turn_volatile: 0.002,
            p_calm_down: 0.02,
            volatile_step_factor: 4.0,
            volatile_spread_factor: 3.0,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct InstrumentWalk {
    mid: i64,
    floor: i64,
    tick: i64,
    spread_ticks: i64,
    step_ticks: f64,
    volatile: bool,
}

/// A deterministic tick generator.
#[derive(Debug, Clone)]
pub struct Simulator {
    rng: Pcg64Mcg,
    walks: Vec<InstrumentWalk>,
    config: SimulatorConfig,
}

impl Simulator {
    /// A simulator over `catalog` (instrument ids are catalog positions).
    pub fn new(catalog: &[CatalogEntry], config: SimulatorConfig) -> Self {
        Self {
            rng: Pcg64Mcg::seed_from_u64(config.seed),
            walks: catalog.iter().map(walk).collect(),
            config,
        }
    }

    /// Number of instruments simulated.
    pub fn instruments(&self) -> usize {
        self.walks.len()
    }

    /// Starts pricing one more instrument; its id is `entry`'s position, which must be the next
    /// one (ids are walk positions). Returns false, and changes nothing, otherwise.
    pub fn add_instrument(&mut self, id: u32, entry: &CatalogEntry) -> bool {
        if id as usize != self.walks.len() {
            return false;
        }
        self.walks.push(walk(entry));
        true
    }

    /// The next tick, stamped with `now` as both source and receive time.
    pub fn next_tick(&mut self, now: u64) -> RawTick {
        let index = self.rng.random_range(0..self.walks.len());
        let config = self.config;
        let gaussian = self.gaussian();
        let (switch, blip) = (self.rng.random::<f64>(), self.rng.random::<f64>());
        let walk = &mut self.walks[index];
        walk.volatile = if walk.volatile {
            switch >= config.p_calm_down
        } else {
            switch < config.p_turn_volatile
        };
        let regime = if walk.volatile {
            config.volatile_step_factor
        } else {
            1.0
        };
        let step = (gaussian * walk.step_ticks * config.volatility * regime).round() as i64;
        walk.mid = (walk.mid + step * walk.tick).max(walk.floor);
        let widen = if walk.volatile {
            config.volatile_spread_factor
        } else {
            1.0
        };
        let mut spread = ((walk.spread_ticks as f64) * config.spread_scale * widen).round() as i64;
        if blip < 0.05 {
            spread += 1;
        }
        let spread = spread.max(1);
        let bid = walk.mid - (spread / 2) * walk.tick;
        RawTick {
            instrument: index as u32,
            source: SourceId::Simulator,
            bid,
            ask: bid + spread * walk.tick,
            source_ts: now,
            receive_ts: now,
        }
    }

    fn gaussian(&mut self) -> f64 {
        let u1: f64 = self.rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = self.rng.random();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn walk(e: &CatalogEntry) -> InstrumentWalk {
    InstrumentWalk {
        mid: e.initial_mid.units(),
        floor: floor_on_grid(e.initial_mid.units() / 4, e.spec.tick_size),
        tick: e.spec.tick_size,
        spread_ticks: e.spread_ticks,
        step_ticks: e.step_centiticks as f64 / 100.0,
        volatile: false,
    }
}

/// The lowest mid a walk may reach: a quarter of its start, on the tick grid, at least 8 ticks
/// (so bid stays positive at the widest spread).
fn floor_on_grid(units: i64, tick: i64) -> i64 {
    (units - units % tick).max(8 * tick)
}

/// Largest batch the driver publishes at once.
pub const DRIVER_BATCH: usize = 64;

/// Runs a [`Simulator`] on its own thread at the configured rate.
pub struct SimulatorDriver {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    added: crossbeam_channel::Sender<(u32, CatalogEntry)>,
}

/// Tells a running simulator about instruments defined at runtime.
#[derive(Debug, Clone)]
pub struct SimulatorHandle {
    added: crossbeam_channel::Sender<(u32, CatalogEntry)>,
}

impl SimulatorHandle {
    /// Starts pricing instrument `id` (the next one) from `entry`'s initial mid.
    pub fn add_instrument(&self, id: u32, entry: CatalogEntry) {
        let _ = self.added.send((id, entry));
    }
}

impl SimulatorDriver {
    /// Starts publishing into `producer` until [`SimulatorDriver::stop`] or drop.
    pub fn start<P>(
        mut simulator: Simulator,
        mut producer: P,
        counters: Arc<SourceCounters>,
        tap: Option<Arc<TickTap>>,
    ) -> Self
    where
        P: Producer<InputEvent> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let (added, additions) = crossbeam_channel::unbounded::<(u32, CatalogEntry)>();
        let rate = simulator.config.rate_per_sec.max(1);
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("orion-simulator".into())
                .spawn(move || {
                    let start = Instant::now();
                    let mut sent: u64 = 0;
                    let mut batch = [RawTick {
                        instrument: 0,
                        source: SourceId::Simulator,
                        bid: 0,
                        ask: 0,
                        source_ts: 0,
                        receive_ts: 0,
                    }; DRIVER_BATCH];
                    while !stop.load(Ordering::Relaxed) {
                        while let Ok((id, entry)) = additions.try_recv() {
                            if !simulator.add_instrument(id, &entry) {
                                tracing::warn!(
                                    id,
                                    "simulator: instrument out of order; not priced"
                                );
                            }
                        }
                        let elapsed = start.elapsed().as_nanos();
                        let due = (elapsed * u128::from(rate) / 1_000_000_000) as u64;
                        if due <= sent {
                            std::thread::sleep(Duration::from_micros(500));
                            continue;
                        }
                        let n = (due - sent).min(DRIVER_BATCH as u64) as usize;
                        let now = unix_nanos();
                        for slot in &mut batch[..n] {
                            *slot = simulator.next_tick(now);
                        }
                        publish_batch(&mut producer, &batch[..n], &counters, tap.as_deref());
                        sent += n as u64;
                    }
                })
                .expect("spawn simulator thread")
        };
        Self {
            stop,
            thread: Some(thread),
            added,
        }
    }

    /// A handle that adds instruments to the running simulator.
    pub fn handle(&self) -> SimulatorHandle {
        SimulatorHandle {
            added: self.added.clone(),
        }
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SimulatorDriver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes `ticks` as one batch; when the ring lacks room the batch is dropped and counted.
/// Ticks the ring took are offered to `tap` as well.
pub fn publish_batch<P: Producer<InputEvent>>(
    producer: &mut P,
    ticks: &[RawTick],
    counters: &SourceCounters,
    tap: Option<&TickTap>,
) {
    if ticks.is_empty() {
        return;
    }
    let result = producer.try_batch_publish(ticks.len(), |slots| {
        for (slot, tick) in slots.zip(ticks) {
            slot.payload = InputPayload::Tick(*tick);
        }
    });
    match result {
        Ok(_) => {
            counters.published.add(ticks.len() as u64);
            if let Some(tap) = tap {
                tap.offer(ticks);
            }
        }
        Err(_) => counters.ring_full.add(ticks.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::default_catalog;

    #[test]
    fn same_seed_same_ticks() {
        let catalog = default_catalog();
        let mut a = Simulator::new(&catalog, SimulatorConfig::default());
        let mut b = Simulator::new(&catalog, SimulatorConfig::default());
        for now in 1..10_000 {
            assert_eq!(a.next_tick(now), b.next_tick(now));
        }
        let mut c = Simulator::new(
            &catalog,
            SimulatorConfig {
                seed: 7,
                ..SimulatorConfig::default()
            },
        );
        let differs = (1..100).any(|now| a.next_tick(now) != c.next_tick(now));
        assert!(differs);
    }

    #[test]
    fn ticks_are_on_grid_uncrossed_and_positive() {
        let catalog = default_catalog();
        let mut sim = Simulator::new(
            &catalog,
            SimulatorConfig {
                volatility: 5.0,
                ..SimulatorConfig::default()
            },
        );
        let mut seen = vec![false; catalog.len()];
        for now in 1..200_000 {
            let t = sim.next_tick(now);
            let tick = catalog[t.instrument as usize].spec.tick_size;
            assert!(t.bid > 0 && t.bid < t.ask, "{t:?}");
            assert_eq!((t.bid % tick, t.ask % tick), (0, 0), "{t:?}");
            seen[t.instrument as usize] = true;
        }
        assert!(seen.iter().all(|s| *s), "every instrument ticks");
    }
}
