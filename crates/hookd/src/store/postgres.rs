//! The PostgreSQL store, for deployments that want a server database or several hookd processes. Rows
//! are claimed with `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers never lease the same delivery.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::group::GroupCommit;
use super::sql::*;
use super::{
    cache_key, AccountRow, AppRow, AttemptOutcome, AttemptRow, DeliveryJob, DeliveryRow,
    EventInsert, EventRow, HealthChange, KeyRow, NewDelivery, Page, ReadCaches, Result, StoreError,
    SubscriptionRow,
};

pub struct PgStore {
    writer: PgPool,
    reader: PgPool,
    events: GroupCommit<(EventRow, Vec<NewDelivery>), EventInsert>,
    attempts: GroupCommit<AttemptOutcome, HealthChange>,
    caches: ReadCaches,
}

impl PgStore {
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .with_context(|| {
                format!(
                    "connecting to PostgreSQL at {}",
                    crate::domain::url::redact(url)
                )
            })?;
        // The migrator holds an advisory lock, so nodes starting together migrate once.
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .context("applying PostgreSQL migrations")?;
        let (events, attempts) = Self::group_writers(&pool);
        Ok(Self {
            writer: pool.clone(),
            reader: pool,
            events,
            attempts,
            caches: ReadCaches::default(),
        })
    }
}

impl_store!(
    PgStore,
    sqlx::Postgres,
    backend = "postgres",
    for_update = " FOR UPDATE",
    skip_locked = " FOR UPDATE OF d SKIP LOCKED",
    json_strings = "SELECT jsonb_array_elements_text($5::jsonb)"
);
