//! Orion's hot path: pure, deterministic, allocation-free market-data processing.
//!
//! This crate does no I/O and reads no clock: time arrives inside events, stamped by whoever
//! published them, and its dependency list (`disruptor`, `core_affinity`, `crossbeam-utils`,
//! `thiserror`) proves it. It plays the part `quinn-proto` plays for `quinn`: the `bridge` crate
//! feeds it and drains it, the `coldpath` crate owns every socket and file.
//!
//! Module map:
//! - [`fixed`] — fixed-point [`Price`] / [`Qty`] with exact decimal
//!   strings; no floats in state.
//! - [`instrument`] — instruments interned to dense [`InstrumentId`]s.
//! - [`event`] — the `Copy`, cache-line-aligned ring slot types.
//! - [`normalize`] — raw tick → canonical tick with quality flags; malformed input counted.
//! - [`coalesce`] — latest value per instrument, per-instrument sequence, dirty set, stale
//!   detection from timer events.
//! - [`snapshot`] — the seqlock table other threads read without locks.
//! - [`counters`] — single-writer counters readable from anywhere.
//! - [`book`] — the central limit order book: price-time matching, allocation-free.
//! - [`pipeline`] — the disruptor pipeline: fused or split layout, wait strategy, ring sizes.
//!
//! Per-event work never allocates: `tests/no_alloc.rs` runs the pipeline under a counting
//! allocator and asserts zero allocations after warm-up.
#![deny(rustdoc::broken_intra_doc_links)]

pub mod book;
pub mod coalesce;
pub mod counters;
pub mod event;
pub mod fixed;
pub mod instrument;
pub mod normalize;
pub mod pipeline;
pub mod rfq;
pub mod snapshot;
mod sync;

pub use coalesce::{CoalesceStage, TickObserver};
pub use counters::PipelineCounters;
pub use event::{
    InputEvent, InputPayload, OutputPayload, QualityFlags, RawTick, SourceId, Tick, Timer,
};
pub use fixed::{DecimalError, Price, Qty};
pub use instrument::{AssetClass, InstrumentId, InstrumentSpec, InstrumentTable};
pub use normalize::NormalizeStage;
pub use pipeline::{Layout, Pipeline, PipelineConfig, WaitStrategyKind};
pub use snapshot::{Snapshot, SnapshotTable};

/// Re-exported so publishers can use `try_publish`/`batch_publish` without naming the crate.
pub use disruptor::{Polling, Producer};
