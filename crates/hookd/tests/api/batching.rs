//! Batching (`cams`): a subscription's reports go out several per request, at most `max_events` each,
//! after at most `max_wait_ms`; every report arrives once, every request is signed.

use std::{collections::HashSet, time::Duration};

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{verify_signature, Receiver, Recorded, TestApp};

both_backends!(reports_are_batched_by_size_and_by_wait);

fn message_ids(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .flat_map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body.as_array()
                .expect("a CAMS body is an array")
                .iter()
                .map(|report| report["MessageId"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn reports_are_batched_by_size_and_by_wait(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let r = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": receiver.url, "batch": { "max_events": 10, "max_wait_ms": 10 } }),
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(
        r.message().contains("batch"),
        "native bodies are not arrays: {}",
        r.message()
    );
    let sub = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({
                "url": receiver.url, "format": "cams",
                "batch": { "max_events": 10, "max_wait_ms": 700 }
            }),
        )
        .await;
    assert_eq!(
        sub.body["batch"],
        json!({ "max_events": 10, "max_wait_ms": 700 })
    );
    let secret = sub.str("secret");
    let publish = |n: usize| {
        app.post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "cams.status", "payload": { "MessageId": format!("m{n}"), "Status": "DELIVERED" } }),
        )
    };

    // 25 reports: full batches go out at once, the rest after the wait.
    for n in 0..25 {
        publish(n).await.expect(201);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let got = loop {
        let got = receiver.requests();
        if message_ids(&got).len() >= 25 || std::time::Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ids = message_ids(&got);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        (ids.len(), unique.len()),
        (25, 25),
        "every report once: {ids:?}"
    );
    assert!(got.len() <= 5, "25 reports in {} requests", got.len());
    for request in &got {
        assert!(message_ids(std::slice::from_ref(request)).len() <= 10);
        verify_signature(&secret, request).expect("a batch is signed");
    }

    // Three reports wait for more, then go out together.
    let sent = std::time::Instant::now();
    for n in 25..28 {
        publish(n).await.expect(201);
    }
    let before = got.len();
    let got = receiver.wait_for(before + 1, Duration::from_secs(5)).await;
    let waited = got[before].at.duration_since(sent);
    assert_eq!(message_ids(&got[before..]), ["m25", "m26", "m27"]);
    assert!(
        waited >= Duration::from_millis(500),
        "sent after {waited:?}, before the wait ended"
    );
}
