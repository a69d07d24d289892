//! The trader WebSocket (`/stream`, alias `/stream/market`): one socket per session,
//! multiplexed subscriptions, snapshot first, coalesced ticks, latest-wins for slow clients.
//!
//! - [`protocol`] — client and server messages, independent of sockets.
//! - [`fanout`] — per-window serialisation shared by all sessions; notifications.
//! - [`session`] — one task per socket.
//! - [`updates`] — committed RFQ changes rendered as frames for their owner.
//! - [`state`] — what sessions read, local (`orion up`) or mirrored from a core (`orion bff`).
//!
//! The token is validated in the handshake (`?access_token=`, since browsers cannot set headers
//! on a WebSocket); a bad one gets 401 before any upgrade.

pub mod fanout;
pub mod protocol;
pub mod session;
pub mod state;
pub mod updates;

use std::sync::Arc;

use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::{broadcast, watch};

use crate::http::AppState;
use crate::http::error::{AppError, Query};
use fanout::{FrameTable, Notification};
use state::{DepthSource, Gate, StreamState};

/// Read buffer per socket: client frames are small, so 4 KiB instead of tungstenite's 128 KiB.
const READ_BUFFER: usize = 4 * 1024;
/// Largest client message accepted.
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Frames gathered before a write: a window's frames for one session leave in one send (one
/// syscall, one TCP segment) instead of one send each. The buffer stays allocated per session,
/// so it is kept small.
const WRITE_BUFFER: usize = 1024;
/// Most bytes queued for a client that does not read before the session ends.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;

/// What every session subscribes to. Cheap to clone.
#[derive(Clone)]
pub struct StreamHub {
    /// Sessions alive; shutdown waits for it to reach zero so close frames get out.
    live: Arc<std::sync::atomic::AtomicUsize>,
    frames: watch::Receiver<Arc<FrameTable>>,
    notifications: broadcast::Sender<Notification>,
    updates: broadcast::Sender<updates::UserUpdate>,
    shutdown: watch::Receiver<bool>,
}

impl StreamHub {
    /// A hub over the fan-out's frame table and notification channel.
    pub fn new(
        frames: watch::Receiver<Arc<FrameTable>>,
        notifications: broadcast::Sender<Notification>,
        updates: broadcast::Sender<updates::UserUpdate>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self {
            live: Arc::default(),
            frames,
            notifications,
            updates,
            shutdown,
        }
    }

    /// Waits until every session has ended (they end on shutdown), at most `limit`.
    pub async fn drained(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.live.load(std::sync::atomic::Ordering::Acquire) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Handshake query.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    access_token: Option<String>,
}

/// `GET /stream`: validates the token, then upgrades.
pub async fn upgrade(
    State(state): State<StreamState>,
    Query(query): Query<StreamQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, AppError> {
    let token = query.access_token.ok_or(AppError::Unauthorized)?;
    let claims = state.gate.authenticate(&token).await?;
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| session::run(socket, claims, state)))
}

impl axum::extract::FromRef<AppState> for StreamState {
    fn from_ref(state: &AppState) -> Self {
        StreamState {
            instruments: Arc::clone(&state.instruments),
            snapshots: Arc::clone(&state.snapshots),
            hub: state.hub.clone(),
            gate: Gate::Local {
                auth: Arc::clone(&state.auth),
                directory: Arc::clone(&state.directory),
            },
            depth: state.books.clone().map(DepthSource::Local),
        }
    }
}

impl StreamHub {
    pub(crate) fn frames(&self) -> watch::Receiver<Arc<FrameTable>> {
        self.frames.clone()
    }

    pub(crate) fn notifications(&self) -> broadcast::Receiver<Notification> {
        self.notifications.subscribe()
    }

    pub(crate) fn updates(&self) -> broadcast::Receiver<updates::UserUpdate> {
        self.updates.subscribe()
    }

    pub(crate) fn live(&self) -> Arc<std::sync::atomic::AtomicUsize> {
        Arc::clone(&self.live)
    }

    pub(crate) fn shutdown(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }
}
