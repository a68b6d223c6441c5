//! Durability: the real `hookd` binary is killed with SIGKILL while events are being published and
//! delivered, then restarted on the same database. Every event that was acknowledged with a 2xx must reach
//! the receiver (counted by unique `webhook-id`).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{sigkill, start_child, wait_ready, Backend, Receiver, Storage, ADMIN_TOKEN};

async fn kill_during_publish_and_delivery(backend: Backend) {
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let http = reqwest::Client::new();
    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;

    // A tenant, an app and a subscription to the receiver.
    let post = |base: String, token: String, path: &str, body: serde_json::Value| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let account = post(
        base.clone(),
        ADMIN_TOKEN.into(),
        "/api/v1/accounts",
        json!({ "name": "durable" }),
    )
    .await;
    let account = account["id"].as_str().unwrap().to_owned();
    let key = post(
        base.clone(),
        ADMIN_TOKEN.into(),
        &format!("/api/v1/accounts/{account}/keys"),
        json!({ "policy": ["*"] }),
    )
    .await;
    let token = key["token"].as_str().unwrap().to_owned();
    post(
        base.clone(),
        token.clone(),
        "/api/v1/apps",
        json!({ "id": "shop" }),
    )
    .await;
    post(
        base.clone(),
        token.clone(),
        "/api/v1/apps/shop/subscriptions",
        json!({ "url": receiver.url }),
    )
    .await;

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
    assert!(
        acked.len() >= 300,
        "only {} events acknowledged before the kill",
        acked.len()
    );

    let (mut child, base) = start_child(&storage);
    wait_ready(&http, &base, &mut child).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let received: HashSet<String> = receiver
            .requests()
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let missing: Vec<&String> = acked.iter().filter(|id| !received.contains(*id)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    sigkill(&mut child);
    eprintln!(
        "{backend:?}: {} events acknowledged, {before_restart} requests received before the restart, {} after",
        acked.len(),
        receiver.requests().len()
    );
    assert_eq!(
        missing, 0,
        "{missing} of {} acknowledged events never arrived ({before_restart} requests before the restart)",
        acked.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_event_sqlite() {
    kill_during_publish_and_delivery(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_event_postgres() {
    kill_during_publish_and_delivery(Backend::Postgres).await
}
