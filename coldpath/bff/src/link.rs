//! The core's side of the link to BFF replicas (`orion core`): the REST API run without a
//! socket for requests a replica forwards, and one broadcast of everything a replica fans out
//! besides ticks — owner frames and notifications exactly as this process renders them for its
//! own sessions, users disabled, each book's top levels when they change, and instruments
//! defined at runtime.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use orion_grpc::link::pb::{self, core_update::Kind};
use orion_grpc::link::{Api, ApiRequest, LinkContext};
use orion_hotpath::InstrumentTable;
use orion_journal::orders::BookView;
use orion_services::directory::Directory;
use tokio::sync::{broadcast, watch};
use tower::ServiceExt;

use crate::stream::StreamHub;
use crate::stream::updates::UpdateChannel;

/// Levels per side a replica mirrors (its `DEPTH` frames show ten).
const DEPTH_LEVELS: usize = 10;
/// Largest REST response body sent back to a replica.
const MAX_RESPONSE: usize = 8 * 1024 * 1024;

/// `api` (the REST router, correlation ids included) as the core link runs it.
pub fn api(api: Router) -> Api {
    Arc::new(move |(request, peer): ApiRequest| {
        let api = api.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut request =
                axum::extract::Request::from_parts(parts, axum::body::Body::from(body));
            if let Some(peer) = peer {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
            }
            let response = match api.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, MAX_RESPONSE)
                .await
                .unwrap_or_default();
            axum::http::Response::from_parts(parts, body)
        })
    })
}

/// Starts exporting `hub`'s owner updates and notifications, `directory`'s disabled users and
/// `books`' depth and instruments defined at runtime (both polled every `window`) until `shutdown`; returns what the link serves.
pub fn export(
    api: Api,
    hub: &StreamHub,
    directory: &Arc<Directory>,
    books: BookView,
    instruments: Arc<InstrumentTable>,
    window: Duration,
    shutdown: watch::Receiver<bool>,
) -> LinkContext {
    let (updates, _) = broadcast::channel(4_096);
    tokio::spawn(owner_frames(hub.updates(), updates.clone()));
    tokio::spawn(notices(
        hub.notifications(),
        Arc::clone(&instruments),
        updates.clone(),
    ));
    tokio::spawn(disabled_users(
        directory.subscribe_disabled(),
        Arc::clone(directory),
        updates.clone(),
    ));
    tokio::spawn(depth_changes(
        books.clone(),
        Arc::clone(&instruments),
        updates.clone(),
        window,
        shutdown.clone(),
    ));
    tokio::spawn(defined_instruments(
        Arc::clone(&instruments),
        updates.clone(),
        window,
        shutdown,
    ));
    let initial = Arc::new(move || {
        instruments
            .iter()
            .map(|(_, spec)| depth_update(&books, &spec.symbol))
            .collect()
    });
    LinkContext {
        api,
        updates,
        initial,
    }
}

fn depth_update(books: &BookView, symbol: &str) -> pb::CoreUpdate {
    let depth = books.depth(symbol, DEPTH_LEVELS);
    let levels = serde_json::json!({"bids": depth.bids, "asks": depth.asks});
    pb::CoreUpdate {
        kind: Some(Kind::Depth(pb::DepthChange {
            instrument_id: symbol.to_owned(),
            seq: depth.seq,
            levels_json: levels.to_string(),
        })),
    }
}

async fn owner_frames(
    mut from: broadcast::Receiver<crate::stream::updates::UserUpdate>,
    to: broadcast::Sender<pb::CoreUpdate>,
) {
    loop {
        let update = match from.recv().await {
            Ok(update) => update,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let channel = match update.channel {
            UpdateChannel::Rfqs => pb::Channel::Rfqs,
            UpdateChannel::Trades => pb::Channel::Trades,
            UpdateChannel::Notifications => pb::Channel::Notifications,
            UpdateChannel::Orders => pb::Channel::Orders,
        };
        let _ = to.send(pb::CoreUpdate {
            kind: Some(Kind::Owner(pb::OwnerFrame {
                tenant: update.tenant,
                user: update.user,
                channel: channel as i32,
                frame: update.bytes.as_str().to_owned(),
            })),
        });
    }
}

async fn notices(
    mut from: broadcast::Receiver<crate::stream::fanout::Notification>,
    instruments: Arc<InstrumentTable>,
    to: broadcast::Sender<pb::CoreUpdate>,
) {
    loop {
        let note = match from.recv().await {
            Ok(note) => note,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(spec) = instruments.spec(note.instrument) else {
            continue;
        };
        let _ = to.send(pb::CoreUpdate {
            kind: Some(Kind::Notice(pb::MarketNotice {
                instrument_id: spec.symbol.clone(),
                frame: note.bytes.as_str().to_owned(),
            })),
        });
    }
}

async fn disabled_users(
    mut from: broadcast::Receiver<String>,
    directory: Arc<Directory>,
    to: broadcast::Sender<pb::CoreUpdate>,
) {
    loop {
        let user = match from.recv().await {
            Ok(user) => user,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let tenant = directory.user(&user).map(|u| u.tenant).unwrap_or_default();
        let _ = to.send(pb::CoreUpdate {
            kind: Some(Kind::Disabled(pb::UserDisabled { tenant, user })),
        });
    }
}

/// Once per window when any book changed: the top levels of each book that changed.
async fn depth_changes(
    books: BookView,
    instruments: Arc<InstrumentTable>,
    to: broadcast::Sender<pb::CoreUpdate>,
    window: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut seen = books.seq();
    let mut last: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(window) => {}
            _ = shutdown.changed() => return,
        }
        let seq = books.seq();
        if seq == seen {
            continue;
        }
        seen = seq;
        for (_, spec) in instruments.iter() {
            let update = depth_update(&books, &spec.symbol);
            let Some(Kind::Depth(depth)) = &update.kind else {
                continue;
            };
            if last.get(&spec.symbol) == Some(&depth.levels_json) {
                continue;
            }
            last.insert(spec.symbol.clone(), depth.levels_json.clone());
            let _ = to.send(update);
        }
    }
}

/// Once per window: each instrument activated since the last look (they only ever grow).
async fn defined_instruments(
    instruments: Arc<InstrumentTable>,
    to: broadcast::Sender<pb::CoreUpdate>,
    window: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut known: std::collections::HashSet<u32> =
        instruments.iter().map(|(id, _)| id.raw()).collect();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(window) => {}
            _ = shutdown.changed() => return,
        }
        for (id, spec) in instruments.iter() {
            if known.insert(id.raw()) {
                let _ = to.send(pb::CoreUpdate {
                    kind: Some(Kind::Defined(orion_grpc::link::instrument_slot(id, spec))),
                });
            }
        }
    }
}
