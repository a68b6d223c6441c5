//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here (`$n` parameters,
//! `ON CONFLICT`, `RETURNING`); the only differences are the row-locking clauses and a few functions, which
//! each backend passes in. One macro per file, each implementing one of the store's traits (see
//! `traits.rs`): macros rather than generic code because sqlx's executor bounds make backend-generic
//! functions unreadable. The multi-row writes differ per backend; each backend's module has them in its
//! `bulk` module.
//!
//! What the macros expect of the type they implement for, and nothing else: the fields `reader` and
//! `writer` (`sqlx::Pool<$db>`), `health` (`Arc<StorageHealth>`), `caches` (`ReadCaches`) and `writes`
//! (`Writes`); for `impl_guards!`, the methods `count_call` and `pace_slot`; and the names the backend's
//! module imports from `store` (its rows, `Result`, `StoreError`) and from here.

mod activity;
mod catalog;
mod group;
mod guards;
mod portal;
mod queue;
mod records;
mod tenancy;

pub(crate) use activity::impl_activity;
pub(crate) use catalog::impl_catalogs;
pub(crate) use group::impl_group_writes;
pub(crate) use guards::impl_guards;
pub(crate) use portal::{impl_portals, portal_session_cols};
pub(crate) use queue::{impl_queue, log_expired, replayable};
pub(crate) use records::impl_records;
pub(crate) use tenancy::impl_tenancy;

/// A group's deliveries, each beside its event: the rows of the backends' multi-row delivery inserts.
pub(crate) fn delivery_rows<'a>(
    events: &[(&'a super::EventRow, &'a [super::NewDelivery])],
) -> Vec<(&'a super::EventRow, &'a super::NewDelivery)> {
    events
        .iter()
        .flat_map(|&(event, deliveries)| deliveries.iter().map(move |d| (event, d)))
        .collect()
}

/// Column lists, as literals so statements stay `&'static str` (sqlx caches prepared statements by text).
macro_rules! account_cols {
    () => {
        "id, name, parent_id, products, created_at"
    };
}
macro_rules! key_cols {
    () => {
        "id, account_id, sealed_secret, policy, user_id, created_at"
    };
}
macro_rules! app_cols {
    () => {
        "account_id, id, kind, name, max_subscriptions, created_at, updated_at, schema_validation, catalog_only, retention_ms"
    };
}
macro_rules! subscription_cols {
    () => {
        "id, account_id, app_id, url, status, event_types, channel_id, users, format, secrets, headers, description, created_at, updated_at, source, vendor_secrets, retry, timeout_ms, public_key, rate_limit, ordering, batch, payload_filter"
    };
}
/// A subscription's columns as read: those written, and its health, which attempts maintain.
macro_rules! subscription_read_cols {
    () => {
        concat!(subscription_cols!(), ", failing_since")
    };
}
macro_rules! event_cols {
    () => {
        "id, account_id, app_id, event_type, payload, channel_id, user_id, idempotency_key, request_hash, created_at, traceparent, schema_version, schema_violations"
    };
}
/// An event's columns as read (those written, and what is set later).
macro_rules! event_read_cols {
    () => {
        concat!(event_cols!(), ", erased_at")
    };
}
macro_rules! event_type_cols {
    () => {
        "account_id, app_id, name, description, group_name, deprecated, archived_at, versions, created_at, updated_at"
    };
}
macro_rules! delivery_cols {
    () => {
        "id, event_id, subscription_id, account_id, app_id, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at, last_failure, \
         (SELECT e.event_type FROM events e WHERE e.id = deliveries.event_id) AS event_type"
    };
}
macro_rules! attempt_cols {
    () => {
        "id, delivery_id, attempt_no, started_at, duration_ms, status_code, error, response_excerpt, failure"
    };
}

/// The first attempt a delivery (`d`) keeps in its row (`AttemptOutcome::kept_in_delivery`), as the columns
/// of `attempt_cols` from `attempts`; only where `d.first_attempt_id IS NOT NULL`.
macro_rules! first_attempt_cols {
    () => {
        "d.first_attempt_id AS id, d.id AS delivery_id, CAST(1 AS BIGINT) AS attempt_no, d.first_started_at AS started_at, \
         d.first_duration_ms AS duration_ms, d.first_status_code AS status_code, CAST(NULL AS TEXT) AS error, \
         d.first_response_excerpt AS response_excerpt, CAST(NULL AS TEXT) AS failure"
    };
}

/// What a `DeliveryJob` is read from: a delivery joined with its event and subscription (`d`, `e`, `s`).
macro_rules! job_cols {
    () => {
        "d.id AS delivery_id, d.event_id, d.account_id, d.app_id, d.subscription_id, d.attempts, \
         e.event_type, e.payload, e.created_at AS event_created_at, e.channel_id, e.user_id, e.traceparent, \
         s.url, s.format, s.secrets, s.headers, s.vendor_secrets, s.retry, s.timeout_ms, s.rate_limit, e.payload_expired_at, s.batch \
         FROM deliveries d JOIN events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id"
    };
}

/// Whether an attempt (`a`) succeeded: it has no failure code (`Reply::failure_code`).
macro_rules! attempt_succeeded {
    () => {
        "(a.failure IS NULL)"
    };
}

/// Implements `Store` itself (what is not one of its parts) for a type with `writer` and `reader` pools of
/// database `$db` and a `health`.
macro_rules! impl_store {
    ($store:ty, $db:ty, backend = $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.reader).await?;
                Ok(())
            }

            fn health(&self) -> &$crate::store::health::StorageHealth {
                &self.health
            }

            async fn probe_write(&self) -> Result<()> {
                // A row that changes, so that the commit has a page to write.
                let written = sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ('write_probe', $1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .bind($crate::domain::now_ms().to_string())
                .execute(&self.writer)
                .await
                .map(|_| ())
                .map_err(StoreError::from);
                self.health.note(&written);
                written
            }

            async fn meta_get_or_put(&self, key: &str, value: &str) -> Result<String> {
                sqlx::query(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(value)
                .execute(&self.writer)
                .await?;
                let (stored,): (String,) = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                    .bind(key)
                    .fetch_one(&self.writer)
                    .await?;
                Ok(stored)
            }
        }
    };
}

pub(crate) use {
    account_cols, app_cols, attempt_cols, attempt_succeeded, delivery_cols, event_cols,
    event_read_cols, event_type_cols, first_attempt_cols, impl_store, job_cols, key_cols,
    subscription_cols, subscription_read_cols,
};
