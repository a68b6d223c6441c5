//! Finding and fixing a failing subscription through the API, as the console does: its health, the
//! health counts per app, its failing deliveries grouped by a failure kind that is explained, a dry run of
//! "retry all failing" that changes nothing, the fix (a new URL), the retry, and health again.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{free_port, Receiver, TestApp, ADMIN_TOKEN};

both_backends!(a_failing_subscription_is_found_explained_and_fixed);

/// The subscription's deliveries (newest first).
async fn deliveries(app: &TestApp, token: &str, sub: &str) -> Vec<Value> {
    let path = format!("/api/v1/apps/shop/subscriptions/{sub}/deliveries");
    let body = app.get(&path, token).await.expect(200).body;
    body["data"].as_array().unwrap().clone()
}

/// Polls `check` every 50 ms until it holds, for at most 10 s.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "still not so after 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_failing_subscription_is_found_explained_and_fixed(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app
        .tenant_with(json!({ "name": "Corner Shop" }), &["*"])
        .await;
    let healthy = app
        .shop_with(&t, json!({ "url": receiver.url, "description": "works" }))
        .await
        .str("id");
    // Nothing listens at this port; one retry, an hour away, keeps the deliveries retrying.
    let nowhere = format!("http://127.0.0.1:{}/hook", free_port());
    let failing = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": nowhere, "retry": [3600] }),
        )
        .await
        .expect(201)
        .str("id");
    let sub_path = format!("/api/v1/apps/shop/subscriptions/{failing}");
    for order in 0..3 {
        app.post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "order.paid", "payload": { "order": order } }),
        )
        .await
        .expect(201);
    }
    eventually(
        "the failing subscription's three deliveries are retrying",
        || async {
            let all = deliveries(&app, &t.token, &failing).await;
            all.len() == 3 && all.iter().all(|d| d["status"] == "retrying")
        },
    )
    .await;

    // Its health, and the app's counts.
    let sub = app.get(&sub_path, &t.token).await.expect(200).body;
    assert_eq!(sub["health"], "failing", "{sub}");
    assert!(sub["failing_since"].is_string(), "{sub}");
    let fine = app
        .get(
            &format!("/api/v1/apps/shop/subscriptions/{healthy}"),
            &t.token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (&fine["health"], &fine["failing_since"]),
        (&json!("healthy"), &Value::Null)
    );
    let counts = app
        .get("/api/v1/subscription-health", &t.token)
        .await
        .expect(200)
        .body;
    let shop = |counts: &Value| {
        counts["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["app_id"] == "shop" && c["account_id"] == t.account_id.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let expected = |healthy: i64, failing: i64, disabled: i64| {
        json!({ "account_id": t.account_id, "app_id": "shop", "healthy": healthy, "failing": failing,
                "disabled": disabled, "locked": 0 })
    };
    assert_eq!(shop(&counts), expected(1, 1, 0));
    // The operator without an account sees every account's apps, this one's among them.
    let everyone = app
        .get("/api/v1/subscription-health", ADMIN_TOKEN)
        .await
        .expect(200)
        .body;
    assert_eq!(shop(&everyone), expected(1, 1, 0));

    // Why: each delivery names its event's type and its last failure's kind; the kinds are explained.
    for d in deliveries(&app, &t.token, &failing).await {
        assert_eq!(
            (&d["event_type"], &d["last_failure"]),
            (&json!("order.paid"), &json!("connection_refused")),
            "{d}"
        );
    }
    let kinds = app
        .get("/api/v1/failure-kinds", &t.token)
        .await
        .expect(200)
        .body;
    let refused = kinds["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "connection_refused")
        .expect("connection_refused is explained")
        .clone();
    assert_eq!(refused["title"], "Nothing is listening at this address");
    assert!(
        refused["advice"].as_str().unwrap().contains("port"),
        "{refused}"
    );
    // The groups: all three failed alike.
    let groups = app
        .get(&format!("{sub_path}/failures"), &t.token)
        .await
        .expect(200)
        .body;
    let groups = groups["data"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(
        (
            &groups[0]["failure"],
            &groups[0]["retrying"],
            &groups[0]["dead"]
        ),
        (&json!("connection_refused"), &json!(3), &json!(0))
    );
    assert!(
        groups[0]["error"].as_str().unwrap().contains("connection"),
        "{groups:?}"
    );

    // "Retry all failing": a dry run counts and changes nothing.
    let before = deliveries(&app, &t.token, &failing).await;
    let dry = app
        .post(
            &format!("{sub_path}/replay"),
            &t.token,
            json!({ "dry_run": true }),
        )
        .await
        .expect(200);
    assert_eq!(dry.body, json!({ "requeued": 0, "matching": 3 }));
    assert_eq!(
        deliveries(&app, &t.token, &failing).await,
        before,
        "a dry run changes nothing"
    );

    // The fix: the URL of a receiver that listens, then the retry, then every delivery succeeds.
    app.patch(&sub_path, &t.token, json!({ "url": receiver.url }))
        .await
        .expect(200);
    let replayed = app
        .post(&format!("{sub_path}/replay"), &t.token, json!({}))
        .await
        .expect(202);
    assert_eq!(replayed.body, json!({ "requeued": 3, "matching": 3 }));
    eventually("the retried deliveries succeed", || async {
        deliveries(&app, &t.token, &failing)
            .await
            .iter()
            .all(|d| d["status"] == "succeeded" && d["last_failure"].is_null())
    })
    .await;
    assert_eq!(receiver.wait_for(6, Duration::from_secs(5)).await.len(), 6);
    let sub = app.get(&sub_path, &t.token).await.expect(200).body;
    assert_eq!(
        (&sub["health"], &sub["failing_since"]),
        (&json!("healthy"), &Value::Null)
    );
    let groups = app
        .get(&format!("{sub_path}/failures"), &t.token)
        .await
        .expect(200)
        .body;
    assert_eq!(groups["data"], json!([]));

    // Disabled is a health of its own.
    app.post(&format!("{sub_path}/disable"), &t.token, json!({}))
        .await
        .expect(200);
    let counts = app
        .get("/api/v1/subscription-health", &t.token)
        .await
        .expect(200)
        .body;
    assert_eq!(shop(&counts), expected(1, 0, 1));

    // The event list tells how each event's deliveries are doing.
    let events = app
        .get("/api/v1/apps/shop/events", &t.token)
        .await
        .expect(200)
        .body;
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    for e in events {
        assert_eq!(e["deliveries"]["succeeded"], 2, "{e}");
        assert_eq!(e["deliveries"]["dead"], 0, "{e}");
    }
    // Without `hookd:deliveries.read` the counts are not the key's to read.
    let reader = app
        .key(&t.account_id, &["hookd:events.read"])
        .await
        .str("token");
    let events = app
        .get("/api/v1/apps/shop/events", &reader)
        .await
        .expect(200)
        .body;
    assert_eq!(events["data"][0]["deliveries"], Value::Null);
    app.get(&format!("{sub_path}/failures"), &reader)
        .await
        .expect_error(403, "forbidden");

    // The key's own account by name.
    let me = app.get("/api/v1/me", &t.token).await.expect(200).body;
    assert_eq!(me["account_name"], "Corner Shop");
}
