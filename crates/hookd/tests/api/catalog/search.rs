//! Event search (type, type prefix, channel, time range, payload fields; newest first, cursor-paged),
//! erasure of one payload, and an app's own retention.

use std::time::Duration;

use serde_json::{json, Value};

use super::{publish, shop};
use crate::both_backends;
use crate::helpers::{Receiver, Tenant, TestApp};

both_backends!(
    events_are_found,
    a_payload_is_erased,
    apps_keep_payloads_their_own_time
);

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn search(app: &TestApp, t: &Tenant, query: &str) -> Vec<String> {
    ids(&app
        .get(&format!("/api/v1/apps/shop/events?{query}"), &t.token)
        .await
        .expect(200)
        .body)
}

async fn events_are_found(app: TestApp) {
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    let mut made = Vec::new();
    let events = [
        (
            "order.created",
            Some("web"),
            json!({"customer": {"id": "c1"}, "total": 10, "paid": true}),
        ),
        (
            "order.paid",
            Some("web"),
            json!({"customer": {"id": "c2"}, "total": 10.5, "paid": false}),
        ),
        (
            "order.created",
            Some("shop"),
            json!({"customer": {"id": "c1"}, "items": [{"sku": "a"}]}),
        ),
        ("user.created", None, json!({"customer": {"id": "c1"}})),
        ("orders.archived", None, json!({"total": "10"})),
    ];
    for (kind, channel, payload) in &events {
        let mut body = json!({"type": kind, "payload": payload});
        if let Some(c) = channel {
            body["channel_id"] = json!(c);
        }
        made.push(publish(&app, &t, body).await.expect(201).str("id"));
    }
    let newest_first = |picks: &[usize]| -> Vec<String> {
        let mut v: Vec<String> = picks.iter().map(|&i| made[i].clone()).collect();
        v.reverse();
        v
    };
    assert_eq!(search(&app, &t, "").await, newest_first(&[0, 1, 2, 3, 4]));
    assert_eq!(
        search(&app, &t, "type=order.created").await,
        newest_first(&[0, 2])
    );
    assert_eq!(
        search(&app, &t, "type_prefix=order.").await,
        newest_first(&[0, 1, 2])
    );
    assert_eq!(
        search(&app, &t, "type_prefix=order").await,
        newest_first(&[0, 1, 2, 4])
    );
    assert_eq!(search(&app, &t, "channel=web").await, newest_first(&[0, 1]));
    assert_eq!(
        search(&app, &t, "channel=web&type=order.paid").await,
        newest_first(&[1])
    );
    assert_eq!(
        search(&app, &t, "payload.customer.id=c1").await,
        newest_first(&[0, 2, 3])
    );
    assert_eq!(
        search(&app, &t, "payload.customer.id=c1&type_prefix=order.").await,
        newest_first(&[0, 2])
    );
    // Compared as text: a number by its digits, booleans as true/false; digits index an array.
    assert_eq!(
        search(&app, &t, "payload.total=10").await,
        newest_first(&[0, 4])
    );
    assert_eq!(
        search(&app, &t, "payload.total=10.5").await,
        newest_first(&[1])
    );
    assert_eq!(
        search(&app, &t, "payload.paid=true").await,
        newest_first(&[0])
    );
    assert_eq!(
        search(&app, &t, "payload.paid=false").await,
        newest_first(&[1])
    );
    assert_eq!(
        search(&app, &t, "payload.items.0.sku=a").await,
        newest_first(&[2])
    );
    assert_eq!(
        search(&app, &t, "payload.nothing=x").await,
        Vec::<String>::new()
    );

    // Time range: all of them were made just now.
    let past = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let future = (chrono::Utc::now() + chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(search(&app, &t, &format!("after={past}")).await.len(), 5);
    assert_eq!(search(&app, &t, &format!("before={past}")).await.len(), 0);
    assert_eq!(search(&app, &t, &format!("after={future}")).await.len(), 0);
    assert_eq!(
        search(
            &app,
            &t,
            &format!("after={past}&before={future}&type=user.created")
        )
        .await,
        newest_first(&[3])
    );

    // Cursor paging over a search.
    let first = app
        .get(
            "/api/v1/apps/shop/events?type_prefix=order&limit=3",
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&first.body), newest_first(&[1, 2, 4]));
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/apps/shop/events?type_prefix=order&limit=3&cursor={cursor}"),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&second.body), newest_first(&[0]));
    assert!(second.body["next_cursor"].is_null());

    for (query, field) in [
        ("type=bad%20type", "type"),
        ("type_prefix=a%25", "type_prefix"),
        ("after=yesterday", "after"),
        (&format!("after={future}&before={past}") as &str, "before"),
        ("payload.a..b=1", "payload.a..b"),
        ("payload.a%24=1", "payload.a$"),
        ("limit=x", "limit"),
    ] {
        let res = app
            .get(&format!("/api/v1/apps/shop/events?{query}"), &t.token)
            .await
            .expect_error(422, "validation_failed");
        assert_eq!(res.body["error"]["field"], field, "{query}: {}", res.text);
    }
    app.get("/api/v1/apps/shop/events?colour=red", &t.token)
        .await
        .expect_error(422, "invalid_query");
    let six = "payload.a=1&payload.b=1&payload.c=1&payload.d=1&payload.e=1&payload.f=1";
    app.get(&format!("/api/v1/apps/shop/events?{six}"), &t.token)
        .await
        .expect_error(422, "validation_failed");
}

async fn a_payload_is_erased(app: TestApp) {
    let receiver = Receiver::start().await;
    let t = app.tenant().await;
    shop(&app, &t, json!({})).await;
    let sub = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({"url": receiver.url}),
        )
        .await
        .expect(201)
        .str("id");
    let _ = sub;
    let res = publish(
        &app,
        &t,
        json!({"type": "user.created", "payload": {"email": "person@example.com"}}),
    )
    .await
    .expect(201);
    let event = res.str("id");
    let delivery = res.body["deliveries"][0]["id"].as_str().unwrap().to_owned();
    app.wait_delivery(&t, &delivery, Duration::from_secs(10), |d| {
        d["status"] == "succeeded"
    })
    .await;
    let attempts = app
        .get(&format!("/api/v1/deliveries/{delivery}"), &t.token)
        .await
        .expect(200);
    assert!(
        attempts.body["attempt_log"][0]["response_excerpt"].is_string(),
        "the receiver's answer is kept until erased: {}",
        attempts.text
    );

    let erased = app
        .delete(
            &format!("/api/v1/apps/shop/events/{event}/payload"),
            &t.token,
        )
        .await
        .expect(200);
    assert!(erased.body["payload"].is_null());
    assert!(erased.body["erased_at"].is_string());
    let got = app
        .get(&format!("/api/v1/apps/shop/events/{event}"), &t.token)
        .await
        .expect(200);
    assert!(got.body["payload"].is_null());
    assert_eq!(got.body["erased_at"], erased.body["erased_at"]);
    assert!(!got.text.contains("person@example.com"));
    // The delivery stays as a record, without the receiver's answer.
    let after = app
        .get(&format!("/api/v1/deliveries/{delivery}"), &t.token)
        .await
        .expect(200);
    assert_eq!(after.body["status"], "succeeded");
    assert!(
        after.body["attempt_log"][0]["response_excerpt"].is_null(),
        "{}",
        after.text
    );
    // Erasing again is fine; an unknown event or another account's is not found.
    app.delete(
        &format!("/api/v1/apps/shop/events/{event}/payload"),
        &t.token,
    )
    .await
    .expect(200);
    app.delete("/api/v1/apps/shop/events/evt_missing/payload", &t.token)
        .await
        .expect_error(404, "event_not_found");
    let other = app.tenant().await;
    app.delete(
        &format!("/api/v1/apps/shop/events/{event}/payload"),
        &other.token,
    )
    .await
    .expect(404);
    // A delivery still due after its payload is erased does not send it: it ends as payload_dropped.
    let down = app
        .post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({"url": "http://127.0.0.1:9/nothing", "retry": [60]}),
        )
        .await
        .expect(201)
        .str("id");
    let res = publish(
        &app,
        &t,
        json!({"type": "user.created", "payload": {"email": "x@example.com"}}),
    )
    .await
    .expect(201);
    let pending = res.body["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["subscription_id"] == down.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_delivery(&t, &pending, Duration::from_secs(10), |d| {
        d["status"] == "retrying"
    })
    .await;
    app.delete(
        &format!("/api/v1/apps/shop/events/{}/payload", res.str("id")),
        &t.token,
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/deliveries/{pending}/retry"),
        &t.token,
        json!({}),
    )
    .await;
    app.tick().await;
    let d = app
        .get(&format!("/api/v1/deliveries/{pending}"), &t.token)
        .await
        .expect(200);
    let attempts = d.body["attempt_log"].as_array().unwrap();
    assert!(
        attempts.iter().all(|a| a["failure"] != "status"),
        "nothing more reached a receiver: {}",
        d.text
    );
}

async fn apps_keep_payloads_their_own_time(app: TestApp) {
    let t = app.tenant().await;
    let created = shop(&app, &t, json!({"retention_days": 7})).await;
    assert_eq!(created.body["retention_days"], 7);
    app.patch("/api/v1/apps/shop", &t.token, json!({"retention_days": 0}))
        .await
        .expect_error(422, "validation_failed");
    app.patch(
        "/api/v1/apps/shop",
        &t.token,
        json!({"retention_days": 4000}),
    )
    .await
    .expect_error(422, "validation_failed");
    let cleared = app
        .patch(
            "/api/v1/apps/shop",
            &t.token,
            json!({"retention_days": null}),
        )
        .await
        .expect(200);
    assert!(cleared.body["retention_days"].is_null());
    app.patch("/api/v1/apps/shop", &t.token, json!({"retention_days": 1}))
        .await
        .expect(200);
}
