//! Attempting and recording: one request per unit (a delivery, or a batch), each delivery's outcome
//! recorded (waiting out storage faults), and the account's `ops` app told what changed.

use std::time::Duration;

use serde_json::json;
use tracing::Instrument;

use super::{admission::Reservation, render::render_unit, Dispatcher};
use crate::{
    delivery::{
        formats::RenderError,
        ops,
        outcome::{FailureKind, Reply},
    },
    domain::{new_id, now_ms, retry::Schedule, url::Target, DeliveryStatus},
    store::{AttemptOutcome, AttemptRow, DeliveryJob, HealthChange, LockRule},
};

/// How many times an attempt lets the runtime's queued tasks run before it asks the HTTP client for a
/// connection when over half the slots are taken (see `attempt_in`). Measured on the benchmark's `e100`
/// (1 024 slots, one receiver), connections held to the receiver: none, 1 818–2 014; one, about 1 500;
/// three, about 950.
const YIELDS_BEFORE_SENDING: usize = 3;

impl Dispatcher {
    /// One request for a unit (one delivery, or a batch of one subscription's), each delivery's outcome
    /// recorded on its own. The unit's slots are given back once the request is answered.
    pub(super) async fn attempt(&self, jobs: Vec<DeliveryJob>, reservation: Reservation) {
        let span = attempt_span(&jobs);
        self.attempt_in(jobs, reservation, &span)
            .instrument(span.clone())
            .await
    }

    async fn attempt_in(
        &self,
        jobs: Vec<DeliveryJob>,
        reservation: Reservation,
        span: &tracing::Span,
    ) {
        let inner = &self.inner;
        let job = &jobs[0];
        let started_at = now_ms();
        let clock = std::time::Instant::now();
        let opened = self.open(job);
        let (schedule, timeout) = match &opened {
            Ok(opened) => (opened.delivery.schedule.clone(), opened.delivery.timeout),
            // Settings that cannot be opened get the standard schedule; the render error records why.
            Err(_) => (Schedule::standard(), None),
        };
        let rendered = match (opened, job.event.payload_expired_at) {
            (_, Some(_)) => Err((
                FailureKind::PayloadDropped,
                RenderError::from("the event's payload was dropped by retention; nothing to send"),
            )),
            (Err(e), None) => Err((FailureKind::Render, e)),
            (Ok(opened), None) => render_unit(&opened, &jobs, started_at)
                .map(|rendered| (rendered, opened))
                .map_err(|e| (FailureKind::Render, e)),
        };
        let reply = match rendered {
            Ok((rendered, opened)) => match &opened.target {
                Ok(target) => {
                    span.record("server.address", target.host());
                    // The connections of attempts just answered go back to the client's pool from
                    // tasks of their own. An attempt that asks for one before they are back opens a
                    // new connection, and the pool keeps it: with most slots taken that nearly doubled
                    // the connections (and their buffers) held to a receiver. A few turns of the
                    // runtime first let the answered ones be put back. With few attempts in flight
                    // the extra connections are few, and the turns would only cost time. Queue clients
                    // keep connections of their own, so deliveries to a queue go straight on.
                    if matches!(target, Target::Http(_))
                        && inner.slots.available_permits() < inner.config.concurrency / 2
                    {
                        for _ in 0..YIELDS_BEFORE_SENDING {
                            tokio::task::yield_now().await;
                        }
                    }
                    // Boxed: the request's state is most of an attempt's size, and the attempt waits
                    // on, for its record, long after the request is answered.
                    Box::pin(inner.sender.send(
                        target,
                        &job.delivery_id,
                        &rendered,
                        &opened.headers,
                        timeout,
                    ))
                    .await
                }
                Err(invalid) => Reply::failed(FailureKind::Destination, invalid.message.clone()),
            },
            Err((kind, problem)) => Reply::failed(kind, problem.0),
        };
        let duration = clock.elapsed();
        if !span.is_disabled() {
            span.record("http.response.status_code", reply.status.map(i64::from));
            span.record("error.message", reply.error.as_deref());
            span.record("error.type", reply.failure_code().map(FailureKind::as_str));
        }
        let recording = inner.recording.clone().acquire_owned().await;
        let from_store = reservation.counted.from_store;
        drop(reservation);
        self.pump();
        // A batch's outcomes are submitted together, so they share one group commit.
        futures_util::future::join_all(
            jobs.iter()
                .map(|job| self.finish(job, &schedule, &reply, started_at, duration, span)),
        )
        .await;
        drop(recording);
        if from_store {
            inner.wake.notify_one();
        }
    }

    /// Records what one attempt did for `job` and tells the account's `ops` app.
    async fn finish(
        &self,
        job: &DeliveryJob,
        schedule: &Schedule,
        reply: &Reply,
        started_at: i64,
        duration: Duration,
        span: &tracing::Span,
    ) {
        let inner = &self.inner;
        let reply = reply.clone();
        let attempt_no = job.attempts + 1;
        let finished_at = started_at + duration.as_millis() as i64;
        // Nothing can be sent again for an event whose payload retention dropped.
        let gone = reply.status == Some(410);
        let expired = job.event.payload_expired_at.is_some();
        let failure = reply.failure_code();
        let (status, next_attempt_at) = if failure.is_none() {
            (DeliveryStatus::Succeeded, None)
        } else if gone || expired {
            (DeliveryStatus::Dead, None)
        } else {
            match schedule.delay(attempt_no) {
                // The receiver's Retry-After replaces the scheduled delay, up to the configured bound.
                Some(delay) => {
                    let delay = reply.retry_after.map_or(delay, |wanted| {
                        wanted.min(Duration::from_millis(inner.config.max_retry_after_ms))
                    });
                    (
                        DeliveryStatus::Retrying,
                        Some(finished_at + delay.as_millis() as i64),
                    )
                }
                None => (DeliveryStatus::Dead, None),
            }
        };
        span.record("outcome", status.as_str());
        if status != DeliveryStatus::Succeeded {
            span.record("otel.status_code", "error");
        }
        if gone {
            tracing::warn!(
                subscription.id = %job.subscription.id, account.id = %job.event.account_id,
                "receiver answered 410 Gone; subscription disabled"
            );
        }
        metrics::histogram!("hookd_attempt_duration_seconds").record(duration.as_secs_f64());
        metrics::counter!("hookd_deliveries_total", "outcome" => if status == DeliveryStatus::Retrying { "failed" } else { status.as_str() })
            .increment(1);
        tracing::debug!(
            delivery.id = %job.delivery_id, event.id = %job.event.id, subscription.id = %job.subscription.id,
            account.id = %job.event.account_id, attempt = attempt_no, status_code = ?reply.status,
            duration_ms = duration.as_millis() as u64, outcome = status.as_str(), "attempt finished"
        );
        let outcome = AttemptOutcome {
            attempt: AttemptRow {
                id: new_id("att"),
                delivery_id: job.delivery_id.clone(),
                attempt_no,
                started_at,
                duration_ms: duration.as_millis() as i64,
                status_code: reply.status.map(i64::from),
                error: reply.error,
                response_excerpt: reply.excerpt,
                failure: failure.map(|kind| kind.as_str().to_owned()),
            },
            status,
            next_attempt_at,
            lease_owner: inner.node_id.clone(),
            disable_subscription: gone.then(|| job.subscription.id.clone()),
            subscription_id: job.subscription.id.clone(),
            track_health: job.event.app_id != ops::OPS_APP,
            lock: LockRule {
                failing_for_ms: i64::try_from(inner.config.lock_after_ms).unwrap_or(i64::MAX),
                min_dead: i64::from(inner.config.lock_min_dead),
            },
        };
        let Some(change) = self.record(&outcome).await else {
            return;
        };
        if outcome.track_health {
            self.publish_ops_events(job, &outcome, change).await;
        }
    }

    /// Records an attempt's outcome. A fault of the storage (full, read-only, unreachable) is waited out,
    /// however long it lasts: the delivery stays leased to this node meanwhile, so nothing sends it again
    /// while the lease holds, and the outcome is written once the storage writes again. Any other error
    /// is tried a few times; then the lease ends by itself and the delivery is attempted again
    /// (at-least-once).
    async fn record(&self, outcome: &AttemptOutcome) -> Option<HealthChange> {
        let delivery = &outcome.attempt.delivery_id;
        let mut delay = Duration::from_millis(100);
        let mut tries = 0;
        loop {
            let error = match self.inner.store.record_attempt(outcome).await {
                Ok(change) => return Some(change),
                Err(e) => e,
            };
            tries += 1;
            if !error.is_unavailable() {
                if tries > 3 {
                    tracing::error!(delivery.id = %delivery, error = %error, "recording an attempt failed");
                    return None;
                }
                tracing::warn!(delivery.id = %delivery, error = %error, "recording an attempt failed; trying again");
            } else {
                // The storage's health logs the episode once.
                tracing::debug!(delivery.id = %delivery, error = %error, "storage unavailable; the attempt is recorded once it writes again");
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    /// Tells the account's `ops` app what this attempt changed.
    async fn publish_ops_events(
        &self,
        job: &DeliveryJob,
        outcome: &AttemptOutcome,
        change: HealthChange,
    ) {
        let subscription =
            json!({ "subscription_id": job.subscription.id, "app_id": job.event.app_id });
        let mut events = Vec::new();
        if outcome.status == DeliveryStatus::Dead {
            events.push((
                ops::DELIVERY_DEAD,
                json!({
                    "delivery_id": job.delivery_id,
                    "event_id": job.event.id,
                    "event_type": job.event.event_type,
                    "subscription_id": job.subscription.id,
                    "app_id": job.event.app_id,
                    "attempts": outcome.attempt.attempt_no,
                    "last_status_code": outcome.attempt.status_code,
                    "last_error": outcome.attempt.error,
                }),
            ));
        }
        if change.locked {
            tracing::warn!(subscription.id = %job.subscription.id, account.id = %job.event.account_id, "subscription locked: its attempts keep failing");
            events.push((ops::SUBSCRIPTION_LOCKED, subscription.clone()));
        }
        if change.recovered {
            events.push((ops::SUBSCRIPTION_RECOVERED, subscription));
        }
        for (event_type, payload) in events {
            let published = ops::publish(
                self.inner.store.as_ref(),
                self,
                &job.event.account_id,
                event_type,
                payload,
            )
            .await;
            if let Err(e) = published {
                tracing::error!(account.id = %job.event.account_id, event.type = event_type, error = %e, "publishing an operational event failed")
            }
        }
    }
}

/// The span of one attempt (exported when traces are on, see `telemetry`; otherwise disabled, at no cost):
/// a child of the span that published its (first) event, whenever and wherever the attempt runs; the
/// other events of a batch are linked.
fn attempt_span(jobs: &[DeliveryJob]) -> tracing::Span {
    let job = &jobs[0];
    let span = tracing::info_span!(
        target: crate::telemetry::SPANS, parent: None, "attempt", otel.kind = "client",
        delivery.id = %job.delivery_id, event.id = %job.event.id, event.type = %job.event.event_type,
        subscription.id = %job.subscription.id, account.id = %job.event.account_id, app.id = %job.event.app_id,
        attempt = job.attempts + 1, batch.size = jobs.len() as i64, server.address = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty, error.message = tracing::field::Empty,
        error.type = tracing::field::Empty, outcome = tracing::field::Empty, otel.status_code = tracing::field::Empty,
    );
    if !span.is_disabled() {
        crate::telemetry::set_stored_parent(&span, job.event.traceparent.as_deref());
        for other in &jobs[1..] {
            crate::telemetry::add_stored_link(&span, other.event.traceparent.as_deref());
        }
    }
    span
}
