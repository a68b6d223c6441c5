//! A subscription's delivery settings as delivery uses them: its stored strings (filter lists, format,
//! retry policy, batch policy, ordering, limits) parsed once — when the store loads the app's enabled
//! subscriptions into its cache, or when the dispatcher first opens a subscription — and shared as
//! `Arc<Settings>`. Nothing past that point parses a stored string again, and a stored value that does not
//! parse is one error, `Corrupt`, wherever it is met.

use std::time::Duration;

use super::{
    batch::BatchPolicy,
    payload_filter::PayloadFilter,
    retry::{RetryPolicy, Schedule},
    Filter, Format, Ordering,
};

/// Stored rows are written by hookd itself; one that does not parse means corruption or a version skew.
#[derive(Debug, Clone, thiserror::Error)]
#[error("stored {what} is unreadable: {detail}")]
pub struct Corrupt {
    pub what: &'static str,
    pub detail: String,
}

pub fn corrupt(what: &'static str, detail: impl ToString) -> Corrupt {
    Corrupt {
        what,
        detail: detail.to_string(),
    }
}

/// A subscription's settings as stored (the subscription row's columns).
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// JSON list.
    pub event_types: &'a str,
    pub channel_id: Option<&'a str>,
    /// JSON list.
    pub users: &'a str,
    pub format: &'a str,
    /// JSON retry policy; `None`: the format's profile.
    pub retry: Option<&'a str>,
    /// JSON batch policy; `None`: one event per request.
    pub batch: Option<&'a str>,
    pub ordering: &'a str,
    pub rate_limit: Option<i32>,
    pub timeout_ms: Option<i64>,
    /// JSON payload filter; `None`: none.
    pub payload_filter: Option<&'a str>,
}

/// What delivering to a subscription follows, parsed.
#[derive(Debug, Clone)]
pub struct Settings {
    pub filter: Filter,
    /// Narrows `filter` by the payload's content.
    pub payload_filter: Option<PayloadFilter>,
    pub format: Format,
    /// The subscription's retry schedule, or its format's profile.
    pub schedule: Schedule,
    pub batch: Option<BatchPolicy>,
    pub ordering: Ordering,
    /// Deliveries per second at most.
    pub rate_limit: Option<u32>,
    /// The request timeout: the subscription's own, else its profile's; `None`: the server's.
    pub timeout: Option<Duration>,
}

impl Settings {
    pub fn compile(stored: Stored<'_>) -> Result<Self, Corrupt> {
        let list = |what, raw: &str| -> Result<Vec<String>, Corrupt> {
            serde_json::from_str(raw).map_err(|e| corrupt(what, e))
        };
        let filter = Filter::parse(
            &list("event types", stored.event_types)?,
            stored.channel_id,
            &list("users", stored.users)?,
        )
        .map_err(|e| corrupt("filter", e))?;
        let payload_filter = stored
            .payload_filter
            .map(|raw| PayloadFilter::parse(raw).map_err(|e| corrupt("payload filter", e)))
            .transpose()?;
        let format =
            Format::parse(stored.format).ok_or_else(|| corrupt("format", stored.format))?;
        if let Some(raw) = stored.retry {
            RetryPolicy::from_json(raw)
                .and_then(|policy| policy.schedule().ok())
                .ok_or_else(|| corrupt("retry policy", raw))?;
        }
        let schedule = Schedule::of(stored.retry, Some(format));
        let batch = stored
            .batch
            .map(|raw| BatchPolicy::from_json(raw).ok_or_else(|| corrupt("batch", raw)))
            .transpose()?;
        let ordering =
            Ordering::parse(stored.ordering).ok_or_else(|| corrupt("ordering", stored.ordering))?;
        let rate_limit = stored
            .rate_limit
            .map(|r| u32::try_from(r).map_err(|_| corrupt("rate limit", r)))
            .transpose()?;
        let timeout = match stored.timeout_ms {
            Some(ms) => Some(Duration::from_millis(
                u64::try_from(ms).map_err(|_| corrupt("timeout", ms))?,
            )),
            None => schedule.timeout(),
        };
        Ok(Self {
            filter,
            payload_filter,
            format,
            schedule,
            batch,
            ordering,
            rate_limit,
            timeout,
        })
    }

    /// Whether a publish may hand a delivery of this subscription straight to the dispatcher: not when its
    /// deliveries wait to be ordered, batched or paced, which only the store's queue does.
    pub fn takes_hand_over(&self) -> bool {
        self.ordering != Ordering::Fifo && self.batch.is_none() && self.rate_limit.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> Stored<'static> {
        Stored {
            event_types: r#"["order.created"]"#,
            channel_id: None,
            users: "[]",
            format: "native",
            retry: None,
            batch: None,
            ordering: "none",
            rate_limit: None,
            timeout_ms: None,
            payload_filter: None,
        }
    }

    #[test]
    fn compiles_what_is_stored() {
        let s = Settings::compile(Stored {
            retry: Some("[1,2]"),
            rate_limit: Some(5),
            timeout_ms: Some(1500),
            ..stored()
        })
        .unwrap();
        assert!(s.filter.matches("order.created", None, None));
        assert!(!s.filter.matches("order.paid", None, None));
        assert_eq!(s.schedule, Schedule::Delays(vec![1, 2]));
        assert_eq!(s.rate_limit, Some(5));
        assert_eq!(s.timeout, Some(Duration::from_millis(1500)));
        assert!(!s.takes_hand_over());
        assert!(Settings::compile(stored()).unwrap().takes_hand_over());
    }

    #[test]
    fn every_unreadable_value_is_corrupt() {
        for (what, bad) in [
            (
                "event types",
                Stored {
                    event_types: "{",
                    ..stored()
                },
            ),
            (
                "format",
                Stored {
                    format: "xml",
                    ..stored()
                },
            ),
            (
                "retry policy",
                Stored {
                    retry: Some("[1"),
                    ..stored()
                },
            ),
            (
                "batch",
                Stored {
                    batch: Some("7"),
                    ..stored()
                },
            ),
            (
                "ordering",
                Stored {
                    ordering: "lifo",
                    ..stored()
                },
            ),
            (
                "rate limit",
                Stored {
                    rate_limit: Some(-1),
                    ..stored()
                },
            ),
            (
                "timeout",
                Stored {
                    timeout_ms: Some(-5),
                    ..stored()
                },
            ),
        ] {
            assert_eq!(Settings::compile(bad).unwrap_err().what, what);
        }
    }
}
