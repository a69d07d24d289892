//! The command gateway: the cold path's one way into the engine.
//!
//! A caller hands over a command built around a fresh [`RequestId`]; the gateway stamps it with
//! the engine time (the bridge clock) and publishes it into the input ring with `try_publish`.
//! A full ring is an immediate [`GatewayError::RingFull`] — the caller answers 503 — never a
//! wait. Decisions come back on the output ring, tagged with the same request id.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use orion_hotpath::rfq::{Command, EngineCommand, RequestId};
use orion_hotpath::{InputEvent, InputPayload, Producer};

use crate::clock::unix_nanos;
use crate::stats::SharedCounter;

/// Why a command did not enter the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// The input ring had no free slot.
    #[error("the engine's input ring is full")]
    RingFull,
    /// The gateway was closed for shutdown.
    #[error("the engine is shutting down")]
    Closed,
}

/// Publishes engine commands. Shared by every request handler.
pub struct CommandGateway<P> {
    /// The producer (taken out on close); a std mutex because publishing never awaits and
    /// takes nanoseconds.
    producer: Mutex<Option<P>>,
    next_request: AtomicU64,
    /// Commands published.
    pub submitted: SharedCounter,
    /// Commands refused because the ring was full.
    pub ring_full: SharedCounter,
}

impl<P: Producer<InputEvent>> CommandGateway<P> {
    /// A gateway publishing through `producer`; request ids start after `first_request`.
    pub fn new(producer: P, first_request: u64) -> Self {
        Self {
            producer: Mutex::new(Some(producer)),
            next_request: AtomicU64::new(first_request.max(1)),
            submitted: SharedCounter::default(),
            ring_full: SharedCounter::default(),
        }
    }

    /// A fresh request id.
    pub fn next_request(&self) -> RequestId {
        RequestId(self.next_request.fetch_add(1, Ordering::Relaxed))
    }

    /// Drops the producer so the pipeline can shut down once its other producers are gone;
    /// later submissions fail with [`GatewayError::Closed`].
    pub fn close(&self) {
        self.producer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }

    /// Publishes `command` stamped with the engine time, returning that time.
    pub fn try_submit(&self, command: Command) -> Result<u64, GatewayError> {
        let mut guard = self
            .producer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(producer) = guard.as_mut() else {
            return Err(GatewayError::Closed);
        };
        let at = unix_nanos();
        let published = producer.try_publish(|slot| {
            slot.payload = InputPayload::Command(EngineCommand { at, command });
        });
        match published {
            Ok(_) => {
                self.submitted.incr();
                Ok(at)
            }
            Err(_) => {
                self.ring_full.incr();
                Err(GatewayError::RingFull)
            }
        }
    }
}
