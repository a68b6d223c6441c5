//! The automatic lock: a subscription whose attempts keep failing (here: for 1 s, with 2 deliveries dead)
//! is locked, and the account's `ops` app receives `delivery.dead`, `subscription.locked` and, after it is
//! enabled again and succeeds, `subscription.recovered`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends_with;
use crate::helpers::{Receiver, TestApp};

fn lock_after_one_second_and_two_dead(c: &mut hookd::config::Config) {
    c.delivery.lock_after_ms = 1_000;
    c.delivery.lock_min_dead = 2;
}

both_backends_with!(lock_after_one_second_and_two_dead => a_failing_subscription_is_locked_and_the_account_told);

async fn a_failing_subscription_is_locked_and_the_account_told(app: TestApp) {
    let (failing, ops) = (Receiver::start().await, Receiver::start().await);
    failing.respond_with(&[500, 500]);
    let t = app.tenant().await;
    app.post(
        "/api/v1/apps/ops/subscriptions",
        &t.token,
        json!({ "url": ops.url }),
    )
    .await
    .expect(201);
    // No retries: each failure makes a delivery dead at once.
    let sub = app
        .shop_with(&t, json!({ "url": failing.url, "retry": [] }))
        .await
        .str("id");
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    let status = || async { app.get(&path, &t.token).await.expect(200).body["status"].clone() };

    let first = app.publish_to_shop(&t).await;
    app.wait_delivery(&t, &first, Duration::from_secs(5), |d| {
        d["status"] == "dead"
    })
    .await;
    assert_eq!(status().await, "enabled", "one dead delivery is not enough");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let second = app.publish_to_shop(&t).await;
    app.wait_delivery(&t, &second, Duration::from_secs(5), |d| {
        d["status"] == "dead"
    })
    .await;
    assert_eq!(status().await, "locked");

    let got = ops.wait_for(3, Duration::from_secs(10)).await;
    let events: Vec<(String, Value)> = got
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let id = r.headers["webhook-id"].to_str().unwrap().to_owned();
            (id, body)
        })
        .collect();
    let dead: Vec<&Value> = events
        .iter()
        .map(|(_, b)| b)
        .filter(|b| b.get("delivery_id").is_some())
        .collect();
    assert_eq!(dead.len(), 2, "{events:?}");
    assert_eq!(dead[0]["delivery_id"], first.as_str());
    assert_eq!(dead[0]["last_status_code"], 500);
    let locked: Vec<&Value> = events
        .iter()
        .map(|(_, b)| b)
        .filter(|b| b.get("delivery_id").is_none())
        .collect();
    assert_eq!(
        locked,
        [&json!({ "subscription_id": sub, "app_id": "shop" })]
    );
    let ops_events = app
        .get("/api/v1/apps/ops/events", &t.token)
        .await
        .expect(200)
        .body;
    let mut types: Vec<&str> = ops_events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        ["delivery.dead", "delivery.dead", "subscription.locked"]
    );

    // Locked: no deliveries. Enabled again, a success reports the recovery.
    let later = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    assert_eq!(later.body["deliveries"], json!([]));
    app.post(&format!("{path}/enable"), &t.token, json!({}))
        .await
        .expect(200);
    let third = app.publish_to_shop(&t).await;
    let d = app
        .wait_delivery(&t, &third, Duration::from_secs(5), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded");
    let got = ops.wait_for(4, Duration::from_secs(10)).await;
    let last: Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_eq!(last, json!({ "subscription_id": sub, "app_id": "shop" }));
    let ops_events = app
        .get("/api/v1/apps/ops/events?limit=1", &t.token)
        .await
        .expect(200)
        .body;
    assert_eq!(ops_events["data"][0]["type"], "subscription.recovered");
}
