//! Backpressure at the store. Memory is bounded by the admission (`delivery.memory_queue`, and publishes
//! waiting for room); what is not admitted waits in the store, which is bounded here: every
//! [`CHECK_INTERVAL`] the deliveries due and waiting in the store are counted (across every process on
//! the database, up to the bound), and from `delivery.max_backlog` of them publishing is refused, with
//! `Retry-After`, until fewer than nine tenths of the bound wait. Publishers then see the same signal a
//! full disk or a failing database gives them (503 and when to come back) before the backlog grows
//! without bound.

use std::{
    sync::atomic::{AtomicBool, AtomicI64, Ordering},
    time::Duration,
};

use tokio::sync::watch;

use super::Dispatcher;
use crate::{domain::now_ms, store::health::log_failure};

/// How often the waiting deliveries are counted.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// What a refused publisher is told to wait, in seconds.
pub const RETRY_AFTER_SECS: u64 = 5;

/// What the last count found.
#[derive(Default)]
pub(super) struct Backlog {
    /// Deliveries due and waiting in the store at the last count (at most the bound).
    waiting: AtomicI64,
    /// At the bound: publishing is refused.
    full: AtomicBool,
}

/// Publishing is refused: this many deliveries (at least) wait in the store.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error(
    "delivery has fallen behind publishing: {waiting} deliveries are due and waiting \
     (delivery.max_backlog); retry in {RETRY_AFTER_SECS} s"
)]
pub struct Backlogged {
    pub waiting: i64,
}

impl Backlog {
    /// Takes a new count: full from `bound`, not full again below nine tenths of it.
    fn update(&self, waiting: i64, bound: i64) {
        self.waiting.store(waiting, Ordering::Relaxed);
        let was_full = self.full.load(Ordering::Relaxed);
        let full = if was_full {
            waiting.saturating_mul(10) >= bound.saturating_mul(9)
        } else {
            waiting >= bound
        };
        if full != was_full {
            self.full.store(full, Ordering::Relaxed);
            if full {
                tracing::warn!(
                    waiting,
                    "delivery has fallen behind publishing: publishes are refused until the backlog shrinks"
                );
            } else {
                tracing::info!(waiting, "the backlog shrank: publishes are accepted again");
            }
        }
        metrics::gauge!("hookd_delivery_backlog").set(waiting as f64);
    }
}

impl Dispatcher {
    /// Refuses a publish while the store's backlog is at its bound.
    pub fn check_backlog(&self) -> Result<(), Backlogged> {
        let backlog = &self.inner.backlog;
        if backlog.full.load(Ordering::Relaxed) {
            return Err(Backlogged {
                waiting: backlog.waiting.load(Ordering::Relaxed),
            });
        }
        Ok(())
    }

    /// Counts the waiting deliveries every [`CHECK_INTERVAL`] until `shutdown` turns true. A count that
    /// fails leaves the last one standing: the storage's own faults refuse publishes meanwhile.
    pub(super) async fn watch_backlog(self, mut shutdown: watch::Receiver<bool>) {
        let inner = &self.inner;
        let bound = i64::try_from(inner.config.max_backlog).unwrap_or(i64::MAX);
        while !*shutdown.borrow() {
            match inner.store.waiting_count(now_ms(), bound).await {
                Ok(waiting) => inner.backlog.update(waiting, bound),
                Err(e) => log_failure(inner.store.health(), &e, "counting the backlog failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(CHECK_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_from_the_bound_until_below_nine_tenths() {
        let backlog = Backlog::default();
        let full = |b: &Backlog| b.full.load(Ordering::Relaxed);
        backlog.update(99, 100);
        assert!(!full(&backlog));
        backlog.update(100, 100);
        assert!(full(&backlog));
        backlog.update(90, 100);
        assert!(full(&backlog), "still full at nine tenths");
        backlog.update(89, 100);
        assert!(!full(&backlog));
        backlog.update(95, 100);
        assert!(!full(&backlog), "not full again below the bound");
    }
}
