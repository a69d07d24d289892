//! An external identity provider's signing keys (`ORION_JWKS_URL`), fetched at start and kept
//! fresh: every five minutes, and at once (at most every ten seconds) when a token names a key
//! the document lacks — how a provider's key rotation reaches Orion without a restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use orion_bridge::clock::Clock;
use orion_services::identity::ExternalKeys;

/// How often the document is fetched again regardless.
const REFRESH_EVERY: Duration = Duration::from_secs(300);
/// The soonest a token with an unknown key triggers another fetch.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(10);

fn client() -> anyhow::Result<reqwest::Client> {
    // `https://` documents use rustls with ring (as the QUIC gateway does) and the system's roots.
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("building the JWKS client")
}

async fn fetch(client: &reqwest::Client, url: &str, keys: &ExternalKeys) -> anyhow::Result<usize> {
    let document = client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(keys.replace(&document)?)
}

/// Fetches the key set once (failing start-up when it cannot) and keeps it fresh.
pub async fn start(url: String, clock: Arc<dyn Clock>) -> anyhow::Result<Arc<ExternalKeys>> {
    let client = client()?;
    let keys = Arc::new(ExternalKeys::new(clock));
    let count = fetch(&client, &url, &keys)
        .await
        .with_context(|| format!("fetching the JWKS document at {url}"))?;
    tracing::info!(url, keys = count, "external identity provider keys loaded");
    let refreshing = Arc::clone(&keys);
    tokio::spawn(async move {
        let mut fetched = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let due = fetched.elapsed() >= REFRESH_EVERY
                || (refreshing.wants_refresh() && fetched.elapsed() >= REFETCH_AT_MOST_EVERY);
            if !due {
                continue;
            }
            fetched = Instant::now();
            match fetch(&client, &url, &refreshing).await {
                Ok(count) => {
                    tracing::info!(keys = count, "external identity provider keys refreshed")
                }
                Err(err) => {
                    tracing::warn!(cause = %err, "JWKS refresh failed; keeping the keys held")
                }
            }
        }
    });
    Ok(keys)
}
