//! Operational events: what happens to an account's deliveries, published into the account's reserved
//! `ops` app like any other event, so the account can subscribe to them (`delivery.dead`,
//! `subscription.locked`, `subscription.recovered`). Deliveries of the `ops` app itself raise none, so a
//! failing ops receiver cannot feed itself.

use serde_json::Value;

use crate::domain::batch::BatchPolicy;
use crate::{
    domain::{new_id, now_ms},
    store::{EventRow, NewDelivery, Store, SubscriptionRow},
    views::{Corrupt, Subscription},
};

/// The reserved app operational events go to.
pub const OPS_APP: &str = "ops";

pub const DELIVERY_DEAD: &str = "delivery.dead";
pub const SUBSCRIPTION_LOCKED: &str = "subscription.locked";
pub const SUBSCRIPTION_RECOVERED: &str = "subscription.recovered";

/// One new delivery for each of `subscriptions` whose filter takes the event, due at `now` (a batching
/// subscription's after its wait).
pub fn matching_deliveries(
    subscriptions: &[SubscriptionRow],
    event_type: &str,
    channel_id: Option<&str>,
    user_id: Option<&str>,
    now: i64,
) -> Result<Vec<NewDelivery>, Corrupt> {
    let mut deliveries = Vec::new();
    for row in subscriptions {
        let sub = Subscription::try_from(row)?;
        if sub.filter()?.matches(event_type, channel_id, user_id) {
            let wait = sub.batch.map_or(0, |b| i64::from(b.max_wait_ms));
            deliveries.push(NewDelivery {
                id: new_id("dlv"),
                subscription_id: sub.id,
                due_at: now + wait,
                lease: None,
            });
        }
    }
    Ok(deliveries)
}

/// A delivery that fills its subscription's batch is due at once rather than after the wait.
pub async fn release_full_batches(
    store: &dyn Store,
    subscriptions: &[SubscriptionRow],
    deliveries: &mut [NewDelivery],
    now: i64,
) -> Result<(), crate::store::StoreError> {
    for delivery in deliveries.iter_mut().filter(|d| d.due_at > now) {
        let policy = subscriptions
            .iter()
            .find(|s| s.id == delivery.subscription_id)
            .and_then(|s| s.batch.as_deref())
            .and_then(BatchPolicy::from_json);
        if let Some(policy) = policy {
            let waiting = store.pending_count(&delivery.subscription_id).await?;
            if waiting + 1 >= i64::from(policy.max_events) {
                delivery.due_at = now;
            }
        }
    }
    Ok(())
}

/// Why an operational event was not published.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
}

/// Publishes an operational event into the account's `ops` app; returns whether any subscription takes it.
pub async fn publish(
    store: &dyn Store,
    account_id: &str,
    event_type: &str,
    payload: Value,
) -> Result<bool, OpsError> {
    let subscriptions = store.enabled_subscriptions(account_id, OPS_APP).await?;
    let now = now_ms();
    let mut deliveries = matching_deliveries(&subscriptions, event_type, None, None, now)?;
    release_full_batches(store, &subscriptions, &mut deliveries, now).await?;
    let row = EventRow {
        id: new_id("evt"),
        account_id: account_id.to_owned(),
        app_id: OPS_APP.to_owned(),
        event_type: event_type.to_owned(),
        payload: payload.to_string(),
        channel_id: None,
        user_id: None,
        idempotency_key: None,
        request_hash: None,
        created_at: now,
        traceparent: None,
    };
    store.insert_event(&row, &deliveries).await?;
    Ok(!deliveries.is_empty())
}
