//! A sweep of bad input: every case gets the documented status and a clear, enveloped message.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, ADMIN_TOKEN};

both_backends!(bad_input_sweep);

async fn bad_input_sweep(app: TestApp) {
    let t = app.tenant().await;
    let other = app.tenant().await;
    let (sub, _) = app.app_with_subscription(&t, "http://127.0.0.1:9/").await;
    let raw = |method: Method, path: &str, content_type: Option<&str>, body: String| {
        let mut req = app
            .http
            .request(method, format!("{}{path}", app.base))
            .bearer_auth(&t.token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }
    };

    // Malformed JSON, wrong media type, oversize bodies (the test server's limit is 64 KiB).
    let (s, b) = raw(
        Method::POST,
        "/api/v1/apps",
        Some("application/json"),
        "{\"id\":".into(),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (400, "malformed_json"),
        "{b}"
    );
    let (s, b) = raw(
        Method::POST,
        "/api/v1/apps",
        Some("text/plain"),
        "{}".into(),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (415, "unsupported_media_type"),
        "{b}"
    );
    let big = format!(r#"{{"type":"t","payload":"{}"}}"#, "x".repeat(70 * 1024));
    let (s, b) = raw(
        Method::POST,
        "/api/v1/apps/shop/events",
        Some("application/json"),
        big,
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str().unwrap()),
        (413, "payload_too_large"),
        "{b}"
    );

    // Unknown, missing and mistyped fields are named.
    let r = app
        .post(
            "/api/v1/apps",
            &t.token,
            json!({ "id": "a", "colour": "red" }),
        )
        .await
        .expect_error(422, "invalid_body");
    assert!(r.message().contains("unknown field `colour`"), "{}", r.text);
    let r = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "event_types": [] }),
        )
        .await;
    assert!(r
        .expect_error(422, "invalid_body")
        .message()
        .contains("missing field `url`"));
    let r = app
        .post("/api/v1/apps", &t.token, json!({ "id": 5 }))
        .await
        .expect_error(422, "invalid_body");
    assert!(r.message().contains("invalid type"), "{}", r.text);
    let r = app
        .post(
            "/api/v1/apps",
            &t.token,
            json!({ "id": "a", "kind": "weird" }),
        )
        .await
        .expect_error(422, "invalid_body");
    assert!(
        r.message().contains("unknown variant `weird`"),
        "{}",
        r.text
    );

    // Field validation names the field.
    for (body, field) in [
        (json!({ "url": "ftp://example.com/" }), "url"),
        (json!({ "url": "not a url" }), "url"),
        (json!({ "url": "http://10.0.0.1/" }), "url"),
        (
            json!({ "url": "http://127.0.0.1:9/", "secret": "plain" }),
            "secret",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "headers": { "Webhook-Id": "x" } }),
            "headers.Webhook-Id",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "event_types": ["ok", "not ok"] }),
            "event_types[1]",
        ),
        (
            json!({ "url": "http://127.0.0.1:9/", "channel_id": "" }),
            "channel_id",
        ),
    ] {
        let r = app
            .post("/api/v1/apps/shop/subscriptions", &t.token, body.clone())
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(r.body["error"]["field"], field, "{body}: {}", r.text);
        assert!(r.message().starts_with(field), "{}", r.text);
    }
    let r = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "", "payload": {} }),
        )
        .await;
    assert_eq!(
        r.expect_error(422, "validation_failed").body["error"]["field"],
        "type"
    );
    let long_key = "k".repeat(300);
    let r = app
        .send(
            Method::POST,
            "/api/v1/apps/shop/events",
            Some(&t.token),
            Some(&json!({ "type": "t", "payload": 1 })),
            &[("idempotency-key", &long_key)],
        )
        .await;
    assert_eq!(
        r.expect_error(422, "validation_failed").body["error"]["field"],
        "Idempotency-Key"
    );

    // Query strings.
    app.get("/api/v1/apps?limit=0", &t.token)
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/apps?limit=251", &t.token)
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/apps?limit=ten", &t.token)
        .await
        .expect_error(422, "invalid_query");
    app.get("/api/v1/apps?colour=red", &t.token)
        .await
        .expect_error(422, "invalid_query");
    let r = app
        .get("/api/v1/apps?cursor=%%%", &t.token)
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(r.body["error"]["field"], "cursor");

    // Credentials.
    let none = app
        .send(Method::GET, "/api/v1/apps", None, None, &[])
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    app.get("/api/v1/apps", "wrong")
        .await
        .expect_error(401, "unauthorized");
    app.get("/api/v1/apps", &format!("{}x", t.token))
        .await
        .expect_error(401, "unauthorized");
    app.get("/api/v1/apps", "HKNOPE:secret")
        .await
        .expect_error(401, "unauthorized");
    app.send(
        Method::GET,
        "/api/v1/apps",
        None,
        None,
        &[("authorization", "Basic abc")],
    )
    .await
    .expect_error(401, "unauthorized");
    app.get("/api/v1/accounts", &t.token)
        .await
        .expect_error(403, "forbidden");
    app.get("/api/v1/accounts", ADMIN_TOKEN).await.expect(200);

    // Another account's ids are not found, never forbidden.
    app.get("/api/v1/apps/shop", &other.token)
        .await
        .expect_error(404, "app_not_found");
    app.get(
        &format!("/api/v1/apps/shop/subscriptions/{sub}"),
        &other.token,
    )
    .await
    .expect_error(404, "app_not_found");
    app.post(
        "/api/v1/apps/shop/events",
        &other.token,
        json!({ "type": "t", "payload": {} }),
    )
    .await
    .expect_error(404, "app_not_found");

    // Unknown routes and methods still answer with the envelope.
    app.get("/api/v1/nothing", &t.token)
        .await
        .expect_error(404, "route_not_found");
    app.send(Method::PUT, "/api/v1/apps", Some(&t.token), None, &[])
        .await
        .expect_error(405, "method_not_allowed");
}
