//! Queue destinations against real brokers: Redis (127.0.0.1:6379), NATS JetStream (127.0.0.1:4222 and
//! servers of the tests' own) and RabbitMQ (127.0.0.1:5672, guest/guest). Each test publishes events
//! through the API, reads the broker back and counts what arrived.

mod nats;
mod rabbitmq;
mod redis;

use std::{collections::HashSet, net::TcpStream, sync::Arc, time::Duration};

use serde_json::json;

use crate::helpers::{Tenant, TestApp};

/// Whether a broker answers on `addr`. When it does not, the test says so and passes, except under CI,
/// which provides every broker.
pub fn broker_is_up(name: &str, addr: &str) -> bool {
    let up = TcpStream::connect_timeout(&addr.parse().unwrap(), Duration::from_secs(2)).is_ok();
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} must run on {addr} in CI"
        );
        eprintln!("SKIPPED: {name} queue test — nothing listens on {addr}");
    }
    up
}

/// Makes the app `shop` with one subscription to `url`, retried every second (a broker that is briefly
/// slow on a loaded machine must not push a retry past the test's patience).
pub async fn subscribe(app: &TestApp, t: &Tenant, url: &str) {
    app.shop_with(t, json!({ "url": url, "retry": vec![1; 10] }))
        .await;
}

/// A 10 s request timeout, so that a loaded machine's slow broker answers are not taken for failures
/// (a timed-out publish that did land would be published twice).
pub fn patient(c: &mut hookd::config::Config) {
    c.delivery.timeout_ms = 10_000;
}

/// Publishes `count` events to `shop` from 16 concurrent clients; returns their ids.
pub async fn publish_many(app: &Arc<TestApp>, token: &str, count: usize) -> HashSet<String> {
    const PUBLISHERS: usize = 16;
    let mut tasks = Vec::new();
    for p in 0..PUBLISHERS {
        let (app, token) = (app.clone(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (p..count).step_by(PUBLISHERS) {
                let r = app
                    .post(
                        "/api/v1/apps/shop/events",
                        &token,
                        json!({ "type": "order.created", "payload": { "n": n } }),
                    )
                    .await;
                ids.push(r.expect(201).str("id"));
            }
            ids
        }));
    }
    let mut published = HashSet::new();
    for task in tasks {
        published.extend(task.await.unwrap());
    }
    assert_eq!(published.len(), count);
    published
}

/// Polls `count` until it reaches `target`, or it has not grown for 30 s, or 10 minutes have passed (a
/// loaded machine is slow, a stuck delivery is stuck); returns the last count.
pub async fn wait_for_count<F, Fut>(target: usize, mut count: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let start = tokio::time::Instant::now();
    let (mut last, mut grew_at) = (0, start);
    loop {
        let now_count = count().await;
        let now = tokio::time::Instant::now();
        if now_count > last {
            (last, grew_at) = (now_count, now);
        }
        if now_count >= target
            || now - grew_at > Duration::from_secs(30)
            || now - start > Duration::from_secs(600)
        {
            // A moment more, so that a duplicate arriving late would be seen.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return now_count;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Counts `webhook-id`s: how many distinct ones, and which arrived more than once.
pub fn tally<'a>(ids: impl IntoIterator<Item = &'a str>) -> (HashSet<String>, Vec<String>) {
    let mut seen = HashSet::new();
    let mut twice = Vec::new();
    for id in ids {
        if !seen.insert(id.to_owned()) {
            twice.push(id.to_owned());
        }
    }
    (seen, twice)
}

/// Every published event arrived exactly once (counts in the message, not the ids). When some are
/// missing, the message shows what hookd recorded for a few of them.
pub async fn assert_exactly_once(
    app: &TestApp,
    token: &str,
    published: &HashSet<String>,
    seen: &HashSet<String>,
    twice: &[String],
) {
    let missing: Vec<&String> = published.difference(seen).collect();
    let unknown = seen.difference(published).count();
    if missing.is_empty() && unknown == 0 && twice.is_empty() {
        return;
    }
    let mut recorded = String::new();
    for event in missing.iter().take(3) {
        let r = app
            .get(
                &format!("/api/v1/apps/shop/events/{event}/deliveries"),
                token,
            )
            .await;
        recorded.push_str(&format!("\n  {event}: {}", r.text));
    }
    panic!(
        "{} published: {} missing, {unknown} not published, {} twice{recorded}",
        published.len(),
        missing.len(),
        twice.len()
    );
}
