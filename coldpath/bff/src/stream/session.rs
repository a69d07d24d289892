//! One WebSocket session: reads client frames, writes snapshots, ticks and notifications.
//!
//! The session waits on three things at once: a client frame, a new frame table, a
//! notification. It answers every client frame (an `ERROR` for a bad one — the socket stays
//! open). On a new table it sends, for each subscribed instrument whose sequence moved past
//! what it last sent, the shared pre-serialised `TICK` bytes. While it is blocked writing to a
//! slow client, newer tables replace older ones in the `watch` channel: the client skips
//! intermediate values instead of queueing them, and the skipped windows are counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, close_code};
use futures_util::SinkExt;
use metrics::{counter, gauge, histogram};
use orion_bridge::clock::unix_nanos;
use orion_hotpath::InstrumentId;
use tokio::sync::broadcast::error::RecvError;

use super::fanout::FrameTable;
use super::protocol::{self, Channel, ClientMessage, ErrorCode, Refusal, SubscriptionRequest};
use super::state::StreamState;
use crate::market_view::MarketView;
use orion_services::identity::Claims;

/// One subscribed instrument.
#[derive(Debug, Clone, Copy)]
struct Subscription {
    instrument: InstrumentId,
    /// Sequence of the last value sent; 0 = nothing sent yet (the next one is a SNAPSHOT).
    last_seq: u64,
}

/// Levels per side in a `DEPTH` frame.
const DEPTH_LEVELS: usize = 10;

struct Session {
    claims: Claims,
    state: StreamState,
    market: Vec<Subscription>,
    notifications: bool,
    rfqs: bool,
    trades: bool,
    orders: bool,
    /// Depth subscriptions: instrument and the levels last sent.
    depth: Vec<(String, serde_json::Value)>,
    /// The books' sequence when depth was last looked at.
    depth_seq: u64,
    /// Committed RFQ and trade changes, subscribed on the first `rfqs`/`trades` subscription.
    updates: Option<tokio::sync::broadcast::Receiver<super::updates::UserUpdate>>,
    last_window: u64,
}

/// Counts a session as live (gauge and shutdown drain) while it exists.
struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(count: Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        gauge!("orion_ws_sessions").increment(1.0);
        Live(count)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
        gauge!("orion_ws_sessions").decrement(1.0);
    }
}

/// Runs a session until the client leaves or the server shuts down.
pub async fn run(mut socket: WebSocket, claims: Claims, state: StreamState) {
    let _live = Live::new(state.hub.live());
    let mut frames = state.hub.frames();
    frames.mark_unchanged();
    let mut notifications = state.hub.notifications();
    let mut shutdown = state.hub.shutdown();
    let mut disabled = state.gate.subscribe_disabled();
    let mut session = Session {
        claims,
        state,
        market: Vec::new(),
        notifications: false,
        rfqs: false,
        trades: false,
        orders: false,
        depth: Vec::new(),
        depth_seq: 0,
        updates: None,
        last_window: 0,
    };
    loop {
        let sent = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => session.on_text(&mut socket, text.as_str()).await,
                Some(Ok(Message::Binary(_))) => {
                    send(&mut socket, protocol::error_frame(ErrorCode::BinaryNotSupported, "send JSON text frames").into()).await
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => Ok(()),
                Some(Err(err)) if too_big(&err) => {
                    counter!("orion_ws_bad_frames_total").increment(1);
                    close_with(&mut socket, close_code::SIZE, "message too big").await;
                    break;
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
            changed = frames.changed() => match changed {
                Ok(()) => {
                    let table = Arc::clone(&frames.borrow_and_update());
                    session.on_table(&mut socket, &table).await
                }
                // The fan-out stopped: the server is shutting down.
                Err(_) => {
                    close_going_away(&mut socket).await;
                    break;
                }
            },
            update = next_update(&mut session.updates), if session.updates.is_some() => match update {
                Ok(update) => session.on_update(&mut socket, update).await,
                Err(RecvError::Lagged(n)) => {
                    counter!("orion_ws_updates_skipped_total").increment(n);
                    Ok(())
                }
                Err(RecvError::Closed) => break,
            },
            note = notifications.recv(), if session.notifications => match note {
                Ok(note) => session.on_notification(&mut socket, note).await,
                Err(RecvError::Lagged(n)) => {
                    counter!("orion_ws_notifications_skipped_total").increment(n);
                    Ok(())
                }
                Err(RecvError::Closed) => break,
            },
            _ = shutdown.changed() => {
                tracing::debug!("closing session: server shutting down");
                close_going_away(&mut socket).await;
                break;
            }
            user = disabled.recv() => match user {
                Ok(user) if user == session.claims.sub => {
                    tracing::info!(user = %user, "closing session: user disabled");
                    close_with(&mut socket, close_code::POLICY, "user disabled").await;
                    break;
                }
                // Another user, or missed notices: check this session's user directly.
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    if !session.state.gate.is_enabled(&session.claims.tenant, &session.claims.sub) {
                        close_with(&mut socket, close_code::POLICY, "user disabled").await;
                        break;
                    }
                    Ok(())
                }
                Err(RecvError::Closed) => Ok(()),
            },
        };
        if let Err(err) = sent {
            tracing::debug!(cause = %err, "session ended by a failed send");
            break;
        }
    }
}

/// True when a read failed because the client's message exceeds the size limit (answered
/// with close code 1009 rather than a dropped connection).
fn too_big(err: &axum::Error) -> bool {
    std::error::Error::source(err)
        .and_then(|inner| inner.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)))
}

/// Sends a going-away close frame and completes the closing handshake.
async fn close_going_away(socket: &mut WebSocket) {
    close_with(socket, close_code::AWAY, "server shutting down").await;
}

/// Sends a close frame and completes the closing handshake (RFC 6455 §7.1.1): waits briefly
/// for the client's close so the TCP close does not cut off what it has not read.
async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// The next committed update, for a session that subscribed to updates.
async fn next_update(
    updates: &mut Option<tokio::sync::broadcast::Receiver<super::updates::UserUpdate>>,
) -> Result<super::updates::UserUpdate, RecvError> {
    match updates {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn send(socket: &mut WebSocket, text: Utf8Bytes) -> Result<(), axum::Error> {
    socket.send(Message::Text(text)).await
}

impl Session {
    async fn on_text(&mut self, socket: &mut WebSocket, text: &str) -> Result<(), axum::Error> {
        match protocol::parse(text) {
            Err(reason) => {
                counter!("orion_ws_bad_frames_total").increment(1);
                send(
                    socket,
                    protocol::error_frame(ErrorCode::BadMessage, &reason).into(),
                )
                .await
            }
            Ok(ClientMessage::Ping) => send(socket, protocol::PONG.into()).await,
            Ok(ClientMessage::Subscribe(req)) => self.subscribe(socket, req).await,
            Ok(ClientMessage::Unsubscribe(req)) => self.unsubscribe(socket, req).await,
        }
    }

    async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        req: SubscriptionRequest,
    ) -> Result<(), axum::Error> {
        match req.channel() {
            Some(Channel::Market) => {}
            Some(Channel::Depth) => return self.subscribe_depth(socket, req).await,
            Some(Channel::Notifications) => {
                self.notifications = true;
                // Notifications addressed to this user travel with the owner updates.
                if self.updates.is_none() {
                    self.updates = Some(self.state.hub.updates());
                }
                return Ok(());
            }
            Some(channel @ (Channel::Rfqs | Channel::Trades | Channel::Orders)) => {
                match channel {
                    Channel::Rfqs => self.rfqs = true,
                    Channel::Orders => self.orders = true,
                    _ => self.trades = true,
                }
                if self.updates.is_none() {
                    self.updates = Some(self.state.hub.updates());
                }
                return Ok(());
            }
            None => {
                let message = format!(
                    "channel {} is not available",
                    req.channel.as_deref().unwrap_or("market")
                );
                return send(
                    socket,
                    protocol::error_frame(ErrorCode::UnknownChannel, &message).into(),
                )
                .await;
            }
        }
        if req.instrument_ids.is_empty() {
            return send(
                socket,
                protocol::error_frame(ErrorCode::BadMessage, "instrumentIds is required").into(),
            )
            .await;
        }
        let mut refused = Vec::new();
        let mut accepted = Vec::new();
        for symbol in &req.instrument_ids {
            let instruments = &self.state.instruments;
            let Some(id) = instruments.id(symbol) else {
                refused.push(Refusal {
                    instrument_id: symbol,
                    code: ErrorCode::UnknownInstrument,
                });
                continue;
            };
            let spec = instruments.spec(id).expect("id from this table");
            if !self.claims.may_see(spec) {
                refused.push(Refusal {
                    instrument_id: symbol,
                    code: ErrorCode::NotEntitled,
                });
                continue;
            }
            if self.market.iter().any(|s| s.instrument == id) || accepted.contains(&id) {
                continue;
            }
            accepted.push(id);
        }
        // One ERROR for the whole message, before the snapshots of what was accepted.
        if let Some(frame) = protocol::refusal_frame(&refused, req.instrument_ids.len()) {
            socket.feed(Message::Text(frame.into())).await?;
        }
        for id in accepted {
            let spec = self.state.instruments.spec(id).expect("id from this table");
            let mut subscription = Subscription {
                instrument: id,
                last_seq: 0,
            };
            if let Some(snapshot) = self.state.snapshots.read(id) {
                subscription.last_seq = snapshot.seq;
                let json = MarketView::new(spec, &snapshot, Some("SNAPSHOT")).to_json();
                socket.feed(Message::Text(json.into())).await?;
            }
            self.market.push(subscription);
        }
        socket.flush().await
    }

    async fn unsubscribe(
        &mut self,
        socket: &mut WebSocket,
        req: SubscriptionRequest,
    ) -> Result<(), axum::Error> {
        match req.channel() {
            Some(Channel::Market) => {
                let instruments = &self.state.instruments;
                self.market.retain(|s| {
                    !req.instrument_ids
                        .iter()
                        .any(|symbol| instruments.id(symbol) == Some(s.instrument))
                });
                Ok(())
            }
            Some(Channel::Notifications) => {
                self.notifications = false;
                Ok(())
            }
            Some(Channel::Rfqs) => {
                self.rfqs = false;
                Ok(())
            }
            Some(Channel::Trades) => {
                self.trades = false;
                Ok(())
            }
            Some(Channel::Orders) => {
                self.orders = false;
                Ok(())
            }
            Some(Channel::Depth) => {
                self.depth
                    .retain(|(symbol, _)| !req.instrument_ids.contains(symbol));
                Ok(())
            }
            None => {
                send(
                    socket,
                    protocol::error_frame(ErrorCode::UnknownChannel, "no such subscription").into(),
                )
                .await
            }
        }
    }

    async fn on_table(
        &mut self,
        socket: &mut WebSocket,
        table: &FrameTable,
    ) -> Result<(), axum::Error> {
        if self.last_window != 0 && table.window > self.last_window + 1 {
            counter!("orion_ws_window_skips_total").increment(table.window - self.last_window - 1);
        }
        self.last_window = table.window;
        let mut sent = 0u64;
        let now = unix_nanos();
        for i in 0..self.market.len() {
            let subscription = self.market[i];
            let Some(Some(frame)) = table.frames.get(subscription.instrument.index()) else {
                continue;
            };
            if frame.seq <= subscription.last_seq {
                continue;
            }
            let bytes = if subscription.last_seq == 0 {
                // The first value after subscribing is a SNAPSHOT, read fresh.
                let spec = self
                    .state
                    .instruments
                    .spec(subscription.instrument)
                    .expect("subscribed ids are valid");
                match self.state.snapshots.read(subscription.instrument) {
                    Some(snapshot) => {
                        self.market[i].last_seq = snapshot.seq;
                        MarketView::new(spec, &snapshot, Some("SNAPSHOT"))
                            .to_json()
                            .into()
                    }
                    None => continue,
                }
            } else {
                self.market[i].last_seq = frame.seq;
                frame.bytes.clone()
            };
            if sent == 0 {
                histogram!("orion_ws_delivery_latency_seconds")
                    .record(now.saturating_sub(frame.receive_ts) as f64 / 1e9);
            }
            socket.feed(Message::Text(bytes)).await?;
            sent += 1;
        }
        sent += self.depth_changes(socket).await?;
        if sent > 0 {
            counter!("orion_ws_frames_sent_total").increment(sent);
            socket.flush().await?;
        }
        Ok(())
    }

    /// Subscribes to the depth of the instruments named: the full top of each book at once.
    async fn subscribe_depth(
        &mut self,
        socket: &mut WebSocket,
        req: SubscriptionRequest,
    ) -> Result<(), axum::Error> {
        if self.state.depth.is_none() {
            let frame = protocol::error_frame(ErrorCode::UnknownChannel, "no order books here");
            return send(socket, frame.into()).await;
        }
        if req.instrument_ids.is_empty() {
            let frame = protocol::error_frame(ErrorCode::BadMessage, "instrumentIds is required");
            return send(socket, frame.into()).await;
        }
        let mut refused = Vec::new();
        let mut accepted = Vec::new();
        for symbol in &req.instrument_ids {
            let visible = self
                .state
                .instruments
                .id(symbol)
                .and_then(|id| self.state.instruments.spec(id))
                .map(|spec| self.claims.may_see(spec));
            let code = match visible {
                None => ErrorCode::UnknownInstrument,
                Some(false) => ErrorCode::NotEntitled,
                Some(true) => {
                    if !self.depth.iter().any(|(s, _)| s == symbol) && !accepted.contains(symbol) {
                        accepted.push(symbol.clone());
                    }
                    continue;
                }
            };
            refused.push(Refusal {
                instrument_id: symbol,
                code,
            });
        }
        if let Some(frame) = protocol::refusal_frame(&refused, req.instrument_ids.len()) {
            socket.feed(Message::Text(frame.into())).await?;
        }
        for symbol in accepted {
            let (frame, levels) = self.depth_frame(&symbol);
            socket.feed(Message::Text(frame.into())).await?;
            self.depth.push((symbol, levels));
        }
        socket.flush().await
    }

    /// The `DEPTH` frame of `symbol`'s top ten levels, and the levels alone.
    fn depth_frame(&self, symbol: &str) -> (String, serde_json::Value) {
        let books = self.state.depth.as_ref().expect("checked on subscribe");
        let (seq, levels) = books.levels(symbol, DEPTH_LEVELS);
        let frame = serde_json::json!({
            "type": "DEPTH", "instrumentId": symbol, "seq": seq,
            "bids": levels["bids"], "asks": levels["asks"],
        });
        (frame.to_string(), levels)
    }

    /// Once per window: a `DEPTH` frame for each subscribed book whose levels changed.
    async fn depth_changes(&mut self, socket: &mut WebSocket) -> Result<u64, axum::Error> {
        let Some(books) = &self.state.depth else {
            return Ok(0);
        };
        let seq = books.seq();
        if self.depth.is_empty() || seq == self.depth_seq {
            return Ok(0);
        }
        self.depth_seq = seq;
        let mut sent = 0;
        for i in 0..self.depth.len() {
            let (frame, levels) = self.depth_frame(&self.depth[i].0);
            if levels != self.depth[i].1 {
                self.depth[i].1 = levels;
                socket.feed(Message::Text(frame.into())).await?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn on_update(
        &mut self,
        socket: &mut WebSocket,
        update: super::updates::UserUpdate,
    ) -> Result<(), axum::Error> {
        use super::updates::UpdateChannel;
        let wanted = match update.channel {
            UpdateChannel::Rfqs => self.rfqs,
            UpdateChannel::Trades => self.trades,
            UpdateChannel::Notifications => self.notifications,
            UpdateChannel::Orders => self.orders,
        };
        if wanted && update.tenant == self.claims.tenant && update.user == self.claims.sub {
            send(socket, update.bytes).await?;
        }
        Ok(())
    }

    async fn on_notification(
        &mut self,
        socket: &mut WebSocket,
        note: super::fanout::Notification,
    ) -> Result<(), axum::Error> {
        let entitled = self
            .state
            .instruments
            .spec(note.instrument)
            .is_some_and(|spec| self.claims.may_see(spec));
        if entitled {
            send(socket, note.bytes).await?;
        }
        Ok(())
    }
}
