//! Subscriptions: create, read, list, update, enable/disable, rotate-secret, delete; quota; the SSRF guard
//! at save time; isolation.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{spawn_app_with, Backend, TestApp};

both_backends!(
    subscription_lifecycle,
    quota_is_enforced,
    subscriptions_are_isolated,
    changes_by_another_process_reach_publishing
);

async fn subscription_lifecycle(app: TestApp) {
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let created = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({
                "url": "http://127.0.0.1:9/hook",
                "event_types": ["order.created", "order.paid"],
                "channel_id": "room-1",
                "users": ["bob", "alice"],
                "headers": { "X-Tenant": "42" },
                "description": "orders"
            }),
        )
        .await
        .expect(201);
    let id = created.str("id");
    assert!(created.str("secret").starts_with("whsec_"));
    assert_eq!(created.body["status"], "enabled");
    assert_eq!(created.body["format"], "native");
    assert_eq!(created.body["users"], json!(["alice", "bob"]));
    assert_eq!(created.body["headers"], json!({ "x-tenant": "••••••" }));

    let path = format!("/api/v1/apps/shop/subscriptions/{id}");
    let got = app.get(&path, &t.token).await.expect(200);
    assert_eq!(got.body["channel_id"], "room-1");
    assert!(
        got.body.get("secret").is_none(),
        "secrets are only shown on create and rotate"
    );

    let list = app
        .get("/api/v1/apps/shop/subscriptions", &t.token)
        .await
        .expect(200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);

    let patched = app
        .patch(
            &path,
            &t.token,
            json!({ "url": "http://127.0.0.1:10/other", "channel_id": null, "event_types": [] }),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["url"], "http://127.0.0.1:10/other");
    assert!(patched.body["channel_id"].is_null());
    assert_eq!(patched.body["event_types"], json!([]));
    assert_eq!(
        patched.body["users"],
        json!(["alice", "bob"]),
        "untouched fields stay"
    );

    let disabled = app
        .post(&format!("{path}/disable"), &t.token, json!(null))
        .await
        .expect(200);
    assert_eq!(disabled.body["status"], "disabled");
    let enabled = app
        .post(&format!("{path}/enable"), &t.token, json!(null))
        .await
        .expect(200);
    assert_eq!(enabled.body["status"], "enabled");

    let rotated = app
        .post(&format!("{path}/rotate-secret"), &t.token, json!({}))
        .await
        .expect(200);
    assert!(rotated.str("secret").starts_with("whsec_"));
    assert_ne!(rotated.str("secret"), created.str("secret"));
    let chosen = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let rotated = app
        .post(
            &format!("{path}/rotate-secret"),
            &t.token,
            json!({ "secret": chosen }),
        )
        .await
        .expect(200);
    assert_eq!(rotated.str("secret"), chosen);
    let empty = app
        .send(
            reqwest::Method::POST,
            &format!("{path}/rotate-secret"),
            Some(&t.token),
            None,
            &[],
        )
        .await;
    assert_eq!(empty.expect(200).str("secret").len(), "whsec_".len() + 44);

    app.delete(&path, &t.token).await.expect(204);
    app.get(&path, &t.token)
        .await
        .expect_error(404, "subscription_not_found");
    app.delete(&path, &t.token)
        .await
        .expect_error(404, "subscription_not_found");
    app.get("/api/v1/apps/nope/subscriptions", &t.token)
        .await
        .expect_error(404, "app_not_found");
}

async fn quota_is_enforced(app: TestApp) {
    let t = app.tenant().await;
    app.post(
        "/api/v1/apps",
        &t.token,
        json!({ "id": "tiny", "max_subscriptions": 1 }),
    )
    .await
    .expect(201);
    let body = json!({ "url": "http://127.0.0.1:9/" });
    app.post("/api/v1/apps/tiny/subscriptions", &t.token, body.clone())
        .await
        .expect(201);
    let over = app
        .post("/api/v1/apps/tiny/subscriptions", &t.token, body)
        .await
        .expect_error(409, "quota_exceeded");
    assert!(over.message().contains("maximum of 1"), "{}", over.text);
}

async fn subscriptions_are_isolated(app: TestApp) {
    let a = app.tenant().await;
    let b = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&a, "http://127.0.0.1:9/").await;
    app.post("/api/v1/apps", &b.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    app.get(&path, &b.token)
        .await
        .expect_error(404, "subscription_not_found");
    app.patch(&path, &b.token, json!({ "url": "http://127.0.0.1:1/" }))
        .await
        .expect_error(404, "subscription_not_found");
    app.post(&format!("{path}/disable"), &b.token, json!(null))
        .await
        .expect_error(404, "subscription_not_found");
    app.post(&format!("{path}/rotate-secret"), &b.token, json!({}))
        .await
        .expect_error(404, "subscription_not_found");
    app.delete(&path, &b.token)
        .await
        .expect_error(404, "subscription_not_found");
    assert_eq!(
        app.get(&path, &a.token).await.expect(200).body["status"],
        "enabled"
    );
}

/// With no allowed networks, loopback and other non-public targets are refused when saved.
async fn private_targets_refused(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.allowed_targets.clear()).await else {
        return;
    };
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:10.0.0.1]/",
        // IPv4-translated (RFC 2765) loopback, and the local-use NAT64 prefix.
        "http://[::ffff:0:7f00:1]/",
        "http://[64:ff9b:1::808:808]/",
        "http://10.1.2.3/",
        "http://100.100.100.200/",
        "http://2130706433/",
    ] {
        let r = app
            .post(
                "/api/v1/apps/shop/subscriptions",
                &t.token,
                json!({ "url": url }),
            )
            .await;
        let r = r.expect_error(422, "validation_failed");
        assert_eq!(r.body["error"]["field"], "url");
        assert!(
            r.message().contains("not an allowed target"),
            "{url}: {}",
            r.text
        );
    }
    let sub = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": "http://93.184.215.14/hook" }),
        )
        .await
        .expect(201)
        .str("id");
    app.patch(
        &format!("/api/v1/apps/shop/subscriptions/{sub}"),
        &t.token,
        json!({ "url": "http://192.168.0.1/" }),
    )
    .await
    .expect_error(422, "validation_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_refused_sqlite() {
    private_targets_refused(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_refused_postgres() {
    private_targets_refused(Backend::Postgres).await
}

/// A subscription changed in the database by another process (another node on the same PostgreSQL)
/// reaches this one's publishes once its cached copy expires, a second later; the unchanged one beside it
/// keeps taking its events.
async fn changes_by_another_process_reach_publishing(app: TestApp) {
    let t = app.tenant().await;
    let url = "http://127.0.0.1:9/hook";
    let changed = app
        .shop_with(&t, json!({ "url": url, "event_types": ["t"] }))
        .await
        .str("id");
    let kept = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": url, "event_types": ["t"] }),
        )
        .await
        .expect(201)
        .str("id");
    let taking = |event_type: &'static str| {
        let app = &app;
        let token = t.token.clone();
        async move {
            let published = app
                .post(
                    "/api/v1/apps/shop/events",
                    &token,
                    json!({ "type": event_type, "payload": {} }),
                )
                .await
                .expect(201);
            let mut subscriptions: Vec<String> = published.body["deliveries"]
                .as_array()
                .expect("deliveries")
                .iter()
                .map(|d| {
                    d["subscription_id"]
                        .as_str()
                        .expect("subscription")
                        .to_owned()
                })
                .collect();
            subscriptions.sort();
            subscriptions
        }
    };
    let mut both = vec![changed.clone(), kept.clone()];
    both.sort();
    assert_eq!(
        taking("t").await,
        both,
        "both take `t` (and are now cached)"
    );
    assert!(taking("u").await.is_empty());

    app.execute_sql(&format!(
        "UPDATE subscriptions SET event_types = '[\"u\"]' WHERE id = '{changed}'"
    ))
    .await;
    // The cache's TTL is a second: poll for a few.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while taking("u").await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the change was not seen within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(taking("u").await, [changed]);
    assert_eq!(
        taking("t").await,
        [kept],
        "the unchanged one still takes `t`"
    );
}
