//! Retention: once older than the configured time, finished deliveries lose their attempt logs and fully
//! handled events their payloads; events, deliveries and attempt counts stay; a dropped payload is not
//! replayed.

use std::time::Duration;

use serde_json::json;

use crate::both_backends_with;
use crate::helpers::{Receiver, TestApp};

fn keep_five_seconds(c: &mut hookd::config::Config) {
    c.retention_ms = 5_000;
}

both_backends_with!(keep_five_seconds => payloads_and_attempt_logs_expire_and_counts_stay);

async fn payloads_and_attempt_logs_expire_and_counts_stay(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[200, 500]);
    let t = app.tenant().await;
    let sub = app
        .shop_with(&t, json!({ "url": receiver.url, "retry": [] }))
        .await
        .str("id");
    // One at a time: published together, the two could reach the receiver in either order and swap its
    // 200 and 500.
    let mut ids = Vec::new();
    for status in ["succeeded", "dead"] {
        let id = app.publish_to_shop(&t).await;
        let d = app
            .wait_delivery(&t, &id, Duration::from_secs(5), |d| d["status"] == status)
            .await;
        assert_eq!(d["status"], status, "{d}");
        assert_eq!(d["attempt_log"].as_array().unwrap().len(), 1, "{d}");
        ids.push(id);
    }
    // Within two sweeps past the five-second retention, everything old is dropped: both attempt logs,
    // and with them (in the same sweep or an earlier one) both events' payloads.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for (id, status) in ids.iter().zip(["succeeded", "dead"]) {
        let d = loop {
            let d = app
                .get(&format!("/api/v1/deliveries/{id}"), &t.token)
                .await
                .expect(200)
                .body;
            if d["attempt_log"].as_array().unwrap().is_empty()
                || std::time::Instant::now() > deadline
            {
                break d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(d["attempt_log"], json!([]), "attempt logs expire");
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64()),
            (Some(status), Some(1)),
            "counts stay"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let events = app
        .get("/api/v1/apps/shop/events", &t.token)
        .await
        .expect(200)
        .body;
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 2, "events stay");
    assert!(
        events.iter().all(|e| e["payload"].is_null()),
        "payloads expire: {events:?}"
    );

    let replayed = app
        .post(
            &format!("/api/v1/apps/shop/subscriptions/{sub}/replay"),
            &t.token,
            json!({ "since": chrono::Utc::now() - chrono::Duration::minutes(5) }),
        )
        .await
        .expect(202);
    assert_eq!(
        replayed.body["requeued"], 0,
        "an expired payload is not replayed"
    );
    assert_eq!(receiver.requests().len(), 2);
}
