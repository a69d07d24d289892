//! The store: the only crate that speaks SQL. One set of statements runs over SQLite (the
//! embedded default) or Postgres through sqlx's `Any` driver; everything above it calls the
//! typed repository methods here and never sees a query.
//!
//! - [`Store::connect`] opens the pool for `sqlite://…` or `postgres://…` and runs the embedded
//!   migrations (`migrations/`), which both engines accept unchanged (BIGINT/TEXT only, `$1`
//!   placeholders).
//! - [`batch`] — the journal's group commit: one batch of decisions' rows in one transaction,
//!   as a few multi-row statements.
//! - [`directory`] — tenants, users, roles, entitlements, LPs, instruments, venues, feature
//!   flags, revoked tokens and the audit trail.
//! - [`rfqs`] — RFQs, quotes, trades and stored idempotent answers, as the services read them.
//! - [`read_models`] — the blotters projected from the event log, and consumer checkpoints.
//! - [`outbox`] — the relay's reads and marks.
//! - [`posttrade`] — confirmations, settlement sagas and notifications.
//! - [`dead_letters`] — what consumers could not apply, and replays.
//! - [`recovery`] — what the engine is rebuilt from on start.
//! - [`workstation`] — preferences, analytics samples and risk-panel reads.
//! - [`reference`](mod@reference) — seeding tenants, users, roles, entitlements, instruments
//!   and LPs.
#![deny(rustdoc::broken_intra_doc_links)]

pub mod analytics;
pub mod batch;
pub mod dead_letters;
pub mod directory;
pub mod market_samples;
pub mod orders;
pub mod outbox;
pub mod posttrade;
pub mod read_models;
pub mod recovery;
pub mod reference;
pub mod rfqs;
mod shadow;
pub mod workstation;

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, SqlSafeStr};

/// Why the store could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Connecting or querying failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The embedded migrations, in order.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            Cow::Borrowed("rfq store"),
            MigrationType::Simple,
            include_str!("../migrations/0001_rfq_store.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("read models"),
            MigrationType::Simple,
            include_str!("../migrations/0002_read_models.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("workstation preferences"),
            MigrationType::Simple,
            include_str!("../migrations/0003_preferences.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("outbox correlation id"),
            MigrationType::Simple,
            include_str!("../migrations/0004_outbox_correlation.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("typed idempotent answers"),
            MigrationType::Simple,
            include_str!("../migrations/0005_typed_answers.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("directory in the store"),
            MigrationType::Simple,
            include_str!("../migrations/0006_directory.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            Cow::Borrowed("partial fills"),
            MigrationType::Simple,
            include_str!("../migrations/0007_partial_fills.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            8,
            Cow::Borrowed("instrument entitlements"),
            MigrationType::Simple,
            include_str!("../migrations/0008_instrument_entitlements.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            9,
            Cow::Borrowed("post-trade and dead letters"),
            MigrationType::Simple,
            include_str!("../migrations/0009_posttrade_dlq.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            10,
            Cow::Borrowed("orders"),
            MigrationType::Simple,
            include_str!("../migrations/0010_orders.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            11,
            Cow::Borrowed("outbox trace context"),
            MigrationType::Simple,
            include_str!("../migrations/0011_outbox_trace.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            12,
            Cow::Borrowed("analytics read models"),
            MigrationType::Simple,
            include_str!("../migrations/0012_analytics.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            13,
            Cow::Borrowed("market samples and baskets"),
            MigrationType::Simple,
            include_str!("../migrations/0013_market_samples_baskets.sql").into_sql_str(),
            false,
        ),
    ])
}

/// A connection pool with the schema in place.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// True for SQLite (one writer at a time; the pool is sized accordingly).
    sqlite: bool,
}

impl Store {
    /// Opens `url` (`sqlite://path` creates the file) and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_owned()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 1 } else { 8 })
            .acquire_timeout(Duration::from_secs(2))
            .connect(&url)
            .await?;
        if sqlite {
            // WAL keeps readers off the writer's back; FULL sync makes a commit survive a crash.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await?;
            sqlx::query("PRAGMA synchronous = FULL")
                .execute(&pool)
                .await?;
        }
        migrator().run(&pool).await?;
        Ok(Self { pool, sqlite })
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// True when the store is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    /// Opens a transaction.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        self.pool.begin().await
    }

    /// Cheap liveness probe.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}
