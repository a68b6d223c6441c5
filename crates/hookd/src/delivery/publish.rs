//! The one way an event and its deliveries are stored and started, for the service's publish (after its
//! checks) and for the operational events alike: the app's enabled subscriptions matched, full batches
//! released, room waited for (publishers only), the deliveries due now reserved for the dispatcher's
//! in-memory hand-over (`Dispatcher::admit`), event and deliveries stored in one transaction, then the
//! reserved ones handed over (`Dispatcher::hand_over`) and the claim loop woken for the rest.

use std::sync::Arc;

use super::{
    dispatcher::{fresh_job, Admission},
    Dispatcher,
};
use crate::{
    domain::{new_id, Corrupt},
    store::{AppSubscriptions, Enabled, EventInsert, EventRow, JobEvent, NewDelivery, Store},
};

/// Why an event's deliveries were not stored.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
    #[error(transparent)]
    Backlogged(#[from] super::dispatcher::Backlogged),
}

/// What `store_and_start` stored.
#[derive(Debug)]
pub struct Started {
    /// `DuplicateKey` when another event already holds the idempotency key: nothing was stored.
    pub insert: EventInsert,
    pub deliveries: Vec<NewDelivery>,
}

/// Stores `row` with one delivery per subscription of `subscriptions` (the app's enabled ones) that takes
/// it, and starts those due now. `parsed` is the payload if the caller has parsed it already. With
/// `wait_for_room` (publishers), first refuses while the store's backlog is at its bound
/// (`Dispatcher::check_backlog`) and waits while delivery has fallen behind publishing
/// (`Dispatcher::make_room`).
pub async fn store_and_start(
    store: &dyn Store,
    dispatcher: &Dispatcher,
    row: &EventRow,
    parsed: Option<&serde_json::Value>,
    subscriptions: &AppSubscriptions,
    wait_for_room: bool,
) -> Result<Started, PublishError> {
    let deliveries = matching_deliveries(subscriptions, row, parsed)?;
    start(
        store,
        dispatcher,
        row,
        subscriptions,
        deliveries,
        wait_for_room,
    )
    .await
}

/// Stores `row` with `deliveries` (of `subscriptions`, in their order) and starts those due now: what
/// `store_and_start` does once it has matched, and what a test event (one delivery to a subscription
/// named by the caller, whatever its filter) does.
pub async fn start(
    store: &dyn Store,
    dispatcher: &Dispatcher,
    row: &EventRow,
    subscriptions: &[Arc<Enabled>],
    mut deliveries: Vec<NewDelivery>,
    wait_for_room: bool,
) -> Result<Started, PublishError> {
    let now = row.created_at;
    release_full_batches(store, subscriptions, &mut deliveries, now).await?;
    if wait_for_room && !deliveries.is_empty() {
        dispatcher.check_backlog()?;
        dispatcher.make_room().await;
    }
    let (handed, wake) = reserve(dispatcher, subscriptions, &mut deliveries, now);
    let insert = store.insert_event(row, &deliveries).await?;
    if matches!(insert, EventInsert::Inserted) {
        if wake {
            dispatcher.wake();
        }
        if !handed.is_empty() {
            let event = Arc::new(JobEvent::of(row));
            let jobs = handed
                .iter()
                .map(|&(i, sub)| fresh_job(&event, &subscriptions[sub], &deliveries[i].id))
                .collect();
            dispatcher.hand_over(jobs);
        }
    }
    Ok(Started { insert, deliveries })
}

/// Marks leased the deliveries due now that the dispatcher takes straight from this publish; returns
/// (delivery index, subscription index) for each, and whether the claim loop should look for the others
/// now (not when they are all of subscriptions whose slots are taken: their next free slot wakes it).
/// `deliveries` are in the order of `subscriptions` (see `matching_deliveries`).
fn reserve(
    dispatcher: &Dispatcher,
    subscriptions: &[Arc<Enabled>],
    deliveries: &mut [NewDelivery],
    now: i64,
) -> (Vec<(usize, usize)>, bool) {
    let mut handed = Vec::new();
    let mut wake = false;
    let mut sub = 0;
    for (i, delivery) in deliveries.iter_mut().enumerate() {
        let Some(offset) = subscriptions[sub..]
            .iter()
            .position(|s| s.row.id == delivery.subscription_id)
        else {
            wake = true;
            continue;
        };
        sub += offset;
        if delivery.due_at > now {
            wake = true;
            continue;
        }
        match dispatcher.admit(&subscriptions[sub], now) {
            Admission::HandOver(lease) => {
                delivery.lease = Some(lease);
                handed.push((i, sub));
            }
            Admission::Claim => wake = true,
            Admission::AtCap => {}
        }
    }
    (handed, wake)
}

/// One new delivery for each of `subscriptions` whose filters take the event, due when it was created (a
/// batching subscription's after its wait). The payload is parsed (unless `parsed` is given) only if a
/// subscription that takes the event by its type, channel and user has a payload filter, and only once.
pub fn matching_deliveries(
    subscriptions: &AppSubscriptions,
    event: &EventRow,
    parsed: Option<&serde_json::Value>,
) -> Result<Vec<NewDelivery>, Corrupt> {
    let now = event.created_at;
    let parsed_here = std::cell::OnceCell::new();
    let payload = || {
        parsed.unwrap_or_else(|| {
            // A stored payload is JSON (checked when published); `null` would only match `$exists: false`.
            parsed_here.get_or_init(|| serde_json::from_str(&event.payload).unwrap_or_default())
        })
    };
    let mut deliveries = Vec::new();
    for sub in subscriptions.for_type(&event.event_type) {
        let settings = sub.settings.as_ref().map_err(Clone::clone)?;
        let takes = settings.filter.matches(
            &event.event_type,
            event.channel_id.as_deref(),
            event.user_id.as_deref(),
        ) && settings
            .payload_filter
            .as_ref()
            .is_none_or(|filter| filter.matches(payload()));
        if takes {
            let wait = settings.batch.map_or(0, |b| i64::from(b.max_wait_ms));
            deliveries.push(NewDelivery {
                id: new_id("dlv"),
                subscription_id: sub.row.id.clone(),
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
    subscriptions: &[Arc<Enabled>],
    deliveries: &mut [NewDelivery],
    now: i64,
) -> Result<(), crate::store::StoreError> {
    for delivery in deliveries.iter_mut().filter(|d| d.due_at > now) {
        let policy = subscriptions
            .iter()
            .find(|s| s.row.id == delivery.subscription_id)
            .and_then(|s| s.settings.as_ref().ok())
            .and_then(|settings| settings.batch);
        if let Some(policy) = policy {
            let waiting = store.pending_count(&delivery.subscription_id).await?;
            if waiting + 1 >= i64::from(policy.max_events) {
                delivery.due_at = now;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SubscriptionRow;

    #[test]
    fn the_type_index_finds_what_matching_every_subscription_finds() {
        let lists = [
            r#"["a.b"]"#,
            r#"["a.*"]"#,
            "[]",
            r#"["x.y.*", "c"]"#,
            r#"["c"]"#,
            r#"["a.b.*"]"#,
        ];
        let all: Vec<Arc<Enabled>> = lists
            .iter()
            .enumerate()
            .map(|(i, types)| {
                let mut row = SubscriptionRow::for_test(&format!("sub_{i}"));
                row.event_types = (*types).into();
                Arc::new(row.into())
            })
            .collect();
        let app = AppSubscriptions::from(all.clone());
        let taking = |event_type: &str| -> Vec<String> {
            let event = EventRow::for_test(event_type);
            matching_deliveries(&app, &event, None)
                .unwrap()
                .into_iter()
                .map(|d| d.subscription_id)
                .collect()
        };
        for event_type in [
            "a.b", "a.c", "a.b.c", "a", "x.y", "x.y.z", "x.y.z.w", "c", "d",
        ] {
            let every: Vec<String> = all
                .iter()
                .filter(|s| {
                    s.settings
                        .as_ref()
                        .unwrap()
                        .filter
                        .matches(event_type, None, None)
                })
                .map(|s| s.row.id.clone())
                .collect();
            assert_eq!(taking(event_type), every, "{event_type}");
        }
        assert_eq!(taking("a.b.c"), ["sub_1", "sub_2", "sub_5"]);
        assert_eq!(taking("c"), ["sub_2", "sub_3", "sub_4"]);
        assert_eq!(taking("x.y"), ["sub_2"]);
    }
}
