//! FIFO ordering: 500 events to a `fifo` subscription whose receiver fails at random (a seeded sequence)
//! arrive in publish order with no gaps: a failed callback is retried before any later one is sent.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Answer, Receiver, Recorded, TestApp};

both_backends!(fifo_delivers_in_publish_order_through_failures);

/// 5 % failures from a fixed-seed generator, never more than two in a row.
pub fn answers(count: usize) -> Vec<u16> {
    let mut state: u64 = 0x5eed_1234_abcd_0001;
    let mut run = 0;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let fail = (state >> 33) % 100 < 5 && run < 2;
            run = if fail { run + 1 } else { 0 };
            if fail {
                500
            } else {
                200
            }
        })
        .collect()
}

async fn fifo_delivers_in_publish_order_through_failures(app: TestApp) {
    const EVENTS: usize = 500;
    let plan = answers(EVENTS * 2);
    let receiver = Receiver::start().await;
    receiver.answer(plan.iter().map(|s| Answer::status(*s)));
    let t = app.tenant().await;
    let sub = app
        .shop_with(
            &t,
            json!({ "url": receiver.url, "ordering": "fifo", "retry": [1, 1, 1, 1, 1] }),
        )
        .await;
    assert_eq!(sub.body["ordering"], "fifo");
    for n in 0..EVENTS {
        app.post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await
        .expect(201);
    }
    let failures = |got: usize| plan.iter().take(got).filter(|s| **s != 200).count();
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let requests = loop {
        let got = receiver.requests();
        if got.len() >= EVENTS + failures(got.len()) || std::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_in_order(&requests, &plan, EVENTS);
    assert!(
        failures(requests.len()) > 10,
        "the plan had failures to recover from"
    );
}

/// Asserts that `requests`, answered by `plan` in turn, carried events 0, 1, … (`"n"` in the body) in
/// order, each repeated until answered 200, and that all `events` were delivered.
pub fn assert_in_order(requests: &[Recorded], plan: &[u16], events: usize) {
    let n_of = |i: usize| {
        let body: serde_json::Value = serde_json::from_slice(&requests[i].body).unwrap();
        body["n"].as_u64().unwrap() as usize
    };
    let mut expected = 0;
    for (i, answered) in plan.iter().enumerate().take(requests.len()) {
        assert_eq!(
            n_of(i),
            expected,
            "request {i} carried event {} while event {expected} was not yet delivered",
            n_of(i)
        );
        if *answered == 200 {
            expected += 1;
        }
    }
    assert_eq!(expected, events, "every event delivered, in order, no gaps");
}
