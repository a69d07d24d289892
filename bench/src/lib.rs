//! Orion's benchmark harness: the same normalize + coalesce stages run over the disruptor
//! (fused and split layouts) and over `crossbeam-channel` and `std::sync::mpsc`, so criterion
//! benches and the load rig compare them in one process.
//!
//! - [`workload`] — deterministic tick streams over N instruments.
//! - [`engine`] — the RFQ engine on one core: quotes/s, accept-decision latency.
//! - [`clob`] — the order book under exchange-core's benchmark mix.
//! - [`order_load`] — orders through REST against a real `orion up`, market makers running.
//! - [`fanout`] — one `orion core`, two `orion bff` replicas, thousands of WebSocket sessions.
//! - [`unary`] — one command through gRPC and through REST, same server, same run.
//! - [`harness`] — the pipelines under test behind one [`harness::Harness`] interface.
//! - [`latency`] — an hdrhistogram [`TickObserver`](orion_hotpath::TickObserver) measuring
//!   publish → coalesce-applied, and percentile formatting.
//! - [`machine`] — what the report header says about the machine and commit.

pub mod clob;
pub mod consumer_replay;
pub mod e2e;
pub mod engine;
pub mod fanout;
pub mod feed;
pub mod harness;
pub mod latency;
pub mod machine;
pub mod order_load;
pub mod orion_process;
pub mod report;
pub mod rfq_load;
pub mod scenarios;
pub mod store_load;
pub mod unary;
pub mod workload;
