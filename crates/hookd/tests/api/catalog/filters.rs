//! Payload filters on subscriptions through the API: saved and shown as given, a bad one refused with its
//! path, events delivered only where the payload matches, and changed or removed by a PATCH.

use serde_json::{json, Value};

use super::{order, publish, shop};
use crate::both_backends;
use crate::helpers::{Receiver, TestApp};

both_backends!(payload_filters_select_events);

fn delivered_to(published: &Value, sub: &str) -> bool {
    published["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["subscription_id"] == sub)
}

async fn payload_filters_select_events(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    let subscribe = |filter: Value| {
        app.post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({"url": receiver.url, "event_types": ["order.created"], "filter": filter}),
        )
    };
    for (filter, field) in [
        (json!({"total": {"$gt": [1]}}), "filter.total.$gt"),
        (json!({"total": {"$between": 1}}), "filter.total.$between"),
        (json!({"$or": []}), "filter.$or"),
        (json!([1]), "filter"),
    ] {
        let res = subscribe(filter.clone())
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(res.body["error"]["field"], field, "{filter}: {}", res.text);
    }
    let big_euro = json!({"total": {"$gte": 100}, "currency": {"$in": ["EUR"]}});
    let sub = subscribe(big_euro.clone()).await.expect(201);
    assert_eq!(sub.body["filter"], big_euro);
    let sub = sub.str("id");
    let all = subscribe(Value::Null).await.expect(201);
    assert!(all.body["filter"].is_null());
    let all = all.str("id");
    let by_sku = subscribe(json!({"items.sku": "s-1", "customer.email": {"$exists": true}}))
        .await
        .expect(201)
        .str("id");

    let cases = [
        (order(150.0, "EUR"), true, true),
        (order(150.0, "USD"), false, true),
        (order(99.5, "EUR"), false, true),
        (json!({"total": "150", "currency": "EUR"}), false, false),
    ];
    for (payload, to_filtered, to_sku) in cases {
        let res = publish(
            &app,
            &t,
            json!({"type": "order.created", "payload": payload}),
        )
        .await
        .expect(201);
        assert_eq!(delivered_to(&res.body, &sub), to_filtered, "{payload}");
        assert_eq!(delivered_to(&res.body, &by_sku), to_sku, "{payload}");
        assert!(delivered_to(&res.body, &all));
    }

    // Changed, then removed.
    let changed = app
        .patch(
            &format!("/api/v1/apps/shop/subscriptions/{sub}"),
            &t.token,
            json!({"filter": {"$not": {"currency": "EUR"}}}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["filter"], json!({"$not": {"currency": "EUR"}}));
    let res = publish(
        &app,
        &t,
        json!({"type": "order.created", "payload": order(1.0, "USD")}),
    )
    .await
    .expect(201);
    assert!(delivered_to(&res.body, &sub));
    app.patch(
        &format!("/api/v1/apps/shop/subscriptions/{sub}"),
        &t.token,
        json!({"filter": {"$and": "x"}}),
    )
    .await
    .expect_error(422, "validation_failed");
    let removed = app
        .patch(
            &format!("/api/v1/apps/shop/subscriptions/{sub}"),
            &t.token,
            json!({"filter": null}),
        )
        .await
        .expect(200);
    assert!(removed.body["filter"].is_null());
    let res = publish(
        &app,
        &t,
        json!({"type": "order.created", "payload": order(1.0, "EUR")}),
    )
    .await
    .expect(201);
    assert!(delivered_to(&res.body, &sub));
}
