//! What the account (or the whole server) has been doing, for people watching it: attempts per hour of a
//! subscription, throughput and queue depth per minute, the feed of attempts as they are recorded, and the
//! request a delivery sends with its secrets masked.

use std::collections::BTreeMap;

use super::{in_range, Paged, Principal, Result, Scope, Service, MAX_PAGE};
use crate::{
    delivery::dispatcher::render_request,
    domain::{now_ms, url::redact, Action, DeliveryStatus, Invalid},
    sealed::MASKED,
    store::{AttemptCount, Buckets, CountScope, DeliveryJob},
    views::{
        time, ActivityBucket, AttemptBucket, AttemptEntry, DeliveryRequest, HeaderEntry,
        QueueDepth, Stats, StatsScope, SubscriptionStats,
    },
};

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;
/// Most hours a subscription's stats cover (a week).
pub const MAX_STATS_HOURS: i64 = 168;
/// Most minutes the server or account stats cover (a day).
pub const MAX_STATS_MINUTES: i64 = 1440;
/// Default page of the attempt feed.
const DEFAULT_ATTEMPTS: i64 = 50;
/// The longest request body shown.
pub const MAX_SHOWN_BODY: usize = 64 * 1024;
/// Header names containing one of these (lower-cased) carry secrets.
const SECRET_NAME_PARTS: [&str; 7] = [
    "auth",
    "token",
    "secret",
    "key",
    "signature",
    "cookie",
    "password",
];

/// `n` buckets of `width_ms`, aligned to multiples of it (UTC), the last holding `now`.
fn aligned(now: i64, width_ms: i64, n: i64) -> Buckets {
    let current = now - now.rem_euclid(width_ms);
    Buckets {
        since: current - (n - 1) * width_ms,
        until: current + width_ms,
        width_ms,
    }
}

/// The counts of each of `n` buckets, zeros included.
fn attempts_per_bucket(n: i64, counts: &[AttemptCount]) -> Vec<AttemptCount> {
    let mut all: Vec<AttemptCount> = (0..n)
        .map(|bucket| AttemptCount {
            bucket,
            ..AttemptCount::default()
        })
        .collect();
    for c in counts {
        if let Some(slot) = slot(&mut all, c.bucket) {
            slot.succeeded += c.succeeded;
            slot.failed += c.failed;
        }
    }
    all
}

/// Bucket `bucket` of `all`; `None` for one outside the window (a row the clock moved past).
fn slot<T>(all: &mut [T], bucket: i64) -> Option<&mut T> {
    usize::try_from(bucket).ok().and_then(|i| all.get_mut(i))
}

/// `after`: an attempt id (`att_` and a ULID), normalised to the stored spelling.
fn attempt_id(raw: &str) -> Result<String> {
    raw.strip_prefix("att_")
        .and_then(|ulid| {
            let parsed = ulid::Ulid::from_string(ulid).ok()?.to_string();
            // One that overflows parses to another id: refused, not read as that one.
            parsed
                .eq_ignore_ascii_case(ulid)
                .then(|| format!("att_{}", parsed.to_ascii_lowercase()))
        })
        .ok_or_else(|| Invalid::new("after", "must be an attempt id (`att_…`)").into())
}

/// Whether a header's value is a secret: a signature, or a name that suggests one.
fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// The request `job` sends now, secrets masked — the subscription's own headers all, the format's where
/// they are secrets; `None` if it cannot be built (as the dispatcher would record a failed attempt).
fn shown_request(sealer: &crate::crypto::Sealer, job: &DeliveryJob) -> Option<DeliveryRequest> {
    if job.event.payload_expired_at.is_some() {
        return None;
    }
    let (rendered, extra) = render_request(sealer, job, now_ms()).ok()?;
    let entry = |name: &str, value: &str| HeaderEntry {
        name: name.to_owned(),
        value: value.to_owned(),
    };
    let headers = rendered
        .headers
        .iter()
        .map(|(name, value)| {
            entry(
                name,
                if is_secret_header(name) {
                    MASKED
                } else {
                    value
                },
            )
        })
        .chain(crate::delivery::formats::extra_headers(&extra).map(|(name, _)| entry(name, MASKED)))
        .collect();
    let http = url::Url::parse(&job.subscription.url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    let (body, body_truncated) = shown_body(&rendered.body);
    Some(DeliveryRequest {
        method: if http { "POST" } else { "PUBLISH" }.to_owned(),
        url: redact(&job.subscription.url),
        headers,
        body,
        body_truncated,
    })
}

/// The body as text, cut (on a character boundary) at `MAX_SHOWN_BODY` bytes.
fn shown_body(body: &[u8]) -> (String, bool) {
    if body.len() <= MAX_SHOWN_BODY {
        return (String::from_utf8_lossy(body).into_owned(), false);
    }
    let mut end = MAX_SHOWN_BODY;
    // Back off over UTF-8 continuation bytes, so a character is not cut in two.
    while end > 0 && body[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    (String::from_utf8_lossy(&body[..end]).into_owned(), true)
}

impl Service {
    /// A subscription's attempts in each of the last `hours` hours (the current one last).
    pub async fn subscription_stats(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
        hours: Option<i64>,
    ) -> Result<SubscriptionStats> {
        scope.require(Action::DeliveriesRead)?;
        let hours = in_range("hours", hours, 24, MAX_STATS_HOURS)?;
        let sub = self
            .subscription_row(scope, app_id, subscription_id)
            .await?;
        let buckets = aligned(now_ms(), HOUR_MS, hours);
        let counts = self
            .store
            .attempt_counts(
                CountScope::Subscription {
                    account_id: &scope.account_id,
                    subscription_id: &sub.id,
                },
                buckets,
            )
            .await?;
        let per_hour = attempts_per_bucket(hours, &counts);
        let succeeded: i64 = per_hour.iter().map(|c| c.succeeded).sum();
        let failed: i64 = per_hour.iter().map(|c| c.failed).sum();
        let total = succeeded + failed;
        Ok(SubscriptionStats {
            since: time(buckets.since),
            bucket_seconds: HOUR_MS / 1000,
            buckets: per_hour
                .iter()
                .map(|c| AttemptBucket {
                    start: time(buckets.since + c.bucket * HOUR_MS),
                    succeeded: c.succeeded,
                    failed: c.failed,
                })
                .collect(),
            succeeded,
            failed,
            success_rate: (total > 0).then(|| succeeded as f64 / total as f64),
        })
    }

    /// Events published and attempts made in each of the last `minutes` minutes, and the deliveries not
    /// yet finished: of the whole server for the admin acting in no account, else of the account the
    /// caller acts in ([`Service::account_or_server`]).
    pub async fn stats(
        &self,
        principal: &Principal,
        requested: Option<&str>,
        minutes: Option<i64>,
    ) -> Result<Stats> {
        let account_id = self
            .account_or_server(principal, requested, Action::DeliveriesRead)
            .await?;
        let minutes = in_range("minutes", minutes, 60, MAX_STATS_MINUTES)?;
        let buckets = aligned(now_ms(), MINUTE_MS, minutes);
        let count_scope = match &account_id {
            Some(id) => CountScope::Account(id),
            None => CountScope::Server,
        };
        let attempts = self.store.attempt_counts(count_scope, buckets).await?;
        let events = self
            .store
            .event_counts(account_id.as_deref(), buckets)
            .await?;
        let queued = self.store.queue_by_status(account_id.as_deref()).await?;
        let mut published = vec![0i64; minutes as usize];
        for (bucket, n) in events {
            if let Some(slot) = slot(&mut published, bucket) {
                *slot += n;
            }
        }
        let mut by_status: BTreeMap<String, i64> = [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivering,
            DeliveryStatus::Retrying,
        ]
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
        for (status, n) in queued {
            *by_status.entry(status).or_default() += n;
        }
        Ok(Stats {
            scope: if account_id.is_some() {
                StatsScope::Account
            } else {
                StatsScope::Server
            },
            account_id,
            bucket_seconds: MINUTE_MS / 1000,
            buckets: attempts_per_bucket(minutes, &attempts)
                .iter()
                .zip(published)
                .map(|(c, published)| ActivityBucket {
                    start: time(buckets.since + c.bucket * MINUTE_MS),
                    published,
                    succeeded: c.succeeded,
                    failed: c.failed,
                })
                .collect(),
            queue: QueueDepth {
                depth: by_status.values().sum(),
                by_status,
            },
        })
    }

    /// The account's attempts (of one app, if named) by id: with `after`, those recorded after it, oldest
    /// first; without, the newest `limit`, oldest first. Ids are minted as attempts finish, so they
    /// follow time (per process; across processes to the millisecond).
    pub async fn list_attempts(
        &self,
        scope: &Scope,
        app_id: Option<&str>,
        after: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Paged<AttemptEntry>> {
        scope.require(Action::DeliveriesRead)?;
        let limit = in_range("limit", limit, DEFAULT_ATTEMPTS, MAX_PAGE)?;
        let after = after.map(attempt_id).transpose()?;
        // A portal session reads its own app's attempts, named or not.
        let app_id = app_id.or(scope.portal().map(|p| p.app_id.as_str()));
        if let Some(app_id) = app_id {
            self.app_row(scope, app_id).await?;
        }
        let rows = self
            .store
            .list_account_attempts(&scope.account_id, app_id, after.as_deref(), limit)
            .await?;
        let full = rows.len() as i64 >= limit;
        let mut data = rows
            .into_iter()
            .map(AttemptEntry::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = data.last().filter(|_| full).map(|e| e.attempt.id.clone());
        if let Some(app_id) = app_id {
            self.retain_visible(scope, app_id, &mut data, |e| {
                (e.event_type.as_str(), e.subscription_id.as_str())
            })
            .await?;
        }
        Ok(Paged { next_cursor, data })
    }

    /// The request the delivery sends, secrets masked (see [`DeliveryRequest`]); `None` for a caller who
    /// may not read the event (its body) or the subscription (its URL and headers).
    pub(super) async fn delivery_request(
        &self,
        scope: &Scope,
        delivery_id: &str,
    ) -> Result<Option<DeliveryRequest>> {
        if !(scope.allows(Action::EventsRead) && scope.allows(Action::SubscriptionsRead)) {
            return Ok(None);
        }
        let job = self
            .store
            .delivery_job(&scope.account_id, delivery_id)
            .await?;
        Ok(job.and_then(|job| shown_request(&self.sealer, &job)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_aligned_and_end_with_the_current_one() {
        let now = 10 * HOUR_MS + 1_234;
        let b = aligned(now, HOUR_MS, 24);
        assert_eq!(b.until, 11 * HOUR_MS);
        assert_eq!(b.since, 11 * HOUR_MS - 24 * HOUR_MS);
        assert!(b.since <= now && now < b.until);
    }

    #[test]
    fn secret_headers_are_recognised_by_name() {
        for name in [
            "webhook-signature",
            "Authorization",
            "X-Api-Key",
            "x-auth-token",
            "Cookie",
            "content-signature",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["content-type", "webhook-id", "webhook-timestamp", "x-trace"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let mut body = vec![b'a'; MAX_SHOWN_BODY - 1];
        body.extend("é".repeat(10).as_bytes());
        let (shown, cut) = shown_body(&body);
        assert!(cut);
        assert_eq!(shown.len(), MAX_SHOWN_BODY - 1);
        assert!(!shown.contains('\u{FFFD}'));
        assert_eq!(shown_body(b"{}"), ("{}".to_owned(), false));
    }

    #[test]
    fn after_must_be_an_attempt_id() {
        assert!(
            attempt_id("att_8ZZZZZZZZZZZZZZZZZZZZZZZZZ").is_err(),
            "overflows"
        );
        assert_eq!(
            attempt_id("att_01HZZZZZZZZZZZZZZZZZZZZZZZ").unwrap(),
            "att_01hzzzzzzzzzzzzzzzzzzzzzzz"
        );
        for bad in ["", "x", "att_", "evt_01HZZZZZZZZZZZZZZZZZZZZZZZ", "att_%%%"] {
            assert!(attempt_id(bad).is_err(), "{bad}");
        }
    }
}
