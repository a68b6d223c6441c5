//! What several nodes on one database must agree on besides the deliveries: request rates (a sliding
//! one-second window per key), delivery pacing (one slot every `1/r` s per key) and single-use nonces.
//!
//! Nonces are rows in both backends, so a captured request stays refused after a restart too. SQLite
//! serves one process (its lock file refuses a second), so its store keeps rates and pacing in memory,
//! which is exact. PostgreSQL keeps them in rows that each node changes with one statement under the row's
//! lock, timed by the database's clock, so the nodes' clocks do not matter; `docs/OPERATIONS.md` states
//! the bounds.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// The rate window: at most `per_second` calls under one key in any window this long.
pub const WINDOW: Duration = Duration::from_secs(1);

/// How far ahead a delivery may wait in memory for its pacing slot (holding a concurrency permit).
pub const HOLD: Duration = Duration::from_secs(2);

/// Keys kept in memory before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

/// What to do with an attempt of a paced subscription.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// Send after waiting this long (zero: at once). The slot is reserved.
    Wait(Duration),
    /// Its slot is further off than [`HOLD`]: return it to the queue, due after this long. Nothing is
    /// reserved.
    Defer(Duration),
}

/// Calls per key in the last [`WINDOW`], in memory: a log of call times, so the (N+1)th call inside any
/// one second is refused, as vendors' SDK users expect of "N calls per second".
#[derive(Default)]
pub struct CallLog {
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl CallLog {
    /// Counts one call under `key`; false (and not counted) when `per_second` were made in the last second.
    pub fn allow(&self, key: &str, per_second: u32) -> bool {
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() > MAX_TRACKED {
            recent.retain(|_, calls| {
                calls
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        let calls = recent.entry(key.to_owned()).or_default();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            calls.pop_front();
        }
        if calls.len() >= per_second as usize {
            return false;
        }
        calls.push_back(now);
        true
    }
}

/// Delivery pacing in memory: the generic cell rate algorithm with no burst allowance, so a key limited to
/// `r` per second gets at most one slot every `1/r` s and never more than `r` (plus one at a window's edge)
/// in any one-second window.
#[derive(Default)]
pub struct Pacer {
    /// Theoretical arrival time (Unix ms, fractional) per key: when its next slot opens.
    next_slot: Mutex<HashMap<String, f64>>,
}

impl Pacer {
    /// The next slot of `key`, limited to `per_second`, at `now_ms`.
    pub fn slot(&self, key: &str, per_second: u32, now_ms: i64) -> Slot {
        let interval = interval_ms(per_second);
        let now = now_ms as f64;
        let mut slots = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_TRACKED {
            slots.retain(|_, next| *next > now);
        }
        let next = slots.get(key).copied().unwrap_or(now).max(now);
        let wait = next - now;
        if wait > HOLD.as_millis() as f64 {
            return Slot::Defer(millis(wait.ceil()));
        }
        slots.insert(key.to_owned(), next + interval);
        Slot::Wait(millis(wait))
    }
}

/// The spacing of slots at `per_second` (at least one per second).
pub fn interval_ms(per_second: u32) -> f64 {
    1000.0 / f64::from(per_second.max(1))
}

/// A duration of `ms` milliseconds (fractional; negative reads as zero).
pub fn millis(ms: f64) -> Duration {
    Duration::from_micros((ms.max(0.0) * 1000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_per_key_in_a_sliding_second() {
        let log = CallLog::default();
        assert!(log.allow("ess:a", 2));
        assert!(log.allow("ess:a", 2));
        assert!(!log.allow("ess:a", 2), "the third call inside the second");
        assert!(log.allow("ess:b", 2), "another key has its own budget");
        let cams = (0..11).filter(|_| log.allow("cams:a", 10)).count();
        assert_eq!(cams, 10);
    }

    #[test]
    fn spaces_slots_and_defers_beyond_the_hold() {
        let pacer = Pacer::default();
        let waits: Vec<Slot> = (0..3).map(|_| pacer.slot("s", 20, 1_000)).collect();
        assert_eq!(
            waits,
            [
                Slot::Wait(Duration::ZERO),
                Slot::Wait(Duration::from_millis(50)),
                Slot::Wait(Duration::from_millis(100))
            ]
        );
        // 2 s of slots at 20/s: 40 fit in the hold, the next goes back to the queue until its slot.
        for _ in 3..41 {
            assert!(matches!(pacer.slot("s", 20, 1_000), Slot::Wait(_)));
        }
        assert_eq!(
            pacer.slot("s", 20, 1_000),
            Slot::Defer(Duration::from_millis(2_050))
        );
        // Other keys are unaffected; time passing frees slots.
        assert_eq!(pacer.slot("t", 1, 1_000), Slot::Wait(Duration::ZERO));
        assert_eq!(pacer.slot("s", 20, 4_000), Slot::Wait(Duration::ZERO));
    }

    /// Two PostgreSQL stores on one database stand for two nodes.
    async fn two_nodes() -> Option<(
        crate::store::PgStore,
        crate::store::PgStore,
        crate::store::postgres::ScratchDatabase,
    )> {
        let db = crate::store::postgres::ScratchDatabase::create().await?;
        let a = crate::store::PgStore::open(&db.url, 4, 5_000, std::time::Duration::ZERO)
            .await
            .unwrap();
        let b = crate::store::PgStore::open(&db.url, 4, 5_000, std::time::Duration::ZERO)
            .await
            .unwrap();
        Some((a, b, db))
    }

    #[tokio::test]
    async fn call_rates_hold_across_nodes() {
        use crate::store::{Guards, Store};
        let Some((a, b, db)) = two_nodes().await else {
            return;
        };
        let mut allowed = 0;
        for n in 0..12 {
            let node: &dyn Store = if n % 2 == 0 { &a } else { &b };
            allowed += usize::from(node.allow_call("ess:acct", 5).await.unwrap());
        }
        let other = a.allow_call("ess:other", 5).await.unwrap();
        // Concurrent calls from both nodes are ordered by the row lock: still exactly the rate.
        let burst = futures_util::future::join_all((0..20).map(|n| {
            if n % 2 == 0 {
                a.allow_call("cams:acct", 7)
            } else {
                b.allow_call("cams:acct", 7)
            }
        }))
        .await;
        let burst = burst.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        db.drop().await;
        assert_eq!(
            allowed, 5,
            "calls allowed in one second across two nodes at 5/s"
        );
        assert!(other, "another key has its own budget");
        assert_eq!(burst, 7, "concurrent calls allowed at 7/s");
    }

    #[tokio::test]
    async fn pacing_holds_across_nodes() {
        use crate::store::{Guards, Store};
        let Some((a, b, db)) = two_nodes().await else {
            return;
        };
        let start = Instant::now();
        let mut slots = Vec::new();
        // 20/s: a slot every 50 ms; the hold (2 s) has room for about 40 and the next goes back to the queue.
        for n in 0..80 {
            let node: &dyn Store = if n % 2 == 0 { &a } else { &b };
            let before = start.elapsed();
            let slot = node.pace("sub", 20).await.unwrap();
            slots.push((before, start.elapsed(), slot));
            if matches!(slot, Slot::Defer(_)) {
                break;
            }
        }
        let other = b.pace("other", 20).await.unwrap();
        db.drop().await;
        let (deferred_from, deferred_at, deferred) = slots.pop().unwrap();
        let Slot::Defer(after) = deferred else {
            panic!("80 slots in a row were granted: {slots:?}");
        };
        // Time passes while reserving: the hold moves on by a slot every 50 ms of it.
        let granted = slots.len() as f64;
        let moved = deferred_at.as_secs_f64() * 20.0;
        assert!(
            granted >= 40.0 && granted <= 41.0 + moved,
            "{granted} slots granted in {deferred_at:?}"
        );
        // Slot n opens n intervals after the first, wherever it was reserved. Each answer's wait counts
        // from some moment of its call, so slot n opens between (call start + wait) and (call end + wait);
        // shifted back by n intervals, every slot's range must hold the first slot's opening (±20 ms of
        // clocks). Bounding by the call, not by its end alone, keeps a slow call under load from failing.
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let (mut earliest, mut latest) = (f64::MIN, f64::MAX);
        for (n, (before, after, slot)) in slots.iter().enumerate() {
            let Slot::Wait(wait) = slot else {
                unreachable!()
            };
            let shift = n as f64 * 50.0;
            earliest = earliest.max(ms(*before + *wait) - shift);
            latest = latest.min(ms(*after + *wait) - shift);
        }
        assert!(
            earliest <= latest + 40.0,
            "the slots do not open 50 ms apart: the first would open after {earliest:.1} ms and \
             before {latest:.1} ms ({slots:?})"
        );
        // The deferred delivery is due when the next free slot, the one after the last granted, opens:
        // further off than the hold when the call began (the due time is read a moment after the refusal),
        // and in the same series.
        let shift = granted * 50.0;
        assert!(
            after + (deferred_at - deferred_from) > HOLD,
            "deferred for {after:?}"
        );
        assert!(
            ms(deferred_from + after) - shift <= latest + 40.0
                && ms(deferred_at + after) - shift >= earliest - 40.0,
            "deferred for {after:?}, which is not when slot {granted} opens"
        );
        assert_eq!(other, Slot::Wait(Duration::ZERO));
    }

    #[tokio::test]
    async fn nonces_are_single_use_across_nodes() {
        use crate::store::Guards;
        let Some((a, b, db)) = two_nodes().await else {
            return;
        };
        let first = a.first_use("aliyun:n1", 1_000, 2_000).await.unwrap();
        let replay = b.first_use("aliyun:n1", 1_500, 2_500).await.unwrap();
        let after_expiry = b.first_use("aliyun:n1", 2_000, 3_000).await.unwrap();
        let concurrent = futures_util::future::join_all((0..10).map(|n| {
            if n % 2 == 0 {
                a.first_use("aliyun:n2", 1_000, 2_000)
            } else {
                b.first_use("aliyun:n2", 1_000, 2_000)
            }
        }))
        .await;
        let concurrent = concurrent
            .into_iter()
            .filter(|r| *r.as_ref().unwrap())
            .count();
        db.drop().await;
        assert!(first);
        assert!(
            !replay,
            "a nonce used on one node was accepted on the other"
        );
        assert!(after_expiry, "an expired nonce may be used again");
        assert_eq!(concurrent, 1, "concurrent uses of one nonce");
    }

    #[tokio::test]
    async fn sqlite_nonces_outlive_a_restart() {
        use crate::store::Guards;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let open = || crate::store::SqliteStore::open(&url, crate::config::SqliteSync::Normal);
        let store = open().await.unwrap();
        assert!(store.first_use("tc:n", 1_000, 2_000).await.unwrap());
        assert!(!store.first_use("tc:n", 1_000, 2_000).await.unwrap());
        drop(store);
        let store = open().await.unwrap();
        assert!(
            !store.first_use("tc:n", 1_500, 2_000).await.unwrap(),
            "replayed after a restart"
        );
        assert!(store.first_use("tc:n", 2_000, 3_000).await.unwrap());
    }
}
