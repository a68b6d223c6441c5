//! Retry schedules (SPEC §4). `standard`: the first attempt at once, then retries 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 14 h, 20 h and 24 h after each failure, each with ±20 % jitter; a delivery whose tenth
//! attempt fails is dead. `live`: five retries 1 s apart, each attempt limited to 5 s. `meeting`: 30 s,
//! then 30 s twice more, then every 30 minutes until about 24 hours have passed.

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

/// A retry schedule, chosen by the subscription's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Standard,
    Live,
    Meeting,
}

/// Retries of the `meeting` profile at 30-minute spacing, after its three 30-second ones: 47 of them bring
/// the total to 23 h 31.5 min, the last schedule inside 24 hours.
const MEETING_HALF_HOURS: i64 = 47;

impl Profile {
    pub fn for_format(format: crate::domain::Format) -> Self {
        use crate::domain::Format;
        match format {
            Format::LiveSnapshot | Format::LiveRtc => Profile::Live,
            Format::Meeting => Profile::Meeting,
            _ => Profile::Standard,
        }
    }

    /// How long to wait after the `attempts_made`-th failed attempt, or `None` when the delivery is dead.
    pub fn delay(self, attempts_made: i64) -> Option<Duration> {
        match self {
            Profile::Standard => standard_delay(attempts_made),
            Profile::Live => (1..=5)
                .contains(&attempts_made)
                .then(|| Duration::from_secs(1)),
            Profile::Meeting => match attempts_made {
                1..=3 => Some(Duration::from_secs(30)),
                n if n > 3 && n <= 3 + MEETING_HALF_HOURS => Some(Duration::from_secs(30 * 60)),
                _ => None,
            },
        }
    }

    /// A tighter per-attempt timeout than the configured one, where the vendor sets it.
    pub fn timeout(self) -> Option<Duration> {
        (self == Profile::Live).then(|| Duration::from_secs(5))
    }
}

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

    #[test]
    fn live_and_meeting_profiles() {
        let live: Vec<_> = (1..=6).map(|n| Profile::Live.delay(n)).collect();
        assert_eq!(live[..5], [Some(Duration::from_secs(1)); 5]);
        assert_eq!(live[5], None, "five retries, then dead");
        assert_eq!(Profile::Live.timeout(), Some(Duration::from_secs(5)));
        let total: Duration = (1..).map_while(|n| Profile::Meeting.delay(n)).sum();
        assert!(
            total < Duration::from_secs(24 * 3600) && total > Duration::from_secs(23 * 3600),
            "{total:?}"
        );
        assert_eq!(Profile::Meeting.delay(1), Some(Duration::from_secs(30)));
        assert_eq!(Profile::Meeting.delay(4), Some(Duration::from_secs(1800)));
    }
}
