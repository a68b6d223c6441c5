//! Deliveries: retries with the attempt log, manual retry, listing by subscription and status, disabled and
//! deleted subscriptions.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{verify_signature, Receiver, TestApp};

both_backends!(
    failed_attempts_are_retried,
    manual_retry_and_listing,
    disabled_and_deleted_subscriptions
);

async fn failed_attempts_are_retried(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500]);
    let t = app.tenant().await;
    let (_, secret) = app.app_with_subscription(&t, &receiver.url).await;
    let delivery = app.publish_to_shop(&t).await;

    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(3), |d| {
            d["attempts"] == 1
        })
        .await;
    assert_eq!(d["status"], "retrying");
    assert_eq!(d["last_status_code"], 500);
    assert!(
        d["next_attempt_at"].is_string(),
        "a retry is scheduled: {d}"
    );

    // The standard profile retries 5 s (±20 %) after the first failure.
    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(12), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(d["attempts"], 2);
    let log = d["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["status_code"], 500);
    assert_eq!(log[0]["response_excerpt"], "answered 500");
    assert_eq!(
        (&log[0]["succeeded"], &log[0]["failure"]),
        (&json!(false), &json!("status"))
    );
    assert_eq!(log[1]["status_code"], 200);
    assert_eq!(
        (&log[1]["succeeded"], &log[1]["failure"]),
        (&json!(true), &json!(null))
    );
    let gap = chrono::DateTime::parse_from_rfc3339(log[1]["started_at"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(log[0]["started_at"].as_str().unwrap()).unwrap();
    assert!(
        (3_900..=7_000).contains(&gap.num_milliseconds()),
        "retry after {gap}"
    );

    let got = receiver.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].headers["webhook-id"], got[1].headers["webhook-id"],
        "the event id is stable across attempts"
    );
    for r in &got {
        verify_signature(&secret, r).unwrap();
    }
}

async fn manual_retry_and_listing(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&t, &receiver.url).await;
    let mut deliveries = Vec::new();
    for _ in 0..3 {
        deliveries.push(app.publish_to_shop(&t).await);
    }
    for d in &deliveries {
        app.wait_delivery(&t, d, Duration::from_secs(10), |v| {
            v["status"] == "succeeded"
        })
        .await;
    }
    let base = format!("/api/v1/apps/shop/subscriptions/{sub}/deliveries");
    let all = app.get(&base, &t.token).await.expect(200);
    assert_eq!(all.body["data"].as_array().unwrap().len(), 3);
    let ok = app
        .get(&format!("{base}?status=succeeded&limit=2"), &t.token)
        .await
        .expect(200);
    assert_eq!(ok.body["data"].as_array().unwrap().len(), 2);
    assert!(ok.body["next_cursor"].is_string());
    let dead = app
        .get(&format!("{base}?status=dead"), &t.token)
        .await
        .expect(200);
    assert!(dead.body["data"].as_array().unwrap().is_empty());
    app.get(&format!("{base}?status=bogus"), &t.token)
        .await
        .expect_error(422, "invalid_query");

    let retried = app
        .post(
            &format!("/api/v1/deliveries/{}/retry", deliveries[0]),
            &t.token,
            json!(null),
        )
        .await
        .expect(202);
    assert_eq!(retried.body["status"], "retrying");
    let d = app
        .wait_delivery(&t, &deliveries[0], Duration::from_secs(10), |v| {
            v["attempts"] == 2
        })
        .await;
    assert_eq!(d["status"], "succeeded");
    assert_eq!(receiver.wait_for(4, Duration::from_secs(5)).await.len(), 4);

    app.get("/api/v1/deliveries/dlv_missing", &t.token)
        .await
        .expect_error(404, "delivery_not_found");
    app.post(
        "/api/v1/deliveries/dlv_missing/retry",
        &t.token,
        json!(null),
    )
    .await
    .expect_error(404, "delivery_not_found");
    let other = app.tenant().await;
    app.get(
        &format!("/api/v1/deliveries/{}", deliveries[0]),
        &other.token,
    )
    .await
    .expect_error(404, "delivery_not_found");
    app.post(
        &format!("/api/v1/deliveries/{}/retry", deliveries[0]),
        &other.token,
        json!(null),
    )
    .await
    .expect_error(404, "delivery_not_found");
}

async fn disabled_and_deleted_subscriptions(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[503]);
    let t = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&t, &receiver.url).await;
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    let first = app.publish_to_shop(&t).await;
    app.wait_delivery(&t, &first, Duration::from_secs(5), |d| {
        d["status"] == "retrying"
    })
    .await;

    app.post(&format!("{path}/disable"), &t.token, json!(null))
        .await
        .expect(200);
    let p = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    assert!(
        p.body["deliveries"].as_array().unwrap().is_empty(),
        "disabled subscriptions get no new deliveries"
    );

    // Deleting cancels what is still pending; the history stays readable.
    app.delete(&path, &t.token).await.expect(204);
    let d = app
        .get(&format!("/api/v1/deliveries/{first}"), &t.token)
        .await
        .expect(200);
    assert_eq!(d.body["status"], "cancelled");
    app.post(
        &format!("/api/v1/deliveries/{first}/retry"),
        &t.token,
        json!(null),
    )
    .await
    .expect_error(409, "delivery_not_retryable");
    app.tick().await;
    assert_eq!(receiver.requests().len(), 1);
}
