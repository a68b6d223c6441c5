//! DNS rebinding: a receiver's name resolves to a public address when the subscription is saved and to a
//! private one when the callback is sent. The attempt is refused at connect time and says why.
//!
//! The name is resolved for real (glibc, from a hosts file): hookd runs in a mount namespace of its own
//! where the test's hosts file is bound over `/etc/hosts`, and the test rewrites that file between save
//! and send. Needs `unshare` and the right to mount (root); under CI their absence fails the test.

use std::{process::Command, time::Duration};

use serde_json::json;

use crate::helpers::{child_command, child_tenant, post_to, sigkill, wait_ready, Backend, Storage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_is_refused_at_send_time_sqlite() {
    rebinding_is_refused_at_send_time(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebinding_is_refused_at_send_time_postgres() {
    rebinding_is_refused_at_send_time(Backend::Postgres).await;
}

const NAME: &str = "hooks.rebind.test";

async fn rebinding_is_refused_at_send_time(backend: Backend) {
    let can_unshare = Command::new("unshare")
        .args(["-m", "sh", "-c", "mount --bind /etc/hosts /etc/hosts"])
        .status()
        .is_ok_and(|s| s.success());
    if !can_unshare {
        assert!(
            std::env::var_os("CI").is_none(),
            "the rebinding test needs `unshare -m` and mount rights in CI"
        );
        eprintln!("SKIPPED: rebinding test — needs `unshare -m` and the right to mount (root)");
        return;
    }
    let Some(storage) = Storage::new(backend).await else {
        return;
    };
    let hosts = storage.dir.path().join("hosts");
    // A public address at save time (nothing is sent to it).
    std::fs::write(
        &hosts,
        format!("127.0.0.1 localhost\n93.184.215.14 {NAME}\n"),
    )
    .unwrap();
    let mut wrapper = Command::new("unshare");
    wrapper.args([
        "-m",
        "sh",
        "-c",
        r#"mount --bind "$1" /etc/hosts && shift && exec "$@""#,
        "sh",
    ]);
    wrapper.arg(&hosts).arg(env!("CARGO_BIN_EXE_hookd"));
    let (mut command, base) = child_command(wrapper, &storage, &[]);
    let mut child = command.arg("serve").spawn().expect("start hookd");
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut child).await;

    let token = child_tenant(&http, &base, "rebind").await;
    post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps",
        json!({ "id": "shop" }),
    )
    .await;
    let saved = http
        .post(format!("{base}/api/v1/apps/shop/subscriptions"))
        .bearer_auth(&token)
        .json(&json!({ "url": format!("http://{NAME}:8080/hook"), "retry": [60] }))
        .send()
        .await
        .unwrap();
    let saved_status = saved.status();
    let saved_body = saved.text().await.unwrap();

    // The name now leads to a private address; the same file, rewritten in place, is what hookd reads.
    std::fs::write(&hosts, format!("127.0.0.1 localhost\n10.0.0.5 {NAME}\n")).unwrap();
    let published = post_to(
        &http,
        &base,
        &token,
        "/api/v1/apps/shop/events",
        json!({ "type": "t", "payload": {} }),
    )
    .await;
    let delivery = published["deliveries"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut attempt = None;
    for _ in 0..100 {
        let d: serde_json::Value = http
            .get(format!("{base}/api/v1/deliveries/{delivery}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(first) = d["attempt_log"].as_array().and_then(|a| a.first()) {
            attempt = Some(first.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sigkill(&mut child);
    assert!(
        saved_status.is_success(),
        "saving {NAME} (public then): {saved_body}"
    );
    let attempt = attempt.expect("no attempt recorded within 10 s");
    assert!(attempt["status_code"].is_null(), "{attempt}");
    let error = attempt["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!(
            "{NAME} resolves to 10.0.0.5, a non-public address"
        )),
        "{attempt}"
    );
}
