//! Claiming: leasing due deliveries from the store in batches, grouping a batching subscription's into
//! one request, and deferring what cannot start now (paced, or no slot).

use std::time::Duration;

use tokio::sync::watch;

use super::{Dispatcher, PACE_RETRY_MS};
use crate::{
    domain::batch::BatchPolicy,
    domain::now_ms,
    store::{guards::Slot, health::log_failure, DeliveryJob},
};

/// How often the store is asked to bring its planner's statistics up to date.
const STATISTICS_INTERVAL: Duration = Duration::from_secs(10);

/// A claim slower than this asks for the statistics at once: a queue that grew from empty in the seconds
/// since they were last gathered can make the planner walk every subscription's backlog (seconds per
/// claim) instead of the due index (milliseconds).
const SLOW_CLAIM: Duration = Duration::from_millis(250);

/// The least time between two refreshes asked for by slow claims.
const STATISTICS_GAP: Duration = Duration::from_secs(1);

impl Dispatcher {
    /// Keeps the store's planner statistics current (`Store::refresh_statistics`) until `shutdown` turns
    /// true: a claim is planned from them, and a queue that grew from empty in seconds would otherwise be
    /// planned as if it were still empty. They are looked at every `STATISTICS_INTERVAL`, and at once
    /// (at most every `STATISTICS_GAP`) after a slow claim.
    pub(super) async fn refresh_statistics(self, mut shutdown: watch::Receiver<bool>) {
        let store = &self.inner.store;
        while !*shutdown.borrow() {
            tokio::select! {
                _ = tokio::time::sleep(STATISTICS_INTERVAL) => {}
                _ = self.inner.stale_statistics.notified() => {}
                _ = shutdown.changed() => break,
            }
            match store.refresh_statistics().await {
                Ok(tables) if tables.is_empty() => {}
                Ok(tables) => tracing::debug!(?tables, "refreshed the planner's statistics"),
                Err(e) => log_failure(
                    store.health(),
                    &e,
                    "refreshing the planner's statistics failed",
                ),
            }
            tokio::select! {
                _ = tokio::time::sleep(STATISTICS_GAP) => {}
                _ = shutdown.changed() => break,
            }
        }
    }

    /// Leases up to `limit` deliveries and starts an attempt for each; returns how many it started.
    pub(super) async fn claim_and_start(&self, limit: usize) -> usize {
        let inner = &self.inner;
        let now = now_ms();
        let lease_until = inner.lease_until(now);
        let started_at = std::time::Instant::now();
        let claimed = inner
            .store
            .claim_due(
                &inner.node_id,
                now,
                lease_until,
                limit as i64,
                &inner.room(),
                inner.config.subscription_concurrency as i64,
            )
            .await;
        if started_at.elapsed() > SLOW_CLAIM {
            inner.stale_statistics.notify_one();
        }
        let jobs = match claimed {
            Ok(jobs) => jobs,
            Err(e) => {
                log_failure(inner.store.health(), &e, "leasing due deliveries failed");
                return 0;
            }
        };
        let started = jobs.len();
        for unit in self.group(jobs, now, lease_until).await {
            let job = &unit[0];
            let Some(reservation) = inner.reserve(&job.subscription.id, true) else {
                // We leased no more than the free slots, so it is the subscription's cap: more of it in
                // one batch than its cap allows (or handed over meanwhile). The rest go back, due now.
                self.defer(&unit, now).await;
                continue;
            };
            let wait = match job
                .subscription
                .rate_limit
                .and_then(|r| u32::try_from(r).ok())
            {
                Some(rate) => match inner.store.pace(&job.subscription.id, rate).await {
                    Ok(Slot::Wait(wait)) => wait,
                    Ok(Slot::Defer(after)) => {
                        drop(reservation);
                        self.defer(&unit, now.saturating_add(after.as_millis() as i64))
                            .await;
                        continue;
                    }
                    Err(e) => {
                        log_failure(inner.store.health(), &e, "reserving a pacing slot failed");
                        drop(reservation);
                        self.defer(&unit, now.saturating_add(PACE_RETRY_MS)).await;
                        continue;
                    }
                },
                None => Duration::ZERO,
            };
            self.spawn_attempt(unit, reservation, wait);
        }
        started
    }

    /// Returns leased deliveries to the queue, due at `due`, without counting an attempt.
    pub(super) async fn defer(&self, unit: &[DeliveryJob], due: i64) {
        let ids: Vec<String> = unit.iter().map(|job| job.delivery_id.clone()).collect();
        if let Err(e) = self.inner.store.defer(&ids, &self.inner.node_id, due).await {
            // The leases expire and the deliveries are taken up again later.
            log_failure(
                self.inner.store.health(),
                &e,
                "returning leased deliveries failed",
            );
        }
    }

    /// Turns claimed deliveries into units of work: one delivery each, or, for a batching subscription,
    /// up to its `max_events`, topped up with its other waiting deliveries.
    async fn group(
        &self,
        jobs: Vec<DeliveryJob>,
        now: i64,
        lease_until: i64,
    ) -> Vec<Vec<DeliveryJob>> {
        let mut units = Vec::new();
        let mut batches: Vec<(BatchPolicy, Vec<DeliveryJob>)> = Vec::new();
        for job in jobs {
            // A job whose subscription cannot be opened goes alone: its attempt records why.
            let policy = self
                .open(&job)
                .ok()
                .and_then(|opened| opened.delivery.batch)
                .filter(|_| job.event.payload_expired_at.is_none());
            let Some(policy) = policy else {
                units.push(vec![job]);
                continue;
            };
            let open = batches.iter_mut().find(|(p, b)| {
                b[0].subscription.id == job.subscription.id && b.len() < p.max_events as usize
            });
            match open {
                Some((_, batch)) => batch.push(job),
                None => batches.push((policy, vec![job])),
            }
        }
        for (policy, mut batch) in batches {
            let room = (policy.max_events as usize).saturating_sub(batch.len());
            if room > 0 {
                let lead: Vec<String> = batch.iter().map(|j| j.delivery_id.clone()).collect();
                let more = self
                    .inner
                    .store
                    .claim_batch(
                        &batch[0].subscription.id,
                        &lead,
                        &self.inner.node_id,
                        now,
                        lease_until,
                        room as i64,
                    )
                    .await;
                match more {
                    Ok(more) => batch.extend(more),
                    Err(e) => log_failure(self.inner.store.health(), &e, "leasing a batch failed"),
                }
            }
            units.push(batch);
        }
        units
    }
}
