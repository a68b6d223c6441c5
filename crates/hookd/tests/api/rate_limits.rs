//! Per-subscription rate limits: a subscription limited to 20/s receives at most 20 (±1) in each second,
//! while a backlog of 100 drains at that pace and an unlimited neighbour is not held back.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Receiver, TestApp};

both_backends!(a_limited_subscription_is_paced_and_its_neighbour_is_not);

async fn a_limited_subscription_is_paced_and_its_neighbour_is_not(app: TestApp) {
    // Measures latency: runs while no load-heavy test does.
    let _quiet = crate::helpers::LOAD.write().await;
    let (limited, free) = (Receiver::start().await, Receiver::start().await);
    let t = app.tenant().await;
    let sub = app
        .shop_with(&t, json!({ "url": limited.url, "rate_limit": 20 }))
        .await;
    assert_eq!(sub.body["rate_limit"], 20);
    app.post(
        "/api/v1/apps/shop/subscriptions",
        &t.token,
        json!({ "url": free.url }),
    )
    .await
    .expect(201);

    const EVENTS: usize = 100;
    for n in 0..EVENTS {
        app.post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await
        .expect(201);
    }
    let unlimited = free.wait_for(EVENTS, Duration::from_secs(30)).await;
    let got = limited.wait_for(EVENTS, Duration::from_secs(30)).await;
    assert_eq!(
        got.len(),
        EVENTS,
        "every event arrives at the limited receiver"
    );
    assert_eq!(unlimited.len(), EVENTS);

    // Each second since the first arrival holds at most 20, ±1: attempts leave exactly 50 ms apart, and
    // arrival jitter on a loaded machine may move one across a second's edge.
    let times: Vec<_> = got.iter().map(|r| r.at).collect();
    let mut per_second = std::collections::BTreeMap::<u64, usize>::new();
    for t in &times {
        *per_second
            .entry(t.duration_since(times[0]).as_secs())
            .or_default() += 1;
    }
    let busiest = per_second.values().copied().max().unwrap();
    assert!(
        busiest <= 21,
        "{busiest} requests in one second: {per_second:?}"
    );
    let spread = times[EVENTS - 1].duration_since(times[0]);
    assert!(
        spread >= Duration::from_millis(4_500),
        "100 events at 20/s take about 5 s, not {spread:?}"
    );
    // The neighbour was done long before the paced backlog.
    let free_done = unlimited.iter().map(|r| r.at).max().unwrap();
    assert!(
        free_done < times[EVENTS - 1],
        "the unlimited subscription waited for the limited one"
    );

    // Validation names the field; null removes the limit.
    let path = format!("/api/v1/apps/shop/subscriptions/{}", sub.str("id"));
    let r = app
        .patch(&path, &t.token, json!({ "rate_limit": 0 }))
        .await
        .expect_error(422, "validation_failed");
    assert!(r.message().contains("rate_limit"), "{}", r.message());
    let cleared = app
        .patch(&path, &t.token, json!({ "rate_limit": null }))
        .await
        .expect(200);
    assert!(cleared.body["rate_limit"].is_null());
}
