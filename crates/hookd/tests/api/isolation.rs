//! Isolation: a subscription whose receiver sleeps past the timeout, with a backlog larger than all the
//! delivery slots (it may hold 64 of the 256 this test allows), does not hold back 20 healthy subscriptions. Their event→receipt latency is measured
//! without and then with the slow one, and compared.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::both_backends_with;
use crate::helpers::{Answer, Receiver, Tenant, TestApp};

both_backends_with!(fewer_slots => a_slow_receiver_does_not_delay_healthy_ones);

/// Fewer delivery slots than the default, so that the slow subscription's backlog exceeds them all.
fn fewer_slots(c: &mut hookd::config::Config) {
    c.delivery.concurrency = 256;
}

const HEALTHY: usize = 20;
/// Spread over 6 s, so the measurement spans several waves of the slow receiver's timed-out attempts.
const EVENTS: usize = 60;

/// Publishes `EVENTS` events to `shop` one by one; returns the median event→receipt latency over all
/// healthy deliveries.
async fn median_latency(app: &TestApp, t: &Tenant, receiver: &Receiver) -> Duration {
    let before = receiver.requests().len();
    let mut published = HashMap::new();
    for n in 0..EVENTS {
        let id = app
            .post(
                "/api/v1/apps/shop/events",
                &t.token,
                json!({ "type": "t", "payload": { "n": n } }),
            )
            .await
            .expect(201)
            .str("id");
        published.insert(id, Instant::now());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let got = receiver
        .wait_for(before + HEALTHY * EVENTS, Duration::from_secs(60))
        .await;
    assert_eq!(
        got.len(),
        before + HEALTHY * EVENTS,
        "every healthy delivery arrived"
    );
    let mut latencies: Vec<Duration> = got[before..]
        .iter()
        .map(|r| {
            let id = r.headers["webhook-id"].to_str().unwrap();
            r.at.saturating_duration_since(published[id])
        })
        .collect();
    latencies.sort();
    latencies[latencies.len() / 2]
}

async fn a_slow_receiver_does_not_delay_healthy_ones(app: TestApp) {
    // Measures latency: runs while no load-heavy test does.
    let _quiet = crate::helpers::LOAD.write().await;
    let healthy = Receiver::start().await;
    let slow = Receiver::start().await;
    // Past the tests' 2 s timeout, every time.
    slow.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_secs(3)),
        2_000,
    ));
    let t = app.tenant().await;
    for id in ["shop", "slow"] {
        app.post("/api/v1/apps", &t.token, json!({ "id": id }))
            .await
            .expect(201);
    }
    for _ in 0..HEALTHY {
        app.post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": healthy.url }),
        )
        .await
        .expect(201);
    }
    let alone = median_latency(&app, &t, &healthy).await;

    app.post(
        "/api/v1/apps/slow/subscriptions",
        &t.token,
        json!({ "url": slow.url }),
    )
    .await
    .expect(201);
    // A backlog of 300, more than the 256 delivery slots.
    for n in 0..300 {
        app.post(
            "/api/v1/apps/slow/events",
            &t.token,
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await
        .expect(201);
    }
    let busy = slow.wait_for(10, Duration::from_secs(10)).await;
    assert!(busy.len() >= 10, "the slow receiver is being called");
    let beside_slow = median_latency(&app, &t, &healthy).await;
    eprintln!("median latency alone {alone:?}, beside the slow receiver {beside_slow:?}");
    // At tens of milliseconds scheduler noise dominates, so the baseline counts as at least 50 ms.
    let bound = 2 * alone.max(Duration::from_millis(50));
    assert!(
        beside_slow <= bound,
        "healthy latency {beside_slow:?} beside the slow receiver, {alone:?} alone"
    );
    // Every slow attempt lasts the 2 s timeout, so requests that arrived within 1.5 s of each other
    // were in flight together.
    let arrivals: Vec<Instant> = slow.requests().iter().map(|r| r.at).collect();
    let together = arrivals
        .iter()
        .map(|&first| {
            arrivals
                .iter()
                .filter(|&&at| at >= first && at < first + Duration::from_millis(1_500))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        together <= 64 + 16,
        "the slow subscription is capped at 64 attempts at once, yet {together} were in flight together"
    );
}
