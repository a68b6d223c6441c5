//! Durability: the real `hookd` binary is killed with SIGKILL while events are being published and
//! delivered, then restarted on the same database. Every event that was acknowledged with a 2xx must reach
//! the receiver (counted by unique `webhook-id`).

use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::helpers::{Backend, Receiver, Storage, ADMIN_TOKEN, MASTER_KEY};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `hookd serve` as a child process on a fresh port; returns it with its base URL.
fn start(storage: &Storage) -> (Child, String) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_hookd"))
        .arg("serve")
        .env("HOOKD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HOOKD_DATA_DIR", storage.dir.path())
        .env("HOOKD_DATABASE_URL", storage.database_url())
        .env("HOOKD_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("HOOKD_MASTER_KEY", MASTER_KEY)
        .env("HOOKD_ALLOWED_TARGETS", "127.0.0.0/8")
        .env("HOOKD_DELIVERY__POLL_INTERVAL_MS", "100")
        .env("HOOKD_DELIVERY__TIMEOUT_MS", "2000")
        .env("HOOKD_DELIVERY__LEASE_MARGIN_MS", "1000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start hookd");
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_ready(http: &reqwest::Client, base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("hookd exited before becoming ready: {status}");
        }
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("hookd at {base} did not become ready");
}

fn sigkill(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("SIGKILL");
    child.wait().expect("reap");
}

async fn kill_during_publish_and_delivery(backend: Backend) {
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let http = reqwest::Client::new();
    let (mut child, base) = start(&storage);
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

    let (mut child, base) = start(&storage);
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
