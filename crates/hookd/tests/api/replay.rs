//! Test events and replay: `…/test` sends a synthetic signed event to one subscription whatever its
//! filter; `…/replay {since}` sends dead deliveries again.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{verify_signature, Receiver, TestApp};

both_backends!(
    a_test_event_reaches_one_subscription,
    replay_sends_dead_deliveries_again
);

async fn a_test_event_reaches_one_subscription(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let sub = app
        .shop_with(
            &t,
            json!({ "url": receiver.url, "event_types": ["order.created"] }),
        )
        .await;
    let path = format!("/api/v1/apps/shop/subscriptions/{}", sub.str("id"));
    let sent = app
        .post(&format!("{path}/test"), &t.token, json!({}))
        .await
        .expect(201);
    assert_eq!(sent.body["type"], "hookd.test");
    assert_eq!(sent.body["deliveries"].as_array().unwrap().len(), 1);
    let got = receiver.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    verify_signature(&sub.str("secret"), &got[0]).expect("a test event is signed like any other");
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(
        (body["test"].as_bool(), body["subscription_id"].as_str()),
        (Some(true), Some(sub.str("id").as_str()))
    );

    app.post(&format!("{path}/disable"), &t.token, json!({}))
        .await
        .expect(200);
    app.post(&format!("{path}/test"), &t.token, json!({}))
        .await
        .expect_error(409, "subscription_not_enabled");
    app.post(
        "/api/v1/apps/shop/subscriptions/sub_nope/test",
        &t.token,
        json!({}),
    )
    .await
    .expect_error(404, "subscription_not_found");
}

async fn replay_sends_dead_deliveries_again(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500; 4]);
    let t = app.tenant().await;
    let sub = app
        .shop_with(&t, json!({ "url": receiver.url, "retry": [1] }))
        .await
        .str("id");
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let mut dead = Vec::new();
    for _ in 0..2 {
        let delivery = app.publish_to_shop(&t).await;
        let d = app
            .wait_delivery(&t, &delivery, Duration::from_secs(10), |d| {
                d["status"] == "dead"
            })
            .await;
        assert_eq!(d["status"], "dead", "{d}");
        dead.push(delivery);
    }
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}/replay");
    let none = app
        .post(&path, &t.token, json!({ "since": chrono::Utc::now() }))
        .await
        .expect(202);
    assert_eq!(none.body["requeued"], 0, "nothing failed after now");
    let r = app
        .post(
            &path,
            &t.token,
            json!({ "since": chrono::Utc::now() + chrono::Duration::hours(1) }),
        )
        .await
        .expect_error(422, "validation_failed");
    assert!(r.message().contains("since"), "{}", r.message());

    let replayed = app
        .post(&path, &t.token, json!({ "since": before }))
        .await
        .expect(202);
    assert_eq!(replayed.body["requeued"], 2);
    for delivery in dead {
        let d = app
            .wait_delivery(&t, &delivery, Duration::from_secs(10), |d| {
                d["status"] == "succeeded"
            })
            .await;
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64()),
            (Some("succeeded"), Some(3))
        );
    }
}
