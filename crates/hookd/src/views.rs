//! The entities as every API surface shows them (SPEC §2), built from store rows. Secrets never appear
//! here except in the one-time `CreatedKey` and `SubscriptionSecret` views.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::{
    domain::{
        batch::BatchPolicy,
        catalog::{SchemaVersion, Violation},
        retry::{RetryPolicy, Schedule},
        AppKind, DeliveryStatus, Filter, Format, Ordering, Product, SchemaValidation,
        SubscriptionStatus,
    },
    store::{
        AccountRow, AppRow, AttemptEntryRow, AttemptRow, DeliveryRow, EventRow, EventTypeRow,
        FailureGroupRow, KeyRow, SubscriptionRow,
    },
};

/// A day in ms, the unit of an app's retention.
pub const DAY_MS: i64 = 86_400_000;

pub use crate::domain::{corrupt, Corrupt};

pub fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// How views write their times: as chrono's own `Serialize` does (RFC 3339 in UTC with `Z`, fractional
/// seconds only when there are some, in groups of three digits), but put together in a buffer and handed
/// to the serializer as one string. chrono's goes through `fmt` a piece at a time, and `serde_json`
/// escapes each piece on its own: under callgrind that was about 3 500 instructions a time, and a
/// publish's answer holds three per delivery.
pub(crate) mod rfc3339 {
    use chrono::{DateTime, Datelike, Timelike, Utc};
    use serde::{Serialize, Serializer};

    /// The longest text `write` makes: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
    const LONGEST: usize = 30;

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut text = [0u8; LONGEST];
        match write(time, &mut text) {
            // Only ASCII digits and separators were written.
            Some(len) => match std::str::from_utf8(&text[..len]) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => time.serialize(serializer),
            },
            None => time.serialize(serializer),
        }
    }

    pub fn option<S: Serializer>(
        time: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        struct Present<'a>(&'a DateTime<Utc>);
        impl Serialize for Present<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serialize(self.0, serializer)
            }
        }
        match time {
            Some(time) => serializer.serialize_some(&Present(time)),
            None => serializer.serialize_none(),
        }
    }

    /// Writes `time` into `text` and returns its length; None for what chrono writes another way (years
    /// outside 0–9999, which get a sign, and leap seconds).
    fn write(time: &DateTime<Utc>, text: &mut [u8; LONGEST]) -> Option<usize> {
        let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
        let nanos = time.nanosecond();
        if nanos >= 1_000_000_000 {
            return None;
        }
        let mut at = 0;
        for (value, width, after) in [
            (year, 4, b'-'),
            (time.month(), 2, b'-'),
            (time.day(), 2, b'T'),
            (time.hour(), 2, b':'),
            (time.minute(), 2, b':'),
        ] {
            at = digits(text, at, value, width);
            text[at] = after;
            at += 1;
        }
        at = digits(text, at, time.second(), 2);
        if nanos != 0 {
            let (fraction, width) = if nanos % 1_000_000 == 0 {
                (nanos / 1_000_000, 3)
            } else if nanos % 1_000 == 0 {
                (nanos / 1_000, 6)
            } else {
                (nanos, 9)
            };
            text[at] = b'.';
            at = digits(text, at + 1, fraction, width);
        }
        text[at] = b'Z';
        Some(at + 1)
    }

    /// Writes `value` as `width` decimal digits (zero-padded) at `at`; returns where they end.
    fn digits(text: &mut [u8], at: usize, mut value: u32, width: usize) -> usize {
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
        at + width
    }
}

fn json_list<T: serde::de::DeserializeOwned>(
    what: &'static str,
    raw: &str,
) -> Result<Vec<T>, Corrupt> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub products: Vec<Product>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
}

impl TryFrom<AccountRow> for Account {
    type Error = Corrupt;
    fn try_from(r: AccountRow) -> Result<Self, Corrupt> {
        Ok(Self {
            products: json_list("account products", &r.products)?,
            id: r.id,
            name: r.name,
            parent_id: r.parent_id,
            created_at: time(r.created_at),
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessKey {
    pub key_id: String,
    pub account_id: String,
    pub policy: Vec<String>,
    pub user_id: Option<String>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
}

impl TryFrom<KeyRow> for AccessKey {
    type Error = Corrupt;
    fn try_from(r: KeyRow) -> Result<Self, Corrupt> {
        Ok(Self {
            policy: json_list("key policy", &r.policy)?,
            key_id: r.id,
            account_id: r.account_id,
            user_id: r.user_id,
            created_at: time(r.created_at),
        })
    }
}

/// A new key with its secret, shown once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: AccessKey,
    pub secret: String,
    /// `key_id:secret`, ready for `Authorization: Bearer`.
    pub token: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct App {
    pub id: String,
    pub kind: AppKind,
    pub name: Option<String>,
    pub max_subscriptions: i64,
    /// What a publish does with the app's event-type catalog: `off`, `warn` or `enforce`.
    pub schema_validation: SchemaValidation,
    /// Subscriptions may only list types of the catalog that are not archived (and wildcards that take one).
    pub catalog_only: bool,
    /// Days the app's payloads and attempt logs are kept; null: the server's retention.
    pub retention_days: Option<u32>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<AppRow> for App {
    type Error = Corrupt;
    fn try_from(r: AppRow) -> Result<Self, Corrupt> {
        Ok(Self {
            kind: AppKind::parse(&r.kind).ok_or_else(|| corrupt("app kind", &r.kind))?,
            id: r.id,
            name: r.name,
            max_subscriptions: r.max_subscriptions,
            schema_validation: SchemaValidation::parse(&r.schema_validation)
                .ok_or_else(|| corrupt("schema validation", &r.schema_validation))?,
            catalog_only: r.catalog_only,
            retention_days: r
                .retention_ms
                .map(|ms| u32::try_from(ms / DAY_MS).map_err(|_| corrupt("retention", ms)))
                .transpose()?,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        })
    }
}

/// An event type of an app's catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventTypeDefinition {
    /// The event type, e.g. `order.created`.
    pub name: String,
    pub description: Option<String>,
    /// Types of one group (`order`) are shown together.
    pub group: Option<String>,
    /// Still published and subscribable, but on its way out.
    pub deprecated: bool,
    /// Archived types are refused where the app asks (`catalog_only`, `schema_validation` enforce).
    pub archived: bool,
    /// Its schema versions, oldest first; a publish names one (`schema_version`) or gets the newest.
    pub versions: Vec<SchemaVersion>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<EventTypeRow> for EventTypeDefinition {
    type Error = Corrupt;
    fn try_from(r: EventTypeRow) -> Result<Self, Corrupt> {
        Ok(Self {
            versions: r.versions()?,
            name: r.name,
            description: r.description,
            group: r.group_name,
            deprecated: r.deprecated,
            archived: r.archived_at.is_some(),
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subscription {
    pub id: String,
    pub app_id: String,
    /// The target; a password in a queue URL shows as `****` (sealed at rest; `GET …/secret` reads it).
    /// Sent back unchanged in a PATCH, it keeps the stored URL.
    pub url: String,
    pub status: SubscriptionStatus,
    /// Event types delivered; empty means all.
    pub event_types: Vec<String>,
    /// Only events of this channel; null means all channels.
    pub channel_id: Option<String>,
    /// Only events of these users; empty means all.
    pub users: Vec<String>,
    pub format: Format,
    /// Extra headers sent with every callback: their names, each value masked as `••••••` (the values are
    /// sealed at rest; `GET …/secret` reads them). Sent back in a PATCH, `••••••` keeps a stored value.
    pub headers: BTreeMap<String, String>,
    pub description: Option<String>,
    /// The vendor dialect config this subscription is (`cams`, `ess`, `live-snapshot`, `live-rtc:<id>`,
    /// `meeting:<id>`); null for subscriptions made through the native API.
    pub source: Option<String>,
    /// The retry policy in force: the subscription's own, or its format's profile.
    pub retry: RetryPolicy,
    /// The subscription's request timeout in ms; null: the server's (5 s for the `live` profile).
    pub timeout_ms: Option<i64>,
    /// `whpk_…`: the ed25519 public key that verifies the `v1a` signatures, when the subscription signs so.
    pub public_key: Option<String>,
    /// Deliveries per second at most (GCRA, no bursts); null: unlimited.
    pub rate_limit: Option<i32>,
    pub ordering: Ordering,
    /// Several events per request (array formats); null: one per request.
    pub batch: Option<BatchPolicy>,
    /// Only events whose payload matches this filter (docs/FILTERS.md); null: every payload.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
    pub health: Health,
    /// When the current run of failed attempts began; null when the latest attempt succeeded (or none was
    /// made).
    #[serde(serialize_with = "rfc3339::option")]
    pub failing_since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// How a subscription is doing: `disabled` and `locked` follow its status; an enabled one is `failing`
/// while its latest attempt failed, else `healthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Failing,
    Disabled,
    Locked,
}

impl Health {
    /// The health of a subscription with `status` whose latest attempt failed (`failing`) or not.
    pub fn of(status: SubscriptionStatus, failing: bool) -> Self {
        match status {
            SubscriptionStatus::Disabled => Self::Disabled,
            SubscriptionStatus::Locked => Self::Locked,
            SubscriptionStatus::Enabled if failing => Self::Failing,
            SubscriptionStatus::Enabled => Self::Healthy,
        }
    }
}

impl TryFrom<&SubscriptionRow> for Subscription {
    type Error = Corrupt;
    fn try_from(r: &SubscriptionRow) -> Result<Self, Corrupt> {
        let format = Format::parse(&r.format).ok_or_else(|| corrupt("format", &r.format))?;
        if let Some(stored) = &r.retry {
            RetryPolicy::from_json(stored).ok_or_else(|| corrupt("retry policy", stored))?;
        }
        let status = SubscriptionStatus::parse(&r.status)
            .ok_or_else(|| corrupt("subscription status", &r.status))?;
        Ok(Self {
            id: r.id.clone(),
            app_id: r.app_id.clone(),
            url: crate::domain::url::redact(&r.url),
            status,
            health: Health::of(status, r.failing_since.is_some()),
            failing_since: r.failing_since.map(time),
            event_types: json_list("event types", &r.event_types)?,
            channel_id: r.channel_id.clone(),
            users: json_list("users", &r.users)?,
            format,
            headers: crate::sealed::masked_headers(&r.headers)
                .map_err(|e| corrupt("headers", e))?,
            description: r.description.clone(),
            source: r.source.clone(),
            retry: Schedule::of(r.retry.as_deref(), Some(format)).policy(),
            timeout_ms: r.timeout_ms,
            public_key: r.public_key.clone(),
            rate_limit: r.rate_limit,
            batch: match &r.batch {
                Some(raw) => {
                    Some(BatchPolicy::from_json(raw).ok_or_else(|| corrupt("batch", raw))?)
                }
                None => None,
            },
            ordering: Ordering::parse(&r.ordering)
                .ok_or_else(|| corrupt("ordering", &r.ordering))?,
            filter: r
                .payload_filter
                .as_deref()
                .map(|raw| serde_json::from_str(raw).map_err(|e| corrupt("payload filter", e)))
                .transpose()?,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        })
    }
}

impl Subscription {
    pub fn filter(&self) -> Result<Filter, Corrupt> {
        Filter::parse(&self.event_types, self.channel_id.as_deref(), &self.users)
            .map_err(|e| corrupt("filter", e))
    }
}

/// The subscription's signing secret, returned when it is created or rotated.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionWithSecret {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// `whsec_…`; verify `webhook-signature` with it.
    pub secret: String,
}

/// A subscription's secrets: the current signing secret, the vendor secrets a dialect stored, and the
/// values that reads mask — the extra headers' values and the target with its password.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionSecrets {
    /// `whsec_…`, the current signing secret.
    pub secret: String,
    /// Vendor secrets by their vendor names, e.g. `NotifyAuthKey`, `CallbackKey`, `CallbackToken`.
    pub vendor_secrets: BTreeMap<String, String>,
    /// The extra headers with their values.
    pub headers: BTreeMap<String, String>,
    /// The target as hookd connects to it, a queue URL's password included.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: String,
    pub app_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The payload as published: any JSON.
    #[schema(value_type = serde_json::Value)]
    pub payload: Box<RawValue>,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    pub idempotency_key: Option<String>,
    /// The schema version of the event's type the payload was checked against; null when not checked.
    pub schema_version: Option<i64>,
    /// How the payload fails that schema, when the app's `schema_validation` is `warn` (at most 20).
    pub schema_violations: Vec<Violation>,
    /// When the payload was erased on request (it is then `null`); null if it was not.
    #[serde(serialize_with = "rfc3339::option")]
    pub erased_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for Event {
    type Error = Corrupt;
    fn try_from(r: EventRow) -> Result<Self, Corrupt> {
        Ok(Self {
            payload: RawValue::from_string(r.payload).map_err(|e| corrupt("payload", e))?,
            id: r.id,
            app_id: r.app_id,
            event_type: r.event_type,
            channel_id: r.channel_id,
            user_id: r.user_id,
            idempotency_key: r.idempotency_key,
            schema_version: r.schema_version,
            schema_violations: match &r.schema_violations {
                Some(raw) => {
                    serde_json::from_str(raw).map_err(|e| corrupt("schema violations", e))?
                }
                None => Vec::new(),
            },
            erased_at: r.erased_at.map(time),
            created_at: time(r.created_at),
        })
    }
}

/// An event as lists show it: with how its deliveries are doing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListedEvent {
    #[serde(flatten)]
    pub event: Event,
    /// How many of its deliveries are in each status (every status, zeros included); null for a key
    /// without `hookd:deliveries.read`.
    pub deliveries: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    pub subscription_id: String,
    pub app_id: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, for pending and retrying deliveries.
    #[serde(serialize_with = "rfc3339::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// Why the last attempt failed, as an attempt's `failure` code (`GET /api/v1/failure-kinds` explains
    /// each); null when it succeeded or no attempt was made.
    pub last_failure: Option<String>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = Corrupt;
    fn try_from(r: DeliveryRow) -> Result<Self, Corrupt> {
        let status = DeliveryStatus::parse(&r.status)
            .ok_or_else(|| corrupt("delivery status", &r.status))?;
        let waiting = matches!(status, DeliveryStatus::Pending | DeliveryStatus::Retrying);
        Ok(Self {
            id: r.id,
            event_id: r.event_id,
            subscription_id: r.subscription_id,
            app_id: r.app_id,
            status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at.filter(|_| waiting).map(time),
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            last_failure: r.last_failure,
            event_type: r.event_type,
            created_at: time(r.created_at),
            updated_at: time(r.updated_at),
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attempt {
    pub id: String,
    /// 1 for the first attempt.
    pub attempt: i64,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    /// The receiver's HTTP status, absent when no response arrived.
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// The start of the receiver's response body.
    pub response_excerpt: Option<String>,
    /// Whether the attempt delivered the callback: a 2xx answer, or a queue's confirmation.
    pub succeeded: bool,
    /// Why it failed, absent when it succeeded: `status` (the receiver answered other than 2xx),
    /// `redirect`, `timeout`, `connection_refused` (nothing listens at the port), `tls` (the handshake
    /// failed), `connect` (any other connection failure), `dns`, `blocked` (the target's address is not public),
    /// `destination` (not a URL hookd can deliver to), `no_operator_queue`, `queue` (the broker refused or
    /// failed), `render` (the request could not be prepared), `payload_dropped` (retention dropped the
    /// event's payload) or `request` (any other failure of the request).
    pub failure: Option<String>,
}

impl From<AttemptRow> for Attempt {
    fn from(r: AttemptRow) -> Self {
        Self {
            id: r.id,
            attempt: r.attempt_no,
            started_at: time(r.started_at),
            duration_ms: r.duration_ms,
            status_code: r.status_code,
            error: r.error,
            response_excerpt: r.response_excerpt,
            succeeded: r.failure.is_none(),
            failure: r.failure,
        }
    }
}

/// A delivery with its full attempt log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub attempt_log: Vec<Attempt>,
    /// The request hookd sends for this delivery, rendered now from the stored event and the
    /// subscription's current settings, secrets masked; null when the event, its payload (dropped by
    /// retention) or the subscription no longer exists, or the request cannot be built. Null too for a
    /// key without `hookd:events.read` (the body is the event's payload) or without
    /// `hookd:subscriptions.read` (the URL and headers are the subscription's).
    pub request: Option<DeliveryRequest>,
}

/// The request an attempt sends, as shown to people: every secret masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryRequest {
    /// `POST`, or `PUBLISH` for a message-queue destination.
    pub method: String,
    /// The target, a password in it replaced by `****`.
    pub url: String,
    /// In the order sent: the format's headers, its signature headers, then the subscription's own.
    /// The subscription's own, signature headers and any header whose name suggests a secret (`auth`,
    /// `token`, `secret`, `key`, `signature`, `cookie`, `password`) show `••••••`.
    pub headers: Vec<HeaderEntry>,
    /// The body as text, at most 64 KiB.
    pub body: String,
    /// The body was longer than 64 KiB and is cut.
    pub body_truncated: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeaderEntry {
    pub name: String,
    pub value: String,
}

/// One attempt in the account's attempt feed, with what identifies its delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptEntry {
    #[serde(flatten)]
    pub attempt: Attempt,
    pub delivery_id: String,
    pub event_id: String,
    pub event_type: String,
    pub subscription_id: String,
    pub app_id: String,
    /// The delivery's status now (not when the attempt was made).
    pub delivery_status: DeliveryStatus,
}

impl TryFrom<AttemptEntryRow> for AttemptEntry {
    type Error = Corrupt;
    fn try_from(r: AttemptEntryRow) -> Result<Self, Corrupt> {
        Ok(Self {
            delivery_status: DeliveryStatus::parse(&r.delivery_status)
                .ok_or_else(|| corrupt("delivery status", &r.delivery_status))?,
            delivery_id: r.attempt.delivery_id.clone(),
            attempt: r.attempt.into(),
            event_id: r.event_id,
            event_type: r.event_type,
            subscription_id: r.subscription_id,
            app_id: r.app_id,
        })
    }
}

/// A subscription's attempts per hour.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubscriptionStats {
    /// The start of the first bucket.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub since: DateTime<Utc>,
    /// 3600.
    pub bucket_seconds: i64,
    /// One per hour, oldest first; the last is the current hour.
    pub buckets: Vec<AttemptBucket>,
    /// Attempts that succeeded, in all buckets.
    pub succeeded: i64,
    /// Attempts that failed, in all buckets.
    pub failed: i64,
    /// succeeded / (succeeded + failed); null when there was no attempt.
    pub success_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptBucket {
    #[serde(serialize_with = "rfc3339::serialize")]
    pub start: DateTime<Utc>,
    /// Attempts started in the bucket that succeeded (a 2xx answer, or a queue's confirmation).
    pub succeeded: i64,
    /// Attempts started in the bucket that failed.
    pub failed: i64,
}

/// Whose activity a `Stats` answer shows.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsScope {
    /// Every account's (the admin token without `Hookd-Account`).
    Server,
    Account,
}

/// Throughput and queue depth.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stats {
    pub scope: StatsScope,
    /// The account, for `account` scope; null for `server`.
    pub account_id: Option<String>,
    /// 60.
    pub bucket_seconds: i64,
    /// One per minute, oldest first; the last is the current minute.
    pub buckets: Vec<ActivityBucket>,
    pub queue: QueueDepth,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityBucket {
    #[serde(serialize_with = "rfc3339::serialize")]
    pub start: DateTime<Utc>,
    /// Events published (created) in the bucket.
    pub published: i64,
    /// Attempts started in the bucket that succeeded.
    pub succeeded: i64,
    /// Attempts started in the bucket that failed.
    pub failed: i64,
}

/// Deliveries not finished now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueDepth {
    /// All unfinished deliveries.
    pub depth: i64,
    /// Per unfinished status: `pending`, `delivering`, `retrying` (zeros included).
    pub by_status: BTreeMap<String, i64>,
}

/// How many subscriptions of one app of one account are in each health.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct HealthCount {
    pub account_id: String,
    pub app_id: String,
    pub healthy: i64,
    pub failing: i64,
    pub disabled: i64,
    pub locked: i64,
}

/// One kind of attempt failure (an attempt's `failure`, a delivery's `last_failure`), told to people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FailureKindInfo {
    pub code: &'static str,
    /// What happened, in a line.
    pub title: &'static str,
    /// What the subscription's owner can try.
    pub advice: &'static str,
    /// What the operator can do besides, where that differs; null otherwise.
    pub operator_advice: Option<&'static str>,
}

/// A subscription's retrying and dead deliveries whose last attempts failed alike: the same failure kind,
/// status code and error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FailureGroup {
    /// The failure kind (`GET /api/v1/failure-kinds`); null for deliveries whose last attempt is older
    /// than the kinds were kept with deliveries.
    pub failure: Option<String>,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    /// Deliveries of the group that will be tried again.
    pub retrying: i64,
    /// Deliveries of the group that ran out of attempts.
    pub dead: i64,
    /// When the group's latest delivery last changed.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub latest_at: DateTime<Utc>,
    /// The group's latest delivery.
    pub delivery_id: String,
}

impl From<FailureGroupRow> for FailureGroup {
    fn from(g: FailureGroupRow) -> Self {
        Self {
            failure: g.failure,
            status_code: g.status_code,
            error: g.error,
            retrying: g.retrying,
            dead: g.dead,
            latest_at: time(g.latest_at),
            delivery_id: g.delivery_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use serde::Serialize;

    use super::rfc3339;

    #[derive(Serialize)]
    struct Ours {
        #[serde(serialize_with = "rfc3339::serialize")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "rfc3339::option")]
        maybe: Option<DateTime<Utc>>,
    }

    #[derive(Serialize)]
    struct Chronos {
        at: DateTime<Utc>,
        maybe: Option<DateTime<Utc>>,
    }

    fn same_as_chrono(at: DateTime<Utc>) {
        for maybe in [None, Some(at)] {
            let ours = serde_json::to_string(&Ours { at, maybe }).unwrap();
            let chronos = serde_json::to_string(&Chronos { at, maybe }).unwrap();
            assert_eq!(ours, chronos, "{at:?}");
        }
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        // Whole seconds, milliseconds (what stored times have), micro- and nanoseconds.
        let base = Utc.with_ymd_and_hms(2026, 12, 5, 20, 12, 1).unwrap();
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            1_000_000,
            7_000_000,
            123_456_789,
            999_999_999,
        ] {
            same_as_chrono(base + chrono::Duration::nanoseconds(nanos));
        }
        // A walk over the millisecond times of 1900–2500 in uneven steps.
        let mut ms: i64 = -2_208_988_800_000;
        while ms < 16_725_225_600_000 {
            same_as_chrono(super::time(ms));
            ms += 7_919_993_337;
        }
        // Years chrono writes with a sign, and a leap second: ours hands them to chrono.
        for year in [-1, 0, 1, 999, 9999, 10_000] {
            same_as_chrono(Utc.with_ymd_and_hms(year, 1, 2, 3, 4, 5).unwrap());
        }
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .unwrap()
            .and_utc();
        same_as_chrono(leap);
    }
}
