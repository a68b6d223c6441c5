//! Events and their deliveries: publishing (with idempotency keys), reading, and manual retry.

use std::sync::Arc;

use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::{paged, Error, PageParams, Paged, Result, Scope, Service};
use crate::{
    delivery::publish,
    domain::{
        attribute, new_id, now_ms, Action, DeliveryStatus, EventType, Invalid, SubscriptionStatus,
    },
    store::{Enabled, EventInsert, EventRow, NewDelivery},
    telemetry,
    views::{Attempt, Delivery, DeliveryDetail, Event},
};

pub struct NewEvent {
    pub event_type: String,
    pub payload: Box<RawValue>,
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
    /// The schema version of its type to check the payload against; `None`: the newest.
    pub schema_version: Option<u32>,
}

/// The result of a publish.
pub struct Published {
    pub event: Event,
    pub deliveries: Vec<Delivery>,
    /// True when the Idempotency-Key matched an earlier publish and nothing new was stored.
    pub replayed: bool,
}

fn request_hash(e: &NewEvent) -> String {
    let mut h = Sha256::new();
    for part in [
        e.event_type.as_str(),
        e.payload.get(),
        e.channel_id.as_deref().unwrap_or("\0"),
        e.user_id.as_deref().unwrap_or("\0"),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    // Only when named, so that a request without one hashes as it always did.
    if let Some(version) = e.schema_version {
        h.update(u64::from(version).to_be_bytes());
    }
    crate::crypto::hex(&h.finalize())
}

fn check_idempotency_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Invalid::new(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        )
        .into());
    }
    Ok(())
}

impl Service {
    /// Stores the event and one delivery per matching enabled subscription in one transaction, then wakes
    /// the dispatcher. Returns once the event is durable.
    pub async fn publish(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewEvent,
        idempotency_key: Option<&str>,
    ) -> Result<Published> {
        // Exported as a trace's span when traces are on (`telemetry`); otherwise disabled, at no cost.
        let span = tracing::info_span!(
            target: telemetry::SPANS, "publish", account.id = %scope.account_id, app.id = app_id,
            event.type = %new.event_type, event.id = tracing::field::Empty,
            deliveries = tracing::field::Empty, otel.status_code = tracing::field::Empty,
        );
        let published = self
            .publish_in(scope, app_id, new, idempotency_key, &span)
            .instrument(span.clone())
            .await;
        match &published {
            Ok(published) => {
                span.record("event.id", published.event.id.as_str());
                span.record("deliveries", published.deliveries.len() as i64);
            }
            Err(_) => {
                span.record("otel.status_code", "error");
            }
        }
        published
    }

    async fn publish_in(
        &self,
        scope: &Scope,
        app_id: &str,
        new: NewEvent,
        idempotency_key: Option<&str>,
        span: &tracing::Span,
    ) -> Result<Published> {
        scope.require(Action::EventsWrite)?;
        scope.forbid_portal("publish events")?;
        let event_type = EventType::parse(&new.event_type)?;
        let channel_id = new
            .channel_id
            .as_deref()
            .map(|c| attribute(c).map_err(|e| e.at("channel_id")))
            .transpose()?;
        let user_id = new
            .user_id
            .as_deref()
            .map(|u| attribute(u).map_err(|e| e.at("user_id")))
            .transpose()?;
        if let Some(key) = idempotency_key {
            check_idempotency_key(key)?;
        }
        let app = self.app_row(scope, app_id).await?;
        let hash = idempotency_key.map(|_| request_hash(&new));
        if let Some(key) = idempotency_key {
            if let Some(existing) = self
                .store
                .get_event_by_idempotency_key(&scope.account_id, &app.id, key)
                .await?
            {
                return self.replayed(existing, hash.as_deref()).await;
            }
        }
        let checked = self
            .check_schema(&app, &event_type, new.schema_version, &new.payload)
            .await?;
        let subscriptions = self
            .store
            .enabled_subscriptions(&scope.account_id, &app.id)
            .await?;
        let row = EventRow {
            id: new_id("evt"),
            account_id: scope.account_id.clone(),
            app_id: app.id.clone(),
            event_type: event_type.as_str().to_owned(),
            payload: new.payload.get().to_owned(),
            channel_id,
            user_id,
            idempotency_key: idempotency_key.map(str::to_owned),
            request_hash: hash.clone(),
            created_at: now_ms(),
            // The parent of its deliveries' attempt spans; None (nothing to store) without traces.
            traceparent: telemetry::traceparent(span),
            schema_version: checked.version,
            schema_violations: checked.violations,
            erased_at: None,
        };
        let started = publish::store_and_start(
            self.store.as_ref(),
            &self.dispatcher,
            &row,
            checked.parsed.as_ref(),
            &subscriptions,
            true,
        )
        .await?;
        if let EventInsert::DuplicateKey = started.insert {
            // A concurrent publish with the same key won the race.
            let key = idempotency_key.unwrap_or_default();
            let existing = self
                .store
                .get_event_by_idempotency_key(&scope.account_id, &app.id, key)
                .await?
                .ok_or(Error::NotFound("event"))?;
            return self.replayed(existing, hash.as_deref()).await;
        }
        metrics::counter!("hookd_events_published_total").increment(1);
        published(row, started.deliveries)
    }

    /// Sends a synthetic `hookd.test` event to one subscription (whatever its filter), to check a receiver.
    pub async fn send_test_event(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
    ) -> Result<Published> {
        let payload = serde_json::json!({
            "test": true,
            "subscription_id": subscription_id,
            "sent_at": crate::views::time(now_ms()),
        });
        self.send_to_one(scope, app_id, subscription_id, TEST_EVENT, &payload)
            .await
    }

    /// Sends one of an event type's examples (of `version`, or the newest; the `index`th) to one
    /// subscription as a test event, whatever its filter.
    pub async fn send_example(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
        event_type: &str,
        version: Option<u32>,
        index: usize,
    ) -> Result<Published> {
        // Every action it needs, before anything is looked up.
        scope.require(Action::AppsRead)?;
        scope.require(Action::EventsWrite)?;
        scope.require(Action::SubscriptionsRead)?;
        let payload = self
            .event_type_example(scope, app_id, event_type, version, index)
            .await?;
        self.send_to_one(scope, app_id, subscription_id, event_type, &payload)
            .await
    }

    /// Stores an event of `event_type` with one delivery, to `subscription_id`, and starts it.
    async fn send_to_one(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
        event_type: &str,
        payload: &serde_json::Value,
    ) -> Result<Published> {
        scope.require(Action::EventsWrite)?;
        scope.require(Action::SubscriptionsRead)?;
        let sub = Arc::new(Enabled::from(
            self.subscription_row(scope, app_id, subscription_id)
                .await?,
        ));
        if SubscriptionStatus::parse(&sub.row.status) != Some(SubscriptionStatus::Enabled) {
            return Err(Error::Conflict {
                code: "subscription_not_enabled",
                message: format!(
                    "subscription `{}` is {}; enable it first",
                    sub.row.id, sub.row.status
                ),
            });
        }
        let now = now_ms();
        let row = EventRow {
            id: new_id("evt"),
            account_id: scope.account_id.clone(),
            app_id: sub.row.app_id.clone(),
            event_type: event_type.to_owned(),
            payload: payload.to_string(),
            channel_id: None,
            user_id: None,
            idempotency_key: None,
            request_hash: None,
            created_at: now,
            traceparent: None,
            schema_version: None,
            schema_violations: None,
            erased_at: None,
        };
        let deliveries = vec![NewDelivery {
            id: new_id("dlv"),
            subscription_id: sub.row.id.clone(),
            due_at: now,
            lease: None,
        }];
        let started = publish::start(
            self.store.as_ref(),
            &self.dispatcher,
            &row,
            std::slice::from_ref(&sub),
            deliveries,
            false,
        )
        .await?;
        published(row, started.deliveries)
    }

    /// Sends again every dead or retrying delivery of a subscription (created at or after `since`, if
    /// given), in one transaction (so a crash cannot leave a replay half done); they go out at the
    /// subscription's pace. Returns (matching, requeued); a dry run only counts.
    pub async fn replay_subscription(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
        since: Option<chrono::DateTime<chrono::Utc>>,
        dry_run: bool,
    ) -> Result<(u64, u64)> {
        scope.require(Action::DeliveriesWrite)?;
        let sub = self
            .get_subscription(scope, app_id, subscription_id)
            .await?;
        let now = now_ms();
        let since = since.map_or(i64::MIN, |t| t.timestamp_millis());
        if since > now {
            return Err(crate::domain::Invalid::new("since", "must not be in the future").into());
        }
        if dry_run {
            let matching = self
                .store
                .count_failed(&scope.account_id, &sub.id, since)
                .await?;
            return Ok((matching, 0));
        }
        let count = self
            .store
            .requeue_failed(&scope.account_id, &sub.id, since, now)
            .await?;
        if count > 0 {
            self.dispatcher.wake();
        }
        Ok((count, count))
    }
}

/// The event type of test events.
pub const TEST_EVENT: &str = "hookd.test";

/// The answer to a publish: the event and the deliveries made for it.
fn published(row: EventRow, deliveries: Vec<NewDelivery>) -> Result<Published> {
    {
        let created_at = row.created_at;
        let event = Event::try_from(row)?;
        let deliveries = deliveries
            .into_iter()
            .map(|d| Delivery {
                id: d.id,
                event_id: event.id.clone(),
                event_type: event.event_type.clone(),
                subscription_id: d.subscription_id,
                app_id: event.app_id.clone(),
                status: DeliveryStatus::Pending,
                attempts: 0,
                next_attempt_at: Some(crate::views::time(d.due_at)),
                last_status_code: None,
                last_error: None,
                last_failure: None,
                created_at: crate::views::time(created_at),
                updated_at: crate::views::time(created_at),
            })
            .collect();
        Ok(Published {
            event,
            deliveries,
            replayed: false,
        })
    }
}

impl Service {
    async fn replayed(&self, existing: EventRow, hash: Option<&str>) -> Result<Published> {
        if existing.request_hash.as_deref() != hash {
            return Err(Error::Conflict {
                code: "idempotency_key_reused",
                message: "this Idempotency-Key was already used for a different request".into(),
            });
        }
        let page = crate::store::Page {
            limit: i64::MAX,
            after: None,
        };
        let deliveries = self
            .store
            .list_event_deliveries(&existing.account_id, &existing.id, &page)
            .await?
            .into_iter()
            .map(Delivery::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Published {
            event: existing.try_into()?,
            deliveries,
            replayed: true,
        })
    }

    pub async fn list_event_deliveries(
        &self,
        scope: &Scope,
        app_id: &str,
        event_id: &str,
        params: &PageParams,
    ) -> Result<Paged<Delivery>> {
        scope.require(Action::DeliveriesRead)?;
        self.get_event(scope, app_id, event_id).await?;
        let page = params.to_page()?;
        let rows = self
            .store
            .list_event_deliveries(&scope.account_id, event_id, &page)
            .await?;
        let mut listed = paged(&page, rows, |r| &r.id, Ok)?;
        self.retain_visible(scope, app_id, &mut listed.data, |d| {
            (d.event_type.as_str(), d.subscription_id.as_str())
        })
        .await?;
        deliveries(listed)
    }

    pub async fn list_subscription_deliveries(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
        status: Option<DeliveryStatus>,
        params: &PageParams,
    ) -> Result<Paged<Delivery>> {
        scope.require(Action::DeliveriesRead)?;
        self.app_row(scope, app_id).await?;
        // Deliveries outlive a deleted subscription, so only an unknown app is an error here (but a portal
        // session limited to some types sees only the subscriptions it may, deleted ones not).
        if scope.portal().is_some_and(|p| p.types.is_some()) {
            self.subscription_row(scope, app_id, subscription_id)
                .await?;
        }
        let page = params.to_page()?;
        let rows = self
            .store
            .list_subscription_deliveries(
                &scope.account_id,
                subscription_id,
                status.map(DeliveryStatus::as_str),
                &page,
            )
            .await?;
        let mut listed = paged(&page, rows, |r| &r.id, Ok)?;
        self.retain_visible(scope, app_id, &mut listed.data, |d| {
            (d.event_type.as_str(), d.subscription_id.as_str())
        })
        .await?;
        deliveries(listed)
    }

    pub async fn get_delivery(&self, scope: &Scope, id: &str) -> Result<DeliveryDetail> {
        scope.require(Action::DeliveriesRead)?;
        let row = self.visible_delivery(scope, id).await?;
        let attempts = self.store.list_attempts(id).await?;
        let request = self.delivery_request(scope, id).await?;
        Ok(DeliveryDetail {
            delivery: row.try_into()?,
            attempt_log: attempts.into_iter().map(Attempt::from).collect(),
            request,
        })
    }

    /// Sends a delivery again now, whatever its state, unless an attempt is in flight or its subscription
    /// was deleted.
    pub async fn retry_delivery(&self, scope: &Scope, id: &str) -> Result<Delivery> {
        scope.require(Action::DeliveriesWrite)?;
        let current = self.visible_delivery(scope, id).await?;
        let conflict = |message: &str| Error::Conflict {
            code: "delivery_not_retryable",
            message: message.to_owned(),
        };
        match DeliveryStatus::parse(&current.status) {
            Some(DeliveryStatus::Delivering) => {
                return Err(conflict("an attempt of this delivery is in flight"))
            }
            Some(DeliveryStatus::Cancelled) => {
                return Err(conflict("this delivery's subscription was deleted"))
            }
            _ => {}
        }
        let row = self
            .store
            .requeue_delivery(&scope.account_id, id, now_ms())
            .await?
            .ok_or_else(|| conflict("an attempt of this delivery is in flight"))?;
        self.dispatcher.wake();
        Ok(row.try_into()?)
    }
}

/// A page of delivery rows as the API shows them.
fn deliveries(rows: Paged<crate::store::DeliveryRow>) -> Result<Paged<Delivery>> {
    Ok(Paged {
        data: rows
            .data
            .into_iter()
            .map(Delivery::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor: rows.next_cursor,
    })
}
