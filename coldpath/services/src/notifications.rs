//! Notifications to users: the `notifications` consumer (in the
//! [consumer runner](crate::consumer)) turns a trade's final settlement failure into a message
//! for the trade's owner and every enabled risk user of its tenant — stored (with the event id
//! in `processed_events`, so a redelivery notifies nobody twice) and pushed to their live
//! sessions.

use std::sync::Arc;

use orion_store::Store;
pub use orion_store::posttrade::NotificationRecord;
use tokio::sync::broadcast;

use crate::consumer::{ApplyError, Event, Handler};
use crate::directory::Directory;

/// This consumer's name.
pub const CONSUMER: &str = "notifications";

/// The role whose holders hear about every failure in their tenant.
pub const RISK_ROLE: &str = "ROLE_RISK";

/// The `notifications` consumer.
pub struct Notifier {
    store: Store,
    directory: Arc<Directory>,
    live: broadcast::Sender<NotificationRecord>,
}

impl Notifier {
    /// Stores notifications in `store` and pushes them on `live`.
    pub fn new(
        store: Store,
        directory: Arc<Directory>,
        live: broadcast::Sender<NotificationRecord>,
    ) -> Self {
        Self {
            store,
            directory,
            live,
        }
    }

    /// Who hears about a failure of `owner`'s trade: the owner and the tenant's risk users.
    pub fn recipients(&self, tenant: &str, owner: &str) -> Vec<String> {
        let mut users = vec![owner.to_owned()];
        for user in self.directory.users_of(tenant) {
            if user.enabled && user.roles.iter().any(|r| r == RISK_ROLE) && user.user != owner {
                users.push(user.user);
            }
        }
        users
    }
}

impl Handler for Notifier {
    fn name(&self) -> &'static str {
        CONSUMER
    }

    fn streams(&self) -> &'static [&'static str] {
        &["posttrade.settlement"]
    }

    async fn apply(&self, event: &Event) -> Result<bool, ApplyError> {
        if event.event_type != "SettlementFailed" || event.payload()["final"] != true {
            return Ok(false);
        }
        let trade_id = event.text("tradeId");
        let owner = event.text("requester");
        let attempts = event.payload()["attempt"].as_i64().unwrap_or(0);
        let message = format!(
            "Trade {trade_id} failed to settle after {attempts} attempts ({}); it needs manual settlement.",
            event.text("reason")
        );
        let at = orion_bridge::clock::unix_nanos() as i64;
        let notes: Vec<NotificationRecord> = self
            .recipients(&event.tenant, &owner)
            .into_iter()
            .map(|user| NotificationRecord {
                notification_id: uuid::Uuid::new_v4().to_string(),
                tenant: event.tenant.clone(),
                user,
                event: "SettlementFailed".into(),
                severity: "CRITICAL".into(),
                entity_id: trade_id.clone(),
                message: message.clone(),
                created_at: at,
            })
            .collect();
        let fresh = self
            .store
            .insert_notifications(CONSUMER, &event.event_id, &notes)
            .await?;
        if fresh {
            for note in notes {
                let _ = self.live.send(note);
            }
        }
        Ok(fresh)
    }
}
