//! Publishing: signed delivery verified independently, filters, idempotency keys, reading events, and
//! signing with both secrets after a rotation.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{verify_signature, Receiver, TestApp};

both_backends!(
    published_events_arrive_signed,
    filters_select_subscriptions,
    idempotency_keys,
    events_read_and_paginate,
    rotation_signs_with_both_secrets
);

async fn published_events_arrive_signed(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let (sub, secret) = app.app_with_subscription(&t, &receiver.url).await;
    // Raw text with odd spacing: the body must be sent byte for byte.
    let raw = r#"{"type":"order.created","payload":{ "id" : 7, "items":[1,2] }}"#;
    let res = app
        .http
        .post(format!("{}/api/v1/apps/shop/events", app.base))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let published: Value = res.json().await.unwrap();
    let event_id = published["id"].as_str().unwrap().to_owned();
    assert_eq!(published["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(published["deliveries"][0]["subscription_id"], sub.as_str());

    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "the event arrives");
    let req = &got[0];
    assert_eq!(req.path, "/hook");
    assert_eq!(&req.body[..], br#"{ "id" : 7, "items":[1,2] }"#);
    assert_eq!(req.headers["webhook-id"], event_id.as_str());
    assert_eq!(req.headers["content-type"], "application/json");
    verify_signature(&secret, req).expect("signature verifies with the standardwebhooks crate");
    let wrong = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert!(
        verify_signature(wrong, req).is_err(),
        "and not with another secret"
    );

    let delivery = published["deliveries"][0]["id"].as_str().unwrap();
    let d = app
        .wait_delivery(&t, delivery, Duration::from_secs(5), |d| {
            d["status"] == "succeeded"
        })
        .await;
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["attempt_log"][0]["status_code"], 200);
    assert_eq!(d["attempt_log"][0]["response_excerpt"], "answered 200");
}

async fn filters_select_subscriptions(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    app.post(
        "/api/v1/apps",
        &t.token,
        json!({ "id": "rtc", "kind": "live-rtc" }),
    )
    .await
    .expect(201);
    let mut subs = Vec::new();
    for filter in [
        json!({}),
        json!({ "event_types": ["UserEvent"] }),
        json!({ "channel_id": "room-1" }),
        json!({ "users": ["alice"] }),
        json!({ "event_types": ["ChannelEvent"], "channel_id": "room-2", "headers": { "X-Which": "combo" } }),
    ] {
        let mut body = filter.clone();
        body["url"] = json!(receiver.url);
        subs.push(
            app.post("/api/v1/apps/rtc/subscriptions", &t.token, body)
                .await
                .expect(201)
                .str("id"),
        );
    }
    let disabled = app
        .post(
            "/api/v1/apps/rtc/subscriptions",
            &t.token,
            json!({ "url": receiver.url, "enabled": false }),
        )
        .await;
    assert_eq!(disabled.expect(201).body["status"], "disabled");

    let matched = |published: &Value| -> Vec<usize> {
        let ids: Vec<&str> = published["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["subscription_id"].as_str().unwrap())
            .collect();
        (0..subs.len())
            .filter(|i| ids.contains(&subs[*i].as_str()))
            .collect()
    };
    let publish = |body: Value| app.post("/api/v1/apps/rtc/events", &t.token, body);
    let p = publish(
        json!({ "type": "UserEvent", "payload": {}, "channel_id": "room-1", "user_id": "alice" }),
    )
    .await
    .expect(201);
    assert_eq!(matched(&p.body), [0, 1, 2, 3]);
    let p = publish(
        json!({ "type": "ChannelEvent", "payload": {}, "channel_id": "room-2", "user_id": "bob" }),
    )
    .await
    .expect(201);
    assert_eq!(matched(&p.body), [0, 4]);
    let p = publish(json!({ "type": "UserEvent", "payload": {} }))
        .await
        .expect(201);
    assert_eq!(matched(&p.body), [0, 1]);

    let got = receiver.wait_for(8, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 8);
    assert_eq!(
        got.iter()
            .filter(|r| r.headers.get("x-which").is_some_and(|v| v == "combo"))
            .count(),
        1
    );
}

async fn idempotency_keys(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    app.app_with_subscription(&t, &receiver.url).await;
    let body = json!({ "type": "order.created", "payload": { "n": 1 } });
    let key = [("idempotency-key", "order-1")];
    let post = |body: Value| {
        let app = &app;
        let token = t.token.clone();
        async move {
            app.send(
                reqwest::Method::POST,
                "/api/v1/apps/shop/events",
                Some(&token),
                Some(&body),
                &key,
            )
            .await
        }
    };
    let first = post(body.clone()).await.expect(201);
    let again = post(body.clone()).await.expect(200);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.str("id"), first.str("id"));
    assert_eq!(
        again.body["deliveries"][0]["id"],
        first.body["deliveries"][0]["id"]
    );
    assert_eq!(again.str("idempotency_key"), "order-1");
    post(json!({ "type": "order.created", "payload": { "n": 2 } }))
        .await
        .expect_error(409, "idempotency_key_reused");
    // Keys are per app: the same key elsewhere is a new event.
    app.send(
        reqwest::Method::POST,
        "/api/v1/apps/ops/events",
        Some(&t.token),
        Some(&body),
        &key,
    )
    .await
    .expect(201);

    app.tick().await;
    assert_eq!(
        receiver.wait_for(1, Duration::from_secs(10)).await.len(),
        1,
        "delivered once"
    );
}

async fn events_read_and_paginate(app: TestApp) {
    let t = app.tenant().await;
    app.app_with_subscription(&t, "http://127.0.0.1:9/").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let e = app
            .post(
                "/api/v1/apps/shop/events",
                &t.token,
                json!({ "type": "tick", "payload": { "n": n }, "user_id": "u1" }),
            )
            .await
            .expect(201);
        ids.push(e.str("id"));
    }
    let one = app
        .get(&format!("/api/v1/apps/shop/events/{}", ids[2]), &t.token)
        .await
        .expect(200);
    assert_eq!(one.body["payload"], json!({ "n": 2 }));
    assert_eq!(one.body["type"], "tick");
    assert_eq!(one.body["user_id"], "u1");
    app.get("/api/v1/apps/shop/events/evt_missing", &t.token)
        .await
        .expect_error(404, "event_not_found");
    app.get(&format!("/api/v1/apps/ops/events/{}", ids[0]), &t.token)
        .await
        .expect_error(404, "event_not_found");

    let page1 = app
        .get("/api/v1/apps/shop/events?limit=3", &t.token)
        .await
        .expect(200);
    let page2 = app
        .get(
            &format!(
                "/api/v1/apps/shop/events?limit=3&cursor={}",
                page1.str("next_cursor")
            ),
            &t.token,
        )
        .await
        .expect(200);
    assert!(page2.body["next_cursor"].is_null());
    let listed: Vec<String> = [page1.body["data"].clone(), page2.body["data"].clone()]
        .iter()
        .flat_map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);

    let deliveries = app
        .get(
            &format!("/api/v1/apps/shop/events/{}/deliveries", ids[0]),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(deliveries.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(deliveries.body["data"][0]["event_id"], ids[0].as_str());
    app.get("/api/v1/apps/shop/events/evt_missing/deliveries", &t.token)
        .await
        .expect_error(404, "event_not_found");
}

async fn rotation_signs_with_both_secrets(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let (sub, old) = app.app_with_subscription(&t, &receiver.url).await;
    let new = app
        .post(
            &format!("/api/v1/apps/shop/subscriptions/{sub}/rotate-secret"),
            &t.token,
            json!({}),
        )
        .await
        .expect(200)
        .str("secret");
    app.post(
        "/api/v1/apps/shop/events",
        &t.token,
        json!({ "type": "t", "payload": [] }),
    )
    .await
    .expect(201);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    verify_signature(&old, &got[0]).expect("old secret verifies during the grace period");
    verify_signature(&new, &got[0]).expect("new secret verifies");
    let sig = got[0].headers["webhook-signature"].to_str().unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
}
