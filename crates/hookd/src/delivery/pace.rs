//! Per-subscription rate limits: the generic cell rate algorithm with no burst allowance, so a subscription
//! limited to `r` deliveries per second is sent at most one attempt every `1/r` s and never more than `r`
//! (plus one at a window's edge) in any one-second window. Each attempt reserves the next free slot; an
//! attempt whose slot is near waits for it in memory, one further off goes back to the queue, due at its
//! slot. Slots are kept per process: several nodes each pace on their own.

use std::{collections::HashMap, sync::Mutex, time::Duration};

/// How far ahead an attempt may wait in memory for its slot (holding a concurrency permit).
pub const HOLD: Duration = Duration::from_secs(2);

/// Subscriptions pacing is kept for before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
pub struct Pacer {
    /// Theoretical arrival time (Unix ms, fractional) per subscription: when its next slot opens.
    next_slot: Mutex<HashMap<String, f64>>,
}

/// What to do with an attempt of a rate-limited subscription.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    /// Send after waiting this long (zero: at once). The slot is reserved.
    Wait(Duration),
    /// Return it to the queue, due at this time (Unix ms); nothing is reserved.
    Defer(i64),
}

impl Pacer {
    /// The slot of the next attempt of `subscription`, limited to `per_second`, at `now_ms`.
    pub fn slot(&self, subscription: &str, per_second: u32, now_ms: i64) -> Slot {
        let interval = 1000.0 / f64::from(per_second.max(1));
        let now = now_ms as f64;
        let mut slots = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        if slots.len() >= MAX_TRACKED {
            slots.retain(|_, next| *next > now);
        }
        let next = slots.get(subscription).copied().unwrap_or(now).max(now);
        let wait = next - now;
        if wait > HOLD.as_millis() as f64 {
            return Slot::Defer(next.ceil() as i64);
        }
        slots.insert(subscription.to_owned(), next + interval);
        Slot::Wait(Duration::from_micros((wait * 1000.0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_attempts_and_defers_beyond_the_hold() {
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
        assert_eq!(pacer.slot("s", 20, 1_000), Slot::Defer(3_050));
        // Other subscriptions are unaffected; time passing frees slots.
        assert_eq!(pacer.slot("t", 1, 1_000), Slot::Wait(Duration::ZERO));
        assert_eq!(pacer.slot("s", 20, 4_000), Slot::Wait(Duration::ZERO));
    }
}
