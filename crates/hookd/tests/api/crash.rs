//! Durability: the real `hookd` binary is killed with SIGKILL while events are being published and
//! delivered, and while a replay is being sent, then restarted on the same database. Every event that was
//! acknowledged with a 2xx (or replayed) must reach the receiver (counted by unique `webhook-id`), and every
//! acknowledged event must be readable by id after the restart: an event answered `201` but delivered from
//! memory without ever being committed would otherwise pass.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{
    child_shop, child_tenant, post_to, sigkill, start_child, start_child_with, wait_ready, Answer,
    Backend, Receiver, Storage,
};

/// An account, a key (returned), an app `shop` and one subscription made of `subscription`.
async fn tenant_with_subscription(
    http: &reqwest::Client,
    base: &str,
    subscription: serde_json::Value,
) -> String {
    let token = child_tenant(http, base, "durable").await;
    child_shop(http, base, &token, subscription).await;
    token
}

async fn kill_during_publish_and_delivery(backend: Backend) {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    // A slow receiver (64 attempts of the subscription at once, 300 ms each: about 210 a second) falls
    // behind the publishers, so at the kill most acknowledged events have not arrived yet and can only
    // arrive from what was committed. The plan runs out after the restart's backlog has started.
    receiver.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_millis(300)),
        600,
    ));
    let http = reqwest::Client::new();
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;

    let token = tenant_with_subscription(&http, &base, json!({ "url": receiver.url })).await;

    // Eight publishers until the server dies; every 201 is recorded.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut publishers = Vec::new();
    for p in 0..8 {
        let (http, base, token, acked) = (http.clone(), base.clone(), token.clone(), acked.clone());
        publishers.push(tokio::spawn(async move {
            for n in 0..2_000 {
                let sent = http
                    .post(format!("{base}/api/v1/apps/shop/events"))
                    .bearer_auth(&token)
                    .json(
                        &json!({ "type": "order.created", "payload": { "publisher": p, "n": n } }),
                    )
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => {
                        let body: serde_json::Value = match r.json().await {
                            Ok(b) => b,
                            Err(_) => return, // the connection died mid-answer: not acknowledged
                        };
                        acked
                            .lock()
                            .unwrap()
                            .push(body["id"].as_str().unwrap().to_owned());
                    }
                    _ => return,
                }
            }
        }));
    }
    // Kill once a good number of events are acknowledged and deliveries are flowing.
    let deadline = Instant::now() + Duration::from_secs(30);
    while (acked.lock().unwrap().len() < 300 || receiver.requests().len() < 50)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sigkill(&mut child);
    for p in publishers {
        p.await.unwrap();
    }
    let acked: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let before_restart = receiver.requests().len();
    let arrived_before: HashSet<String> = webhook_ids(&receiver.requests());
    assert!(
        acked.len() >= 300,
        "only {} events acknowledged before the kill",
        acked.len()
    );

    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    // Acknowledged means committed: every acknowledged event is stored, whatever was sent before the kill.
    let unreadable = unreadable_events(&http, &base, &token, &acked).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let received = webhook_ids(&receiver.requests());
        let missing: Vec<&String> = acked.iter().filter(|id| !received.contains(*id)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    sigkill(&mut child);
    let after_restart = acked.difference(&arrived_before).count();
    eprintln!(
        "{backend:?}: {} events acknowledged, {before_restart} requests received before the restart, {} in all; \
         {after_restart} acknowledged events arrived only after the restart",
        acked.len(),
        receiver.requests().len()
    );
    assert!(
        unreadable.is_empty(),
        "{} of {} acknowledged events are not stored after the restart, e.g. {:?}",
        unreadable.len(),
        acked.len(),
        unreadable.first()
    );
    assert!(
        after_restart > 0,
        "every acknowledged event arrived before the kill: nothing was left to deliver from the database"
    );
    assert_eq!(
        missing, 0,
        "{missing} of {} acknowledged events never arrived ({before_restart} requests before the restart)",
        acked.len()
    );
}

/// The distinct `webhook-id`s of `requests`.
fn webhook_ids(requests: &[crate::helpers::Recorded]) -> HashSet<String> {
    requests
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect()
}

/// The events of `ids` that `GET /api/v1/apps/shop/events/{id}` does not answer 200 for, with the status
/// it gave.
async fn unreadable_events(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ids: &HashSet<String>,
) -> Vec<(String, u16)> {
    use futures_util::StreamExt;
    futures_util::stream::iter(ids)
        .map(|id| async move {
            let status = http
                .get(format!("{base}/api/v1/apps/shop/events/{id}"))
                .bearer_auth(token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16());
            (id.clone(), status)
        })
        .buffer_unordered(16)
        .filter(|(_, status)| std::future::ready(*status != 200))
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_event_sqlite() {
    kill_during_publish_and_delivery(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_event_postgres() {
    kill_during_publish_and_delivery(Backend::Postgres).await
}

/// 400 dead deliveries are replayed, the server is killed mid-replay and restarted: every event still
/// arrives (unique ids counted among the successful requests).
async fn kill_during_replay(backend: Backend) {
    let _load = crate::helpers::LOAD.read().await;
    const EVENTS: usize = 400;
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.respond_with(&[500; EVENTS]);
    receiver.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_millis(20)),
        EVENTS,
    ));
    let http = reqwest::Client::new();
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    let token =
        tenant_with_subscription(&http, &base, json!({ "url": receiver.url, "retry": [] })).await;
    let since = chrono::Utc::now() - chrono::Duration::minutes(1);
    let mut published = HashSet::new();
    for n in 0..EVENTS {
        let event = post_to(
            &http,
            &base,
            &token,
            "/api/v1/apps/shop/events",
            json!({ "type": "t", "payload": { "n": n } }),
        )
        .await;
        published.insert(event["id"].as_str().unwrap().to_owned());
    }
    // Every first attempt failed, and with no retries every delivery is dead.
    let failed = receiver.wait_for(EVENTS, Duration::from_secs(60)).await;
    assert_eq!(failed.len(), EVENTS);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let subs = http
        .get(format!("{base}/api/v1/apps/shop/subscriptions"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let sub = subs["data"][0]["id"].as_str().unwrap().to_owned();
    let replayed = post_to(
        &http,
        &base,
        &token,
        &format!("/api/v1/apps/shop/subscriptions/{sub}/replay"),
        json!({ "since": since }),
    )
    .await;
    assert_eq!(replayed["requeued"], EVENTS);
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.requests().len() < EVENTS + 100 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sigkill(&mut child);
    let before_restart = receiver.requests().len() - EVENTS;

    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let delivered: HashSet<String> = receiver.requests()[EVENTS..]
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let missing = published.difference(&delivered).count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    sigkill(&mut child);
    eprintln!("{backend:?}: {before_restart} replayed requests before the kill");
    assert!(
        before_restart < EVENTS,
        "the kill came after the replay had finished"
    );
    assert_eq!(
        missing, 0,
        "{missing} of {EVENTS} replayed events never arrived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_replay_loses_nothing_sqlite() {
    kill_during_replay(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_replay_loses_nothing_postgres() {
    kill_during_replay(Backend::Postgres).await
}

/// Reports are published to a batching `cams` subscription and sent in batches when the server is killed;
/// after the restart every acknowledged report arrives (unique `MessageId`s counted).
/// At most four attempts of one subscription at once.
const FOUR_AT_ONCE: &[(&str, &str)] = &[("HOOKD_DELIVERY__SUBSCRIPTION_CONCURRENCY", "4")];

async fn kill_during_batching(backend: Backend) {
    let _load = crate::helpers::LOAD.read().await;
    const EVENTS: usize = 600;
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    // Slower than publishing (at most 4 batches of 5 at once, 500 ms each: 40 reports/s), so a backlog of
    // batches builds up whatever the machine's speed.
    receiver.answer(std::iter::repeat_n(
        Answer::slow(Duration::from_millis(500)),
        1_000,
    ));
    let http = reqwest::Client::new();
    let (mut child, base) = start_child_with(&storage, FOUR_AT_ONCE);
    wait_ready(&http, &base, &mut child).await;
    let subscription = json!({
        "url": receiver.url, "format": "cams", "batch": { "max_events": 5, "max_wait_ms": 200 }
    });
    let token = tenant_with_subscription(&http, &base, subscription).await;
    let reports = |requests: &[crate::helpers::Recorded]| -> HashSet<String> {
        requests
            .iter()
            .flat_map(|r| {
                let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                body.as_array()
                    .unwrap()
                    .iter()
                    .map(|report| report["MessageId"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    // Publishing goes on while batches flow; the kill comes once 300 reports are acknowledged and 50
    // arrived.
    let acked = Arc::new(Mutex::new(HashSet::<String>::new()));
    let publisher = {
        let (http, base, token, acked) = (http.clone(), base.clone(), token.clone(), acked.clone());
        tokio::spawn(async move {
            for n in 0..EVENTS {
                let id = format!("m{n}");
                let sent = http
                    .post(format!("{base}/api/v1/apps/shop/events"))
                    .bearer_auth(&token)
                    .json(&json!({ "type": "cams.status", "payload": { "MessageId": id } }))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                // Acknowledged: a 201 whose answer arrived whole.
                let acknowledged = match sent {
                    Ok(r) if r.status() == 201 => r.bytes().await.is_ok(),
                    _ => false,
                };
                if !acknowledged {
                    return;
                }
                acked.lock().unwrap().insert(id);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while (acked.lock().unwrap().len() < 300 || reports(&receiver.requests()).len() < 50)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sigkill(&mut child);
    publisher.await.unwrap();
    let acked = acked.lock().unwrap().clone();
    let before_restart = reports(&receiver.requests()).len();
    let requests_at_kill = receiver.requests().len();

    let (mut child, base) = start_child_with(&storage, FOUR_AT_ONCE);
    wait_ready(&http, &base, &mut child).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let arrived = reports(&receiver.requests());
        let missing = acked.difference(&arrived).count();
        if missing == 0 || Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    sigkill(&mut child);
    let arrived = acked.len() - missing;
    eprintln!(
        "{backend:?}: {} reports acknowledged, {before_restart} received before the kill, {arrived} in all",
        acked.len()
    );
    assert!(
        acked.len() >= 300,
        "only {} reports acknowledged",
        acked.len()
    );
    assert!(
        receiver.requests().len() > requests_at_kill,
        "the kill left no unfinished batch to send after the restart"
    );
    assert_eq!(
        missing, 0,
        "{missing} acknowledged reports lost across the kill"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_batching_loses_nothing_sqlite() {
    kill_during_batching(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_batching_loses_nothing_postgres() {
    kill_during_batching(Backend::Postgres).await
}

/// SIGTERM with an attempt stuck on a slow receiver: hookd exits 0 after its shutdown grace and returns
/// the delivery to the queue at once, so the next process sends it without waiting for the 11 s lease.
async fn graceful_shutdown_returns_abandoned_attempts(backend: Backend) {
    let _load = crate::helpers::LOAD.read().await;
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.answer([Answer::slow(Duration::from_secs(9))]);
    let env = [
        ("HOOKD_SHUTDOWN_GRACE_MS", "300"),
        ("HOOKD_DELIVERY__TIMEOUT_MS", "10000"),
    ];
    let http = reqwest::Client::new();
    let (mut child, base) = start_child_with(&storage, &env);
    wait_ready(&http, &base, &mut child).await;
    let token = tenant_with_subscription(&http, &base, json!({ "url": receiver.url })).await;
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/events",
        json!({ "type": "t", "payload": {} }),
    )
    .await;
    receiver.wait_for(1, Duration::from_secs(10)).await;

    let stopping = Instant::now();
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "hookd exited with {status}");
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        stopping.elapsed()
    );

    let restarted = Instant::now();
    let (mut child, base) = start_child_with(&storage, &env);
    wait_ready(&http, &base, &mut child).await;
    let got = receiver.wait_for(2, Duration::from_secs(8)).await;
    sigkill(&mut child);
    assert_eq!(got.len(), 2, "the abandoned delivery was sent again");
    assert!(
        got[1].at.duration_since(restarted) < Duration::from_secs(5),
        "sent again {:?} after the restart: the lease was not returned",
        got[1].at.duration_since(restarted)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_returns_abandoned_attempts_sqlite() {
    graceful_shutdown_returns_abandoned_attempts(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_returns_abandoned_attempts_postgres() {
    graceful_shutdown_returns_abandoned_attempts(Backend::Postgres).await
}
