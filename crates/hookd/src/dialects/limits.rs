//! Guards every dialect shares: per-account, per-action request rates and a replay cache for request
//! nonces.
//!
//! Vendors state their limits as "N calls per second", and their SDK users expect the (N+1)th call inside
//! one second to fail; so the limit is a sliding one-second window (a log of the last N call times per
//! account and action), not a token bucket that refills during the second.
//!
//! Both are kept in this process's memory: with several nodes each enforces its own budget (see the
//! scale-out issue for the shared form).

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

/// Vendor default rates (requests per second per account) by action.
pub const DEFAULT_RATES: &[(&str, u32)] = &[
    ("cams:UpdateAccountWebhook", 10),
    ("cams:UpdatePhoneWebhook", 10),
    ("live:AddLiveSnapshotNotifyConfig", 30),
    ("live:UpdateLiveSnapshotNotifyConfig", 30),
    ("live:DescribeLiveSnapshotNotifyConfig", 30),
    ("live:DeleteLiveSnapshotNotifyConfig", 30),
    ("live:CreateEventSub", 100),
    ("live:UpdateEventSub", 50),
    ("live:DeleteEventSub", 100),
    ("ess:ModifyApplicationCallbackInfo", 20),
];

pub struct ActionLimits {
    /// Calls per second by action.
    rates: HashMap<String, usize>,
    /// Recent call times by (action, account).
    recent: Mutex<HashMap<(String, String), VecDeque<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl ActionLimits {
    /// The vendor defaults, with `overrides` (action → requests per second; 0 removes the limit).
    pub fn new(overrides: &BTreeMap<String, u32>) -> Self {
        let mut rates: HashMap<String, usize> = DEFAULT_RATES
            .iter()
            .map(|(a, r)| (a.to_string(), *r as usize))
            .collect();
        rates.extend(overrides.iter().map(|(a, r)| (a.clone(), *r as usize)));
        rates.retain(|_, rate| *rate > 0);
        Self {
            rates,
            recent: Mutex::default(),
        }
    }

    /// Counts one call of `action` by `account`; false (and not counted) when it already made as many calls
    /// as its rate in the last second.
    pub fn allow(&self, account: &str, action: &str) -> bool {
        let Some(&rate) = self.rates.get(action) else {
            return true;
        };
        let now = Instant::now();
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.len() > 10_000 {
            recent.retain(|_, calls| {
                calls
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
        }
        let calls = recent
            .entry((action.to_owned(), account.to_owned()))
            .or_default();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            calls.pop_front();
        }
        if calls.len() >= rate {
            return false;
        }
        calls.push_back(now);
        true
    }
}

/// Remembers nonces until they expire, so a captured request cannot be sent again.
#[derive(Default)]
pub struct NonceCache {
    seen: Mutex<HashMap<String, i64>>,
}

impl NonceCache {
    /// Records `nonce` until `expires_at` (ms); false if it was already seen and has not expired.
    pub fn first_use(&self, nonce: &str, now: i64, expires_at: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, until| *until > now);
        }
        match seen.get(nonce) {
            Some(until) if *until > now => false,
            _ => {
                seen.insert(nonce.to_owned(), expires_at);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_account_and_action() {
        let limits = ActionLimits::new(&BTreeMap::from([(
            "ess:ModifyApplicationCallbackInfo".to_owned(),
            2,
        )]));
        assert!(limits.allow("a", "ess:ModifyApplicationCallbackInfo"));
        assert!(limits.allow("a", "ess:ModifyApplicationCallbackInfo"));
        assert!(!limits.allow("a", "ess:ModifyApplicationCallbackInfo"));
        assert!(limits.allow("b", "ess:ModifyApplicationCallbackInfo"));
        let cams = (0..11)
            .filter(|_| limits.allow("a", "cams:UpdateAccountWebhook"))
            .count();
        assert_eq!(cams, 10);
        assert!(
            limits.allow("a", "live:ListEventSub"),
            "unlisted actions are not limited"
        );
    }

    #[test]
    fn nonces_are_single_use_until_they_expire() {
        let cache = NonceCache::default();
        assert!(cache.first_use("n1", 0, 100));
        assert!(!cache.first_use("n1", 50, 150));
        assert!(cache.first_use("n1", 100, 200));
    }
}
