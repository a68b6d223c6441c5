//! How subscriptions are doing, for people fixing them: each one's health counted per app, the failure
//! kinds explained, and a subscription's failing deliveries grouped by how they fail.

use std::collections::BTreeMap;

use super::{Principal, Result, Scope, Service};
use crate::{
    delivery::outcome,
    domain::{Action, DeliveryStatus, SubscriptionStatus},
    views::{FailureGroup, FailureKindInfo, Health, HealthCount},
};

/// Most failure groups one answer lists.
const MAX_GROUPS: i64 = 50;

/// Every failure kind, explained.
pub fn failure_kinds() -> Vec<FailureKindInfo> {
    outcome::ALL
        .iter()
        .map(|kind| {
            let said = kind.explain();
            FailureKindInfo {
                code: kind.as_str(),
                title: said.title,
                advice: said.advice,
                operator_advice: said.operator_advice,
            }
        })
        .collect()
}

impl Service {
    /// Subscriptions per app in each health: of the whole server for the admin acting in no account, else
    /// of the account the caller acts in.
    pub async fn subscription_health(
        &self,
        principal: &Principal,
        requested: Option<&str>,
    ) -> Result<Vec<HealthCount>> {
        let account_id = self
            .account_or_server(principal, requested, Action::SubscriptionsRead)
            .await?;
        let rows = self
            .store
            .subscription_health(account_id.as_deref())
            .await?;
        let mut counts: BTreeMap<(String, String), HealthCount> = BTreeMap::new();
        for row in rows {
            let status = SubscriptionStatus::parse(&row.status)
                .ok_or_else(|| crate::views::corrupt("subscription status", &row.status))?;
            let count = counts
                .entry((row.account_id.clone(), row.app_id.clone()))
                .or_insert_with(|| HealthCount {
                    account_id: row.account_id,
                    app_id: row.app_id,
                    ..HealthCount::default()
                });
            *match Health::of(status, row.failing) {
                Health::Healthy => &mut count.healthy,
                Health::Failing => &mut count.failing,
                Health::Disabled => &mut count.disabled,
                Health::Locked => &mut count.locked,
            } += row.count;
        }
        Ok(counts.into_values().collect())
    }

    /// The subscription's retrying and dead deliveries grouped by how their last attempt failed, most
    /// deliveries first.
    pub async fn failure_groups(
        &self,
        scope: &Scope,
        app_id: &str,
        subscription_id: &str,
    ) -> Result<Vec<FailureGroup>> {
        scope.require(Action::DeliveriesRead)?;
        let sub = self
            .subscription_row(scope, app_id, subscription_id)
            .await?;
        let groups = self
            .store
            .failure_groups(&scope.account_id, &sub.id, MAX_GROUPS)
            .await?;
        Ok(groups.into_iter().map(FailureGroup::from).collect())
    }

    /// How many of each listed event's deliveries are in each status (every status present, zeros too).
    pub(super) async fn delivery_counts(
        &self,
        account_id: &str,
        event_ids: &[&str],
    ) -> Result<BTreeMap<String, BTreeMap<String, i64>>> {
        let zeros: BTreeMap<String, i64> = DeliveryStatus::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        let mut counts: BTreeMap<String, BTreeMap<String, i64>> = event_ids
            .iter()
            .map(|id| ((*id).to_owned(), zeros.clone()))
            .collect();
        for (event, status, n) in self.store.delivery_counts(account_id, event_ids).await? {
            if let Some(per_status) = counts.get_mut(&event) {
                *per_status.entry(status).or_default() += n;
            }
        }
        Ok(counts)
    }
}
