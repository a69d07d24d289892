//! The tick tap: copies of the ticks the sources put into the input ring, on a bounded queue
//! for the cold path (Kafka's `marketdata.ticks`). Offering never blocks and never allocates
//! (the queue's slots are allocated once): when the queue is full the copy is dropped and
//! counted — the ring, not the tap, is what the pipeline depends on.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use orion_hotpath::RawTick;

use crate::stats::SharedCounter;

/// The sending side, shared by every source.
#[derive(Debug)]
pub struct TickTap {
    tx: Sender<RawTick>,
    /// Copies handed to the queue.
    pub offered: SharedCounter,
    /// Copies dropped because the queue was full (or its reader gone).
    pub dropped: SharedCounter,
}

/// A tap holding up to `capacity` ticks, and its reading side.
pub fn tick_tap(capacity: usize) -> (Arc<TickTap>, Receiver<RawTick>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    (
        Arc::new(TickTap {
            tx,
            offered: SharedCounter::default(),
            dropped: SharedCounter::default(),
        }),
        rx,
    )
}

impl TickTap {
    /// Offers copies of `ticks`; what does not fit is dropped and counted.
    #[inline]
    pub fn offer(&self, ticks: &[RawTick]) {
        let mut dropped = 0;
        for tick in ticks {
            match self.tx.try_send(*tick) {
                Ok(()) => {}
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => dropped += 1,
            }
        }
        self.offered.add(ticks.len() as u64 - dropped);
        self.dropped.add(dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orion_hotpath::SourceId;

    fn tick(n: u32) -> RawTick {
        RawTick {
            instrument: n,
            source: SourceId::Harness,
            bid: 1,
            ask: 2,
            source_ts: 1,
            receive_ts: 1,
        }
    }

    #[test]
    fn a_full_tap_drops_and_counts_instead_of_waiting() {
        let (tap, rx) = tick_tap(2);
        tap.offer(&[tick(0), tick(1), tick(2)]);
        assert_eq!((tap.offered.get(), tap.dropped.get()), (2, 1));
        assert_eq!(rx.try_recv().unwrap().instrument, 0);
        tap.offer(&[tick(3)]);
        assert_eq!(
            rx.try_iter().map(|t| t.instrument).collect::<Vec<_>>(),
            [1, 3]
        );
        drop(rx);
        tap.offer(&[tick(4)]);
        assert_eq!(tap.dropped.get(), 2);
    }
}
