//! Storage: one `Store` trait with a SQLite and a PostgreSQL implementation sharing their SQL (`sql.rs`),
//! and one migration folder per backend. The store holds rows of plain values; turning them into domain
//! types is the service layer's job, so both backends stay identical in behaviour.

mod cache;
mod group;
pub mod guards;
pub mod health;
mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;

use crate::{config::Config, domain::DeliveryStatus};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the payload names it (constraint or index name).
    #[error("conflict on {0}")]
    Conflict(String),
    /// Inserting would exceed a quota (e.g. an app's maximum number of subscriptions).
    #[error("quota exceeded")]
    QuotaExceeded,
    #[error("database unavailable or failed: {0}")]
    Database(#[from] sqlx::Error),
    /// A fault of the storage met by a group of writes; each write of the group gets this.
    #[error("storage unavailable ({}): {message}", fault.as_str())]
    Unavailable {
        fault: health::Fault,
        message: String,
    },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// A fault of the storage (full, read-only, unreachable: see [`health::Fault`]) rather than a refusal
    /// of one statement: trying the writes of a group one by one would only meet it once per write.
    pub(crate) fn is_unavailable(&self) -> bool {
        health::Fault::of(self).is_some()
    }

    /// Maps unique violations to `Conflict`, everything else to `Database`.
    pub(crate) fn from_write(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let name = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                return StoreError::Conflict(name);
            }
        }
        StoreError::Database(err)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// JSON list of product names.
    pub products: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub account_id: String,
    pub sealed_secret: Vec<u8>,
    /// JSON list of action patterns.
    pub policy: String,
    pub user_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppRow {
    pub account_id: String,
    pub id: String,
    pub kind: String,
    pub name: Option<String>,
    pub max_subscriptions: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: String,
    pub account_id: String,
    pub app_id: String,
    pub url: String,
    pub status: String,
    /// JSON list.
    pub event_types: String,
    pub channel_id: Option<String>,
    /// JSON list.
    pub users: String,
    pub format: String,
    /// Sealed JSON list of signing secrets.
    pub secrets: Vec<u8>,
    /// JSON object.
    pub headers: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The dialect config this subscription is (`ess`, `live-rtc:<id>` …); `None` for native ones.
    pub source: Option<String>,
    /// Sealed JSON object of vendor secrets (`NotifyAuthKey`, `CallbackToken` …).
    pub vendor_secrets: Option<Vec<u8>>,
    /// JSON retry policy; `None`: the format's profile.
    pub retry: Option<String>,
    /// Request timeout; `None`: the server's (or the profile's).
    pub timeout_ms: Option<i64>,
    /// `whpk_…` of the ed25519 signing key, if any.
    pub public_key: Option<String>,
    /// Deliveries per second at most.
    pub rate_limit: Option<i32>,
    /// `none` or `fifo`.
    pub ordering: String,
    /// JSON batch policy; `None`: one event per request.
    pub batch: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: String,
    pub account_id: String,
    pub app_id: String,
    pub event_type: String,
    /// The payload's JSON text, sent byte for byte.
    pub payload: String,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// Hash of the publish request, to tell a true retry from a reused key.
    pub request_hash: Option<String>,
    pub created_at: i64,
    /// W3C `traceparent` of the span that published the event; `None` unless traces are exported.
    pub traceparent: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub event_id: String,
    pub subscription_id: String,
    pub account_id: String,
    pub app_id: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub attempt_no: i64,
    pub started_at: i64,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub response_excerpt: Option<String>,
}

/// An attempt with what identifies its delivery, for the account's attempt feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptEntryRow {
    #[sqlx(flatten)]
    pub attempt: AttemptRow,
    pub event_id: String,
    pub event_type: String,
    pub subscription_id: String,
    pub app_id: String,
    /// The delivery's current status.
    pub delivery_status: String,
}

/// Which deliveries a count covers.
#[derive(Debug, Clone, Copy)]
pub enum CountScope<'a> {
    /// Every account's.
    Server,
    Account(&'a str),
    Subscription {
        account_id: &'a str,
        subscription_id: &'a str,
    },
}

/// Fixed-width time buckets `[since, until)`: bucket `i` starts at `since + i * width_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Buckets {
    pub since: i64,
    pub until: i64,
    pub width_ms: i64,
}

/// The attempts started in one bucket, split by the dispatcher's success rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptCount {
    pub bucket: i64,
    pub succeeded: i64,
    pub failed: i64,
}

/// Everything a worker needs to make one attempt of one delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryJob {
    pub delivery_id: String,
    pub event_id: String,
    pub account_id: String,
    pub app_id: String,
    pub subscription_id: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event_type: String,
    pub payload: String,
    pub event_created_at: i64,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    /// The publish span's W3C `traceparent` (see `EventRow::traceparent`): the parent of the attempt's span.
    pub traceparent: Option<String>,
    pub url: String,
    pub format: String,
    pub secrets: Vec<u8>,
    pub headers: String,
    pub vendor_secrets: Option<Vec<u8>>,
    pub retry: Option<String>,
    pub timeout_ms: Option<i64>,
    pub rate_limit: Option<i32>,
    /// Set when retention dropped the event's payload.
    pub payload_expired_at: Option<i64>,
    pub batch: Option<String>,
}

/// What a finished attempt changes.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub attempt: AttemptRow,
    /// New delivery status: succeeded, retrying or dead.
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<i64>,
    pub lease_owner: String,
    /// Disable this subscription in the same transaction (its receiver answered 410 Gone).
    pub disable_subscription: Option<String>,
    pub subscription_id: String,
    /// Whether the attempt counts towards the subscription's health (and so its automatic lock).
    pub track_health: bool,
    pub lock: LockRule,
}

/// When a subscription is locked: every attempt failing for `failing_for_ms` and at least `min_dead`
/// deliveries dead meanwhile.
#[derive(Debug, Clone, Copy)]
pub struct LockRule {
    pub failing_for_ms: i64,
    pub min_dead: i64,
}

/// What an attempt changed about its subscription.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HealthChange {
    /// The subscription was locked by this attempt.
    pub locked: bool,
    /// This success ended a run of failures that had made deliveries dead.
    pub recovered: bool,
}

/// A keyset page: rows after (or before, for newest-first lists) the cursor id.
/// The caches of the rows every publish reads (see `cache.rs`).
#[derive(Default)]
struct ReadCaches {
    keys: cache::Cached<String, KeyRow>,
    apps: cache::Cached<String, AppRow>,
    subscriptions: cache::Cached<String, Vec<SubscriptionRow>>,
}

/// The grouped writes of a store: publishes (an event with its deliveries) and attempt records.
type Writes =
    group::GroupCommits<(EventRow, Vec<NewDelivery>), EventInsert, AttemptOutcome, HealthChange>;

/// The key of an app's entries in the read caches.
fn cache_key(account_id: &str, app_id: &str) -> String {
    format!("{account_id}\0{app_id}")
}

#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: i64,
    pub after: Option<String>,
}

/// A fresh event and the deliveries it makes, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: String,
    pub subscription_id: String,
    /// When its first attempt is due (a batching subscription waits for more events).
    pub due_at: i64,
    /// Set when the publishing process attempts the delivery itself right after the commit: the row is
    /// then stored `delivering` under this lease instead of `pending`.
    pub lease: Option<Lease>,
}

#[derive(Debug, Clone)]
pub struct Lease {
    pub owner: String,
    pub until: i64,
}

#[derive(Debug)]
pub enum EventInsert {
    Inserted,
    /// Another event already holds the idempotency key.
    DuplicateKey,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// Whether writes have been failing (see `health.rs`).
    fn health(&self) -> &health::StorageHealth;
    /// Commits one small write and notes the outcome in [`Store::health`]: readiness asks this while
    /// writes have been failing and nothing else has tried one lately.
    async fn probe_write(&self) -> Result<()>;
    /// Stores `value` under `key` unless present; returns the stored value either way.
    async fn meta_get_or_put(&self, key: &str, value: &str) -> Result<String>;

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
    async fn enabled_subscriptions(
        &self,
        account_id: &str,
        app_id: &str,
    ) -> Result<Arc<Vec<SubscriptionRow>>>;
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

    async fn insert_event(
        &self,
        event: &EventRow,
        deliveries: &[NewDelivery],
    ) -> Result<EventInsert>;
    async fn get_event(&self, account_id: &str, app_id: &str, id: &str)
        -> Result<Option<EventRow>>;
    async fn get_event_by_idempotency_key(
        &self,
        account_id: &str,
        app_id: &str,
        key: &str,
    ) -> Result<Option<EventRow>>;
    /// Newest first.
    async fn list_events(
        &self,
        account_id: &str,
        app_id: &str,
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
    /// The account's attempts (of one app, if given), by id: those after `after` oldest first, or without
    /// it the newest; at most `limit`.
    async fn list_account_attempts(
        &self,
        account_id: &str,
        app_id: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AttemptEntryRow>>;
    /// What one attempt of a delivery needs (its event, subscription and secrets); `None` when the
    /// delivery, its event or its subscription no longer exists.
    async fn delivery_job(&self, account_id: &str, id: &str) -> Result<Option<DeliveryJob>>;
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
    /// Unfinished deliveries (pending, delivering, retrying) per status, of one account or of all.
    async fn queue_by_status(&self, account_id: Option<&str>) -> Result<Vec<(String, i64)>>;
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
    /// Returns deliveries whose lease ran out to the due queue.
    async fn release_expired_leases(&self, now: i64) -> Result<u64>;

    /// Returns leased deliveries to the queue, due at `next_attempt_at`, without counting an attempt.
    async fn defer(&self, delivery_ids: &[String], owner: &str, next_attempt_at: i64)
        -> Result<()>;
    /// Returns every leased delivery to the due queue (only safe when no other node can hold leases).
    async fn release_all_leases(&self) -> Result<u64>;
    /// Returns one dispatcher's leased deliveries to the queue at once (its attempts were abandoned).
    async fn release_leases_of(&self, owner: &str) -> Result<u64>;

    /// Retention, one batch of at most `batch` rows each: deletes the attempt logs of finished deliveries
    /// last changed before `cutoff`, and drops the payloads of events created before it that have no
    /// unfinished delivery. Returns (attempts deleted, payloads dropped).
    async fn expire(&self, cutoff: i64, now: i64, batch: i64) -> Result<(u64, u64)>;
    async fn record_attempt(&self, outcome: &AttemptOutcome) -> Result<HealthChange>;
    /// Deliveries not yet finished (pending, delivering, retrying).
    async fn queue_depth(&self) -> Result<i64>;

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

/// Opens the store named by the configuration, creating and migrating it as needed.
pub async fn connect(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStore::open(&url, config.sqlite_synchronous).await?,
        ))
    } else {
        Ok(Arc::new(
            PgStore::open(
                &url,
                config.database_max_connections,
                config.database_statement_timeout_ms,
                std::time::Duration::from_millis(config.database_connect_timeout_ms),
            )
            .await?,
        ))
    }
}
