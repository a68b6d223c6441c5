//! Retry schedules. The `standard` profile (SPEC §4): the first attempt at once, then retries 5 s, 5 min,
//! 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after each failure, each with ±20 % jitter; a delivery whose
//! tenth attempt fails is dead.

use std::time::Duration;

use rand::Rng;

const STANDARD_SECS: [u64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// How long to wait after the `attempts_made`-th failed attempt, or `None` when the delivery is dead.
pub fn standard_delay(attempts_made: i64) -> Option<Duration> {
    let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
    let base = *STANDARD_SECS.get(index)?;
    Some(jitter(Duration::from_secs(base)))
}

/// ±20 %.
fn jitter(base: Duration) -> Duration {
    base.mul_f64(rand::thread_rng().gen_range(0.8..=1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_standard_schedule_within_jitter() {
        for (n, secs) in STANDARD_SECS.iter().enumerate() {
            let d = standard_delay(n as i64 + 1).unwrap().as_secs_f64();
            let base = *secs as f64;
            assert!(
                d >= base * 0.8 - 1e-9 && d <= base * 1.2 + 1e-9,
                "attempt {}: {d}",
                n + 1
            );
        }
        assert_eq!(standard_delay(10), None, "the tenth failure is final");
        assert_eq!(standard_delay(0), None);
    }
}
