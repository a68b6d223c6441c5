//! Deliveries: retries with the attempt log, manual retry, listing by subscription and status, disabled and
//! deleted subscriptions.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::helpers::{data_ids, verify_signature, Answer, Receiver, TestApp};

both_backends!(
    failed_attempts_are_retried,
    manual_retry_and_listing,
    disabled_and_deleted_subscriptions,
    a_first_attempt_that_succeeds_is_kept_in_its_delivery,
    a_kept_attempt_whose_lease_was_lost_is_still_recorded
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

/// A first attempt that succeeds is written into its delivery's row, not as a row of `attempts`; the
/// delivery's attempt log, the account's attempt feed and the counts show it like any other, and the
/// attempts after it (a manual retry) and a first attempt that failed are rows of `attempts` as before.
async fn a_first_attempt_that_succeeds_is_kept_in_its_delivery(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&t, &receiver.url).await;

    let first = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &first, Duration::from_secs(10), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(attempts_stored(&app).await, (0, 1));
    let log = d["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 1, "{d}");
    assert_eq!(
        (
            &log[0]["attempt"],
            &log[0]["status_code"],
            &log[0]["succeeded"]
        ),
        (&json!(1), &json!(200), &json!(true))
    );
    assert!(log[0]["id"].as_str().unwrap().starts_with("att_"), "{d}");
    assert!(log[0]["started_at"].is_string(), "{d}");

    // A retry of the delivery is its second attempt: a row of `attempts`, listed after the first.
    app.post(
        &format!("/api/v1/deliveries/{first}/retry"),
        &t.token,
        json!(null),
    )
    .await
    .expect(202);
    let d = app
        .wait_delivery(&t, &first, Duration::from_secs(10), |d| d["attempts"] == 2)
        .await;
    assert_eq!(d["status"], "succeeded", "{d}");
    assert_eq!(attempts_stored(&app).await, (1, 1));
    let log = d["attempt_log"].as_array().unwrap();
    let numbers: Vec<&serde_json::Value> = log.iter().map(|a| &a["attempt"]).collect();
    assert_eq!(numbers, [&json!(1), &json!(2)], "{d}");

    // A first attempt that fails is a row of `attempts`; its delivery keeps nothing in its row.
    receiver.respond_with(&[500]);
    let second = app.publish_to_shop(&t).await;
    let failed = app
        .wait_delivery(&t, &second, Duration::from_secs(10), |d| d["attempts"] == 1)
        .await;
    assert_eq!(failed["status"], "retrying", "{failed}");
    assert_eq!(attempts_stored(&app).await, (2, 1));

    // The feed has all three in id order, whichever table holds them, and pages through them.
    let feed = app.get("/api/v1/attempts", &t.token).await.expect(200).body;
    let ids = data_ids(&feed);
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!((ids.len(), &ids), (3, &sorted), "{feed}");
    assert_eq!(
        ids[0],
        log[0]["id"].as_str().unwrap(),
        "the kept attempt is the oldest"
    );
    let newest = app
        .get("/api/v1/attempts?limit=2", &t.token)
        .await
        .expect(200)
        .body;
    let newest = data_ids(&newest);
    assert_eq!(newest, ids[1..]);
    let after = app
        .get(
            &format!("/api/v1/attempts?after={}&limit=1", ids[0]),
            &t.token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(after["data"][0]["id"], ids[1], "{after}");
    let first_entry = &feed["data"][0];
    assert_eq!(
        (
            &first_entry["delivery_id"],
            &first_entry["subscription_id"],
            &first_entry["succeeded"]
        ),
        (&json!(first), &json!(sub), &json!(true)),
        "{feed}"
    );

    // Counted in the subscription's and the account's figures: two successes, one failure.
    let stats = app
        .get(
            &format!("/api/v1/apps/shop/subscriptions/{sub}/stats"),
            &t.token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&stats["succeeded"], &stats["failed"]),
        (&json!(2), &json!(1)),
        "{stats}"
    );
    let stats = app.get("/api/v1/stats", &t.token).await.expect(200).body;
    let sum = |field: &str| -> i64 {
        stats["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[field].as_i64().unwrap())
            .sum()
    };
    assert_eq!((sum("succeeded"), sum("failed")), (2, 1), "{stats}");
}

/// Where the server's attempts are stored: (rows of `attempts`, first attempts kept in their deliveries).
/// A first attempt that succeeds after its delivery's lease went to another holder (as when it outlived
/// its lease and another node took the delivery over) does not move the delivery on, and is still
/// recorded: as a row of `attempts`, since its delivery's row is not its to write.
async fn a_kept_attempt_whose_lease_was_lost_is_still_recorded(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.answer([Answer::slow(Duration::from_millis(1500))]);
    let t = app.tenant().await;
    app.app_with_subscription(&t, &receiver.url).await;
    app.publish_to_shop(&t).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while receiver.answering() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the attempt never reached the receiver"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.execute_sql(
        "UPDATE deliveries SET lease_owner = 'another-node' WHERE status = 'delivering'",
    )
    .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while attempts_stored(&app).await == (0, 0) {
        assert!(
            std::time::Instant::now() < deadline,
            "the attempt was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        attempts_stored(&app).await,
        (1, 0),
        "a row of attempts, nothing kept"
    );
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM deliveries WHERE status = 'delivering' AND lease_owner = 'another-node' \
             AND attempts = 0"
        )
        .await,
        1,
        "the delivery stays with its new lease holder"
    );
    let recorded = app
        .query_i64("SELECT COUNT(*) FROM attempts WHERE attempt_no = 1 AND status_code = 200")
        .await;
    assert_eq!(recorded, 1, "the attempt is recorded as it happened");
}

async fn attempts_stored(app: &TestApp) -> (i64, i64) {
    (
        app.query_i64("SELECT COUNT(*) FROM attempts").await,
        app.query_i64("SELECT COUNT(*) FROM deliveries WHERE first_attempt_id IS NOT NULL")
            .await,
    )
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
