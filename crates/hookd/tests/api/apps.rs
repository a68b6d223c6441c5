//! Apps: create, read, list with pagination, update, delete; reserved apps; isolation between accounts.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(app_lifecycle, apps_paginate, apps_are_isolated);

async fn app_lifecycle(app: TestApp) {
    let t = app.tenant().await;
    let created = app
        .post(
            "/api/v1/apps",
            &t.token,
            json!({ "id": "live.example.com", "kind": "live-domain", "name": "Live" }),
        )
        .await
        .expect(201);
    assert_eq!(created.body["kind"], "live-domain");
    assert_eq!(created.body["max_subscriptions"], 100);
    app.post(
        "/api/v1/apps",
        &t.token,
        json!({ "id": "live.example.com" }),
    )
    .await
    .expect_error(409, "app_exists");

    let got = app
        .get("/api/v1/apps/live.example.com", &t.token)
        .await
        .expect(200);
    assert_eq!(got.str("name"), "Live");

    let patched = app
        .patch(
            "/api/v1/apps/live.example.com",
            &t.token,
            json!({ "name": null, "max_subscriptions": 5 }),
        )
        .await
        .expect(200);
    assert!(patched.body["name"].is_null());
    assert_eq!(patched.body["max_subscriptions"], 5);
    app.patch(
        "/api/v1/apps/live.example.com",
        &t.token,
        json!({ "max_subscriptions": 0 }),
    )
    .await
    .expect_error(422, "validation_failed");

    app.delete("/api/v1/apps/live.example.com", &t.token)
        .await
        .expect(204);
    app.get("/api/v1/apps/live.example.com", &t.token)
        .await
        .expect_error(404, "app_not_found");
    app.delete("/api/v1/apps/live.example.com", &t.token)
        .await
        .expect_error(404, "app_not_found");

    app.delete("/api/v1/apps/ops", &t.token)
        .await
        .expect_error(409, "reserved_app");
    let reserved = app
        .post(
            "/api/v1/apps",
            &t.token,
            json!({ "id": "x", "kind": "cams" }),
        )
        .await;
    assert_eq!(
        reserved.expect_error(422, "validation_failed").body["error"]["field"],
        "kind"
    );
    let bad_id = app
        .post("/api/v1/apps", &t.token, json!({ "id": "no spaces" }))
        .await;
    assert_eq!(
        bad_id.expect_error(422, "validation_failed").body["error"]["field"],
        "id"
    );
}

async fn apps_paginate(app: TestApp) {
    let t = app.tenant().await;
    for id in ["a1", "a2", "a3"] {
        app.post("/api/v1/apps", &t.token, json!({ "id": id }))
            .await
            .expect(201);
    }
    // 3 created + 4 reserved = 7 apps, in pages of 3.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/apps?limit=3&cursor={c}"),
            None => "/api/v1/apps?limit=3".to_owned(),
        };
        let page = app.get(&path, &t.token).await.expect(200);
        for a in page.body["data"].as_array().unwrap() {
            seen.push(a["id"].as_str().unwrap().to_owned());
        }
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ["a1", "a2", "a3", "cams", "ess", "meeting", "ops"]);
}

async fn apps_are_isolated(app: TestApp) {
    let a = app.tenant().await;
    let b = app.tenant().await;
    app.post("/api/v1/apps", &a.token, json!({ "id": "private" }))
        .await
        .expect(201);
    app.get("/api/v1/apps/private", &b.token)
        .await
        .expect_error(404, "app_not_found");
    app.patch("/api/v1/apps/private", &b.token, json!({ "name": "x" }))
        .await
        .expect_error(404, "app_not_found");
    app.delete("/api/v1/apps/private", &b.token)
        .await
        .expect_error(404, "app_not_found");
    // The same id is free in another account.
    app.post("/api/v1/apps", &b.token, json!({ "id": "private" }))
        .await
        .expect(201);
    let listed = app.get("/api/v1/apps", &b.token).await.expect(200);
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 5);
}
