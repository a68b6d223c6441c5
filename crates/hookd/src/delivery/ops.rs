//! Operational events: what happens to an account's deliveries, published into the account's reserved
//! `ops` app like any other event, so the account can subscribe to them (`delivery.dead`,
//! `subscription.locked`, `subscription.recovered`). Deliveries of the `ops` app itself raise none, so a
//! failing ops receiver cannot feed itself.

use serde_json::Value;

use super::{
    publish::{self, PublishError},
    Dispatcher,
};
use crate::{
    domain::{new_id, now_ms},
    store::{EventRow, Store},
};

/// The reserved app operational events go to.
pub const OPS_APP: &str = "ops";

pub const DELIVERY_DEAD: &str = "delivery.dead";
pub const SUBSCRIPTION_LOCKED: &str = "subscription.locked";
pub const SUBSCRIPTION_RECOVERED: &str = "subscription.recovered";

/// Publishes an operational event into the account's `ops` app, to whichever of its subscriptions take it.
pub async fn publish(
    store: &dyn Store,
    dispatcher: &Dispatcher,
    account_id: &str,
    event_type: &str,
    payload: Value,
) -> Result<(), PublishError> {
    let subscriptions = store.enabled_subscriptions(account_id, OPS_APP).await?;
    let now = now_ms();
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
        schema_version: None,
        schema_violations: None,
        erased_at: None,
    };
    // No wait for room: this runs in an attempt's recording, and ops events are few.
    publish::store_and_start(
        store,
        dispatcher,
        &row,
        Some(&payload),
        &subscriptions,
        false,
    )
    .await?;
    Ok(())
}
