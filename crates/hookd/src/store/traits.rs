//! The store's traits, one per concern; `Store` is their union.

use std::sync::Arc;

use async_trait::async_trait;

use super::*;

/// The store: its parts by concern, and what concerns it as a whole (its backend, health and metadata).
/// SQLite and PostgreSQL implement every part with the same SQL (`sql/`).
#[async_trait]
pub trait Store:
    Tenancy
    + Catalogs
    + Portals
    + Records
    + Queue
    + Activity
    + Guards
    + GroupWrites
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// Whether writes have been failing (see `health.rs`).
    fn health(&self) -> &health::StorageHealth;
    /// Commits one small write and notes the outcome in [`Store::health`]: readiness asks this while
    /// writes have been failing and nothing else has tried one lately.
    async fn probe_write(&self) -> Result<()>;
    /// Stores `value` under `key` unless present; returns the stored value either way.
    async fn meta_get_or_put(&self, key: &str, value: &str) -> Result<String>;
}

/// Accounts, their keys and access tokens, apps and subscriptions.
#[async_trait]
pub trait Tenancy: Send + Sync {
    async fn insert_account(&self, account: &AccountRow, apps: &[AppRow]) -> Result<()>;
    async fn get_account(&self, id: &str) -> Result<Option<AccountRow>>;
    async fn list_accounts(&self, page: &Page) -> Result<Vec<AccountRow>>;
    async fn insert_key(&self, key: &KeyRow) -> Result<()>;
    async fn get_key(&self, id: &str) -> Result<Option<KeyRow>>;
    async fn list_keys(&self, account_id: &str, page: &Page) -> Result<Vec<KeyRow>>;
    async fn delete_key(&self, account_id: &str, id: &str) -> Result<bool>;
    /// Stores an access token's hash (and drops expired ones).
    async fn insert_token(
        &self,
        token_hash: &str,
        key_id: &str,
        account_id: Option<&str>,
        expires_at: i64,
    ) -> Result<()>;
    /// The key id and account of an unexpired token.
    async fn get_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(String, Option<String>)>>;
    async fn insert_app(&self, app: &AppRow) -> Result<()>;
    async fn get_app(&self, account_id: &str, id: &str) -> Result<Option<AppRow>>;
    async fn list_apps(&self, account_id: &str, page: &Page) -> Result<Vec<AppRow>>;
    async fn update_app(&self, app: &AppRow) -> Result<bool>;
    /// Deletes the app with its subscriptions, events, deliveries and attempts.
    async fn delete_app(&self, account_id: &str, id: &str) -> Result<bool>;
    /// Inserts unless the app already has `max` subscriptions (`QuotaExceeded`).
    async fn insert_subscription(&self, sub: &SubscriptionRow, max: i64) -> Result<()>;
    async fn get_subscription(
        &self,
        account_id: &str,
        app_id: &str,
        id: &str,
    ) -> Result<Option<SubscriptionRow>>;
    async fn list_subscriptions(
        &self,
        account_id: &str,
        app_id: &str,
        page: &Page,
    ) -> Result<Vec<SubscriptionRow>>;
    /// The app's enabled subscriptions by id, each with its settings compiled (read through a cache).
    async fn enabled_subscriptions(
        &self,
        account_id: &str,
        app_id: &str,
    ) -> Result<Arc<AppSubscriptions>>;
    /// The app's subscriptions whose `source` starts with `prefix`, oldest first.
    async fn subscriptions_by_source(
        &self,
        account_id: &str,
        app_id: &str,
        prefix: &str,
    ) -> Result<Vec<SubscriptionRow>>;
    async fn update_subscription(&self, sub: &SubscriptionRow) -> Result<bool>;
    /// Subscriptions of every account whose `url` or `headers` may hold a secret (credentials in the URL,
    /// any custom header), by id after `after`; at most `limit`.
    async fn subscriptions_with_secrets(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<Vec<SubscriptionRow>>;
    /// Sets a subscription's `url` and `headers` if they are still `was`; false if they changed meanwhile.
    async fn reseal_subscription(
        &self,
        id: &str,
        was: (&str, &str),
        url: &str,
        headers: &str,
    ) -> Result<bool>;
    /// Deletes the subscription and cancels its unfinished deliveries.
    async fn delete_subscription(
        &self,
        account_id: &str,
        app_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool>;
}

/// Customer-portal sessions and each account's portal settings. Sessions are read from the database on
/// every call (not cached), so that a revocation holds at once on every node.
#[async_trait]
pub trait Portals: Send + Sync {
    /// Stores a session (and drops sessions that ended more than a day before `row.created_at`).
    async fn insert_portal_session(&self, row: &PortalSessionRow) -> Result<()>;
    async fn get_portal_session(&self, id: &str) -> Result<Option<PortalSessionRow>>;
    /// The app's sessions that are neither expired at `now` nor revoked, newest first.
    async fn list_portal_sessions(
        &self,
        account_id: &str,
        app_id: &str,
        now: i64,
    ) -> Result<Vec<PortalSessionRow>>;
    /// Marks a live session revoked at `now`; false when there is no such live session.
    async fn revoke_portal_session(
        &self,
        account_id: &str,
        app_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool>;
    async fn get_portal_settings(&self, account_id: &str) -> Result<Option<PortalSettingsRow>>;
    async fn put_portal_settings(&self, row: &PortalSettingsRow) -> Result<()>;
}

/// Apps' event-type catalogs.
#[async_trait]
pub trait Catalogs: Send + Sync {
    /// `Conflict` if the app has a type of that name.
    async fn insert_event_type(&self, row: &EventTypeRow) -> Result<()>;
    async fn get_event_type(
        &self,
        account_id: &str,
        app_id: &str,
        name: &str,
    ) -> Result<Option<EventTypeRow>>;
    /// By name; archived types only with `archived`.
    async fn list_event_types(
        &self,
        account_id: &str,
        app_id: &str,
        archived: bool,
        page: &Page,
    ) -> Result<Vec<EventTypeRow>>;
    /// Writes the row if its `updated_at` is still `was` (no concurrent change); false otherwise.
    async fn update_event_type(&self, row: &EventTypeRow, was: i64) -> Result<bool>;
    /// The app's catalog compiled for publishing (read through a cache).
    async fn catalog(&self, account_id: &str, app_id: &str) -> Result<Arc<Catalog>>;
}

/// Events, deliveries and attempts read back.
#[async_trait]
pub trait Records: Send + Sync {
    async fn get_event(&self, account_id: &str, app_id: &str, id: &str)
        -> Result<Option<EventRow>>;
    async fn get_event_by_idempotency_key(
        &self,
        account_id: &str,
        app_id: &str,
        key: &str,
    ) -> Result<Option<EventRow>>;
    /// The app's events that meet every condition of `search`, newest first.
    async fn search_events(
        &self,
        account_id: &str,
        app_id: &str,
        search: &EventSearch,
        page: &Page,
    ) -> Result<Vec<EventRow>>;
    async fn list_event_deliveries(
        &self,
        account_id: &str,
        event_id: &str,
        page: &Page,
    ) -> Result<Vec<DeliveryRow>>;
    /// Newest first, optionally of one status.
    async fn list_subscription_deliveries(
        &self,
        account_id: &str,
        subscription_id: &str,
        status: Option<&str>,
        page: &Page,
    ) -> Result<Vec<DeliveryRow>>;
    async fn get_delivery(&self, account_id: &str, id: &str) -> Result<Option<DeliveryRow>>;
    async fn list_attempts(&self, delivery_id: &str) -> Result<Vec<AttemptRow>>;
    /// What one attempt of a delivery needs (its event, subscription and secrets); `None` when the
    /// delivery, its event or its subscription no longer exists.
    async fn delivery_job(&self, account_id: &str, id: &str) -> Result<Option<DeliveryJob>>;
}

/// The delivery queue: leases, deferrals, requeues and retention.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Makes a delivery that is not in flight due now; `None` if it is in flight or unknown.
    async fn requeue_delivery(
        &self,
        account_id: &str,
        id: &str,
        now: i64,
    ) -> Result<Option<DeliveryRow>>;
    /// Leases up to `limit` due deliveries of enabled subscriptions to `owner` until `lease_until`.
    /// Re-queues, due at `now`, the dead and retrying deliveries of a subscription created at or after
    /// `since`; returns how many.
    async fn requeue_failed(
        &self,
        account_id: &str,
        subscription_id: &str,
        since: i64,
        now: i64,
    ) -> Result<u64>;
    /// How many deliveries `requeue_failed` would re-queue now.
    async fn count_failed(
        &self,
        account_id: &str,
        subscription_id: &str,
        since: i64,
    ) -> Result<u64>;
    /// Leases up to `limit` due deliveries, oldest due first: for each subscription at most its `room`
    /// (`per_subscription` for one not listed), skipping any fifo delivery with an unfinished one before it.
    async fn claim_due(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        room: &std::collections::HashMap<String, i64>,
        per_subscription: i64,
    ) -> Result<Vec<DeliveryJob>>;
    /// Leases up to `limit` more deliveries of a batching subscription, to go with `lead` (first
    /// attempts, and retries that are due), oldest first.
    async fn claim_batch(
        &self,
        subscription_id: &str,
        lead: &[String],
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryJob>>;
    /// How many deliveries of a subscription wait for their first attempt.
    async fn pending_count(&self, subscription_id: &str) -> Result<i64>;
    /// How many deliveries are due at `now` and wait in the store for an attempt (not leased), counting
    /// at most `cap` of them.
    async fn waiting_count(&self, now: i64, cap: i64) -> Result<i64>;
    /// Returns leased deliveries to the queue, due at `next_attempt_at`, without counting an attempt.
    async fn defer(&self, delivery_ids: &[String], owner: &str, next_attempt_at: i64)
        -> Result<()>;
    /// Returns deliveries whose lease ran out to the due queue.
    async fn release_expired_leases(&self, now: i64) -> Result<u64>;
    /// Brings the query planner's statistics of the queue's tables up to date where they have fallen
    /// behind the tables (more than 50 rows and a tenth of the table changed since they were gathered);
    /// returns the tables analysed.
    async fn refresh_statistics(&self) -> Result<Vec<String>>;
    /// Retention, one batch of at most `batch` rows each: deletes the attempt logs of finished deliveries
    /// last changed longer ago than their app keeps them (its `retention_ms`, else `keep_ms`), and drops
    /// the payloads of events that old that have no unfinished delivery. Returns (attempts deleted,
    /// payloads dropped).
    async fn expire(&self, keep_ms: i64, now: i64, batch: i64) -> Result<(u64, u64)>;
    /// Erases an event's payload (and its attempts' response excerpts and schema violations) on request;
    /// the event and its deliveries stay, marked erased. Returns the event as it is now; `None` if unknown.
    async fn erase_event(
        &self,
        account_id: &str,
        app_id: &str,
        id: &str,
        now: i64,
    ) -> Result<Option<EventRow>>;
    /// Returns one dispatcher's leased deliveries to the queue at once (its attempts were abandoned).
    async fn release_leases_of(&self, owner: &str) -> Result<u64>;
    /// Returns every leased delivery to the due queue (only safe when no other node can hold leases).
    async fn release_all_leases(&self) -> Result<u64>;
    /// Deliveries not yet finished (pending, delivering, retrying).
    async fn queue_depth(&self) -> Result<i64>;
}

/// Counts and logs of what was delivered, for the console and the metrics.
#[async_trait]
pub trait Activity: Send + Sync {
    /// Unfinished deliveries (pending, delivering, retrying) per status, of one account or of all.
    async fn queue_by_status(&self, account_id: Option<&str>) -> Result<Vec<(String, i64)>>;
    /// The account's attempts (of one app, if given), by id: those after `after` oldest first, or without
    /// it the newest; at most `limit`.
    async fn list_account_attempts(
        &self,
        account_id: &str,
        app_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AttemptEntryRow>>;
    /// Attempts started within `buckets`, per bucket (only buckets with attempts), of the deliveries of
    /// `scope`; an attempt succeeded when the dispatcher counted it so (`Reply::is_success`).
    async fn attempt_counts(
        &self,
        scope: CountScope<'_>,
        buckets: Buckets,
    ) -> Result<Vec<AttemptCount>>;
    /// Events created within `buckets`, per bucket (only buckets with events): (bucket, count); of one
    /// account, or of all.
    async fn event_counts(
        &self,
        account_id: Option<&str>,
        buckets: Buckets,
    ) -> Result<Vec<(i64, i64)>>;
    /// Subscriptions per (account, app, status, failing or not), of one account or of all.
    async fn subscription_health(&self, account_id: Option<&str>) -> Result<Vec<HealthCountRow>>;
    /// A subscription's retrying and dead deliveries grouped by how their last attempt failed, most
    /// deliveries first; at most `limit` groups.
    async fn failure_groups(
        &self,
        account_id: &str,
        subscription_id: &str,
        limit: i64,
    ) -> Result<Vec<FailureGroupRow>>;
    /// How many of each event's deliveries are in each status: (event id, status, count).
    async fn delivery_counts(
        &self,
        account_id: &str,
        event_ids: &[&str],
    ) -> Result<Vec<(String, String, i64)>>;
}

/// Replay, rate and pacing guards, holding across all nodes on the database.
#[async_trait]
pub trait Guards: Send + Sync {
    /// Records the nonce `key` as used until `expires_at` (Unix ms); false, a replay, if it is recorded
    /// already and not expired at `now`.
    async fn first_use(&self, key: &str, now: i64, expires_at: i64) -> Result<bool>;
    /// Counts one call under `key`, unless `per_second` calls were counted under it in the last second:
    /// then false, and not counted. Holds across all nodes on the database.
    async fn allow_call(&self, key: &str, per_second: u32) -> Result<bool>;
    /// Reserves the next slot of `key` paced to `per_second` (see [`guards::Slot`]). Holds across all
    /// nodes on the database.
    async fn pace(&self, key: &str, per_second: u32) -> Result<guards::Slot>;
}

/// The writes that are group-committed: publishes and attempt records.
#[async_trait]
pub trait GroupWrites: Send + Sync {
    async fn insert_event(
        &self,
        event: &EventRow,
        deliveries: &[NewDelivery],
    ) -> Result<EventInsert>;
    async fn record_attempt(&self, outcome: &AttemptOutcome) -> Result<HealthChange>;
}
