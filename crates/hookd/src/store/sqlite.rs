//! The embedded default store: one SQLite file in WAL mode. Writes go through a single connection (SQLite
//! allows one writer at a time; queueing in the pool is cheaper than lock retries), reads through a pool.
//! A lock file next to the database keeps a second hookd process away, which is what makes releasing all
//! leases at start safe.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::group::GroupCommit;
use super::sql::*;
use super::{
    cache_key, AccountRow, AppRow, AttemptOutcome, AttemptRow, DeliveryJob, DeliveryRow,
    EventInsert, EventRow, HealthChange, KeyRow, NewDelivery, Page, ReadCaches, Result, StoreError,
    SubscriptionRow,
};
use crate::config::SqliteSync;

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    events: GroupCommit<(EventRow, Vec<NewDelivery>), EventInsert>,
    attempts: GroupCommit<AttemptOutcome, HealthChange>,
    caches: ReadCaches,
    _lock: std::fs::File,
}

impl SqliteStore {
    pub async fn open(url: &str, sync: SqliteSync) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("invalid SQLite URL {url}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            })
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        let path = options.get_filename().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let lock_path = path.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        fs2::FileExt::try_lock_exclusive(&lock).with_context(|| {
            format!(
                "another hookd process is using {} (lock file {}); SQLite serves one process — use PostgreSQL to run several",
                path.display(),
                lock_path.display()
            )
        })?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("opening SQLite database {}", path.display()))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&writer)
            .await
            .context("applying SQLite migrations")?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        let (events, attempts) = Self::group_writers(&writer);
        Ok(Self {
            writer,
            reader,
            events,
            attempts,
            caches: ReadCaches::default(),
            _lock: lock,
        })
    }
}

impl_store!(
    SqliteStore,
    sqlx::Sqlite,
    backend = "sqlite",
    for_update = "",
    skip_locked = "",
    json_strings = "SELECT value FROM json_each($5)"
);
