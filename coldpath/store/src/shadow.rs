//! Shadow read models: every projection that `orion rebuild-read-models` can rebuild has a
//! `shadow_` twin of each of its tables. A rebuild clears the shadows, replays the log into them
//! under a consumer name of its own, then either compares them with the live tables or swaps them
//! in — the live rows and the live consumer's processed-event ledger replaced in one transaction.

use std::collections::HashSet;

use sqlx::{Any, Transaction};

use crate::StoreError;

/// Empties `shadows` and the processed-event ledger of `consumer` (the rebuild's).
pub(crate) async fn clear(
    tx: &mut Transaction<'static, Any>,
    shadows: impl IntoIterator<Item = String>,
    consumer: &str,
) -> Result<(), StoreError> {
    for table in shadows {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM processed_events WHERE consumer = $1")
        .bind(consumer)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces each live table of `pairs` (live, shadow) with its shadow's rows, and
/// `live_consumer`'s processed-event ledger with `shadow_consumer`'s.
pub(crate) async fn promote(
    tx: &mut Transaction<'static, Any>,
    pairs: impl IntoIterator<Item = (String, String)>,
    live_consumer: &str,
    shadow_consumer: &str,
) -> Result<(), StoreError> {
    for (live, shadow) in pairs {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {live}")))
            .execute(&mut **tx)
            .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {live} SELECT * FROM {shadow}"
        )))
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query("DELETE FROM processed_events WHERE consumer = $1")
        .bind(live_consumer)
        .execute(&mut **tx)
        .await?;
    sqlx::query("UPDATE processed_events SET consumer = $1 WHERE consumer = $2")
        .bind(live_consumer)
        .bind(shadow_consumer)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The ids of the events `consumer` has applied.
pub(crate) async fn processed_ids(
    tx: &mut Transaction<'static, Any>,
    consumer: &str,
) -> Result<HashSet<String>, StoreError> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT event_id FROM processed_events WHERE consumer = $1")
            .bind(consumer)
            .fetch_all(&mut **tx)
            .await?;
    Ok(ids.into_iter().collect())
}
