//! Fair use of one node among accounts: each account may have at most `account_concurrency` native API
//! requests in progress and, when `account_rate_limit` is set, make at most that many per second (a token
//! bucket holding one second's worth). A request over either bound is refused at once with 429 and
//! `Retry-After`, before it reads its body or touches the store, so an account flooding the API costs the
//! others little: their requests never wait behind its.
//!
//! Both bounds are per node (N nodes admit up to N times as much), kept in memory: they protect a node's
//! CPU and connections, which are per node too.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Accounts tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
struct Usage {
    in_progress: usize,
    /// Tokens left in the bucket, and when it was last filled.
    tokens: f64,
    filled_at: Option<Instant>,
}

pub struct Admission {
    concurrency: usize,
    per_second: u32,
    usage: Mutex<HashMap<String, Usage>>,
}

/// Why a request was refused, and when to try again.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Busy,
    Rate(Duration),
}

impl Refused {
    /// Whole seconds for `Retry-After`, at least one.
    pub fn retry_after_secs(&self) -> u64 {
        match self {
            Refused::Busy => 1,
            Refused::Rate(wait) => wait.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

/// One admitted request; its account's count of requests in progress drops when this does.
pub struct Admitted {
    admission: Arc<Admission>,
    account: String,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut usage = self
            .admission
            .usage
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(u) = usage.get_mut(&self.account) {
            u.in_progress = u.in_progress.saturating_sub(1);
        }
    }
}

impl Admission {
    /// `concurrency` requests in progress per account; `per_second` requests per second (0: no rate).
    pub fn new(concurrency: usize, per_second: u32) -> Arc<Self> {
        Arc::new(Self {
            concurrency,
            per_second,
            usage: Mutex::default(),
        })
    }

    /// Admits one request of `account` now, or says why not.
    pub fn admit(self: &Arc<Self>, account: &str) -> Result<Admitted, Refused> {
        self.admit_at(account, Instant::now())
    }

    fn admit_at(self: &Arc<Self>, account: &str, now: Instant) -> Result<Admitted, Refused> {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        if usage.len() >= MAX_TRACKED && !usage.contains_key(account) {
            let rate = f64::from(self.per_second);
            usage.retain(|_, u| {
                u.in_progress > 0
                    || (rate > 0.0
                        && u.filled_at.is_some_and(|t| {
                            u.tokens + now.duration_since(t).as_secs_f64() * rate < rate
                        }))
            });
        }
        let u = usage.entry(account.to_owned()).or_default();
        if u.in_progress >= self.concurrency {
            return Err(Refused::Busy);
        }
        if self.per_second > 0 {
            let rate = f64::from(self.per_second);
            let filled = match u.filled_at {
                Some(t) => (u.tokens + now.duration_since(t).as_secs_f64() * rate).min(rate),
                None => rate,
            };
            if filled < 1.0 {
                u.tokens = filled;
                u.filled_at = Some(now);
                return Err(Refused::Rate(Duration::from_secs_f64(
                    (1.0 - filled) / rate,
                )));
            }
            u.tokens = filled - 1.0;
            u.filled_at = Some(now);
        }
        u.in_progress += 1;
        Ok(Admitted {
            admission: self.clone(),
            account: account.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_requests_in_progress_per_account() {
        let admission = Admission::new(2, 0);
        let a1 = admission.admit("a").unwrap();
        let _a2 = admission.admit("a").unwrap();
        assert_eq!(admission.admit("a").err(), Some(Refused::Busy));
        let _b = admission
            .admit("b")
            .expect("another account has its own bound");
        drop(a1);
        assert!(
            admission.admit("a").is_ok(),
            "a finished request frees its place"
        );
    }

    #[test]
    fn limits_the_rate_with_one_second_of_burst() {
        let admission = Admission::new(100, 10);
        let start = Instant::now();
        let admitted = (0..15)
            .filter(|_| admission.admit_at("a", start).is_ok())
            .count();
        assert_eq!(admitted, 10, "one second's worth at once");
        let Err(Refused::Rate(wait)) = admission.admit_at("a", start) else {
            panic!("the 11th request in the same instant is refused");
        };
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        assert_eq!(Refused::Rate(wait).retry_after_secs(), 1);
        let later = start + Duration::from_millis(250);
        let refilled = (0..5)
            .filter(|_| admission.admit_at("a", later).is_ok())
            .count();
        assert_eq!(refilled, 2, "a quarter second refills 2.5 tokens");
        assert!(admission.admit_at("b", start).is_ok());
    }
}
