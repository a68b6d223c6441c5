//! The real `hookd serve` binary as a child process, and requests made to it.

use std::time::{Duration, Instant};

use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

use super::*;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the real `hookd serve` binary as a child process on a fresh port; returns it with its base URL.
pub fn start_child(storage: &Storage) -> (Child, String) {
    start_child_with(storage, &[])
}

/// `start_child` with more environment variables (later ones win).
pub fn start_child_with(storage: &Storage, env: &[(&str, &str)]) -> (Child, String) {
    let (mut command, base) =
        child_command(Command::new(env!("CARGO_BIN_EXE_hookd")), storage, env);
    (command.arg("serve").spawn().expect("start hookd"), base)
}

/// `command` (the `hookd` binary, or a wrapper that runs it) set up to serve `storage` on a fresh port,
/// with `env` added; returns it with the base URL it will serve.
pub fn child_command(
    mut command: Command,
    storage: &Storage,
    env: &[(&str, &str)],
) -> (Command, String) {
    let port = free_port();
    command
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
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    (command, format!("http://127.0.0.1:{port}"))
}

pub async fn wait_ready(http: &reqwest::Client, base: &str, child: &mut Child) {
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

pub fn sigkill(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("SIGKILL");
    child.wait().expect("reap");
}

/// POSTs `body` to a child process at `base` + `path` and returns the JSON answer; panics on a non-2xx
/// status.
pub async fn post_to(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Value,
) -> Value {
    let r = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// An app `shop` with one subscription made of `subscription`, through the child process at `base`.
pub async fn child_shop(http: &reqwest::Client, base: &str, token: &str, subscription: Value) {
    post_to(http, base, token, "/api/v1/apps", json!({ "id": "shop" })).await;
    post_to(
        http,
        base,
        token,
        "/api/v1/apps/shop/subscriptions",
        subscription,
    )
    .await;
}

/// An account named `name` with an all-powerful key, made through the child process at `base`; returns
/// the key's token.
pub async fn child_tenant(http: &reqwest::Client, base: &str, name: &str) -> String {
    child_key(http, base, name).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An account named `name` with an all-powerful key, made through the child process at `base`; returns
/// the key as created (`key_id`, `secret`, `token`).
pub async fn child_key(http: &reqwest::Client, base: &str, name: &str) -> Value {
    let account = post_to(
        http,
        base,
        ADMIN_TOKEN,
        "/api/v1/accounts",
        json!({ "name": name }),
    )
    .await;
    let account = account["id"].as_str().unwrap().to_owned();
    post_to(
        http,
        base,
        ADMIN_TOKEN,
        &format!("/api/v1/accounts/{account}/keys"),
        json!({ "policy": ["*"] }),
    )
    .await
}

/// Stops `child` with SIGTERM and waits (at most 30 s) for it to exit 0.
pub async fn terminate(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("child status") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "hookd did not exit 30 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
