//! Accounts and access keys (admin), key authentication, policies and parent/child scoping.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, ADMIN_TOKEN};

both_backends!(
    accounts_and_keys,
    parent_acts_for_child_only,
    policies_are_enforced
);

async fn accounts_and_keys(app: TestApp) {
    let acc = app
        .post("/api/v1/accounts", ADMIN_TOKEN, json!({ "name": "acme" }))
        .await
        .expect(201);
    let id = acc.str("id");
    assert_eq!(
        acc.body["products"],
        json!(["cams", "ess", "live", "meeting"])
    );
    assert_eq!(
        app.get(&format!("/api/v1/accounts/{id}"), ADMIN_TOKEN)
            .await
            .expect(200)
            .str("name"),
        "acme"
    );
    let list = app.get("/api/v1/accounts", ADMIN_TOKEN).await.expect(200);
    assert!(list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id.as_str()));
    app.get("/api/v1/accounts/acc_nope", ADMIN_TOKEN)
        .await
        .expect_error(404, "account_not_found");

    let key = app
        .post(
            &format!("/api/v1/accounts/{id}/keys"),
            ADMIN_TOKEN,
            json!({ "policy": ["*"], "user_id": "u-1" }),
        )
        .await
        .expect(201);
    let token = key.str("token");
    assert_eq!(
        token,
        format!("{}:{}", key.str("key_id"), key.str("secret"))
    );
    assert_eq!(key.str("user_id"), "u-1");

    // The key sees its account's reserved apps.
    let apps = app.get("/api/v1/apps", &token).await.expect(200);
    let ids: Vec<&str> = apps.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cams", "ess", "meeting", "ops"]);

    // Listing keys never shows secrets.
    let keys = app
        .get(&format!("/api/v1/accounts/{id}/keys"), ADMIN_TOKEN)
        .await
        .expect(200);
    assert_eq!(keys.body["data"].as_array().unwrap().len(), 1);
    assert!(!keys.text.contains(&key.str("secret")));

    // Keys may not manage accounts.
    app.post("/api/v1/accounts", &token, json!({ "name": "x" }))
        .await
        .expect_error(403, "forbidden");
    app.get(&format!("/api/v1/accounts/{id}/keys"), &token)
        .await
        .expect_error(403, "forbidden");

    // A revoked key stops working.
    let key_id = key.str("key_id");
    app.delete(&format!("/api/v1/accounts/{id}/keys/{key_id}"), ADMIN_TOKEN)
        .await
        .expect(204);
    app.get("/api/v1/apps", &token)
        .await
        .expect_error(401, "unauthorized");
    app.delete(&format!("/api/v1/accounts/{id}/keys/{key_id}"), ADMIN_TOKEN)
        .await
        .expect_error(404, "key_not_found");

    app.post(
        "/api/v1/accounts",
        ADMIN_TOKEN,
        json!({ "name": "c", "parent_id": "acc_missing" }),
    )
    .await
    .expect_error(422, "validation_failed");
    app.post(
        "/api/v1/accounts/acc_missing/keys",
        ADMIN_TOKEN,
        json!({ "policy": ["*"] }),
    )
    .await
    .expect_error(404, "account_not_found");
    let bad = app
        .post(
            &format!("/api/v1/accounts/{id}/keys"),
            ADMIN_TOKEN,
            json!({ "policy": ["*", "bogus:x"] }),
        )
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(bad.body["error"]["field"], "policy[1]");
}

async fn parent_acts_for_child_only(app: TestApp) {
    let parent = app.tenant().await;
    let child = app
        .tenant_with(
            json!({ "name": "child", "parent_id": parent.account_id }),
            &["*"],
        )
        .await;
    let stranger = app.tenant().await;
    let as_child = [("hookd-account", child.account_id.as_str())];

    let created = app
        .send(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(&parent.token),
            Some(&json!({ "id": "kid-app" })),
            &as_child,
        )
        .await
        .expect(201);
    assert_eq!(created.str("id"), "kid-app");
    app.get("/api/v1/apps/kid-app", &child.token)
        .await
        .expect(200);
    app.get("/api/v1/apps/kid-app", &parent.token)
        .await
        .expect_error(404, "app_not_found");

    let as_parent = [("hookd-account", parent.account_id.as_str())];
    app.send(
        reqwest::Method::GET,
        "/api/v1/apps",
        Some(&child.token),
        None,
        &as_parent,
    )
    .await
    .expect_error(404, "account_not_found");
    app.send(
        reqwest::Method::GET,
        "/api/v1/apps",
        Some(&stranger.token),
        None,
        &as_child,
    )
    .await
    .expect_error(404, "account_not_found");

    // The admin acts in an account only when it names it.
    app.get("/api/v1/apps", ADMIN_TOKEN)
        .await
        .expect_error(422, "validation_failed");
    app.send(
        reqwest::Method::GET,
        "/api/v1/apps/kid-app",
        Some(ADMIN_TOKEN),
        None,
        &as_child,
    )
    .await
    .expect(200);
}

async fn policies_are_enforced(app: TestApp) {
    let reader = app
        .tenant_with(
            json!({ "name": "r" }),
            &["hookd:apps.read", "hookd:events.*"],
        )
        .await;
    app.get("/api/v1/apps", &reader.token).await.expect(200);
    let denied = app
        .post("/api/v1/apps", &reader.token, json!({ "id": "x" }))
        .await
        .expect_error(403, "forbidden");
    assert!(
        denied.message().contains("hookd:apps.write"),
        "{}",
        denied.text
    );
    app.post(
        "/api/v1/apps/ops/events",
        &reader.token,
        json!({ "type": "t", "payload": {} }),
    )
    .await
    .expect(201);
    app.get("/api/v1/apps/ops/subscriptions", &reader.token)
        .await
        .expect_error(403, "forbidden");

    let nothing = app.tenant_with(json!({ "name": "n" }), &[]).await;
    app.get("/api/v1/apps", &nothing.token)
        .await
        .expect_error(403, "forbidden");
}
