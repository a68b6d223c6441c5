//! Scheduling and admission: which publishes hand their deliveries over in memory, the per-subscription
//! queues they wait in for a slot (served in turn), the slots an attempt holds, and the spill of what
//! waited too long back to the store.

use std::{
    collections::{HashMap, VecDeque},
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use tokio::sync::OwnedSemaphorePermit;

use super::{Dispatcher, Inner, PUBLISH_WAIT, READY_PER_SUBSCRIPTION, READY_WAIT};
use crate::{
    domain::now_ms,
    store::{DeliveryJob, Enabled, Lease},
};

/// Deliveries handed over at publish that wait in memory for a slot, served one subscription at a time
/// in turn, so that one subscription's burst does not hold back the others.
#[derive(Default)]
pub(super) struct Ready {
    pub(super) queues: HashMap<String, VecDeque<(tokio::time::Instant, DeliveryJob)>>,
    /// The subscriptions with waiting deliveries, in the order they are served.
    pub(super) turn: VecDeque<String>,
    pub(super) len: usize,
}

impl Ready {
    pub(super) fn push(&mut self, job: DeliveryJob) {
        let queue = self.queues.entry(job.subscription.id.clone()).or_default();
        if queue.is_empty() {
            self.turn.push_back(job.subscription.id.clone());
        }
        queue.push_back((tokio::time::Instant::now(), job));
        self.len += 1;
    }

    pub(super) fn queued(&self, subscription: &str) -> usize {
        self.queues.get(subscription).map_or(0, VecDeque::len)
    }

    /// Takes out the deliveries waiting since before `cutoff` (all of them with `None`).
    pub(super) fn take_older(&mut self, cutoff: Option<tokio::time::Instant>) -> Vec<DeliveryJob> {
        let mut taken = Vec::new();
        for queue in self.queues.values_mut() {
            while queue
                .front()
                .is_some_and(|(at, _)| cutoff.is_none_or(|c| *at < c))
            {
                taken.extend(queue.pop_front().map(|(_, job)| job));
            }
        }
        self.queues.retain(|_, q| !q.is_empty());
        let queues = &self.queues;
        self.turn.retain(|s| queues.contains_key(s));
        self.len -= taken.len();
        taken
    }
}

/// What [`Dispatcher::admit`] decided for a fresh delivery.
#[derive(Debug)]
pub enum Admission {
    /// Store it leased to this process, then hand it over in memory.
    HandOver(Lease),
    /// Store it as due; the claim loop should look now.
    Claim,
    /// Store it as due; its subscription has every slot taken, and the first of them to free up wakes
    /// the claim loop.
    AtCap,
}

/// One attempt counted in its subscription's in-flight number until dropped (also on a panic).
pub(super) struct Counted {
    pub(super) inner: Arc<Inner>,
    pub(super) subscription: String,
    /// Whether the claim loop looks for more work once this attempt is recorded, whatever the slots: set
    /// for work that came from the store, where the next of a fifo subscription may be waiting for it.
    pub(super) from_store: bool,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.inner.leave(&self.subscription);
        // Deliveries that found no free slot went to the store: the slot freed here may be theirs.
        if self.inner.starved.load(Ordering::Relaxed) || self.inner.is_held(&self.subscription) {
            self.inner.wake.notify_one();
        }
    }
}

/// The slots one attempt holds: a global one and one of its subscription's, given back when dropped.
pub(super) struct Reservation {
    // Dropped in this order: the global slot is free by the time `counted` wakes the claim loop.
    pub(super) _permit: OwnedSemaphorePermit,
    pub(super) counted: Counted,
}

impl Dispatcher {
    /// Whether this process takes a fresh delivery of `subscription` straight from its publish: if so,
    /// the lease to store it under, and the publisher hands the committed delivery over with
    /// [`Dispatcher::hand_over`]. Otherwise the delivery goes through the store: the subscription is
    /// fifo, batching or rate-limited (the claim path orders, groups and paces those), every slot is
    /// taken while due work waits in the store, the subscription's own work waits there or its memory
    /// queue is full, too many deliveries wait in memory already (the bound is checked, not reserved, so
    /// concurrent publishes may pass it by a few), or the dispatcher is stopping.
    pub fn admit(&self, subscription: &Enabled, now: i64) -> Admission {
        let inner = &self.inner;
        let id = subscription.row.id.as_str();
        let takes_hand_over = subscription
            .settings
            .as_ref()
            .is_ok_and(|settings| settings.takes_hand_over());
        if !takes_hand_over
            || inner.closed.load(Ordering::Relaxed)
            || inner.starved.load(Ordering::Relaxed)
        {
            return Admission::Claim;
        }
        if inner.is_held(id) {
            return self.store_behind(id);
        }
        {
            let ready = inner.ready();
            if ready.len >= inner.config.memory_queue {
                return Admission::Claim;
            }
            if ready.queued(id) >= READY_PER_SUBSCRIPTION {
                drop(ready);
                inner.hold(id);
                return self.store_behind(id);
            }
        }
        // The lease also covers the longest wait in memory.
        let until = inner
            .lease_until(now)
            .saturating_add(READY_WAIT.as_millis() as i64);
        Admission::HandOver(Lease {
            owner: inner.node_id.clone(),
            until,
        })
    }

    /// Where a held subscription's fresh delivery goes: behind its work in the store, to be claimed at once
    /// if it has a free slot, else when one of its attempts ends.
    fn store_behind(&self, subscription: &str) -> Admission {
        if self.inner.at_cap(subscription) {
            Admission::AtCap
        } else {
            Admission::Claim
        }
    }

    /// Waits while delivery has fallen behind publishing: while half of `delivery.memory_queue` or more
    /// deliveries wait in memory, until a quarter do, for at most `PUBLISH_WAIT`. A publish calls this
    /// before it stores its deliveries, so that publishers slow to the pace deliveries go out instead of
    /// piling work up in memory and then in the store.
    pub async fn make_room(&self) {
        let inner = &self.inner;
        if inner.ready().len < inner.ready_high() {
            return;
        }
        let deadline = tokio::time::Instant::now() + PUBLISH_WAIT;
        metrics::counter!("hookd_publish_waits_total").increment(1);
        loop {
            let drained = inner.room.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            if inner.ready().len <= inner.ready_low() || inner.closed.load(Ordering::Relaxed) {
                return;
            }
            if tokio::time::timeout_at(deadline, drained).await.is_err() {
                return;
            }
        }
    }

    /// Attempts committed deliveries stored under leases from [`Dispatcher::admit`]: at once where slots
    /// are free, else when they free up.
    pub fn hand_over(&self, jobs: Vec<DeliveryJob>) {
        let inner = &self.inner;
        let mut ready = inner.ready();
        for job in jobs {
            // Behind the subscription's earlier ones, if any wait.
            if ready.queued(&job.subscription.id) == 0 {
                if let Some(reservation) = inner.reserve(&job.subscription.id, false) {
                    self.spawn_attempt(vec![job], reservation, Duration::ZERO);
                    continue;
                }
            }
            ready.push(job);
        }
    }

    /// Starts waiting deliveries while slots are free, one subscription after another.
    pub(super) fn pump(&self) {
        let inner = &self.inner;
        let mut ready = inner.ready();
        let mut passes = ready.turn.len();
        while passes > 0 && inner.slots.available_permits() > 0 {
            let Some(subscription) = ready.turn.pop_front() else {
                break;
            };
            let Some(reservation) = inner.reserve(&subscription, false) else {
                // This one is at its cap: the others may still go.
                ready.turn.push_back(subscription);
                passes -= 1;
                continue;
            };
            let queue = ready.queues.get_mut(&subscription);
            let job = queue.and_then(|q| q.pop_front()).map(|(_, job)| job);
            if ready.queued(&subscription) > 0 {
                ready.turn.push_back(subscription);
            } else {
                ready.queues.remove(&subscription);
                passes = passes.saturating_sub(1);
            }
            if let Some(job) = job {
                ready.len -= 1;
                self.spawn_attempt(vec![job], reservation, Duration::ZERO);
            }
        }
        if ready.len <= inner.ready_low() {
            inner.room.notify_waiters();
        }
    }

    /// Returns deliveries that waited in memory too long (all of them when stopping) to the store.
    pub(super) async fn spill(&self, cutoff: Option<tokio::time::Instant>) {
        let jobs = self.inner.ready().take_older(cutoff);
        if !jobs.is_empty() {
            tracing::debug!(
                count = jobs.len(),
                "deliveries waiting in memory returned to the store"
            );
            for job in &jobs {
                self.inner.hold(&job.subscription.id);
            }
            self.inner.room.notify_waiters();
            self.inner.wake.notify_one();
            self.defer(&jobs, now_ms()).await;
        }
    }

    pub(super) fn spawn_attempt(
        &self,
        unit: Vec<DeliveryJob>,
        reservation: Reservation,
        wait: Duration,
    ) {
        let this = self.clone();
        tokio::spawn(async move {
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            // Boxed, so that the task stays small: tokio moves a task's future on spawn and on completion,
            // and an attempt's state (request, response, record) is several kilobytes.
            Box::pin(this.attempt(unit, reservation)).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::dispatcher::fresh_job;
    use crate::store::{EventRow, JobEvent, SubscriptionRow};

    fn job(id: &str, subscription: &str) -> DeliveryJob {
        let event = std::sync::Arc::new(JobEvent::of(&EventRow::for_test("a.b")));
        fresh_job(&event, &enabled(subscription), id)
    }

    /// A dispatcher on an empty SQLite store, allowing `cap` attempts per subscription.
    async fn dispatcher(dir: &std::path::Path, cap: usize) -> Dispatcher {
        let url = format!("sqlite://{}/hookd.db", dir.display());
        let store = crate::store::SqliteStore::open(&url, crate::config::SqliteSync::Normal)
            .await
            .unwrap();
        let config = crate::config::DeliveryConfig {
            subscription_concurrency: cap,
            ..Default::default()
        };
        let sender = crate::delivery::sender::Sender::new(
            &config,
            crate::delivery::ssrf::Guard::default(),
            None,
        )
        .unwrap();
        Dispatcher::new(
            std::sync::Arc::new(store),
            std::sync::Arc::new(sender),
            crate::crypto::Sealer::new(&[7u8; 32]),
            config,
        )
    }

    fn enabled(id: &str) -> Enabled {
        Enabled::from(SubscriptionRow::for_test(id))
    }

    #[tokio::test]
    async fn a_subscription_whose_work_waits_in_the_store_holds_back_only_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let dispatcher = dispatcher(dir.path(), 2).await;
        let inner = &dispatcher.inner;
        let (slow, healthy) = (enabled("sub_slow"), enabled("sub_healthy"));
        assert!(matches!(dispatcher.admit(&slow, 0), Admission::HandOver(_)));
        // The slow one has both its slots taken and a full memory queue.
        assert!(inner.enter("sub_slow") && inner.enter("sub_slow"));
        for n in 0..READY_PER_SUBSCRIPTION {
            inner.ready().push(job(&format!("d{n}"), "sub_slow"));
        }
        // Its fresh deliveries go to the store, and wait there for its next free slot...
        assert!(matches!(dispatcher.admit(&slow, 0), Admission::AtCap));
        assert!(inner.is_held("sub_slow"));
        // ...while every other subscription still takes the hand-over.
        assert!(matches!(
            dispatcher.admit(&healthy, 0),
            Admission::HandOver(_)
        ));
        // A slot of its own frees up: the claim loop should look now.
        inner.leave("sub_slow");
        assert!(matches!(dispatcher.admit(&slow, 0), Admission::Claim));
        // A claim that took everything it had room for releases the holds of those not at their cap.
        inner.release_holds();
        assert!(!inner.is_held("sub_slow"));
        assert!(inner.enter("sub_slow"));
        inner.hold("sub_slow");
        inner.release_holds();
        assert!(
            inner.is_held("sub_slow"),
            "still at its cap: its work may still wait"
        );
    }

    #[tokio::test]
    async fn deliveries_spilled_back_to_the_store_hold_back_only_their_subscriptions() {
        let dir = tempfile::tempdir().unwrap();
        let dispatcher = dispatcher(dir.path(), 2).await;
        let inner = &dispatcher.inner;
        inner.ready().push(job("d1", "sub_slow"));
        dispatcher.spill(None).await;
        assert_eq!(inner.ready().len, 0);
        assert!(inner.is_held("sub_slow"));
        assert!(!inner.starved.load(Ordering::Relaxed));
        assert!(matches!(
            dispatcher.admit(&enabled("sub_healthy"), 0),
            Admission::HandOver(_)
        ));
        assert!(matches!(
            dispatcher.admit(&enabled("sub_slow"), 0),
            Admission::Claim
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_deliveries_leave_oldest_first_and_the_turns_follow() {
        let mut ready = Ready::default();
        ready.push(job("d1", "s1"));
        ready.push(job("d2", "s2"));
        tokio::time::advance(Duration::from_secs(5)).await;
        ready.push(job("d3", "s1"));
        assert_eq!((ready.len, ready.queued("s1"), ready.turn.len()), (3, 2, 2));
        let cutoff = tokio::time::Instant::now() - Duration::from_secs(1);
        let old: Vec<String> = ready
            .take_older(Some(cutoff))
            .into_iter()
            .map(|j| j.delivery_id)
            .collect();
        let mut sorted = old.clone();
        sorted.sort();
        assert_eq!(sorted, ["d1", "d2"]);
        assert_eq!(ready.len, 1);
        assert_eq!(
            ready.turn,
            ["s1"],
            "s2 has nothing left and leaves the turn"
        );
        let rest: Vec<String> = ready
            .take_older(None)
            .into_iter()
            .map(|j| j.delivery_id)
            .collect();
        assert_eq!(rest, ["d3"]);
        assert!(ready.queues.is_empty() && ready.turn.is_empty() && ready.len == 0);
    }
}
