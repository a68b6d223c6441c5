//! The dispatcher: runs one attempt task per delivery, never more than `delivery.concurrency` at once.
//!
//! Deliveries reach it two ways. A publish the dispatcher admits stores its deliveries already leased to
//! this process and hands them over in memory once committed: they start at once or wait in memory,
//! per subscription, for a slot (no read-back on the happy path). Everything else waits in the store,
//! which is the queue: deliveries not admitted (memory queues full, or the subscription is fifo,
//! batching or rate-limited), deliveries that waited in memory too long, due retries, replays and
//! deliveries left behind by a crash are leased in batches, on a wake or every
//! `delivery.poll_interval_ms`. While the
//! store holds due work waiting for slots, publishes stop handing over so that they queue behind it.
//! A lease covers one attempt (timeout plus a margin for recording it), so a node that dies mid-attempt
//! only delays that delivery until its lease runs out; it is then attempted again (at-least-once).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use serde_json::json;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

use super::{
    batch::BatchPolicy,
    formats::{self, RenderError},
    ops,
    outcome::{FailureKind, Reply},
    retry::Schedule,
    sender::Sender,
};
use crate::{
    config::DeliveryConfig,
    crypto::Sealer,
    domain::{new_id, now_ms, DeliveryStatus, ExtraHeaders, Format, SecretSet},
    sealed,
    store::{
        guards::Slot, health::log_failure, AttemptOutcome, AttemptRow, DeliveryJob, EventRow,
        HealthChange, Lease, LockRule, Store, SubscriptionRow,
    },
};

/// How long a woken dispatcher waits for more slots to free before it claims.
const WAKE_COALESCE: Duration = Duration::from_millis(2);

/// Deliveries leased per store round trip.
const CLAIM_BATCH: usize = 256;
/// Attempts that may wait for their record per delivery slot: recording is group-committed, so a slot is
/// freed once its request is answered rather than once its outcome is on disk.
const RECORDING_PER_SLOT: usize = 4;
/// Deliveries handed over at publish that may wait in memory for a slot, per subscription (in all:
/// `delivery.memory_queue`).
const READY_PER_SUBSCRIPTION: usize = 512;
/// The longest a publish waits for room in memory (see [`Dispatcher::make_room`]).
const PUBLISH_WAIT: Duration = Duration::from_secs(2);
/// A delivery waiting in memory longer than this goes back to the store; its lease covers the wait.
const READY_WAIT: Duration = Duration::from_secs(10);
/// How long a paced delivery goes back to the queue when its slot could not be reserved (database trouble).
const PACE_RETRY_MS: i64 = 1_000;
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
    /// Attempts sent and not yet recorded (their slots are free again): bounded, and waited for at stop.
    recording: Arc<Semaphore>,
    /// Attempts in flight (or waiting for their rate-limit slot) per subscription.
    in_flight: std::sync::Mutex<HashMap<String, usize>>,
    /// Due work may be waiting in the store for a free slot: a finished attempt wakes the claim loop.
    starved: AtomicBool,
    /// Shutting down: nothing more is handed over.
    closed: AtomicBool,
    ready: std::sync::Mutex<Ready>,
    /// Signalled when the deliveries waiting in memory are down to a quarter of `memory_queue`.
    room: Notify,
    /// Subscriptions' secrets and settings as last opened, by subscription id, with the stored fields they
    /// were opened from: an entry serves only while those are unchanged.
    opened: std::sync::Mutex<HashMap<String, (Sealed, Arc<Opened>)>>,
}

/// The most subscriptions whose opened settings are kept; past it the map starts over.
const OPENED_MAX: usize = 10_000;

/// The stored fields a subscription's `Opened` is made from.
#[derive(PartialEq, Eq)]
struct Sealed {
    secrets: Vec<u8>,
    format: String,
    url: String,
    headers: String,
    vendor_secrets: Option<Vec<u8>>,
}

impl Sealed {
    fn of(job: &DeliveryJob) -> Self {
        Self {
            secrets: job.secrets.clone(),
            format: job.format.clone(),
            url: job.url.clone(),
            headers: job.headers.clone(),
            vendor_secrets: job.vendor_secrets.clone(),
        }
    }

    fn matches(&self, job: &DeliveryJob) -> bool {
        self.secrets == job.secrets
            && self.format == job.format
            && self.url == job.url
            && self.headers == job.headers
            && self.vendor_secrets == job.vendor_secrets
    }
}

/// Deliveries handed over at publish that wait in memory for a slot, served one subscription at a time
/// in turn, so that one subscription's burst does not hold back the others.
#[derive(Default)]
struct Ready {
    queues: HashMap<String, VecDeque<(tokio::time::Instant, DeliveryJob)>>,
    /// The subscriptions with waiting deliveries, in the order they are served.
    turn: VecDeque<String>,
    len: usize,
}

impl Ready {
    fn push(&mut self, job: DeliveryJob) {
        let queue = self.queues.entry(job.subscription_id.clone()).or_default();
        if queue.is_empty() {
            self.turn.push_back(job.subscription_id.clone());
        }
        queue.push_back((tokio::time::Instant::now(), job));
        self.len += 1;
    }

    fn queued(&self, subscription: &str) -> usize {
        self.queues.get(subscription).map_or(0, VecDeque::len)
    }

    /// Takes out the deliveries waiting since before `cutoff` (all of them with `None`).
    fn take_older(&mut self, cutoff: Option<tokio::time::Instant>) -> Vec<DeliveryJob> {
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

/// One attempt counted in its subscription's in-flight number until dropped (also on a panic).
struct Counted {
    inner: Arc<Inner>,
    subscription: String,
    /// Whether the claim loop looks for more work once this attempt is recorded, whatever the slots: set
    /// for work that came from the store, where the next of a fifo subscription may be waiting for it.
    from_store: bool,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.inner.leave(&self.subscription);
        // Deliveries that found no free slot went to the store: the slot freed here may be theirs.
        if self.inner.starved.load(Ordering::Relaxed) {
            self.inner.wake.notify_one();
        }
    }
}

/// The slots one attempt holds: a global one and one of its subscription's, given back when dropped.
struct Reservation {
    // Dropped in this order: the global slot is free by the time `counted` wakes the claim loop.
    _permit: OwnedSemaphorePermit,
    counted: Counted,
}

impl Inner {
    /// Publishing waits from this many deliveries waiting in memory...
    fn ready_high(&self) -> usize {
        self.config.memory_queue.div_ceil(2)
    }

    /// ...until they are down to this many.
    fn ready_low(&self) -> usize {
        self.config.memory_queue / 4
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ready(&self) -> std::sync::MutexGuard<'_, Ready> {
        self.ready.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The free attempt slots of each subscription with attempts in flight.
    fn room(&self) -> HashMap<String, i64> {
        let cap = self.config.subscription_concurrency;
        self.in_flight()
            .iter()
            .map(|(id, n)| (id.clone(), cap.saturating_sub(*n) as i64))
            .collect()
    }

    /// Counts an attempt of `subscription` in, unless the subscription is at its cap.
    fn enter(&self, subscription: &str) -> bool {
        let mut in_flight = self.in_flight();
        let n = in_flight.entry(subscription.to_owned()).or_default();
        if *n >= self.config.subscription_concurrency {
            return false;
        }
        *n += 1;
        true
    }

    fn leave(&self, subscription: &str) {
        let mut in_flight = self.in_flight();
        if let Some(n) = in_flight.get_mut(subscription) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                in_flight.remove(subscription);
            }
        }
    }

    /// Takes a global slot and one of `subscription`'s, if both are free.
    fn reserve(self: &Arc<Self>, subscription: &str, from_store: bool) -> Option<Reservation> {
        let permit = self.slots.clone().try_acquire_owned().ok()?;
        if !self.enter(subscription) {
            return None;
        }
        Some(Reservation {
            _permit: permit,
            counted: Counted {
                inner: self.clone(),
                subscription: subscription.to_owned(),
                from_store,
            },
        })
    }

    /// Until when an attempt starting at `now` holds its delivery.
    fn lease_until(&self, now: i64) -> i64 {
        let lease_ms = self
            .config
            .timeout_ms
            .saturating_add(self.config.lease_margin_ms);
        now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX / 4))
    }
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        sender: Arc<Sender>,
        sealer: Sealer,
        config: DeliveryConfig,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(config.concurrency));
        let recording = Arc::new(Semaphore::new(
            config.concurrency.saturating_mul(RECORDING_PER_SLOT),
        ));
        Self {
            inner: Arc::new(Inner {
                store,
                sender,
                sealer,
                config,
                node_id: new_id("node"),
                wake: Notify::new(),
                slots,
                recording,
                in_flight: Default::default(),
                starved: AtomicBool::new(false),
                opened: Default::default(),
                room: Notify::new(),
                closed: AtomicBool::new(false),
                ready: Default::default(),
            }),
        }
    }

    /// Asks the dispatcher to look for due work now (after a publish or a manual retry).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Whether this process takes a fresh delivery of `subscription` straight from its publish: if so,
    /// the lease to store it under, and the publisher hands the committed delivery over with
    /// [`Dispatcher::hand_over`]. None when the delivery should go through the store instead: the
    /// subscription is fifo, batching or rate-limited (the claim path orders, groups and paces those),
    /// due work is waiting in the store for slots, too many deliveries wait in memory already (the bound
    /// is checked, not reserved, so concurrent publishes may pass it by a few), or the dispatcher is
    /// stopping.
    pub fn admit(&self, subscription: &SubscriptionRow, now: i64) -> Option<Lease> {
        let inner = &self.inner;
        if subscription.ordering == "fifo"
            || subscription.batch.is_some()
            || subscription.rate_limit.is_some()
            || inner.closed.load(Ordering::Relaxed)
            || inner.starved.load(Ordering::Relaxed)
        {
            return None;
        }
        {
            let ready = inner.ready();
            if ready.len >= inner.config.memory_queue
                || ready.queued(&subscription.id) >= READY_PER_SUBSCRIPTION
            {
                return None;
            }
        }
        // The lease also covers the longest wait in memory.
        let until = inner
            .lease_until(now)
            .saturating_add(READY_WAIT.as_millis() as i64);
        Some(Lease {
            owner: inner.node_id.clone(),
            until,
        })
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
            if ready.queued(&job.subscription_id) == 0 {
                if let Some(reservation) = inner.reserve(&job.subscription_id, false) {
                    self.spawn_attempt(vec![job], reservation, Duration::ZERO);
                    continue;
                }
            }
            ready.push(job);
        }
    }

    /// Starts waiting deliveries while slots are free, one subscription after another.
    fn pump(&self) {
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
    async fn spill(&self, cutoff: Option<tokio::time::Instant>) {
        let jobs = self.inner.ready().take_older(cutoff);
        if !jobs.is_empty() {
            tracing::debug!(
                count = jobs.len(),
                "deliveries waiting in memory returned to the store"
            );
            self.inner.starved.store(true, Ordering::Relaxed);
            self.inner.room.notify_waiters();
            self.defer(&jobs, now_ms()).await;
        }
    }

    fn spawn_attempt(&self, unit: Vec<DeliveryJob>, reservation: Reservation, wait: Duration) {
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

    /// Runs until `shutdown` turns true, then waits up to `drain` for attempts in flight. Attempts still
    /// running after that are abandoned and their deliveries returned to the queue at once, for another
    /// node or the next start (a receiver may then see such a callback twice: at least once).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, drain: Duration) {
        let inner = &self.inner;
        let poll = Duration::from_millis(inner.config.poll_interval_ms);
        let mut last_reap: Option<tokio::time::Instant> = None;
        tracing::info!(node.id = %inner.node_id, concurrency = inner.config.concurrency, "dispatcher started");
        while !*shutdown.borrow() {
            if let Some(cutoff) = tokio::time::Instant::now().checked_sub(READY_WAIT) {
                self.spill(Some(cutoff)).await;
            }
            if last_reap.is_none_or(|t| t.elapsed() >= REAP_INTERVAL) {
                last_reap = Some(tokio::time::Instant::now());
                match inner.store.release_expired_leases(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        count = n,
                        "returned deliveries with expired leases to the queue"
                    ),
                    Err(e) => {
                        log_failure(inner.store.health(), &e, "releasing expired leases failed")
                    }
                }
            }
            let free = inner.slots.available_permits().min(CLAIM_BATCH);
            if free == 0 {
                // Woken or polled with every slot taken: whatever is due waits for the next free one.
                inner.starved.store(true, Ordering::Relaxed);
            } else if self.claim_and_start(free).await == free {
                inner.starved.store(true, Ordering::Relaxed);
                continue; // a full batch: more may be due
            } else {
                inner.starved.store(false, Ordering::Relaxed);
            }
            tokio::select! {
                _ = inner.wake.notified() => {
                    // Let attempts finishing together free their slots before one claim takes them up.
                    tokio::time::sleep(WAKE_COALESCE).await;
                }
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
        inner.closed.store(true, Ordering::Relaxed);
        self.spill(None).await;
        let all = u32::try_from(inner.config.concurrency).unwrap_or(u32::MAX);
        let all_recorded =
            u32::try_from(inner.config.concurrency.saturating_mul(RECORDING_PER_SLOT))
                .unwrap_or(u32::MAX);
        let idle = async {
            let slots = inner.slots.acquire_many(all).await;
            let recorded = inner.recording.acquire_many(all_recorded).await;
            (slots, recorded)
        };
        match tokio::time::timeout(drain, idle).await {
            Ok(_) => tracing::info!("dispatcher stopped; no attempts in flight"),
            Err(_) => match inner.store.release_leases_of(&inner.node_id).await {
                Ok(n) => tracing::warn!(
                    count = n,
                    "dispatcher stopped with attempts still in flight; their deliveries were returned to the queue"
                ),
                Err(e) => tracing::error!(
                    error = %e,
                    "dispatcher stopped with attempts still in flight; returning them failed, their leases will expire"
                ),
            },
        }
    }

    /// Leases up to `limit` deliveries and starts an attempt for each; returns how many it started.
    async fn claim_and_start(&self, limit: usize) -> usize {
        let inner = &self.inner;
        let now = now_ms();
        let lease_until = inner.lease_until(now);
        let jobs = match inner
            .store
            .claim_due(
                &inner.node_id,
                now,
                lease_until,
                limit as i64,
                &inner.room(),
                inner.config.subscription_concurrency as i64,
            )
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                log_failure(inner.store.health(), &e, "leasing due deliveries failed");
                return 0;
            }
        };
        let started = jobs.len();
        for unit in self.group(jobs, now, lease_until).await {
            let job = &unit[0];
            let Some(reservation) = inner.reserve(&job.subscription_id, true) else {
                // We leased no more than the free slots, so it is the subscription's cap: more of it in
                // one batch than its cap allows (or handed over meanwhile). The rest go back, due now.
                self.defer(&unit, now).await;
                continue;
            };
            let wait = match job.rate_limit.and_then(|r| u32::try_from(r).ok()) {
                Some(rate) => match inner.store.pace(&job.subscription_id, rate).await {
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
    async fn defer(&self, unit: &[DeliveryJob], due: i64) {
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
            let policy = job
                .batch
                .as_deref()
                .and_then(BatchPolicy::from_json)
                .filter(|_| job.payload_expired_at.is_none());
            let Some(policy) = policy else {
                units.push(vec![job]);
                continue;
            };
            let open = batches.iter_mut().find(|(p, b)| {
                b[0].subscription_id == job.subscription_id && b.len() < p.max_events as usize
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
                        &batch[0].subscription_id,
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

    /// One request for a unit (one delivery, or a batch of one subscription's), each delivery's outcome
    /// recorded on its own. The unit's slots are given back once the request is answered.
    async fn attempt(&self, jobs: Vec<DeliveryJob>, reservation: Reservation) {
        let inner = &self.inner;
        let job = &jobs[0];
        let span = attempt_span(&jobs);
        let started_at = now_ms();
        let clock = std::time::Instant::now();
        // An unreadable format gets the standard schedule; the render error below records why.
        let schedule = Schedule::of(job.retry.as_deref(), Format::parse(&job.format));
        let timeout = job
            .timeout_ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis)
            .or_else(|| schedule.timeout());
        let rendered = match job.payload_expired_at {
            Some(_) => Err((
                FailureKind::PayloadDropped,
                RenderError::from("the event's payload was dropped by retention; nothing to send"),
            )),
            None if jobs.len() == 1 => self
                .render(job, started_at)
                .map_err(|e| (FailureKind::Render, e)),
            None => self
                .render_batch(&jobs, started_at)
                .map_err(|e| (FailureKind::Render, e)),
        };
        let reply = match rendered {
            Ok((rendered, opened)) => {
                if !span.is_disabled() {
                    let host = url::Url::parse(&opened.url).ok();
                    span.record("server.address", host.as_ref().and_then(url::Url::host_str));
                }
                inner
                    .sender
                    .send(
                        &opened.url,
                        &job.delivery_id,
                        &rendered,
                        &opened.headers,
                        timeout,
                    )
                    .await
            }
            Err((kind, problem)) => Reply::failed(kind, problem.0),
        };
        let duration = clock.elapsed();
        if !span.is_disabled() {
            span.record("http.response.status_code", reply.status.map(i64::from));
            span.record("error.message", reply.error.as_deref());
            span.record("error.type", reply.failure.map(FailureKind::as_str));
        }
        let recording = inner.recording.clone().acquire_owned().await;
        let from_store = reservation.counted.from_store;
        drop(reservation);
        self.pump();
        // A batch's outcomes are submitted together, so they share one group commit.
        futures_util::future::join_all(
            jobs.iter()
                .map(|job| self.finish(job, &schedule, &reply, started_at, duration, &span)),
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
        let expired = job.payload_expired_at.is_some();
        let (status, next_attempt_at) = if reply.is_success() {
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
                subscription.id = %job.subscription_id, account.id = %job.account_id,
                "receiver answered 410 Gone; subscription disabled"
            );
        }
        metrics::histogram!("hookd_attempt_duration_seconds").record(duration.as_secs_f64());
        metrics::counter!("hookd_deliveries_total", "outcome" => if status == DeliveryStatus::Retrying { "failed" } else { status.as_str() })
            .increment(1);
        tracing::debug!(
            delivery.id = %job.delivery_id, event.id = %job.event_id, subscription.id = %job.subscription_id,
            account.id = %job.account_id, attempt = attempt_no, status_code = ?reply.status,
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
            },
            status,
            next_attempt_at,
            lease_owner: inner.node_id.clone(),
            disable_subscription: gone.then(|| job.subscription_id.clone()),
            subscription_id: job.subscription_id.clone(),
            track_health: job.app_id != ops::OPS_APP,
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
        let subscription = json!({ "subscription_id": job.subscription_id, "app_id": job.app_id });
        let mut events = Vec::new();
        if outcome.status == DeliveryStatus::Dead {
            events.push((
                ops::DELIVERY_DEAD,
                json!({
                    "delivery_id": job.delivery_id,
                    "event_id": job.event_id,
                    "event_type": job.event_type,
                    "subscription_id": job.subscription_id,
                    "app_id": job.app_id,
                    "attempts": outcome.attempt.attempt_no,
                    "last_status_code": outcome.attempt.status_code,
                    "last_error": outcome.attempt.error,
                }),
            ));
        }
        if change.locked {
            tracing::warn!(subscription.id = %job.subscription_id, account.id = %job.account_id, "subscription locked: its attempts keep failing");
            events.push((ops::SUBSCRIPTION_LOCKED, subscription.clone()));
        }
        if change.recovered {
            events.push((ops::SUBSCRIPTION_RECOVERED, subscription));
        }
        for (event_type, payload) in events {
            match ops::publish(
                self.inner.store.as_ref(),
                &job.account_id,
                event_type,
                payload,
            )
            .await
            {
                Ok(true) => self.inner.wake.notify_one(),
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(account.id = %job.account_id, event.type = event_type, error = %e, "publishing an operational event failed")
                }
            }
        }
    }

    /// The subscription's secrets and settings, opened once per change of the stored fields.
    fn open(&self, job: &DeliveryJob) -> Result<Arc<Opened>, RenderError> {
        let lock = || self.inner.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((sealed, opened)) = lock().get(&job.subscription_id) {
            if sealed.matches(job) {
                return Ok(opened.clone());
            }
        }
        let opened = Arc::new(open_sealed(&self.inner.sealer, job)?);
        let mut cache = lock();
        if cache.len() >= OPENED_MAX {
            cache.clear();
        }
        cache.insert(
            job.subscription_id.clone(),
            (Sealed::of(job), opened.clone()),
        );
        Ok(opened)
    }

    /// Builds the request of one delivery.
    fn render(
        &self,
        job: &DeliveryJob,
        now: i64,
    ) -> Result<(formats::Rendered, Arc<Opened>), RenderError> {
        let opened = self.open(job)?;
        let rendered = render_opened(&opened, job, now)?;
        Ok((rendered, opened))
    }

    /// Builds the one request of a batch (all of one subscription).
    fn render_batch(
        &self,
        jobs: &[DeliveryJob],
        now: i64,
    ) -> Result<(formats::Rendered, Arc<Opened>), RenderError> {
        let opened = self.open(&jobs[0])?;
        let events: Vec<formats::EventView<'_>> = jobs.iter().map(event_view).collect();
        let rendered = formats::render_batch(opened.format, &events, &opened.secrets, now)?;
        Ok((rendered, opened))
    }
}

/// The span of one attempt (exported when traces are on, see `telemetry`; otherwise disabled, at no cost):
/// a child of the span that published its (first) event, whenever and wherever the attempt runs; the
/// other events of a batch are linked.
fn attempt_span(jobs: &[DeliveryJob]) -> tracing::Span {
    let job = &jobs[0];
    let span = tracing::info_span!(
        target: crate::telemetry::SPANS, parent: None, "attempt", otel.kind = "client",
        delivery.id = %job.delivery_id, event.id = %job.event_id, event.type = %job.event_type,
        subscription.id = %job.subscription_id, account.id = %job.account_id, app.id = %job.app_id,
        attempt = job.attempts + 1, batch.size = jobs.len() as i64, server.address = tracing::field::Empty,
        http.response.status_code = tracing::field::Empty, error.message = tracing::field::Empty,
        error.type = tracing::field::Empty, outcome = tracing::field::Empty, otel.status_code = tracing::field::Empty,
    );
    if !span.is_disabled() {
        crate::telemetry::set_stored_parent(&span, job.traceparent.as_deref());
        for other in &jobs[1..] {
            crate::telemetry::add_stored_link(&span, other.traceparent.as_deref());
        }
    }
    span
}

/// A subscription's secrets and settings, opened for one attempt.
struct Opened {
    secrets: SecretSet,
    format: Format,
    /// The target with a queue URL's password.
    url: String,
    headers: ExtraHeaders,
    vendor: BTreeMap<String, String>,
}

/// Opens a job's sealed secrets and settings.
fn open_sealed(sealer: &Sealer, job: &DeliveryJob) -> Result<Opened, RenderError> {
    let secrets = sealer
        .unseal(&job.secrets)
        .map_err(|e| e.to_string())
        .and_then(|raw| SecretSet::from_json(&raw).map_err(|e| e.to_string()))?;
    let format =
        Format::parse(&job.format).ok_or_else(|| format!("unknown format `{}`", job.format))?;
    let url = sealed::open_url(sealer, &job.url).map_err(|e| format!("url: {e}"))?;
    let headers = sealed::open_headers(sealer, &job.headers)
        .and_then(|map| ExtraHeaders::parse(&map).map_err(|e| e.to_string()))?;
    let vendor: BTreeMap<String, String> = match &job.vendor_secrets {
        Some(sealed) => {
            let raw = sealer.unseal(sealed).map_err(|e| e.to_string())?;
            serde_json::from_slice(&raw).map_err(|e| e.to_string())?
        }
        None => BTreeMap::new(),
    };
    Ok(Opened {
        secrets,
        format,
        url,
        headers,
        vendor,
    })
}

/// Builds the request of one delivery with its subscription's opened secrets and settings.
fn render_opened(
    opened: &Opened,
    job: &DeliveryJob,
    now: i64,
) -> Result<formats::Rendered, RenderError> {
    let target = formats::TargetView {
        subscription_id: &job.subscription_id,
        app_id: &job.app_id,
        url: &opened.url,
        vendor: &opened.vendor,
    };
    formats::render(
        opened.format,
        &event_view(job),
        &target,
        &opened.secrets,
        now,
    )
}

/// The request an attempt of `job` made at `now` sends, built as the dispatcher builds it: the format's
/// body and headers (signatures included), and the subscription's extra headers, which the sender adds
/// after them.
pub fn render_request(
    sealer: &Sealer,
    job: &DeliveryJob,
    now: i64,
) -> Result<(formats::Rendered, ExtraHeaders), RenderError> {
    let opened = open_sealed(sealer, job)?;
    let rendered = render_opened(&opened, job, now)?;
    Ok((rendered, opened.headers))
}

fn event_view(job: &DeliveryJob) -> formats::EventView<'_> {
    formats::EventView {
        id: &job.event_id,
        event_type: &job.event_type,
        payload: &job.payload,
        channel_id: job.channel_id.as_deref(),
        user_id: job.user_id.as_deref(),
        created_at_ms: job.event_created_at,
    }
}

/// The job of a delivery just published: what the claim would read back, built from the rows in hand.
pub fn fresh_job(
    event: &EventRow,
    subscription: &SubscriptionRow,
    delivery_id: &str,
) -> DeliveryJob {
    DeliveryJob {
        delivery_id: delivery_id.to_owned(),
        event_id: event.id.clone(),
        account_id: event.account_id.clone(),
        app_id: event.app_id.clone(),
        subscription_id: subscription.id.clone(),
        attempts: 0,
        event_type: event.event_type.clone(),
        payload: event.payload.clone(),
        event_created_at: event.created_at,
        channel_id: event.channel_id.clone(),
        user_id: event.user_id.clone(),
        traceparent: event.traceparent.clone(),
        url: subscription.url.clone(),
        format: subscription.format.clone(),
        secrets: subscription.secrets.clone(),
        headers: subscription.headers.clone(),
        vendor_secrets: subscription.vendor_secrets.clone(),
        retry: subscription.retry.clone(),
        timeout_ms: subscription.timeout_ms,
        rate_limit: subscription.rate_limit,
        payload_expired_at: None,
        batch: subscription.batch.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, subscription: &str) -> DeliveryJob {
        let event = EventRow {
            id: "evt_1".into(),
            account_id: "acc".into(),
            app_id: "app".into(),
            event_type: "a.b".into(),
            payload: "{}".into(),
            channel_id: None,
            user_id: None,
            idempotency_key: None,
            request_hash: None,
            created_at: 0,
            traceparent: None,
        };
        let sub = SubscriptionRow {
            id: subscription.into(),
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
        };
        fresh_job(&event, &sub, id)
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
