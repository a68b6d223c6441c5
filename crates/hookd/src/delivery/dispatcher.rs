//! The dispatcher: leases due deliveries in batches and runs one attempt task per delivery, never more
//! than `delivery.concurrency` at once.
//!
//! The store is the queue. A publish wakes the dispatcher at once; due retries and deliveries left behind
//! by a crash are found by polling every `delivery.poll_interval_ms`. A lease covers one attempt (timeout
//! plus a margin for recording it), so a node that dies mid-attempt only delays that delivery until its
//! lease runs out; it is then attempted again (at-least-once).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use tokio::sync::{watch, Notify, Semaphore};

use super::{formats, retry::Profile, sender::Sender};
use crate::{
    config::DeliveryConfig,
    crypto::Sealer,
    domain::{new_id, now_ms, ExtraHeaders, Format, SecretSet},
    store::{AttemptOutcome, AttemptRow, DeliveryJob, Store},
};

/// Deliveries leased per store round trip.
const CLAIM_BATCH: usize = 256;
/// How often expired leases are returned to the queue.
const REAP_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    sender: Arc<Sender>,
    sealer: Sealer,
    config: DeliveryConfig,
    node_id: String,
    wake: Notify,
    slots: Arc<Semaphore>,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        sender: Arc<Sender>,
        sealer: Sealer,
        config: DeliveryConfig,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(config.concurrency));
        Self {
            inner: Arc::new(Inner {
                store,
                sender,
                sealer,
                config,
                node_id: new_id("node"),
                wake: Notify::new(),
                slots,
            }),
        }
    }

    /// Asks the dispatcher to look for due work now (after a publish or a manual retry).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Runs until `shutdown` turns true, then waits up to `drain` for attempts in flight. Attempts still
    /// running after that keep their leases, which expire and hand the deliveries to the next start.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, drain: Duration) {
        let inner = &self.inner;
        let poll = Duration::from_millis(inner.config.poll_interval_ms);
        let mut last_reap: Option<tokio::time::Instant> = None;
        tracing::info!(node.id = %inner.node_id, concurrency = inner.config.concurrency, "dispatcher started");
        while !*shutdown.borrow() {
            if last_reap.is_none_or(|t| t.elapsed() >= REAP_INTERVAL) {
                last_reap = Some(tokio::time::Instant::now());
                match inner.store.release_expired_leases(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        count = n,
                        "returned deliveries with expired leases to the queue"
                    ),
                    Err(e) => tracing::error!(error = %e, "releasing expired leases failed"),
                }
            }
            let free = inner.slots.available_permits().min(CLAIM_BATCH);
            if free > 0 && self.claim_and_start(free).await == free {
                continue; // a full batch: more may be due
            }
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        let all = u32::try_from(inner.config.concurrency).unwrap_or(u32::MAX);
        match tokio::time::timeout(drain, inner.slots.acquire_many(all)).await {
            Ok(_) => tracing::info!("dispatcher stopped; no attempts in flight"),
            Err(_) => tracing::warn!(
                "dispatcher stopped with attempts still in flight; their leases will expire"
            ),
        }
    }

    /// Leases up to `limit` deliveries and starts an attempt for each; returns how many it started.
    async fn claim_and_start(&self, limit: usize) -> usize {
        let inner = &self.inner;
        let now = now_ms();
        let lease_ms = inner
            .config
            .timeout_ms
            .saturating_add(inner.config.lease_margin_ms);
        let lease_until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX / 4));
        let jobs = match inner
            .store
            .claim_due(&inner.node_id, now, lease_until, limit as i64)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "leasing due deliveries failed");
                return 0;
            }
        };
        let started = jobs.len();
        for job in jobs {
            let Ok(permit) = inner.slots.clone().try_acquire_owned() else {
                // Cannot happen: we leased no more than the free slots. Leave the lease to expire.
                tracing::error!(delivery.id = %job.delivery_id, "no free delivery slot for a leased delivery");
                continue;
            };
            let this = self.clone();
            tokio::spawn(async move {
                this.attempt(job).await;
                drop(permit);
                this.inner.wake.notify_one();
            });
        }
        started
    }

    async fn attempt(&self, job: DeliveryJob) {
        let inner = &self.inner;
        let started_at = now_ms();
        let clock = std::time::Instant::now();
        // An unreadable format gets the standard schedule; the render error below records why.
        let profile = Format::parse(&job.format).map_or(Profile::Standard, Profile::for_format);
        let reply = match self.render(&job, started_at) {
            Ok((rendered, headers)) => {
                inner
                    .sender
                    .send(&job.url, &rendered, &headers, profile.timeout())
                    .await
            }
            Err(problem) => super::sender::Reply::failed(problem),
        };
        let duration = clock.elapsed();
        let attempt_no = job.attempts + 1;
        let finished_at = started_at + duration.as_millis() as i64;
        let (status, next_attempt_at) = if reply.is_success() {
            ("succeeded", None)
        } else {
            match profile.delay(attempt_no) {
                Some(delay) => ("retrying", Some(finished_at + delay.as_millis() as i64)),
                None => ("dead", None),
            }
        };
        metrics::histogram!("hookd_attempt_duration_seconds").record(duration.as_secs_f64());
        metrics::counter!("hookd_deliveries_total", "outcome" => if status == "retrying" { "failed" } else { status })
            .increment(1);
        tracing::debug!(
            delivery.id = %job.delivery_id, event.id = %job.event_id, subscription.id = %job.subscription_id,
            account.id = %job.account_id, attempt = attempt_no, status_code = ?reply.status,
            duration_ms = duration.as_millis() as u64, outcome = status, "attempt finished"
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
            },
            status,
            next_attempt_at,
            lease_owner: inner.node_id.clone(),
        };
        if let Err(e) = inner.store.record_attempt(&outcome).await {
            // The lease will expire and the delivery be attempted again: at-least-once holds.
            tracing::error!(delivery.id = %job.delivery_id, error = %e, "recording an attempt failed");
        }
    }

    /// Opens the subscription's sealed secrets and builds the request.
    fn render(
        &self,
        job: &DeliveryJob,
        now: i64,
    ) -> Result<(formats::Rendered, ExtraHeaders), String> {
        let secrets = self
            .inner
            .sealer
            .unseal(&job.secrets)
            .map_err(|e| e.to_string())
            .and_then(|raw| SecretSet::from_json(&raw).map_err(|e| e.to_string()))?;
        let format =
            Format::parse(&job.format).ok_or_else(|| format!("unknown format `{}`", job.format))?;
        let headers = serde_json::from_str::<BTreeMap<String, String>>(&job.headers)
            .map_err(|e| e.to_string())
            .and_then(|map| ExtraHeaders::parse(&map).map_err(|e| e.to_string()))?;
        let vendor: BTreeMap<String, String> = match &job.vendor_secrets {
            Some(sealed) => {
                let raw = self
                    .inner
                    .sealer
                    .unseal(sealed)
                    .map_err(|e| e.to_string())?;
                serde_json::from_slice(&raw).map_err(|e| e.to_string())?
            }
            None => BTreeMap::new(),
        };
        let event = formats::EventView {
            id: &job.event_id,
            event_type: &job.event_type,
            payload: &job.payload,
            channel_id: job.channel_id.as_deref(),
            user_id: job.user_id.as_deref(),
            created_at_ms: job.event_created_at,
        };
        let target = formats::TargetView {
            subscription_id: &job.subscription_id,
            app_id: &job.app_id,
            url: &job.url,
            vendor: &vendor,
        };
        Ok((
            formats::render(format, &event, &target, &secrets, now)?,
            headers,
        ))
    }
}
