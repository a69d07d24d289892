//! The bridge: every crossing between Orion's hot path and everything else.
//!
//! Inbound, producers publish into the pipeline's input ring and never block on it — a full
//! ring drops and counts (`try_publish`/`try_batch_publish`): the [`simulator`], [`replay`] of
//! recorded files, the [`gateway`] for engine commands, the [`feed`] handler for the UDP [`wire`] format (a `mio` loop on its own
//! thread), and the [`timer`] that hands the clock to the stages. Outbound, the [`drain`]s move
//! latest values and output events to the cold path in batches, conflating instead of queueing
//! when the cold path is slow. Backpressure policy lives here and nowhere else; [`stats`]
//! counts what it did. [`catalog`] is the demo instrument universe and [`clock`] the one clock.

pub mod catalog;
pub mod clock;
pub mod drain;
pub mod feed;
pub mod gateway;
pub mod replay;
pub mod simulator;
pub mod stats;
pub mod tap;
pub mod timer;
pub mod wire;
