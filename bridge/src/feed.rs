//! The UDP feed handler: a `mio` event loop on its own thread.
//!
//! Reads datagrams of the [`crate::wire`] format, turns each valid packet into one
//! `try_batch_publish` of its ticks (stamped with the receive time), and counts everything it
//! refuses by reason. A full input ring drops the packet's ticks and counts them; a malformed
//! packet is counted and skipped; nothing a sender does can stop the loop.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};
use orion_hotpath::{InputEvent, Producer, RawTick, SourceId};

use crate::clock::unix_nanos;
use crate::simulator::publish_batch;
use crate::stats::{FeedCounters, SourceCounters};
use crate::wire::{self, DecodeError, MAX_TICKS};

const SOCKET: Token = Token(0);

/// The running feed handler.
pub struct FeedHandler {
    local_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FeedHandler {
    /// Binds `addr` and starts the handler thread publishing into `producer`.
    pub fn start<P>(
        addr: SocketAddr,
        mut producer: P,
        feed: Arc<FeedCounters>,
        source: Arc<SourceCounters>,
        tap: Option<Arc<crate::tap::TickTap>>,
    ) -> io::Result<Self>
    where
        P: Producer<InputEvent> + Send + 'static,
    {
        let mut socket = UdpSocket::bind(addr)?;
        let local_addr = socket.local_addr()?;
        let mut poll = Poll::new()?;
        poll.registry()
            .register(&mut socket, SOCKET, Interest::READABLE)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("orion-udp-feed".into())
                .spawn(move || {
                    let mut events = Events::with_capacity(64);
                    let mut buf = [0u8; 2048];
                    let mut ticks = [RawTick {
                        instrument: 0,
                        source: SourceId::UdpFeed,
                        bid: 0,
                        ask: 0,
                        source_ts: 0,
                        receive_ts: 0,
                    }; MAX_TICKS];
                    let mut next_sequence: Option<u64> = None;
                    while !stop.load(Ordering::Relaxed) {
                        if let Err(err) = poll.poll(&mut events, Some(Duration::from_millis(100))) {
                            if err.kind() != io::ErrorKind::Interrupted {
                                tracing::error!(cause = %err, "udp feed poll failed");
                            }
                            continue;
                        }
                        loop {
                            let len = match socket.recv_from(&mut buf) {
                                Ok((len, _)) => len,
                                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                                Err(err) => {
                                    tracing::warn!(cause = %err, "udp feed receive failed");
                                    break;
                                }
                            };
                            feed.packets.incr();
                            let now = unix_nanos();
                            let mut n = 0;
                            let decoded = wire::decode(&buf[..len], |t| {
                                ticks[n] = RawTick {
                                    instrument: t.instrument,
                                    source: SourceId::UdpFeed,
                                    bid: t.bid,
                                    ask: t.ask,
                                    source_ts: t.source_ts,
                                    receive_ts: now,
                                };
                                n += 1;
                            });
                            match decoded {
                                Ok(header) => {
                                    if let Some(expected) = next_sequence {
                                        if header.sequence > expected {
                                            feed.sequence_gaps.add(header.sequence - expected);
                                        }
                                    }
                                    next_sequence = Some(header.sequence.wrapping_add(1));
                                    feed.ticks.add(n as u64);
                                    publish_batch(
                                        &mut producer,
                                        &ticks[..n],
                                        &source,
                                        tap.as_deref(),
                                    );
                                }
                                Err(DecodeError::Truncated) => feed.truncated.incr(),
                                Err(DecodeError::BadMagic) => feed.bad_magic.incr(),
                                Err(DecodeError::BadVersion(_)) => feed.bad_version.incr(),
                                Err(DecodeError::BadLength) => feed.bad_length.incr(),
                            }
                        }
                    }
                })?
        };
        Ok(Self {
            local_addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for FeedHandler {
    fn drop(&mut self) {
        self.stop();
    }
}
