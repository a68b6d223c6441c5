//! The event-type catalog through the API: create, read, list, update (new schema versions), archive and
//! unarchive; bad schemas and examples; subscriptions kept to the catalog; wildcards; sending an example.

use std::time::Duration;

use serde_json::json;

use super::{add_type, order, order_schema, shop};
use crate::both_backends;
use crate::helpers::{Receiver, TestApp};

both_backends!(
    catalog_crud_and_versions,
    bad_schemas_and_examples_are_refused,
    subscriptions_follow_the_catalog,
    an_example_is_sent_to_one_subscription
);

async fn catalog_crud_and_versions(app: TestApp) {
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    let created = add_type(
        &app,
        &t,
        json!({"name": "order.created", "description": "An order was placed", "group": "order",
               "schema": order_schema(), "examples": [order(10.0, "EUR")]}),
    )
    .await
    .expect(201);
    assert_eq!(created.body["name"], "order.created");
    assert_eq!(created.body["group"], "order");
    assert_eq!(created.body["deprecated"], false);
    assert_eq!(created.body["archived"], false);
    assert_eq!(created.body["versions"][0]["version"], 1);
    assert_eq!(created.body["versions"][0]["examples"][0]["total"], 10.0);
    add_type(&app, &t, json!({"name": "order.created"}))
        .await
        .expect_error(409, "event_type_exists");
    add_type(
        &app,
        &t,
        json!({"name": "note", "description": "no schema"}),
    )
    .await
    .expect(201);

    // A new schema is a new version; the old one stays as it was.
    let mut v2 = order_schema();
    v2["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("channel"));
    let updated = app
        .patch(
            "/api/v1/apps/shop/event-types/order.created",
            &t.token,
            json!({"schema": v2, "deprecated": true, "description": null}),
        )
        .await
        .expect(200);
    let versions = updated.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[0]["schema"], order_schema());
    assert_eq!(updated.body["deprecated"], true);
    assert!(updated.body["description"].is_null());
    // Examples alone replace the newest version's, checked against it.
    app.patch(
        "/api/v1/apps/shop/event-types/order.created",
        &t.token,
        json!({"examples": [order(1.0, "EUR")]}),
    )
    .await
    .expect_error(422, "validation_failed");
    let mut ok = order(1.0, "EUR");
    ok["channel"] = json!("web");
    let updated = app
        .patch(
            "/api/v1/apps/shop/event-types/order.created",
            &t.token,
            json!({"examples": [ok]}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["versions"][1]["examples"][0]["channel"], "web");

    // Archive hides it from the list unless asked; unarchive brings it back.
    app.post(
        "/api/v1/apps/shop/event-types/note/archive",
        &t.token,
        json!({}),
    )
    .await
    .expect(200);
    let list = app
        .get("/api/v1/apps/shop/event-types", &t.token)
        .await
        .expect(200);
    let names: Vec<_> = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, [json!("order.created")]);
    let list = app
        .get(
            "/api/v1/apps/shop/event-types?archived=true&limit=1",
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(list.body["data"][0]["name"], "note");
    assert_eq!(list.body["data"][0]["archived"], true);
    let next = list.body["next_cursor"].as_str().unwrap().to_owned();
    let list = app
        .get(
            &format!("/api/v1/apps/shop/event-types?archived=true&cursor={next}"),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(list.body["data"][0]["name"], "order.created");
    let back = app
        .post(
            "/api/v1/apps/shop/event-types/note/unarchive",
            &t.token,
            json!({}),
        )
        .await
        .expect(200);
    assert_eq!(back.body["archived"], false);
    let got = app
        .get("/api/v1/apps/shop/event-types/note", &t.token)
        .await
        .expect(200);
    assert_eq!(got.body["description"], "no schema");
    app.get("/api/v1/apps/shop/event-types/missing", &t.token)
        .await
        .expect_error(404, "event_type_not_found");
    app.get("/api/v1/apps/nope/event-types", &t.token)
        .await
        .expect_error(404, "app_not_found");

    // Another account sees none of it.
    let other = app.tenant().await;
    app.get("/api/v1/apps/shop/event-types/note", &other.token)
        .await
        .expect_error(404, "app_not_found");
}

async fn bad_schemas_and_examples_are_refused(app: TestApp) {
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    let cases = [
        (
            json!({"name": "a", "schema": {"type": "object", "properties": {"x": {"type": "strng"}}}}),
            "schema/properties/x/type",
        ),
        (
            json!({"name": "a", "schema": {"minLength": -1}}),
            "schema/minLength",
        ),
        (json!({"name": "a", "schema": [1, 2]}), "schema"),
        (
            json!({"name": "a", "schema": {"$ref": "https://example.com/other.json"}}),
            "schema",
        ),
        (
            json!({"name": "a", "schema": {"type": "object", "required": ["id"]}, "examples": [{"id": 1}, {}]}),
            "examples[1]",
        ),
        (json!({"name": "a", "examples": [{}]}), "examples"),
        (json!({"name": "bad type"}), "name"),
        (json!({"name": "a", "group": "no spaces"}), "group"),
    ];
    for (body, field) in cases {
        let res = super::add_type(&app, &t, body.clone())
            .await
            .expect_error(422, "validation_failed");
        let got = res.body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            got.starts_with(field),
            "{body}: field {got}, want {field}: {}",
            res.text
        );
    }
    app.post(
        "/api/v1/apps/shop/event-types",
        &t.token,
        json!({"name": "a", "unknown": 1}),
    )
    .await
    .expect(422);
    let list = app
        .get("/api/v1/apps/shop/event-types?archived=true", &t.token)
        .await
        .expect(200);
    assert_eq!(list.body["data"], json!([]), "nothing refused was stored");
    // A bad new version leaves the type as it was.
    add_type(&app, &t, json!({"name": "b", "schema": {"type": "object"}}))
        .await
        .expect(201);
    app.patch(
        "/api/v1/apps/shop/event-types/b",
        &t.token,
        json!({"schema": {"type": 3}}),
    )
    .await
    .expect_error(422, "validation_failed");
    let b = app
        .get("/api/v1/apps/shop/event-types/b", &t.token)
        .await
        .expect(200);
    assert_eq!(b.body["versions"].as_array().unwrap().len(), 1);
}

async fn subscriptions_follow_the_catalog(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    shop(&app, &t, json!({"catalog_only": true})).await;
    add_type(&app, &t, json!({"name": "order.created"}))
        .await
        .expect(201);
    add_type(&app, &t, json!({"name": "order.paid"}))
        .await
        .expect(201);
    add_type(&app, &t, json!({"name": "user.created"}))
        .await
        .expect(201);
    let subscribe = |types: serde_json::Value| {
        app.post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({"url": receiver.url, "event_types": types}),
        )
    };
    let res = subscribe(json!(["order.shipped"]))
        .await
        .expect_error(422, "validation_failed");
    assert!(res.message().contains("order.shipped"), "{}", res.text);
    subscribe(json!(["billing.*"]))
        .await
        .expect_error(422, "validation_failed");
    let wild = subscribe(json!(["order.*"])).await.expect(201).str("id");
    app.post(
        "/api/v1/apps/shop/event-types/user.created/archive",
        &t.token,
        json!({}),
    )
    .await
    .expect(200);
    subscribe(json!(["user.created"]))
        .await
        .expect_error(422, "validation_failed");
    app.patch(
        &format!("/api/v1/apps/shop/subscriptions/{wild}"),
        &t.token,
        json!({"event_types": ["order.*", "user.created"]}),
    )
    .await
    .expect_error(422, "validation_failed");
    // Without the rule, any type goes.
    app.patch(
        "/api/v1/apps/shop",
        &t.token,
        json!({"catalog_only": false}),
    )
    .await
    .expect(200);
    subscribe(json!(["order.shipped"])).await.expect(201);

    // The wildcard takes every type under its prefix, including ones added to the catalog later.
    add_type(&app, &t, json!({"name": "order.refunded"}))
        .await
        .expect(201);
    for (kind, expected) in [
        ("order.refunded", 1),
        ("order.created", 1),
        ("orders.x", 0),
        ("user.created", 0),
    ] {
        let res = super::publish(&app, &t, json!({"type": kind, "payload": {}}))
            .await
            .expect(201);
        let to_wild = res.body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["subscription_id"] == wild.as_str())
            .count();
        assert_eq!(to_wild, expected, "{kind}");
    }
}

async fn an_example_is_sent_to_one_subscription(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    add_type(
        &app,
        &t,
        json!({"name": "order.created", "schema": order_schema(), "examples": [order(5.0, "EUR"), order(7.5, "USD")]}),
    )
    .await
    .expect(201);
    // Its filter would not take the type: an example goes anyway, like a test event.
    let sub = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({"url": receiver.url, "event_types": ["other"]}),
        )
        .await
        .expect(201)
        .str("id");
    let sent = app
        .post(
            "/api/v1/apps/shop/event-types/order.created/send-example",
            &t.token,
            json!({"subscription_id": sub, "example": 1}),
        )
        .await
        .expect(201);
    assert_eq!(sent.body["type"], "order.created");
    assert_eq!(sent.body["deliveries"].as_array().unwrap().len(), 1);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["currency"], "USD");
    for (body, field) in [
        (json!({"subscription_id": sub, "example": 5}), "example"),
        (json!({"subscription_id": sub, "version": 9}), "version"),
    ] {
        let res = app
            .post(
                "/api/v1/apps/shop/event-types/order.created/send-example",
                &t.token,
                body,
            )
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(res.body["error"]["field"], field);
    }
    app.post(
        "/api/v1/apps/shop/event-types/order.created/send-example",
        &t.token,
        json!({"subscription_id": "sub_missing"}),
    )
    .await
    .expect_error(404, "subscription_not_found");
}
