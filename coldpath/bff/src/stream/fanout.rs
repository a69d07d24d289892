//! The per-window fan-out: serialise each changed instrument once, share the bytes.
//!
//! Every window (default 100 ms) the fan-out drains the bridge's [`MarketDrain`] — only the
//! instruments that changed, latest value only — renders each as a `TICK` frame once, and
//! publishes a new immutable [`FrameTable`] through a `watch` channel. Sessions compare each
//! subscribed instrument's sequence with what they last sent; a session that was busy sending
//! sees only the newest table (it skips intermediate windows, never queues them).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use metrics::histogram;
use orion_bridge::clock::unix_nanos;
use orion_bridge::drain::{MarketDrain, OutputDrain};
use orion_hotpath::{InstrumentTable, OutputPayload};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::market_view::{MarketView, rfc3339};

/// One instrument's latest `TICK` frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Sequence of the value in the frame.
    pub seq: u64,
    /// When the value was received (for the delivery-latency histogram).
    pub receive_ts: u64,
    /// The serialised frame, shared by every session.
    pub bytes: Utf8Bytes,
}

/// The latest frame of every instrument as of one window.
#[derive(Debug, Clone, Default)]
pub struct FrameTable {
    /// Window number, +1 per published table.
    pub window: u64,
    /// By instrument index; `None` until the instrument's first value.
    pub frames: Vec<Option<Frame>>,
}

/// A notification for the `notifications` channel.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Instrument concerned, for entitlement filtering.
    pub instrument: orion_hotpath::InstrumentId,
    /// The serialised frame.
    pub bytes: Utf8Bytes,
}

/// Runs the market fan-out until `shutdown` turns true.
pub async fn run_market_fanout(
    mut drain: MarketDrain,
    instruments: Arc<InstrumentTable>,
    frames_tx: watch::Sender<Arc<FrameTable>>,
    window: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut table = FrameTable {
        window: 0,
        frames: vec![None; instruments.len()],
    };
    loop {
        // Sleep a whole window after each publication (not a fixed-rate interval): two tables
        // are never closer than the window, so no session gets two TICKs of an instrument
        // within one window.
        tokio::select! {
            _ = tokio::time::sleep(window) => {}
            _ = shutdown.changed() => break,
        }
        let now = unix_nanos();
        let changed = drain.drain(|snapshot| {
            let Some(spec) = instruments.spec(snapshot.instrument) else {
                return;
            };
            let json = MarketView::new(spec, snapshot, Some("TICK")).to_json();
            histogram!("orion_md_fanout_latency_seconds")
                .record(now.saturating_sub(snapshot.receive_ts) as f64 / 1e9);
            table.frames[snapshot.instrument.index()] = Some(Frame {
                seq: snapshot.seq,
                receive_ts: snapshot.receive_ts,
                bytes: json.into(),
            });
        });
        if changed > 0 {
            table.window += 1;
            frames_tx.send_replace(Arc::new(table.clone()));
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    event: &'static str,
    severity: &'static str,
    instrument_id: &'a str,
    message: String,
    ts: String,
}

/// Starts the output router: a thread draining the engine's output ring in batches, sending
/// engine decisions and market-data status changes to the group committer and broadcasting
/// market-data notifications. It never
/// waits on either (the committer's channel is unbounded: what it holds is bounded by the
/// commands admitted), so the hot path is never held up by the cold path's pace.
pub fn spawn_output_router(
    mut drain: OutputDrain,
    instruments: Arc<InstrumentTable>,
    notifications: broadcast::Sender<Notification>,
    decisions: tokio::sync::mpsc::UnboundedSender<orion_journal::JournalInput>,
) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("orion-output-router".into())
        .spawn(move || {
            loop {
                let routed = drain.drain(4_096, |payload| match payload {
                    OutputPayload::Rfq(event) => {
                        let _ = decisions.send(orion_journal::JournalInput::Engine(event));
                    }
                    other => {
                        if let Some(status) = market_status(other) {
                            let _ =
                                decisions.send(orion_journal::JournalInput::MarketStatus(status));
                        }
                        if let Some(note) = notification(&instruments, other) {
                            let _ = notifications.send(note);
                        }
                    }
                });
                if routed == 0 {
                    if drain.is_closed() {
                        return;
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        })
        .expect("spawn output router")
}

/// The market-data status change an output event reports, for the journal (`marketdata.status`).
fn market_status(event: OutputPayload) -> Option<orion_journal::MarketStatus> {
    match event {
        OutputPayload::MarketDataStaleDetected {
            instrument,
            last_update_ts,
            detected_at,
        } => Some(orion_journal::MarketStatus {
            instrument,
            stale: true,
            last_update_ts,
            at: detected_at,
        }),
        OutputPayload::MarketDataRecovered { instrument, at } => {
            Some(orion_journal::MarketStatus {
                instrument,
                stale: false,
                last_update_ts: 0,
                at,
            })
        }
        OutputPayload::Empty | OutputPayload::Rfq(_) => None,
    }
}

fn notification(instruments: &InstrumentTable, event: OutputPayload) -> Option<Notification> {
    let (instrument, event, severity, message, at) = match event {
        OutputPayload::MarketDataStaleDetected {
            instrument,
            last_update_ts,
            detected_at,
        } => (
            instrument,
            "MarketDataStaleDetected",
            "WARNING",
            format!(
                "no update for {} ms",
                detected_at.saturating_sub(last_update_ts) / 1_000_000
            ),
            detected_at,
        ),
        OutputPayload::MarketDataRecovered { instrument, at } => (
            instrument,
            "MarketDataRecovered",
            "INFO",
            "updates resumed".to_owned(),
            at,
        ),
        OutputPayload::Empty | OutputPayload::Rfq(_) => return None,
    };
    let spec = instruments.spec(instrument)?;
    tracing::info!(instrumentId = %spec.symbol, event, "market data {}", message);
    let json = serde_json::to_string(&NotificationFrame {
        kind: "NOTIFICATION",
        event,
        severity,
        instrument_id: &spec.symbol,
        message: format!("{}: {message}", spec.symbol),
        ts: rfc3339(at),
    })
    .expect("notifications always serialise");
    Some(Notification {
        instrument,
        bytes: json.into(),
    })
}
