//! Retention: attempt logs of finished deliveries and payloads of fully handled events are dropped once
//! older than their app's retention, or the configured time. Events and deliveries stay (with their attempt counts), so counts and
//! history do; a dropped payload reads as `null` and its dead deliveries can no longer be replayed.

use std::{sync::Arc, time::Duration};

use tokio::sync::watch;

use crate::{domain::now_ms, store::Store};

/// Rows changed per statement, so a sweep never holds the database for long.
const BATCH: i64 = 1_000;

/// Sweeps every tenth of `keep` (between 100 ms and an hour; hourly when `keep` is `None`, forever, and
/// only apps with a retention of their own expire) until `shutdown` turns true.
pub async fn run(
    store: Arc<dyn Store>,
    keep: Option<Duration>,
    mut shutdown: watch::Receiver<bool>,
) {
    let every = keep.map_or(Duration::from_secs(3600), |keep| {
        (keep / 10).clamp(Duration::from_millis(100), Duration::from_secs(3600))
    });
    // "Forever" as a span no stored time is older than (and `now - keep` cannot overflow).
    let keep_ms = keep.map_or(i64::MAX / 2, |keep| {
        i64::try_from(keep.as_millis()).unwrap_or(i64::MAX / 2)
    });
    while !*shutdown.borrow() {
        let now = now_ms();
        let (mut attempts, mut payloads) = (0, 0);
        loop {
            match store.expire(keep_ms, now, BATCH).await {
                Ok((a, p)) => {
                    attempts += a;
                    payloads += p;
                    if a < BATCH as u64 && p < BATCH as u64 {
                        break;
                    }
                }
                Err(e) => {
                    crate::store::health::log_failure(store.health(), &e, "retention sweep failed");
                    break;
                }
            }
        }
        if attempts + payloads > 0 {
            tracing::info!(
                attempts,
                payloads,
                "retention dropped old attempt logs and payloads"
            );
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}
