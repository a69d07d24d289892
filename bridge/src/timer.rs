//! The timer driver: publishes the clock into the input ring at a fixed interval, so stages
//! can detect staleness without reading a clock themselves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use orion_hotpath::{InputEvent, InputPayload, Producer, Timer};

use crate::clock::unix_nanos;
use crate::stats::SourceCounters;

/// The running timer thread.
pub struct TimerDriver {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TimerDriver {
    /// Publishes `Timer { now }` every `interval` (skipped, not queued, when the ring is full).
    pub fn start<P>(interval: Duration, mut producer: P, counters: Arc<SourceCounters>) -> Self
    where
        P: Producer<InputEvent> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("orion-timer".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(interval);
                        let now = unix_nanos();
                        let published = producer
                            .try_publish(|slot| slot.payload = InputPayload::Timer(Timer { now }));
                        match published {
                            Ok(_) => counters.published.incr(),
                            Err(_) => counters.ring_full.incr(),
                        }
                    }
                })
                .expect("spawn timer thread")
        };
        Self {
            stop,
            thread: Some(thread),
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

impl Drop for TimerDriver {
    fn drop(&mut self) {
        self.stop();
    }
}
