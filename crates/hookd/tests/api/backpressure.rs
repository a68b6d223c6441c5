//! Backpressure: when fresh deliveries pile up in memory faster than they go out, a publish waits for room
//! (at most 2 s) instead of adding to the pile, is then accepted all the same with its deliveries stored,
//! and publishing is quick again once delivery has caught up. When the deliveries waiting in the store
//! reach `delivery.max_backlog`, publishing is refused with 503 and `Retry-After` until they drain.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::both_backends_with;
use crate::helpers::{Answer, Receiver, TestApp, LOAD};

both_backends_with!(small_memory_queue => publishing_waits_while_delivery_is_behind);
both_backends_with!(small_backlog => publishing_is_refused_at_the_backlog_bound);

/// 16 slots and room for 400 deliveries in memory: publishing waits from 200 until 100. The claim loop
/// polls the store rarely: a poll that finds every slot busy sends later deliveries through the store
/// instead of memory (correctly, but then nothing piles up in memory), and whether one falls inside the
/// publishing would depend on timing.
fn small_memory_queue(c: &mut hookd::config::Config) {
    c.delivery.concurrency = 16;
    c.delivery.memory_queue = 400;
    c.delivery.poll_interval_ms = 10_000;
}

const SUBSCRIPTIONS: usize = 10;
/// A publish that waited for room took about 2 s; one that did not, well under.
const WAITED: Duration = Duration::from_millis(1_900);
const QUICK: Duration = Duration::from_millis(1_500);

async fn publishing_waits_while_delivery_is_behind(app: TestApp) {
    // Measures how long publishes take: runs while no load-heavy test does.
    let _quiet = LOAD.write().await;
    let receiver = Receiver::start().await;
    // Every attempt hangs past the tests' 2 s timeout until the receiver is told to answer at once.
    receiver.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_secs(30)),
        100_000,
    ));
    let t = app.tenant().await;
    app.post("/api/v1/apps", &t.token, json!({ "id": "shop" }))
        .await
        .expect(201);
    for _ in 0..SUBSCRIPTIONS {
        app.post(
            "/api/v1/apps/shop/subscriptions",
            &t.token,
            json!({ "url": receiver.url }),
        )
        .await
        .expect(201);
    }
    let publish = |n: usize| {
        let app = &app;
        let token = t.token.clone();
        async move {
            let started = Instant::now();
            let id = app
                .post(
                    "/api/v1/apps/shop/events",
                    &token,
                    json!({ "type": "t", "payload": { "n": n } }),
                )
                .await
                .expect(201)
                .str("id");
            (id, started.elapsed())
        }
    };

    // 16 attempts hang and the rest wait in memory, 10 more per event: from about the 22nd event on, 200 or
    // more wait, and the next publish waits.
    let mut waited = None;
    for n in 0..40 {
        let (id, took) = publish(n).await;
        if n == 0 {
            assert!(
                took < QUICK,
                "the first publish, with nothing waiting, took {took:?}"
            );
        }
        if took >= WAITED {
            waited = Some((n, id, took));
            break;
        }
    }
    let Some((n, id, took)) = waited else {
        panic!("40 publishes of 10 deliveries each, 16 slots, hanging receiver: no publish waited for room");
    };
    assert!(
        n >= 15,
        "publish {n} waited, before 200 deliveries could wait in memory"
    );
    assert!(
        took < Duration::from_secs(8),
        "a publish waits for room at most 2 s, this one took {took:?}"
    );
    let deliveries = app
        .get(
            &format!("/api/v1/apps/shop/events/{id}/deliveries"),
            &t.token,
        )
        .await
        .expect(200);
    assert_eq!(
        deliveries.body["data"].as_array().map(Vec::len),
        Some(SUBSCRIPTIONS),
        "the publish that waited stored its deliveries: {}",
        deliveries.text
    );

    // The receiver recovers: once the hanging attempts have timed out the backlog drains and publishing
    // is quick again.
    receiver.clear_answers();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut m = n + 1;
    loop {
        let (_, took) = publish(m).await;
        m += 1;
        if took < QUICK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "publishing still waits 60 s after the receiver recovered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = app
        .send(reqwest::Method::GET, "/metrics", None, None, &[])
        .await
        .expect(200);
    assert!(
        metrics.text.contains("hookd_publish_waits_total"),
        "metrics lack hookd_publish_waits_total:\n{}",
        metrics.text
    );
}

/// At most ten deliveries waiting in the store.
fn small_backlog(c: &mut hookd::config::Config) {
    c.delivery.max_backlog = 10;
}

async fn publishing_is_refused_at_the_backlog_bound(app: TestApp) {
    let _load = LOAD.read().await;
    let receiver = Receiver::start().await;
    // Every attempt hangs past the tests' 2 s timeout until the receiver is told to answer at once.
    receiver.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_secs(30)),
        100_000,
    ));
    let t = app.tenant().await;
    // A fifo subscription's deliveries wait in the store, one attempted at a time.
    app.shop_with(
        &t,
        json!({ "url": receiver.url, "ordering": "fifo", "retry": [1, 1, 1, 1, 1] }),
    )
    .await;
    let publish = |n: usize| {
        let app = &app;
        let token = t.token.clone();
        async move {
            app.post(
                "/api/v1/apps/shop/events",
                &token,
                json!({ "type": "t", "payload": { "n": n } }),
            )
            .await
        }
    };
    // 20 events at once: one attempt hangs and the other 19 deliveries wait in the store, past the bound of
    // 10. Each is accepted: the bound was not reached when they came.
    let accepted = futures_util::future::join_all((0..20).map(publish)).await;
    for answer in accepted {
        answer.expect(201);
    }

    // The backlog is counted every second: within a few, publishing is refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let answer = publish(100).await;
        if answer.status == 503 {
            break answer;
        }
        answer.expect(201);
        assert!(
            Instant::now() < deadline,
            "10 s after 19 deliveries were left waiting in the store (bound 10), publishes are still accepted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let refused = refused.expect_error(503, "backlog_full");
    assert!(
        refused.message().contains("delivery.max_backlog"),
        "the refusal names the setting: {}",
        refused.message()
    );
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5"),
        "a refusal says when to come back"
    );
    // What was stored before the refusal; the refused publish adds nothing.
    let stored = app
        .get("/api/v1/apps/shop/events?limit=250", &t.token)
        .await
        .expect(200);
    let events = stored.body["data"].as_array().map_or(0, Vec::len);

    // The receiver recovers: the hanging attempts time out, the backlog drains below nine tenths of the
    // bound and publishing is accepted again.
    receiver.clear_answers();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = publish(200).await;
        if answer.status == 201 {
            break;
        }
        answer.expect_error(503, "backlog_full");
        assert!(
            Instant::now() < deadline,
            "publishing is still refused 60 s after the receiver recovered"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = app
        .get("/api/v1/apps/shop/events?limit=250", &t.token)
        .await
        .expect(200);
    assert_eq!(
        after.body["data"].as_array().map_or(0, Vec::len),
        events + 1,
        "a refused publish stored nothing; the accepted one did"
    );
}
