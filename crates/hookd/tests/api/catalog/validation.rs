//! Validation on publish, per app: `off` stores anything; `warn` accepts and flags the event (and counts
//! it); `enforce` refuses with every violation's path and message, and refuses unknown and archived types.

use serde_json::json;

use super::{add_type, order, order_schema, publish, shop};
use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(off_warn_and_enforce, versions_are_named_or_newest);

async fn off_warn_and_enforce(app: TestApp) {
    let t = app.tenant().await;
    let created = shop(&app, &t, json!({})).await;
    assert_eq!(created.body["schema_validation"], "off");
    add_type(
        &app,
        &t,
        json!({"name": "order.created", "schema": order_schema()}),
    )
    .await
    .expect(201);
    add_type(&app, &t, json!({"name": "old"})).await.expect(201);
    app.post(
        "/api/v1/apps/shop/event-types/old/archive",
        &t.token,
        json!({}),
    )
    .await
    .expect(200);
    let bad = json!({"id": "", "total": -1, "currency": "XXX", "customer": {}, "items": []});

    // off: nothing is checked.
    let res = publish(&app, &t, json!({"type": "order.created", "payload": bad}))
        .await
        .expect(201);
    assert!(res.body["schema_version"].is_null());
    assert_eq!(res.body["schema_violations"], json!([]));
    publish(&app, &t, json!({"type": "unknown", "payload": {}}))
        .await
        .expect(201);

    // warn: accepted, flagged with what is wrong.
    app.patch(
        "/api/v1/apps/shop",
        &t.token,
        json!({"schema_validation": "warn"}),
    )
    .await
    .expect(200);
    let res = publish(&app, &t, json!({"type": "order.created", "payload": bad}))
        .await
        .expect(201);
    assert_eq!(res.body["schema_version"], 1);
    let violations = res.body["schema_violations"].as_array().unwrap();
    let paths: Vec<&str> = violations
        .iter()
        .map(|v| v["path"].as_str().unwrap())
        .collect();
    for path in ["/id", "/total", "/currency", "/customer", "/items"] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    let stored = app
        .get(
            &format!("/api/v1/apps/shop/events/{}", res.str("id")),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(
        stored.body["schema_violations"],
        res.body["schema_violations"]
    );
    let res = publish(&app, &t, json!({"type": "unknown", "payload": {}}))
        .await
        .expect(201);
    assert!(res.body["schema_violations"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not a type"));
    let fine = publish(
        &app,
        &t,
        json!({"type": "order.created", "payload": order(3.0, "EUR")}),
    )
    .await
    .expect(201);
    assert_eq!(fine.body["schema_violations"], json!([]));
    assert_eq!(fine.body["schema_version"], 1);
    let metrics = app
        .send(reqwest::Method::GET, "/metrics", None, None, &[])
        .await;
    assert!(
        metrics
            .text
            .contains("hookd_schema_violations_total{mode=\"warn\"}"),
        "counted"
    );

    // enforce: refused, with each violation; unknown and archived types too.
    app.patch(
        "/api/v1/apps/shop",
        &t.token,
        json!({"schema_validation": "enforce"}),
    )
    .await
    .expect(200);
    let res = publish(&app, &t, json!({"type": "order.created", "payload": bad}))
        .await
        .expect_error(422, "schema_violation");
    let listed = res.body["error"]["violations"].as_array().unwrap();
    assert!(listed.len() >= 5, "{}", res.text);
    assert!(listed
        .iter()
        .all(|v| v["path"].is_string() && v["message"].is_string()));
    assert!(res.message().contains("violation"), "{}", res.text);
    let res = publish(&app, &t, json!({"type": "unknown", "payload": {}}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(res.body["error"]["field"], "type");
    let res = publish(&app, &t, json!({"type": "old", "payload": {}}))
        .await
        .expect_error(422, "validation_failed");
    assert!(res.message().contains("archived"), "{}", res.text);
    let ok = publish(
        &app,
        &t,
        json!({"type": "order.created", "payload": order(3.0, "EUR")}),
    )
    .await
    .expect(201);
    assert_eq!(ok.body["schema_version"], 1);
    // A payload with very many violations lists at most 20.
    let mut many = order(1.0, "EUR");
    many["items"] = json!((0..50)
        .map(|_| json!({"sku": 1, "qty": 0}))
        .collect::<Vec<_>>());
    let res = publish(&app, &t, json!({"type": "order.created", "payload": many}))
        .await
        .expect_error(422, "schema_violation");
    assert_eq!(
        res.body["error"]["violations"].as_array().unwrap().len(),
        20
    );
    assert!(res.message().contains("violation(s)"), "{}", res.text);

    // Nothing refused was stored.
    let events = app
        .get("/api/v1/apps/shop/events?limit=250", &t.token)
        .await
        .expect(200);
    assert_eq!(events.body["data"].as_array().unwrap().len(), 6);
    app.patch(
        "/api/v1/apps/shop",
        &t.token,
        json!({"schema_validation": "strict"}),
    )
    .await
    .expect(422);
}

async fn versions_are_named_or_newest(app: TestApp) {
    let t = app.tenant().await;
    shop(&app, &t, json!({"schema_validation": "enforce"})).await;
    add_type(
        &app,
        &t,
        json!({"name": "ping", "schema": {"type": "object", "required": ["a"]}}),
    )
    .await
    .expect(201);
    app.patch(
        "/api/v1/apps/shop/event-types/ping",
        &t.token,
        json!({"schema": {"type": "object", "required": ["b"]}}),
    )
    .await
    .expect(200);
    let newest = publish(&app, &t, json!({"type": "ping", "payload": {"b": 1}}))
        .await
        .expect(201);
    assert_eq!(newest.body["schema_version"], 2);
    publish(&app, &t, json!({"type": "ping", "payload": {"a": 1}}))
        .await
        .expect_error(422, "schema_violation");
    let v1 = publish(
        &app,
        &t,
        json!({"type": "ping", "payload": {"a": 1}, "schema_version": 1}),
    )
    .await
    .expect(201);
    assert_eq!(v1.body["schema_version"], 1);
    let res = publish(
        &app,
        &t,
        json!({"type": "ping", "payload": {"a": 1}, "schema_version": 7}),
    )
    .await
    .expect_error(422, "validation_failed");
    assert_eq!(res.body["error"]["field"], "schema_version");
    // A type without a schema: any payload, no version.
    add_type(&app, &t, json!({"name": "free"}))
        .await
        .expect(201);
    let free = publish(&app, &t, json!({"type": "free", "payload": [1, 2]}))
        .await
        .expect(201);
    assert!(free.body["schema_version"].is_null());
}
