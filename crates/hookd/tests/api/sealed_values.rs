//! Custom header values and queue passwords are sealed: every read masks them, `GET …/secret` reads them
//! back, attempts send the real values, dialect reads show them masked, and values an earlier version
//! stored in clear are sealed when the server starts. (That no secret is in the logs or readable at rest
//! is `secrets.rs`.)

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::{Connection, Row};

use crate::both_backends;
use crate::helpers::{
    child_tenant, post_to, start_child, terminate, wait_ready, Backend, Receiver, Storage, Tenant,
    TestApp,
};

both_backends!(
    header_values_and_queue_passwords_are_masked_in_every_read,
    a_sealed_queue_password_still_opens_the_broker,
    dialect_reads_show_them_masked,
);

/// What every masked custom header value shows.
const MASKED: &str = "••••••";

/// Reads a subscription's answers may come from, as `t` sees them: none may show `secrets`.
async fn assert_reads_hide(app: &TestApp, t: &Tenant, paths: &[String], secrets: &[&str]) {
    for path in paths {
        let r = app.get(path, &t.token).await.expect(200);
        for secret in secrets {
            assert!(
                !r.text.contains(secret),
                "GET {path} shows {secret}: {}",
                r.text
            );
        }
    }
}

async fn header_values_and_queue_passwords_are_masked_in_every_read(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    let created = app
        .shop_with(
            &t,
            json!({ "url": receiver.url, "headers": { "Authorization": "Bearer h-s3cret", "X-Tenant": "t-42" } }),
        )
        .await;
    let sub = created.str("id");
    assert_eq!(
        created.body["headers"],
        json!({ "authorization": MASKED, "x-tenant": MASKED })
    );
    // Nothing listens on port 9: the queue's attempts fail at once.
    let queue = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": "amqp://app:q-s3cret@127.0.0.1:9/?exchange=hooks" }),
        )
        .await
        .expect(201);
    assert_eq!(
        queue.body["url"],
        "amqp://app:****@127.0.0.1:9/?exchange=hooks"
    );
    let queue_sub = queue.str("id");
    let secrets = ["h-s3cret", "t-42", "q-s3cret"];
    for r in [&created, &queue] {
        assert!(secrets.iter().all(|s| !r.text.contains(s)), "{}", r.text);
    }

    // Attempts send the real values.
    let published = app
        .post(
            "/api/v1/apps/shop/events",
            &t.token,
            json!({ "type": "t", "payload": {} }),
        )
        .await
        .expect(201);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].headers["authorization"], "Bearer h-s3cret");
    assert_eq!(got[0].headers["x-tenant"], "t-42");
    let deliveries: Vec<String> = published.body["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();

    // Every read masks them: the subscriptions, their lists and the deliveries' request previews.
    let sub_path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    let mut reads = vec![
        sub_path.clone(),
        format!("/api/v1/apps/shop/subscriptions/{queue_sub}"),
        "/api/v1/apps/shop/subscriptions".to_owned(),
        "/api/v1/attempts".to_owned(),
        format!("/api/v1/apps/shop/subscriptions/{queue_sub}/deliveries"),
    ];
    reads.extend(deliveries.iter().map(|d| format!("/api/v1/deliveries/{d}")));
    assert_reads_hide(&app, &t, &reads, &secrets).await;
    for id in &deliveries {
        let detail = app
            .get(&format!("/api/v1/deliveries/{id}"), &t.token)
            .await
            .expect(200);
        let request = &detail.body["request"];
        if request["url"] == receiver.url.as_str() {
            let own: Vec<&Value> = request["headers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|h| h["name"] == "authorization" || h["name"] == "x-tenant")
                .collect();
            assert_eq!(own.len(), 2, "{request}");
            assert!(own.iter().all(|h| h["value"] == MASKED), "{request}");
        } else {
            assert_eq!(
                request["url"],
                "amqp://app:****@127.0.0.1:9/?exchange=hooks"
            );
        }
    }

    // Reading them back takes the same call and action as the signing secret.
    let shown = app
        .get(&format!("{sub_path}/secret"), &t.token)
        .await
        .expect(200);
    assert_eq!(
        shown.body["headers"],
        json!({ "authorization": "Bearer h-s3cret", "x-tenant": "t-42" })
    );
    assert_eq!(shown.body["url"], receiver.url.as_str());
    let shown = app
        .get(
            &format!("/api/v1/apps/shop/subscriptions/{queue_sub}/secret"),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(
        shown.body["url"],
        "amqp://app:q-s3cret@127.0.0.1:9/?exchange=hooks"
    );
    assert_eq!(shown.body["headers"], json!({}));
    let writer = app
        .key(
            &t.account_id,
            &[
                "hookd:subscriptions.write",
                "hookd:deliveries.*",
                "hookd:events.*",
            ],
        )
        .await
        .str("token");
    app.get(&format!("{sub_path}/secret"), &writer)
        .await
        .expect_error(403, "forbidden");

    // What a read shows, written back, keeps the stored values; a masked value needs one to keep.
    let mut headers = app.get(&sub_path, &t.token).await.expect(200).body["headers"].clone();
    headers["X-Added"] = json!("new");
    let patched = app
        .patch(&sub_path, &t.token, json!({ "headers": headers }))
        .await
        .expect(200);
    assert_eq!(patched.body["headers"]["x-added"], MASKED);
    app.patch(
        &sub_path,
        &t.token,
        json!({ "headers": { "X-Other": MASKED } }),
    )
    .await
    .expect_error(422, "validation_failed");
    let queue_path = format!("/api/v1/apps/shop/subscriptions/{queue_sub}");
    let shown_url = app.get(&queue_path, &t.token).await.expect(200).body["url"].clone();
    app.patch(
        &queue_path,
        &t.token,
        json!({ "url": shown_url, "description": "kept" }),
    )
    .await
    .expect(200);
    let kept = app
        .get(&format!("{queue_path}/secret"), &t.token)
        .await
        .expect(200);
    assert_eq!(
        kept.body["url"],
        "amqp://app:q-s3cret@127.0.0.1:9/?exchange=hooks"
    );
    app.publish_to_shop(&t).await;
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].headers["authorization"], "Bearer h-s3cret");
    assert_eq!(got[1].headers["x-tenant"], "t-42");
    assert_eq!(got[1].headers["x-added"], "new");
}

/// A Redis user of the test's own on the shared server, so that only the right password is let in.
async fn a_sealed_queue_password_still_opens_the_broker(app: TestApp) {
    if !crate::queues::broker_is_up("Redis", "127.0.0.1:6379") {
        return;
    }
    let mut redis = redis::Client::open("redis://127.0.0.1:6379/")
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let name = format!("hookd-sealed-{}", ulid::Ulid::new()).to_lowercase();
    let password = format!("pw-{}", ulid::Ulid::new());
    let _: () = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            &name,
            "on",
            &format!(">{password}"),
            &format!("~{name}"),
            "+@all",
        ])
        .query_async(&mut redis)
        .await
        .unwrap();
    let t = app.tenant().await;
    let sub = app
        .shop_with(
            &t,
            json!({ "url": format!("redis://{name}:{password}@127.0.0.1:6379/{name}"), "retry": [1, 1, 1] }),
        )
        .await;
    assert!(!sub.text.contains(&password), "{}", sub.text);
    let delivery = app.publish_to_shop(&t).await;
    let done = app
        .wait_delivery(&t, &delivery, Duration::from_secs(20), |d| {
            d["status"] != "pending" && d["status"] != "delivering"
        })
        .await;
    let stored: usize = redis::cmd("XLEN")
        .arg(&name)
        .query_async(&mut redis)
        .await
        .unwrap();
    let _: () = redis::cmd("ACL")
        .arg(&["DELUSER", &name])
        .query_async(&mut redis)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&name)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(stored, 1, "the message is in the stream");
}

/// A signed Alibaba RPC call (signature v1) by the key `key`; returns the JSON answer.
async fn rpc(app: &TestApp, key: &Value, action: &str, params: &[(&str, &str)]) -> Value {
    use hookd::dialects::aliyun::signature::{canonical_query, rpc_signature};
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in [
        ("Action", action.to_owned()),
        ("Version", "2016-11-01".to_owned()),
        ("Format", "JSON".to_owned()),
        ("AccessKeyId", key["key_id"].as_str().unwrap().to_owned()),
        ("SignatureMethod", "HMAC-SHA1".to_owned()),
        ("SignatureVersion", "1.0".to_owned()),
        ("SignatureNonce", ulid::Ulid::new().to_string()),
        (
            "Timestamp",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ),
    ] {
        pairs.push((k.to_owned(), v));
    }
    let secret = key["secret"].as_str().unwrap();
    pairs.push((
        "Signature".to_owned(),
        rpc_signature(secret.as_bytes(), "GET", &pairs),
    ));
    let r = app
        .http
        .get(format!("{}/?{}", app.base, canonical_query(&pairs)))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let answer: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{action}: {status} {answer}");
    answer
}

/// Dialect configs given headers and a queue URL through the native API: the vendor reads
/// (`DescribeLiveSnapshotNotifyConfig`, `ListEventSub`) show neither the values nor the password.
async fn dialect_reads_show_them_masked(app: TestApp) {
    let t = app.tenant().await;
    let key = app.key(&t.account_id, &["*"]).await.body;
    for (id, kind) in [("live.example.com", "live-domain"), ("rtc-app", "live-rtc")] {
        app.post("/api/v1/apps", &t.token, json!({ "id": id, "kind": kind }))
            .await
            .expect(201);
    }
    rpc(
        &app,
        &key,
        "AddLiveSnapshotNotifyConfig",
        &[
            ("DomainName", "live.example.com"),
            ("NotifyUrl", "http://127.0.0.1:9/snap"),
        ],
    )
    .await;
    rpc(
        &app,
        &key,
        "CreateEventSub",
        &[
            ("AppId", "rtc-app"),
            ("CallbackUrl", "http://127.0.0.1:9/rtc"),
            ("Events.1", "ChannelEvent"),
        ],
    )
    .await;
    for app_id in ["live.example.com", "rtc-app"] {
        let list = app
            .get(&format!("/api/v1/apps/{app_id}/subscriptions"), &t.token)
            .await
            .expect(200);
        let sub = list.body["data"][0]["id"].as_str().unwrap().to_owned();
        app.patch(
            &format!("/api/v1/apps/{app_id}/subscriptions/{sub}"),
            &t.token,
            json!({ "url": "nats://app:dialect-pw@127.0.0.1:9/hooks", "headers": { "Authorization": "Bearer dialect-h" } }),
        )
        .await
        .expect(200);
    }
    let described = rpc(
        &app,
        &key,
        "DescribeLiveSnapshotNotifyConfig",
        &[("DomainName", "live.example.com")],
    )
    .await;
    assert_eq!(described["NotifyUrl"], "nats://app:****@127.0.0.1:9/hooks");
    let listed = rpc(&app, &key, "ListEventSub", &[("AppId", "rtc-app")]).await;
    assert_eq!(
        listed["Subscribers"][0]["CallbackUrl"],
        "nats://app:****@127.0.0.1:9/hooks"
    );
    for answer in [&described, &listed] {
        let text = answer.to_string();
        assert!(
            !text.contains("dialect-pw") && !text.contains("dialect-h"),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_stored_in_clear_are_sealed_at_start_sqlite() {
    values_stored_in_clear_are_sealed_at_start(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_stored_in_clear_are_sealed_at_start_postgres() {
    values_stored_in_clear_are_sealed_at_start(Backend::Postgres).await;
}

/// Runs `sql` on the database of `storage` (its server stopped), or with `query`, returns the first
/// column of every row as text.
async fn raw_sql(storage: &Storage, sql: &str) -> String {
    let mut text = String::new();
    match &storage.pg {
        None => {
            let mut db = sqlx::SqliteConnection::connect(&storage.database_url())
                .await
                .unwrap();
            for row in sqlx::query(sql).fetch_all(&mut db).await.unwrap() {
                text.push_str(&row.try_get::<String, _>(0).unwrap_or_default());
                text.push('\n');
            }
        }
        Some(pg) => {
            let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();
            for row in sqlx::query(sql).fetch_all(&mut db).await.unwrap() {
                text.push_str(&row.try_get::<String, _>(0).unwrap_or_default());
                text.push('\n');
            }
        }
    }
    text
}

/// GETs `path` from the server at `base` as `token`; panics on a non-2xx status.
async fn get_json(http: &reqwest::Client, base: &str, token: &str, path: String) -> Value {
    let r = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// Rows as an earlier version stored them — a header value and a queue password in clear, written with
/// SQL while the server is stopped — are sealed when it starts again, once.
async fn values_stored_in_clear_are_sealed_at_start(backend: Backend) {
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let http = reqwest::Client::new();
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    let token = child_tenant(&http, &base, "upgraded").await;
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps",
        json!({ "id": "shop" }),
    )
    .await;
    let sub = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url, "headers": { "Authorization": "Bearer sealed" } }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": "nats://app:sealed@127.0.0.1:9/hooks", "enabled": false }),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    terminate(&mut child).await;

    let clear_url = "nats://app:password-stored-in-clear@127.0.0.1:9/hooks";
    raw_sql(
        &storage,
        &format!(
            r#"UPDATE subscriptions SET headers = '{{"authorization":"Bearer header-stored-in-clear"}}' WHERE id = '{sub}'"#
        ),
    )
    .await;
    raw_sql(
        &storage,
        &format!("UPDATE subscriptions SET url = '{clear_url}' WHERE id = '{queue}'"),
    )
    .await;
    let columns = "SELECT url || ' ' || headers FROM subscriptions ORDER BY id";
    let before = raw_sql(&storage, columns).await;
    assert!(
        before.contains("header-stored-in-clear") && before.contains("password-stored-in-clear"),
        "{before}"
    );

    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    let get = |path: String| get_json(&http, &base, &token, path);
    let sub_path = format!("/api/v1/apps/shop/subscriptions/{sub}");
    let queue_path = format!("/api/v1/apps/shop/subscriptions/{queue}");
    assert_eq!(
        get(sub_path.clone()).await["headers"],
        json!({ "authorization": MASKED })
    );
    assert_eq!(
        get(queue_path.clone()).await["url"],
        "nats://app:****@127.0.0.1:9/hooks"
    );
    assert_eq!(
        get(format!("{sub_path}/secret")).await["headers"]["authorization"],
        "Bearer header-stored-in-clear"
    );
    assert_eq!(get(format!("{queue_path}/secret")).await["url"], clear_url);
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/events",
        json!({ "type": "t", "payload": {} }),
    )
    .await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        got[0].headers["authorization"],
        "Bearer header-stored-in-clear"
    );
    terminate(&mut child).await;
    let after = raw_sql(&storage, columns).await;
    assert!(
        !after.contains("stored-in-clear") && after.matches("sealed.").count() == 2,
        "the rows are sealed: {after}"
    );

    // Sealed rows stay as they are.
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    terminate(&mut child).await;
    assert_eq!(raw_sql(&storage, columns).await, after, "sealed once");
}
