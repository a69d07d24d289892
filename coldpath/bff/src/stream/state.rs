//! What a WebSocket session reads, whether the BFF runs beside the engine (`orion up`) or as a
//! replica of a remote core (`orion bff`): the instruments, the latest values, the fan-out hub,
//! who may connect, and the order books' depth.
//!
//! [`Gate`] and [`DepthSource`] have a local form (the process's own identity service,
//! directory and committed books) and a mirrored one (a replica's: tokens checked by the core,
//! disabled users and depth pushed by the core's update stream).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use orion_grpc::link::client::CoreClient;
use orion_hotpath::{InstrumentTable, SnapshotTable};
use orion_services::auth::AuthService;
use orion_services::directory::Directory;
use orion_services::identity::Claims;
use serde_json::Value;
use tokio::sync::broadcast;

use super::StreamHub;
use crate::http::error::AppError;

/// A session's view of the platform. Cheap to clone.
#[derive(Clone)]
pub struct StreamState {
    /// Interned instruments.
    pub instruments: Arc<InstrumentTable>,
    /// Latest values, read lock-free.
    pub snapshots: Arc<SnapshotTable>,
    /// Frames, notifications and owner updates shared by every session.
    pub hub: StreamHub,
    /// Who may connect, and who was disabled since.
    pub gate: Gate,
    /// The committed order books' depth; `None` where there are no books.
    pub depth: Option<DepthSource>,
}

/// Who may open a session.
#[derive(Clone)]
pub enum Gate {
    /// This process's identity service and directory.
    Local {
        /// Token checks.
        auth: Arc<AuthService>,
        /// Enabled users, and notices of disabled ones.
        directory: Arc<Directory>,
    },
    /// A replica's: tokens checked by the core, disabled users from its update stream.
    Remote(Arc<RemoteGate>),
}

/// A replica's gate.
pub struct RemoteGate {
    core: CoreClient,
    disabled: broadcast::Sender<String>,
    disabled_users: Mutex<HashSet<(String, String)>>,
}

impl RemoteGate {
    /// A gate asking `core`.
    pub fn new(core: CoreClient) -> Self {
        Self {
            core,
            disabled: broadcast::channel(256).0,
            disabled_users: Mutex::default(),
        }
    }

    /// Records a user the core disabled: their sessions here close.
    pub fn user_disabled(&self, tenant: &str, user: &str) {
        self.disabled_users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((tenant.to_owned(), user.to_owned()));
        let _ = self.disabled.send(user.to_owned());
    }

    /// Records a user the core accepted again (a fresh token passed its check).
    fn user_accepted(&self, tenant: &str, user: &str) {
        self.disabled_users
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant.to_owned(), user.to_owned()));
    }
}

impl Gate {
    /// The claims of a session's access token.
    pub async fn authenticate(&self, token: &str) -> Result<Claims, AppError> {
        match self {
            Gate::Local { auth, .. } => auth
                .authenticate(token)
                .map_err(crate::http::auth::auth_failure),
            Gate::Remote(gate) => {
                let claims = gate
                    .core
                    .authenticate(token)
                    .await
                    .map_err(remote_failure)?;
                gate.user_accepted(&claims.tenant, &claims.sub);
                Ok(claims)
            }
        }
    }

    /// Notices of users disabled (by user id).
    pub fn subscribe_disabled(&self) -> broadcast::Receiver<String> {
        match self {
            Gate::Local { directory, .. } => directory.subscribe_disabled(),
            Gate::Remote(gate) => gate.disabled.subscribe(),
        }
    }

    /// True while `user` of `tenant` may keep a session.
    pub fn is_enabled(&self, tenant: &str, user: &str) -> bool {
        match self {
            Gate::Local { directory, .. } => directory.is_enabled(tenant, user),
            Gate::Remote(gate) => !gate
                .disabled_users
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&(tenant.to_owned(), user.to_owned())),
        }
    }
}

/// A failed token check at the core, as the handshake answers it.
fn remote_failure(status: tonic::Status) -> AppError {
    match status.code() {
        tonic::Code::Unauthenticated if status.message().starts_with("USER_DISABLED") => {
            crate::http::auth::auth_failure(orion_services::identity::AuthError::UserDisabled)
        }
        tonic::Code::Unauthenticated => AppError::Unauthorized,
        _ => AppError::Coded {
            status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            code: "CORE_UNAVAILABLE",
            message: "the trading core is unreachable; retry shortly".into(),
        },
    }
}

/// Where a session's `DEPTH` frames come from.
#[derive(Clone)]
pub enum DepthSource {
    /// This process's committed books.
    Local(orion_journal::orders::BookView),
    /// The depth the core pushed last.
    Mirror(Arc<DepthMirror>),
}

impl DepthSource {
    /// Sequence of the last change seen; moves when any book changed.
    pub fn seq(&self) -> u64 {
        match self {
            DepthSource::Local(books) => books.seq(),
            DepthSource::Mirror(mirror) => mirror.seq(),
        }
    }

    /// The sequence and top `levels` levels of `symbol`'s book as `{"bids": […], "asks": […]}`.
    pub fn levels(&self, symbol: &str, levels: usize) -> (u64, Value) {
        match self {
            DepthSource::Local(books) => {
                let depth = books.depth(symbol, levels);
                (
                    depth.seq,
                    serde_json::json!({"bids": depth.bids, "asks": depth.asks}),
                )
            }
            DepthSource::Mirror(mirror) => mirror.levels(symbol),
        }
    }
}

/// A replica's copy of the books' tops, as the core pushes them.
#[derive(Default)]
pub struct DepthMirror {
    books: Mutex<MirroredBooks>,
}

/// The latest sequence seen and each book's sequence and levels.
#[derive(Default)]
struct MirroredBooks(u64, HashMap<String, (u64, Value)>);

impl DepthMirror {
    /// Records `symbol`'s levels at `seq`.
    pub fn put(&self, symbol: &str, seq: u64, levels: Value) {
        let mut books = self.books.lock().unwrap_or_else(|p| p.into_inner());
        books.0 = books.0.max(seq);
        books.1.insert(symbol.to_owned(), (seq, levels));
    }

    fn seq(&self) -> u64 {
        self.books.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    fn levels(&self, symbol: &str) -> (u64, Value) {
        let books = self.books.lock().unwrap_or_else(|p| p.into_inner());
        books
            .1
            .get(symbol)
            .cloned()
            .unwrap_or_else(|| (books.0, serde_json::json!({"bids": [], "asks": []})))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_serves_the_latest_levels_and_an_empty_book_otherwise() {
        let mirror = DepthMirror::default();
        assert_eq!(mirror.levels("EUR/USD").1["bids"], serde_json::json!([]));
        mirror.put(
            "EUR/USD",
            7,
            serde_json::json!({"bids": [{"price": "1.1"}], "asks": []}),
        );
        mirror.put("GBP/USD", 9, serde_json::json!({"bids": [], "asks": []}));
        assert_eq!(mirror.seq(), 9);
        let (seq, levels) = mirror.levels("EUR/USD");
        assert_eq!(seq, 7);
        assert_eq!(levels["bids"][0]["price"], "1.1");
    }
}
