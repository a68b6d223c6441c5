//! Retry schedules (SPEC §4). `standard`: the first attempt at once, then retries 5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 14 h, 20 h and 24 h after each failure, each with ±20 % jitter; a delivery whose tenth
//! attempt fails is dead. `live`: five retries 1 s apart, each attempt limited to 5 s. `meeting`: 30 s,
//! then 30 s twice more, then every 30 minutes until about 24 hours have passed. A subscription may instead
//! give its own list of delays in seconds (jittered like `standard`); by default its format picks.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::domain::Invalid;

/// Most retries an explicit schedule may list, and the longest delay in it (seconds).
pub const MAX_SCHEDULE_LEN: usize = 50;
pub const MAX_SCHEDULE_DELAY_SECS: u32 = 7 * 24 * 3600;

/// A subscription's retry policy as the API writes it: a profile name, or the delays in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RetryPolicy {
    /// `standard`, `live` or `meeting`.
    #[schema(example = "standard")]
    Profile(String),
    /// Delays in seconds before each retry; the delivery is dead when the list is used up.
    #[schema(example = json!([5, 60, 600]))]
    Schedule(Vec<u32>),
}

impl RetryPolicy {
    /// Checks the policy and gives the schedule it stands for.
    pub fn schedule(&self) -> Result<Schedule, Invalid> {
        match self {
            RetryPolicy::Profile(name) => match name.as_str() {
                "standard" => Ok(Schedule::Profile(Profile::Standard)),
                "live" => Ok(Schedule::Profile(Profile::Live)),
                "meeting" => Ok(Schedule::Profile(Profile::Meeting)),
                other => Err(Invalid::new(
                    "retry",
                    format!(
                        "`{other}` is not a retry profile (standard, live, meeting), nor a list of delays in seconds"
                    ),
                )),
            },
            RetryPolicy::Schedule(delays) => {
                if delays.len() > MAX_SCHEDULE_LEN {
                    return Err(Invalid::new(
                        "retry",
                        format!("may list at most {MAX_SCHEDULE_LEN} delays"),
                    ));
                }
                if let Some(bad) = delays
                    .iter()
                    .find(|d| **d == 0 || **d > MAX_SCHEDULE_DELAY_SECS)
                {
                    return Err(Invalid::new(
                        "retry",
                        format!(
                            "delay {bad} is out of range: each must be 1 to {MAX_SCHEDULE_DELAY_SECS} seconds"
                        ),
                    ));
                }
                Ok(Schedule::Delays(delays.clone()))
            }
        }
    }

    /// The stored text: the JSON of the policy.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(raw: &str) -> Option<Self> {
        serde_json::from_str(raw).ok()
    }
}

/// A checked retry schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Profile(Profile),
    Delays(Vec<u32>),
}

impl Schedule {
    /// The `standard` profile.
    pub fn standard() -> Self {
        Schedule::Profile(Profile::Standard)
    }

    /// The subscription's stored policy, or its format's profile when it has none (or it is unreadable).
    pub fn of(stored: Option<&str>, format: Option<crate::domain::Format>) -> Self {
        stored
            .and_then(RetryPolicy::from_json)
            .and_then(|p| p.schedule().ok())
            .unwrap_or_else(|| {
                Schedule::Profile(format.map_or(Profile::Standard, Profile::for_format))
            })
    }

    /// How long to wait after the `attempts_made`-th failed attempt, or `None` when the delivery is dead.
    pub fn delay(&self, attempts_made: i64) -> Option<Duration> {
        match self {
            Schedule::Profile(p) => p.delay(attempts_made),
            Schedule::Delays(delays) => {
                let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
                Some(jitter(Duration::from_secs(u64::from(*delays.get(index)?))))
            }
        }
    }

    /// The profile's own per-attempt timeout, where the vendor sets one.
    pub fn timeout(&self) -> Option<Duration> {
        match self {
            Schedule::Profile(p) => p.timeout(),
            Schedule::Delays(_) => None,
        }
    }

    pub fn policy(&self) -> RetryPolicy {
        match self {
            Schedule::Profile(p) => RetryPolicy::Profile(p.name().to_owned()),
            Schedule::Delays(d) => RetryPolicy::Schedule(d.clone()),
        }
    }
}

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
    pub fn name(self) -> &'static str {
        match self {
            Profile::Standard => "standard",
            Profile::Live => "live",
            Profile::Meeting => "meeting",
        }
    }

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
    fn policies_are_profiles_or_explicit_delays() {
        let parse = |v: serde_json::Value| serde_json::from_value::<RetryPolicy>(v).unwrap();
        let custom = parse(serde_json::json!([2, 10])).schedule().unwrap();
        let first = custom.delay(1).unwrap().as_secs_f64();
        assert!((1.6..=2.4).contains(&first), "{first}");
        assert!(custom.delay(2).is_some());
        assert_eq!(
            custom.delay(3),
            None,
            "the list used up, the delivery is dead"
        );
        assert_eq!(
            parse(serde_json::json!("live")).schedule().unwrap(),
            Schedule::Profile(Profile::Live)
        );
        for (bad, needle) in [
            (serde_json::json!("fast"), "not a retry profile"),
            (serde_json::json!([0]), "out of range"),
            (serde_json::json!(vec![1; 51]), "at most 50"),
        ] {
            let err = parse(bad.clone()).schedule().unwrap_err();
            assert!(err.message.contains(needle), "{bad}: {}", err.message);
        }
        // Stored policies round-trip; none stored means the format's profile.
        let stored = RetryPolicy::Schedule(vec![3]).to_json();
        assert_eq!(stored, "[3]");
        assert_eq!(Schedule::of(Some(&stored), None), Schedule::Delays(vec![3]));
        assert_eq!(
            Schedule::of(None, Some(crate::domain::Format::Meeting)),
            Schedule::Profile(Profile::Meeting)
        );
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

    proptest::proptest! {
        /// Any valid explicit schedule: the n-th failure waits the n-th delay ±20 %, and the failure after
        /// the last is final.
        #[test]
        fn explicit_schedules_are_followed_within_jitter(
            delays in proptest::collection::vec(1..=MAX_SCHEDULE_DELAY_SECS, 1..=MAX_SCHEDULE_LEN)
        ) {
            let schedule = RetryPolicy::Schedule(delays.clone()).schedule().unwrap();
            for (n, secs) in delays.iter().enumerate() {
                let got = schedule.delay(n as i64 + 1).unwrap().as_secs_f64();
                let base = f64::from(*secs);
                proptest::prop_assert!(got >= base * 0.8 - 1e-6 && got <= base * 1.2 + 1e-6, "{} of {}", got, base);
            }
            proptest::prop_assert_eq!(schedule.delay(delays.len() as i64 + 1), None);
            proptest::prop_assert_eq!(schedule.delay(0), None);
            proptest::prop_assert_eq!(schedule.delay(-1), None);
        }

        /// Every profile ends, and within a day.
        #[test]
        fn profiles_end_within_a_day(attempt in -5i64..100) {
            for profile in [Profile::Standard, Profile::Live, Profile::Meeting] {
                if let Some(delay) = profile.delay(attempt) {
                    proptest::prop_assert!(attempt >= 1);
                    proptest::prop_assert!(delay <= Duration::from_secs(24 * 3600).mul_f64(1.2));
                }
            }
            proptest::prop_assert_eq!(Profile::Standard.delay(10), None);
        }
    }
}
