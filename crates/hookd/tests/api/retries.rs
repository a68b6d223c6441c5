//! Retry rules against a real receiver: explicit schedules followed and ended, `Retry-After` honoured up
//! to its bound, 410 Gone disabling the subscription, 3xx counted as failure, per-subscription timeouts,
//! and the policy fields validated.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{Answer, Receiver, Tenant, TestApp};
use crate::{both_backends, both_backends_with};

/// Makes app `shop` with one subscription (extra fields from `fields`) to `receiver`; returns its id.
async fn subscribe(app: &TestApp, t: &Tenant, receiver: &Receiver, fields: Value) -> String {
    let mut body = json!({ "url": receiver.url });
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    app.shop_with(t, body).await.str("id")
}

fn gaps(receiver: &Receiver) -> Vec<f64> {
    let requests = receiver.requests();
    requests
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs_f64())
        .collect()
}

both_backends!(
    an_explicit_schedule_is_followed_then_the_delivery_is_dead,
    gone_disables_the_subscription,
    redirects_are_failures_and_timeouts_are_per_subscription,
    retry_policies_are_shown_and_validated
);

async fn an_explicit_schedule_is_followed_then_the_delivery_is_dead(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500; 4]);
    let t = app.tenant().await;
    subscribe(&app, &t, &receiver, json!({ "retry": [1, 2] })).await;
    let delivery = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(15), |d| {
            d["status"] == "dead"
        })
        .await;
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("dead"), Some(3))
    );
    // Two retries, 1 s and 2 s (±20 % jitter) after each failure; the upper bounds leave room for a
    // loaded machine, and stay far below the `standard` profile.
    let gaps = gaps(&receiver);
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert!((0.8..3.0).contains(&gaps[0]), "first retry after {gaps:?}");
    assert!((1.6..4.5).contains(&gaps[1]), "second retry after {gaps:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        receiver.requests().len(),
        3,
        "nothing after the schedule ends"
    );
}

fn retry_after_bounded_at_two_seconds(c: &mut hookd::config::Config) {
    c.delivery.max_retry_after_ms = 2_000;
}

both_backends_with!(retry_after_bounded_at_two_seconds => retry_after_replaces_the_scheduled_delay_up_to_its_bound);

async fn retry_after_replaces_the_scheduled_delay_up_to_its_bound(app: TestApp) {
    let receiver = Receiver::start().await;
    // The schedule alone would wait 60 s; the receiver asks for 1 s, then for an hour (bounded at 2 s),
    // then gives an HTTP date.
    receiver.answer([
        Answer::retry_after(429, "1"),
        Answer::retry_after(503, "3600"),
        Answer::status(200),
    ]);
    let t = app.tenant().await;
    subscribe(&app, &t, &receiver, json!({ "retry": [60, 60, 60] })).await;
    let delivery = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(15), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded", "{d}");
    let gaps = gaps(&receiver);
    assert!((0.95..3.0).contains(&gaps[0]), "Retry-After: 1 → {gaps:?}");
    assert!(
        (1.95..4.5).contains(&gaps[1]),
        "Retry-After: 3600 bounded at 2 s → {gaps:?}"
    );
}

async fn gone_disables_the_subscription(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[410]);
    let t = app.tenant().await;
    let sub = subscribe(&app, &t, &receiver, json!({})).await;
    let delivery = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(10), |d| {
            d["status"] == "dead"
        })
        .await;
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("dead"), Some(1))
    );
    let s = app
        .get(&format!("/api/v1/apps/shop/subscriptions/{sub}"), &t.token)
        .await
        .expect(200);
    assert_eq!(s.body["status"], "disabled");
    // Later events are not sent to it.
    let later = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    assert_eq!(later.body["deliveries"], json!([]));
    app.tick().await;
    assert_eq!(receiver.requests().len(), 1);
}

async fn redirects_are_failures_and_timeouts_are_per_subscription(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.answer([
        Answer::status(302),
        Answer::slow(Duration::from_millis(1500)),
    ]);
    let t = app.tenant().await;
    subscribe(
        &app,
        &t,
        &receiver,
        json!({ "retry": [1, 1], "timeout_ms": 500 }),
    )
    .await;
    let delivery = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &delivery, Duration::from_secs(15), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded", "{d}");
    let attempts = d["attempt_log"].as_array().unwrap();
    let by_no = |n: i64| {
        attempts
            .iter()
            .find(|a| a["attempt"] == n)
            .unwrap_or_else(|| panic!("attempt {n} in {attempts:?}"))
    };
    assert_eq!(
        by_no(1)["status_code"],
        302,
        "a redirect is a failed attempt"
    );
    assert_eq!(by_no(1)["failure"], "redirect");
    let second = by_no(2);
    assert!(second["status_code"].is_null(), "{second}");
    assert_eq!(second["failure"], "timeout", "{second}");
    assert_eq!(by_no(3)["succeeded"], true);
    assert!(
        second["error"].as_str().unwrap().contains("timed out"),
        "the 500 ms subscription timeout, not the server's 2 s: {second}"
    );
    assert!(second["duration_ms"].as_i64().unwrap() < 1400, "{second}");
}

async fn retry_policies_are_shown_and_validated(app: TestApp) {
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let create = |body: Value| app.post("/api/v1/apps/shop/subscriptions", &t.token, body);
    let native = create(json!({ "url": "http://127.0.0.1:9/" }))
        .await
        .expect(201);
    assert_eq!(native.body["retry"], "standard");
    assert!(native.body["timeout_ms"].is_null());
    let live = create(json!({ "url": "http://127.0.0.1:9/", "format": "live-snapshot" }))
        .await
        .expect(201);
    assert_eq!(
        live.body["retry"], "live",
        "the format picks the default profile"
    );
    for (body, field) in [
        (
            json!({ "url": "http://127.0.0.1:9/", "retry": "fast" }),
            "retry",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "retry": [0] }),
            "retry",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "timeout_ms": 50 }),
            "timeout_ms",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "timeout_ms": 2_001 }),
            "timeout_ms",
        ),
    ] {
        let r = create(body.clone())
            .await
            .expect_error(422, "validation_failed");
        assert!(r.message().contains(field), "{body}: {}", r.message());
    }
    let id = native.str("id");
    let path = format!("/api/v1/apps/shop/subscriptions/{id}");
    let changed = app
        .patch(
            &path,
            &t.token,
            json!({ "retry": "meeting", "timeout_ms": 1500 }),
        )
        .await
        .expect(200);
    assert_eq!(
        (
            changed.body["retry"].as_str(),
            changed.body["timeout_ms"].as_i64()
        ),
        (Some("meeting"), Some(1500))
    );
    let reset = app
        .patch(
            &path,
            &t.token,
            json!({ "retry": null, "timeout_ms": null }),
        )
        .await
        .expect(200);
    assert_eq!(reset.body["retry"], "standard");
    assert!(reset.body["timeout_ms"].is_null());
}
