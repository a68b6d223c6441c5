//! The dispatcher: runs one attempt task per delivery, never more than `delivery.concurrency` at once.
//!
//! Deliveries reach it two ways. A publish the dispatcher admits stores its deliveries already leased to
//! this process and hands them over in memory once committed: they start at once or wait in memory,
//! per subscription, for a slot (no read-back on the happy path). Everything else waits in the store,
//! which is the queue: deliveries not admitted (memory queues full, or the subscription is fifo,
//! batching or rate-limited), deliveries that waited in memory too long, due retries, replays and
//! deliveries left behind by a crash are leased in batches, on a wake or every
//! `delivery.poll_interval_ms`. While the
//! store holds due work waiting for slots, publishes stop handing over so that they queue behind it: all
//! publishes when every slot is taken, and only a subscription's own when it is its work that waits
//! (its memory queue was full, or waited too long), so that one slow receiver does not push every other
//! subscription onto the slower claim path.
//! A lease covers one attempt (timeout plus a margin for recording it), so a node that dies mid-attempt
//! only delays that delivery until its lease runs out; it is then attempted again (at-least-once).
//!
//! In parts: `admission` (what a publish hands over, the in-memory queues and slots), `claim` (leasing
//! from the store, batching, pacing), `attempt` (sending and recording) and `render` (opening secrets and
//! building requests); this module holds the shared state and the run loop.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::{watch, Notify, Semaphore};

mod admission;
mod attempt;
mod backlog;
mod claim;
mod render;

pub use admission::Admission;
pub use backlog::{Backlogged, RETRY_AFTER_SECS};
pub use render::{fresh_job, render_request};

use admission::{Counted, Ready, Reservation};
use render::Opened;

use super::sender::Sender;
use crate::{
    config::DeliveryConfig,
    crypto::Sealer,
    domain::{new_id, now_ms},
    store::{health::log_failure, JobSubscription, Store},
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
/// All of a semaphore's permits, held (an error only once it is closed, which the dispatcher never does).
type Permits<'a> = Result<tokio::sync::SemaphorePermit<'a>, tokio::sync::AcquireError>;

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
    /// Subscriptions whose own due work may be waiting in the store (see [`Inner::hold`]): their fresh
    /// deliveries queue behind it, and a finished attempt of theirs wakes the claim loop.
    held: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Shutting down: nothing more is handed over.
    closed: AtomicBool,
    ready: std::sync::Mutex<Ready>,
    /// Signalled when the deliveries waiting in memory are down to a quarter of `memory_queue`.
    room: Notify,
    /// Signalled by a slow claim: the planner's statistics may be stale (see `refresh_statistics`).
    stale_statistics: Notify,
    /// The store's backlog at its last count: publishing is refused at its bound.
    backlog: backlog::Backlog,
    /// Subscriptions' secrets and settings as last opened, by subscription id, with the stored fields they
    /// were opened from: an entry serves only while those are unchanged.
    opened: std::sync::Mutex<HashMap<String, OpenedFrom>>,
}

/// A subscription's opened secrets and settings, with the stored fields they were opened from.
type OpenedFrom = (Arc<JobSubscription>, Arc<Opened>);

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

    fn held(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Notes that `subscription`'s due work waits in the store.
    fn hold(&self, subscription: &str) {
        let mut held = self.held();
        if !held.contains(subscription) {
            held.insert(subscription.to_owned());
        }
    }

    fn is_held(&self, subscription: &str) -> bool {
        self.held().contains(subscription)
    }

    /// After a claim that took everything due it had room for: only subscriptions at their cap may still
    /// have work waiting in the store, and the others hand over again.
    fn release_holds(&self) {
        self.held().retain(|s| self.at_cap(s));
    }

    /// Whether `subscription` has all its attempt slots taken.
    fn at_cap(&self, subscription: &str) -> bool {
        self.in_flight()
            .get(subscription)
            .is_some_and(|n| *n >= self.config.subscription_concurrency)
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
                held: Default::default(),
                opened: Default::default(),
                room: Notify::new(),
                stale_statistics: Notify::new(),
                backlog: Default::default(),
                closed: AtomicBool::new(false),
                ready: Default::default(),
            }),
        }
    }

    /// Asks the dispatcher to look for due work now (after a publish or a manual retry).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// One step of the run loop, which tests drive instead of sleeping: leases what is due now (as a wake
    /// would, batch after batch while batches come back full), then waits until every attempt in flight —
    /// those it started, those handed over at publish, those already running — is answered and recorded,
    /// and nothing waits in memory for a slot. Returns how many deliveries it leased. Runs beside the
    /// loop of [`Dispatcher::run`], which may take some of the due work itself.
    pub async fn tick(&self) -> usize {
        let mut leased = 0;
        loop {
            self.settle().await;
            let free = self.inner.slots.available_permits().min(CLAIM_BATCH);
            let started = self.claim_and_start(free).await;
            leased += started;
            if started < free {
                self.settle().await;
                return leased;
            }
        }
    }

    /// Waits until no attempt is in flight or waiting for its record, and nothing waits in memory.
    async fn settle(&self) {
        let inner = &self.inner;
        loop {
            drop(self.idle().await);
            self.pump();
            if inner.ready().len == 0 && inner.slots.available_permits() == inner.config.concurrency
            {
                return;
            }
        }
    }

    /// Resolves once every attempt slot is free and every attempt's record written, holding them all (so
    /// nothing starts meanwhile) until the result is dropped.
    async fn idle(&self) -> (Permits<'_>, Permits<'_>) {
        let inner = &self.inner;
        let all = u32::try_from(inner.config.concurrency).unwrap_or(u32::MAX);
        let all_recorded =
            u32::try_from(inner.config.concurrency.saturating_mul(RECORDING_PER_SLOT))
                .unwrap_or(u32::MAX);
        let slots = inner.slots.acquire_many(all).await;
        let recorded = inner.recording.acquire_many(all_recorded).await;
        (slots, recorded)
    }

    /// Runs until `shutdown` turns true, then waits up to `drain` for attempts in flight. Attempts still
    /// running after that are abandoned and their deliveries returned to the queue at once, for another
    /// node or the next start (a receiver may then see such a callback twice: at least once).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, drain: Duration) {
        let inner = &self.inner;
        let poll = Duration::from_millis(inner.config.poll_interval_ms);
        let mut last_reap: Option<tokio::time::Instant> = None;
        tracing::info!(node.id = %inner.node_id, concurrency = inner.config.concurrency, "dispatcher started");
        tokio::spawn(self.clone().watch_backlog(shutdown.clone()));
        tokio::spawn(self.clone().refresh_statistics(shutdown.clone()));
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
                // Everything due that had room was taken: only subscriptions still at their cap may have
                // work left in the store.
                inner.starved.store(false, Ordering::Relaxed);
                inner.release_holds();
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
        match tokio::time::timeout(drain, self.idle()).await {
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
}
