//! Storage: the `Store` trait, the union of one trait per concern (`traits.rs`: tenancy and subscriptions,
//! records, the delivery queue, activity, guards, group writes), with a SQLite and a PostgreSQL
//! implementation sharing their SQL (`sql/`, one file per trait), and one migration folder per backend.
//! The store holds rows of plain values; turning them into domain types is the service layer's job, so
//! both backends stay identical in behaviour. The one exception is the cache of an app's enabled
//! subscriptions, which keeps each with its settings compiled (`Enabled`), so a publish parses nothing.

mod cache;
mod group;
pub mod guards;
pub mod health;
mod postgres;
mod sql;
mod sqlite;
mod traits;

use std::sync::Arc;

use crate::{
    config::Config,
    domain::{
        catalog::{Catalog, SchemaVersion},
        compiled, Corrupt, DeliveryStatus, Settings,
    },
};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use traits::{
    Activity, Catalogs, GroupWrites, Guards, Portals, Queue, Records, Store, Tenancy,
};

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
    /// A stored value hookd wrote cannot be read back.
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
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

/// A customer-portal session (see `domain::portal`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalSessionRow {
    pub id: String,
    pub account_id: String,
    pub app_id: String,
    /// Hex SHA-256 of the token's secret.
    pub secret_hash: String,
    pub capability: String,
    /// JSON list of type patterns; NULL for every type.
    pub event_types: Option<String>,
    pub description: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// An account's portal embedding and theme.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PortalSettingsRow {
    pub account_id: String,
    /// JSON list of origins.
    pub allowed_origins: String,
    pub product_name: Option<String>,
    pub logo_url: Option<String>,
    pub primary_color: Option<String>,
    pub updated_at: i64,
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
    /// `off`, `warn` or `enforce`.
    pub schema_validation: String,
    /// Subscriptions may only list types of the catalog that are not archived.
    pub catalog_only: bool,
    /// How long payloads and attempt logs are kept; `None`: the server's retention.
    pub retention_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
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
    /// The payload filter as saved (JSON); `None`: none.
    pub payload_filter: Option<String>,
    /// When the current run of failed attempts began; `None` after a success. Set only when read back.
    #[sqlx(default)]
    pub failing_since: Option<i64>,
}

impl SubscriptionRow {
    /// Parses the row's delivery settings.
    pub fn compile(&self) -> std::result::Result<Settings, Corrupt> {
        Settings::compile(compiled::Stored {
            event_types: &self.event_types,
            channel_id: self.channel_id.as_deref(),
            users: &self.users,
            format: &self.format,
            retry: self.retry.as_deref(),
            batch: self.batch.as_deref(),
            ordering: &self.ordering,
            rate_limit: self.rate_limit,
            timeout_ms: self.timeout_ms,
            payload_filter: self.payload_filter.as_deref(),
        })
    }
}

/// An enabled subscription as a publish uses it: its row, and its settings compiled once when the row was
/// loaded into the cache (an error if a stored value is unreadable: a publish that meets it fails).
#[derive(Debug, Clone)]
pub struct Enabled {
    pub row: SubscriptionRow,
    pub settings: std::result::Result<Arc<Settings>, Corrupt>,
    /// What its jobs carry of it, made once for all of them (see `DeliveryJob`).
    job: std::sync::OnceLock<Arc<JobSubscription>>,
}

impl From<SubscriptionRow> for Enabled {
    fn from(row: SubscriptionRow) -> Self {
        let settings = row.compile().map(Arc::new);
        Self {
            row,
            settings,
            job: Default::default(),
        }
    }
}

impl Enabled {
    /// What the jobs of its deliveries carry of it, shared by them all.
    pub fn job(&self) -> &Arc<JobSubscription> {
        self.job
            .get_or_init(|| Arc::new(JobSubscription::from(&self.row)))
    }
}

#[cfg(test)]
impl SubscriptionRow {
    /// An enabled native subscription `id` of app `app` in account `acc`, taking every event: for unit tests.
    pub(crate) fn for_test(id: &str) -> Self {
        Self {
            id: id.into(),
            account_id: "acc".into(),
            app_id: "app".into(),
            url: "http://127.0.0.1:9/".into(),
            status: "enabled".into(),
            event_types: "[]".into(),
            channel_id: None,
            users: "[]".into(),
            format: "native".into(),
            secrets: Vec::new(),
            headers: "{}".into(),
            description: None,
            created_at: 0,
            updated_at: 0,
            source: None,
            vendor_secrets: None,
            retry: None,
            timeout_ms: None,
            public_key: None,
            rate_limit: None,
            ordering: "none".into(),
            batch: None,
            payload_filter: None,
            failing_since: None,
        }
    }
}

#[cfg(test)]
impl EventRow {
    /// Event `evt_1` of type `event_type`, app `app` in account `acc`, payload `{}`: for unit tests.
    pub(crate) fn for_test(event_type: &str) -> Self {
        Self {
            id: "evt_1".into(),
            account_id: "acc".into(),
            app_id: "app".into(),
            event_type: event_type.into(),
            payload: "{}".into(),
            channel_id: None,
            user_id: None,
            idempotency_key: None,
            request_hash: None,
            created_at: 0,
            traceparent: None,
            schema_version: None,
            schema_violations: None,
            erased_at: None,
        }
    }
}

/// An app's enabled subscriptions in id order, indexed by the event types they list, so that matching an
/// event looks only at those that can take its type, however many the app has.
#[derive(Debug, Default)]
pub struct AppSubscriptions {
    all: Vec<Arc<Enabled>>,
    /// Positions in `all` by each entry of their `event_types` (a type, or a wildcard `prefix.*`).
    by_pattern: std::collections::HashMap<String, Vec<usize>>,
    /// Positions of those that take every type, and of those whose settings do not compile (matching
    /// reports them).
    every_type: Vec<usize>,
}

impl From<Vec<Arc<Enabled>>> for AppSubscriptions {
    fn from(all: Vec<Arc<Enabled>>) -> Self {
        let mut by_pattern: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut every_type = Vec::new();
        for (i, subscription) in all.iter().enumerate() {
            match &subscription.settings {
                Ok(settings) if !settings.filter.event_types.is_empty() => {
                    for pattern in &settings.filter.event_types {
                        by_pattern
                            .entry(pattern.as_str().to_owned())
                            .or_default()
                            .push(i);
                    }
                }
                _ => every_type.push(i),
            }
        }
        Self {
            all,
            by_pattern,
            every_type,
        }
    }
}

impl std::ops::Deref for AppSubscriptions {
    type Target = [Arc<Enabled>];

    fn deref(&self) -> &[Arc<Enabled>] {
        &self.all
    }
}

impl AppSubscriptions {
    /// Builds the app's subscriptions from their rows read again, keeping from `before` (what was read
    /// last time) each one whose row is unchanged: its compiled settings are reused, not compiled and
    /// held a second time while the two sets are alive.
    pub fn read_again(before: Option<&Self>) -> impl FnMut(SubscriptionRow) -> Arc<Enabled> + '_ {
        let kept: std::collections::HashMap<&str, &Arc<Enabled>> = before
            .map(|before| before.all.iter().map(|e| (e.row.id.as_str(), e)).collect())
            .unwrap_or_default();
        move |row| match kept.get(row.id.as_str()) {
            Some(enabled) if enabled.row == row => Arc::clone(enabled),
            _ => Arc::new(Enabled::from(row)),
        }
    }

    /// Those that may take an event of `event_type` by its type, in id order: the ones listing it, a
    /// wildcard over it, or no type at all. Their other filters (channel, users, payload) are still to
    /// be checked.
    pub fn for_type(&self, event_type: &str) -> impl Iterator<Item = &Enabled> {
        let mut at = self.every_type.clone();
        if let Some(listing) = self.by_pattern.get(event_type) {
            at.extend(listing);
        }
        // `prefix.*` takes the types under `prefix.`: one lookup per dot of the type.
        let mut wildcard = String::with_capacity(event_type.len() + 1);
        for (dot, _) in event_type.match_indices('.') {
            wildcard.clear();
            wildcard.push_str(&event_type[..=dot]);
            wildcard.push('*');
            if let Some(under) = self.by_pattern.get(&wildcard) {
                at.extend(under);
            }
        }
        at.sort_unstable();
        at.dedup();
        at.into_iter().map(|i| &*self.all[i])
    }
}

/// An event search: every condition given holds.
#[derive(Debug, Clone, Default)]
pub struct EventSearch {
    pub event_type: Option<String>,
    /// Types that begin with this.
    pub type_prefix: Option<String>,
    pub channel_id: Option<String>,
    /// Created at or after (ms).
    pub after: Option<i64>,
    /// Created before (ms).
    pub before: Option<i64>,
    /// A payload field (its path's segments) whose value, as text, equals the second.
    pub payload: Vec<(Vec<String>, String)>,
}

impl EventSearch {
    /// An event's id and its creation time are taken a moment apart; the id bounds allow for that.
    pub const ID_MARGIN_MS: i64 = 60_000;

    /// The least event id made at `ms`.
    pub fn id_bound(ms: i64) -> String {
        crate::domain::least_id_at("evt", ms)
    }

    /// The type prefix as a range `[low, high)`: types are ASCII, so the bytes after the prefix's last one
    /// bound it, and the type index serves it.
    pub fn type_range(&self) -> Option<(String, String)> {
        let prefix = self.type_prefix.as_deref()?;
        let mut high = prefix.as_bytes().to_vec();
        let last = high.pop()?;
        high.push(last + 1);
        Some((prefix.to_owned(), String::from_utf8(high).ok()?))
    }
}

/// An event type of an app's catalog.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventTypeRow {
    pub account_id: String,
    pub app_id: String,
    pub name: String,
    pub description: Option<String>,
    pub group_name: Option<String>,
    pub deprecated: bool,
    pub archived_at: Option<i64>,
    /// JSON list of `catalog::SchemaVersion`, oldest first.
    pub versions: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EventTypeRow {
    pub fn versions(&self) -> std::result::Result<Vec<SchemaVersion>, Corrupt> {
        serde_json::from_str(&self.versions).map_err(|e| compiled::corrupt("schema versions", e))
    }
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
    /// The schema version the payload was checked against (`schema_validation` warn or enforce).
    pub schema_version: Option<i64>,
    /// JSON list of the payload's violations of that schema (warn); `None` when it fit or was not checked.
    pub schema_violations: Option<String>,
    /// When the payload was erased on request; set only when read back.
    #[sqlx(default)]
    pub erased_at: Option<i64>,
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
    /// The failure kind of the last attempt (`FailureKind`'s code); `None` if it succeeded or none was made.
    pub last_failure: Option<String>,
    /// The event's type (read from the event).
    pub event_type: String,
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
    /// Why it failed (`FailureKind`'s code); `None` when it succeeded.
    pub failure: Option<String>,
}

/// How many subscriptions of one app have one status, and how many of those are failing.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HealthCountRow {
    pub account_id: String,
    pub app_id: String,
    pub status: String,
    pub failing: bool,
    pub count: i64,
}

/// A subscription's retrying and dead deliveries whose last attempts failed alike.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailureGroupRow {
    pub failure: Option<String>,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub retrying: i64,
    pub dead: i64,
    pub latest_at: i64,
    /// The group's latest delivery.
    pub delivery_id: String,
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

/// Everything a worker needs to make one attempt of one delivery. The event and the subscription's settings
/// are shared by the jobs of the same event and subscription, so that an event waiting for a hundred
/// subscriptions' attempts is one copy of its payload in memory, not a hundred, and a subscription's
/// backlog one copy of its settings.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    pub delivery_id: String,
    /// Attempts made before this one.
    pub attempts: i64,
    pub event: Arc<JobEvent>,
    pub subscription: Arc<JobSubscription>,
}

/// The event of a `DeliveryJob`; read under the names `job_cols!` gives its columns.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct JobEvent {
    #[sqlx(rename = "event_id")]
    pub id: String,
    pub account_id: String,
    pub app_id: String,
    pub event_type: String,
    pub payload: String,
    #[sqlx(rename = "event_created_at")]
    pub created_at: i64,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    /// The publish span's W3C `traceparent` (see `EventRow::traceparent`): the parent of the attempt's span.
    pub traceparent: Option<String>,
    /// Set when retention dropped the event's payload.
    pub payload_expired_at: Option<i64>,
}

/// What an attempt needs of its subscription: where and how to send, as stored (sealed).
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct JobSubscription {
    #[sqlx(rename = "subscription_id")]
    pub id: String,
    pub url: String,
    pub format: String,
    pub secrets: Vec<u8>,
    pub headers: String,
    pub vendor_secrets: Option<Vec<u8>>,
    pub retry: Option<String>,
    pub timeout_ms: Option<i64>,
    pub rate_limit: Option<i32>,
    pub batch: Option<String>,
}

impl From<&SubscriptionRow> for JobSubscription {
    fn from(row: &SubscriptionRow) -> Self {
        Self {
            id: row.id.clone(),
            url: row.url.clone(),
            format: row.format.clone(),
            secrets: row.secrets.clone(),
            headers: row.headers.clone(),
            vendor_secrets: row.vendor_secrets.clone(),
            retry: row.retry.clone(),
            timeout_ms: row.timeout_ms,
            rate_limit: row.rate_limit,
            batch: row.batch.clone(),
        }
    }
}

/// A `DeliveryJob` as read: a delivery joined with its event and subscription (`job_cols!`).
#[derive(Debug, sqlx::FromRow)]
pub struct JobRow {
    delivery_id: String,
    attempts: i64,
    #[sqlx(flatten)]
    event: JobEvent,
    #[sqlx(flatten)]
    subscription: JobSubscription,
}

/// The jobs of `rows`, in their order; rows of one event, or of one subscription, share its copy.
pub fn jobs_of(rows: Vec<JobRow>) -> Vec<DeliveryJob> {
    let mut events: std::collections::HashMap<String, Arc<JobEvent>> = Default::default();
    let mut subscriptions: std::collections::HashMap<String, Arc<JobSubscription>> =
        Default::default();
    rows.into_iter()
        .map(|row| DeliveryJob {
            delivery_id: row.delivery_id,
            attempts: row.attempts,
            event: events
                .entry(row.event.id.clone())
                .or_insert_with(|| Arc::new(row.event))
                .clone(),
            subscription: subscriptions
                .entry(row.subscription.id.clone())
                .or_insert_with(|| Arc::new(row.subscription))
                .clone(),
        })
        .collect()
}

impl JobEvent {
    /// The event of the jobs of a delivery just published.
    pub fn of(row: &EventRow) -> Self {
        Self {
            id: row.id.clone(),
            account_id: row.account_id.clone(),
            app_id: row.app_id.clone(),
            event_type: row.event_type.clone(),
            payload: row.payload.clone(),
            created_at: row.created_at,
            channel_id: row.channel_id.clone(),
            user_id: row.user_id.clone(),
            traceparent: row.traceparent.clone(),
            payload_expired_at: None,
        }
    }
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

impl AttemptOutcome {
    /// Whether the attempt is kept in its delivery's row (the `first_*` columns) rather than as a row of
    /// `attempts`: a first attempt that succeeded, finished with one update of the delivery.
    pub fn kept_in_delivery(&self) -> bool {
        self.attempt.attempt_no == 1 && self.status == DeliveryStatus::Succeeded
    }

    /// The attempt, if it is kept in its delivery's row: what the `first_*` columns get, else nothing.
    pub fn kept_attempt(&self) -> Option<&AttemptRow> {
        self.kept_in_delivery().then_some(&self.attempt)
    }
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
    subscriptions: cache::Cached<String, AppSubscriptions>,
    catalogs: cache::Cached<String, Catalog>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn job_row(delivery: &str, event: &str, subscription: &str) -> JobRow {
        JobRow {
            delivery_id: delivery.into(),
            attempts: 1,
            event: JobEvent {
                id: event.into(),
                account_id: "acc".into(),
                app_id: "app".into(),
                event_type: "a.b".into(),
                payload: format!("{{\"of\":\"{event}\"}}"),
                created_at: 7,
                channel_id: None,
                user_id: None,
                traceparent: None,
                payload_expired_at: None,
            },
            subscription: JobSubscription {
                id: subscription.into(),
                url: format!("http://127.0.0.1:9/{subscription}"),
                format: "native".into(),
                secrets: subscription.as_bytes().to_vec(),
                headers: "{}".into(),
                vendor_secrets: None,
                retry: None,
                timeout_ms: None,
                rate_limit: None,
                batch: None,
            },
        }
    }

    #[test]
    fn jobs_read_together_share_their_event_and_subscription() {
        let jobs = jobs_of(vec![
            job_row("dlv_1", "evt_1", "sub_a"),
            job_row("dlv_2", "evt_1", "sub_b"),
            job_row("dlv_3", "evt_2", "sub_a"),
        ]);
        let ids: Vec<&str> = jobs.iter().map(|j| j.delivery_id.as_str()).collect();
        assert_eq!(ids, ["dlv_1", "dlv_2", "dlv_3"]);
        assert!(Arc::ptr_eq(&jobs[0].event, &jobs[1].event));
        assert!(!Arc::ptr_eq(&jobs[0].event, &jobs[2].event));
        assert_eq!(jobs[2].event.payload, r#"{"of":"evt_2"}"#);
        assert!(Arc::ptr_eq(&jobs[0].subscription, &jobs[2].subscription));
        assert!(!Arc::ptr_eq(&jobs[0].subscription, &jobs[1].subscription));
        assert_eq!(jobs[1].subscription.url, "http://127.0.0.1:9/sub_b");
        assert_eq!(jobs[1].subscription.secrets, b"sub_b");
    }

    #[test]
    fn a_cached_subscription_gives_its_jobs_one_copy_made_from_its_row() {
        let enabled = Enabled::from(SubscriptionRow::for_test("sub_a"));
        assert!(Arc::ptr_eq(enabled.job(), enabled.job()));
        assert_eq!(**enabled.job(), JobSubscription::from(&enabled.row));
    }

    #[test]
    fn subscriptions_read_again_keep_the_unchanged_and_compile_the_changed() {
        let rows = |types_of_b: &str| {
            let mut b = SubscriptionRow::for_test("sub_b");
            b.event_types = types_of_b.into();
            vec![SubscriptionRow::for_test("sub_a"), b]
        };
        let first: Vec<_> = rows(r#"["order.created"]"#)
            .into_iter()
            .map(AppSubscriptions::read_again(None))
            .collect();
        let before = AppSubscriptions::from(first);
        let mut with_c = rows(r#"["order.paid"]"#);
        with_c.push(SubscriptionRow::for_test("sub_c"));
        let again = AppSubscriptions::from(
            with_c
                .into_iter()
                .map(AppSubscriptions::read_again(Some(&before)))
                .collect::<Vec<_>>(),
        );
        assert!(Arc::ptr_eq(&again[0], &before[0]), "sub_a is unchanged");
        assert!(!Arc::ptr_eq(&again[1], &before[1]), "sub_b's types changed");
        let compiled = again[1].settings.as_ref().expect("sub_b compiles");
        let types: Vec<&str> = compiled
            .filter
            .event_types
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(
            types,
            ["order.paid"],
            "sub_b's settings are compiled from its new row"
        );
        assert_eq!(
            again.for_type("order.paid").count(),
            3,
            "a and c take every type"
        );
        assert_eq!(again.for_type("order.created").count(), 2);
        assert_eq!(again[2].row.id, "sub_c");
        assert_eq!(again.len(), 3);
    }
}
