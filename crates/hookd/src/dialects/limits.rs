//! The request rates every dialect enforces per account and action. Vendors state their limits as "N calls
//! per second", and their SDK users expect the (N+1)th call inside one second to fail; so the limit is a
//! sliding one-second window, counted by the store so that it holds across all nodes on one database.

use std::collections::{BTreeMap, HashMap};

use crate::service::{self, Service};

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
    rates: HashMap<String, u32>,
}

impl ActionLimits {
    /// The vendor defaults, with `overrides` (action → requests per second; 0 removes the limit).
    pub fn new(overrides: &BTreeMap<String, u32>) -> Self {
        let mut rates: HashMap<String, u32> = DEFAULT_RATES
            .iter()
            .map(|(a, r)| (a.to_string(), *r))
            .collect();
        rates.extend(overrides.iter().map(|(a, r)| (a.clone(), *r)));
        rates.retain(|_, rate| *rate > 0);
        Self { rates }
    }

    /// Counts one call of `action` by `account`; false (and not counted) when it already made as many calls
    /// as its rate in the last second.
    pub async fn allow(
        &self,
        service: &Service,
        account: &str,
        action: &str,
    ) -> service::Result<bool> {
        match self.limit(account, action) {
            Some((key, rate)) => service.allow_call(&key, rate).await,
            None => Ok(true),
        }
    }

    /// The key `account`'s calls of `action` are counted under, and their rate, if the action is limited.
    fn limit(&self, account: &str, action: &str) -> Option<(String, u32)> {
        let rate = *self.rates.get(action)?;
        Some((format!("{action}:{account}"), rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Guards;

    #[tokio::test]
    async fn rates_are_per_account_and_action() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let store = crate::store::SqliteStore::open(&url, crate::config::SqliteSync::Normal)
            .await
            .unwrap();
        let limits = ActionLimits::new(&BTreeMap::from([(
            "ess:ModifyApplicationCallbackInfo".to_owned(),
            2,
        )]));
        let allow = |account: &'static str, action: &'static str| {
            let (limits, store) = (&limits, &store);
            // What `allow` asks the service, which asks the store.
            async move {
                match limits.limit(account, action) {
                    Some((key, rate)) => store.allow_call(&key, rate).await.unwrap(),
                    None => true,
                }
            }
        };
        assert!(allow("a", "ess:ModifyApplicationCallbackInfo").await);
        assert!(allow("a", "ess:ModifyApplicationCallbackInfo").await);
        assert!(!allow("a", "ess:ModifyApplicationCallbackInfo").await);
        assert!(allow("b", "ess:ModifyApplicationCallbackInfo").await);
        let mut cams = 0;
        for _ in 0..11 {
            cams += usize::from(allow("a", "cams:UpdateAccountWebhook").await);
        }
        assert_eq!(cams, 10);
        assert!(
            allow("a", "live:ListEventSub").await,
            "unlisted actions are not limited"
        );
    }
}
