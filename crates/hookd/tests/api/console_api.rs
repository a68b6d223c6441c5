//! The routes a web console reads: who the caller is (`/api/v1/me`), a subscription's attempts per hour,
//! throughput and queue depth per minute (`/api/v1/stats`), the attempt feed (`/api/v1/attempts`), and the
//! request a delivery sends (`request` of `GET /api/v1/deliveries/{id}`), secrets masked.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{data_ids, Receiver, Tenant, TestApp, ADMIN_TOKEN};
use crate::{both_backends, both_backends_with};

both_backends!(
    me_tells_the_admin_from_a_key,
    subscription_stats_count_attempts_per_hour,
    attempt_feed_follows_one_account,
    stats_cover_the_server_or_one_account,
    delivery_shows_its_request_with_secrets_masked,
);
both_backends_with!(larger_bodies => long_request_bodies_are_cut);

fn larger_bodies(config: &mut hookd::Config) {
    config.max_body_bytes = 256 * 1024;
}

const WAIT: Duration = Duration::from_secs(15);

/// Publishes `payload` to `shop` as `t`; returns (event id, first delivery id).
async fn publish(app: &TestApp, t: &Tenant, payload: Value) -> (String, String) {
    let published = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": payload }),
        )
        .await
        .expect(201);
    (
        published.str("id"),
        published.body["deliveries"][0]["id"]
            .as_str()
            .expect("a delivery")
            .to_owned(),
    )
}

async fn wait_status(app: &TestApp, t: &Tenant, delivery: &str, status: &str) -> Value {
    let d = app
        .wait_delivery(t, delivery, WAIT, |d| d["status"] == status)
        .await;
    assert_eq!(d["status"], status, "{d}");
    d
}

/// Asserts a 422 that names `field`.
#[track_caller]
fn names(r: crate::helpers::Resp, field: &str) {
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
    assert!(
        r.body["error"]["field"] == field || r.message().contains(field),
        "the error does not name `{field}`: {}",
        r.text
    );
}

fn sum(buckets: &Value, field: &str) -> i64 {
    buckets
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[field].as_i64().unwrap())
        .sum()
}

/// Buckets are `width` seconds apart, aligned to it, the last holding now.
#[track_caller]
fn check_buckets(buckets: &Value, n: usize, width: i64) {
    let buckets = buckets.as_array().unwrap();
    assert_eq!(buckets.len(), n);
    let starts: Vec<i64> = buckets
        .iter()
        .map(|b| {
            chrono::DateTime::parse_from_rfc3339(b["start"].as_str().unwrap())
                .unwrap()
                .timestamp()
        })
        .collect();
    for pair in starts.windows(2) {
        assert_eq!(pair[1] - pair[0], width, "{starts:?}");
    }
    assert_eq!(starts[0] % width, 0, "aligned");
    let now = chrono::Utc::now().timestamp();
    let last = *starts.last().unwrap();
    // A bucket boundary may pass between the answer and this check.
    assert!(last <= now && now < last + 2 * width, "{last} {now}");
}

async fn me_tells_the_admin_from_a_key(app: TestApp) {
    let admin = app.get("/api/v1/me", ADMIN_TOKEN).await.expect(200);
    assert_eq!(admin.body, json!({ "kind": "admin" }));

    let t = app
        .tenant_with(json!({ "name": "me" }), &["hookd:apps.read"])
        .await;
    let me = app.get("/api/v1/me", &t.token).await.expect(200);
    let key_id = t.token.split_once(':').unwrap().0;
    assert_eq!(
        me.body,
        json!({ "kind": "key", "account_id": t.account_id, "account_name": "me", "key_id": key_id,
                "policy": ["hookd:apps.read"] })
    );
    let secret = t.token.split_once(':').unwrap().1;
    assert!(
        !me.text.contains(secret),
        "the secret is shown: {}",
        me.text
    );

    app.send(Method::GET, "/api/v1/me", None, None, &[])
        .await
        .expect_error(401, "unauthorized");
    app.get("/api/v1/me", "nope:nope")
        .await
        .expect_error(401, "unauthorized");
}

async fn subscription_stats_count_attempts_per_hour(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500]);
    let t = app.tenant().await;
    let sub = app
        .shop_with(&t, json!({ "url": receiver.url, "retry": [1] }))
        .await
        .str("id");
    let (_, delivery) = publish(&app, &t, json!({})).await;
    wait_status(&app, &t, &delivery, "succeeded").await;

    let path = format!("/api/v1/apps/shop/subscriptions/{sub}/stats");
    let stats = app.get(&path, &t.token).await.expect(200).body;
    assert_eq!(stats["bucket_seconds"], 3600);
    check_buckets(&stats["buckets"], 24, 3600);
    assert_eq!(stats["since"], stats["buckets"][0]["start"]);
    assert_eq!(
        (stats["succeeded"].as_i64(), stats["failed"].as_i64()),
        (Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(sum(&stats["buckets"], "succeeded"), 1);
    assert_eq!(sum(&stats["buckets"], "failed"), 1);
    assert_eq!(stats["success_rate"], 0.5);

    let week = app
        .get(&format!("{path}?hours=168"), &t.token)
        .await
        .expect(200)
        .body;
    check_buckets(&week["buckets"], 168, 3600);
    let one = app
        .get(&format!("{path}?hours=1"), &t.token)
        .await
        .expect(200)
        .body;
    check_buckets(&one["buckets"], 1, 3600);

    // A subscription without attempts: zeros and no rate.
    let idle = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": receiver.url, "event_types": ["other"] }),
        )
        .await
        .expect(201)
        .str("id");
    let empty = app
        .get(
            &format!("/api/v1/apps/shop/subscriptions/{idle}/stats"),
            &t.token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(empty["succeeded"], 0);
    assert_eq!(empty["failed"], 0);
    assert_eq!(empty["success_rate"], Value::Null);
    assert_eq!(sum(&empty["buckets"], "failed"), 0);

    for bad in ["0", "169", "-1", "x", "1.5", "99999999999999999999"] {
        let r = app.get(&format!("{path}?hours={bad}"), &t.token).await;
        names(r, "hours");
    }
    app.get(&format!("{path}?nope=1"), &t.token)
        .await
        .expect_error(422, "invalid_query");

    // Missing, and another account's: not found alike.
    app.get(
        "/api/v1/apps/shop/subscriptions/sub_01hzzzzzzzzzzzzzzzzzzzzzzz/stats",
        &t.token,
    )
    .await
    .expect_error(404, "subscription_not_found");
    app.get(
        &format!("/api/v1/apps/nope/subscriptions/{sub}/stats"),
        &t.token,
    )
    .await
    .expect_error(404, "app_not_found");
    let other = app.tenant().await;
    app.app_with_subscription(&other, &receiver.url).await;
    app.get(&path, &other.token)
        .await
        .expect_error(404, "subscription_not_found");
    // The policy action is deliveries.read.
    let reader = app
        .key(&t.account_id, &["hookd:subscriptions.read"])
        .await
        .str("token");
    app.get(&path, &reader).await.expect_error(403, "forbidden");
    // The admin acting in the account.
    let as_admin = app
        .send(
            Method::GET,
            &path,
            Some(ADMIN_TOKEN),
            None,
            &[("hookd-account", &t.account_id)],
        )
        .await
        .expect(200);
    assert_eq!(as_admin.body["succeeded"], 1);
}

async fn attempt_feed_follows_one_account(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    let (sub_a, _) = app.app_with_subscription(&a, &receiver.url).await;
    let (sub_b, _) = app.app_with_subscription(&b, &receiver.url).await;
    let mut a_deliveries = Vec::new();
    for _ in 0..3 {
        let (_, d) = publish(&app, &a, json!({})).await;
        wait_status(&app, &a, &d, "succeeded").await;
        a_deliveries.push(d);
    }
    let mut b_deliveries = Vec::new();
    for _ in 0..2 {
        let (_, d) = publish(&app, &b, json!({})).await;
        wait_status(&app, &b, &d, "succeeded").await;
        b_deliveries.push(d);
    }

    let all = app.get("/api/v1/attempts", &a.token).await.expect(200).body;
    let data = all["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{all}");
    assert_eq!(all["next_cursor"], Value::Null);
    let ids: Vec<&str> = data.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "ascending by id");
    let deliveries: Vec<&str> = data
        .iter()
        .map(|e| e["delivery_id"].as_str().unwrap())
        .collect();
    assert_eq!(deliveries, a_deliveries, "in the order they were made");
    let first = &data[0];
    assert_eq!(first["subscription_id"], sub_a.as_str());
    assert_eq!(first["app_id"], "shop");
    assert_eq!(first["event_type"], "t");
    assert_eq!(first["delivery_status"], "succeeded");
    assert_eq!(first["status_code"], 200);
    assert_eq!(first["attempt"], 1);
    assert!(first["event_id"].as_str().unwrap().starts_with("evt_"));
    for field in ["started_at", "duration_ms", "error", "response_excerpt"] {
        assert!(first.get(field).is_some(), "no `{field}` in {first}");
    }
    // Never B's.
    for id in b_deliveries.iter().chain([&sub_b]) {
        assert!(!all.to_string().contains(id.as_str()), "A sees B's {id}");
    }
    let of_b = app.get("/api/v1/attempts", &b.token).await.expect(200).body;
    assert_eq!(of_b["data"].as_array().unwrap().len(), 2);
    for e in of_b["data"].as_array().unwrap() {
        assert_eq!(e["subscription_id"], sub_b.as_str());
    }

    // The newest page, ascending, and following it.
    let newest = app
        .get("/api/v1/attempts?limit=2", &a.token)
        .await
        .expect(200)
        .body;
    let newest_ids = data_ids(&newest);
    assert_eq!(newest_ids, ids[1..]);
    assert_eq!(newest["next_cursor"], ids[2]);
    let after_first = app
        .get(
            &format!("/api/v1/attempts?after={}&limit=2", ids[0]),
            &a.token,
        )
        .await
        .expect(200)
        .body;
    let after_ids = data_ids(&after_first);
    assert_eq!(after_ids, ids[1..]);
    assert_eq!(after_first["next_cursor"], ids[2]);
    let caught_up = app
        .get(&format!("/api/v1/attempts?after={}", ids[2]), &a.token)
        .await
        .expect(200)
        .body;
    assert_eq!(caught_up, json!({ "data": [], "next_cursor": null }));
    // A new attempt shows up after the last one seen.
    let (_, d) = publish(&app, &a, json!({})).await;
    wait_status(&app, &a, &d, "succeeded").await;
    let next = app
        .get(&format!("/api/v1/attempts?after={}", ids[2]), &a.token)
        .await
        .expect(200)
        .body;
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
    assert_eq!(next["data"][0]["delivery_id"], d.as_str());
    // B's cursor does not open A's attempts either.
    let b_after = app
        .get(&format!("/api/v1/attempts?after={}", ids[0]), &b.token)
        .await
        .expect(200)
        .body;
    for e in b_after["data"].as_array().unwrap() {
        assert_eq!(e["subscription_id"], sub_b.as_str());
    }

    // By app; an app the account does not have is not found.
    let by_app = app
        .get("/api/v1/attempts?app=shop&limit=250", &a.token)
        .await
        .expect(200)
        .body;
    assert_eq!(by_app["data"].as_array().unwrap().len(), 4);
    app.get("/api/v1/attempts?app=nope", &a.token)
        .await
        .expect_error(404, "app_not_found");
    // The admin acting in A sees A's; without an account it is told to name one.
    let as_admin = app
        .send(
            Method::GET,
            "/api/v1/attempts",
            Some(ADMIN_TOKEN),
            None,
            &[("hookd-account", &a.account_id)],
        )
        .await
        .expect(200)
        .body;
    assert_eq!(as_admin["data"].as_array().unwrap().len(), 4);
    names(
        app.get("/api/v1/attempts", ADMIN_TOKEN).await,
        "Hookd-Account",
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=251", "limit"),
        ("limit=x", "limit"),
        ("after=x", "after"),
        ("after=att_", "after"),
        ("after=evt_01hzzzzzzzzzzzzzzzzzzzzzzz", "after"),
        ("after=att_8zzzzzzzzzzzzzzzzzzzzzzzzz", "after"),
    ] {
        names(
            app.get(&format!("/api/v1/attempts?{query}"), &a.token)
                .await,
            field,
        );
    }
    let reader = app
        .key(&a.account_id, &["hookd:events.read"])
        .await
        .str("token");
    app.get("/api/v1/attempts", &reader)
        .await
        .expect_error(403, "forbidden");
}

async fn stats_cover_the_server_or_one_account(app: TestApp) {
    let receiver = Receiver::start().await;
    let a = app.tenant().await;
    let b = app.tenant().await;
    app.app_with_subscription(&a, &receiver.url).await;
    app.app_with_subscription(&b, &receiver.url).await;
    for _ in 0..2 {
        let (_, d) = publish(&app, &a, json!({})).await;
        wait_status(&app, &a, &d, "succeeded").await;
    }
    // B's delivery fails and waits ten minutes for its retry.
    receiver.respond_with(&[500]);
    app.patch(
        &format!(
            "/api/v1/apps/shop/subscriptions/{}",
            app.get("/api/v1/apps/shop/subscriptions", &b.token)
                .await
                .body["data"][0]["id"]
                .as_str()
                .unwrap()
        ),
        &b.token,
        json!({ "retry": [600] }),
    )
    .await
    .expect(200);
    let (_, d) = publish(&app, &b, json!({})).await;
    wait_status(&app, &b, &d, "retrying").await;

    let server = app.get("/api/v1/stats", ADMIN_TOKEN).await.expect(200).body;
    assert_eq!(server["scope"], "server");
    assert_eq!(server["account_id"], Value::Null);
    assert_eq!(server["bucket_seconds"], 60);
    check_buckets(&server["buckets"], 60, 60);
    assert_eq!(sum(&server["buckets"], "published"), 3, "{server}");
    assert_eq!(sum(&server["buckets"], "succeeded"), 2);
    assert_eq!(sum(&server["buckets"], "failed"), 1);
    assert_eq!(
        server["queue"],
        json!({ "depth": 1, "by_status": { "pending": 0, "delivering": 0, "retrying": 1 } })
    );

    let of_a = app.get("/api/v1/stats", &a.token).await.expect(200).body;
    assert_eq!(of_a["scope"], "account");
    assert_eq!(of_a["account_id"], a.account_id.as_str());
    assert_eq!(sum(&of_a["buckets"], "published"), 2);
    assert_eq!(sum(&of_a["buckets"], "succeeded"), 2);
    assert_eq!(sum(&of_a["buckets"], "failed"), 0);
    assert_eq!(of_a["queue"]["depth"], 0);
    assert_eq!(of_a["queue"]["by_status"]["retrying"], 0);

    let of_b = app
        .send(
            Method::GET,
            "/api/v1/stats?minutes=5",
            Some(ADMIN_TOKEN),
            None,
            &[("hookd-account", &b.account_id)],
        )
        .await
        .expect(200)
        .body;
    assert_eq!(of_b["scope"], "account");
    assert_eq!(of_b["account_id"], b.account_id.as_str());
    check_buckets(&of_b["buckets"], 5, 60);
    assert_eq!(sum(&of_b["buckets"], "published"), 1);
    assert_eq!(sum(&of_b["buckets"], "failed"), 1);
    assert_eq!(of_b["queue"]["depth"], 1);

    let day = app
        .get("/api/v1/stats?minutes=1440", ADMIN_TOKEN)
        .await
        .expect(200)
        .body;
    check_buckets(&day["buckets"], 1440, 60);
    let one = app
        .get("/api/v1/stats?minutes=1", &a.token)
        .await
        .expect(200)
        .body;
    check_buckets(&one["buckets"], 1, 60);

    for bad in ["0", "1441", "-5", "x", "99999999999999999999"] {
        names(
            app.get(&format!("/api/v1/stats?minutes={bad}"), &a.token)
                .await,
            "minutes",
        );
    }
    // Scoped like every other route: a key cannot name a stranger's account, nor the admin a missing one.
    app.send(
        Method::GET,
        "/api/v1/stats",
        Some(&b.token),
        None,
        &[("hookd-account", &a.account_id)],
    )
    .await
    .expect_error(404, "account_not_found");
    app.send(
        Method::GET,
        "/api/v1/stats",
        Some(ADMIN_TOKEN),
        None,
        &[("hookd-account", "acc_01hzzzzzzzzzzzzzzzzzzzzzzz")],
    )
    .await
    .expect_error(404, "account_not_found");
    let reader = app
        .key(&a.account_id, &["hookd:apps.read"])
        .await
        .str("token");
    app.get("/api/v1/stats", &reader)
        .await
        .expect_error(403, "forbidden");
    app.send(Method::GET, "/api/v1/stats", None, None, &[])
        .await
        .expect_error(401, "unauthorized");
}

async fn delivery_shows_its_request_with_secrets_masked(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let created = app
        .shop_with(
            &t,
            json!({
                "url": receiver.url,
                "headers": { "Authorization": "Bearer s3cret-value", "X-Trace": "abc" },
                "asymmetric_signing": true,
            }),
        )
        .await;
    let sub = created.str("id");
    let secret = created.str("secret");
    let payload = r#"{"order":1,"name":"ü","nested":{"a":[1,2]}}"#;
    // Posted as raw text, so the payload's exact bytes are what was published.
    let res = app
        .http
        .post(format!("{}/api/v1/apps/shop/events", app.base))
        .bearer_auth(&t.token)
        .header("content-type", "application/json")
        .body(format!(r#"{{"type":"t","payload":{payload}}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let published: Value = res.json().await.unwrap();
    let event = published["id"].as_str().unwrap().to_owned();
    let delivery = published["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = wait_status(&app, &t, &delivery, "succeeded").await;

    let request = &detail["request"];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["url"], receiver.url.as_str());
    assert_eq!(request["body"], payload, "the native body is the payload");
    assert_eq!(request["body_truncated"], false);
    let received = receiver.requests();
    assert_eq!(
        request["body"],
        std::str::from_utf8(&received[0].body).unwrap()
    );
    let headers: Vec<(String, String)> = request["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_owned(),
                h["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "authorization",
            "x-trace"
        ],
        "in the order sent"
    );
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap()
    };
    assert_eq!(value("content-type"), "application/json");
    assert_eq!(value("webhook-id"), event);
    assert!(value("webhook-timestamp").parse::<i64>().is_ok());
    assert_eq!(value("webhook-signature"), "••••••");
    // The subscription's own headers are masked whatever their names.
    assert_eq!(value("authorization"), "••••••");
    assert_eq!(value("x-trace"), "••••••");
    let text = detail.to_string();
    assert!(!text.contains("s3cret-value"), "{text}");
    assert!(!text.contains("v1,"), "a signature shows: {text}");
    assert!(!text.contains(secret.trim_start_matches("whsec_")));

    // Once the subscription is gone there is no request to show.
    app.delete(&format!("/api/v1/apps/shop/subscriptions/{sub}"), &t.token)
        .await
        .expect(204);
    let gone = app
        .get(&format!("/api/v1/deliveries/{delivery}"), &t.token)
        .await
        .expect(200)
        .body;
    assert_eq!(gone["request"], Value::Null);
    assert_eq!(gone["status"], "succeeded");
}

async fn long_request_bodies_are_cut(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    app.app_with_subscription(&t, &receiver.url).await;
    let big = format!(r#"{{"blob":"{}"}}"#, "x".repeat(70_000));
    let (_, delivery) = publish(&app, &t, serde_json::from_str(&big).unwrap()).await;
    let shown = wait_status(&app, &t, &delivery, "succeeded").await;
    assert_eq!(shown["request"]["body_truncated"], true);
    let body = shown["request"]["body"].as_str().unwrap();
    assert_eq!(body.len(), 64 * 1024);
    assert!(big.starts_with(body));
    assert_eq!(receiver.requests()[0].body.len(), big.len(), "sent whole");
}
